"""Access map of a finished run: every municipality's road minutes to the nearest 24/7 surgical hospital.

Planners' page colours each municipality by travel-time band and lists the people in each band. The rows come
from the run's ``plans/access/municipalities.csv`` (written by the access stage: each municipality's minutes
are the population-weighted median over its population points, localities of 1,000+ and the remainder at the
municipal point); the people per band are counted on the run's ``plans/access/points.csv`` where people live,
so they agree with the run's access KPIs (older runs without it: on the municipal rows). Both tables are
aggregates of public census facts: no person appears in them. State outlines
for the map are served by ``GET /reference/states.geojson``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from api import plans, runindex
from api.auth import Principal, Scope, require
from api.errors import AUTH_RESPONSES, BAD_REQUEST, CONFLICT, NOT_FOUND, ApiError
from optimizer.access.kpis import band_labels
from optimizer.data.reference import states as reference_states

router = APIRouter(tags=["runs"], responses=AUTH_RESPONSES)

#: Thresholds (minutes) when neither the request nor the run's access KPIs give any.
DEFAULT_MINUTES: tuple[float, ...] = (60.0, 120.0)
#: At most this many thresholds (so at most this many + 2 colours on the map).
MAX_THRESHOLDS = 5
#: One band edge: positive, finite road minutes (at most a week).
Minutes = Annotated[float, Field(gt=0, le=10_080, allow_inf_nan=False)]
#: Columns the access stage writes to ``municipalities.csv`` and this endpoint needs.
COLUMNS = ("cvegeo", "name", "cve_ent", "lat", "lon", "population", "degree", "minutes_to_24_7", "nearest_24_7")
_WITHIN = re.compile(r"^within_(\d+(?:\.\d+)?)$")


class Band(BaseModel):
    """One travel-time band: municipalities whose minutes lie in (``above``, ``up_to``]."""

    band: int = Field(description="0 = fastest; the last band holds municipalities with no 24/7 hospital")
    label: str
    above: float | None = Field(description="exclusive lower bound, minutes (null: none)")
    up_to: float | None = Field(description="inclusive upper bound, minutes (null: none)")
    municipalities: int = Field(description="municipalities whose median minutes fall in the band")
    population: int = Field(description="census 2020 persons living in the band (counted at population points)")
    share: float = Field(description="population / total_population")


class MapMunicipality(BaseModel):
    cvegeo: str
    name: str
    cve_ent: str
    state: str
    lat: float
    lon: float
    population: int = Field(description="census 2020 persons")
    degree: str = Field(description="CONAPO 2020 marginalisation degree")
    minutes: float | None = Field(description="road minutes to the nearest 24/7 hospital, population-weighted "
                                  "median over the municipality's points (null: none in reach)")
    nearest_24_7: str | None = Field(description="CLUES of that hospital")
    band: int


class AccessMap(BaseModel):
    run_id: str
    scenario: str
    thresholds: list[float] = Field(description="band edges, minutes")
    total_population: int = Field(description="census 2020 persons in the run's access scope")
    population_points: int | None = Field(description="population points the people were counted at (null: an "
                                          "older run counted them at the municipal rows)")
    bands: list[Band]
    municipalities: list[MapMunicipality]


def _results_dir(request: Request, run_id: str) -> tuple[dict[str, Any], Path]:
    """The run's row and folder; 404 for an unknown run, 409 for one without results yet."""
    row = runindex.resolve(request.app.state.engine, request.app.state.config.runs_dir, run_id)
    if row is None:
        raise ApiError(404, f"no run '{run_id}'", key="api.run.not_found", run=run_id)
    if row["status"] not in ("finished", "failed") or not row["run_dir"] or not row["outcome"]:
        raise ApiError(409, f"run '{run_id}' is {row['status']} and has no results", key="api.run.no_results",
                       run=run_id, state=row["status"])
    return row, Path(row["run_dir"])


def _thresholds(requested: list[float] | None, kpis: dict[str, Any] | None) -> list[float]:
    """Band edges: the request's, else the run's own access thresholds (``within_<t>`` KPIs), else 60, 120."""
    if requested:
        t = sorted(set(requested))
        if len(t) > MAX_THRESHOLDS or not all(math.isfinite(x) and x > 0 for x in t):
            raise ApiError(400, f"minutes must be 1 to {MAX_THRESHOLDS} positive finite thresholds, "
                                f"e.g. ?minutes=60&minutes=120")
        return t
    access = (kpis or {}).get("access") or {}
    found = sorted(float(m.group(1)) for k in access if (m := _WITHIN.match(str(k))))
    return found or list(DEFAULT_MINUTES)


