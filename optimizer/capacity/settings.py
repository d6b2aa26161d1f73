"""Settings of the capacity LP and the WISN calculation (pydantic, used by scenarios)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from optimizer.domain import SURGICAL_SPECIALTIES, Specialty, TeamTemplate

#: Base monthly pay of a specialist physician at IMSS-Bienestar before the remote-area bonus: MXN 39,021
#: (Z. Robledo, press conference of 11 April 2024, reported by El Heraldo de México the same day).
PHYSICIAN_SALARY_MXN = 39_021.0
#: Monthly pay of a specialist nurse at IMSS-Bienestar: up to MXN 32,000 (A. Svarch, press conference of
#: 3 March 2026, reported by El Ágora).
SPECIALIST_NURSE_SALARY_MXN = 32_000.0


def _default_salaries() -> dict[Specialty, float]:
    return {
        s: (SPECIALIST_NURSE_SALARY_MXN if s == Specialty.SURGICAL_NURSING else PHYSICIAN_SALARY_MXN)
        for s in Specialty
    }


class Allowances(BaseModel):
    """Absences of a full-time worker per year (WISN step 2), the same for every cadre unless overridden.

    ``availability`` = (A - B - C - D - E) / A is the share of contracted hours a person is really at work;
    the capacity LP multiplies contracted weekly hours by it.
    """

    model_config = ConfigDict(extra="forbid")

    working_days_per_week: float = Field(5.0, gt=0, le=7, description="days/week (A = this x 52)")
    public_holidays: float = Field(7.0, ge=0, description="days/year; the 7 mandatory rest days of LFT art. 74")
    annual_leave: float = Field(20.0, ge=0, description="days/year; two 10-day periods, LFTSE art. 30")
    sick_leave: float = Field(8.0, ge=0, description="days/year; planner estimate, override with HR data")
    training: float = Field(5.0, ge=0, description="days/year of training and study leave")

    @property
    def working_days(self) -> float:
        """``A``: possible working days in a year."""
        return self.working_days_per_week * 52.0

    @property
    def availability(self) -> float:
        """Share of contracted time actually worked, (A - B - C - D - E) / A (dimensionless)."""
        return (self.working_days - self.absence_days) / self.working_days

    @property
    def absence_days(self) -> float:
        """``B + C + D + E`` in days per year."""
        return self.public_holidays + self.annual_leave + self.sick_leave + self.training

    @model_validator(mode="after")
    def _positive(self) -> Allowances:
        if self.absence_days >= self.working_days:
            raise PydanticCustomError(
                "absences_exceed", "absences ({absence} days/year) leave no working time out of {working} "
                "possible days", {"absence": self.absence_days, "working": self.working_days})
        return self


class WisnStandards(BaseModel):
    """Activity standards for the WISN of the surgical cadres (WISN steps 3-4), set by the planning team.

    Service standard: a case of a surgical specialty takes the or_hours of its procedure mix
    (data/reference/procedures.csv) from each team member, times the people of the cadre in the team.
    """

    model_config = ConfigDict(extra="forbid")

    turnover_hours_per_case: float = Field(
        0.25, ge=0, description="h per case each team member spends on room turnover and hand-over")
    support_percent: dict[str, float] = Field(
        default_factory=lambda: {"records and ward rounds": 8.0, "clinical meetings": 4.0},
        description="category allowances CAS_k, % of working time every member spends on them")
    additional_hours_per_year: dict[str, tuple[float, int]] = Field(
        default_factory=lambda: {"head of service": (4.0 * 44, 1)},
        description="individual allowances: activity -> (IAS_j h/year per person doing it, n_j people)")

    @model_validator(mode="after")
    def _cas(self) -> WisnStandards:
        total = sum(self.support_percent.values())
        if not 0 <= total < 100:
            raise PydanticCustomError("cas_total", "category allowances add up to {total} %; they must be in "
                                      "[0, 100)", {"total": total})
        for name, pct in self.support_percent.items():
            if pct < 0:
                raise PydanticCustomError("cas_negative", "category allowance '{name}': CAS must be >= 0, got {pct}",
                                          {"name": name, "pct": pct})
        for name, (hours, people) in self.additional_hours_per_year.items():
            if hours < 0 or people < 0:
                raise PydanticCustomError("ias_negative", "individual allowance '{name}': IAS and n_j must be >= 0",
                                          {"name": name})
        return self


class CapacitySettings(BaseModel):
    """Parameters of the 24/7 capacity LP.

    Rooms, ward blocks and emergency units each need a full team for every hour they run. Ward and
    emergency teams must use roles disjoint from the operating-room team and from each other, so that each
    role row of the LP belongs to one kind of unit (this keeps the 24/7 status exact in closed form).
    """

    model_config = ConfigDict(extra="forbid")

    time_limit_s: float = Field(60.0, gt=0, description="wall-clock limit for the whole solve, seconds")
    seed: int = Field(0, ge=0, description="HiGHS random_seed")
    threads: int = Field(2, ge=1, description="HiGHS threads")
    team: TeamTemplate = Field(default_factory=TeamTemplate)
    ward_beds_per_block: int = Field(30, ge=1, description="beds one ward team covers")
    ward_team: dict[Specialty, float] = Field(
        default_factory=lambda: {Specialty.INTERNAL_MEDICINE: 1.0},
        description="people per ward block at every hour the ward is staffed")
    er_bays_per_unit: int = Field(8, ge=1, description="emergency bays one emergency team covers")
    er_team: dict[Specialty, float] = Field(
        default_factory=lambda: {Specialty.EMERGENCY_MEDICINE: 1.0},
        description="people per emergency unit at every hour it runs")
    couple_ward: bool = Field(
        False, description="an operating room runs only while the post-operative ward is staffed by the "
        "ward team (off by default: today surgeons and nurses also cover post-operative care, and the "
        "records show surgery at hospitals with no internist in post)")
    allowances: Allowances = Field(default_factory=Allowances)
    monthly_salary_mxn: dict[Specialty, float] = Field(
        default_factory=_default_salaries, description="base pay per person and role, MXN/month")
    default_weekly_hours: float = Field(
        40.0, gt=0, le=80, description="contract hours/week of one more person when the data has none")
    weights: dict[str, float] | None = Field(
        None, description="procedure weight by marginalisation degree; None = domain.MARGINALISATION_WEIGHT")
    wisn: WisnStandards = Field(default_factory=WisnStandards)

    @model_validator(mode="after")
    def _disjoint(self) -> CapacitySettings:
        or_roles = set(SURGICAL_SPECIALTIES) | {Specialty.ANAESTHESIOLOGY, Specialty.SURGICAL_NURSING}
        ward, er = set(self.ward_team), set(self.er_team)
        for name, roles in (("ward_team", ward), ("er_team", er)):
            if roles & or_roles:
                raise PydanticCustomError("team_or_roles", "{team} uses operating-room roles {roles}",
                                          {"team": name, "roles": str(sorted(r.value for r in roles & or_roles))})
        if ward & er:
            raise PydanticCustomError("teams_share_roles", "ward_team and er_team share roles {roles}",
                                      {"roles": str(sorted(r.value for r in ward & er))})
        for name, team in (("ward_team", self.ward_team), ("er_team", self.er_team)):
            for role, people in team.items():
                if people <= 0:
                    raise PydanticCustomError("team_people", "{team}[{role}] must be > 0 people, got {people}",
                                              {"team": name, "role": role.value, "people": people})
        return self

    def or_team(self, specialty: Specialty) -> dict[Specialty, float]:
        """People per role one operating-room hour of ``specialty`` needs (zero-count roles dropped)."""
        return {r: float(n) for r, n in self.team.roles(specialty).items() if n > 0}
