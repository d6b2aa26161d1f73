"""Staff (HR): recruits and people in post, pseudonymised (``hid``, never the CURP)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response

from api.auth import Scope, require
from api.errors import AUTH_RESPONSES, NOT_FOUND, ApiError
from api.query import MAX_LIMIT, MAX_OFFSET, get_one, page
from api.schemas import Page, Staff
from optimizer.data.store import SpecialistRow

router = APIRouter(tags=["staff"], responses=AUTH_RESPONSES, dependencies=[Depends(require(Scope.STAFF))])


@router.get("/staff", response_model=Page[Staff], summary="Specialists (pseudonymised)")
def list_staff(
    request: Request,
    specialty: str | None = Query(None, description="e.g. general_surgery, anaesthesiology"),
    status: str | None = Query(None, description="recruit or in_post"),
    home_state: str | None = Query(None, pattern=r"^\d{2}$"),
    facility_clues: str | None = Query(None, description="where an in-post person works"),
    limit: int = Query(100, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> Response:
    filters = {"specialty": specialty, "status": status, "home_state": home_state, "facility_clues": facility_clues}
    return page(request.app.state.engine, SpecialistRow, Staff, filters, limit, offset)


@router.get("/staff/{specialist_id}", response_model=Staff, responses=NOT_FOUND, summary="One specialist")
def get_staff(request: Request, specialist_id: str) -> Response:
    row = get_one(request.app.state.engine, SpecialistRow, Staff, specialist_id)
    if row is None:
        raise ApiError(404, f"no specialist '{specialist_id}'", key="api.staff.not_found", specialist=specialist_id)
    return row
