"""Older depots.csv files (no storage columns) load: storage is unlimited and the report says which file and
column; malformed storage values still name file, row and field."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.data.dataset import load_dataset
from optimizer.data.generate import GeneratorConfig, generate
from optimizer.data.loaders import load_entities
from optimizer.data.store import DepotRow, entity_rows, init_db, upsert
from optimizer.distribution.model import DistributionInput, central_input

MONDAY = dt.date(2025, 3, 3)
STORAGE = ["capacity_m3", "cold_capacity_m3"]


@pytest.fixture(scope="module")
def new_format(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("newfmt")
    generate(root, GeneratorConfig(program_hospitals=30, umfs=40, pharmacies=20, recruits=200, n_records=8_000))
    return root


def _with_depots(src: Path, dst: Path, depots_csv: str) -> Path:
    """A copy of the dataset ``src`` whose depots.csv is the given text."""
    shutil.copytree(src, dst)
    (dst / "depots.csv").write_text(depots_csv)
    return dst


@pytest.fixture(scope="module")
def old_format(new_format: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same network with a depots.csv as written before storage was recorded (no storage columns)."""
    depots = pd.read_csv(new_format / "depots.csv", dtype=str).drop(columns=STORAGE)
    return _with_depots(new_format, tmp_path_factory.mktemp("oldfmt") / "ds", depots.to_csv(index=False))


def test_old_depots_file_loads_with_storage_not_recorded(old_format: Path) -> None:
    header = (old_format / "depots.csv").read_text().splitlines()[0]
    assert header == "depot_id,name,cve_ent,lat,lon,status"
    ds = load_dataset(old_format)
    assert not [r for r in ds.rejects if r.file == "depots.csv"]
    assert len(ds.depots) == 16 and ds.depots[STORAGE].isna().all().all()
    assert len(ds.vehicles) > 0  # no depot rejected, so no vehicle dropped with it


def test_old_depots_file_gives_unlimited_storage_and_one_warning_per_column(old_format: Path) -> None:
    inp = DistributionInput.from_dataset(load_dataset(old_format), MONDAY)
    assert inp.absent_storage == ("capacity_m3", "cold_capacity_m3")
    assert len(inp.warnings) == 2
    for w, col in zip(inp.warnings, STORAGE, strict=True):
        assert str(old_format / "depots.csv") in w and f"no column '{col}'" in w and "unlimited" in w
    skus = inp.allocation.lines["sku"].unique()[:5]
    lots = pd.DataFrame({"lot_id": [f"L{k}" for k in range(len(skus))], "sku": skus, "units": 1000,
                         "expiry_date": "2026-12-31"})
    ci = central_input(inp, lots)
    assert (ci.depots["room_m3"] == math.inf).all() and (ci.depots["cold_room_m3"] == math.inf).all()
    assert ci.warnings == []  # the file-level warning covers every depot; no per-depot repeat


def test_cli_reports_the_old_file_and_missing_columns(old_format: Path, tmp_path: Path) -> None:
    med = pd.read_csv(old_format / "medicines.csv")
    supply = pd.DataFrame({"sku": med["sku"].head(4), "units": 3000, "expiry_date": "2026-12-31"})
    path = tmp_path / "supply.csv"
    supply.to_csv(path, index=False)
    # A Saturday: the week is allocated, no routes are built (keeps the test short).
    res = CliRunner().invoke(app, ["distribute", "--dataset", str(old_format), "--day", "2025-03-08",
                                   "--central-supply", str(path), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    k = doc["kpis"]
    assert [w.split(": no column ")[1].split("'")[1] for w in k["warnings"]] == STORAGE
    assert all(str(old_format / "depots.csv") in w for w in k["warnings"])
    assert k["central_status"] == "optimal" and doc["validation"]["violations"] == []
    assert k["central_units_left_storage_full"] == 0  # unlimited storage never fills


def test_blank_storage_cell_is_unlimited_for_that_depot_only(new_format: Path, tmp_path: Path) -> None:
    depots = pd.read_csv(new_format / "depots.csv", dtype=str, keep_default_na=False)
    depots.loc[1, "cold_capacity_m3"] = ""
    root = _with_depots(new_format, tmp_path / "ds", depots.to_csv(index=False))
    inp = DistributionInput.from_dataset(load_dataset(root), MONDAY)
    assert inp.warnings == []
    ci = central_input(inp, pd.DataFrame(columns=["lot_id", "sku", "units", "expiry_date"]))
    rooms = ci.depots.set_index("depot_id")
    assert rooms.at[depots.at[1, "depot_id"], "cold_room_m3"] == math.inf
    assert (rooms["room_m3"] < math.inf).all()
    assert ci.warnings == [f"depots.csv, field 'cold_capacity_m3': no value at depot {depots.at[1, 'depot_id']}; "
                           "that storage is treated as unlimited"]


@pytest.mark.parametrize("value, reason", [
    ("abc", "Escriba un número."),
    ("-3", "Debe ser mayor o igual a 0."),
])
def test_malformed_storage_value_names_file_row_and_field(new_format: Path, tmp_path: Path, value: str,
                                                          reason: str) -> None:
    depots = pd.read_csv(new_format / "depots.csv", dtype=str)
    depots.loc[1, "capacity_m3"] = value
    root = _with_depots(new_format, tmp_path / "ds", depots.to_csv(index=False))
    messages = [r.message("es") for r in load_dataset(root).rejects if r.file == "depots.csv"]
    assert len(messages) == 1 and messages[0].startswith(f"depots.csv fila 3, campo 'capacity_m3': {reason}")
    assert f"(valor '{value}')" in messages[0]


def test_old_depots_file_goes_into_the_store(old_format: Path, tmp_path: Path) -> None:
    engine = init_db(f"sqlite:///{tmp_path / 'store.sqlite'}")
    load = load_entities(old_format / "depots.csv")
    with Session(engine) as session:
        assert upsert(session, DepotRow, entity_rows("depots", load.entities, b"unused")) == 16
        session.commit()
        caps = session.execute(select(DepotRow.capacity_m3, DepotRow.cold_capacity_m3)).all()
    assert len(caps) == 16 and all(c == (None, None) for c in caps)
