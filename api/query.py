"""Paged, filtered reads of one store table: the shared shape of every list endpoint."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import DeclarativeBase, Session

#: Largest page a client may ask for, rows.
MAX_LIMIT = 1000
#: Largest offset a client may ask for, rows (far past any table; keeps the value a 64-bit integer).
MAX_OFFSET = 1_000_000_000


def page(engine: Engine, table: type[DeclarativeBase], filters: dict[str, Any], limit: int,
         offset: int) -> dict[str, Any]:
    """Rows of ``table`` where every non-None filter equals its column, ordered by primary key.

    Returns ``{"total", "limit", "offset", "items"}`` with ORM rows as items.
    """
    conds = [getattr(table, col) == value for col, value in filters.items() if value is not None]
    order = list(table.__table__.primary_key.columns)
    with Session(engine) as session:
        total = session.scalar(select(func.count()).select_from(table).where(*conds)) or 0
        rows = session.scalars(select(table).where(*conds).order_by(*order).limit(limit).offset(offset)).all()
        session.expunge_all()
    return {"total": int(total), "limit": limit, "offset": offset, "items": list(rows)}


def get_one(engine: Engine, table: type[DeclarativeBase], key: Any) -> Any | None:
    """The row of ``table`` with primary key ``key``, or None."""
    with Session(engine) as session:
        row = session.get(table, key)
        if row is not None:
            session.expunge(row)
        return row
