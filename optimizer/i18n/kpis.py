"""What each KPI is, for people: its kind (how to format it), and which KPIs each audience reads first.

Labels, units and one-line definitions live in the ``kpis`` message catalogue
(``messages/kpis.<lang>.json``: ``kpis.<stage>.<name>.label`` / ``.unit`` / ``.help``); this module holds what
is not text. A KPI id is ``<stage>.<name>`` as in a run's ``kpis.json`` (``capacity.coverage_pct``), or
``headline.<key>`` for the KPIs recomputed from plan files (:mod:`optimizer.scenarios.headline`).

Kinds: ``int`` (a count: whole number), ``num`` (a measured quantity, 1 decimal), ``num3`` (an index, 3
decimals), ``share`` (a value in [0, 1] shown as a percentage), ``pct100`` (already a percentage 0..100),
``pct`` (a relative gap in [0, 1], shown as a percentage), ``money`` (MXN), ``status``, ``bool``, ``date``,
``text``.
"""

from __future__ import annotations

from typing import Literal

from optimizer.i18n import fmt_int, fmt_money, fmt_num, fmt_pct, has, t

Kind = Literal["int", "num", "num3", "share", "pct100", "pct", "money", "status", "bool", "date", "text"]

#: Kind of every KPI id the product shows (keys match the ``kpis`` catalogue).
KINDS: dict[str, Kind] = {
    "demand.procedures_per_week": "num",
    "demand.or_hours_per_week": "num",
    "demand.medicine_units_per_week": "int",
    "deployment.status": "status",
    "deployment.objective": "num",
    "deployment.validator_objective": "num",
    "deployment.gap": "pct",
    "deployment.candidates": "int",
    "deployment.deployed": "int",
    "deployment.team_slots": "int",
    "deployment.demand_procedures_per_week": "num",
    "deployment.covered_procedures_per_week": "num",
    "deployment.coverage_pct": "pct100",
    "deployment.pay_mxn_month": "money",
    "deployment.relocation_km": "int",
    "deployment.solve_seconds": "num",
    "deployment.access_people_gained": "int",
    "deployment.access_weighted_gained": "num",
    "deployment.access_people_within_after": "int",
    "capacity.status": "status",
    "capacity.hospitals": "int",
    "capacity.operating_rooms": "int",
    "capacity.rooms_staffable_24_7": "int",
    "capacity.hospitals_fully_24_7": "int",
    "capacity.hospitals_24_7_some_rooms": "int",
    "capacity.hospitals_daytime_only": "int",
    "capacity.hospitals_no_surgery": "int",
    "capacity.demand_procedures_per_week": "num",
    "capacity.procedures_per_week": "int",
    "capacity.coverage_pct": "pct100",
    "capacity.weighted_procedures_per_week": "num",
    "capacity.or_hours_per_week": "int",
    "capacity.ward_hours_per_week": "int",
    "capacity.er_hours_per_week": "int",
    "capacity.solve_seconds": "num",
    "capacity.validator_objective": "num",
    "capacity.certified_optimal": "bool",
    "rostering.hospitals": "int",
    "rostering.optimal": "int",
    "rostering.feasible": "int",
    "rostering.time_limit": "int",
    "rostering.infeasible": "int",
    "rostering.error": "int",
    "rostering.weeks": "int",
    "rostering.people": "int",
    "rostering.penalty_total": "num",
    "rostering.cover_fill_rate_mean": "share",
    "surgery.hospitals": "int",
    "surgery.patients": "int",
    "surgery.patients_admitted": "int",
    "surgery.mandatory_all_admitted": "bool",
    "surgery.mean_admission_delay_days": "num",
    "surgery.hard_violations": "int",
    "distribution.day": "date",
    "distribution.allocation_status": "status",
    "distribution.central_status": "status",
    "distribution.central_units_shipped": "int",
    "distribution.central_units_left": "int",
    "distribution.central_units_left_storage_full": "int",
    "distribution.lines": "int",
    "distribution.facilities": "int",
    "distribution.units_needed": "int",
    "distribution.units_shipped": "int",
    "distribution.units_short": "int",
    "distribution.fill_rate": "share",
    "distribution.min_facility_fill": "share",
    "distribution.facilities_below_50pct": "int",
    "distribution.unsuppliable_lines": "int",
    "distribution.binding_constraint": "text",
    "distribution.routing_engine": "text",
    "distribution.depots_routed": "int",
    "distribution.vehicles": "int",
    "distribution.stops": "int",
    "distribution.km": "int",
    "distribution.cost_mxn": "money",
    "distribution.unserved_stops": "int",
    "distribution.note": "text",
    "access.hospitals_24_7": "int",
    "access.total_population": "int",
    "access.within_60": "int",
    "access.within_120": "int",
    "access.share_60": "share",
    "access.share_120": "share",
    "access.equity_gini_minutes": "num3",
    "access.equity_share_ratio_60": "num",
    "access.equity_share_ratio_120": "num",
    "headline.coverage_pct": "pct100",
    "headline.procedures_per_week": "int",
    "headline.hospitals_24_7": "int",
    "headline.hospitals_fully_24_7": "int",
    "headline.rooms_24_7": "int",
    "headline.deployed": "int",
    "headline.pay_mxn_month": "money",
    "headline.relocation_km": "int",
    "headline.fill_rate": "share",
    "headline.fill_rate_vital": "share",
    "headline.fill_rate_essential": "share",
    "headline.fill_rate_other": "share",
    "headline.route_km": "int",
    "headline.route_cost_mxn": "money",
    "headline.access_60": "share",
    "headline.access_120": "share",
    "headline.state_coverage_min": "pct100",
}

