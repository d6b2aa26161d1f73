"""The access map endpoint over real HTTP (TestClient) on a real finished run of the small scenario: it needs
a planner or admin key, its populations sum to the census total of the run's scope, its minutes equal an
independent recomputation from the dataset and the run's 24/7 hospitals, and unknown runs are 404."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from test_api_support import api_fixtures, bearer, wait_run

from optimizer.access.kpis import municipality_access_table
from optimizer.access.scope import scope_from_dataset
from optimizer.data.dataset import load_dataset
from optimizer.data.reference import municipalities as reference_municipalities

#: Census 2020 population of Mexico (INEGI), the scope of the small scenario's access stage.
CENSUS_TOTAL = 126_014_024


home, keys, client = api_fixtures("access-map", max_concurrent_runs=1)


@pytest.fixture(scope="module")
def run_id(client: TestClient, keys: dict[str, str]) -> str:
    r = client.post("/runs", json={"scenario": "api-small"}, headers=bearer(keys["planner"]))
    assert r.status_code == 202, r.text
    doc = wait_run(lambda i: client.get(f"/runs/{i}", headers=bearer(keys["planner"])).json(), r.json()["run_id"])
    assert doc["status"] == "finished", doc
    return doc["run_id"]


@pytest.fixture(scope="module")
def access_map(client: TestClient, keys: dict[str, str], run_id: str) -> dict:
    r = client.get(f"/runs/{run_id}/access/map", headers=bearer(keys["planner"]))
    assert r.status_code == 200, r.text
    return r.json()


def test_needs_a_planner_or_admin_key(client: TestClient, keys: dict[str, str], run_id: str) -> None:
    url = f"/runs/{run_id}/access/map"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer bk_00000000_nope"}).status_code == 401
    for role in ("hr", "logistics"):
        r = client.get(url, headers=bearer(keys[role]))
        assert r.status_code == 403 and role in r.json()["error"]
    assert client.get(url, headers=bearer(keys["admin"])).status_code == 200


def test_population_sums_to_census_total_of_scope(access_map: dict, client: TestClient, keys: dict[str, str],
                                                  run_id: str) -> None:
    munis = access_map["municipalities"]
    assert len(munis) == len(reference_municipalities()) == 2469
    assert len({m["cvegeo"] for m in munis}) == len(munis)
    assert sum(m["population"] for m in munis) == CENSUS_TOTAL == access_map["total_population"]
    assert sum(b["population"] for b in access_map["bands"]) == CENSUS_TOTAL
    assert sum(b["municipalities"] for b in access_map["bands"]) == len(munis)
    assert sum(b["share"] for b in access_map["bands"]) == pytest.approx(1.0)
    kpis = client.get(f"/runs/{run_id}/kpis", headers=bearer(keys["planner"])).json()["access"]
    assert kpis["total_population"] == CENSUS_TOTAL
    # The bands follow the run's own thresholds and agree with its headline KPIs.
    assert access_map["thresholds"] == [60.0, 120.0]
    assert [b["label"] for b in access_map["bands"]] == ["<= 60 min", "60-120 min", "> 120 min", "no hospital"]
    bands = access_map["bands"]
    assert bands[0]["population"] == kpis["within_60"]
    assert bands[0]["population"] + bands[1]["population"] == kpis["within_120"]


def test_each_municipality_is_in_its_band(access_map: dict) -> None:
    for m in access_map["municipalities"]:
        t = m["minutes"]
        expected = 3 if t is None else 0 if t <= 60 else 1 if t <= 120 else 2
        assert m["band"] == expected, m
        assert set(m) == {"cvegeo", "name", "cve_ent", "state", "lat", "lon", "population", "degree", "minutes",
                          "nearest_24_7", "band"}  # aggregates only: nothing about any person
        assert 14.0 < m["lat"] < 33.0 and -119.0 < m["lon"] < -86.0


def test_minutes_equal_recomputation_from_dataset(access_map: dict, client: TestClient, keys: dict[str, str],
                                                  run_id: str, home: Path) -> None:
    # The run's own list of 24/7 hospitals (capacity's verdict plus other hospitals 24/7 with staff in post).
    csv = client.get(f"/runs/{run_id}/plans/access/hospitals_24_7?format=csv", headers=bearer(keys["planner"]))
    on_24_7 = pd.read_csv(io.BytesIO(csv.content), dtype={"clues": str})["clues"].tolist()
    assert on_24_7, "the small scenario keeps some hospitals 24/7"
    scope = scope_from_dataset(load_dataset(home / "dataset"))
    table = municipality_access_table(scope, on_24_7)
    by_cvegeo = {m["cvegeo"]: m for m in access_map["municipalities"]}
    for cvegeo, t, j in zip(table["cvegeo"], table["minutes_to_24_7"], table["nearest_24_7"], strict=True):
        shown = by_cvegeo[cvegeo]
        assert shown["minutes"] == pytest.approx(float(t), abs=1e-9), cvegeo
        assert shown["nearest_24_7"] == j
    assert np.isfinite(table["minutes_to_24_7"]).all()
    assert access_map["population_points"] == len(scope.points) > 10_000


def test_requested_thresholds_and_bad_ones(client: TestClient, keys: dict[str, str], run_id: str,
                                           access_map: dict) -> None:
    url = f"/runs/{run_id}/access/map"
    r = client.get(url + "?minutes=180&minutes=30&minutes=90", headers=bearer(keys["planner"]))
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["thresholds"] == [30.0, 90.0, 180.0]
    assert [(b["above"], b["up_to"]) for b in doc["bands"]] == [(None, 30.0), (30.0, 90.0), (90.0, 180.0),
                                                                (180.0, None), (None, None)]
    csv = client.get(f"/runs/{run_id}/plans/access/points?format=csv", headers=bearer(keys["planner"]))
    points = pd.read_csv(io.BytesIO(csv.content))
    within_90 = int(points.loc[points["minutes_to_24_7"] <= 90, "population"].sum())
    assert doc["bands"][0]["population"] + doc["bands"][1]["population"] == within_90
    assert sum(b["municipalities"] for b in doc["bands"]) == len(access_map["municipalities"])
    assert sum(b["population"] for b in doc["bands"]) == CENSUS_TOTAL
    for bad in ("?minutes=0", "?minutes=-5", "?minutes=" + "&minutes=".join(str(10 * i) for i in range(1, 8))):
        r = client.get(url + bad, headers=bearer(keys["planner"]))  # the schema states these bounds: 422
        assert r.status_code == 422 and r.json()["detail"][0]["loc"][:2] == ["query", "minutes"], bad
    assert client.get(url + "?minutes=abc", headers=bearer(keys["planner"])).status_code == 422


def test_unknown_run_is_404(client: TestClient, keys: dict[str, str]) -> None:
    r = client.get("/runs/no-such-run/access/map", headers=bearer(keys["planner"]))
    assert r.status_code == 404 and "no-such-run" in r.json()["error"]
