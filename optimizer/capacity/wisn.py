"""WISN: Workload Indicators of Staffing Need (WHO 2010 user's manual), computed exactly.

One calculation per cadre and facility. Every intermediate is an exact fraction (inputs are read through
their decimal text, so 0.1 stays one tenth); only what is shown is rounded, half-up, by :func:`show`.
Time unit: hours throughout (AWT is also given in days for tables that count days).
See ``../shared/benchmarks/rostering/WISN.md`` for the method and the published cases the tests reproduce.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from optimizer.i18n import MsgError, msg


class WisnInputError(MsgError):
    """A WISN input that cannot be computed; the message names the activity and the field (Spanish first)."""


def _at(inp: WisnInput) -> dict[str, str]:
    """Where a WISN input error is: the cadre and the facility, as message parameters."""
    return {"cadre": f"{inp.cadre}", "facility": f"{inp.facility}"}


def exact(value: float | int | str | Fraction) -> Fraction:
    """``value`` as an exact fraction of its decimal text (``0.1`` -> 1/10, not the nearest binary float)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    return Fraction(value)


def show(value: Fraction | float, places: int = 2) -> Decimal:
    """Round for display, half-up (``2.675`` -> ``2.68``), as the WHO tables do."""
    q = Decimal(1).scaleb(-places)
    exact_value = exact(value)
    return (Decimal(exact_value.numerator) / Decimal(exact_value.denominator)).quantize(q, ROUND_HALF_UP)


@dataclass(frozen=True)
class ServiceActivity:
    """A health-service activity counted in statistics: annual workload and one service standard."""

    name: str
    annual_workload: float | Fraction  # units/year (visits, operations, bed-days)
    unit_time_h: float | Fraction | None = None  # hours per unit (t_i)
    rate_per_h: float | Fraction | None = None  # units per hour (r_i = 1 / t_i)


@dataclass(frozen=True)
class SupportActivity:
    """Support work done by every member (category allowance), as % of working time."""

    name: str
    percent: float | Fraction


@dataclass(frozen=True)
class AdditionalActivity:
    """Additional work done by some members only (individual allowance)."""

    name: str
    hours_per_year: float | Fraction  # IAS_j, hours/year per person doing it
    staff: float | Fraction  # n_j, people doing it


@dataclass(frozen=True)
class WisnInput:
    """Inputs of one cadre at one facility (WISN steps 1-4). Days per year and hours per day."""

    cadre: str
    facility: str
    working_days: float | Fraction  # A
    public_holidays: float | Fraction  # B
    annual_leave: float | Fraction  # C
    sick_leave: float | Fraction  # D
    other_leave: float | Fraction  # E (training, study)
    hours_per_day: float | Fraction  # h
    services: tuple[ServiceActivity, ...]
    existing_staff: float | Fraction  # N_ex
    support: tuple[SupportActivity, ...] = ()
    additional: tuple[AdditionalActivity, ...] = ()


@dataclass(frozen=True)
class ServiceLine:
    """One service in the result: its standard workload and the staff its workload needs."""

    name: str
    annual_workload: Fraction  # units/year
    unit_time_h: Fraction  # hours/unit
    workload_hours: Fraction  # W_i x t_i, hours/year
    standard_workload: Fraction  # SW_i, units per worker-year
    staff_needed: Fraction  # W_i / SW_i, workers


@dataclass(frozen=True)
class WisnResult:
    """WISN outputs (WISN steps 5-9); exact fractions, round with :func:`show` for display."""

    cadre: str
    facility: str
    awt_days: Fraction  # days/year
    awt_hours: Fraction  # hours/year
    services: tuple[ServiceLine, ...]
    service_staff: Fraction  # sum W_i / SW_i
    caf: Fraction
    iaf: Fraction
    required: Fraction  # N_req
    existing: Fraction  # N_ex
    difference: Fraction  # N_ex - N_req (negative = shortage)
    ratio: Fraction | None  # N_ex / N_req, None when nothing is required
    pressure: Fraction  # 1 - ratio when ratio < 1, else 0
    status: str  # shortage / balanced / excess
    notes: list[str] = field(default_factory=list)

    def row(self) -> dict[str, object]:
        """The result as one display row, rounded half-up to 2 decimals."""
        return {
            "facility": self.facility, "cadre": self.cadre, "awt_hours": show(self.awt_hours),
            "service_staff": show(self.service_staff), "caf": show(self.caf), "iaf": show(self.iaf),
            "required": show(self.required), "existing": show(self.existing),
            "difference": show(self.difference), "ratio": None if self.ratio is None else show(self.ratio),
            "pressure": show(self.pressure), "status": self.status,
        }


