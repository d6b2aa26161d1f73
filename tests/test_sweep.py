"""Scenario sweeps: grid parsing, validation, retry-once, and real runs on a process pool and on Ray."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from optimizer.scenarios.schema import DatasetSource, GenerateBase, Scenario
from optimizer.scenarios.sweep import SweepError, Variant, build_variants, parse_vary, run_sweep


def _tiny() -> Scenario:
    return Scenario(name="tiny", seed=1, models=["deployment"],
                    dataset=DatasetSource(generate=GenerateBase(seed=3, n_records=3_000, program_hospitals=12)))


def test_parse_vary_lists_ranges_and_aliases() -> None:
    assert parse_vary("seed=1..4") == ("seed", [1, 2, 3, 4])
    assert parse_vary("budget=1e6,2500000") == ("deployment.budget_mxn_month", [1e6, 2500000])
    assert parse_vary("deployment.objective_mode=weighted,lexicographic")[1] == ["weighted", "lexicographic"]
    with pytest.raises(SweepError, match="KEY=VALUES"):
        parse_vary("seed")
    with pytest.raises(SweepError, match="empty"):
        parse_vary("seed=5..2")


def test_grid_is_the_cartesian_product_and_each_variant_is_validated() -> None:
    variants = build_variants(_tiny(), [parse_vary("seed=1..3"), parse_vary("budget=1e6,2e6")])
    assert len(variants) == 6
    assert {(v.values["seed"], v.values["deployment.budget_mxn_month"]) for v in variants} == {
        (s, b) for s in (1, 2, 3) for b in (1e6, 2e6)}
    assert variants[4].scenario["deployment"]["budget_mxn_month"] == 1e6
    assert variants[4].scenario["seed"] == 3
    with pytest.raises(SweepError, match="no setting 'budget_mxn'"):
        build_variants(_tiny(), [("deployment.budget_mxn", [1])])
    with pytest.raises(SweepError, match="planning_month"):
        build_variants(_tiny(), [parse_vary("month=13")])


def flaky(scenario_doc: dict[str, Any], runs_dir: str) -> dict[str, Any]:
    """Fails on the first attempt of every variant, and always for variant 2 (a real failure)."""
    marker = Path(runs_dir) / f"tried-{scenario_doc['name']}"
    if scenario_doc["name"].endswith("v002"):
        raise RuntimeError("solver crashed")
    if not marker.exists():
        marker.write_text("1")
        raise RuntimeError("transient")
    return {"run_id": scenario_doc["name"], "status": "ok"}


def test_failures_are_retried_once_and_reported_never_dropped(tmp_path: Path) -> None:
    variants = build_variants(_tiny(), [parse_vary("seed=1..3")])
    result = run_sweep(variants, tmp_path, executor="process", workers=2, fn=flaky)
    assert [r["variant"] for r in result.rows] == [0, 1, 2]
    assert [r["attempts"] for r in result.rows] == [2, 2, 2]
    assert [r["status"] for r in result.rows] == ["ok", "ok", "failed"]
    assert result.failed == [2]
    assert "solver crashed" in result.rows[2]["error"]


def _real_sweep(tmp_path: Path, executor: str) -> list[dict[str, Any]]:
    variants: list[Variant] = build_variants(_tiny(), [parse_vary("seed=1,2")])
    result = run_sweep(variants, tmp_path / "runs", executor=executor, workers=2)  # type: ignore[arg-type]
    assert result.failed == [], result.rows
    return result.rows


def test_process_pool_runs_real_scenarios(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIENESTAR_HOME", str(tmp_path / "home"))
    rows = _real_sweep(tmp_path, "process")
    assert all((Path(r["run_dir"]) / "run.json").exists() for r in rows)
    assert len({r["run_id"] for r in rows}) == 2


@pytest.mark.ray
def test_ray_executor_runs_real_scenarios_on_a_local_ray(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'bienestar-planner[ray]')")
    monkeypatch.setenv("BIENESTAR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    process_rows = _real_sweep(tmp_path / "p", "process")
    ray_rows = _real_sweep(tmp_path / "r", "ray")
    # Same scenario, same seed, same plans whichever executor ran it.
    keys = [k for k in process_rows[0] if k.startswith("deployment.") and "seconds" not in k]
    assert keys
    for a, b in zip(process_rows, ray_rows, strict=True):  # equal up to floating-point summation order
        assert {k: b[k] for k in keys} == pytest.approx({k: a[k] for k in keys}, rel=1e-9, abs=1e-9)
