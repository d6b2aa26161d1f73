"""Vectorised record checks (DuckDB): each rule with a bad row, in the loaders' reject format."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_data_sample import CLUES, SKUS, sample_records, write_records

from optimizer.data.record_checks import RecordRules, curp_digit_ok, validate_records
from optimizer.data.rejects import DataFileError
from optimizer.domain import curp_check_digit

N = 40  # written as two Parquet files of 20 rows: row i is part-0000{i // 20}.parquet row i % 20 + 2


def where(i: int) -> tuple[str, int]:
    return f"encounters/part-{i // 20:05d}.parquet", i % 20 + 2


def check(tmp_path: Path, enc_changes: dict[int, dict], rx_changes: dict[int, dict] | None = None,
          rules: RecordRules | None = None):
    enc, rx = sample_records(N, seed=3)
    for i, changes in enc_changes.items():
        for col, value in changes.items():
            enc.loc[i, col] = value
    for i, changes in (rx_changes or {}).items():
        for col, value in changes.items():
            rx.loc[i, col] = value
    write_records(tmp_path / "records", enc, rx)
    return validate_records(tmp_path / "records", CLUES, SKUS, rules), enc, rx


ENCOUNTER_CASES = [
    (3, {"curp": "NOTACURP"}, "curp", "NOTA****", "does not match the CURP pattern (18 characters, RENAPO format)"),
    (24, {"clues": "OC12"}, "clues", "OC12", "is not a CLUES key (2-letter entity, 3-letter institution, 6 digits)"),
    (5, {"clues": "OCIMB999999"}, "clues", "OCIMB999999", "unknown facility (CLUES not in facilities)"),
    (6, {"date": date(1999, 12, 31)}, "date", "1999-12-31", "date missing or outside 2000-01-01..2024-12-31"),
    (7, {"age": 130}, "age", "130", "age missing or outside 0..120 years"),
    (33, {"sex": "X"}, "sex", "X", "sex must be F or M"),
    (9, {"icd10": "K358"}, "icd10", "K358", "is not an ICD-10 code (letter, 2 characters, optional .subcategory)"),
    (10, {"procedure": "99.99"}, "procedure", "99.99",
     "unknown CIE-9-MC procedure code (not in data/reference/procedures.csv)"),
]
RULES = RecordRules(date_min=date(2000, 1, 1), date_max=date(2024, 12, 31))


@pytest.mark.parametrize(("i", "changes", "field", "value", "reason"), ENCOUNTER_CASES,
                         ids=[c[2] + str(c[0]) for c in ENCOUNTER_CASES])
def test_encounter_rule(tmp_path: Path, i: int, changes: dict, field: str, value: str, reason: str) -> None:
    res, _, rx = check(tmp_path, {i: changes}, rules=RULES)
    file, row = where(i)
    rejects = [(r.file, r.row, r.field, r.value, r.reason) for r in res.rejects()]
    orphans = int((rx["record_id"] == i + 1).sum())  # its prescriptions lose their encounter
    assert rejects[0] == (file, row, field, value, reason)
    assert len(rejects) == 1 + orphans
    assert all(r[4] == "no valid encounter with this record_id" for r in rejects[1:])
    assert res.counts["encounters"] == {"read": N, "kept": N - 1, "rejected": 1}
    assert res.con.execute("SELECT count(*) FROM valid_encounters").fetchall()[0][0] == N - 1


def test_wrong_curp_check_digit_and_duplicate_id(tmp_path: Path) -> None:
    enc, _ = sample_records(N, seed=3)
    good = enc.loc[12, "curp"]
    bad = good[:17] + str((int(good[17]) + 1) % 10)
    res, _, _ = check(tmp_path, {12: {"curp": bad}, 30: {"record_id": 4}})
    got = {(r.file, r.row, r.field, r.reason) for r in res.rejects() if not r.file.startswith("prescriptions")}
    assert got == {
        (*where(12), "curp", "wrong CURP check digit"),
        (*where(30), "record_id", "missing or duplicate record_id (a duplicate repeats an earlier row's id)"),
    }
    assert all(good[4:] not in r.value for r in res.rejects())  # masked


def test_prescription_rules(tmp_path: Path) -> None:
    res, _, rx = check(tmp_path, {}, {0: {"record_id": 9999}, 1: {"clues": "CSIMB777777"},
                                      2: {"sku": "999.999.9999.99"}, 3: {"units": 0},
                                      4: {"date": date(2031, 1, 1)}}, rules=RULES)
    half = -(-len(rx) // 2)  # np.array_split puts the extra row in the first part
    assert half > 5
    got = [(r.file, r.row, r.field, r.value, r.reason) for r in res.rejects()]
    f = "prescriptions/part-00000.parquet"
    assert got == [
        (f, 2, "record_id", "9999", "no valid encounter with this record_id"),
        (f, 3, "clues", "CSIMB777777", "unknown facility (CLUES not in facilities)"),
        (f, 4, "sku", "999.999.9999.99", "unknown medicine (SKU not in medicines)"),
        (f, 5, "units", "0", "units missing or not positive"),
        (f, 6, "date", "2031-01-01", "date missing or outside 2000-01-01..2024-12-31"),
    ]
    assert res.counts["prescriptions"]["rejected"] == 5
    assert res.n_rejects == 5


def test_missing_column_and_missing_files(tmp_path: Path) -> None:
    enc, rx = sample_records(10)
    write_records(tmp_path / "records", enc, rx)
    for part in (tmp_path / "records" / "encounters").glob("*.parquet"):
        pq.write_table(pq.read_table(part).drop(["icd10"]), part)
    with pytest.raises(DataFileError, match=r"records/encounters: missing column\(s\) icd10"):
        validate_records(tmp_path / "records", CLUES, SKUS)
    with pytest.raises(DataFileError, match="no Parquet files"):
        validate_records(tmp_path / "nothing", CLUES, SKUS)


def test_vectorised_check_digit_equals_domain() -> None:
    rng = np.random.default_rng(0)
    alphabet = list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    first17 = ["".join(rng.choice(alphabet, 17)) for _ in range(2000)]
    values = [s + (curp_check_digit(s) if i % 2 else str(rng.integers(0, 10))) for i, s in enumerate(first17)]
    values += [None, "SHORT", "ABCDÑ" + "1" * 13, "abcd" + values[1][4:]]
    want = [v is not None and len(v) == 18 and all(c in alphabet for c in v[:17])
            and curp_check_digit(v[:17]) == v[17] for v in values]
    assert curp_digit_ok(pa.array(values)).to_pylist() == want
    assert curp_digit_ok(pa.chunked_array([values[:10], values[10:20]])).to_pylist() == want[:20]
    assert curp_digit_ok(pa.array(values).slice(5, 7)).to_pylist() == want[5:12]  # non-zero offset
