"""Why a hospital is left short, and why a set of rules has no feasible plan.

A hospital x specialty is short when its 24/7 slots cover less than its demand. The binding reason of its
*next* slot is, in order: ``rooms`` (every operating room already runs 24/7), ``no_willing_candidates`` (the
recruits willing to go there cannot fill a role even if all of them went), ``competition`` (enough willing
recruits exist, but they are deployed where they cover more weighted demand), ``budget`` (the free willing
recruits needed cost more than the budget left), ``cost`` (the next slot's weighted coverage is worth less
than its km and incentive cost at the planner's weights).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.deployment.inputs import DeploymentInput, haversine_km
from optimizer.deployment.plan import DeploymentPlan, ShortHospital
from optimizer.deployment.settings import DeploymentSettings
from optimizer.deployment.solver.formulation import build, in_post_hours, person_bonus_mxn, slot_curves
from optimizer.deployment.solver.mip import solve_mip
from optimizer.domain import HOURS_PER_WEEK, SURGICAL_SPECIALTIES, Specialty
from optimizer.i18n import Msg, Said, joined, msg, said


class _Pool:
    """The recruit pool as arrays, to ask who is willing to go to a hospital (vectorised, cached)."""

    def __init__(self, inp: DeploymentInput) -> None:
        self.inp = inp
        cands = inp.candidates
        self.ids = [c.specialist_id for c in cands]
        self.role = np.array([c.specialty.value for c in cands])
        self.hours = np.array([c.weekly_hours for c in cands], dtype=float)
        self.incentive = np.array([c.incentive_mxn for c in cands], dtype=float)
        self.lat = np.array([c.home_lat for c in cands], dtype=float)
        self.lon = np.array([c.home_lon for c in cands], dtype=float)
        self.max_km = np.array([np.inf if c.max_km is None else c.max_km for c in cands], dtype=float)
        self.any_state = np.array([not c.willing_states for c in cands], dtype=bool)
        self.state_cols = {f"{i:02d}": i for i in range(1, 33)}
        self.states = np.zeros((len(cands), 33), dtype=bool)
        for i, c in enumerate(cands):
            for st in c.willing_states:
                self.states[i, self.state_cols[st]] = True
        self._cache: dict[int, np.ndarray] = {}
        self._role_mask = {r: self.role == r for r in np.unique(self.role)}

    def _willing_all(self, h: int) -> np.ndarray:
        if h not in self._cache:
            hosp = self.inp.hospitals[h]
            km = haversine_km(self.lat, self.lon, [hosp])[:, 0]
            ok_state = self.any_state | self.states[:, self.state_cols[hosp.cve_ent]]
            self._cache[h] = ok_state & (km <= self.max_km + 1e-9)
        return self._cache[h]

    def willing(self, h: int, role: Specialty) -> np.ndarray:
        """Indices of recruits of ``role`` willing to go to hospital ``h`` (states and max km)."""
        mask = self._role_mask.get(role.value)
        if mask is None:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(self._willing_all(h) & mask)


def _roles(s: DeploymentSettings, spec: Specialty) -> dict[Specialty, int]:
    return {r: n for r, n in s.template.roles(spec).items() if n > 0}


def explain_short(inp: DeploymentInput, s: DeploymentSettings, plan: DeploymentPlan) -> list[ShortHospital]:
    """One :class:`ShortHospital` per hospital x specialty whose demand is not fully covered."""
    curves = slot_curves(inp, s)
    idx = inp.hospital_index()
    slots = {(idx[t.hospital], t.specialty): t.slots for t in plan.teams}
    slots_at = {h: 0 for h in range(len(inp.hospitals))}
    for (h, _), n in slots.items():
        slots_at[h] += n
    st = _staffed(inp, s, plan)
    out: list[ShortHospital] = []
    all_demand = {}
    for (clues, spec), d in inp.demand.items():
        if clues in idx and d.procedures_per_week > 0:
            all_demand[(idx[clues], spec)] = d.procedures_per_week
    for (h, spec), dem in sorted(all_demand.items(), key=lambda kv: (kv[0][0], kv[0][1].value)):
        cv = curves.get((h, spec))
        n = slots.get((h, spec), 0)
        covered = cv.covered(n) if cv else 0.0
        if covered >= dem - 1e-6:
            continue
        hosp = inp.hospitals[h]
        rooms = hosp.operating_rooms
        if slots_at[h] >= rooms:
            reason, detail = "rooms", (
                "no operating room" if rooms == 0 else f"all {rooms} operating rooms already staffed 24/7"
            )
        else:
            reason, detail = _next_slot_reason(inp, s, st, h, spec, n, slots_at[h])
        out.append(ShortHospital(hosp.clues, spec, dem, covered, reason, detail))
    return out


@dataclass
class _Staffed:
    """What a plan has used: the recruit pool, hours/week in post and deployed per (hospital, role), which
    recruits are still free, each hospital's bonus (MXN/month per person) and the pay spent (MXN/month)."""

    pool: _Pool
    inpost: dict[tuple[int, Specialty], float]
    assigned_h: dict[tuple[int, Specialty], float]
    free: np.ndarray
    bonus: np.ndarray
    spent: float


def _staffed(inp: DeploymentInput, s: DeploymentSettings, plan: DeploymentPlan) -> _Staffed:
    """The plan's use of people and money, as :func:`_next_slot_reason` reads it."""
    pool = _Pool(inp)
    idx = inp.hospital_index()
    assigned_h: dict[tuple[int, Specialty], float] = {}
    deployed = set()
    pos = {sid: i for i, sid in enumerate(pool.ids)}
    for a in plan.assignments:
        key = (idx[a.hospital], a.role)
        assigned_h[key] = assigned_h.get(key, 0.0) + pool.hours[pos[a.specialist]]
        deployed.add(pos[a.specialist])
    free = np.ones(len(pool.ids), dtype=bool)
    free[list(deployed)] = False
    return _Staffed(pool, in_post_hours(inp), assigned_h, free, person_bonus_mxn(inp, s),
                    sum(a.incentive_mxn for a in plan.assignments))


