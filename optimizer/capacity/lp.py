"""Assembly of the capacity LP as sparse arrays and its solution with HiGHS (highspy, simplex).

Kept apart from :mod:`optimizer.capacity.model` so the validator can check a plan without any of this.
Column and row keys say what each one is, so duals map back to "anaesthesiology at OCIMB000123".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import highspy
import numpy as np

from optimizer.domain import HOURS_PER_WEEK, SURGICAL_SPECIALTIES, Specialty
from optimizer.solvers.highs_status import highs_status
from optimizer.solvers.silence import quiet_highs

if TYPE_CHECKING:
    from optimizer.capacity.model import CapacityInput, Hospital
    from optimizer.capacity.settings import CapacitySettings


@dataclass(frozen=True)
class ColKey:
    """A decision variable: ``kind`` is ``or`` (room hours of ``specialty``), ``ward`` or ``er``."""

    kind: str
    clues: str
    specialty: Specialty | None = None


@dataclass(frozen=True)
class RowKey:
    """A ``<=`` constraint: rooms, role, demand, ward_link, ward_hours or er_hours of a hospital."""

    kind: str
    clues: str
    key: str = ""


@dataclass
class CapacityLp:
    """max c'x s.t. A x <= b, x >= 0 in column-wise sparse form, with keys and per-row hospital weights."""

    cols: list[ColKey]
    rows: list[RowKey]
    cost: np.ndarray  # weighted procedures per hour of each column
    rhs: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    row_weight: np.ndarray  # weight of the row's hospital (dual / weight = plain procedures)
    care: np.ndarray  # 1 for ward and ER columns (phase-2 objective), else 0

    def row_of(self) -> dict[RowKey, int]:
        return {r: i for i, r in enumerate(self.rows)}


def build(inp: CapacityInput, settings: CapacitySettings) -> CapacityLp:
    """Build the network LP (see the model's docstring for the rows and columns): hospital by hospital, its
    columns (OR hours per specialty with demand, ward, ER) then its rows."""
    b = _Builder()
    for h in inp.hospitals:
        weight = h.weight(settings)
        _hospital_rows(b, inp, settings, h, weight, _hospital_columns(b, inp, settings, h, weight))
    return b.finish()


class _Builder:
    """The LP as it is built: columns (key, objective weight, care flag), rows (key, right-hand side, weight)
    and the matrix entries (col, row, value)."""

    def __init__(self) -> None:
        self.cols: list[ColKey] = []
        self.rows: list[RowKey] = []
        self.cost: list[float] = []
        self.care: list[float] = []
        self.rhs: list[float] = []
        self.row_weight: list[float] = []
        self.entries: list[tuple[int, int, float]] = []

    def add_col(self, key: ColKey, cost: float, care: float) -> int:
        self.cols.append(key)
        self.cost.append(cost)
        self.care.append(care)
        return len(self.cols) - 1

    def add_row(self, key: RowKey, bound: float, weight: float) -> int:
        self.rows.append(key)
        self.rhs.append(bound)
        self.row_weight.append(weight)
        return len(self.rows) - 1

    def finish(self) -> CapacityLp:
        """The LP in column-wise sparse form (entries sorted by column, then row)."""
        trip = np.array(self.entries, dtype=float).reshape(-1, 3)
        order = np.lexsort((trip[:, 1], trip[:, 0]))
        trip = trip[order]
        col_idx = trip[:, 0].astype(np.int64)
        start = np.searchsorted(col_idx, np.arange(len(self.cols) + 1)).astype(np.int32)
        return CapacityLp(self.cols, self.rows, np.array(self.cost), np.array(self.rhs), start,
                          trip[:, 1].astype(np.int32), trip[:, 2].copy(), np.array(self.row_weight),
                          np.array(self.care))


@dataclass
class _HospitalCols:
    """One hospital's columns: OR hours per specialty (column, specialty), ward and ER (-1 when absent), and
    per role the people each column's hour uses (column, people)."""

    x_cols: list[tuple[int, Specialty]]
    ward_col: int
    er_col: int
    role_use: dict[Specialty, list[tuple[int, float]]]


