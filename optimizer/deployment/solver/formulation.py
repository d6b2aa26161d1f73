"""The class x hospital deployment MIP, built as arrays (see :mod:`optimizer.deployment.solver.mip`).

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

from optimizer.deployment.inputs import DeploymentInput
from optimizer.deployment.settings import DeploymentSettings
from optimizer.deployment.solver.aggregate import CandidateClass, build_classes, class_distance_km, incentive_segments
from optimizer.deployment.solver.mip import Mip
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
class ColumnBlocks:
    """Column allocator: named, contiguous blocks of columns in the order they are added."""

    start: dict[str, int] = field(default_factory=dict)
    size: dict[str, int] = field(default_factory=dict)
    n: int = 0

    def add(self, name: str, size: int) -> int:
        """Reserve ``size`` columns for ``name``; returns the first column's index."""
        self.start[name], self.size[name] = self.n, size
        self.n += size
        return self.start[name]

    def cols(self, name: str) -> np.ndarray:
        """Indices of the block's columns."""
        return self.start[name] + np.arange(self.size[name])


@dataclass
class Formulation:
    """The MIP plus the maps from its columns back to classes, hospitals and slots.

    Column blocks (``blocks``, in this order): ``x`` arcs (class -> hospital), ``z`` incentive steps, ``u`` team
    slots, ``v`` 24/7 flags, ``y`` hours buckets, ``w`` open-slot chains, ``a`` access, ``slack`` (elastic only).
    """

    mip: Mip
    blocks: ColumnBlocks
    classes: list[CandidateClass]
    arc_k: np.ndarray
    arc_h: np.ndarray
    arc_km: np.ndarray
    arc_bucket: np.ndarray
    seg_k: np.ndarray
    slot_h: np.ndarray
    slot_s: list[Specialty]
    v_h: np.ndarray
    cov_obj: np.ndarray
    cost_obj: np.ndarray
    cost_offset: float
    eq_obj: np.ndarray
    curves: dict[tuple[int, Specialty], SlotCurve]
    slack_labels: list[tuple[str, str]] = field(default_factory=list)
    inpost: dict[tuple[int, Specialty], float] = field(default_factory=dict)
    seg_inc: np.ndarray = field(default_factory=lambda: np.zeros(0))
    class_row: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    budget_row: int = -1
    arc_bonus: np.ndarray = field(default_factory=lambda: np.zeros(0))
    w_h: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    acc_first_w: list[np.ndarray] = field(default_factory=list)

    @property
    def n_arc(self) -> int:
        """Arc columns (class -> hospital), the first block."""
        return self.blocks.size["x"]

    @property
    def y0(self) -> int:
        return self.blocks.start["y"]

    @property
    def slot_col0(self) -> int:
        return self.blocks.start["u"]

    @property
    def v_col0(self) -> int:
        return self.blocks.start["v"]

    @property
    def w_col0(self) -> int:
        return self.blocks.start["w"]

    @property
    def acc_col0(self) -> int:
        return self.blocks.start["a"]

    @property
    def slack_col0(self) -> int:
        return self.blocks.start["slack"]

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


@dataclass
class _Build:
    """What the row families of one build share: the input's derived arrays, the column blocks, the rows."""

    inp: DeploymentInput
    settings: DeploymentSettings
    elastic: bool
    curves: dict[tuple[int, Specialty], SlotCurve]
    inpost: dict[tuple[int, Specialty], float]
    need: dict[Specialty, int]
    classes: list[CandidateClass]
    arc_k: np.ndarray
    arc_h: np.ndarray
    arc_km: np.ndarray
    seg_k: np.ndarray
    seg_inc: np.ndarray
    seg_cnt: np.ndarray
    slot_h: np.ndarray
    slot_s: list[Specialty]
    slot_gain: np.ndarray
    v_h: np.ndarray
    cols: ColumnBlocks = field(default_factory=ColumnBlocks)
    rows: _Rows = field(default_factory=_Rows)
    slack_labels: list[tuple[str, str]] = field(default_factory=list)
    slack_rows: list[tuple[int, float]] = field(default_factory=list)  # (row, sign) of each slack column
    class_row: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    arc_bucket: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    b_ub: np.ndarray = field(default_factory=lambda: np.zeros(0))
    b_hours: np.ndarray = field(default_factory=lambda: np.zeros(0))
    b_h: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    by_hr: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    slots_by_h: dict[int, list[int]] = field(default_factory=dict)
    slots_by_hs: dict[tuple[int, Specialty], list[int]] = field(default_factory=dict)
    w_h: list[int] = field(default_factory=list)
    w_cols_by_h: dict[int, list[int]] = field(default_factory=dict)
    acc_first_w: list[np.ndarray] = field(default_factory=list)
    acc_coef: np.ndarray = field(default_factory=lambda: np.zeros(0))
    budget_row: int = -1

    @property
    def sizes(self) -> np.ndarray:
        return np.array([c.size for c in self.classes], dtype=float)

    @property
    def bonus(self) -> np.ndarray:
        return person_bonus_mxn(self.inp, self.settings)

    def elastic_row(self, row: int, sign: float, kind: str, label: str) -> None:
        """In elastic mode, let ``row`` bend by a slack column (``sign`` +1 for >= rows, -1 for <=)."""
        if self.elastic:
            self.slack_labels.append((kind, label))
            self.slack_rows.append((row, sign))


