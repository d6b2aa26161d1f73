"""Settings of the access layer: travel-time model, KPI thresholds, and the where-next solvers.

Every default is documented here, in one place, so a planner can see (and a scenario can override) the
assumptions behind "minutes to the nearest 24/7 hospital".
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from optimizer.domain import MARGINALISATION_WEIGHT, MarginalisationDegree

#: States whose road network is dominated by sierra (Sierra Madre del Sur, Occidental and Oriental,
#: Sierra Norte de Puebla, Altos de Chiapas): Chiapas, Durango, Guerrero, Hidalgo, Michoacán, Nayarit,
#: Oaxaca, Puebla. Trips that start or end there are slowed by ``mountain_factor``.
DEFAULT_MOUNTAIN_STATES: tuple[str, ...] = ("07", "10", "12", "13", "16", "18", "20", "21")


class TravelSettings(BaseModel):
    """Road travel-time estimate from coordinates when no origin-destination matrix is given.

    minutes = terrain × time(detour_factor × great-circle km), where time() drives the first
    ``local_km`` at ``local_kmh`` (municipal and rural roads), the next ``secondary_km`` at
    ``secondary_kmh`` (state roads) and the rest at ``highway_kmh`` (federal highways). Because the speed
    only rises with distance, time() is concave with time(0) = 0, so it is subadditive and the estimate
    keeps the triangle inequality between points of the same terrain. ``terrain`` is the mean of the
    origin's and the destination's factor (1 on the plain, ``mountain_factor`` in a mountain state), so
    the estimate is symmetric. The detour factor 1.35 is in the range of road circuity factors measured
    for national road networks (about 1.2 to 1.4, Ballou, Rahardja & Sakai 2002, Transportation Research A
    36(9)); speeds are typical posted/observed speeds for each class of Mexican road.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    detour_factor: float = Field(1.35, ge=1.0, le=3.0, description="road km per great-circle km")
    local_km: float = Field(10.0, ge=0, description="road km driven on local roads first, km")
    local_kmh: float = Field(30.0, gt=0, description="speed on local roads, km/h")
    secondary_km: float = Field(40.0, ge=0, description="road km on state roads after the local part, km")
    secondary_kmh: float = Field(55.0, gt=0, description="speed on state roads, km/h")
    highway_kmh: float = Field(80.0, gt=0, description="speed on federal highways, km/h")
    mountain_states: tuple[str, ...] = Field(DEFAULT_MOUNTAIN_STATES, description="CVE_ENT codes")
    mountain_factor: float = Field(1.3, ge=1.0, le=3.0, description="time multiplier in mountain states")

    @model_validator(mode="after")
    def _speeds_rise(self) -> TravelSettings:
        if not (self.local_kmh <= self.secondary_kmh <= self.highway_kmh):
            raise PydanticCustomError("speeds_order", "speeds must not fall with road class: local_kmh <= "
                                      "secondary_kmh <= highway_kmh")
        return self


class AccessSettings(BaseModel):
    """Thresholds, weights and solver limits of the access KPIs and the where-next models."""

    model_config = ConfigDict(extra="forbid")

    travel: TravelSettings = Field(default_factory=TravelSettings)
    resolution: Literal["localities", "municipalities"] = Field(
        "localities", description="population points: every locality of 1,000+ plus each municipality's "
        "remainder (where people live), or one point per municipality (the earlier approximation)")
    minutes: tuple[float, ...] = Field((60.0, 120.0), description="coverage thresholds, minutes")
    worst_served: int = Field(20, ge=1, description="rows in the worst-served municipalities table")
    degree_weights: dict[MarginalisationDegree, float] = Field(
        default_factory=lambda: dict(MARGINALISATION_WEIGHT),
        description="MCLP weight of a person by the CONAPO degree of their municipality",
    )
    team_cost_mxn: float = Field(
        1.0, ge=0, description="cost of one more complete team at a site (budget unit; 1 = count teams)"
    )
    model: Literal["mclp", "pmedian"] = Field(
        "mclp", description="where-next model: mclp (people within the limit) or pmedian (weighted minutes)")
    time_limit_s: float = Field(60.0, gt=0, description="wall-time limit of one where-next solve, s")
    seed: int = Field(0, ge=0, description="HiGHS random seed")
    threads: int = Field(2, ge=1, le=2, description="solver threads (the planning host has 2 cores)")
    mip_rel_gap: float = Field(1e-9, ge=0, le=1, description="relative gap at which a solve is optimal")
