"""Solver settings for the rostering engine (used by the CLI, scenarios and benchmarks)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RosterSettings(BaseModel):
    """How to solve a roster: limits, seed, and which CP-SAT techniques to switch on."""

    model_config = ConfigDict(extra="forbid")

    time_limit_s: float = Field(60.0, gt=0, description="wall-clock limit of the whole solve, seconds")
    seed: int = Field(0, ge=0, description="CP-SAT random seed (and the LNS neighbourhood seed)")
    workers: int = Field(2, ge=1, le=64, description="CP-SAT search workers")
    subsolvers: list[str] = Field(
        default_factory=lambda: ["max_lp", "reduced_costs"],
        description="CP-SAT full-problem workers; max_lp (LP with every clause linearised) gives the bound "
        "that proves the small benchmark instances optimal. With 2 workers CP-SAT runs only the first one (the "
        "second thread runs its interleaved LNS / local-search workers), so reduced_costs runs only with 3+ "
        "workers; alone it did worse on Instance5 (1,441 against 1,246 at 20 s, benchmarks/results/rostering.md)",
    )
    greedy_hint: bool = Field(
        False,
        description="start CP-SAT from the fast greedy roster; off by default because on Instance7 (30 s) "
        "the hinted search ended at 1485 against 1078 without the hint",
    )
    symmetry_breaking: bool = Field(True, description="order interchangeable (identical) people")
    decomposition: Literal["auto", "always", "never"] = Field(
        "auto",
        description="LNS over staff groups / week windows after a first full solve; 'auto' uses it when the "
        "model has more than `decomposition_min_cells` person-day-shift cells",
    )
    decomposition_min_cells: int = Field(
        3000,
        ge=0,
        description="size threshold (person x day x shift cells) for decomposition='auto'; our LNS beat the "
        "full solve on Instance8 (3,360 cells) and Instance12 but lost on Instance5/7 (896/1,680 cells), "
        "where it stalls in a local optimum the full solve escapes (benchmarks/results/rostering.md)",
    )
    full_solve_share: float = Field(
        0.2, gt=0, le=1,
        description="share of the time limit given to the first full-model solve when the LNS is used (the LNS "
        "improved faster than the full solve on Instance8-12; Instance12 at 30 s: 9,823 with 0.15, 10,502 with 0.3)",
    )
    lns_step_s: float = Field(1.0, gt=0, description="time limit of one LNS step (a CP-SAT sub-solve), seconds")
    lns_max_people: int = Field(6, ge=2, description="most people freed in one LNS step")
    lns_stall_steps: int = Field(
        30, ge=1, description="LNS steps in a row without improvement after which one more person is freed"
    )
    explain_time_limit_s: float = Field(20.0, gt=0, description="limit of the infeasibility explanation, s")
    log: bool = Field(False, description="print the CP-SAT search log")
