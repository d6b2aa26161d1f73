"""The contract every model package keeps: one status vocabulary, one plan shape, one validation result.

Every model package (``deployment``, ``rostering``, ``capacity``, ``distribution``, ``access``, ``surgery``)
exports from its ``__init__``: ``Input``, ``Settings``, ``Plan``, ``solve(input, settings) -> Plan``,
``validate(input, plan, settings) -> Validation``, ``kpis(input, plan, settings) -> dict`` and
``run(input, settings) -> Run``. A plan satisfies :class:`PlanLike`; the validator recomputes feasibility and
the objective from the plan and the input alone (no solver objects) and returns a :class:`Validation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar, runtime_checkable

#: Solver outcome as reported to a person: ``optimal`` (proven), ``feasible`` (a plan with a gap or no bound),
#: ``time_limit`` (stopped by the clock; the plan, if any, is the best found), ``infeasible`` (no plan meets the
#: hard rules; ``explanation`` names the rule), ``error`` (the solver or the plan's validation failed).
Status = Literal["optimal", "feasible", "infeasible", "time_limit", "error"]

STATUSES: tuple[Status, ...] = ("optimal", "feasible", "infeasible", "time_limit", "error")


@runtime_checkable
class PlanLike(Protocol):
    """What every model's plan exposes, whatever else it holds.

    ``objective`` and ``bound`` are in the model's own objective units (documented on its ``Plan``);
    ``gap`` is relative, ``|objective - bound| / max(|objective|, 1e-9)``, ``None`` where there is no bound;
    ``solve_seconds`` is wall time around the whole ``solve`` call (s).
    """

    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    solve_seconds: float
    explanation: str | None


@dataclass
class Validation:
    """An independent validator's verdict on a plan.

    ``violations`` are human-readable hard-rule breaches (empty when feasible); ``objective`` is the objective
    recomputed from the plan alone (model units), ``None`` where the model has no scalar objective.
    """

    violations: list[str] = field(default_factory=list)
    objective: float | None = None

    @property
    def ok(self) -> bool:
        """True when the plan breaks no hard rule."""
        return not self.violations


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``|objective - bound| / max(|objective|, 1e-9)``, or ``None`` when either side is missing."""
    if objective is None or bound is None:
        return None
    return abs(objective - bound) / max(abs(objective), 1e-9)


P = TypeVar("P")


@dataclass
class Run(Generic[P]):
    """One model run end to end, what the CLI, the scenario stages and the API all read.

    ``plan`` is the model's :class:`PlanLike` plan; ``validation`` the independent validator's verdict;
    ``kpis`` the model's one KPI dict (JSON-ready numbers, units in the key or the model's docs);
    ``tables`` the plan as named tables (pandas DataFrames, written as CSV by the scenario runner);
    ``log`` one-line summaries for a run's log.
    """

    plan: P
    validation: Validation
    kpis: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    @property
    def status(self) -> Status:
        """The plan's status, ``error`` when the validator found a violated hard rule."""
        status: Status = self.plan.status  # type: ignore[attr-defined]
        return status if self.validation.ok else "error"
