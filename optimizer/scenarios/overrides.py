"""Table overrides of a scenario: facilities opened or closed, depot outages, the recruited pool.

Each function takes the dataset tables as read from the CSV files (every cell a string, so rows the
scenario does not touch are written back byte for byte) and returns new tables; nothing else changes.
The result is written to the run folder and loaded again through the validating loaders, so an override
can never slip an invalid row past the models.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.data import reference
from optimizer.data.curp import random_curps
from optimizer.i18n import msg
from optimizer.scenarios.schema import PLANNED_2025, DepotChanges, FacilityChanges, RecruitPool, Scenario
from optimizer.scenarios.yamlfile import ScenarioError

#: Dataset tables the overrides read and write (file stem -> CSV in the dataset folder).
TABLES: tuple[str, ...] = ("states", "facilities", "specialists", "medicines", "depots", "vehicles", "stock")


class OverrideError(ScenarioError):
    """An override that does not fit the dataset (unknown CLUES, depot, ...); names the scenario key."""


@dataclass
class Tables:
    """The CSV tables of a dataset folder, every cell kept as text."""

    frames: dict[str, pd.DataFrame]

    @classmethod
    def read(cls, folder: Path) -> Tables:
        """Read every table of ``folder`` as strings (absent tables are an error: the runner needs them)."""
        frames = {}
        for name in TABLES:
            path = folder / f"{name}.csv"
            if not path.exists():
                raise OverrideError(msg("scenario.dataset.no_table", folder=str(folder), table=name))
            frames[name] = pd.read_csv(path, dtype=str, keep_default_na=False)
        return cls(frames)

    def write(self, folder: Path) -> None:
        """Write every table to ``folder`` as CSV."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, frame in self.frames.items():
            frame.to_csv(folder / f"{name}.csv", index=False)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]


def apply_overrides(tables: Tables, scenario: Scenario) -> Tables:
    """All table overrides of ``scenario`` in a fixed order: facilities, depots, recruited pool."""
    out = apply_facilities(tables, scenario.facilities)
    out = apply_depots(out, scenario.depots)
    return apply_recruits(out, scenario.recruits, scenario.seed)


def opened_clues(facilities: pd.DataFrame, changes: FacilityChanges) -> list[str]:
    """CLUES keys ``changes.open`` names (``planned_2025`` expands to every planned facility)."""
    planned = facilities.loc[facilities["status"] == "planned", "clues"].tolist()
    known = set(facilities["clues"])
    out: list[str] = []
    for key in changes.open:
        if key == PLANNED_2025:
            out.extend(c for c in planned if c not in out)
            continue
        if key not in known:
            raise OverrideError(msg("scenario.override.not_clues", key=key))
        if key not in planned:
            raise OverrideError(msg("scenario.override.already_open", key=key))
        if key not in out:
            out.append(key)
    return out


def apply_facilities(tables: Tables, changes: FacilityChanges) -> Tables:
    """Open planned facilities (status -> open; hospitals join the program when asked) and close others.

    A closed facility leaves the network: its row and its stock go, and its staff in post return to the
    recruited pool (status recruit, no facility), where the deployment model may place them again.
    """
    fac = tables["facilities"].copy()
    opened = opened_clues(fac, changes)
    is_open = fac["clues"].isin(opened)
    fac.loc[is_open, "status"] = "open"
    if changes.join_program:
        fac.loc[is_open & (fac["kind"] == "hospital"), "program"] = "True"
    open_now = set(fac.loc[fac["status"] == "open", "clues"])
    for key in changes.close:
        if key not in open_now:
            raise OverrideError(msg("scenario.override.not_open", key=key))
    closing = set(changes.close)
    fac = fac[~fac["clues"].isin(closing)].reset_index(drop=True)
    spec = tables["specialists"].copy()
    leaving = spec["facility_clues"].isin(closing)
    spec.loc[leaving, "status"] = "recruit"
    spec.loc[leaving, "facility_clues"] = ""
    stock = tables["stock"]
    stock = stock[~stock["location"].isin(closing)].reset_index(drop=True)
    return Tables({**tables.frames, "facilities": fac, "specialists": spec, "stock": stock})


def apply_depots(tables: Tables, changes: DepotChanges) -> Tables:
    """Depot outage: ``status=closed`` on each listed depot (the distribution model leaves them out)."""
    depots = tables["depots"].copy()
    known = set(depots["depot_id"])
    for key in changes.close:
        if key not in known:
            raise OverrideError(msg("scenario.override.not_depot", key=key, known=", ".join(sorted(known))))
    depots.loc[depots["depot_id"].isin(changes.close), "status"] = "closed"
    return Tables({**tables.frames, "depots": depots})


def largest_remainder(total: int, shares: dict[str, float]) -> dict[str, int]:
    """Split ``total`` people by ``shares`` (normalised) into integers that add up to ``total`` exactly.

    Hamilton's method: floor of each quota, then one more to the largest remainders (ties by key order).
    """
    keys = sorted(shares)
    weights = np.array([shares[k] for k in keys], dtype=float)
    quota = total * weights / weights.sum()
    base = np.floor(quota).astype(int)
    order = sorted(range(len(keys)), key=lambda i: (-(quota[i] - base[i]), keys[i]))
    for i in order[: total - int(base.sum())]:
        base[i] += 1
    return {k: int(n) for k, n in zip(keys, base, strict=True) if n > 0}


