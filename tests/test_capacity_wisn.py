"""WISN: the published cases of ../shared/benchmarks/rostering/WISN.md reproduced to the printed digit.

The numbers are restated here (the brief's Case A and Case B); the test that reads WISN.md itself only
checks that the file still prints them, and skips when ../shared is absent.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from optimizer.capacity.model import CapacityInput, Hospital, SurgicalDemand
from optimizer.capacity.settings import CapacitySettings, WisnStandards
from optimizer.capacity.staffing import facility_wisn, wisn_input
from optimizer.capacity.wisn import (
    AdditionalActivity,
    ServiceActivity,
    SupportActivity,
    WisnInput,
    WisnInputError,
    compute_wisn,
    show,
)
from optimizer.domain import Specialty

WISN_MD = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "rostering" / "WISN.md"


def kenya_clinicians(**changes: object) -> WisnInput:
    """Case A (Burmen et al. 2017, Table 3): clinicians of a Western Kenya HIV clinic."""
    base = dict(
        cadre="clinician", facility="HIV clinic", working_days=Fraction(9, 2) * 52, public_holidays=10,
        annual_leave=30, sick_leave=15, other_leave=0, hours_per_day=8,
        services=(ServiceActivity("consultation", 10_000 * 10, unit_time_h=Fraction(15, 60)),),
        existing_staff=12)
    base.update(changes)
    return WisnInput(**base)  # type: ignore[arg-type]


def test_case_a_kenya_clinicians_to_the_printed_digit() -> None:
    inp = kenya_clinicians()
    res = compute_wisn(inp)
    line = res.services[0]
    assert inp.working_days == 234  # consultation days per year: 4.5 days/week x 52
    assert inp.working_days - inp.public_holidays == 224
    assert inp.working_days - inp.public_holidays - inp.annual_leave == 194
    assert res.awt_days == 179
    assert line.annual_workload == 100_000
    assert line.workload_hours == 25_000
    assert line.workload_hours / 8 == 3_125  # annual workload in 8-hour days
    assert line.standard_workload == 5_728  # 179 d x 8 h / 0.25 h
    assert Fraction(3_125, 179) == line.staff_needed  # days route and standard-workload route agree
    assert show(line.staff_needed) == Decimal("17.46")
    assert res.caf == 1 and res.iaf == 0
    assert show(res.required) == Decimal("17.46")


def test_case_a_rate_standard_gives_the_same_staff() -> None:
    res = compute_wisn(kenya_clinicians(services=(ServiceActivity("consultation", 100_000, rate_per_h=4),)))
    assert show(res.required) == Decimal("17.46")


@pytest.mark.parametrize("n_req", ["138.13", "138.2", "138.3", "138.49"])
def test_case_b_emergency_nurses_ratio_and_gap_agree(n_req: str) -> None:
    """Case B (S6): 125 nurses, ratio 0.90, 13 nurses short; holds for N_req in [138.13, 138.49]."""
    required = Fraction(n_req)
    existing = Fraction(125)
    assert show(existing / required) == Decimal("0.90")
    assert show(existing - required, places=0) == Decimal("-13")
    assert Fraction(187_250, 125) == 1_498  # 1,498 h of AWT per nurse


@pytest.mark.parametrize("n_req", ["138.12", "138.50"])
def test_case_b_interval_is_tight(n_req: str) -> None:
    required = Fraction(n_req)
    assert (show(125 / required), show(125 - required, places=0)) != (Decimal("0.90"), Decimal("-13"))


def test_case_b_through_compute_wisn() -> None:
    """A workload giving N_req = 138.3 at 1,498 h AWT per nurse reproduces the published figures."""
    res = compute_wisn(WisnInput(
        "ED nurse", "academic ED", working_days=1498, public_holidays=0, annual_leave=0, sick_leave=0,
        other_leave=0, hours_per_day=1, existing_staff=125,
        services=(ServiceActivity("nursing hours", Fraction("138.3") * 1498, unit_time_h=1),)))
    assert res.row()["ratio"] == Decimal("0.90")
    assert show(res.difference, 0) == Decimal("-13")
    assert res.status == "shortage" and show(res.pressure) == Decimal("0.10")


def test_half_up_rounding_not_bankers() -> None:
    assert show(2.675) == Decimal("2.68")  # round(2.675, 2) == 2.67 in Python
    assert show(Fraction(1, 8)) == Decimal("0.13")


def test_allowance_factors_scale_as_the_manual_says() -> None:
    """CAF = 1/(1 - 20%) = 1.25 (not 1.20); IAF adds full-time workers: 2 x 179 h / 1432 h = 0.25."""
    res = compute_wisn(kenya_clinicians(
        support=(SupportActivity("meetings", 12), SupportActivity("records", 8)),
        additional=(AdditionalActivity("supervision", 179, 2),)))
    assert res.caf == Fraction(5, 4)
    assert res.iaf == Fraction(1, 4)
    assert res.required == Fraction(3_125, 179) * Fraction(5, 4) + Fraction(1, 4)
    assert res.difference == 12 - res.required and res.ratio == 12 / res.required


@pytest.mark.parametrize(("change", "needle"), [
    ({"sick_leave": 300}, "available working time"),
    ({"support": (SupportActivity("meetings", 100),)}, "below 100"),
    ({"services": (ServiceActivity("consultation", 10, unit_time_h=1, rate_per_h=1),)}, "consultation"),
    ({"services": (ServiceActivity("x-ray", 10, unit_time_h=0),)}, "x-ray"),
    ({"services": (ServiceActivity("a", 1, unit_time_h=1), ServiceActivity("a", 1, unit_time_h=1))}, "twice"),
    ({"annual_leave": -1}, "annual_leave"),
])
def test_bad_input_names_activity_and_field(change: dict, needle: str) -> None:
    with pytest.raises(WisnInputError, match=needle):
        compute_wisn(kenya_clinicians(**change))


def test_wisn_md_still_prints_case_a() -> None:
    if not WISN_MD.exists():
        pytest.skip(f"{WISN_MD} absent (the shared benchmarks folder is not mounted)")
    text = WISN_MD.read_text()
    for printed in ("100,000", "25,000 h", "3,125 days", "**234**", "**224**", "**194**", "**179**", "**17.46**",
                    "5,728", "[138.13, 138.49]"):
        assert printed in text


def test_facility_wisn_from_surgical_workload_by_hand() -> None:
    """One hospital, 10 caesareans/week at 1 h: nurses need 2 x (1 + 0.25) h per case."""
    clues = "OCIMB000001"
    inp = CapacityInput(
        [Hospital(clues, "H", "20", "Alto", 1, 20, 4)],
        {(clues, Specialty.SURGICAL_NURSING): 80.0}, {(clues, Specialty.SURGICAL_NURSING): 2},
        {(clues, Specialty.GYN_OBSTETRICS): SurgicalDemand(10.0, 10.0)})
    s = CapacitySettings(wisn=WisnStandards(support_percent={}, additional_hours_per_year={}))
    w = wisn_input(inp, clues, Specialty.SURGICAL_NURSING, s)
    res = compute_wisn(w)
    awt = (260 - 40) * 8  # A = 5 x 52, B+C+D+E = 7+20+8+5 days, 40 h/week = 8 h/day
    assert res.awt_hours == awt
    assert res.required == Fraction(520 * 2 * Fraction(5, 4), awt)
    assert res.existing == 2
    cadres = [r.cadre for r in facility_wisn(inp, clues, s)]
    assert "gyn_obstetrics" in cadres and "anaesthesiology" in cadres


def test_bad_input_is_said_in_spanish_first() -> None:
    with pytest.raises(WisnInputError) as bad:
        compute_wisn(kenya_clinicians(annual_leave=-1))
    assert "annual_leave (C) debe ser >= 0" in bad.value.text("es")
    assert "annual_leave (C) must be >= 0" in bad.value.text("en") and str(bad.value) == bad.value.text("en")
