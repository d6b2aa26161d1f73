"""Runs through the API with real worker processes: progress, KPIs, plans in three formats, compare,
cancel, the concurrency limit, and scenarios created from a base with overrides."""

from __future__ import annotations

import io
import json
import os
import shutil
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from test_api_support import api_fixtures, bearer, wait_run

from api.db import engine_for
from optimizer.data.store import RunRow

home, keys, client = api_fixtures("runs", max_concurrent_runs=1, retry_after_s=7, cancel_grace_s=1.0)


@pytest.fixture(scope="module")
def finished_run(client: TestClient, keys: dict[str, str]) -> dict:
    r = client.post("/runs", json={"scenario": "api-small"}, headers=bearer(keys["planner"]))
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/runs/{r.json()['run_id']}"
    assert r.json()["status"] == "queued"
    waiting = client.post("/runs", json={"scenario": "api-small"}, headers=bearer(keys["planner"]))
    assert waiting.status_code == 202 and waiting.json()["status"] == "queued"  # past the limit: queued, not 429
    assert waiting.json()["queue_position"] in (1, 2)  # 2 while the first still waits for the dispatcher
    cancelled = client.post(f"/runs/{waiting.json()['run_id']}/cancel", headers=bearer(keys["planner"]))
    assert cancelled.status_code == 202 and cancelled.json()["status"] == "cancelled"
    doc = wait_run(lambda i: client.get(f"/runs/{i}", headers=bearer(keys["hr"])).json(), r.json()["run_id"])
    assert doc["status"] == "finished", doc
    return doc


def test_stages_report_progress(finished_run: dict) -> None:
    stages = finished_run["stages"]
    assert list(stages) == ["demand", "capacity", "access"]
    assert stages["capacity"]["status"] == "optimal"
    for name, s in stages.items():
        assert s["status"] not in ("pending", "running"), name
        assert s["seconds"] is not None and s["seconds"] >= 0
    assert finished_run["outcome"] == "ok" and finished_run["has_kpis"]


def test_kpis_match_run_folder_and_store(client: TestClient, keys: dict[str, str], finished_run: dict,
                                         home: Path) -> None:
    kpis = client.get(f"/runs/{finished_run['run_id']}/kpis", headers=bearer(keys["planner"])).json()
    run_dirs = list((home / "runs").glob("api-small-*"))
    on_disk = [json.loads((d / "kpis.json").read_text()) for d in run_dirs if (d / "kpis.json").exists()]
    assert kpis in on_disk
    with Session(engine_for()) as session:
        stored = [r.kpis for r in session.query(RunRow).filter(RunRow.status == "ok")]
    assert any(s["capacity"]["rooms_staffable_24_7"] == kpis["capacity"]["rooms_staffable_24_7"] for s in stored)
    assert kpis["capacity"]["certified_optimal"] is True


def test_plans_in_three_formats(client: TestClient, keys: dict[str, str], finished_run: dict) -> None:
    rid = finished_run["run_id"]
    tables = client.get(f"/runs/{rid}/plans", headers=bearer(keys["planner"])).json()
    hospitals = next(t for t in tables if (t["stage"], t["table"]) == ("capacity", "hospitals"))
    assert hospitals["readable"] and hospitals["rows"] > 0
    url = f"/runs/{rid}/plans/capacity/hospitals"
    page = client.get(url, headers=bearer(keys["planner"])).json()
    csv = client.get(url + "?format=csv", headers=bearer(keys["planner"]))
    assert csv.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.BytesIO(csv.content))
    assert page["total"] == len(frame) == hospitals["rows"]
    assert [r["clues"] for r in page["rows"]] == list(frame["clues"])
    assert sum(r["rooms_24_7"] for r in page["rows"]) == frame["rooms_24_7"].sum()
    xlsx = client.get(url + "?format=xlsx", headers=bearer(keys["planner"]))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.values)
    assert list(values[0]) == list(frame.columns) and len(values) - 1 == len(frame)
    part = client.get(url + "?limit=3&offset=2", headers=bearer(keys["planner"])).json()
    assert [r["clues"] for r in part["rows"]] == list(frame["clues"][2:5])
    part_csv = pd.read_csv(io.BytesIO(client.get(url + "?format=csv&limit=3&offset=2",
                                                 headers=bearer(keys["planner"])).content))
    assert list(part_csv["clues"]) == list(frame["clues"][2:5])
    assert client.get(f"/runs/{rid}/plans/capacity/nope", headers=bearer(keys["planner"])).status_code == 404
    assert client.get(f"/runs/{rid}/plans/capacity/..%2F..%2Fkpis", headers=bearer(keys["planner"])).status_code == 404


