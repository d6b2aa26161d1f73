"""``bienestar db init`` and ``bienestar data load/validate``: JSON output, reject counts, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_data_sample import write_sample_dataset
from typer.testing import CliRunner

from optimizer.cli import app

runner = CliRunner()


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BIENESTAR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("BIENESTAR_DB_URL", raising=False)
    monkeypatch.delenv("BIENESTAR_HMAC_KEY", raising=False)
    return tmp_path / "home"


def test_db_init_json(home: Path) -> None:
    res = runner.invoke(app, ["db", "init", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["status"] == "ok" and out["db_url"].endswith("home/bienestar.sqlite")
    assert {"facilities", "specialists", "surgical_demand", "medicine_demand", "runs"} <= set(out["tables"])


def test_data_load_counts_rejects_and_is_idempotent(home: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BIENESTAR_LANG", raising=False)  # rejects in Spanish, the default
    ds = write_sample_dataset(tmp_path / "ds", n_records=100)
    stock = pd.read_csv(ds / "stock.csv", dtype=str)
    stock.loc[1, "units"] = "-4"
    stock.to_csv(ds / "stock.csv", index=False)
    outs = []
    for _ in range(2):
        res = runner.invoke(app, ["data", "load", str(ds), "--json"])
        assert res.exit_code == 0, res.output
        outs.append(json.loads(res.stdout))
    out = outs[1]
    assert out["counts"]["stock"] == {"read": 3, "kept": 2, "rejected": 1}
    assert out["n_rejects"] == 1
    assert out["first_rejects"] == [
        "stock.csv fila 3, campo 'units': Debe ser mayor o igual a 0. (valor '-4')"]
    assert Path(out["rejects_path"]).read_text().splitlines()[1] == "stock.csv,3,units,-4,Debe ser mayor o igual a 0."
    assert outs[0]["counts"] == outs[1]["counts"]
    human = runner.invoke(app, ["data", "load", str(ds)], env={"BIENESTAR_LANG": "en"})
    assert human.exit_code == 0 and "1 problem(s)" in human.stdout and "rejected" in human.stdout
    human = runner.invoke(app, ["data", "load", str(ds)], env={"BIENESTAR_LANG": "es"})
    assert human.exit_code == 0 and "1 problema(s)" in human.stdout and "los primeros:" in human.stdout
    assert "rechazadas" in human.stdout and "rows read" not in human.stdout


def test_data_validate_and_errors(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file the loader refuses is named in Spanish by default, in English with BIENESTAR_LANG=en."""
    ds = write_sample_dataset(tmp_path / "ds", n_records=10)
    res = runner.invoke(app, ["data", "validate", str(ds), "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["n_rejects"] == 0
    monkeypatch.delenv("BIENESTAR_LANG", raising=False)
    res = runner.invoke(app, ["data", "load", str(tmp_path / "missing"), "--json"])
    assert res.exit_code == 2
    assert json.loads(res.stdout) == {"status": "error", "error": f"{tmp_path / 'missing'}: no es una carpeta"}
    (ds / "facilities.csv").write_text("clues,name\nOCIMB000001,x\n")
    res = runner.invoke(app, ["data", "validate", str(ds)])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "facilities.csv fila 1 (encabezados): faltan las columnas" in " ".join(res.output.split())
    monkeypatch.setenv("BIENESTAR_LANG", "en")
    res = runner.invoke(app, ["data", "validate", str(ds)])
    assert "facilities.csv row 1 (header): missing column(s)" in " ".join(res.output.split())


def test_database_down_is_a_clear_error(home: Path, tmp_path: Path) -> None:
    ds = write_sample_dataset(tmp_path / "ds", n_records=10)
    args = ["data", "load", str(ds), "--url", "postgresql://nobody@127.0.0.1:1/x", "--json"]
    res = runner.invoke(app, args, env={"BIENESTAR_LANG": "en"})
    assert res.exit_code == 2
    out = json.loads(res.stdout)
    assert out["status"] == "error" and out["error"].startswith("database error: OperationalError")
    res = runner.invoke(app, args, env={"BIENESTAR_LANG": "es"})
    assert json.loads(res.stdout)["error"].startswith("error de base de datos: OperationalError")