def _next_slot_reason(
    inp: DeploymentInput, s: DeploymentSettings, st: _Staffed, h: int, spec: Specialty, n_spec: int, n_all: int,
) -> tuple[str, str]:
    """Binding reason for the next 24/7 slot of ``spec`` at hospital ``h``."""
    pool, inpost, assigned_h, free, bonus, spent = st.pool, st.inpost, st.assigned_h, st.free, st.bonus, st.spent
    cost_mxn = 0.0
    competition: list[str] = []
    for role, n_r in _roles(s, spec).items():
        slots_after = (n_spec if role in SURGICAL_SPECIALTIES else n_all) + 1
        have = inpost.get((h, role), 0.0) + assigned_h.get((h, role), 0.0)
        missing = HOURS_PER_WEEK * n_r * slots_after - have
        if missing <= 1e-9:
            continue
        willing = pool.willing(h, role)
        total = float(pool.hours[willing].sum())
        potential = inpost.get((h, role), 0.0) + max(total, assigned_h.get((h, role), 0.0))
        if potential < HOURS_PER_WEEK * n_r * slots_after - 1e-9:
            what = "no willing" if len(willing) == 0 else f"only {len(willing)} willing"
            return "no_willing_candidates", (
                f"{what} {role.value} recruits ({total:.0f} h/week); the next team needs {missing:.0f} more h/week"
            )
        free_w = willing[free[willing]]
        free_hours = float(pool.hours[free_w].sum())
        if free_hours < missing - 1e-9:
            competition.append(role.value)
            continue
        order = free_w[np.lexsort((pool.incentive[free_w],))]
        cum = np.cumsum(pool.hours[order])
        k = int(np.searchsorted(cum, missing - 1e-9) + 1)
        cost_mxn += float(pool.incentive[order[:k]].sum() + k * bonus[h])
    if competition:
        return "competition", (
            f"the willing {', '.join(competition)} recruits are deployed at hospitals with more weighted demand"
        )
    if s.budget_mxn_month is not None and s.budget_mxn_month - spent < cost_mxn - 1e-6:
        return "budget", (
            f"the next team costs at least {cost_mxn:,.0f} MXN/month; {max(0.0, s.budget_mxn_month - spent):,.0f} left"
        )
    return "cost", "the next team's weighted coverage is worth less than its km and incentive cost at these weights"


def explain_infeasible(inp: DeploymentInput, s: DeploymentSettings) -> Said:
    """Name the rules that cannot all hold: elastic re-solve, then list the rules that needed slack (an English
    text carrying its catalogue message, shown in the reader's language)."""
    form = build(inp, s, elastic=True)
    res = solve_mip(form.mip, "highs", max(5.0, s.time_limit_s), s.seed, s.threads, 1e-6)
    if res.x is None:
        return said("models.deployment.no_plan")
    slack = res.x[form.slack_col0 :]
    idx = inp.hospital_index()
    curves = slot_curves(inp, s)
    pool = _Pool(inp)
    lines: list[Msg] = []
    for (kind, what), val in zip(form.slack_labels, slack, strict=True):
        if val <= 1e-6:
            continue
        if kind == "budget":
            lines.append(msg("models.deployment.budget", amount=f"{val:,.0f}"))
        elif kind == "hospitals_24_7":
            lines.append(msg("models.deployment.hospitals_24_7", possible=int(round(s.min_hospitals_24_7 - val)),
                             required=what))
        elif kind == "state_share":
            name = inp.state_names.get(what, what)
            lines.append(msg("models.deployment.state_share", state=what, name=name, share=f"{s.min_state_share:.0%}",
                             short=f"{val:.1f}"))
        else:
            h = idx[what]
            lines.append(msg("models.deployment.hospital_share", clues=what, name=inp.hospitals[h].name,
                             state=inp.hospitals[h].cve_ent, share=f"{s.min_hospital_share:.0%}", short=f"{val:.1f}",
                             limit=_hospital_limit(inp, s, pool, curves, h)))
    if not lines:
        return said("models.deployment.no_single_cause")
    items = [msg("models.item", text=line) for line in lines[:50]]
    if len(lines) > 50:
        items.append(msg("models.item_more", count=len(lines) - 50))
    return said("models.deployment.infeasible", count=len(lines), lines=items)


def _hospital_limit(inp: DeploymentInput, s: DeploymentSettings, pool: _Pool, curves: dict, h: int) -> Said:
    """What limits one hospital on its own: rooms, or roles nobody willing can fill."""
    hosp = inp.hospitals[h]
    if hosp.operating_rooms == 0:
        return said("models.deployment.no_room")
    inpost = in_post_hours(inp)
    limits = []
    for (hh, spec), _cv in curves.items():
        if hh != h:
            continue
        for role, n_r in _roles(s, spec).items():
            willing = pool.willing(h, role)
            avail = float(pool.hours[willing].sum()) + inpost.get((h, role), 0.0)
            if avail < HOURS_PER_WEEK * n_r - 1e-9:
                limits.append(said("models.deployment.role_hours", role=msg(f"enums.specialty.{role.value}"),
                                   hours=f"{avail:.0f}", needed=f"{HOURS_PER_WEEK * n_r:.0f}"))
    if limits:
        return joined(*sorted(set(limits)))
    return said("models.deployment.recruits_elsewhere")
