"""`bienestar data import-clues`: DGIS's own CLUES workbook updates a dataset's or the store's facilities.

Reads the sample of DGIS's April 2026 workbook in ``../shared/data/mexico`` (575 IMSS units of Oaxaca, the official
55 columns); skipped with a message when that folder is absent.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.data.clues_import import import_into_dataset, import_into_store, read_workbook
from optimizer.data.generate import GeneratorConfig, generate
from optimizer.data.loaders import load_dataset_files
from optimizer.data.store import FacilityRow, get_engine

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "mexico" / "dgis_clues_sample_202604.xlsx"
if not SAMPLE.exists():
    SAMPLE = Path("/work/shared/data/mexico/dgis_clues_sample_202604.xlsx")
pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason=f"DGIS sample workbook not found ({SAMPLE})")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clues") / "ds"
    generate(out, GeneratorConfig(seed=3, n_records=500, recruits=200, program_hospitals=12,
                                  other_hospitals_per_state=1, umfs=40, pharmacies=20))
    return out


@pytest.fixture
def dataset(base: Path, tmp_path: Path) -> Path:
    shutil.copytree(base, tmp_path / "ds")
    return tmp_path / "ds"


def _facilities(ds: Path) -> pd.DataFrame:
    return pd.read_csv(ds / "facilities.csv", dtype=str, keep_default_na=False)


def test_the_sample_is_read_every_row_kept_or_set_aside_and_a_second_run_changes_nothing(dataset: Path) -> None:
    before = _facilities(dataset)
    report = import_into_dataset(SAMPLE, dataset)
    c = report.counts()
    assert c["rows_read"] == 575
    # Every row is accounted for once: a unit added (open, or closed when out of operation), or set aside with
    # a reason (rejected: invalid; skipped: a unit type the models do not plan for).
    assert c["added"] + c["closed"] + c["unchanged"] + c["updated"] + c["rejected"] + c["skipped"] == 575
    assert all(r.reason for r in report.rejected + report.skipped)
    assert c["rejected"] == 0  # the published sample is clean
    assert c["skipped"] == 37  # mobile units, brigades, warehouses, offices
    assert c["closed"] == 8  # the 8 units FUERA DE OPERACION, kept as closed
    after = _facilities(dataset)
    assert len(after) == len(before) + c["added"] + c["closed"]
    new = after[~after["clues"].isin(before["clues"])]
    assert (new["clues"].str[:5] == "OCIMS").all() and set(new["cve_ent"]) == {"20"}
    assert set(new["kind"]) == {"hospital", "umf"}
    assert (before.set_index("clues").to_numpy() == after.set_index("clues").loc[before["clues"]].to_numpy()).all()
    checked = load_dataset_files(dataset)
    assert checked.counts()["facilities"]["rejected"] == 0  # the updated catalogue is a valid dataset table
    again = import_into_dataset(SAMPLE, dataset)
    assert again.counts()["added"] == again.counts()["updated"] == again.counts()["closed"] == 0
    assert again.counts()["unchanged"] == 538


def _sample_frame() -> pd.DataFrame:
    return pd.read_excel(SAMPLE, dtype=str, keep_default_na=False)


def test_bad_rows_are_rejected_naming_row_field_and_reason_and_nothing_valid_is_lost(
        dataset: Path, tmp_path: Path) -> None:
    frame = _sample_frame()
    bad = {
        2: ("CLUES", "OCIMS12"),                                   # key shape
        3: ("LATITUD", "28.6"),                                    # Chihuahua, not Oaxaca
        4: ("CLAVE DEL MUNICIPIO", "999"),                         # no such municipality
        5: ("ESTATUS DE OPERACION", "CERRADA TEMPORALMENTE"),      # unknown status
        6: ("LONGITUD", "abc"),                                    # not a number
        7: ("ENTIDAD", "ATLANTIDA"),                               # unknown state
        9: ("LATITUD", "40.0"),                                    # outside Mexico
        52: ("CLUES", frame.loc[10, "CLUES"]),                     # duplicate key (first on row 12)
    }
    for row, (col, value) in bad.items():
        frame.loc[row - 2, col] = value
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    report = import_into_dataset(path, dataset)
    found = {r.row: r for r in report.rejected}
    assert set(found) == set(bad)
    for row, (col, _value) in bad.items():
        assert found[row].field == col
        assert found[row].reason and found[row].file == "bad.csv"
    assert "12" in found[52].reason
    assert "fuera del contorno" in found[3].reason
    c = report.counts()
    assert c["added"] + c["closed"] == 575 - len(bad) - c["skipped"]


def test_changed_gone_and_closed_units_update_the_catalogue_never_deleting(dataset: Path, tmp_path: Path) -> None:
    import_into_dataset(SAMPLE, dataset)
    frame = _sample_frame()
    open_rows = frame.index[(frame["ESTATUS DE OPERACION"] == "EN OPERACION")
                            & frame["NOMBRE DE TIPOLOGIA"].eq("UNIDAD MÉDICA RURAL")]
    renamed, dropped, shut = (frame.loc[i, "CLUES"] for i in open_rows[:3])
    frame.loc[open_rows[0], "NOMBRE DE LA UNIDAD"] = "UNIDAD MEDICA RURAL RENOMBRADA"
    frame.loc[open_rows[2], "ESTATUS DE OPERACION"] = "FUERA DE OPERACION"
    frame = frame.drop(index=open_rows[1])
    path = tmp_path / "may.csv"
    frame.to_csv(path, index=False, encoding="latin-1", errors="replace")
    before = _facilities(dataset)
    report = import_into_dataset(path, dataset)
    after = _facilities(dataset).set_index("clues")
    assert report.updated == [renamed]
    assert sorted(report.closed) == sorted([dropped, shut])
    assert report.added == []
    assert len(after) == len(before)
    assert after.loc[renamed, "name"] == "UNIDAD MEDICA RURAL RENOMBRADA"
    assert after.loc[[dropped, shut], "status"].eq("closed").all()
    # Units of other institutions (the generated IMB units, synthetic pharmacies) are not touched.
    assert after.loc[after.index.str[2:5] != "IMS", "status"].ne("closed").all()


def test_institution_filter_sets_other_institutions_aside(dataset: Path) -> None:
    report = import_into_dataset(SAMPLE, dataset, institution="IMB")
    assert report.counts()["skipped"] == 575
    assert {r.reason for r in report.skipped} >= {"institución IMS, no IMB: no se importa"}
    assert report.added == []


def test_the_store_is_updated_idempotently(base: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    first = import_into_store(SAMPLE, url)
    second = import_into_store(SAMPLE, url)
    assert first.counts()["added"] == 530 and first.counts()["closed"] == 8
    assert second.counts()["added"] == second.counts()["updated"] == second.counts()["closed"] == 0
    with Session(get_engine(url)) as s:
        rows = s.execute(select(FacilityRow)).scalars().all()
    assert len(rows) == 538
    assert sum(r.status == "closed" for r in rows) == 8


def test_cli_prints_the_spanish_change_report_and_json(dataset: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["data", "import-clues", str(SAMPLE), "--dataset", str(dataset),
                              "--report", str(tmp_path / "r.csv")])
    assert res.exit_code == 0, res.output
    assert "agregadas" in res.output and "530" in res.output
    lines = pd.read_csv(tmp_path / "r.csv", dtype=str)
    assert set(lines["action"]) == {"added", "closed", "skipped"}
    assert lines.loc[lines["action"] == "skipped", "clues"].str.match(r"^OCIMS\d{6}$").all()
    res = runner.invoke(app, ["data", "import-clues", str(SAMPLE), "--dataset", str(dataset), "--json",
                              "--report", str(tmp_path / "r2.csv")])
    doc = json.loads(res.stdout)
    assert doc["counts"]["added"] == 0 and doc["counts"]["updated"] == 0
    res = runner.invoke(app, ["data", "import-clues", str(SAMPLE), "--json"])
    assert res.exit_code != 0 and "--dataset" in res.stdout


def test_a_file_without_dgis_columns_fails_naming_them(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("clues,name\nOCIMS000013,UMF\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing DGIS column"):
        read_workbook(path)
