"""Demand aggregation (DuckDB from Parquet) against a pandas recomputation and hand-computed cases."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from test_data_sample import CLUES, EXPANSION, PERIOD_WEEKS, SKUS, curp, sample_records, write_records

from optimizer.data.aggregate import medicine_demand, medicine_demand_weekly, records_period, surgical_demand
from optimizer.paths import REFERENCE_DIR


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("agg") / "records"
    enc, rx = sample_records(3000, seed=11)
    write_records(folder, enc, rx, parts=3)
    return folder, enc, rx


def test_surgical_demand_equals_pandas(records: tuple[Path, pd.DataFrame, pd.DataFrame]) -> None:
    folder, enc, _ = records
    procs = pd.read_csv(REFERENCE_DIR / "procedures.csv", dtype={"code": str})
    m = enc.dropna(subset=["procedure"]).merge(procs, left_on="procedure", right_on="code")
    k = EXPANSION / PERIOD_WEEKS
    want = m.groupby(["clues", "specialty"]).agg(
        procedures_per_week=("code", "size"), or_hours_per_week=("or_hours", "sum"),
        patients=("curp", "nunique")).reset_index()
    want[["procedures_per_week", "or_hours_per_week"]] *= k
    got = surgical_demand(folder, with_patients=True)
    assert list(got.columns) == ["clues", "specialty", "procedures_per_week", "or_hours_per_week", "patients"]
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert list(surgical_demand(folder).columns) == ["clues", "specialty", "procedures_per_week",
                                                     "or_hours_per_week"]


def test_medicine_demand_equals_pandas(records: tuple[Path, pd.DataFrame, pd.DataFrame]) -> None:
    folder, enc, rx = records
    want = rx.groupby(["clues", "sku"])["units"].sum().mul(EXPANSION / PERIOD_WEEKS).rename("units_per_week")
    got = medicine_demand(folder).set_index(["clues", "sku"])["units_per_week"]
    pd.testing.assert_series_equal(got, want, check_dtype=False)
    patients = rx.merge(enc[["record_id", "curp"]], on="record_id").groupby(["clues", "sku"])["curp"].nunique()
    got_p = medicine_demand(folder, with_patients=True).set_index(["clues", "sku"])["patients"]
    pd.testing.assert_series_equal(got_p, patients, check_dtype=False, check_names=False)


def test_weekly_medicine_demand_sums_to_the_period(records: tuple[Path, pd.DataFrame, pd.DataFrame]) -> None:
    folder, _, rx = records
    weekly = medicine_demand_weekly(folder)
    assert list(weekly.columns) == ["clues", "sku", "week", "units"]
    assert weekly["week"].nunique() == PERIOD_WEEKS
    assert (pd.to_datetime(weekly["week"]).dt.day_of_week == 0).all()  # Mondays
    assert weekly["units"].sum() == pytest.approx(rx["units"].sum() * EXPANSION)
    w = rx.assign(week=pd.to_datetime(rx["date"]).dt.to_period("W-SUN").dt.start_time)
    want = w.groupby(["clues", "sku", "week"])["units"].sum() * EXPANSION
    got = weekly.assign(week=pd.to_datetime(weekly["week"])).set_index(["clues", "sku", "week"])["units"]
    pd.testing.assert_series_equal(got, want, check_dtype=False, check_index_type=False)


def test_hand_computed_case_and_period_from_the_data(tmp_path: Path) -> None:
    # 3 appendectomies (1.25 OR h each) and 1 caesarean (1.0 h) at one hospital over 14 days, no _meta.json:
    # 2 weeks, expansion 1 -> 1.5 procedures/week general surgery (1.875 OR h), 0.5 gyn-obstetrics (0.5 h).
    p = curp("GOMA850101MOCRRN0")
    enc = pd.DataFrame({
        "record_id": [1, 2, 3, 4, 5], "curp": [p] * 5, "clues": [CLUES[0]] * 5,
        "date": [date(2024, 3, 4), date(2024, 3, 6), date(2024, 3, 10), date(2024, 3, 12), date(2024, 3, 17)],
        "age": [30] * 5, "sex": ["F"] * 5, "icd10": ["K35.8", "K35.8", "K35.8", "O82.0", "I10"],
        "procedure": ["47.09", "47.01", "47.09", "74.1", None],
    })
    rx = pd.DataFrame({"record_id": [1, 5], "clues": [CLUES[0]] * 2, "date": [date(2024, 3, 4)] * 2,
                       "sku": [SKUS[0], SKUS[0]], "units": [3, 7]})
    write_records(tmp_path / "r", enc, rx, parts=1)
    (tmp_path / "r" / "_meta.json").unlink()
    period = records_period(tmp_path / "r")
    assert (period.start, period.end, period.weeks, period.expansion_factor) == (
        date(2024, 3, 4), date(2024, 3, 17), 2.0, 1.0)
    got = surgical_demand(tmp_path / "r").set_index("specialty")
    assert got.loc["general_surgery", "procedures_per_week"] == pytest.approx(1.5)
    assert got.loc["general_surgery", "or_hours_per_week"] == pytest.approx(1.875)
    assert got.loc["gyn_obstetrics", "procedures_per_week"] == pytest.approx(0.5)
    assert medicine_demand(tmp_path / "r")["units_per_week"].tolist() == [5.0]
    # With _meta.json the expansion factor scales everything.
    (tmp_path / "r" / "_meta.json").write_text(json.dumps({"weeks": 2, "expansion_factor": 40,
                                                           "start_date": "2024-03-04",
                                                           "end_date": "2024-03-17"}))
    assert medicine_demand(tmp_path / "r")["units_per_week"].tolist() == [200.0]