def _hospital_columns(b: _Builder, inp: CapacityInput, settings: CapacitySettings, h: Hospital, weight: float
                      ) -> _HospitalCols:
    """Hospital ``h``'s columns: OR hours per specialty with demand (weighted procedures per hour), ward and
    ER hours (care, no objective weight)."""
    x_cols: list[tuple[int, Specialty]] = []
    for s in SURGICAL_SPECIALTIES:
        d = inp.demand.get((h.clues, s))
        if d is None or d.or_hours_per_week <= 0:
            continue
        x_cols.append((b.add_col(ColKey("or", h.clues, s), weight * d.procedures_per_or_hour, 0.0), s))
    role_use: dict[Specialty, list[tuple[int, float]]] = {}
    for j, s in x_cols:
        for role, people in settings.or_team(s).items():
            role_use.setdefault(role, []).append((j, people))
    ward_col = er_col = -1
    if h.beds > 0:
        ward_col = b.add_col(ColKey("ward", h.clues), 0.0, 1.0)
        for role, people in settings.ward_team.items():
            role_use.setdefault(role, []).append((ward_col, people * h.ward_blocks(settings)))
    if h.emergency_bays > 0:
        er_col = b.add_col(ColKey("er", h.clues), 0.0, 1.0)
        for role, people in settings.er_team.items():
            role_use.setdefault(role, []).append((er_col, people * h.er_units(settings)))
    return _HospitalCols(x_cols, ward_col, er_col, role_use)


def _hospital_rows(b: _Builder, inp: CapacityInput, settings: CapacitySettings, h: Hospital, weight: float,
                   hc: _HospitalCols) -> None:
    """Hospital ``h``'s rows, in order: rooms, staff hours per role, demand per specialty, the ward link,
    ward hours, ER hours."""
    x_cols, ward_col, er_col, role_use = hc.x_cols, hc.ward_col, hc.er_col, hc.role_use
    if x_cols:
        i = b.add_row(RowKey("rooms", h.clues), HOURS_PER_WEEK * h.operating_rooms, weight)
        b.entries.extend((j, i, 1.0) for j, _ in x_cols)
    for role in sorted(role_use, key=lambda r: r.value):
        i = b.add_row(RowKey("role", h.clues, role.value), inp.available_hours(h.clues, role, settings), weight)
        b.entries.extend((j, i, v) for j, v in role_use[role])
    for j, s in x_cols:
        i = b.add_row(RowKey("demand", h.clues, s.value), inp.demand[(h.clues, s)].or_hours_per_week, weight)
        b.entries.append((j, i, 1.0))
    if ward_col >= 0:
        if x_cols and settings.couple_ward:
            i = b.add_row(RowKey("ward_link", h.clues), 0.0, weight)
            b.entries.extend((j, i, 1.0) for j, _ in x_cols)
            b.entries.append((ward_col, i, -float(h.operating_rooms)))
        i = b.add_row(RowKey("ward_hours", h.clues), HOURS_PER_WEEK, weight)
        b.entries.append((ward_col, i, 1.0))
    if er_col >= 0:
        i = b.add_row(RowKey("er_hours", h.clues), HOURS_PER_WEEK, weight)
        b.entries.append((er_col, i, 1.0))


def new_highs(settings: CapacitySettings, time_limit_s: float) -> highspy.Highs:
    """A silent HiGHS instance (dual simplex, so duals are those of a basic optimal solution).

    HiGHS prints a banner on stdout when the first instance is made; it is swallowed so ``--json``
    output stays one clean document.
    """
    h = quiet_highs()
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("random_seed", settings.seed)
    h.setOptionValue("threads", settings.threads)
    h.setOptionValue("time_limit", max(time_limit_s, 0.01))
    return h


def load(h: highspy.Highs, lp: CapacityLp, cost: np.ndarray) -> None:
    """Pass ``lp`` with objective ``cost`` (maximised) to ``h``."""
    model = highspy.HighsLp()
    model.num_col_ = len(lp.cols)
    model.num_row_ = len(lp.rows)
    model.col_cost_ = cost
    model.col_lower_ = np.zeros(len(lp.cols))
    model.col_upper_ = np.full(len(lp.cols), highspy.kHighsInf)
    model.row_lower_ = np.full(len(lp.rows), -highspy.kHighsInf)
    model.row_upper_ = lp.rhs.copy()
    model.sense_ = highspy.ObjSense.kMaximize
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = lp.start
    model.a_matrix_.index_ = lp.index
    model.a_matrix_.value_ = lp.value
    h.passModel(model)


def status_name(h: highspy.Highs) -> str:
    """``optimal`` (an empty LP is optimal at 0), ``time_limit``, ``infeasible`` or the HiGHS text (an error)."""
    outcome = highs_status(h)
    return outcome if outcome in ("optimal", "time_limit", "infeasible") else h.modelStatusToString(h.getModelStatus())
