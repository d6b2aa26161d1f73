"""Demand aggregates (planners): weekly surgical and medicine demand, small counts suppressed.

The rows come from the store, where they were aggregated from pseudonymised records with every row of
fewer than 5 distinct patients suppressed (numbers null, ``suppressed`` true). No endpoint returns a
patient-level record.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response

from api.auth import Scope, require
from api.errors import AUTH_RESPONSES
from api.query import MAX_LIMIT, MAX_OFFSET, page
from api.schemas import MedicineDemand, Page, SurgicalDemand
from optimizer.data.store import MedicineDemandRow, SurgicalDemandRow

router = APIRouter(prefix="/demand", tags=["demand"], responses=AUTH_RESPONSES,
                   dependencies=[Depends(require(Scope.AGGREGATES))])


@router.get("/surgical", response_model=Page[SurgicalDemand], summary="Procedures and OR hours per week")
def surgical(request: Request, clues: str | None = None, specialty: str | None = None,
             limit: int = Query(100, ge=1, le=MAX_LIMIT), offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> Response:
    filters = {"clues": clues, "specialty": specialty}
    return page(request.app.state.engine, SurgicalDemandRow, SurgicalDemand, filters, limit, offset)


@router.get("/medicines", response_model=Page[MedicineDemand], summary="Medicine units per week")
def medicines(request: Request, clues: str | None = None, sku: str | None = None,
              limit: int = Query(100, ge=1, le=MAX_LIMIT), offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> Response:
    filters = {"clues": clues, "sku": sku}
    return page(request.app.state.engine, MedicineDemandRow, MedicineDemand, filters, limit, offset)
