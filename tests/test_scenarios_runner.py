# ruff: noqa: F811  (test arguments take the shared fixtures home and base by name)
"""Runs: folder contents, store record, reproducibility (same scenario + seed -> same plans; rerun from the
folder alone), and `compare` numbers equal to a recomputation from the two runs' plan files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.data.aggregate import surgical_demand
from optimizer.data.store import RunRow, get_engine
from optimizer.scenarios.compare import compare_runs
from optimizer.scenarios.runner import RunResult, plans_digest, rerun, run_scenario
from optimizer.scenarios.schema import Scenario
from tests.test_scenarios_support import base, home  # noqa: F401 (pytest fixtures)


def scenario(base: Path, name: str, surgical_factor: float = 1.0) -> Scenario:
    """Fast, exactly solved models only (LP, CP-SAT to optimality, access), so plans must repeat bit for bit."""
    return Scenario.model_validate({
        "name": name, "seed": 11, "dataset": {"path": str(base)},
        "models": ["capacity", "rostering", "access"],
        "facilities": {"open": ["planned_2025"]},
        "demand": [{"factor": surgical_factor, "specialties": ["general_surgery", "orthopaedics"]}],
        "labour": {"max_weekends_share": 1.0},
        "rostering": {"max_hospitals": 1, "weeks": 1, "processes": 1, "settings": {"time_limit_s": 20, "workers": 1}},
    })


@pytest.fixture(scope="module")
def run_a(home: Path, base: Path) -> RunResult:
    return run_scenario(scenario(base, "tiny-a"), home / "runs", progress=False)


@pytest.fixture(scope="module")
def run_b(home: Path, base: Path) -> RunResult:
    return run_scenario(scenario(base, "tiny-b", surgical_factor=1.6), home / "runs", progress=False)


def test_run_folder_holds_every_input_plan_kpi_and_log(run_a: RunResult) -> None:
    d = run_a.run_dir
    assert run_a.status == "ok", run_a.message
    for rel in ("scenario.yaml", "scenario.resolved.json", "environment.json", "kpis.json", "log.txt", "run.json",
                "inputs/dataset/facilities.csv", "inputs/dataset/specialists.csv", "inputs/dataset/records/_meta.json",
                "inputs/demand/surgical_demand.csv", "inputs/demand/medicine_demand_weekly.csv",
                "plans/capacity/hospitals.csv", "plans/rostering/roster.csv", "plans/access/by_state.csv"):
        assert (d / rel).exists(), rel
    env = json.loads((d / "environment.json").read_text())
    assert env["bienestar_planner"] and env["libraries"]["ortools"]
    assert set(run_a.stage_status) == {"demand", "capacity", "rostering", "access"}
    assert all(run_a.timings[s] >= 0 for s in run_a.stage_status) and run_a.timings["total"] > 0


def test_run_is_recorded_in_the_store_with_status_and_timings(run_a: RunResult) -> None:
    with Session(get_engine()) as s:
        row = s.get(RunRow, run_a.run_id)
        assert row is not None and row.status == "ok" and row.scenario == "tiny-a"
        assert row.finished is not None and set(row.timings) >= {"capacity", "rostering", "access", "total"}


def test_inputs_are_the_overridden_tables_and_demand(run_a: RunResult, base: Path) -> None:
    fac = pd.read_csv(run_a.run_dir / "inputs/dataset/facilities.csv", dtype=str)
    assert (fac["status"] == "open").all()  # planned_2025 opened
    demand = pd.read_csv(run_a.run_dir / "inputs/demand/surgical_demand.csv")
    raw = surgical_demand(base / "records")
    # opening moves demand between hospitals, never creates it; the factor here is 1.0
    assert demand["procedures_per_week"].sum() == pytest.approx(raw["procedures_per_week"].sum(), rel=1e-12)


def test_surgical_multiplier_reaches_the_run_demand(run_a: RunResult, run_b: RunResult) -> None:
    da = pd.read_csv(run_a.run_dir / "inputs/demand/surgical_demand.csv")
    db = pd.read_csv(run_b.run_dir / "inputs/demand/surgical_demand.csv")
    for spec, factor in (("general_surgery", 1.6), ("orthopaedics", 1.6), ("gyn_obstetrics", 1.0)):
        a = da.loc[da["specialty"] == spec, "procedures_per_week"].sum()
        b = db.loc[db["specialty"] == spec, "procedures_per_week"].sum()
        assert b == pytest.approx(factor * a, rel=1e-12)


def test_same_scenario_and_seed_give_identical_plans(run_a: RunResult, home: Path, base: Path) -> None:
    events: list[tuple] = []
    again = run_scenario(scenario(base, "tiny-a"), home / "runs", progress=False,
                         on_progress=lambda *e: events.append(e))
    assert again.run_dir != run_a.run_dir
    assert again.plans_digest == run_a.plans_digest == plans_digest(run_a.run_dir)
    # the progress callback (what the API's workers use) sees every stage start and end, in order
    assert events[0][:2] == ("demand", "running") and ("demand", "done", 0, 0, None) in events
    for stage in ("capacity", "rostering", "access"):
        seen = [e for e in events if e[0] == stage]
        assert seen[0][1] == "pending" and seen[1][1] == "running"
        assert seen[-1][1] == again.stage_status[stage] and seen[-1][4] is not None


def test_rerun_reproduces_a_run_from_its_folder_alone(run_a: RunResult, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere" / run_a.run_dir.name  # another machine: only the folder travels
    shutil.copytree(run_a.run_dir, moved)
    result, original = rerun(moved, tmp_path / "reruns", progress=False)
    assert original == moved
    assert result.plans_digest == run_a.plans_digest
    for p in sorted((run_a.run_dir / "plans").rglob("*.csv")):
        assert (result.run_dir / p.relative_to(run_a.run_dir)).read_bytes() == p.read_bytes()


def test_compare_numbers_equal_a_recomputation_from_the_plans(run_a: RunResult, run_b: RunResult) -> None:
    cmp = compare_runs(run_a.run_dir, run_b.run_dir)
    rows = {r.key: r for r in cmp.rows}

    def recompute(d: Path) -> dict[str, float]:
        cap = pd.read_csv(d / "plans/capacity/hospitals.csv")
        acc = pd.read_csv(d / "plans/access/by_state.csv")
        return {"coverage_pct": 100 * cap["procedures_per_week"].sum() / cap["demand_procedures_per_week"].sum(),
                "procedures_per_week": cap["procedures_per_week"].sum(),
                "hospitals_24_7": float((cap["rooms_24_7"] > 0).sum()), "rooms_24_7": float(cap["rooms_24_7"].sum()),
                "access_60": acc["within_60"].sum() / acc["population"].sum(),
                "access_120": acc["within_120"].sum() / acc["population"].sum()}

    ka, kb = recompute(run_a.run_dir), recompute(run_b.run_dir)
    for key in ka:
        assert rows[key].a == pytest.approx(ka[key], rel=1e-12)
        assert rows[key].b == pytest.approx(kb[key], rel=1e-12)
        assert rows[key].delta == pytest.approx(kb[key] - ka[key], rel=1e-9, abs=1e-12)
    assert rows["fill_rate"].a is None and rows["deployed"].a is None  # models not run: no number invented
    # more demand, same staff: coverage can only fall
    assert rows["coverage_pct"].b <= rows["coverage_pct"].a + 1e-9
    by_state = cmp.by_state.set_index("cve_ent")
    cap_b = pd.read_csv(run_b.run_dir / "plans/capacity/hospitals.csv", dtype={"cve_ent": str})
    for ent, g in cap_b.groupby("cve_ent"):
        if g["demand_procedures_per_week"].sum() > 0:
            want = 100 * g["procedures_per_week"].sum() / g["demand_procedures_per_week"].sum()
            assert by_state.at[ent, "coverage_pct_b"] == pytest.approx(want, rel=1e-12)


def test_cli_compare_json_and_a_bad_scenario_error(run_a: RunResult, run_b: RunResult, tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["compare", str(run_a.run_dir), str(run_b.run_dir), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc == json.loads(json.dumps(compare_runs(run_a.run_dir, run_b.run_dir).to_dict()))
    human = runner.invoke(app, ["compare", str(run_a.run_dir), str(run_b.run_dir)], env={"BIENESTAR_LANG": "es"})
    assert "Equidad por estado" in human.stdout and "Equity by state" not in human.stdout
    human = runner.invoke(app, ["compare", str(run_a.run_dir), str(run_b.run_dir)], env={"BIENESTAR_LANG": "en"})
    assert "Equity by state" in human.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nseed: 1\nrostering:\n  max_hospitalz: 3\n")
    res = runner.invoke(app, ["run", str(bad), "--json"], env={"BIENESTAR_LANG": "en"})
    assert res.exit_code == 2
    err = json.loads(res.stdout)
    assert err["status"] == "error" and f"{bad}: line 4: rostering.max_hospitalz: unknown key" in err["error"]
    spanish = json.loads(runner.invoke(app, ["run", str(bad), "--json"], env={"BIENESTAR_LANG": ""}).stdout)
    assert f"{bad}: línea 4: rostering.max_hospitalz: clave desconocida" in spanish["error"], spanish


def test_stage_cache_reuses_plans_only_for_identical_inputs(run_a: RunResult, tmp_path: Path) -> None:
    from optimizer.scenarios import cache
    from optimizer.scenarios.runner import load_resolved
    from optimizer.scenarios.stage import StageOutput

    d = tmp_path / "run"
    shutil.copytree(run_a.run_dir, d)
    s = load_resolved(d)
    key = cache.stage_key(d, s, "distribution")
    assert cache.stage_key(d, s, "capacity") is None  # reads an earlier stage's plan: never cached
    (d / "plans/distribution").mkdir(parents=True, exist_ok=True)
    lines = pd.DataFrame({"clues": ["A", "B"], "sku": ["010.000.0101.00"] * 2, "fill": [0.5, 1.0]})
    lines.to_csv(d / "plans/distribution/lines.csv", index=False)
    out = StageOutput("optimal", {"fill_rate": 0.75}, {"lines": lines})
    cache.store(tmp_path / "cache", "distribution", key, d, out)
    got, source, folder = cache.load(tmp_path / "cache", "distribution", key)
    assert source == d.name and got.status == "optimal" and got.kpis == {"fill_rate": 0.75}
    cache.copy_plans(folder, tmp_path / "copy")
    assert (tmp_path / "copy/lines.csv").read_bytes() == (d / "plans/distribution/lines.csv").read_bytes()
    other = s.model_copy(update={"planning_month": s.planning_month % 12 + 1})
    assert cache.stage_key(d, other, "distribution") != key


def test_runs_are_found_by_folder_scenario_name_or_id(run_a: RunResult, run_b: RunResult, home: Path) -> None:
    from optimizer.scenarios.registry import find_run

    runs = home / "runs"
    assert find_run(run_a.run_dir) == run_a.run_dir
    assert find_run(run_b.run_dir.name, runs) == run_b.run_dir
    assert find_run(run_b.run_id[:10], runs) == run_b.run_dir
    assert find_run("tiny-b", runs) == run_b.run_dir  # a scenario name: its latest run
    with pytest.raises(FileNotFoundError, match="no run 'nothing-like-this'"):
        find_run("nothing-like-this", runs)
