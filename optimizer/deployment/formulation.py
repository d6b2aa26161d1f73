"""The class x hospital deployment MIP, built as arrays (see :mod:`optimizer.deployment.mip`).

Variables
  x[k,h]   integer people of class k sent to hospital h (only willing, useful arcs)
  z[k,i]   people deployed from incentive step i of class k (continuous; integral at any optimum)
  u[h,s,n] binary: the n-th 24/7 team slot of surgical specialty s at hospital h is staffed
  v[h]     binary: hospital h has at least one 24/7 slot (only when N-hospitals rules or ranks need it)
  a[i]     continuous in [0, 1]: municipality i is newly within reach of a 24/7 hospital (access term only)
Rows
  sum_h x[k,h] = sum_i z[k,i]                            people of a class deployed once
  sum_k H_k x[k,h] + inpost[h,r] >= 168 n_r sum u[h,s,.]  hours of every role of the team template
  sum_{s,n} u[h,s,n] <= rooms[h]                          one 24/7 slot occupies one room (168 h/week)
  u[h,s,n] <= u[h,s,n-1]                                   slots fill in order (breaks symmetry)
  sum incentive z + sum bonus[h] x <= budget               monthly MXN
  coverage[h] >= share D[h]; per state likewise; sum v >= N   optional equity
  a[i] <= sum_{h reaches i} w[h, 1]                         access term (MCLP coverage row)
Coverage of slot n is min(D, nT) - min(D, (n-1)T) procedures/week, T = 168 x utilisation x D / OR-hours:
coverage = min(demand, slot throughput), exactly, because gains are non-increasing in n.
With ``access_weight > 0`` and access data on the input, the coverage objective also gains
``access_weight x weight[i] x a[i]`` (people, optionally degree-weighted, newly within reach).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from optimizer.deployment.aggregate import CandidateClass, build_classes, class_distance_km, incentive_segments
from optimizer.deployment.inputs import DeploymentInput
from optimizer.deployment.mip import Mip
from optimizer.deployment.settings import DeploymentSettings
from optimizer.domain import HOURS_PER_WEEK, SURGICAL_SPECIALTIES, Specialty


@dataclass(frozen=True)
class SlotCurve:
    """Coverage curve of one hospital x surgical specialty: demand D, procedures per slot T, useful slots U."""

    demand: float
    per_slot: float
    max_slots: int

    def covered(self, slots: int) -> float:
        """Procedures/week covered by ``slots`` 24/7 teams: min(D, slots x T)."""
        return min(self.demand, slots * self.per_slot)


def slot_curves(inp: DeploymentInput, settings: DeploymentSettings) -> dict[tuple[int, Specialty], SlotCurve]:
    """Coverage curves for every (hospital index, surgical specialty) with demand and rooms."""
    idx = inp.hospital_index()
    out: dict[tuple[int, Specialty], SlotCurve] = {}
    for (clues, s), d in sorted(inp.demand.items(), key=lambda kv: (kv[0][0], kv[0][1].value)):
        if clues not in idx or d.procedures_per_week <= 0:
            continue
        h = idx[clues]
        if d.or_hours_per_week > 0:
            per_slot = HOURS_PER_WEEK * settings.or_utilisation * d.procedures_per_week / d.or_hours_per_week
        else:
            per_slot = d.procedures_per_week
        useful = math.ceil(d.procedures_per_week / per_slot - 1e-9)
        out[(h, s)] = SlotCurve(d.procedures_per_week, per_slot, min(inp.hospitals[h].operating_rooms, useful))
    return out


def person_bonus_mxn(inp: DeploymentInput, settings: DeploymentSettings) -> np.ndarray:
    """Monthly remoteness bonus (MXN) paid per person deployed at each hospital."""
    return np.array(
        [settings.degree_bonus_mxn[h.degree] + (settings.remote_bonus_mxn if h.remote else 0.0) for h in inp.hospitals]
    )


def in_post_hours(inp: DeploymentInput) -> dict[tuple[int, Specialty], float]:
    """Weekly hours of staff in post by (hospital index, role)."""
    idx = inp.hospital_index()
    out: dict[tuple[int, Specialty], float] = {}
    for p in inp.in_post:
        if p.clues in idx:
            key = (idx[p.clues], p.specialty)
            out[key] = out.get(key, 0.0) + p.weekly_hours
    return out


@dataclass
class Formulation:
    """The MIP plus the maps from its columns back to classes, hospitals and slots."""

    mip: Mip
    n_arc: int
    classes: list[CandidateClass]
    arc_k: np.ndarray
    arc_h: np.ndarray
    arc_km: np.ndarray
    arc_bucket: np.ndarray
    y0: int
    seg_k: np.ndarray
    slot_h: np.ndarray
    slot_s: list[Specialty]
    slot_col0: int
    v_h: np.ndarray
    v_col0: int
    cov_obj: np.ndarray
    cost_obj: np.ndarray
    cost_offset: float
    eq_obj: np.ndarray
    curves: dict[tuple[int, Specialty], SlotCurve]
    slack_labels: list[tuple[str, str]] = field(default_factory=list)
    slack_col0: int = 0
    inpost: dict[tuple[int, Specialty], float] = field(default_factory=dict)
    seg_inc: np.ndarray = field(default_factory=lambda: np.zeros(0))
    class_row: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    budget_row: int = -1
    arc_bonus: np.ndarray = field(default_factory=lambda: np.zeros(0))
    w_col0: int = 0
    w_h: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    acc_col0: int = 0
    acc_first_w: list[np.ndarray] = field(default_factory=list)

    def arcs_by_hospital_role(self) -> dict[tuple[int, Specialty], np.ndarray]:
        """Arc ids grouped by (hospital index, role of the arc's class); the staffing pool of each role at each
        hospital, used by the Lagrangian bound and the dual heuristic."""
        roles = sorted({c.role for c in self.classes}, key=lambda r: r.value)
        by_hr: dict[tuple[int, Specialty], np.ndarray] = {}
        if self.n_arc:
            cls_role = np.array([roles.index(c.role) for c in self.classes], dtype=np.int64)
            key = self.arc_h * len(roles) + cls_role[self.arc_k]
            order = np.argsort(key, kind="stable")
            for chunk in np.split(order, np.flatnonzero(np.diff(key[order])) + 1):
                k0 = int(key[chunk[0]])
                by_hr[(k0 // len(roles), roles[k0 % len(roles)])] = chunk
        return by_hr

    def flows(self, x: np.ndarray) -> dict[tuple[int, int], int]:
        vals = np.round(x[: len(self.arc_k)]).astype(int)
        nz = np.flatnonzero(vals > 0)
        return {(int(k), int(h)): int(n) for k, h, n in zip(self.arc_k[nz], self.arc_h[nz], vals[nz], strict=True)}

    def cheapest_steps(self, x: np.ndarray) -> np.ndarray:
        """``x`` with each class's incentive steps filled cheapest first (members are sorted by incentive).

        Disaggregation deploys a class's cheapest members, so this makes ``x`` price exactly the people named
        in the plan. A solver may leave the steps otherwise when they carry no objective weight (the
        coverage and 24/7 stages of lexicographic mode); refilling keeps the class rows and can only lower
        the budget row, so the plan stays feasible.
        """
        out = x.copy()
        left = np.bincount(self.arc_k, weights=x[: self.n_arc], minlength=len(self.classes))
        for col in range(self.n_arc, self.slot_col0):
            k = int(self.seg_k[col - self.n_arc])
            out[col] = min(left[k], self.mip.ub[col])
            left[k] -= out[col]
        return out

    def slots(self, x: np.ndarray) -> dict[tuple[int, Specialty], int]:
        out: dict[tuple[int, Specialty], int] = {}
        u = np.round(x[self.slot_col0 : self.slot_col0 + len(self.slot_h)]).astype(int)
        for h, s, val in zip(self.slot_h, self.slot_s, u, strict=True):
            if val:
                out[(int(h), s)] = out.get((int(h), s), 0) + 1
        return out


class _Rows:
    """COO accumulator for constraint rows."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def add(self, cols: np.ndarray | list[int], vals: np.ndarray | list[float], lo: float, hi: float) -> int:
        i = len(self.lo)
        cols = np.asarray(cols, dtype=np.int64)
        self.r.append(np.full(len(cols), i, dtype=np.int64))
        self.c.append(cols)
        self.v.append(np.asarray(vals, dtype=float))
        self.lo.append(lo)
        self.hi.append(hi)
        return i

    def add_many(self, n_rows: int, r_local: np.ndarray, cols: np.ndarray, vals: np.ndarray, lo: float,
                 hi: float) -> None:
        """``n_rows`` rows at once: entry t goes to row ``r_local[t]`` (0-based within the block)."""
        i0 = len(self.lo)
        self.r.append(i0 + np.asarray(r_local, dtype=np.int64))
        self.c.append(np.asarray(cols, dtype=np.int64))
        self.v.append(np.asarray(vals, dtype=float))
        self.lo.extend([lo] * n_rows)
        self.hi.extend([hi] * n_rows)

    def matrix(self, n_cols: int) -> sp.csr_matrix:
        if not self.lo:
            return sp.csr_matrix((0, n_cols))
        return sp.csr_matrix(
            (np.concatenate(self.v), (np.concatenate(self.r), np.concatenate(self.c))), shape=(len(self.lo), n_cols)
        )


def willing_mask(inp: DeploymentInput, classes: list[CandidateClass], km: np.ndarray) -> np.ndarray:
    """(classes, hospitals) booleans: willing by state list and by max km (empty = any)."""
    states = np.array([h.cve_ent for h in inp.hospitals])
    mask = np.ones((len(classes), len(inp.hospitals)), dtype=bool)
    for k, c in enumerate(classes):
        if c.willing_states:
            mask[k] &= np.isin(states, list(c.willing_states))
        if c.max_km is not None:
            mask[k] &= km[k] <= c.max_km + 1e-9
    return mask


def build(inp: DeploymentInput, settings: DeploymentSettings, elastic: bool = False) -> Formulation:
    """Build the MIP. ``elastic`` adds slack to budget and equity rows and maximises minus total slack."""
    tpl = settings.template
    n_h = len(inp.hospitals)
    curves = slot_curves(inp, settings)
    inpost = in_post_hours(inp)
    idx = inp.hospital_index()
    need = {
        r: n
        for r, n in {
            Specialty.ANAESTHESIOLOGY: tpl.anaesthesiologists,
            Specialty.SURGICAL_NURSING: tpl.surgical_nurses,
            **{s: tpl.surgeons for s in SURGICAL_SPECIALTIES},
        }.items()
    }
    # Largest hours each (hospital, role) could ever use; recruits are useful only beyond staff in post.
    max_slots_s = {s: np.zeros(n_h, dtype=int) for s in SURGICAL_SPECIALTIES}
    for (h, s), cv in curves.items():
        max_slots_s[s][h] = cv.max_slots
    shared = np.minimum(np.array([h.operating_rooms for h in inp.hospitals]), sum(max_slots_s.values()))
    max_slots = {**max_slots_s, Specialty.ANAESTHESIOLOGY: shared, Specialty.SURGICAL_NURSING: shared}
    useful = {
        r: HOURS_PER_WEEK * need[r] * max_slots[r] > np.array([inpost.get((h, r), 0.0) for h in range(n_h)]) + 1e-9
        for r in need
    }

    classes = build_classes(inp)
    km = class_distance_km(inp, classes) if classes else np.zeros((0, n_h))
    mask = willing_mask(inp, classes, km)
    for k, c in enumerate(classes):
        mask[k] &= useful[c.role] if need[c.role] > 0 else False
        if c.current is not None:
            mask[k, idx[c.current]] = True  # staying where one already works is always possible
    arc_k, arc_h = np.nonzero(mask)
    arc_km = km[arc_k, arc_h]
    bonus = person_bonus_mxn(inp, settings)
    sizes = np.array([c.size for c in classes], dtype=float)

    seg_k_l: list[int] = []
    seg_inc_l: list[float] = []
    seg_cnt_l: list[int] = []
    has_arc = np.zeros(len(classes), dtype=bool)
    has_arc[arc_k] = True
    for k in np.flatnonzero(has_arc):
        for inc, cnt in incentive_segments(inp, classes[k]):
            seg_k_l.append(int(k))
            seg_inc_l.append(inc)
            seg_cnt_l.append(cnt)
    seg_k = np.array(seg_k_l, dtype=np.int64)
    seg_inc = np.array(seg_inc_l, dtype=float)

    slot_h_l: list[int] = []
    slot_s: list[Specialty] = []
    slot_gain_l: list[float] = []
    for (h, s), cv in curves.items():
        for n in range(1, cv.max_slots + 1):
            slot_h_l.append(h)
            slot_s.append(s)
            slot_gain_l.append(cv.covered(n) - cv.covered(n - 1))
    slot_h = np.array(slot_h_l, dtype=np.int64)
    slot_gain = np.array(slot_gain_l, dtype=float)

    need_v = settings.min_hospitals_24_7 > 0 or settings.objective_mode == "lexicographic"
    v_h = np.unique(slot_h) if need_v else np.zeros(0, dtype=np.int64)

    n_arc, n_seg, n_slot, n_v = len(arc_k), len(seg_k), len(slot_h), len(v_h)
    seg0, slot0, v0 = n_arc, n_arc + n_seg, n_arc + n_seg + n_slot
    n_base = v0 + n_v

    rows = _Rows()
    slack_labels: list[tuple[str, str]] = []
    slack_rows: list[tuple[int, float]] = []  # (row, sign) filled in after columns are known

    # people of a class: sum_h x = sum_i z
    class_row = np.full(len(classes), -1, dtype=np.int64)
    with_arc = np.flatnonzero(has_arc)
    class_row[with_arc] = len(rows.lo) + np.arange(len(with_arc))
    rows.add_many(len(with_arc), np.r_[class_row[arc_k], class_row[seg_k]] - len(rows.lo),
                  np.r_[np.arange(len(arc_k)), seg0 + np.arange(len(seg_k))],
                  np.r_[np.ones(len(arc_k)), -np.ones(len(seg_k))], 0.0, 0.0)

    # buckets y[h, r, H]: integer people of role r with H contract hours at hospital h. With y and u
    # integer, the class -> bucket flows form a transportation polytope, so x may stay continuous.
    role_codes = sorted({c.role.value for c in classes})
    hour_values = sorted({c.weekly_hours for c in classes})
    cls_role = np.array([role_codes.index(c.role.value) for c in classes], dtype=np.int64)
    cls_hours = np.array([hour_values.index(c.weekly_hours) for c in classes], dtype=np.int64)
    code = (arc_h * len(role_codes) + cls_role[arc_k]) * len(hour_values) + cls_hours[arc_k]
    # np.unique without the sort: the key space (hospitals x roles x hours) is small
    present = np.zeros(n_h * len(role_codes) * len(hour_values), dtype=bool)
    present[code] = True
    uniq = np.flatnonzero(present)
    arc_bucket = (np.cumsum(present) - 1)[code].astype(np.int64)
    b_hh, rest = uniq % len(hour_values), uniq // len(hour_values)
    bucket_keys = [
        (int(h), role_codes[int(r)], float(hour_values[int(hh)]))
        for h, r, hh in zip(rest // len(role_codes), rest % len(role_codes), b_hh, strict=True)
    ]
    n_b = len(bucket_keys)
    y0 = n_base
    n_base += n_b
    b_ub = np.bincount(arc_bucket, weights=sizes[arc_k], minlength=n_b)
    rows.add_many(n_b, np.r_[arc_bucket, np.arange(n_b)], np.r_[np.arange(n_arc), y0 + np.arange(n_b)],
                  np.r_[np.ones(n_arc), -np.ones(n_b)], 0.0, 0.0)
    by_hr: dict[tuple[int, str], list[int]] = {}
    for b, (h, r, _hh) in enumerate(bucket_keys):
        by_hr.setdefault((h, r), []).append(b)
    b_hours = np.array([hh for _h, _r, hh in bucket_keys], dtype=float)
    b_h = np.array([h for h, _r, _hh in bucket_keys], dtype=np.int64)
    slots_by_h: dict[int, list[int]] = {}
    slots_by_hs: dict[tuple[int, Specialty], list[int]] = {}
    for j, (h, sp_) in enumerate(zip(slot_h, slot_s, strict=True)):
        slots_by_h.setdefault(int(h), []).append(slot0 + j)
        slots_by_hs.setdefault((int(h), sp_), []).append(slot0 + j)
    # w[h, m]: binary "hospital h has at least m team slots" (ordered chain, sum = open slots), the
    # counterpart of u's order for the roles every team shares (anaesthesia, nursing).
    w0 = n_base
    w_h_l: list[int] = []
    w_cols_by_h: dict[int, list[int]] = {}
    for h in sorted(slots_by_h):
        for _m in range(min(len(slots_by_h[h]), inp.hospitals[h].operating_rooms)):
            w_cols_by_h.setdefault(h, []).append(w0 + len(w_h_l))
            w_h_l.append(h)
    n_w = len(w_h_l)
    n_base += n_w
    chains_of_h: dict[int, list[list[int]]] = {}
    for (hh, _s), cols in sorted(slots_by_hs.items(), key=lambda kv: (kv[0][0], kv[0][1].value)):
        chains_of_h.setdefault(hh, []).append(cols)
    for h in sorted(slots_by_h):
        w_cols = np.array(w_cols_by_h[h], dtype=np.int64)
        rows.add(np.r_[w_cols, slots_by_h[h]], np.r_[np.ones(len(w_cols)), -np.ones(len(slots_by_h[h]))], 0.0, 0.0)
        for a, b in zip(w_cols[:-1], w_cols[1:], strict=True):
            rows.add([b, a], [1.0, -1.0], -math.inf, 0.0)
        for cols_s in chains_of_h[h]:
            rows.add([cols_s[0], int(w_cols[0])], [1.0, -1.0], -math.inf, 0.0)  # any open slot: w[h, 1] = 1
        for r, n_r in need.items():
            if n_r == 0:
                continue
            u_cols = slots_by_hs.get((h, r), []) if r in SURGICAL_SPECIALTIES else slots_by_h[h]
            if not u_cols:
                continue
            bs = np.array(by_hr.get((h, r.value), []), dtype=np.int64)
            have = inpost.get((h, r), 0.0)
            per_slot = HOURS_PER_WEEK * n_r
            chain = np.array(u_cols if r in SURGICAL_SPECIALTIES else w_cols, dtype=np.int64)
            _add_rounding_cuts(rows, y0 + bs, b_hours[bs], chain, per_slot, have)
            if r in SURGICAL_SPECIALTIES:
                # Slot n needs a_n = clip(n x per_slot - in post, 0, per_slot) recruited hours: exact for ordered
                # binary u, and tighter in the LP than "hours >= per_slot x slots - in post".
                a_n = np.clip(per_slot * np.arange(1, len(u_cols) + 1) - have, 0.0, per_slot)
                rows.add(np.r_[y0 + bs, np.array(u_cols, dtype=np.int64)], np.r_[b_hours[bs], -a_n], 0.0, math.inf)
                continue
            rows.add(
                np.r_[y0 + bs, np.array(u_cols, dtype=np.int64)],
                np.r_[b_hours[bs], np.full(len(u_cols), -per_slot)],
                -have,
                math.inf,
            )
            first = max(0.0, per_slot - have)
            if first > 0:
                # Valid for binary u: any open slot of a specialty needs the first slot's missing hours.
                for sp_ in SURGICAL_SPECIALTIES:
                    cols_s = slots_by_hs.get((h, sp_), [])
                    if cols_s:
                        rows.add(np.r_[y0 + bs, cols_s[0]], np.r_[b_hours[bs], -first], 0.0, math.inf)
        if len(slots_by_h[h]) > inp.hospitals[h].operating_rooms:
            rows.add(slots_by_h[h], np.ones(len(slots_by_h[h])), -math.inf, float(inp.hospitals[h].operating_rooms))
    for cols in slots_by_hs.values():
        for a, b in zip(cols[:-1], cols[1:], strict=True):
            rows.add([b, a], [1.0, -1.0], -math.inf, 0.0)

    # access term: a[i] <= sum of w[h, 1] over the hospitals h that would bring municipality i within reach
    acc0 = n_base
    acc_first_w, acc_coef = _access_rows(inp, settings, {h: cols[0] for h, cols in w_cols_by_h.items()})
    for t, w_cols in enumerate(acc_first_w):
        rows.add(np.r_[acc0 + t, w_cols], np.r_[1.0, -np.ones(len(w_cols))], -math.inf, 0.0)
    n_acc = len(acc_first_w)
    n_base += n_acc

    budget_row = -1
    if settings.budget_mxn_month is not None:
        budget_row = len(rows.lo)
        i = rows.add(
            np.r_[seg0 + np.arange(n_seg), y0 + np.arange(n_b)],
            np.r_[seg_inc, bonus[b_h]],
            -math.inf,
            settings.budget_mxn_month,
        )
        if elastic:
            slack_labels.append(("budget", "monthly incentive budget"))
            slack_rows.append((i, -1.0))

    hosp_demand: dict[int, float] = {}
    for (h, _s), cv in curves.items():
        hosp_demand[h] = hosp_demand.get(h, 0.0) + cv.demand
    all_demand: dict[int, float] = {}
    for (clues, _s), d in inp.demand.items():
        if clues in idx and d.procedures_per_week > 0:
            all_demand[idx[clues]] = all_demand.get(idx[clues], 0.0) + d.procedures_per_week
    if settings.min_hospital_share > 0:
        for h in sorted(all_demand):
            cols = slots_by_h.get(h, [])
            i = rows.add(cols, slot_gain[np.array(cols, dtype=np.int64) - slot0], settings.min_hospital_share
                         * all_demand[h], math.inf)
            if elastic:
                slack_labels.append(("hospital_share", inp.hospitals[h].clues))
                slack_rows.append((i, 1.0))
    if settings.min_state_share > 0:
        by_state: dict[str, list[int]] = {}
        for h in all_demand:
            by_state.setdefault(inp.hospitals[h].cve_ent, []).append(h)
        for st in sorted(by_state):
            cols = [c for h in by_state[st] for c in slots_by_h.get(h, [])]
            dem = sum(all_demand[h] for h in by_state[st])
            i = rows.add(cols, slot_gain[np.array(cols, dtype=np.int64) - slot0], settings.min_state_share * dem,
                         math.inf)
            if elastic:
                slack_labels.append(("state_share", st))
                slack_rows.append((i, 1.0))
    for j, h in enumerate(v_h):
        cols = slots_by_h[int(h)]
        rows.add(np.r_[v0 + j, np.array(cols, dtype=np.int64)], np.r_[1.0, -np.ones(len(cols))], -math.inf, 0.0)
    if settings.min_hospitals_24_7 > 0:
        i = rows.add(v0 + np.arange(n_v), np.ones(n_v), float(settings.min_hospitals_24_7), math.inf)
        if elastic:
            slack_labels.append(("hospitals_24_7", str(settings.min_hospitals_24_7)))
            slack_rows.append((i, 1.0))

    n_cols = n_base + len(slack_rows)
    for t, (i, sign) in enumerate(slack_rows):
        rows.r.append(np.array([i]))
        rows.c.append(np.array([n_base + t]))
        rows.v.append(np.array([sign]))

    lb = np.zeros(n_cols)
    ub = np.r_[sizes[arc_k], np.array(seg_cnt_l, dtype=float), np.ones(n_slot + n_v), b_ub, np.ones(n_w),
               np.ones(n_acc), np.full(len(slack_rows), np.inf)]
    integer = np.r_[np.zeros(n_arc, bool), np.zeros(n_seg, bool), np.ones(n_slot + n_v, bool), np.ones(n_b, bool),
                    np.ones(n_w, bool), np.zeros(n_acc, bool), np.zeros(len(slack_rows), bool)]
    cls_cur = np.array([idx[c.current] if c.current is not None else -1 for c in classes], dtype=np.int64)
    stay = cls_cur[arc_k] == arc_h if len(classes) else np.zeros(0, dtype=bool)
    if settings.replan == "pin":
        lb[:n_arc][stay] = sizes[arc_k][stay]

    weight = np.array([settings.marginalisation_weight[h.degree] for h in inp.hospitals])
    cov_obj = np.zeros(n_cols)
    cov_obj[slot0:v0] = weight[slot_h] * slot_gain
    cov_obj[acc0 : acc0 + n_acc] = acc_coef
    cost_obj = np.zeros(n_cols)
    cost_obj[:n_arc] = -(settings.km_weight * arc_km + settings.incentive_weight * bonus[arc_h])
    cost_obj[:n_arc] += np.where(stay, settings.move_penalty, 0.0)
    cost_obj[seg0:slot0] = -settings.incentive_weight * seg_inc
    cost_offset = -settings.move_penalty * len(inp.current)
    eq_obj = np.zeros(n_cols)
    eq_obj[v0 : v0 + n_v] = 1.0

    if elastic:
        c = np.zeros(n_cols)
        c[n_base:] = -1.0 / np.array([max(1.0, abs(rows.lo[i]) if math.isfinite(rows.lo[i]) else abs(rows.hi[i]))
                                      for i, _ in slack_rows])
        offset = 0.0
    else:
        c, offset = cov_obj + cost_obj, cost_offset
    mip = Mip(c, lb, ub, integer, rows.matrix(n_cols), np.array(rows.lo), np.array(rows.hi), offset)
    return Formulation(
        mip, n_arc, classes, arc_k, arc_h, arc_km, arc_bucket, y0, seg_k, slot_h, slot_s, slot0, v_h, v0, cov_obj,
        cost_obj, cost_offset, eq_obj, curves, slack_labels, n_base, inpost, seg_inc, class_row, budget_row,
        bonus[arc_h], w0, np.array(w_h_l, dtype=np.int64), acc0, acc_first_w,
    )


def _access_rows(
    inp: DeploymentInput, settings: DeploymentSettings, first_w: dict[int, int]
) -> tuple[list[np.ndarray], np.ndarray]:
    """For each municipality not yet within reach that some hospital with team slots would reach: the
    ``w[h, 1]`` columns of those hospitals, and its objective coefficient (access_weight x weight)."""
    gain = inp.access
    if gain is None or settings.access_weight <= 0 or not first_w:
        return [], np.zeros(0)
    pos = {c: j for j, c in enumerate(gain.hospital_ids)}
    hs = [h for h in sorted(first_w) if inp.hospitals[h].clues in pos]
    if not hs:
        return [], np.zeros(0)
    reach = gain.reach[:, [pos[inp.hospitals[h].clues] for h in hs]] & ~gain.covered_now[:, None]
    w_of = np.array([first_w[h] for h in hs], dtype=np.int64)
    rows_i = np.flatnonzero(reach.any(axis=1) & (gain.weight > 0))
    return [w_of[reach[i]] for i in rows_i], settings.access_weight * gain.weight[rows_i]


def _add_rounding_cuts(
    rows: _Rows, y_cols: np.ndarray, y_hours: np.ndarray, chain: np.ndarray, per_slot: float, have: float
) -> None:
    """Chvatal-Gomory rounding of one role's hours row, one cut per contract-hours divisor d.

    With m slots open (ordered binary ``chain``, so sum = m) the role needs N(m) = max(0, m x per_slot - have)
    recruited hours: sum_H H y_H >= N(m). Dividing by d and rounding up (y integer, >= 0) gives
    sum_H ceil(H/d) y_H >= F(m) = ceil(N(m)/d), written linearly as sum_m (F(m) - F(m-1)) chain_m, which is
    exact on ordered binaries. It cuts the LP's fractional people: 168 h with 48-h contracts is 3.5 people
    in the hours row but 4 here (d = 48); with 40-h contracts 4.2 vs 5 (d = 40).
    """
    if len(y_cols) == 0 or len(chain) == 0:
        return
    m = np.arange(0, len(chain) + 1)
    need_h = np.maximum(0.0, m * per_slot - have)
    for d in sorted(set(y_hours.tolist())):
        f = np.ceil(need_h / d - 1e-9)
        inc = np.diff(f)
        if not np.any(inc > 0):
            continue
        coef = np.ceil(y_hours / d - 1e-9)
        rows.add(np.r_[y_cols, chain], np.r_[coef, -inc], 0.0, math.inf)
