"""Facilities and states: the public CLUES catalogue and census facts, readable by every role."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response

from api.auth import Scope, require
from api.errors import AUTH_RESPONSES, NOT_FOUND, ApiError
from api.query import MAX_LIMIT, MAX_OFFSET, get_one, page
from api.schemas import Facility, Page, State
from optimizer.data.store import FacilityRow, StateRow

router = APIRouter(tags=["catalogue"], responses=AUTH_RESPONSES, dependencies=[Depends(require(Scope.CATALOG))])


@router.get("/states", response_model=Page[State], summary="States (federal entities) with census facts")
def list_states(request: Request, limit: int = Query(100, ge=1, le=MAX_LIMIT),
                offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> Response:
    return page(request.app.state.engine, StateRow, State, {}, limit, offset)


@router.get("/facilities", response_model=Page[Facility], summary="Health facilities by CLUES key")
def list_facilities(
    request: Request,
    kind: str | None = Query(None, description="hospital, umf, pharmacy or distribution_centre"),
    cve_ent: str | None = Query(None, pattern=r"^\d{2}$", description="state code 01..32"),
    program: bool | None = Query(None, description="only (or no) Médicos del Bienestar hospitals"),
    status: str | None = Query(None, description="open or planned"),
    limit: int = Query(100, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> Response:
    filters = {"kind": kind, "cve_ent": cve_ent, "program": program, "status": status}
    return page(request.app.state.engine, FacilityRow, Facility, filters, limit, offset)


@router.get("/facilities/{clues}", response_model=Facility, responses=NOT_FOUND, summary="One facility")
def get_facility(request: Request, clues: str) -> Response:
    row = get_one(request.app.state.engine, FacilityRow, Facility, clues)
    if row is None:
        raise ApiError(404, f"no facility with CLUES '{clues}'", key="api.catalog.no_facility", clues=clues)
    return row
