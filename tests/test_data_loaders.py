"""Entity loaders: every validation rule with a bad row, the error text, and the rejects report."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
from test_data_sample import CLUES, FACILITIES, SPECIALIST_CURPS, write_sample_dataset

from optimizer.data.loaders import load_dataset_files, load_entities
from optimizer.data.rejects import REJECT_COLUMNS, DataFileError, Reject, write_rejects
from optimizer.domain import Facility, curp_check_digit


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These cases read the rejects in English (``BIENESTAR_LANG=en``); tests/test_i18n.py reads them in Spanish."""
    monkeypatch.setenv("BIENESTAR_LANG", "en")


@pytest.fixture()
def ds(tmp_path: Path) -> Path:
    return write_sample_dataset(tmp_path / "ds", n_records=20)


def edit(folder: Path, table: str, index: int, **changes: object) -> None:
    """Change cells of data row ``index`` (0-based; reported as row index + 2) of ``table``.csv."""
    path = folder / f"{table}.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col, value in changes.items():
        df.loc[index, col] = value
    df.to_csv(path, index=False)


def messages(folder: Path) -> list[str]:
    return [r.message() for r in load_dataset_files(folder).rejects]


# One bad cell per rule: (table, 0-based row, changes, expected message).
CASES = [
    ("facilities", 1, {"clues": "XXIMB000002"},
     "facilities.csv row 3, field 'clues': 'XXIMB000002' is not a CLUES key (2-letter entity, 3-letter "
     "institution, 6 digits) (value 'XXIMB000002')"),
    ("facilities", 0, {"lat": "40.5"},
     "facilities.csv row 2, field 'lat': latitude 40.5 is outside Mexico (14.5..32.75) (value '40.5')"),
    ("facilities", 0, {"lon": "-80.0"},
     "facilities.csv row 2, field 'lon': longitude -80 is outside Mexico (-118.5..-86.7) (value '-80.0')"),
    ("facilities", 2, {"beds": "-3"},
     "facilities.csv row 4, field 'beds': Must be greater than or equal to 0. (value '-3')"),
    ("facilities", 2, {"operating_rooms": "two"},
     "facilities.csv row 4, field 'operating_rooms': Enter a whole number. (value 'two')"),
    ("facilities", 3, {"kind": "clinic"},
     "facilities.csv row 5, field 'kind': Not a valid value; choices: Hospital (hospital), Family medicine unit "
     "(UMF) (umf), Farmacia del Bienestar (pharmacy), Distribution centre (distribution_centre). (value 'clinic')"),
    ("facilities", 0, {"cvegeo": "07101"},
     "facilities.csv row 2, field 'cvegeo': cvegeo 07101 is not in state 20 (value '07101')"),
    ("facilities", 0, {"cvegeo": "20999"},
     "facilities.csv row 2, field 'cvegeo': unknown municipality (not an INEGI 2020 cvegeo) (value '20999')"),
    ("facilities", 0, {"cve_ent": "12", "cvegeo": "12001"},
     "facilities.csv row 2, field 'cve_ent': unknown state (not in states) (value '12')"),
    ("facilities", 1, {"clues": CLUES[0]},
     f"facilities.csv row 3, field 'clues': duplicate clues, first seen at row 2 (value '{CLUES[0]}')"),
    ("specialists", 0, {"curp": "GOMA850101MOCRRN0X"},
     "specialists.csv row 2, field 'curp': does not match the CURP pattern (18 "
     "characters, RENAPO format) (value 'GOMA**************')"),
    ("specialists", 1, {"curp": SPECIALIST_CURPS[1][:17] + str((int(curp_check_digit(SPECIALIST_CURPS[1][:17]))
                                                                 + 1) % 10)},
     "specialists.csv row 3, field 'curp': wrong CURP check digit (expected "
     f"{curp_check_digit(SPECIALIST_CURPS[1][:17])}) (value 'PELJ**************')"),
    ("specialists", 1, {"curp": SPECIALIST_CURPS[0]},
     "specialists.csv row 3, field 'curp': same person as row 2 (duplicate curp) (value 'GOMA**************')"),
    ("specialists", 2, {"facility_clues": ""},
     "specialists.csv row 4, field 'facility_clues': an in_post specialist needs facility_clues"),
    ("specialists", 2, {"facility_clues": "OCIMB999999"},
     "specialists.csv row 4, field 'facility_clues': unknown facility (CLUES not in facilities) "
     "(value 'OCIMB999999')"),
    ("specialists", 0, {"willing_states": "20;33"},
     "specialists.csv row 2, field 'willing_states': '33' is not a state code 01..32 (value '20;33')"),
    ("specialists", 0, {"specialty": "dermatology"},
     "specialists.csv row 2, field 'specialty': Not a valid value; choices: General surgery (general_surgery), "
     "Gynaecology and obstetrics (gyn_obstetrics), Orthopaedics (orthopaedics), Paediatric surgery "
     "(paediatric_surgery), Anaesthesiology (anaesthesiology), Surgical nursing (surgical_nursing), Internal "
     "medicine (internal_medicine), Paediatrics (paediatrics), Emergency medicine (emergency_medicine). "
     "(value 'dermatology')"),
    ("specialists", 0, {"weekly_hours": "90"},
     "specialists.csv row 2, field 'weekly_hours': Must be less than or equal to 80. (value '90')"),
    ("specialists", 1, {"max_km": "-5"},
     "specialists.csv row 3, field 'max_km': Must be greater than or equal to 0. (value '-5')"),
    ("medicines", 0, {"sku": "010.0104"},
     "medicines.csv row 2, field 'sku': does not match the pattern ^\\d{3}\\.\\d{3}\\.\\d{4}\\.\\d{2}$ "
     "(value '010.0104')"),
    ("medicines", 1, {"volume_l": "0"},
     "medicines.csv row 3, field 'volume_l': Must be greater than 0. (value '0')"),
    ("medicines", 2, {"criticality": "urgent"},
     "medicines.csv row 4, field 'criticality': Not a valid value; choices: Vital (vital), Essential "
     "(essential), Other (other). (value 'urgent')"),
    ("depots", 0, {"capacity_m3": "-1"},
     "depots.csv row 2, field 'capacity_m3': Must be greater than or equal to 0. (value '-1')"),
    ("vehicles", 0, {"depot_id": "D009"},
     "vehicles.csv row 2, field 'depot_id': unknown depot (not in depots) (value 'D009')"),
    ("vehicles", 0, {"shift_end_min": "300"},
     "vehicles.csv row 2, field 'shift_end_min': shift_end_min must be after shift_start_min (value '300')"),
    ("vehicles", 0, {"cold_chain": "maybe"},
     "vehicles.csv row 2, field 'cold_chain': Must be yes or no. (value 'maybe')"),
    ("stock", 0, {"location": "D777"},
     "stock.csv row 2, field 'location': unknown location (neither a depot_id nor a CLUES in facilities) "
     "(value 'D777')"),
    ("stock", 1, {"sku": "999.000.0000.00"},
     "stock.csv row 3, field 'sku': unknown medicine (SKU not in medicines) (value '999.000.0000.00')"),
    ("stock", 2, {"units": "-10"},
     "stock.csv row 4, field 'units': Must be greater than or equal to 0. (value '-10')"),
    ("stock", 2, {"expiry_date": "31/03/2026"},
     "stock.csv row 4, field 'expiry_date': does not match the pattern ^\\d{4}-\\d{2}-\\d{2}$ "
     "(value '31/03/2026')"),
]