def available_working_time(inp: WisnInput) -> tuple[Fraction, Fraction]:
    """WISN step 2: AWT = [A - (B + C + D + E)] x h, returned as (days/year, hours/year)."""
    fields = {"working_days (A)": inp.working_days, "public_holidays (B)": inp.public_holidays,
              "annual_leave (C)": inp.annual_leave, "sick_leave (D)": inp.sick_leave,
              "other_leave (E)": inp.other_leave, "hours_per_day (h)": inp.hours_per_day}
    for name, value in fields.items():
        if exact(value) < 0:
            raise WisnInputError(msg("capacity.wisn.negative", **_at(inp), field=name, value=value))
    days = exact(inp.working_days) - (exact(inp.public_holidays) + exact(inp.annual_leave)
                                      + exact(inp.sick_leave) + exact(inp.other_leave))
    hours = days * exact(inp.hours_per_day)
    if hours <= 0:
        raise WisnInputError(msg("capacity.wisn.awt", **_at(inp), hours=f"{float(hours):g}"))
    return days, hours


def _unit_time(inp: WisnInput, s: ServiceActivity) -> Fraction:
    where = {**_at(inp), "service": s.name}
    if (s.unit_time_h is None) == (s.rate_per_h is None):
        raise WisnInputError(msg("capacity.wisn.one_standard", **where))
    if s.unit_time_h is not None:
        t = exact(s.unit_time_h)
        if t <= 0:
            raise WisnInputError(msg("capacity.wisn.positive", **where, field="unit_time_h", value=s.unit_time_h))
        return t
    r = exact(s.rate_per_h)  # type: ignore[arg-type]
    if r <= 0:
        raise WisnInputError(msg("capacity.wisn.positive", **where, field="rate_per_h", value=s.rate_per_h))
    return 1 / r


def compute_wisn(inp: WisnInput, balanced_band: float = 0.0) -> WisnResult:
    """WISN steps 2 and 5-9 for one cadre at one facility.

    ``balanced_band``: a ratio within ``1 +- band`` is reported as balanced (0 = only exactly 1).
    """
    awt_days, awt_hours = available_working_time(inp)
    lines = _service_lines(inp, awt_hours)
    caf = _category_allowance_factor(inp)
    iaf = _individual_allowance_factor(inp, awt_hours)
    service_staff = sum((ln.staff_needed for ln in lines), Fraction(0))
    required = service_staff * caf + iaf
    existing = exact(inp.existing_staff)
    if existing < 0:
        raise WisnInputError(msg("capacity.wisn.existing_staff", **_at(inp)))
    ratio = existing / required if required > 0 else None
    status = _status(ratio, existing, exact(balanced_band))
    pressure = 1 - ratio if ratio is not None and ratio < 1 else Fraction(0)
    return WisnResult(inp.cadre, inp.facility, awt_days, awt_hours, tuple(lines), service_staff, caf, iaf,
                      required, existing, existing - required, ratio, pressure, status)


def _service_lines(inp: WisnInput, awt_hours: Fraction) -> list[ServiceLine]:
    """Steps 5 and 6 per health service: standard workload (units/year one person does) and staff needed."""
    names = [s.name for s in inp.services]
    if len(set(names)) != len(names):
        raise WisnInputError(msg("capacity.wisn.twice", **_at(inp), names=names))
    lines = []
    for s in inp.services:
        w = exact(s.annual_workload)
        if w < 0:
            raise WisnInputError(msg("capacity.wisn.workload", **_at(inp), service=s.name))
        t = _unit_time(inp, s)
        sw = awt_hours / t
        lines.append(ServiceLine(s.name, w, t, w * t, sw, w / sw))
    return lines


def _category_allowance_factor(inp: WisnInput) -> Fraction:
    """Step 7: 1 / (1 - category allowances %/100); support percentages >= 0 and below 100 % in all."""
    cas = sum((exact(a.percent) for a in inp.support), Fraction(0))
    for a in inp.support:
        if exact(a.percent) < 0:
            raise WisnInputError(msg("capacity.wisn.support_percent", **_at(inp), name=a.name))
    if cas >= 100:
        raise WisnInputError(msg("capacity.wisn.cas_total", **_at(inp), total=f"{float(cas):g}"))
    return 1 / (1 - cas / 100)


def _individual_allowance_factor(inp: WisnInput, awt_hours: Fraction) -> Fraction:
    """Step 8: staff equivalent (persons) of the additional activities' hours/year x staff doing them."""
    for a in inp.additional:
        if exact(a.hours_per_year) < 0 or exact(a.staff) < 0:
            raise WisnInputError(msg("capacity.wisn.additional", **_at(inp), name=a.name))
    return sum((exact(a.hours_per_year) * exact(a.staff) for a in inp.additional), Fraction(0)) / awt_hours


def _status(ratio: Fraction | None, existing: Fraction, band: Fraction) -> str:
    """Step 9: shortage, balanced (ratio within ``1 +- band``) or excess; with no requirement, any staff is excess."""
    if ratio is None:
        return "excess" if existing > 0 else "balanced"
    if ratio < 1 - band:
        return "shortage"
    if ratio > 1 + band:
        return "excess"
    return "balanced"
