"""Travel-time matrix: symmetry, triangle sanity, terrain, speed classes, cache, national size; OD loader."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from optimizer.access.odmatrix import OdMatrixError, load_od_matrix
from optimizer.access.scope import municipalities_in_scope
from optimizer.access.settings import TravelSettings
from optimizer.access.travel import Points, road_minutes, travel_minutes


@pytest.fixture(scope="module")
def munis() -> pd.DataFrame:
    return municipalities_in_scope()


def _points(df: pd.DataFrame) -> Points:
    return Points.of(df["lat"], df["lon"], df["cve_ent"])


def test_symmetric_with_zero_diagonal(munis: pd.DataFrame) -> None:
    p = _points(munis.sample(300, random_state=1))
    t = travel_minutes(p, p)
    assert np.allclose(t, t.T)
    assert np.allclose(np.diag(t), 0.0)
    assert (t >= 0).all()


def test_triangle_inequality_within_one_terrain(munis: pd.DataFrame) -> None:
    # Plain states only (factor 1): the concave road-class profile keeps the triangle inequality exactly.
    plain = munis[munis["cve_ent"].isin(["19", "26", "31", "05"])].sample(120, random_state=2)
    t = travel_minutes(_points(plain), _points(plain))
    via = (t[:, :, None] + t[None, :, :]).min(axis=1)
    assert (t <= via + 1e-9).all()


def test_mountain_states_are_slower() -> None:
    # Same two points, labelled as a plain state (Sonora) or a mountain state (Oaxaca).
    a, b = (17.06, -96.72), (17.50, -97.20)
    plain = travel_minutes(Points.of([a[0]], [a[1]], ["26"]), Points.of([b[0]], [b[1]], ["26"]))[0, 0]
    mountain = travel_minutes(Points.of([a[0]], [a[1]], ["20"]), Points.of([b[0]], [b[1]], ["20"]))[0, 0]
    assert mountain == pytest.approx(plain * TravelSettings().mountain_factor)


def test_road_class_profile_by_hand() -> None:
    s = TravelSettings()
    # 10 km local at 30 km/h = 20 min; 40 km state road at 55 km/h; 50 km highway at 80 km/h.
    expected = 20.0 + 40 / 55 * 60 + 50 / 80 * 60
    assert road_minutes(np.array([100.0]), s)[0] == pytest.approx(expected)
    assert road_minutes(np.array([5.0]), s)[0] == pytest.approx(10.0)
    km = np.linspace(0, 500, 200)
    mins = road_minutes(km, s)
    assert (np.diff(mins) > 0).all() and (np.diff(mins, 2) <= 1e-9).all()  # increasing and concave


def test_speeds_must_not_fall_with_road_class() -> None:
    with pytest.raises(ValueError, match="speeds must not fall"):
        TravelSettings(local_kmh=90.0)


def test_national_matrix_well_under_a_second_and_cached(munis: pd.DataFrame) -> None:
    rng = np.random.default_rng(0)
    hosp = munis.sample(400, random_state=3)
    dest = Points.of(hosp["lat"] + rng.normal(0, 0.01, len(hosp)), hosp["lon"], hosp["cve_ent"])
    t0 = time.perf_counter()
    first = travel_minutes(_points(munis), dest)
    elapsed = time.perf_counter() - t0
    assert first.shape == (2469, 400)
    assert elapsed < 1.0, f"2,469 x 400 matrix took {elapsed:.3f} s"
    assert travel_minutes(_points(munis), dest) is first  # served from the cache


def test_od_matrix_loads_and_names_bad_rows(tmp_path, munis: pd.DataFrame) -> None:
    origins = munis["cvegeo"].head(3).tolist()
    dests = ["OCIMB000001", "OCIMB000002"]
    rows = [(o, d, 10.0 * (i + 1) + j) for i, o in enumerate(origins) for j, d in enumerate(dests)]
    df = pd.DataFrame(rows, columns=["origin", "destination", "minutes"]).astype({"minutes": object})
    df.loc[1, "minutes"] = "abc"          # row 2: not a number
    df.loc[3, "destination"] = "XXIMB000009"  # row 4: unknown destination
    df.loc[4, "minutes"] = -5             # row 5: negative
    df = pd.concat([df, df.iloc[[0]]], ignore_index=True)  # row 7: duplicate pair
    path = tmp_path / "od.csv"
    df.to_csv(path, index=False)
    estimate = np.full((3, 2), 999.0)
    od = load_od_matrix(path, origins, dests, estimate)
    found = {(r.row, r.field) for r in od.rejects}
    assert found == {(2, "minutes"), (4, "destination"), (5, "minutes"), (7, "destination")}
    assert all(str(path) in str(r) and "row" in str(r) for r in od.rejects)
    assert od.rows_loaded == 3 and od.pairs_estimated == 3
    assert od.minutes[0, 0] == 10.0 and od.minutes[2, 1] == 31.0
    assert od.minutes[0, 1] == 999.0  # rejected row -> estimate


def test_od_matrix_parquet_and_errors(tmp_path, munis: pd.DataFrame) -> None:
    origins = munis["cvegeo"].head(2).tolist()
    df = pd.DataFrame({"origin": origins, "destination": ["H1", "H1"], "minutes": [5.0, 7.5]})
    df.to_parquet(tmp_path / "od.parquet")
    od = load_od_matrix(tmp_path / "od.parquet", origins, ["H1"])
    assert od.minutes[:, 0].tolist() == [5.0, 7.5] and not od.rejects
    with pytest.raises(OdMatrixError, match="missing"):
        load_od_matrix(tmp_path / "od.parquet", origins, ["H1", "H2"])  # pairs missing, no estimate
    df.drop(columns="minutes").to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(OdMatrixError, match="missing column"):
        load_od_matrix(tmp_path / "bad.csv", origins, ["H1"])