@pytest.mark.parametrize(("table", "index", "changes", "expected"), CASES,
                         ids=[f"{c[0]}-{next(iter(c[2]))}-{i}" for i, c in enumerate(CASES)])
def test_bad_row_is_rejected_with_file_row_field_reason(ds: Path, table: str, index: int, changes: dict,
                                                        expected: str) -> None:
    edit(ds, table, index, **changes)
    tables = load_dataset_files(ds)
    own = [r.message() for r in tables.rejects if r.file == f"{table}.csv"]
    assert own == [expected]  # rows referencing a rejected facility are rejected too (tested below)
    counts = tables.counts()[table]
    assert counts["rejected"] == 1
    assert counts["kept"] == counts["read"] - 1  # valid rows are kept


def test_fk_reject_cascades_only_through_the_rejected_key(ds: Path) -> None:
    # A facility with a bad CLUES is dropped; the specialist posted there is rejected as unknown facility.
    edit(ds, "facilities", 0, clues="ZZIMB000001")
    msgs = messages(ds)
    assert msgs[0].startswith("facilities.csv row 2, field 'clues': 'ZZIMB000001' is not a CLUES key")
    assert "specialists.csv row 4, field 'facility_clues': unknown facility (CLUES not in facilities) " \
           f"(value '{CLUES[0]}')" in msgs
    assert f"stock.csv row 4, field 'location': unknown location (neither a depot_id nor a CLUES in " \
           f"facilities) (value '{CLUES[0]}')" in msgs


