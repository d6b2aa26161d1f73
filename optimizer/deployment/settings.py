"""Planner settings of the surgical-team deployment model (embedded by scenarios as ``deployment:``).

Objective units: the model maximises *weighted procedures per week* covered. Every other weight converts
its quantity into that unit, so ``km_weight = 1e-4`` says "10,000 km of relocation are worth one weighted
procedure per week" and ``incentive_weight = 1e-6`` says "1,000,000 MXN per month are worth one".
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from optimizer.domain import MARGINALISATION_WEIGHT, MarginalisationDegree, TeamTemplate

SolverName = Literal["highs", "cbc", "cpsat"]

#: Default monthly remoteness bonus (MXN per person per month) by the hospital's marginalisation degree.
DEFAULT_DEGREE_BONUS_MXN: dict[MarginalisationDegree, float] = {
    MarginalisationDegree.MUY_BAJO: 0.0,
    MarginalisationDegree.BAJO: 0.0,
    MarginalisationDegree.MEDIO: 2_000.0,
    MarginalisationDegree.ALTO: 5_000.0,
    MarginalisationDegree.MUY_ALTO: 8_000.0,
}


class DeploymentSettings(BaseModel):
    """Weights, budget, team template, equity rules, re-planning and solver controls."""

    model_config = ConfigDict(extra="forbid")

    # --- team and rooms
    template: TeamTemplate = Field(default_factory=TeamTemplate, description="people per role per room")
    or_utilisation: float = Field(
        1.0, gt=0, le=1, description="share of a staffed room's 168 h/week usable for procedures"
    )

    # --- objective weights
    marginalisation_weight: dict[MarginalisationDegree, float] = Field(
        default_factory=lambda: dict(MARGINALISATION_WEIGHT),
        description="weight of one procedure/week by the hospital municipality's marginalisation degree",
    )
    km_weight: float = Field(1e-4, ge=0, description="objective units per km of relocation (home -> hospital)")
    incentive_weight: float = Field(1e-6, ge=0, description="objective units per MXN/month of incentive+bonus")
    access_weight: float = Field(
        0.0, ge=0,
        description="objective units per person newly within `access_minutes` of a 24/7 hospital (times the "
        "CONAPO degree weight of their municipality when `access_by_degree`); 1e-3 says 1,000 people brought "
        "within reach are worth one weighted procedure/week; 0 = access not valued. Needs the access data on "
        "the input (`optimizer.deployment.access_term.with_access`)",
    )
    access_minutes: float = Field(120.0, gt=0, description="travel time that counts as within reach, minutes")
    access_by_degree: bool = Field(
        True, description="weight people by the marginalisation degree of their municipality (as the MCLP does)"
    )

    # --- budget
    budget_mxn_month: float | None = Field(
        None, ge=0, description="monthly budget for incentives plus remoteness bonuses, MXN; None = no limit"
    )
    degree_bonus_mxn: dict[MarginalisationDegree, float] = Field(
        default_factory=lambda: dict(DEFAULT_DEGREE_BONUS_MXN),
        description="remoteness bonus per deployed person, MXN/month, by marginalisation degree",
    )
    remote_bonus_mxn: float = Field(
        5_000.0, ge=0, description="extra MXN/month per person at a hospital flagged remote"
    )

    # --- equity (optional constraints)
    min_hospital_share: float = Field(
        0.0, ge=0, le=1, description="every hospital covers at least this share of its procedures/week"
    )
    min_state_share: float = Field(
        0.0, ge=0, le=1, description="every state covers at least this share of its procedures/week"
    )
    min_hospitals_24_7: int = Field(0, ge=0, description="at least this many hospitals with a 24/7 team")

    # --- objective form
    objective_mode: Literal["weighted", "lexicographic"] = Field(
        "weighted", description="weighted sum, or coverage > hospitals reaching 24/7 > cost in rank order"
    )
    lex_tolerance: float = Field(
        0.0, ge=0, lt=1, description="relative loss allowed on an earlier objective in lexicographic mode"
    )

    # --- re-planning from a current deployment
    replan: Literal["penalise", "pin"] = Field(
        "penalise", description="'pin' keeps every currently deployed person in place; 'penalise' charges moves"
    )
    move_penalty: float = Field(1.0, ge=0, description="objective units per currently deployed person moved")

    # --- solver
    solver: SolverName = "highs"
    time_limit_s: float = Field(10.0, gt=0, description="wall-clock limit per solve, seconds")
    seed: int = Field(0, ge=0)
    threads: int = Field(2, ge=1, le=64)
    mip_gap: float = Field(1e-4, ge=0, le=1, description="relative gap at which a MIP solve stops")

    @model_validator(mode="after")
    def _complete_maps(self) -> DeploymentSettings:
        """A scenario may override a few degrees; the others keep their defaults."""
        self.marginalisation_weight = {**MARGINALISATION_WEIGHT, **self.marginalisation_weight}
        self.degree_bonus_mxn = {**DEFAULT_DEGREE_BONUS_MXN, **self.degree_bonus_mxn}
        return self
