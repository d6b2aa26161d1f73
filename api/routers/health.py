"""Liveness: needs no key, reveals nothing but that the service and its store answer."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import text

from api.auth import Principal, Role, Scope, require
from api.errors import AUTH_RESPONSES

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    store: str
    runs_executing: int
    starts_runs: bool = Field(description="this server starts queued runs (false for the seconds after start-up "
                              "while its worker pool imports the solvers; other servers sharing the store run them)")


@router.get("/health", response_model=Health, summary="Liveness check (no key needed)")
def health(request: Request) -> Health:
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        store = "ok"
    except Exception:
        store = "unreachable"
    return Health(status="ok" if store == "ok" else "degraded", store=store,
                  runs_executing=request.app.state.pool.active(), starts_runs=request.app.state.pool.ready())


class Me(BaseModel):
    prefix: str
    role: Role


@router.get("/me", response_model=Me, responses=AUTH_RESPONSES, summary="The role of the key in use")
def me(who: Principal = Depends(require(Scope.SELF))) -> Me:
    return Me(prefix=who.prefix, role=who.role)
