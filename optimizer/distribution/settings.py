"""Settings of the distribution models (allocation LP and routing), used by the CLI and by scenarios."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError


def _renamed(data: Any, names: dict[str, str]) -> Any:
    """Accept the keys these settings had before ``time_limit_s`` was used everywhere (scenario files, stored
    runs), under their new names; giving both the old and the new key is an error."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for old, new in names.items():
        if old in out:
            if new in out:
                raise PydanticCustomError("renamed_key", "give '{new}' only ('{old}' is its former name)",
                                          {"new": new, "old": old})
            out[new] = out.pop(old)
    return out


class RoutingSettings(BaseModel):
    """How routes are searched: engine, time limit and seed."""

    model_config = ConfigDict(extra="forbid")

    engine: Literal["pyvrp", "ortools"] = Field("pyvrp", description="PyVRP (default) or OR-Tools routing")
    time_limit_s: float = Field(10.0, gt=0, description="seconds of search per routing instance")
    seed: int = Field(1, ge=0, description="random seed (PyVRP; OR-Tools GLS is deterministic)")

    @model_validator(mode="before")
    @classmethod
    def _former_names(cls, data: Any) -> Any:
        return _renamed(data, {"time_limit": "time_limit_s"})


class AllocationSettings(BaseModel):
    """Forecast, safety stock and allocation rules for one week of replenishment."""

    model_config = ConfigDict(extra="forbid")

    history_weeks: int = Field(8, ge=1, description="weeks in the moving average")
    lead_time_days: float = Field(3.0, ge=0, description="days from the order to the delivery")
    review_days: float = Field(7.0, gt=0, description="days between two replenishments")
    service_level_z: float = Field(1.645, ge=0, description="safety factor (1.645 = 95% cycle service)")
    max_depot_km: float = Field(
        350.0, gt=0, description="a depot may supply facilities within this road distance (plus the nearest)"
    )
    delivery_days_per_week: int = Field(5, ge=1, le=7, description="weekdays with deliveries")
    fleet_utilisation: float = Field(
        0.8, gt=0, le=1, description="share of the fleet's daily capacity (m3, kg) usable for the week"
    )
    time_limit_s: float = Field(
        120.0, gt=0, description="seconds per lexicographic LP stage (the national full LP's max-min stage "
        "took 51-89 s at load 3; total_time_limit_s bounds the sum)")
    total_time_limit_s: float = Field(
        180.0, gt=0, description="seconds for the whole allocation (all stages); when the full LP stops early "
        "the best feasible plan at hand is kept (status feasible) and the stopped stage is named")
    seed: int = Field(1, ge=0, description="HiGHS random seed")
    decompose: bool = Field(
        True, description="try the exact per-SKU decomposition first (falls back to the full LP when a depot's "
        "dispatch capacity would bind)")
    tolerance: float = Field(1e-8, ge=0, description="relative slack when fixing an earlier tier's optimum")

    @model_validator(mode="before")
    @classmethod
    def _former_names(cls, data: Any) -> Any:
        return _renamed(data, {"time_limit": "time_limit_s", "total_time_limit": "total_time_limit_s"})


class CentralLot(BaseModel):
    """One lot arriving at the central warehouse this week (a row of a central-supply CSV)."""

    model_config = ConfigDict(extra="forbid")

    sku: str = Field(description="key of the medicines catalogue")
    units: int = Field(ge=0, description="units arriving")
    expiry_date: dt.date = Field(description="the lot's expiry date")


class DistributionSettings(BaseModel):
    """Everything `bienestar distribute` needs beyond the dataset and the day."""

    model_config = ConfigDict(extra="forbid")

    allocation: AllocationSettings = Field(default_factory=AllocationSettings)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    detour_factor: float = Field(1.3, ge=1.0, description="road km per straight-line (haversine) km")
    service_minutes: float = Field(20.0, ge=0, description="fixed unloading time per stop, minutes")
    service_minutes_per_m3: float = Field(10.0, ge=0, description="extra unloading time per m3, minutes")
    unserved_penalty_mxn: float = Field(
        50_000.0, gt=0, description="cost of leaving a delivery unserved today (makes it optional, not lost)"
    )
    central_supply: list[CentralLot] = Field(
        default_factory=list, description="lots arriving at the central warehouse this week, split among depots "
        "within their storage before the allocation (`distribute --central-supply FILE` overrides it); inline so "
        "that a scenario run and its cache key hold the supply itself. A scenario file may instead name a CSV "
        "with `central_supply_file: <path>` (relative to the scenario file's folder), read into these lots when "
        "the scenario is loaded")
