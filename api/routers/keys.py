"""API key administration (admin): create, list and revoke keys."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Role, Scope, create_key, list_keys, require, revoke_key
from api.errors import AUTH_RESPONSES, BAD_REQUEST, NOT_FOUND, ApiError
from api.schemas import UtcDateTime

router = APIRouter(prefix="/keys", tags=["keys"], responses=AUTH_RESPONSES,
                   dependencies=[Depends(require(Scope.KEYS))])


class KeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    label: str = Field("", max_length=200)


class NewKey(BaseModel):
    """The full key, shown once; only its hash is stored."""

    key: str
    role: Role


class KeyInfo(BaseModel):
    prefix: str
    role: Role
    label: str
    created: UtcDateTime
    revoked: bool


@router.post("", response_model=NewKey, status_code=201, responses=BAD_REQUEST, summary="Create a key (shown once)")
def create(request: Request, body: KeyRequest) -> NewKey:
    return NewKey(key=create_key(request.app.state.engine, body.role, body.label), role=body.role)


@router.get("", response_model=list[KeyInfo], summary="List keys (never their secrets)")
def list_all(request: Request) -> list[dict]:
    return list_keys(request.app.state.engine)


@router.delete("/{prefix}", status_code=204, responses=NOT_FOUND, summary="Revoke a key")
def revoke(request: Request, prefix: str) -> None:
    if not revoke_key(request.app.state.engine, prefix):
        raise ApiError(404, f"no key with prefix '{prefix}'", key="api.keys.not_found", prefix=prefix)
