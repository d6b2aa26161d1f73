"""Logistics reads: medicine catalogue, depots, vehicles and stock."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response

from api.auth import Scope, require
from api.errors import AUTH_RESPONSES
from api.query import MAX_LIMIT, MAX_OFFSET, page
from api.schemas import Depot, Medicine, Page, StockItem, Vehicle
from optimizer.data.store import DepotRow, MedicineRow, StockRow, VehicleRow

router = APIRouter(tags=["logistics"], responses=AUTH_RESPONSES, dependencies=[Depends(require(Scope.LOGISTICS))])


@router.get("/medicines", response_model=Page[Medicine], summary="Medicine catalogue")
def list_medicines(request: Request,
                   criticality: str | None = Query(None, description="vital, essential or other"),
                   cold_chain: bool | None = None, limit: int = Query(100, ge=1, le=MAX_LIMIT),
                   offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> Response:
    filters = {"criticality": criticality, "cold_chain": cold_chain}
    return page(request.app.state.engine, MedicineRow, Medicine, filters, limit, offset)


@router.get("/depots", response_model=Page[Depot], summary="Distribution centres")
def list_depots(request: Request, cve_ent: str | None = Query(None, pattern=r"^\d{2}$"),
                limit: int = Query(100, ge=1, le=MAX_LIMIT), offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> Response:
    return page(request.app.state.engine, DepotRow, Depot, {"cve_ent": cve_ent}, limit, offset)


@router.get("/vehicles", response_model=Page[Vehicle], summary="Delivery vehicles")
def list_vehicles(request: Request, depot_id: str | None = None,
                  limit: int = Query(100, ge=1, le=MAX_LIMIT), offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> Response:
    return page(request.app.state.engine, VehicleRow, Vehicle, {"depot_id": depot_id}, limit, offset)


@router.get("/stock", response_model=Page[StockItem], summary="Units on hand by location and SKU")
def list_stock(request: Request, location: str | None = Query(None, description="depot_id or CLUES"),
               sku: str | None = None,
               limit: int = Query(100, ge=1, le=MAX_LIMIT), offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> Response:
    return page(request.app.state.engine, StockRow, StockItem, {"location": location, "sku": sku}, limit, offset)