#: The short headline each audience reads first (KPI ids, in display order); the full table is the rest.
AUDIENCE_HEADLINES: dict[str, tuple[str, ...]] = {
    "planner": ("capacity.coverage_pct", "capacity.rooms_staffable_24_7", "capacity.hospitals_fully_24_7",
                "access.share_60", "access.share_120", "deployment.deployed", "deployment.pay_mxn_month",
                "distribution.fill_rate"),
    "hr": ("deployment.deployed", "deployment.team_slots", "deployment.coverage_pct", "deployment.pay_mxn_month",
           "deployment.relocation_km", "rostering.hospitals", "rostering.cover_fill_rate_mean",
           "capacity.rooms_staffable_24_7"),
    "logistics": ("distribution.fill_rate", "distribution.units_short", "distribution.facilities_below_50pct",
                  "distribution.vehicles", "distribution.stops", "distribution.km", "distribution.cost_mxn",
                  "distribution.unserved_stops"),
}
AUDIENCE_HEADLINES["admin"] = AUDIENCE_HEADLINES["planner"]


def label(kpi_id: str, lang: str | None = None) -> str:
    """The KPI's human label (the id itself when the catalogue has none)."""
    return t(f"kpis.{kpi_id}.label", lang)


def unit(kpi_id: str, lang: str | None = None) -> str:
    """The KPI's unit, or an empty string for unit-less KPIs (statuses, flags)."""
    key = f"kpis.{kpi_id}.unit"
    return t(key, lang) if has(key, lang) else ""


def definition(kpi_id: str, lang: str | None = None) -> str:
    """One line saying what the KPI counts (a tooltip)."""
    return t(f"kpis.{kpi_id}.help", lang)


def fmt_kpi(kpi_id: str, value: object, lang: str | None = None) -> str:
    """``value`` formatted for people by the KPI's kind (counts whole, shares as percentages, MXN)."""
    if value is None:
        return "—"
    kind = KINDS.get(kpi_id, "num")
    if isinstance(value, bool) or kind == "bool":
        return t("common.yes" if value else "common.no", lang)
    if not isinstance(value, int | float):
        key = f"common.status.{value}"
        return t(key, lang) if kind == "status" and has(key, lang) else str(value)
    return {
        "int": lambda v: fmt_int(v, lang), "num3": lambda v: fmt_num(v, lang, 3),
        "share": lambda v: fmt_pct(v, lang), "pct": lambda v: fmt_pct(v, lang, 2),
        "pct100": lambda v: fmt_pct(v / 100.0, lang), "money": lambda v: fmt_money(v, lang),
    }.get(kind, lambda v: fmt_num(v, lang))(float(value))
