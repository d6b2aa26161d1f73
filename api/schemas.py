"""Response bodies of the read resources (the OpenAPI contract); fields mirror the store's tables.

``Staff`` carries the keyed hash ``hid`` and never a CURP; demand rows carry ``suppressed`` when fewer
than the threshold of patients stand behind them (their numbers are then null).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

T = TypeVar("T")


def _utc(value: datetime) -> datetime:
    """Times are stored in UTC; SQLite returns them without an offset, so the offset is put back."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


#: A UTC timestamp, always serialised with its offset (RFC 3339 ``date-time``).
UtcDateTime = Annotated[datetime, AfterValidator(_utc)]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    """One page of a list: ``total`` rows match the filters, ``items`` holds at most ``limit`` of them."""

    total: int
    limit: int
    offset: int
    items: list[T]


class State(_Out):
    cve_ent: str
    name: str
    abbreviation: str
    capital: str
    capital_lat: float
    capital_lon: float
    population_2020: int
    marginalisation_degree: str
    imss_bienestar: bool


class Facility(_Out):
    clues: str
    name: str
    kind: str
    cve_ent: str
    cvegeo: str
    lat: float
    lon: float
    beds: int
    operating_rooms: int
    emergency_bays: int
    marginalisation_degree: str
    remote: bool
    program: bool
    status: str
    opening_year: int
    open_minute: int = Field(description="deliveries accepted from, minutes after 00:00")
    close_minute: int = Field(description="deliveries accepted until, minutes after 00:00")


class Staff(_Out):
    """A person, pseudonymised: ``hid`` is the HMAC of the national ID, which the API never holds."""

    specialist_id: str
    hid: str
    specialty: str
    sex: str
    home_state: str
    home_cvegeo: str
    status: str
    facility_clues: str | None
    weekly_hours: float = Field(description="contract hours per week")
    willing_states: list[str]
    max_km: float | None
    incentive_mxn: float = Field(description="monthly incentive required, MXN")


class Medicine(_Out):
    sku: str
    name: str
    presentation: str
    group: str
    volume_l: float
    weight_kg: float
    cold_chain: bool
    criticality: str
    shelf_life_days: int
    unit_cost_mxn: float


class Depot(_Out):
    depot_id: str
    name: str
    cve_ent: str
    lat: float
    lon: float
    capacity_m3: float | None  # None: not recorded (older depots.csv); storage treated as unlimited
    cold_capacity_m3: float | None
    status: str


class Vehicle(_Out):
    vehicle_id: str
    depot_id: str
    capacity_m3: float
    capacity_kg: float
    cold_chain: bool
    shift_start_min: int
    shift_end_min: int
    cost_per_km: float = Field(description="MXN per km")
    fixed_cost: float = Field(description="MXN per day used")
    speed_kmh: float


class StockItem(_Out):
    location: str = Field(description="depot_id or CLUES")
    sku: str
    units: int
    expiry_date: date


class SurgicalDemand(_Out):
    """Weekly surgical demand of one hospital and specialty (null numbers when suppressed)."""

    clues: str
    specialty: str
    procedures_per_week: float | None
    or_hours_per_week: float | None
    patients: int | None
    suppressed: bool


class MedicineDemand(_Out):
    """Weekly medicine demand of one facility and SKU (null numbers when suppressed)."""

    clues: str
    sku: str
    units_per_week: float | None
    patients: int | None
    suppressed: bool
