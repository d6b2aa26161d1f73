"""A Lagrangian upper bound over all arcs, with whole teams per hospital.

Dualising the class rows (each person deployed once; multipliers ``lam``) and the budget row (``mu >= 0``)
splits the deployment MIP into one small problem per hospital: choose slot counts per specialty (within
rooms) and people of each role from *every* willing class at their Lagrangian price, so that each role
has the hours of whole teams. Each hospital problem is solved exactly (slot configurations enumerated;
per role a covering knapsack over the few contract-hour types, or its LP relaxation when there are more
than three types), so the bound keeps the "no half teams" integrality that the LP relaxation loses. It
holds for any multipliers; the pricing LP's duals are used. Equity rules and lexicographic floors are
dropped (a relaxation), so the bound stays valid with them. The access term couples hospitals (reach
overlaps); each hospital is credited with its stand-alone access value, an over-estimate, so it stays valid.

Multipliers: the pricing LP's duals, and :func:`role_price_duals` of them (one price per hour of each role),
the tighter bound being kept. Before pricing converges the LP's class duals are poor multipliers: a class
whose useful hospitals are not yet in the working set has a dual near 0, so every hospital subproblem takes
it for free. Arc costs (km, bonus) are small beside coverage, so people of one role are nearly
interchangeable and converged duals are close to hours x a price per role hour (on 569 x 2,596: anaesthesia
0.087, nursing 0.045, orthopaedics 0.015 procedures/week per hour, the others < 0.001).
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from optimizer.deployment.inputs import DeploymentInput
from optimizer.deployment.settings import DeploymentSettings
from optimizer.deployment.solver.formulation import Formulation
from optimizer.domain import HOURS_PER_WEEK, Specialty


def _cover_costs(hours: np.ndarray, cost: np.ndarray, mult: np.ndarray, needs: list[float]) -> dict[float, float]:
    """Least cost (``cost`` >= 0 per person) to supply at least each of ``needs`` hours; inf if impossible."""
    out: dict[float, float] = {}
    types = np.unique(hours)
    n_max = max(needs) if needs else 0.0
    prefix: list[np.ndarray] = []
    for t in types:
        sel = hours == t
        cap = int(math.ceil(n_max / t)) + 1
        c = np.repeat(cost[sel], np.minimum(mult[sel], cap).astype(int))
        c = np.sort(c)[:cap]
        prefix.append(np.r_[0.0, np.cumsum(c)])
    for need in needs:
        if need <= 1e-9:
            out[need] = 0.0
            continue
        if len(types) == 0:
            out[need] = math.inf
        elif len(types) > 3:
            out[need] = _fractional_cover(hours, cost, mult, need)
        else:
            out[need] = _enumerate_cover(types, prefix, need)
    return out


def _enumerate_cover(types: np.ndarray, prefix: list[np.ndarray], need: float) -> float:
    """Exact covering cost with up to three hour types: enumerate all but the last type's count."""
    last_h, last_p = float(types[-1]), prefix[-1]
    grids = np.meshgrid(*[np.arange(len(p)) for p in prefix[:-1]], indexing="ij") if len(types) > 1 else []
    got = np.zeros(grids[0].shape if grids else ())
    base = np.zeros_like(got, dtype=float)
    for t, g in enumerate(grids):
        got = got + g * float(types[t])
        base = base + prefix[t][g]
    rest = np.ceil(np.maximum(0.0, need - got) / last_h - 1e-9).astype(int)
    ok = rest < len(last_p)
    if not np.any(ok):
        return math.inf
    total = base + np.where(ok, last_p[np.minimum(rest, len(last_p) - 1)], np.inf)
    return float(np.min(total))


def _fractional_cover(hours: np.ndarray, cost: np.ndarray, mult: np.ndarray, need: float) -> float:
    """LP relaxation of the covering knapsack (a lower bound on its cost, so the upper bound stays valid)."""
    order = np.argsort(cost / hours)
    total, got = 0.0, 0.0
    for i in order:
        take = min(float(mult[i]) * hours[i], need - got)
        total += take / hours[i] * cost[i]
        got += take
        if got >= need - 1e-9:
            return total
    return math.inf


def role_price_duals(form: Formulation, duals: np.ndarray) -> np.ndarray:
    """``duals`` with each class row's multiplier replaced by the class's weekly hours x its role's median
    price per hour over the classes with a positive dual (0 for a role with none).

    Measured on 569 x 2,596 (every operating hospital a candidate): the Lagrangian bound from pricing round
    1's duals is 18,548 as they are and 16,282 with role prices; round 2's 16,495 and 16,243; the converged
    duals' 16,172 and 16,238 (so both are tried and the lower kept).
    """
    out = duals.copy()
    rows = form.class_row
    has = rows >= 0
    if not has.any():
        return out
    hours = np.array([c.weekly_hours for c in form.classes], dtype=float)
    roles = np.array([c.role.value for c in form.classes])
    lam = np.where(has, duals[np.maximum(rows, 0)], 0.0)
    for role in np.unique(roles):
        mine = has & (roles == role)
        paid = mine & (lam > 1e-9)
        price = float(np.median(lam[paid] / hours[paid])) if paid.any() else 0.0
        out[rows[mine]] = price * hours[mine]
    return out


