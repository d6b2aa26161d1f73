"""Solver settings for the surgical scheduling model (CLI, scenarios, benchmarks)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """How to schedule a waiting list: limits, seed and which search pieces to switch on."""

    model_config = ConfigDict(extra="forbid")

    time_limit_s: float = Field(60.0, gt=0, description="wall-clock limit of the whole solve, seconds")
    seed: int = Field(0, ge=0, description="seed of the local search and of CP-SAT")
    workers: int = Field(2, ge=1, le=64, description="CP-SAT search workers")
    day_plan_share: float = Field(
        0.15, gt=0, lt=0.5, description="share of the time limit for the CP-SAT day plan (20 s at most); on i05 "
        "its objective (delay, postponements, open theatres) went from 12,780 at 2.4 s to 12,410 at 10 s"
    )
    day_plan_hint: bool = Field(
        True, description="solve the day plan twice, from a greedy plan as a complete hint and from none, each in "
        "half its time (keeping the better); off: once, from no hint"
    )
    local_search: bool = Field(True, description="simulated annealing over admissions, rooms, theatres and nurses")
    cooling: float = Field(
        200.0, gt=1, description="start over end temperature of the annealing (start: median cost increase of "
        "the moves tried in a short descent)"
    )
    lns: bool = Field(True, description="CP-SAT large-neighbourhood search over the patient part (a few dozen "
                      "patients re-inserted exactly, the rest fixed), alternating with low-temperature annealing")
    lns_share: float = Field(
        0.5, ge=0, lt=1, description="share of the search time (after the construction, before the nurse sweeps) "
        "given to the rounds of LNS and cold annealing at the end, once the annealing from hot has had "
        "``anneal_min_s``"
    )
    anneal_min_s: float = Field(
        90.0, ge=0, description="seconds the annealing from hot keeps before any LNS round. At 120 s on six "
        "instances (load 1-4) LNS after 35 s of annealing gave a mean gap of 15.2 % against 14.0 % without it; "
        "on solutions where the annealing had stalled, 30 s of LNS gained 3x what 30 s more annealing did. So "
        "up to 120 s the annealing has the whole search, and LNS starts after 90 s on longer runs"
    )
    lns_step_s: float = Field(1.5, gt=0, description="CP-SAT time limit of one LNS sub-problem, seconds")
    nurse_cpsat: bool = Field(True, description="exact CP-SAT re-assignment of nurses, one shift at a time")
    nurse_cpsat_share: float = Field(
        0.15, ge=0, lt=1, description="share of the time limit kept at the end for the CP-SAT nurse sweeps "
        "(15 s at most: they stop when no shift improves)"
    )
