"""A small, fully valid dataset folder built in code, shared by the data-layer tests.

Four facilities in Oaxaca and Chiapas, three medicines, one depot and vehicle, four specialists, stock,
and ``n`` random encounters (two Parquet files) with prescriptions over a 4-week period. Other test modules
import :func:`write_sample_dataset`; the test below checks the sample itself loads without a reject.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from optimizer.data.loaders import load_dataset_files
from optimizer.data.record_checks import validate_records
from optimizer.domain import curp_check_digit

PERIOD_START = date(2024, 1, 1)
PERIOD_WEEKS = 4
EXPANSION = 10.0
CLUES = ["OCIMB000001", "OCIMB000002", "CSIMB000003", "CSIMB000004"]
SKUS = ["010.000.0104.00", "010.000.0106.00", "040.000.1234.00"]
PROCEDURES = ["47.09", "51.23", "74.1", "79.35", "53.02", "43.3"]
ICD10 = ["K35.8", "O82.0", "S72.0", "J18.9", "I10"]

ENCOUNTER_SCHEMA = pa.schema([
    ("record_id", pa.int64()), ("curp", pa.string()), ("clues", pa.string()), ("date", pa.date32()),
    ("age", pa.int16()), ("sex", pa.string()), ("icd10", pa.string()), ("procedure", pa.string()),
])
PRESCRIPTION_SCHEMA = pa.schema([
    ("record_id", pa.int64()), ("clues", pa.string()), ("date", pa.date32()), ("sku", pa.string()),
    ("units", pa.int32()),
])


def curp(first17: str) -> str:
    """A CURP with the right check digit appended."""
    return first17 + curp_check_digit(first17)


STATES = pd.DataFrame([
    {"cve_ent": "07", "name": "Chiapas", "abbreviation": "CHIS", "capital": "Tuxtla Gutiérrez",
     "capital_lat": 16.75, "capital_lon": -93.12, "population_2020": 5543828, "marginalisation_degree": "Muy alto",
     "imss_bienestar": "True"},
    {"cve_ent": "09", "name": "Ciudad de México", "abbreviation": "CDMX", "capital": "Ciudad de México",
     "capital_lat": 19.43, "capital_lon": -99.13, "population_2020": 9209944, "marginalisation_degree": "Muy bajo",
     "imss_bienestar": "True"},
    {"cve_ent": "20", "name": "Oaxaca", "abbreviation": "OAX", "capital": "Oaxaca de Juárez",
     "capital_lat": 17.06, "capital_lon": -96.73, "population_2020": 4132148, "marginalisation_degree": "Muy alto",
     "imss_bienestar": "True"},
])


def _facility(clues: str, kind: str, cve_ent: str, cvegeo: str, lat: float, lon: float, ors: int) -> dict:
    return {"clues": clues, "name": f"Unidad {clues}", "kind": kind, "cve_ent": cve_ent, "cvegeo": cvegeo,
            "lat": lat, "lon": lon, "beds": 10 * ors, "operating_rooms": ors, "emergency_bays": ors,
            "marginalisation_degree": "Alto", "remote": "false", "program": str(ors > 0).lower(),
            "status": "open", "opening_year": 2010, "open_minute": 420, "close_minute": 1140}


FACILITIES = pd.DataFrame([
    _facility(CLUES[0], "hospital", "20", "20067", 17.06, -96.72, 2),
    _facility(CLUES[1], "hospital", "20", "20001", 17.49, -96.63, 1),
    _facility(CLUES[2], "umf", "07", "07101", 16.75, -93.11, 0),
    _facility(CLUES[3], "pharmacy", "07", "07001", 15.34, -92.67, 0),
])

MEDICINES = pd.DataFrame([
    {"sku": s, "name": n, "presentation": "caja 10", "group": g, "volume_l": 0.05, "weight_kg": 0.04,
     "cold_chain": c, "criticality": k, "shelf_life_days": 730, "unit_cost_mxn": 12.5}
    for s, n, g, c, k in zip(SKUS, ["Paracetamol", "Metamizol", "Ceftriaxona"],
                             ["analgesia", "analgesia", "antibiotics"], ["0", "0", "1"],
                             ["essential", "other", "vital"], strict=True)
])

DEPOTS = pd.DataFrame([{"depot_id": "D001", "name": "CEDIS Oaxaca", "cve_ent": "20", "lat": 17.06,
                        "lon": -96.72, "capacity_m3": 900.0, "cold_capacity_m3": 40.0, "status": "open"}])

VEHICLES = pd.DataFrame([{"vehicle_id": "V0001", "depot_id": "D001", "capacity_m3": 18.0, "capacity_kg": 3500.0,
                          "cold_chain": "true", "shift_start_min": 360, "shift_end_min": 1080, "cost_per_km": 9.5,
                          "fixed_cost": 1200.0, "speed_kmh": 45.0}])

SPECIALIST_CURPS = [curp("GOMA850101MOCRRN0"), curp("PELJ790315HJCRPN0"), curp("RUSA900720MDFZNL0"),
                    curp("HEBC881111HCSRNR0")]

SPECIALISTS = pd.DataFrame([
    {"specialist_id": "S000001", "curp": SPECIALIST_CURPS[0], "specialty": "general_surgery", "sex": "F",
     "home_state": "09", "home_cvegeo": "09015", "status": "recruit", "facility_clues": "", "weekly_hours": 40,
     "willing_states": "20;07", "max_km": "", "incentive_mxn": 28000},
    {"specialist_id": "S000002", "curp": SPECIALIST_CURPS[1], "specialty": "anaesthesiology", "sex": "M",
     "home_state": "09", "home_cvegeo": "09015", "status": "recruit", "facility_clues": "", "weekly_hours": 36,
     "willing_states": "", "max_km": "800", "incentive_mxn": 30000},
    {"specialist_id": "S000003", "curp": SPECIALIST_CURPS[2], "specialty": "surgical_nursing", "sex": "F",
     "home_state": "20", "home_cvegeo": "20067", "status": "in_post", "facility_clues": CLUES[0],
     "weekly_hours": 40, "willing_states": "", "max_km": "", "incentive_mxn": 0},
    {"specialist_id": "S000004", "curp": SPECIALIST_CURPS[3], "specialty": "gyn_obstetrics", "sex": "M",
     "home_state": "07", "home_cvegeo": "07101", "status": "in_post", "facility_clues": CLUES[1],
     "weekly_hours": 48, "willing_states": "", "max_km": "", "incentive_mxn": 0},
])

STOCK = pd.DataFrame([
    {"location": "D001", "sku": SKUS[0], "units": 5000, "expiry_date": "2026-06-30"},
    {"location": "D001", "sku": SKUS[2], "units": 800, "expiry_date": "2026-01-31"},
    {"location": CLUES[0], "sku": SKUS[0], "units": 120, "expiry_date": "2026-03-31"},
])


def sample_records(n: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` valid encounters over the 4-week period and 0-2 prescriptions each; ~30% repeat patients."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("BCDFGHJKLMNPRSTVZ"))
    people = []
    for _ in range(max(n // 3, 1)):
        a, b, c = rng.choice(letters, 3)
        people.append(curp(f"{a}A{b}{c}{rng.integers(50, 99):02d}0{rng.integers(1, 9)}1"
                           f"{rng.integers(1, 2)}{rng.choice(['H', 'M'])}OC{b}{c}{a}0"))
    days = rng.integers(0, 7 * PERIOD_WEEKS, n)
    proc = np.where(rng.random(n) < 0.4, rng.choice(PROCEDURES, n), None)
    enc = pd.DataFrame({
        "record_id": np.arange(1, n + 1, dtype=np.int64),
        "curp": rng.choice(people, n),
        "clues": rng.choice(CLUES, n, p=[0.5, 0.3, 0.15, 0.05]),
        "date": [PERIOD_START + timedelta(days=int(d)) for d in days],
        "age": rng.integers(0, 90, n).astype(np.int16),
        "sex": rng.choice(["F", "M"], n),
        "icd10": rng.choice(ICD10, n),
        "procedure": proc,
    })
    lines = rng.integers(0, 3, n)
    idx = np.repeat(np.arange(n), lines)
    rx = pd.DataFrame({
        "record_id": enc["record_id"].to_numpy()[idx],
        "clues": enc["clues"].to_numpy()[idx],
        "date": enc["date"].to_numpy()[idx],
        "sku": rng.choice(SKUS, len(idx)),
        "units": rng.integers(1, 30, len(idx)).astype(np.int32),
    })
    return enc, rx


def write_records(records_dir: Path, enc: pd.DataFrame, rx: pd.DataFrame, parts: int = 2) -> None:
    """Write encounters and prescriptions as ``parts`` Parquet files each, plus ``_meta.json``."""
    for name, df, schema in (("encounters", enc, ENCOUNTER_SCHEMA), ("prescriptions", rx, PRESCRIPTION_SCHEMA)):
        folder = records_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        for i, chunk in enumerate(np.array_split(np.arange(len(df)), parts)):
            table = pa.Table.from_pandas(df.iloc[chunk].reset_index(drop=True), schema=schema, preserve_index=False)
            pq.write_table(table, folder / f"part-{i:05d}.parquet")
    end = PERIOD_START + timedelta(days=7 * PERIOD_WEEKS - 1)
    meta = {"n_records": len(enc), "start_date": PERIOD_START.isoformat(), "end_date": end.isoformat(),
            "weeks": float(PERIOD_WEEKS), "expansion_factor": EXPANSION}
    (records_dir / "_meta.json").write_text(json.dumps(meta))


def write_sample_dataset(folder: Path, n_records: int = 400, seed: int = 7) -> Path:
    """Write the whole sample dataset folder and return it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in (("states", STATES), ("facilities", FACILITIES), ("medicines", MEDICINES),
                     ("depots", DEPOTS), ("vehicles", VEHICLES), ("specialists", SPECIALISTS), ("stock", STOCK)):
        df.to_csv(folder / f"{name}.csv", index=False)
    enc, rx = sample_records(n_records, seed)
    write_records(folder / "records", enc, rx)
    return folder


def test_sample_dataset_is_clean(tmp_path: Path) -> None:
    folder = write_sample_dataset(tmp_path / "ds")
    tables = load_dataset_files(folder)
    assert [r.message() for r in tables.rejects] == []
    assert tables.counts()["facilities"] == {"read": 4, "kept": 4, "rejected": 0}
    check = validate_records(folder / "records", CLUES, SKUS)
    assert list(check.rejects()) == []
    assert check.counts["encounters"] == {"read": 400, "kept": 400, "rejected": 0}
