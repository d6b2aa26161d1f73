"""The synthetic dataset: counts from the sources, real geography, valid identifiers, determinism by seed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from optimizer.data import reference
from optimizer.data.generate import TOP_ORIGINS, GeneratorConfig, generate
from optimizer.domain import CLUES_RE, is_valid_curp

CODES = {"cve_ent": str, "cvegeo": str, "home_state": str, "home_cvegeo": str, "willing_states": str}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ds")
    generate(out, GeneratorConfig(seed=7, n_records=20_000, records_chunk=8_000))
    return out


def _read(ds: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(ds / f"{name}.csv", dtype=CODES, keep_default_na=False, na_values=[""])


def test_counts_match_the_sources(dataset: Path) -> None:
    fac = _read(dataset, "facilities")
    spec = _read(dataset, "specialists")
    assert int(fac["program"].sum()) == 282
    rec = spec[spec["status"] == "recruit"]
    assert len(rec) == 3244
    assert abs((rec["sex"] == "F").mean() - 0.54) <= 0.01
    origins = rec["home_state"].value_counts()
    for ent, n in TOP_ORIGINS.items():
        assert origins[ent] == n
    # The published top five are the five largest origins.
    assert set(origins.nlargest(5).index) == set(TOP_ORIGINS)
    planned = fac[fac["status"] == "planned"]
    assert (planned["kind"] == "hospital").sum() == 9
    assert (planned["kind"] == "umf").sum() == 6
    assert len(_read(dataset, "medicines")) == 200


def test_program_hospitals_sit_in_real_vulnerable_municipalities(dataset: Path) -> None:
    fac = _read(dataset, "facilities")
    prog = fac[fac["program"]]
    mun = reference.municipalities().set_index("cvegeo")
    network = set(reference.states().query("imss_bienestar")["cve_ent"])
    assert prog["cvegeo"].is_unique
    assert set(prog["cve_ent"]) <= network
    degrees = mun.loc[prog["cvegeo"], "marginalisation_degree_2020"]
    assert degrees.isin(["Alto", "Muy alto"]).mean() >= 0.95
    # Near the municipal seat (within ~5 km): on land, near a real place.
    dlat = (prog["lat"].to_numpy() - mun.loc[prog["cvegeo"], "lat"].to_numpy()) * 111
    assert (abs(dlat) < 5).all()


def test_identifiers_are_well_formed(dataset: Path) -> None:
    fac = _read(dataset, "facilities")
    spec = _read(dataset, "specialists")
    assert fac["clues"].is_unique
    assert fac["clues"].map(lambda c: bool(CLUES_RE.match(c))).all()
    assert spec["specialist_id"].is_unique
    assert spec["curp"].map(is_valid_curp).all()
    enc = pq.read_table(dataset / "records" / "encounters").to_pandas()
    assert len(enc) == 20_000
    assert enc["record_id"].is_unique
    assert enc["curp"].map(is_valid_curp).all()
    assert set(enc["clues"]) <= set(fac["clues"])
    in_post = spec[spec["status"] == "in_post"]
    assert set(in_post["facility_clues"]) <= set(fac["clues"])


def test_records_have_surgery_seasonality_and_prescriptions(dataset: Path) -> None:
    enc = pq.read_table(dataset / "records" / "encounters").to_pandas()
    rx = pq.read_table(dataset / "records" / "prescriptions").to_pandas()
    procs = set(reference.procedures()["code"])
    assert set(enc["procedure"].dropna()) <= procs
    assert 0.15 < enc["procedure"].notna().mean() < 0.35
    resp = enc[enc["icd10"].str.startswith(("J", "U07"))]
    month = pd.to_datetime(resp["date"]).dt.month
    winter = month.isin([11, 12, 1, 2]).mean()
    assert winter > 0.45  # 4 of 12 months would be 0.33 without a flu season
    assert set(rx["record_id"]) <= set(enc["record_id"])
    assert (rx["units"] > 0).all()


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*.csv")):
        h.update(path.read_bytes())
    for path in sorted(folder.rglob("*.parquet")):
        h.update(pq.read_table(path).to_pandas().to_csv().encode())
    return h.hexdigest()


def test_generator_is_deterministic_by_seed(tmp_path: Path) -> None:
    cfg = GeneratorConfig(seed=11, n_records=3_000)
    generate(tmp_path / "a", cfg)
    generate(tmp_path / "b", cfg)
    generate(tmp_path / "c", GeneratorConfig(seed=12, n_records=3_000))
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_a_smaller_pool_keeps_the_published_origin_proportions(tmp_path: Path) -> None:
    generate(tmp_path, GeneratorConfig(seed=3, n_records=500, recruits=400))
    rec = _read(tmp_path, "specialists").query("status == 'recruit'")
    assert len(rec) == 400
    origins = rec["home_state"].value_counts()
    assert origins["09"] >= origins["15"]  # Mexico City stays ahead of Estado de México
    assert set(origins.index) <= set(TOP_ORIGINS)


def test_a_small_network_for_tests_is_generated(tmp_path: Path) -> None:
    generate(tmp_path, GeneratorConfig(seed=3, n_records=500, program_hospitals=12))
    assert int(_read(tmp_path, "facilities")["program"].sum()) == 12