def test_compare_equals_recomputation(client: TestClient, keys: dict[str, str], finished_run: dict) -> None:
    rid = finished_run["run_id"]
    plan = client.get(f"/runs/{rid}/plans/capacity/hospitals?format=csv", headers=bearer(keys["planner"]))
    hospitals = pd.read_csv(io.BytesIO(plan.content))
    doc = client.get(f"/compare?a={rid}&b={rid}", headers=bearer(keys["planner"])).json()
    by_key = {r["key"]: r for r in doc["kpis"]}
    n247 = float((hospitals["rooms_24_7"] >= 1).sum())
    assert (by_key["hospitals_24_7"]["a"], by_key["hospitals_24_7"]["b"]) == (n247, n247)
    assert by_key["rooms_24_7"]["a"] == float(hospitals["rooms_24_7"].sum())
    assert all(r["delta"] in (0, None) and r["better"] is None for r in doc["kpis"])
    assert by_key["deployed"]["a"] is None  # the scenario ran no deployment
    assert doc["by_state"] and doc["scenario_a"] == "api-small"


def test_cancel_stops_the_worker(client: TestClient, keys: dict[str, str], finished_run: dict) -> None:
    r = client.post("/runs", json={"scenario": "api-small"}, headers=bearer(keys["admin"]))
    assert r.status_code == 202
    rid = r.json()["run_id"]
    time.sleep(0.5)
    c = client.post(f"/runs/{rid}/cancel", headers=bearer(keys["planner"]))
    assert c.status_code == 202 and c.json()["status"] == "cancelling"
    doc = wait_run(lambda i: client.get(f"/runs/{i}", headers=bearer(keys["planner"])).json(), rid, 30)
    assert doc["status"] == "cancelled"
    assert client.get("/health").json()["runs_executing"] == 0
    assert client.post(f"/runs/{rid}/cancel", headers=bearer(keys["planner"])).status_code == 409
    assert client.get(f"/runs/{rid}/kpis", headers=bearer(keys["planner"])).status_code == 409


def test_scenario_from_base_with_overrides(client: TestClient, keys: dict[str, str]) -> None:
    h = bearer(keys["planner"])
    body = {"name": "api-small-b", "base": "api-small", "overrides": {"capacity": {"time_limit_s": 5}, "seed": 9}}
    r = client.post("/scenarios", json=body, headers=h)
    assert r.status_code == 201, r.text
    resolved = r.json()["resolved"]
    assert resolved["capacity"]["time_limit_s"] == 5 and resolved["seed"] == 9
    assert resolved["models"] == ["capacity", "access"] and resolved["name"] == "api-small-b"
    assert client.post("/scenarios", json=body, headers=h).status_code == 409
    names = [s["name"] for s in client.get("/scenarios", headers=h).json()]
    assert names == ["api-small", "api-small-b"]
    bad = client.post("/scenarios", json={"name": "bad-one", "base": "api-small",
                                          "overrides": {"capacity": {"time_limit": 5}}}, headers=h)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-2:] == ["capacity", "time_limit"]


def test_validate_reports_lines(client: TestClient, keys: dict[str, str]) -> None:
    text = "name: ok\nmodels: [capacity]\ncapacity:\n  time_limit_s: -1\n"
    r = client.post("/scenarios/validate", json={"yaml": text}, headers=bearer(keys["planner"])).json()
    assert not r["valid"] and r["errors"][0].startswith("scenario.yaml: línea 4: capacity.time_limit_s"), r
    en = client.post("/scenarios/validate", json={"yaml": text},
                     headers={**bearer(keys["planner"]), "Accept-Language": "en"}).json()
    assert en["errors"][0].startswith("scenario.yaml: line 4: capacity.time_limit_s"), en


def test_a_run_on_missing_data_fails_with_a_clear_message(client: TestClient, keys: dict[str, str],
                                                           finished_run: dict, tmp_path: Path) -> None:
    h = bearer(keys["planner"])
    gone = Path(os.environ["BIENESTAR_HOME"]) / "datasets" / "gone"
    gone.mkdir(parents=True)
    (gone / "facilities.csv").write_text("clues\n")
    body = {"name": "api-no-data", "base": "api-small", "overrides": {"dataset": {"path": "gone"}}}
    assert client.post("/scenarios", json=body, headers=h).status_code == 201
    shutil.rmtree(gone)  # the dataset the scenario names is removed before the run
    r = client.post("/runs", json={"scenario": "api-no-data"}, headers=h)
    assert r.status_code == 202, r.text
    doc = wait_run(lambda i: client.get(f"/runs/{i}", headers=h).json(), r.json()["run_id"], 60)
    assert doc["status"] == "failed" and "no contiene un conjunto de datos" in doc["error"], doc["error"]  # es first
    english = client.get(f"/runs/{doc['run_id']}", headers={**h, "Accept-Language": "en"}).json()["error"]
    assert "holds no dataset" in english, english
    for text in (doc["error"], english):
        assert "Traceback" not in text and str(gone.parent) not in text, text
    assert all(s["status"] != "running" for s in doc["stages"].values()), doc["stages"]
    assert client.get(f"/runs/{doc['run_id']}/kpis", headers=h).status_code == 409
