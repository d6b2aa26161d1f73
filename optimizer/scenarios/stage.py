"""What a stage of a run receives and returns.

A stage wraps one model: it builds the model's input from the run's dataset, demand and the earlier
stages' plans, solves it under the scenario's settings, checks the plan with the model's independent
validator, and returns plan tables (written as CSV, the run's durable output), KPIs and log lines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.data.dataset import Dataset
from optimizer.scenarios.demand import DemandTables
from optimizer.scenarios.links import ModelLinks
from optimizer.scenarios.schema import Scenario

#: Called with (done, total) as a long stage progresses (rostering: hospitals done).
Progress = Callable[[int, int], None]


@dataclass
class StageOutput:
    """One stage's result. ``status`` is the model's (optimal / feasible / infeasible / time_limit / error).

    ``tables`` are the plan as tables (written to ``plans/<stage>/<name>.csv``); ``kpis`` are JSON-ready
    numbers; ``violations`` come from the model's independent validator (empty = the plan is feasible).
    """

    status: str
    kpis: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    explanation: str | None = None
    log: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # in-memory objects later stages read (not saved)


@dataclass
class RunContext:
    """Everything a stage may read: the resolved scenario, the run's dataset and demand, earlier outputs."""

    scenario: Scenario
    dataset: Dataset
    demand: DemandTables
    run_dir: Path
    outputs: dict[str, StageOutput] = field(default_factory=dict)
    progress: Progress | None = None
    links: ModelLinks | None = None  # shared inputs (24/7 base set, access scope); the runner sets it

    def __post_init__(self) -> None:
        if self.links is None:
            self.links = ModelLinks(self.scenario, self.dataset)

    @property
    def shared(self) -> ModelLinks:
        """The run's shared inputs between models (computed once, on first use)."""
        assert self.links is not None
        return self.links

    def output(self, stage: str) -> StageOutput | None:
        """The output of an earlier stage, or None when the scenario did not run it."""
        return self.outputs.get(stage)


#: Solve statuses from worst to best; ``computed`` is an exact calculation with no solver (access KPIs).
STATUS_ORDER: tuple[str, ...] = ("error", "infeasible", "time_limit", "feasible", "optimal", "computed")


def status_of(statuses: list[str]) -> str:
    """The worst of several solve statuses (for stages that solve many models, e.g. one roster per hospital)."""
    present = [s for s in STATUS_ORDER if s in statuses]
    return present[0] if present else "computed"