def test_header_problems_name_the_file_and_row_1(ds: Path) -> None:
    df = FACILITIES.drop(columns=["lat"]).assign(colour="red")
    df.to_csv(ds / "facilities.csv", index=False)
    with pytest.raises(DataFileError, match=r"facilities\.csv row 1 \(header\): missing column\(s\) 'lat'; "
                                            r"unknown column\(s\) 'colour'"):
        load_dataset_files(ds)


def test_short_csv_row_is_rejected(ds: Path) -> None:
    path = ds / "depots.csv"
    path.write_text(path.read_text() + "D002,CEDIS Chiapas,07\n")
    assert messages(ds) == ["depots.csv row 3, field '(row)': row has 3 fields, the header has 8"]


def test_missing_facilities_and_missing_fk_table(ds: Path) -> None:
    (ds / "depots.csv").unlink()
    with pytest.raises(DataFileError, match=r"vehicles\.csv: needs depots\.csv"):
        load_dataset_files(ds)
    (ds / "facilities.csv").unlink()
    with pytest.raises(DataFileError, match="no facilities.csv"):
        load_dataset_files(ds)


def test_xlsx_and_parquet_give_the_same_rows_and_numbers(tmp_path: Path) -> None:
    bad = FACILITIES.copy()
    bad.loc[2, "lat"] = 99.5
    bad["lat"] = bad["lat"].astype(float)
    bad.to_excel(tmp_path / "facilities.xlsx", index=False)
    bad.to_parquet(tmp_path / "facilities.parquet", index=False)
    for name in ("facilities.xlsx", "facilities.parquet"):
        load = load_entities(tmp_path / name)
        assert load.model is Facility
        assert [e.clues for e in load.entities] == [CLUES[0], CLUES[1], CLUES[3]]
        assert [r.message() for r in load.rejects] == [
            f"{name} row 4, field 'lat': latitude 99.5 is outside Mexico (14.5..32.75) (value '99.5')"]


def test_unknown_table_and_format(tmp_path: Path) -> None:
    (tmp_path / "patients.csv").write_text("a\n1\n")
    with pytest.raises(DataFileError, match="patients.csv: unknown table"):
        load_entities(tmp_path / "patients.csv")
    (tmp_path / "facilities.json").write_text("{}")
    with pytest.raises(DataFileError, match="unsupported format '.json'"):
        load_entities(tmp_path / "facilities.json")


def test_rejects_report_contents(ds: Path, tmp_path: Path) -> None:
    edit(ds, "facilities", 2, beds="-3")
    edit(ds, "specialists", 0, curp="GOMA850101MOCRRN0X", weekly_hours="0")
    tables = load_dataset_files(ds)
    path = tmp_path / "rejects.csv"
    assert write_rejects(path, tables.rejects) == 3
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == REJECT_COLUMNS
    assert rows[1:] == [
        ["facilities.csv", "4", "beds", "-3", "Must be greater than or equal to 0."],
        ["specialists.csv", "2", "curp", "GOMA**************",
         "does not match the CURP pattern (18 characters, RENAPO format)"],
        ["specialists.csv", "2", "weekly_hours", "0", "Must be greater than 0."],
    ]
    assert "GOMA850101" not in path.read_text()  # the raw ID never reaches the report
    assert tables.counts()["specialists"] == {"read": 4, "kept": 3, "rejected": 1}
    # Appending keeps one header.
    write_rejects(path, [Reject("x.csv", 2, "f", "v", "r")], append=True)
    assert path.read_text().count("file,row,field,value,reason") == 1
