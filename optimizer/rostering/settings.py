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
        description="after a short full solve, LNS over people (lns.py: a few people re-rostered over the whole "
        "horizon, or a box of people x days, in a small sub-model); 'auto' uses it when the model has at least "
        "`decomposition_min_cells` person-day-shift cells",
    )
    decomposition_min_cells: int = Field(
        3000,
        ge=0,
        description="size threshold (person x day x shift cells) for decomposition='auto'. At 60 s the people "
        "LNS beat the full solve on Instance8-12 (3,360-16,800 cells; Instance8 1,827 against 2,162, Instance11 "
        "3,457 against 4,090) but lost on Instance5 (896 cells: 1,240 against 1,153), and the full solve proves "
        "Instance1-4 optimal (benchmarks/results/rostering.md)",
    )
    column_generation_max_cells: int = Field(
        10000, ge=0,
        description="when the LNS is used and the instance has no fairness rule and at most this many person x day "
        "x shift cells, column generation (colgen.py) replaces the short full solve: its root LP gives the bound "
        "and a dive the LNS start. 60 s, seed 0: Instance8 1,403 against 1,733, Instance10 4,635 against 4,659, "
        "Instance11 3,443 against 3,452; Instance12 (16,800 cells) 5,457 against 4,214, its root does not converge "
        "in time (benchmarks/results/rostering.md)",
    )
    colgen_root_share: float = Field(
        0.4, gt=0, lt=1,
        description="share of the time limit (from the start of the call) by which the column generation root stops "
        "(it stops earlier once the Lagrangian bound is within 0.2 % of the LP). Instance8 under load: 13-27 pricing "
        "rounds by 24 s, LP 1,297-1,355 against 1,296.6 converged",
    )
    colgen_dive_share: float = Field(
        0.7, gt=0, lt=1,
        description="share of the time limit by which the dive must end; it fixes people at the pace that ends it "
        "there (a slower dive is a better one: Instance8 1,408 fixing one person a round in 55 s, 1,622-1,850 in "
        "13-18 s); the LNS gets the rest",
    )
    full_solve_share: float = Field(
        0.1, gt=0, le=1,
        description="share of the time limit given to the first full-model solve (hinted with the person-by-person "
        "construction) when the LNS is used; it gives the bound. 60 s runs: Instance12 4,854 with 0.1 against "
        "5,064 with 0.2; Instance8 2,008 against 1,924 (single runs, noise of a few hundred)",
    )
    lns_step_s: float = Field(
        1.0, gt=0,
        description="time limit of one LNS step (a CP-SAT sub-solve), seconds; most finish in 0.05-0.3 s. "
        "0.3 s measured worse on Instance12 (5,703 against 4,854 at 60 s)",
    )
    lns_max_people: int = Field(
        10, ge=2,
        description="most people freed in one whole-horizon LNS step (Instance8 at 20 s: 1,948 with 10 against "
        "2,538 with 6)",
    )
    lns_stall_steps: int = Field(
        10, ge=1,
        description="LNS steps in a row without improvement after which one more person is freed (back to 2 "
        "after an improvement); 10 with lns_max_people=10 is the measured pair above (30 with 6 before)",
    )
    rolling_min_days: int = Field(
        100, ge=1,
        description="horizons of at least this many days get their first roster from the rolling-horizon "
        "construction (horizon.py) instead of the full model / whole-horizon person-by-person path, which returned "
        "no roster for Instance20 (182 days) in 60 s and needs 53 s only to build Instance24's full model (364 "
        "days); Instance1-19 (at most 84 days) keep their path",
    )
    rolling_block_days: int = Field(
        28, ge=7, description="days per block of the rolling-horizon construction (horizon.py)",
    )
    rolling_pace_share: float = Field(
        0.5, gt=0, le=1,
        description="share of the time limit the rolling-horizon construction paces its per-person windows to "
        "fill (it may run on to the limit when windows need more time); the people LNS gets the rest",
    )
    explain_time_limit_s: float = Field(20.0, gt=0, description="limit of the infeasibility explanation, s")
    log: bool = Field(False, description="print the CP-SAT search log")
