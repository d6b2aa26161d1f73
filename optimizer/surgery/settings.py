"""Solver settings for the surgical scheduling model (CLI, scenarios, benchmarks)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """How to schedule a waiting list: limits, seed and which search pieces to switch on."""

    model_config = ConfigDict(extra="forbid")

    time_limit_s: float = Field(60.0, gt=0, description="wall-clock limit of the whole solve, seconds")
    seed: int = Field(0, ge=0, description="seed of the local search and of CP-SAT")
    workers: int = Field(2, ge=1, le=64, description="CP-SAT search workers")
    local_search: bool = Field(True, description="simulated annealing over admissions, rooms, theatres and nurses")
    nurse_cpsat: bool = Field(True, description="exact CP-SAT re-assignment of nurses, one shift at a time")
    nurse_cpsat_share: float = Field(
        0.15, ge=0, lt=1, description="share of the time limit kept at the end for the CP-SAT nurse sweeps"
    )
