"""API keys with roles: creation (printed once), hashed storage, and the per-endpoint role check.

A key looks like ``bk_<prefix>_<secret>``: ``prefix`` (8 hex characters) locates the row, and only the
SHA-256 of the 32-byte random ``secret`` is stored, compared in constant time. A stolen database therefore
holds no usable key. Clients send ``Authorization: Bearer <key>``.

Roles and what they reach (``admin`` reaches everything):

- ``planner``: scenarios, runs (start, cancel, KPIs, compare), aggregate plans and demand aggregates;
- ``hr``: staff (pseudonymised), deployment assignments and rosters;
- ``logistics``: medicines, depots, vehicles, stock, allocation and routes;
- ``admin``: keys and ingestion, and all of the above.

The facility catalogue (CLUES, public) and the list and status of runs are readable by every role so
each team can find the run whose plans it needs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine, insert, select, update
from starlette.concurrency import run_in_threadpool

from api.db import api_keys
from api.errors import ApiError


class Role(StrEnum):
    PLANNER = "planner"
    HR = "hr"
    LOGISTICS = "logistics"
    ADMIN = "admin"


class Scope(StrEnum):
    """What an endpoint touches; :data:`SCOPE_ROLES` says which roles may touch it."""

    SELF = "self"
    CATALOG = "catalog"
    STAFF = "staff"
    LOGISTICS = "logistics"
    AGGREGATES = "aggregates"
    SCENARIOS = "scenarios"
    RUNS_READ = "runs_read"
    RUNS_WRITE = "runs_write"
    PLANS_PLANNING = "plans_planning"
    PLANS_PEOPLE = "plans_people"
    PLANS_ROUTES = "plans_routes"
    KEYS = "keys"
    INGEST = "ingest"


#: The role matrix. ``admin`` is added to every scope.
SCOPE_ROLES: dict[Scope, frozenset[Role]] = {
    scope: frozenset(roles) | {Role.ADMIN}
    for scope, roles in {
        Scope.SELF: {Role.PLANNER, Role.HR, Role.LOGISTICS},
        Scope.CATALOG: {Role.PLANNER, Role.HR, Role.LOGISTICS},
        Scope.STAFF: {Role.HR},
        Scope.LOGISTICS: {Role.LOGISTICS},
        Scope.AGGREGATES: {Role.PLANNER},
        Scope.SCENARIOS: {Role.PLANNER},
        Scope.RUNS_READ: {Role.PLANNER, Role.HR, Role.LOGISTICS},
        Scope.RUNS_WRITE: {Role.PLANNER},
        Scope.PLANS_PLANNING: {Role.PLANNER},
        Scope.PLANS_PEOPLE: {Role.HR},
        Scope.PLANS_ROUTES: {Role.LOGISTICS, Role.PLANNER},
        Scope.KEYS: set(),
        Scope.INGEST: set(),
    }.items()
}

KEY_PREFIX = "bk"


@dataclass(frozen=True)
class Principal:
    """The caller, as established from a valid key."""

    prefix: str
    role: Role


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_key(engine: Engine, role: Role | str, label: str = "") -> str:
    """Store a new key for ``role`` and return it in full; it cannot be shown again."""
    role = Role(role)
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(insert(api_keys).values(
            prefix=prefix, secret_sha256=_sha256(secret), role=role.value, label=label,
            created=datetime.now(UTC), revoked=False))
    return f"{KEY_PREFIX}_{prefix}_{secret}"


def revoke_key(engine: Engine, prefix: str) -> bool:
    """Revoke the key with ``prefix``; False when no such key exists. This process forgets every verified key
    at once; other processes within :data:`KEY_CACHE_S`."""
    with engine.begin() as conn:
        result = conn.execute(update(api_keys).where(api_keys.c.prefix == prefix).values(revoked=True))
    _verified.clear()
    return result.rowcount > 0


def list_keys(engine: Engine) -> list[dict[str, object]]:
    """Prefix, role, label, created and revoked flag of every key (never the secret or its hash)."""
    with engine.connect() as conn:
        rows = conn.execute(select(api_keys.c.prefix, api_keys.c.role, api_keys.c.label, api_keys.c.created,
                                   api_keys.c.revoked).order_by(api_keys.c.created)).mappings().all()
    return [dict(r) for r in rows]


def verify_key(engine: Engine, key: str) -> Principal | None:
    """The principal of ``key`` if it is well formed, known, not revoked and its secret matches."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != 8:
        return None
    prefix, secret = parts[1], parts[2]
    with engine.connect() as conn:
        row = conn.execute(select(api_keys).where(api_keys.c.prefix == prefix)).mappings().first()
    if row is None or row["revoked"]:
        return None
    if not hmac.compare_digest(row["secret_sha256"], _sha256(secret)):
        return None
    return Principal(prefix=prefix, role=Role(row["role"]))


_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer bk_...`")


#: Seconds a verified key is trusted without reading the store again (revoking takes effect within this).
KEY_CACHE_S = 2.0
_verified: dict[str, tuple[float, Principal]] = {}


def _cached_principal(engine: Engine, key: str) -> Principal | None:
    """:func:`verify_key` through a short cache keyed by the key's SHA-256: every read checks the key, but at
    most one store lookup per key and :data:`KEY_CACHE_S` (the lookup was a large share of a read's time)."""
    digest = _sha256(key)
    hit = _verified.get(digest)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    principal = verify_key(engine, key)
    if principal is None:
        _verified.pop(digest, None)
    else:
        if len(_verified) > 10_000:  # never grows without bound
            _verified.clear()
        _verified[digest] = (time.monotonic() + KEY_CACHE_S, principal)
    return principal


def require(scope: Scope) -> Callable[..., Awaitable[Principal]]:
    """FastAPI dependency: 401 without a valid key, 403 when the key's role may not touch ``scope``.

    Async, so a request does not hop to the thread pool for it; the store is read (in the thread pool) only
    when the key is not in the short cache.
    """
    allowed = SCOPE_ROLES[scope]

    async def dependency(request: Request,
                         credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise ApiError(401, "missing API key: send 'Authorization: Bearer <key>'",
                           headers={"WWW-Authenticate": "Bearer"}, key="api.auth.missing")
        engine = request.app.state.engine
        key = credentials.credentials
        hit = _verified.get(_sha256(key))
        if hit is not None and hit[0] > time.monotonic():
            principal: Principal | None = hit[1]
        else:
            principal = await run_in_threadpool(_cached_principal, engine, key)
        if principal is None:
            raise ApiError(401, "invalid or revoked API key", headers={"WWW-Authenticate": "Bearer"},
                           key="api.auth.invalid")
        if principal.role not in allowed:
            roles = ", ".join(sorted(r.value for r in allowed))
            raise ApiError(403, f"role '{principal.role}' may not access {scope.value}; allowed: {roles}",
                           key="api.auth.forbidden", role=principal.role, scope=scope.value, roles=roles)
        return principal

    dependency.__name__ = f"require_{scope.value}"
    return dependency