def apply_recruits(tables: Tables, pool: RecruitPool, seed: int) -> Tables:
    """Reshape the recruited pool to ``pool.size`` people with the given specialty mix and origins.

    People already in the pool are kept where a slot (specialty, and origin state when given) matches
    them, chosen at random by ``seed``; missing slots are filled with new people drawn like an existing
    recruit of the same specialty (hours, willingness, incentive), with a new staff number and CURP, whose
    home is a municipality of the slot's state drawn by population. Staff in post are never touched.
    """
    spec = tables["specialists"].copy()
    is_rec = spec["status"] == "recruit"
    if pool.changes_pool:  # recruits first, then staff in post, as the generator writes them
        new = _reshape_pool(spec[is_rec], spec, pool, np.random.default_rng([seed, 7]))
        spec = pd.concat([new, spec[~is_rec]], ignore_index=True)
        is_rec = spec["status"] == "recruit"
    if pool.incentive_factor != 1.0:
        asked = pd.to_numeric(spec.loc[is_rec, "incentive_mxn"], errors="coerce").fillna(0.0)
        spec.loc[is_rec, "incentive_mxn"] = (asked * pool.incentive_factor).round(2).map(lambda v: f"{v:.2f}")
    return Tables({**tables.frames, "specialists": spec})


def _reshape_pool(rec: pd.DataFrame, everyone: pd.DataFrame, pool: RecruitPool,
                  rng: np.random.Generator) -> pd.DataFrame:
    size = len(rec) if pool.size is None else pool.size
    current_mix = rec["specialty"].value_counts().to_dict()
    mix = {str(k): v for k, v in pool.specialty_mix.items()} or {k: float(v) for k, v in current_mix.items()}
    by_specialty = largest_remainder(size, mix)
    slots: list[tuple[str, str | None]] = [(s, None) for s, n in by_specialty.items() for _ in range(n)]
    if pool.origin:
        states = [st for st, n in largest_remainder(size, pool.origin).items() for _ in range(n)]
        rng.shuffle(states)
        slots = [(s, st) for (s, _), st in zip(slots, states, strict=True)]
    need: dict[tuple[str, str | None], int] = {}
    for slot in slots:
        need[slot] = need.get(slot, 0) + 1
    kept: list[pd.DataFrame] = []
    new_rows: list[tuple[pd.Series, str | None]] = []
    for (specialty, state), n in sorted(need.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        same = rec[rec["specialty"] == specialty]
        match = same if state is None else same[same["home_state"] == state]
        take = match.iloc[np.sort(rng.choice(len(match), size=min(n, len(match)), replace=False))]
        kept.append(take)
        if n > len(take):
            templates = same if len(same) else everyone[everyone["specialty"] == specialty]
            if templates.empty:
                raise OverrideError(msg("scenario.override.no_template", specialty=specialty))
            picks = rng.choice(len(templates), size=n - len(take), replace=True)
            new_rows.extend((templates.iloc[i], state) for i in picks)
    out = pd.concat(kept) if kept else rec.iloc[:0]
    if new_rows:
        out = pd.concat([out, _new_people(new_rows, everyone, rng)])
    return out


def _new_people(rows: list[tuple[pd.Series, str | None]], everyone: pd.DataFrame,
                rng: np.random.Generator) -> pd.DataFrame:
    """New recruits copied from templates: new id, CURP and (when a state is given) home municipality."""
    frame = pd.DataFrame([r for r, _ in rows]).reset_index(drop=True)
    states = [st for _, st in rows]
    mun = reference.municipalities()
    home_state = frame["home_state"].to_numpy(dtype=object)
    home_cvegeo = frame["home_cvegeo"].to_numpy(dtype=object)
    for st in sorted({s for s in states if s is not None}):
        rows = [i for i, s in enumerate(states) if s == st]
        cand = mun[mun["cve_ent"] == st]
        p = cand["population_2020"].to_numpy(float)
        home_state[rows] = st
        home_cvegeo[rows] = cand["cvegeo"].to_numpy(str)[rng.choice(len(cand), size=len(rows), p=p / p.sum())]
    frame["home_state"] = home_state
    frame["home_cvegeo"] = home_cvegeo
    start = max(int(s[1:]) for s in everyone["specialist_id"]) + 1
    frame["specialist_id"] = [f"S{start + i:06d}" for i in range(len(frame))]
    ages = rng.integers(30 * 365, 55 * 365, len(frame))
    births = pd.Timestamp("2025-03-01") - pd.to_timedelta(ages, unit="D")
    taken = set(everyone["curp"])
    curps = random_curps(rng, births, frame["sex"].to_numpy(str), frame["home_state"].to_numpy(str))
    while len(set(curps) | taken) != len(taken) + len(curps):  # redraw on the (rare) collision
        curps = random_curps(rng, births, frame["sex"].to_numpy(str), frame["home_state"].to_numpy(str))
    frame["curp"] = curps
    frame["status"] = "recruit"
    frame["facility_clues"] = ""
    return frame
