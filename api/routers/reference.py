"""Public reference data for the web page's map: state outlines and municipality centroids (census 2020)."""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse
from pydantic import BaseModel

from api.auth import Scope, require
from api.errors import AUTH_RESPONSES
from optimizer.paths import REFERENCE_DIR

router = APIRouter(prefix="/reference", tags=["reference"], responses=AUTH_RESPONSES,
                   dependencies=[Depends(require(Scope.CATALOG))])


class Municipality(BaseModel):
    cvegeo: str
    cve_ent: str
    name: str
    population_2020: int
    lat: float
    lon: float
    marginalisation_degree_2020: str


@lru_cache(maxsize=1)
def _municipalities() -> list[dict]:
    cols = list(Municipality.model_fields)
    df = pd.read_csv(REFERENCE_DIR / "municipalities.csv", dtype={"cvegeo": str, "cve_ent": str}, usecols=cols)
    df["marginalisation_degree_2020"] = df["marginalisation_degree_2020"].fillna("")
    return df[cols].to_dict("records")


@router.get("/municipalities", response_model=list[Municipality], summary="Municipality centroids and census facts")
def municipalities() -> list[dict]:
    return _municipalities()


@router.get("/states.geojson", response_class=FileResponse, summary="State outlines (GeoJSON)",
            responses={200: {"content": {"application/geo+json": {}}}})
def states_geojson() -> FileResponse:
    return FileResponse(REFERENCE_DIR / "states.geojson", media_type="application/geo+json")