def _read(run_id: str, path: Path) -> pd.DataFrame:
    """The run's municipality table; a table from an older version (columns missing) is a 409."""
    df = pd.read_csv(path, dtype={"cvegeo": str, "cve_ent": str, "nearest_24_7": str, "name": str,
                                  "degree": str}, keep_default_na=False, na_values={"nearest_24_7": [""]})
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ApiError(409, f"run '{run_id}': plans/access/municipalities.csv lacks column(s) "
                            f"{', '.join(missing)}; rerun the scenario to rebuild it")
    df["minutes_to_24_7"] = pd.to_numeric(df["minutes_to_24_7"], errors="coerce")
    return df


def _people_minutes(run_dir: Path, municipal: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int | None]:
    """Minutes and people of every population point of the run (``points.csv``), or of the municipal rows for a
    run without it; and the number of points (None in that case)."""
    path = plans.table_path(run_dir, "access", "points")
    df = municipal
    if path is not None:
        df = pd.read_csv(path, usecols=["minutes_to_24_7", "population"])
    mins = pd.to_numeric(df["minutes_to_24_7"], errors="coerce").to_numpy(dtype=float)
    return np.where(np.isnan(mins), np.inf, mins), df["population"].to_numpy(dtype=np.int64), (
        len(df) if path is not None else None)


def band_of(minutes: np.ndarray, thresholds: list[float]) -> np.ndarray:
    """Band of each municipality: i for t[i-1] < minutes <= t[i], len(t) above the last, len(t)+1 when
    no 24/7 hospital is reachable (``inf`` or missing minutes)."""
    band = np.searchsorted(np.asarray(thresholds, dtype=float), minutes, side="left")
    return np.where(np.isfinite(minutes), band, len(thresholds) + 1)


@router.get("/runs/{run_id}/access/map", response_model=AccessMap,
            responses={**NOT_FOUND, **CONFLICT, **BAD_REQUEST},
            summary="Municipalities of a finished run coloured by minutes to the nearest 24/7 surgical hospital")
def access_map(request: Request, run_id: str,
               minutes: list[Minutes] | None = Query(None, max_length=MAX_THRESHOLDS,
                                                     description="band edges in minutes (repeat the parameter); "
                                                     "default: the run's access thresholds"),
               _: Principal = Depends(require(Scope.PLANS_PLANNING))) -> dict[str, Any]:
    row, run_dir = _results_dir(request, run_id)
    path = plans.table_path(run_dir, "access", "municipalities")
    if path is None:
        raise ApiError(404, f"run '{run_id}' has no municipality access table: its scenario has no access "
                            f"stage, or the run predates the table")
    thresholds = _thresholds(minutes, row["kpis"])
    df = _read(run_id, path)
    mins = df["minutes_to_24_7"].to_numpy(dtype=float)
    mins = np.where(np.isnan(mins), np.inf, mins)
    band = band_of(mins, thresholds)
    pop = df["population"].to_numpy(dtype=np.int64)
    point_mins, point_pop, n_points = _people_minutes(run_dir, df)
    point_band = band_of(point_mins, thresholds)
    total = int(point_pop.sum())
    labels = band_labels(thresholds)
    edges: list[float | None] = [None, *thresholds, None]
    bands = []
    for b, label in enumerate(labels):
        people = int(point_pop[point_band == b].sum())
        bands.append({"band": b, "label": label, "above": edges[b] if b <= len(thresholds) else None,
                      "up_to": edges[b + 1] if b < len(thresholds) else None,
                      "municipalities": int((band == b).sum()), "population": people,
                      "share": people / total if total else 0.0})
    names = reference_states().set_index("cve_ent")["name"]
    finite = np.isfinite(mins)
    munis = [{"cvegeo": c, "name": n, "cve_ent": e, "state": str(names.get(e, e)), "lat": round(float(la), 5),
              "lon": round(float(lo), 5), "population": int(p), "degree": d,
              "minutes": float(m) if f else None, "nearest_24_7": h if isinstance(h, str) and h else None,
              "band": int(b)}
             for c, n, e, la, lo, p, d, m, f, h, b in zip(
                 df["cvegeo"], df["name"], df["cve_ent"], df["lat"], df["lon"], pop, df["degree"], mins, finite,
                 df["nearest_24_7"], band, strict=True)]
    return {"run_id": run_id, "scenario": row["scenario"], "thresholds": thresholds, "total_population": total,
            "population_points": n_points, "bands": bands, "municipalities": munis}