def _team_need(settings: DeploymentSettings) -> dict[Specialty, int]:
    """People of each role per 24/7 team slot (surgeons of the slot's specialty; shared anaesthesia, nursing)."""
    tpl = settings.template
    return {Specialty.ANAESTHESIOLOGY: tpl.anaesthesiologists, Specialty.SURGICAL_NURSING: tpl.surgical_nurses,
            **{s: tpl.surgeons for s in SURGICAL_SPECIALTIES}}


def _useful_roles(inp: DeploymentInput, curves: dict[tuple[int, Specialty], SlotCurve],
                  inpost: dict[tuple[int, Specialty], float], need: dict[Specialty, int]
                  ) -> dict[Specialty, np.ndarray]:
    """Per role, the hospitals where a recruit could add hours: the most any slot plan could use (h/week)
    exceeds the staff in post."""
    n_h = len(inp.hospitals)
    max_slots_s = {s: np.zeros(n_h, dtype=int) for s in SURGICAL_SPECIALTIES}
    for (h, s), cv in curves.items():
        max_slots_s[s][h] = cv.max_slots
    shared = np.minimum(np.array([h.operating_rooms for h in inp.hospitals]), sum(max_slots_s.values()))
    max_slots = {**max_slots_s, Specialty.ANAESTHESIOLOGY: shared, Specialty.SURGICAL_NURSING: shared}
    return {r: HOURS_PER_WEEK * need[r] * max_slots[r] > np.array([inpost.get((h, r), 0.0) for h in range(n_h)]) + 1e-9
            for r in need}


