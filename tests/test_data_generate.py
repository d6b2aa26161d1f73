"""The generated dataset: the real CLUES network, counts from the sources, valid identifiers, determinism."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from optimizer.data import reference
from optimizer.data.generate import (
    PROGRAM_DEGREE_POINTS,
    PROGRAM_TYPOLOGIES,
    TOP_ORIGINS,
    GeneratorConfig,
    generate,
)
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
    # The planned units are the catalogue's units in construction or pending (2 hospitals, 3 primary care).
    cat = reference.clues_catalogue()
    pending = cat[cat["status"].isin(["EN PROCESO DE CONSTRUCCION", "PENDIENTE DE ENTRAR EN OPERACION"])]
    planned = fac[fac["status"] == "planned"]
    assert set(planned["clues"]) <= set(pending["clues"])
    assert (planned["kind"] == "hospital").sum() == 2
    assert (planned["kind"] == "umf").sum() == 3
    assert (fac["kind"] == "umf").sum() == 650 + 3
    assert len(_read(dataset, "medicines")) == 200


def test_facilities_are_the_real_clues_units(dataset: Path) -> None:
    """Acceptance (issue 19): every hospital and primary-care unit is a CLUES unit with its published name and
    coordinates; all operating real hospitals are present; 282 of them are program hospitals."""
    fac = _read(dataset, "facilities")
    cat = reference.clues_catalogue().set_index("clues")
    real = fac[fac["kind"].isin(["hospital", "umf"])]
    assert real["clues"].isin(cat.index).all()
    ref = cat.loc[real["clues"]]
    assert (real["name"].to_numpy() == ref["name"].to_numpy()).all()
    assert (abs(real["lat"].to_numpy() - ref["lat"].to_numpy()) < 1e-9).all()
    assert (abs(real["lon"].to_numpy() - ref["lon"].to_numpy()) < 1e-9).all()
    assert (real["typology"].to_numpy() == ref["typology"].to_numpy()).all()
    assert (real["cvegeo"].to_numpy() == ref["cvegeo_2020"].to_numpy()).all()
    operating = cat[cat["typology"].str.contains("HOSPITAL") & cat["status"].eq("EN OPERACION")]
    assert len(operating) == 608
    hosp = fac[fac["kind"] == "hospital"]
    assert set(operating.index) == set(hosp.loc[hosp["status"] == "open", "clues"])
    assert int(hosp["program"].sum()) == 282
    assert (hosp.loc[hosp["program"], "status"] == "open").all()
    assert not fac["clues"].isin(cat.index[cat["status"] == "FUERA DE OPERACION"]).any()
    # Sizes follow the bed-band rules: every program hospital can operate, beds within the band.
    assert (hosp.loc[hosp["program"], "operating_rooms"] >= 1).all()
    band = cat.loc[hosp["clues"], "bed_band"]
    assert (hosp.loc[band.eq("Grupo 7.1 (31-59 C)").to_numpy(), "beds"].between(31, 59)).all()


def test_program_hospitals_follow_the_documented_rule(dataset: Path) -> None:
    """The 282 are the general and community hospitals of the network states with the highest score
    (CONAPO degree points + rural + community): no hospital left out scores above one chosen."""
    fac = _read(dataset, "facilities")
    cat = reference.clues_catalogue().set_index("clues")
    network = set(reference.states().query("imss_bienestar")["cve_ent"])
    hosp = fac[(fac["kind"] == "hospital") & (fac["status"] == "open")].copy()
    hosp["typology_ref"] = cat.loc[hosp["clues"], "typology"].to_numpy()
    eligible = hosp[hosp["typology_ref"].isin(PROGRAM_TYPOLOGIES) & hosp["cve_ent"].isin(network)].copy()
    eligible["score"] = (eligible["marginalisation_degree"].map(PROGRAM_DEGREE_POINTS)
                         + cat.loc[eligible["clues"], "stratum"].eq("RURAL").to_numpy()
                         + eligible["typology_ref"].eq("HOSPITAL INTEGRAL (COMUNITARIO)"))
    prog = eligible[eligible["program"]]
    assert len(prog) == 282 == int(hosp["program"].sum())
    assert prog["score"].min() >= eligible.loc[~eligible["program"], "score"].max()
    # Every operating general/community hospital in a Muy alto municipality is in the programme.
    assert eligible.loc[eligible["marginalisation_degree"] == "Muy alto", "program"].all()


def test_pharmacies_stand_beside_real_primary_care_units(dataset: Path) -> None:
    fac = _read(dataset, "facilities")
    pharm = fac[fac["kind"] == "pharmacy"]
    assert len(pharm) == 320
    cat = reference.clues_catalogue()
    units = cat[cat["status"].eq("EN OPERACION") & cat["level"].eq("PRIMER NIVEL")]
    d = ((pharm["lat"].to_numpy()[:, None] - units["lat"].to_numpy()[None, :]) ** 2
         + (pharm["lon"].to_numpy()[:, None] - units["lon"].to_numpy()[None, :]) ** 2) ** 0.5 * 111
    assert (d.min(axis=1) < 1.0).all()  # within 1 km of a real unit


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
    generate(tmp_path, GeneratorConfig(seed=3, n_records=500, program_hospitals=12, other_hospitals_per_state=1,
                                       umfs=40, pharmacies=20))
    fac = _read(tmp_path, "facilities")
    hosp = fac[(fac["kind"] == "hospital") & (fac["status"] == "open")]
    assert int(fac["program"].sum()) == 12
    assert (hosp[~hosp["program"]].groupby("cve_ent").size() <= 1).all()
    assert (fac["kind"] == "umf").sum() == 40 + 3  # 40 operating + the planned ones
