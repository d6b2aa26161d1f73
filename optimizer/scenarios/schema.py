"""The scenario file: a base dataset plus overrides, the models to run and each model's own settings.

A scenario is the unit of work of every run. It is a YAML document validated by :class:`Scenario`
(``extra="forbid"`` everywhere, so a misspelt key is an error, reported with its line by
:mod:`optimizer.scenarios.yamlfile`). The validators' own errors are ``PydanticCustomError`` whose type names
the message in the ``validation`` catalogue (``validation.state_code``, ...), so a planner reads them in Spanish.
Each model section embeds that model's settings class unchanged
(``optimizer/<model>/settings.py``), so a scenario can set anything the model's CLI can.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from optimizer.access.settings import AccessSettings
from optimizer.capacity.settings import CapacitySettings
from optimizer.deployment.settings import DeploymentSettings
from optimizer.distribution.settings import DistributionSettings
from optimizer.domain import RENAPO_CODES, Specialty
from optimizer.rostering.hospital import HospitalRules
from optimizer.rostering.settings import RosterSettings
from optimizer.surgery.settings import Settings as SurgerySettings

#: Models a scenario can run, in the order the runner chains them.
MODEL_ORDER: tuple[str, ...] = ("deployment", "capacity", "rostering", "surgery", "distribution", "access")
ModelName = Literal["deployment", "capacity", "rostering", "surgery", "distribution", "access"]
#: Models a scenario runs when it does not list them (``surgery`` only when asked for).
DEFAULT_MODELS: tuple[str, ...] = tuple(m for m in MODEL_ORDER if m != "surgery")

#: Keyword for every planned unit (``status=planned`` in facilities.csv: the CLUES units in construction or pending).
PLANNED_2025 = "planned_2025"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _state_codes(values: list[str]) -> list[str]:
    out = []
    for v in values:
        code = str(v).zfill(2)
        if code not in RENAPO_CODES:
            raise PydanticCustomError("state_code", "'{value}' is not a state code 01..32", {"value": str(v)})
        out.append(code)
    return out


class GenerateBase(_Section):
    """Generate the base dataset with the synthetic generator (cached by seed and counts)."""

    seed: int = Field(42, ge=0, description="generator seed")
    n_records: int | None = Field(None, gt=0, description="encounter rows; None = generator default")
    program_hospitals: int | None = Field(None, gt=0, le=282, description="program hospitals (small test sets)")
    other_hospitals_per_state: int | None = Field(
        None, ge=0, description="other real hospitals kept per state (small test sets); None = every one")
    umfs: int | None = Field(None, ge=0, description="real primary-care units carrying records and stock")
    pharmacies: int | None = Field(None, ge=0, description="Farmacias del Bienestar")

    def config_overrides(self) -> dict[str, int]:
        """The generator settings this section sets (the rest keep the generator's defaults)."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


class DatasetSource(_Section):
    """Where the base data comes from: a dataset folder, or the generator. Exactly one of the two."""

    path: str | None = Field(None, description="dataset folder (relative paths: to the scenario file)")
    generate: GenerateBase | None = None

    @model_validator(mode="after")
    def _one(self) -> DatasetSource:
        if (self.path is None) == (self.generate is None):
            raise PydanticCustomError("dataset_source", "give exactly one of 'path' (a dataset folder) or 'generate' "
                                      "(generator settings)")
        return self


class DemandMultiplier(_Section):
    """Multiply demand matching every given selector (an empty selector matches everything).

    ``specialties`` restrict to surgical demand, ``skus``/``groups`` to medicine demand; a rule with
    neither applies to both. ``months`` makes the rule seasonal: it applies only when the scenario's
    ``planning_month`` is one of them.
    """

    factor: float = Field(ge=0, le=100, description="demand multiplier (1.3 = +30%)")
    states: list[str] = Field(default_factory=list, description="CVE_ENT codes of the facility's state")
    specialties: list[Specialty] = Field(default_factory=list)
    skus: list[str] = Field(default_factory=list, description="medicine catalogue keys")
    groups: list[str] = Field(default_factory=list, description="medicine groups (medicines.csv 'group')")
    months: list[int] = Field(default_factory=list, description="1..12; empty = all year")

    _states = field_validator("states")(_state_codes)

    @field_validator("months")
    @classmethod
    def _months(cls, v: list[int]) -> list[int]:
        for m in v:
            if not 1 <= m <= 12:
                raise PydanticCustomError("month", "month {month} is not in 1..12", {"month": m})
        return v

    @property
    def surgical(self) -> bool:
        """Does the rule touch surgical demand?"""
        return not (self.skus or self.groups)

    @property
    def medicine(self) -> bool:
        """Does the rule touch medicine demand?"""
        return not self.specialties


class FacilityChanges(_Section):
    """Facilities opened (planned -> open) or closed (removed from the network)."""

    open: list[str] = Field(default_factory=list, description=f"CLUES keys, or '{PLANNED_2025}' for all planned")
    close: list[str] = Field(default_factory=list, description="CLUES keys of open facilities to close")
    join_program: bool = Field(True, description="opened hospitals join the Médicos del Bienestar program")
    catchment_share: float = Field(
        0.5, ge=0, le=1,
        description="share of the nearest open program hospital's (same state) demand an opened hospital takes",
    )


class DepotChanges(_Section):
    """Depot outages: the listed depots get ``status=closed`` (their stock and vehicles are unusable)."""

    close: list[str] = Field(default_factory=list, description="depot ids, e.g. D003")


class RecruitPool(_Section):
    """Reshape the recruited pool; the people in post are never touched.

    ``size`` resamples the pool to that many people (a subset when smaller, extra people drawn like the
    existing ones when larger); ``specialty_mix`` and ``origin`` are shares (normalised to 1) that the new
    pool meets exactly up to rounding (largest remainder).
    """

    size: int | None = Field(None, ge=0, le=100_000, description="people in the pool")
    specialty_mix: dict[Specialty, float] = Field(default_factory=dict, description="share by specialty")
    origin: dict[str, float] = Field(default_factory=dict, description="share by home state (CVE_ENT)")
    incentive_factor: float = Field(1.0, ge=0, le=10, description="multiplies each recruit's asked incentive")

    @field_validator("specialty_mix", "origin")
    @classmethod
    def _shares(cls, v: dict) -> dict:
        if v and (any(x < 0 for x in v.values()) or sum(v.values()) <= 0):
            raise PydanticCustomError("shares", "shares must be >= 0 and add up to more than 0")
        return v

    @field_validator("origin")
    @classmethod
    def _origin_codes(cls, v: dict[str, float]) -> dict[str, float]:
        return dict(zip(_state_codes(list(v)), v.values(), strict=True))

    @property
    def changes_pool(self) -> bool:
        """True when the override changes who is in the pool (not only their incentives)."""
        return self.size is not None or bool(self.specialty_mix) or bool(self.origin)


class RosteringRun(_Section):
    """Which hospitals to roster in a run (a sample keeps the demo fast) and in how many processes."""

    max_hospitals: int = Field(6, ge=0, le=400, description="cap on hospitals rostered per run")
    weeks: int = Field(2, ge=1, le=8, description="weeks in each roster (starts on a Monday)")
    processes: int = Field(
        1, ge=1, le=8,
        description="parallel solve processes; on the 2-core host one process with 2 CP-SAT workers per hospital "
        "rostered 4 of 4 national hospitals in 60 s where 2 processes x 1 worker rostered 1 of 4 (a single "
        "CP-SAT worker needs ~15 s for a first roster; two find one in ~0.5 s)")
    settings: RosterSettings = Field(default_factory=lambda: RosterSettings(time_limit_s=10.0, workers=2))


class SurgeryRun(_Section):
    """Which hospitals' surgical waiting lists to schedule in a run (a sample), and how."""

    max_hospitals: int = Field(3, ge=0, le=400, description="cap on hospitals scheduled per run")
    weeks: int = Field(2, ge=1, le=8, description="horizon of each schedule, weeks")
    max_patients: int = Field(80, ge=1, le=1000, description="waiting patients per hospital (urgent first)")
    settings: SurgerySettings = Field(default_factory=lambda: SurgerySettings(time_limit_s=15.0))


class Scenario(_Section):
    """A what-if: base dataset, overrides, models and their settings, seed."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="short id, used in run folder names")
    description: str = ""
    seed: int = Field(0, ge=0, description="seed of every random choice in overrides and solvers")
    dataset: DatasetSource = Field(default_factory=lambda: DatasetSource(generate=GenerateBase()))
    planning_month: int = Field(3, ge=1, le=12, description="month being planned (seasonal multipliers)")
    planning_year: int = Field(2025, ge=2000, le=2100, description="year of the week the distribution plans")
    models: list[ModelName] = Field(default_factory=lambda: list(DEFAULT_MODELS))
    demand: list[DemandMultiplier] = Field(default_factory=list)
    facilities: FacilityChanges = Field(default_factory=FacilityChanges)
    depots: DepotChanges = Field(default_factory=DepotChanges)
    recruits: RecruitPool = Field(default_factory=RecruitPool)
    labour: HospitalRules = Field(default_factory=HospitalRules, description="roster labour rules and weights")
    deployment: DeploymentSettings = Field(default_factory=DeploymentSettings)
    capacity: CapacitySettings = Field(default_factory=CapacitySettings)
    rostering: RosteringRun = Field(default_factory=RosteringRun)
    surgery: SurgeryRun = Field(default_factory=SurgeryRun)
    distribution: DistributionSettings = Field(
        default_factory=DistributionSettings,
        description="distribution settings; in a scenario file the key `central_supply_file: <path>` names a CSV "
        "sku,units,expiry_date (a relative path is taken from the scenario file's folder) whose rows become the "
        "inline `central_supply` lots when the file is loaded (give one of the two keys, not both)")
    access: AccessSettings = Field(default_factory=AccessSettings)

    @field_validator("models")
    @classmethod
    def _models(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise PydanticCustomError("model_twice", "a model is listed twice")
        return [m for m in MODEL_ORDER if m in v]

    def seeded(self) -> Scenario:
        """A copy where every solver seed the file did not set explicitly follows the scenario ``seed``."""
        data = self.model_dump(mode="json")
        owners = (
            (data["deployment"], self.deployment),
            (data["capacity"], self.capacity),
            (data["rostering"]["settings"], self.rostering.settings),
            (data["surgery"]["settings"], self.surgery.settings),
            (data["distribution"]["allocation"], self.distribution.allocation),
            (data["distribution"]["routing"], self.distribution.routing),
            (data["access"], self.access),
        )
        for section, owner in owners:
            if "seed" not in owner.model_fields_set:
                section["seed"] = self.seed
        return Scenario.model_validate(data)