def lagrangian_bound(
    inp: DeploymentInput, s: DeploymentSettings, form: Formulation, duals: np.ndarray, c: np.ndarray | None = None,
    offset: float | None = None,
) -> float:
    """Upper bound on the objective ``c`` (default: the weighted objective) of every plan."""
    mip = form.mip
    c = mip.c if c is None else c
    n_arc = form.n_arc
    lam = np.where(form.class_row >= 0, duals[np.maximum(form.class_row, 0)], 0.0)
    mu = max(0.0, float(duals[form.budget_row])) if form.budget_row >= 0 else 0.0
    total = (mip.offset if offset is None else offset) + (mu * s.budget_mxn_month if form.budget_row >= 0 else 0.0)
    # incentive steps: z in [0, cnt] at price c_z + lam_k - mu * incentive
    seg_cols = np.arange(n_arc, n_arc + len(form.seg_k))
    seg_price = c[seg_cols] + lam[form.seg_k] - mu * form.seg_inc
    total += float(np.sum(np.maximum(0.0, seg_price) * mip.ub[seg_cols]))
    price = c[:n_arc] - lam[form.arc_k] - mu * form.arc_bonus
    hours = np.array([c.weekly_hours for c in form.classes], dtype=float)[form.arc_k] if n_arc else np.zeros(0)
    lb, ub = mip.lb[:n_arc], mip.ub[:n_arc]
    # value of forced (pinned) and profitable people, and the hours they bring
    sure = np.where(price > 0, ub, lb)
    total += float(np.sum(price * sure))
    by_hr = form.arcs_by_hospital_role()
    slots_hs: dict[int, dict[Specialty, list[int]]] = {}
    for j, (h, sp_) in enumerate(zip(form.slot_h, form.slot_s, strict=True)):
        slots_hs.setdefault(int(h), {}).setdefault(sp_, []).append(form.slot_col0 + j)
    # access term: a hospital's first team can at most bring every municipality it reaches within reach, so
    # crediting each hospital with its stand-alone access value keeps the bound valid (reach may overlap)
    acc_h: dict[int, float] = {}
    w_hosp = {form.w_col0 + t: int(h) for t, h in enumerate(form.w_h)}
    for t, w_cols in enumerate(form.acc_first_w):
        value = max(0.0, float(c[form.acc_col0 + t]))
        for col in w_cols.tolist():
            acc_h[w_hosp[col]] = acc_h.get(w_hosp[col], 0.0) + value
    # 'hospital has a 24/7 slot' columns v[h] <= sum of its slots (the hospitals-reaching-24/7 objective)
    v_value = {int(h): max(0.0, float(c[form.v_col0 + t])) for t, h in enumerate(form.v_h)}
    tpl = s.template
    need_per = {Specialty.ANAESTHESIOLOGY: tpl.anaesthesiologists, Specialty.SURGICAL_NURSING: tpl.surgical_nurses}
    for h, per_s in slots_hs.items():
        specs = sorted(per_s, key=lambda x: x.value)
        gains = {sp_: np.r_[0.0, np.cumsum(c[per_s[sp_]])] for sp_ in specs}
        rooms = inp.hospitals[h].operating_rooms
        configs = [cfg for cfg in itertools.product(*[range(len(per_s[sp_]) + 1) for sp_ in specs])
                   if sum(cfg) <= rooms]
        needs: dict[Specialty, dict[tuple, float]] = {}
        for cfg in configs:
            n_all = sum(cfg)
            for sp_, n in zip(specs, cfg, strict=True):
                needs.setdefault(sp_, {})[cfg] = HOURS_PER_WEEK * tpl.surgeons * n
            for r, n_r in need_per.items():
                needs.setdefault(r, {})[cfg] = HOURS_PER_WEEK * n_r * n_all
        costs: dict[Specialty, dict[float, float]] = {}
        for r, per_cfg in needs.items():
            js = by_hr.get((h, r), np.zeros(0, dtype=np.int64))
            have = form.inpost.get((h, r), 0.0) + float(np.sum(sure[js] * hours[js])) if len(js) else \
                form.inpost.get((h, r), 0.0)
            extra = js[price[js] <= 0] if len(js) else js
            room = ub[extra] - sure[extra]
            keep = room > 0
            wanted = sorted({max(0.0, v - have) for v in per_cfg.values()})
            table = _cover_costs(hours[extra][keep], -price[extra][keep], room[keep], wanted)
            costs[r] = {cfg: table[max(0.0, v - have)] for cfg, v in per_cfg.items()}
        best = 0.0  # zero slots: nothing more to staff
        for cfg in configs:
            val = sum(float(gains[sp_][n]) for sp_, n in zip(specs, cfg, strict=True))
            val -= sum(costs[r][cfg] for r in costs)
            val += acc_h.get(h, 0.0) + v_value.get(h, 0.0) if sum(cfg) > 0 else 0.0
            best = max(best, val)
        total += best
    return total
