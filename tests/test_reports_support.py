"""Shared set-up of the report tests (no tests here): one tiny run of every model, made once per test session
and reused by the HTML and workbook tests (a scenario run is the slow part)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from optimizer.scenarios.basedata import resolve_base
from optimizer.scenarios.runner import RunResult, run_scenario
from optimizer.scenarios.schema import DatasetSource, Scenario
from tests.test_scenarios_support import TINY


@cache
def _tiny_run(base_temp: Path) -> RunResult:
    base = resolve_base(DatasetSource(generate=TINY), cache=base_temp / "datasets")
    home = base_temp / "report-home"
    home.mkdir(exist_ok=True)
    s = Scenario.model_validate({
        "name": "report", "seed": 2, "dataset": {"path": str(base)},
        "models": ["deployment", "capacity", "rostering", "distribution", "access"],
        "depots": {"close": ["D002"]}, "deployment": {"time_limit_s": 5},
        "rostering": {"max_hospitals": 2, "weeks": 1, "processes": 1,
                      "settings": {"time_limit_s": 15, "workers": 1}},
        "distribution": {"allocation": {"time_limit": 10}, "routing": {"engine": "pyvrp", "time_limit": 1}}})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BIENESTAR_HOME", str(home))
        mp.delenv("BIENESTAR_DB_URL", raising=False)
        return run_scenario(s, home / "runs", progress=False)


def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """The session's tiny run (deployment, capacity, rostering of 2 hospitals for 1 week, distribution, access)."""
    return _tiny_run(tmp_path_factory.getbasetemp())
