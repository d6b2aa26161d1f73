"""Resuming an interrupted run reuses the stages it completed, through the stage cache (the attempts of one
run id, :func:`optimizer.scenarios.cache.attempt_key`), and solves only from the first stage it did not.

The first attempt runs in a forked process that dies (``os._exit``, no clean-up, as under SIGKILL) the moment
the access stage starts, so capacity and rostering are complete and access is not. The second attempt, same
run id, runs here with every stage function counted: capacity and rostering are never called (their plans
come back byte for byte from the cache) and access is solved once. A new run solves every stage.
"""

# ruff: noqa: F811  (test arguments take the shared fixtures home and base by name)
from __future__ import annotations

import multiprocessing as mp
import os
import uuid
from collections import Counter
from pathlib import Path

import pytest

from optimizer.scenarios import runner
from optimizer.scenarios.runner import run_scenario
from optimizer.scenarios.schema import Scenario
from tests.test_scenarios_support import base, home  # noqa: F401 (pytest fixtures)

RUN_ID = uuid.uuid4().hex
COMPLETED = ("capacity", "rostering")


def _scenario(base: Path) -> Scenario:
    return Scenario.model_validate({
        "name": "resume", "seed": 11, "dataset": {"path": str(base)}, "models": ["capacity", "rostering", "access"],
        "rostering": {"max_hospitals": 1, "weeks": 1, "processes": 1, "settings": {"time_limit_s": 20, "workers": 1}},
    })


def _die_at_access(scenario: Scenario, runs: Path, run_id: str) -> None:
    """A first attempt that is killed when the access stage starts (in a forked child)."""

    def progress(stage: str, status: str, done: int, total: int, seconds: float | None) -> None:
        if stage == "access" and status == "running":
            os._exit(9)

    run_scenario(scenario, runs, progress=False, on_progress=progress, run_id=run_id)


def _counted(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Count every call of a stage's solve function from now on."""
    calls: Counter = Counter()
    for name, fn in list(runner.STAGES.items()):
        def counting(ctx: runner.RunContext, _name: str = name, _fn: runner.StageFn = fn) -> runner.StageOutput:
            calls[_name] += 1
            return _fn(ctx)
        monkeypatch.setitem(runner.STAGES, name, counting)
    return calls


def test_a_resumed_run_reuses_the_stages_its_interrupted_attempt_completed(
        home: Path, base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = home / "runs"
    scenario = _scenario(base)
    child = mp.get_context("fork").Process(target=_die_at_access, args=(scenario, runs, RUN_ID))
    child.start()
    child.join(timeout=120)
    assert child.exitcode == 9
    (first,) = [d for d in runs.glob("resume-*") if d.is_dir()]
    assert not (first / "run.json").exists()  # interrupted: no verdict
    assert all((first / "plans" / stage).is_dir() for stage in COMPLETED)
    assert not (first / "plans" / "access").exists()

    calls = _counted(monkeypatch)
    resumed = run_scenario(scenario, runs, progress=False, run_id=RUN_ID)
    assert resumed.status == "ok", resumed.message
    assert calls == Counter({"access": 1})  # the completed stages were not solved again
    for stage in COMPLETED:
        assert f"{stage}: plan reused from run {first.name} (identical inputs and settings)" in resumed.log
        for plan in (first / "plans" / stage).glob("*.csv"):
            assert (resumed.run_dir / "plans" / stage / plan.name).read_bytes() == plan.read_bytes()
    assert not list((runs / ".stage-cache").glob("capacity-*"))  # the attempt ended: its entries are gone

    fresh = run_scenario(scenario, runs, progress=False)
    assert fresh.status == "ok"
    assert calls == Counter({"access": 2, "capacity": 1, "rostering": 1})  # a new run solves everything
