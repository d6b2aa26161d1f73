"""Capacity on a generated dataset: from_dataset, certified optimum, CLI JSON, exports, deployment feed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from optimizer.capacity.inputs import load_input
from optimizer.capacity.kpis import statuses
from optimizer.capacity.model import CapacityInput, DeployedStaff, solve
from optimizer.capacity.settings import CapacitySettings
from optimizer.capacity.validate import validate
from optimizer.cli import app
from optimizer.data.generate import GeneratorConfig, generate
from optimizer.domain import Specialty

runner = CliRunner()


#: A small network (60 program hospitals) keeps these tests fast; the benchmark runs the full 282.
CONFIG = GeneratorConfig(seed=7, program_hospitals=60, other_hospitals_per_state=1, umfs=60, pharmacies=30,
                         n_records=10_000, records_chunk=5_000)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("capacity") / "ds"
    generate(out, CONFIG)
    return out


@pytest.fixture(scope="module")
def program(dataset: Path) -> CapacityInput:
    return load_input(dataset)


def test_program_network_solves_to_a_certified_optimum(program: CapacityInput) -> None:
    inp = program
    assert len(inp.hospitals) == CONFIG.program_hospitals
    s = CapacitySettings(time_limit_s=30)
    plan = solve(inp, s)
    check = validate(inp, plan, s)
    assert plan.status == "optimal" and check.ok and check.certified_optimal
    demand = sum(d.procedures_per_week for d in inp.demand.values())
    assert 0 < plan.procedures_per_week <= demand + 1e-6
    st = statuses(inp, s)
    assert sum(x.rooms_24_7 for x in st) <= sum(h.operating_rooms for h in inp.hospitals)


def test_deployment_feed_never_lowers_capacity(program: CapacityInput) -> None:
    inp = program
    base = solve(inp)
    target = max(base.resources, key=lambda r: r.dual if r.kind == "role" else -1)
    more = inp.with_staff([DeployedStaff("S999999", Specialty(target.key), 40.0, target.clues)])
    after = solve(more)
    assert after.objective >= base.objective + 1e-6  # the row with the largest dual gains


def test_capacity_cli_json_and_exports(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "cap.xlsx"
    res = runner.invoke(app, ["capacity", "--dataset", str(dataset), "--json", "--out", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["kpis"]["status"] == "optimal" and doc["kpis"]["certified_optimal"] is True
    assert len(doc["hospitals"]) == CONFIG.program_hospitals and 1 <= len(doc["bottlenecks"]) <= 10
    ranks = [b["weighted_per_100k_mxn"] for b in doc["bottlenecks"]]
    assert ranks == sorted(ranks, reverse=True)
    assert doc["best_teams"] and doc["best_teams"][0]["procedures_per_week"] > 0
    sheets = pd.read_excel(out, sheet_name=None)
    assert {"network", "bottlenecks", "marginal_gains", "team_gains", "resources"} <= set(sheets)


def test_capacity_cli_facility_detail(dataset: Path, program: CapacityInput) -> None:
    clues = program.hospitals[0].clues
    res = runner.invoke(app, ["capacity", "--dataset", str(dataset), "--facility", clues, "--json", "--top", "3"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    rows = {r["row"]: r for r in doc["facility"]["resources"]}
    assert "role anaesthesiology" in rows and rows["role anaesthesiology"]["+1 person (exact)"] is not None
    assert len(doc["bottlenecks"]) <= 3
    human = runner.invoke(app, ["capacity", "--dataset", str(dataset), "--facility", clues, "--top", "3"],
                          env={"BIENESTAR_LANG": "es"})
    assert human.exit_code == 0, human.output
    text = " ".join(human.stdout.split())
    assert "Capacidad de la red" in text and "cuellos de botella" in text and "precios sombra" in text
    assert not any(w in text for w in ("Network capacity", "bottlenecks", "one more full team", "shadow prices"))


def test_wisn_cli_and_csv(dataset: Path, tmp_path: Path) -> None:
    clues = pd.read_csv(dataset / "facilities.csv").query("program").iloc[0]["clues"]
    out = tmp_path / "wisn.csv"
    res = runner.invoke(app, ["wisn", "--facility", clues, "--dataset", str(dataset), "--json", "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)["wisn"]
    assert {r["cadre"] for r in rows} >= {"anaesthesiology", "surgical_nursing"}
    assert pd.read_csv(out).shape[0] == len(rows)


def test_rejected_rows_are_announced(dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BIENESTAR_LANG", raising=False)  # the rejected row named in Spanish, the default
    copy = tmp_path / "ds"
    shutil.copytree(dataset, copy)
    sp = pd.read_csv(copy / "specialists.csv", dtype=str, keep_default_na=False)
    row = int(sp.index[sp["status"] == "in_post"][0])
    sp.loc[row, "weekly_hours"] = "forty"
    sp.to_csv(copy / "specialists.csv", index=False)
    res = runner.invoke(app, ["wisn", "--facility", sp.loc[row, "facility_clues"], "--dataset", str(copy)])
    assert res.exit_code == 0, res.output
    assert "aviso:" in res.stderr and "1 fila(s) rechazada(s)" in res.stderr
    assert f"fila {row + 2}" in res.stderr and "weekly_hours" in res.stderr
    assert "WISN en" in res.stdout and "requerido" in res.stdout and "required" not in res.stdout
    res = runner.invoke(app, ["wisn", "--facility", sp.loc[row, "facility_clues"], "--dataset", str(copy)],
                        env={"BIENESTAR_LANG": "en"})
    assert "warning:" in res.stderr and "1 row(s) rejected" in res.stderr and f"row {row + 2}" in res.stderr


def test_cli_errors_are_messages_not_tracebacks(dataset: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["wisn", "--facility", "OCIMB999999", "--dataset", str(dataset), "--json"],
                        env={"BIENESTAR_LANG": "en"})
    assert res.exit_code == 2 and "OCIMB999999 is not an open hospital" in json.loads(res.stdout)["error"]
    res = runner.invoke(app, ["wisn", "--facility", "OCIMB999999", "--dataset", str(dataset), "--json"],
                        env={"BIENESTAR_LANG": "es"})
    assert res.exit_code == 2 and "OCIMB999999 no es un hospital abierto" in json.loads(res.stdout)["error"]
    bad = tmp_path / "deploy.csv"
    bad.write_text("specialist_id,role,weekly_hours,hospital\nS000001,anaesthesiology,forty,OCIMB000001\n")
    res = runner.invoke(app, ["capacity", "--dataset", str(dataset), "--deployment", str(bad), "--json"],
                        env={"BIENESTAR_LANG": "en"})
    assert res.exit_code == 2
    assert "row 2, field 'weekly_hours': 'forty' is not a number" in json.loads(res.stdout)["error"]
    res = runner.invoke(app, ["capacity", "--dataset", str(dataset), "--deployment", str(bad), "--json"],
                        env={"BIENESTAR_LANG": "es"})
    assert "fila 2, campo 'weekly_hours': 'forty' no es un número" in json.loads(res.stdout)["error"]


@pytest.mark.slow
def test_full_282_network_from_the_default_generator(tmp_path: Path) -> None:
    """The baseline dataset (seed 42): 282 program hospitals, certified optimum, bottlenecks found."""
    from optimizer.capacity.run import run_capacity

    generate(tmp_path / "ds", GeneratorConfig(seed=42))
    inp = load_input(tmp_path / "ds")
    assert len(inp.hospitals) == 282
    res = run_capacity(inp, CapacitySettings(time_limit_s=120))
    assert res.validation.certified_optimal and len(res.bottlenecks) == 10
    assert all(g.procedures_per_week <= g.dual_estimate + 1e-6 for g in res.gains)  # concavity