def _arcs(inp: DeploymentInput, classes: list[CandidateClass], need: dict[Specialty, int],
          useful: dict[Specialty, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(class, hospital, km) of every arc: willing, useful for the class's role, or where the class works now."""
    n_h = len(inp.hospitals)
    idx = inp.hospital_index()
    km = class_distance_km(inp, classes) if classes else np.zeros((0, n_h))
    mask = willing_mask(inp, classes, km)
    for k, c in enumerate(classes):
        mask[k] &= useful[c.role] if need[c.role] > 0 else False
        if c.current is not None:
            mask[k, idx[c.current]] = True  # staying where one already works is always possible
    arc_k, arc_h = np.nonzero(mask)
    return arc_k, arc_h, km[arc_k, arc_h]


def _segments(inp: DeploymentInput, classes: list[CandidateClass], arc_k: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Incentive steps of the classes with an arc: (class, MXN/month per person, people in the step)."""
    has_arc = np.zeros(len(classes), dtype=bool)
    has_arc[arc_k] = True
    steps = [(int(k), inc, cnt) for k in np.flatnonzero(has_arc) for inc, cnt in incentive_segments(inp, classes[k])]
    return (np.array([k for k, _i, _c in steps], dtype=np.int64), np.array([i for _k, i, _c in steps], dtype=float),
            np.array([c for _k, _i, c in steps], dtype=float))


def _slots(curves: dict[tuple[int, Specialty], SlotCurve]) -> tuple[np.ndarray, list[Specialty], np.ndarray]:
    """Every useful team slot: (hospital, specialty, procedures/week it adds)."""
    slot_h, slot_s, gain = [], [], []
    for (h, s), cv in curves.items():
        for n in range(1, cv.max_slots + 1):
            slot_h.append(h)
            slot_s.append(s)
            gain.append(cv.covered(n) - cv.covered(n - 1))
    return np.array(slot_h, dtype=np.int64), slot_s, np.array(gain, dtype=float)


def _class_rows(b: _Build) -> None:
    """People of a class are deployed once: sum_h x[k,h] = sum_i z[k,i]."""
    x0, z0 = b.cols.start["x"], b.cols.start["z"]
    with_arc = np.unique(b.arc_k)
    b.class_row = np.full(len(b.classes), -1, dtype=np.int64)
    b.class_row[with_arc] = len(b.rows.lo) + np.arange(len(with_arc))
    b.rows.add_many(len(with_arc), np.r_[b.class_row[b.arc_k], b.class_row[b.seg_k]] - len(b.rows.lo),
                    np.r_[x0 + np.arange(len(b.arc_k)), z0 + np.arange(len(b.seg_k))],
                    np.r_[np.ones(len(b.arc_k)), -np.ones(len(b.seg_k))], 0.0, 0.0)


def _bucket_rows(b: _Build) -> None:
    """Buckets y[h, r, H]: integer people of role r with H contract hours at hospital h, fed by the arcs.

    With y and u integer, the class -> bucket flows form a transportation polytope, so x may stay continuous.
    """
    n_h, classes, arc_k = len(b.inp.hospitals), b.classes, b.arc_k
    role_codes = sorted({c.role.value for c in classes})
    hour_values = sorted({c.weekly_hours for c in classes})
    cls_role = np.array([role_codes.index(c.role.value) for c in classes], dtype=np.int64)
    cls_hours = np.array([hour_values.index(c.weekly_hours) for c in classes], dtype=np.int64)
    code = (b.arc_h * len(role_codes) + cls_role[arc_k]) * len(hour_values) + cls_hours[arc_k]
    # np.unique without the sort: the key space (hospitals x roles x hours) is small
    present = np.zeros(n_h * len(role_codes) * len(hour_values), dtype=bool)
    present[code] = True
    uniq = np.flatnonzero(present)
    b.arc_bucket = (np.cumsum(present) - 1)[code].astype(np.int64)
    b_hh, rest = uniq % len(hour_values), uniq // len(hour_values)
    keys = [(int(h), role_codes[int(r)], float(hour_values[int(hh)]))
            for h, r, hh in zip(rest // len(role_codes), rest % len(role_codes), b_hh, strict=True)]
    n_b, n_arc = len(keys), len(arc_k)
    y0 = b.cols.add("y", n_b)
    b.b_ub = np.bincount(b.arc_bucket, weights=b.sizes[arc_k], minlength=n_b)
    b.rows.add_many(n_b, np.r_[b.arc_bucket, np.arange(n_b)], np.r_[np.arange(n_arc), y0 + np.arange(n_b)],
                    np.r_[np.ones(n_arc), -np.ones(n_b)], 0.0, 0.0)
    for i, (h, r, _hh) in enumerate(keys):
        b.by_hr.setdefault((h, r), []).append(i)
    b.b_hours = np.array([hh for _h, _r, hh in keys], dtype=float)
    b.b_h = np.array([h for h, _r, _hh in keys], dtype=np.int64)


def _w_columns(b: _Build) -> None:
    """w[h, m]: binary "hospital h has at least m team slots" (ordered chain, sum = open slots), the
    counterpart of u's order for the roles every team shares (anaesthesia, nursing)."""
    slot0 = b.cols.start["u"]
    for j, (h, sp_) in enumerate(zip(b.slot_h, b.slot_s, strict=True)):
        b.slots_by_h.setdefault(int(h), []).append(slot0 + j)
        b.slots_by_hs.setdefault((int(h), sp_), []).append(slot0 + j)
    n_w = sum(min(len(cols), b.inp.hospitals[h].operating_rooms) for h, cols in b.slots_by_h.items())
    w0 = b.cols.add("w", n_w)
    for h in sorted(b.slots_by_h):
        for _m in range(min(len(b.slots_by_h[h]), b.inp.hospitals[h].operating_rooms)):
            b.w_cols_by_h.setdefault(h, []).append(w0 + len(b.w_h))
            b.w_h.append(h)


def _hospital_rows(b: _Build, h: int, chains: list[list[int]]) -> None:
    """One hospital's rows: the w chain (sum of w = open slots, in order), any open slot opens w[h, 1], the
    hours of every role of the team template, and one room per slot."""
    rows = b.rows
    w_cols = np.array(b.w_cols_by_h[h], dtype=np.int64)
    slots = b.slots_by_h[h]
    rows.add(np.r_[w_cols, slots], np.r_[np.ones(len(w_cols)), -np.ones(len(slots))], 0.0, 0.0)
    for lo, hi in zip(w_cols[:-1], w_cols[1:], strict=True):
        rows.add([hi, lo], [1.0, -1.0], -math.inf, 0.0)
    for cols_s in chains:
        rows.add([cols_s[0], int(w_cols[0])], [1.0, -1.0], -math.inf, 0.0)  # any open slot: w[h, 1] = 1
    for r, n_r in b.need.items():
        if n_r > 0:
            _role_hours_rows(b, h, r, n_r, w_cols)
    rooms = b.inp.hospitals[h].operating_rooms
    if len(slots) > rooms:
        rows.add(slots, np.ones(len(slots)), -math.inf, float(rooms))


def _role_hours_rows(b: _Build, h: int, r: Specialty, n_r: int, w_cols: np.ndarray) -> None:
    """Hours of role ``r`` at hospital ``h`` cover its slots: recruited hours (buckets) + staff in post >=
    168 n_r per open slot, with the rounding cuts and, for shared roles, the first slot's missing hours."""
    surgical = r in SURGICAL_SPECIALTIES
    u_cols = b.slots_by_hs.get((h, r), []) if surgical else b.slots_by_h[h]
    if not u_cols:
        return
    bs = np.array(b.by_hr.get((h, r.value), []), dtype=np.int64)
    y_cols, hours = b.cols.start["y"] + bs, b.b_hours[bs]
    have = b.inpost.get((h, r), 0.0)
    per_slot = HOURS_PER_WEEK * n_r
    _add_rounding_cuts(b.rows, y_cols, hours, np.array(u_cols if surgical else w_cols, dtype=np.int64), per_slot,
                       have)
    u = np.array(u_cols, dtype=np.int64)
    if surgical:
        # Slot n needs a_n = clip(n x per_slot - in post, 0, per_slot) recruited hours: exact for ordered
        # binary u, and tighter in the LP than "hours >= per_slot x slots - in post".
        a_n = np.clip(per_slot * np.arange(1, len(u_cols) + 1) - have, 0.0, per_slot)
        b.rows.add(np.r_[y_cols, u], np.r_[hours, -a_n], 0.0, math.inf)
        return
    b.rows.add(np.r_[y_cols, u], np.r_[hours, np.full(len(u_cols), -per_slot)], -have, math.inf)
    first = max(0.0, per_slot - have)
    if first > 0:
        # Valid for binary u: any open slot of a specialty needs the first slot's missing hours.
        for sp_ in SURGICAL_SPECIALTIES:
            cols_s = b.slots_by_hs.get((h, sp_), [])
            if cols_s:
                b.rows.add(np.r_[y_cols, cols_s[0]], np.r_[hours, -first], 0.0, math.inf)


def _slot_order_rows(b: _Build) -> None:
    """Slots of a hospital x specialty fill in order: u[h,s,n] <= u[h,s,n-1] (breaks symmetry)."""
    for cols in b.slots_by_hs.values():
        for lo, hi in zip(cols[:-1], cols[1:], strict=True):
            b.rows.add([hi, lo], [1.0, -1.0], -math.inf, 0.0)


def _access_term_rows(b: _Build) -> None:
    """Access term: a[i] <= sum of w[h, 1] over the hospitals h that would bring municipality i within reach."""
    b.acc_first_w, b.acc_coef = _access_rows(b.inp, b.settings, {h: cols[0] for h, cols in b.w_cols_by_h.items()})
    acc0 = b.cols.add("a", len(b.acc_first_w))
    for t, w_cols in enumerate(b.acc_first_w):
        b.rows.add(np.r_[acc0 + t, w_cols], np.r_[1.0, -np.ones(len(w_cols))], -math.inf, 0.0)


def _budget_row(b: _Build) -> None:
    """Monthly MXN: incentives of the steps used + remoteness bonus of each person deployed <= budget."""
    if b.settings.budget_mxn_month is None:
        return
    b.budget_row = b.rows.add(np.r_[b.cols.cols("z"), b.cols.cols("y")], np.r_[b.seg_inc, b.bonus[b.b_h]],
                              -math.inf, b.settings.budget_mxn_month)
    b.elastic_row(b.budget_row, -1.0, "budget", "monthly incentive budget")


def _demand_by_hospital(b: _Build) -> dict[int, float]:
    """Procedures/week asked of each hospital (every specialty with demand)."""
    idx = b.inp.hospital_index()
    out: dict[int, float] = {}
    for (clues, _s), d in b.inp.demand.items():
        if clues in idx and d.procedures_per_week > 0:
            out[idx[clues]] = out.get(idx[clues], 0.0) + d.procedures_per_week
    return out


def _coverage_row(b: _Build, hospitals: list[int], floor: float) -> int:
    """Procedures/week covered by the slots of ``hospitals`` >= ``floor``."""
    cols = [c for h in hospitals for c in b.slots_by_h.get(h, [])]
    gains = b.slot_gain[np.array(cols, dtype=np.int64) - b.cols.start["u"]]
    return b.rows.add(cols, gains, floor, math.inf)


def _share_rows(b: _Build) -> None:
    """Equity floors: each hospital, and each state, covers at least its share of its demand."""
    s, demand = b.settings, _demand_by_hospital(b)
    if s.min_hospital_share > 0:
        for h in sorted(demand):
            row = _coverage_row(b, [h], s.min_hospital_share * demand[h])
            b.elastic_row(row, 1.0, "hospital_share", b.inp.hospitals[h].clues)
    if s.min_state_share > 0:
        by_state: dict[str, list[int]] = {}
        for h in demand:
            by_state.setdefault(b.inp.hospitals[h].cve_ent, []).append(h)
        for st in sorted(by_state):
            row = _coverage_row(b, by_state[st], s.min_state_share * sum(demand[h] for h in by_state[st]))
            b.elastic_row(row, 1.0, "state_share", st)


def _hospitals_24_7_rows(b: _Build) -> None:
    """v[h] <= sum of h's slots (v = 1 only when h has a 24/7 slot); sum v >= the minimum required."""
    v0 = b.cols.start["v"]
    for j, h in enumerate(b.v_h):
        cols = b.slots_by_h[int(h)]
        b.rows.add(np.r_[v0 + j, np.array(cols, dtype=np.int64)], np.r_[1.0, -np.ones(len(cols))], -math.inf, 0.0)
    if b.settings.min_hospitals_24_7 > 0:
        n_v = len(b.v_h)
        row = b.rows.add(v0 + np.arange(n_v), np.ones(n_v), float(b.settings.min_hospitals_24_7), math.inf)
        b.elastic_row(row, 1.0, "hospitals_24_7", str(b.settings.min_hospitals_24_7))


def _slack_columns(b: _Build) -> None:
    """One slack column per elastic row (none unless ``elastic``)."""
    s0 = b.cols.add("slack", len(b.slack_rows))
    for t, (i, sign) in enumerate(b.slack_rows):
        b.rows.r.append(np.array([i]))
        b.rows.c.append(np.array([s0 + t]))
        b.rows.v.append(np.array([sign]))


def _stay(b: _Build) -> np.ndarray:
    """Arcs that keep a currently deployed class where it works."""
    idx = b.inp.hospital_index()
    cls_cur = np.array([idx[c.current] if c.current is not None else -1 for c in b.classes], dtype=np.int64)
    return cls_cur[b.arc_k] == b.arc_h if len(b.classes) else np.zeros(0, dtype=bool)


def _bounds(b: _Build) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower, upper, integer) per column, block by block; ``replan="pin"`` fixes the current deployment."""
    size = b.cols.size
    ub = np.r_[b.sizes[b.arc_k], b.seg_cnt, np.ones(size["u"] + size["v"]), b.b_ub, np.ones(size["w"]),
               np.ones(size["a"]), np.full(size["slack"], np.inf)]
    integer = np.r_[np.zeros(size["x"] + size["z"], bool), np.ones(size["u"] + size["v"] + size["y"] + size["w"], bool),
                    np.zeros(size["a"] + size["slack"], bool)]
    lb = np.zeros(b.cols.n)
    if b.settings.replan == "pin":
        stay = _stay(b)
        lb[: size["x"]][stay] = b.sizes[b.arc_k][stay]
    return lb, ub, integer


def _objectives(b: _Build) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """(coverage, cost, cost offset, equity) objective vectors: weighted procedures/week (+ access), minus km,
    incentive and move costs; equity counts hospitals reaching 24/7."""
    s, cols, n = b.settings, b.cols, b.cols.n
    weight = np.array([s.marginalisation_weight[h.degree] for h in b.inp.hospitals])
    cov = np.zeros(n)
    cov[cols.cols("u")] = weight[b.slot_h] * b.slot_gain
    cov[cols.cols("a")] = b.acc_coef
    cost = np.zeros(n)
    cost[cols.cols("x")] = -(s.km_weight * b.arc_km + s.incentive_weight * b.bonus[b.arc_h])
    cost[cols.cols("x")] += np.where(_stay(b), s.move_penalty, 0.0)
    cost[cols.cols("z")] = -s.incentive_weight * b.seg_inc
    eq = np.zeros(n)
    eq[cols.cols("v")] = 1.0
    return cov, cost, -s.move_penalty * len(b.inp.current), eq


def _prepare(inp: DeploymentInput, settings: DeploymentSettings, elastic: bool) -> _Build:
    """The derived arrays (curves, classes, arcs, incentive steps, slots) and the first column blocks."""
    curves, inpost, need = slot_curves(inp, settings), in_post_hours(inp), _team_need(settings)
    classes = build_classes(inp)
    arc_k, arc_h, arc_km = _arcs(inp, classes, need, _useful_roles(inp, curves, inpost, need))
    seg_k, seg_inc, seg_cnt = _segments(inp, classes, arc_k)
    slot_h, slot_s, slot_gain = _slots(curves)
    need_v = settings.min_hospitals_24_7 > 0 or settings.objective_mode == "lexicographic"
    v_h = np.unique(slot_h) if need_v else np.zeros(0, dtype=np.int64)
    b = _Build(inp, settings, elastic, curves, inpost, need, classes, arc_k, arc_h, arc_km, seg_k, seg_inc, seg_cnt,
               slot_h, slot_s, slot_gain, v_h)
    for name, size in (("x", len(arc_k)), ("z", len(seg_k)), ("u", len(slot_h)), ("v", len(v_h))):
        b.cols.add(name, size)
    return b


def build(inp: DeploymentInput, settings: DeploymentSettings, elastic: bool = False) -> Formulation:
    """Build the MIP. ``elastic`` adds slack to budget and equity rows and maximises minus total slack.

    Columns are allocated block by block (:class:`ColumnBlocks`); rows are added one family at a time, in a
    fixed order (the order HiGHS sees, so plans are reproducible)."""
    b = _prepare(inp, settings, elastic)
    _class_rows(b)
    _bucket_rows(b)
    _w_columns(b)
    chains_of_h: dict[int, list[list[int]]] = {}
    for (hh, _s), cols in sorted(b.slots_by_hs.items(), key=lambda kv: (kv[0][0], kv[0][1].value)):
        chains_of_h.setdefault(hh, []).append(cols)
    for h in sorted(b.slots_by_h):
        _hospital_rows(b, h, chains_of_h[h])
    _slot_order_rows(b)
    _access_term_rows(b)
    _budget_row(b)
    _share_rows(b)
    _hospitals_24_7_rows(b)
    _slack_columns(b)
    lb, ub, integer = _bounds(b)
    cov_obj, cost_obj, cost_offset, eq_obj = _objectives(b)
    if elastic:
        rows = b.rows
        c = np.zeros(b.cols.n)
        c[b.cols.cols("slack")] = -1.0 / np.array(
            [max(1.0, abs(rows.lo[i]) if math.isfinite(rows.lo[i]) else abs(rows.hi[i])) for i, _ in b.slack_rows])
        offset = 0.0
    else:
        c, offset = cov_obj + cost_obj, cost_offset
    mip = Mip(c, lb, ub, integer, b.rows.matrix(b.cols.n), np.array(b.rows.lo), np.array(b.rows.hi), offset)
    return Formulation(
        mip=mip, blocks=b.cols, classes=b.classes, arc_k=b.arc_k, arc_h=b.arc_h, arc_km=b.arc_km,
        arc_bucket=b.arc_bucket, seg_k=b.seg_k, slot_h=b.slot_h, slot_s=b.slot_s, v_h=b.v_h, cov_obj=cov_obj,
        cost_obj=cost_obj, cost_offset=cost_offset, eq_obj=eq_obj, curves=b.curves, slack_labels=b.slack_labels,
        inpost=b.inpost, seg_inc=b.seg_inc, class_row=b.class_row, budget_row=b.budget_row,
        arc_bonus=b.bonus[b.arc_h], w_h=np.array(b.w_h, dtype=np.int64), acc_first_w=b.acc_first_w,
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
