"""Paged, filtered reads of one store table: the shared shape of every list endpoint, built for speed.

Reads are the API's hot path, so they skip the ORM: a Core ``SELECT`` of exactly the response model's
columns (nothing else leaves the store), rows validated once by a cached pydantic adapter and written straight
to JSON bytes. The endpoints keep ``response_model`` for the OpenAPI contract; they return the bytes, so
FastAPI does not validate and serialise a second time.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import Response
from pydantic import BaseModel, TypeAdapter
from sqlalchemy import Column, Engine, Select, bindparam, func, select
from sqlalchemy.orm import DeclarativeBase

#: Largest page a client may ask for, rows.
MAX_LIMIT = 1000
#: Largest offset a client may ask for, rows (far past any table; keeps the value a 64-bit integer).
MAX_OFFSET = 1_000_000_000


@cache
def _columns(table: type[DeclarativeBase], model: type[BaseModel]) -> tuple[Column, ...]:
    """The table's columns named like the model's fields, in field order."""
    return tuple(table.__table__.c[name] for name in model.model_fields)


@cache
def _adapter(model: type[BaseModel]) -> TypeAdapter:
    return TypeAdapter(list[model])


@cache
def _page_statements(table: type[DeclarativeBase], model: type[BaseModel],
                     filtered: tuple[str, ...]) -> tuple[Select, Select]:
    """(count, rows) statements of a page filtered on the columns ``filtered``, with bound parameters: built
    once per endpoint and filter combination, not per request."""
    t = table.__table__
    conds = [t.c[col] == bindparam(col) for col in filtered]
    count = select(func.count()).select_from(t).where(*conds)
    rows = (select(*_columns(table, model)).where(*conds).order_by(*t.primary_key.columns)
            .limit(bindparam("_limit")).offset(bindparam("_offset")))
    return count, rows


def page(engine: Engine, table: type[DeclarativeBase], model: type[BaseModel], filters: dict[str, Any], limit: int,
         offset: int) -> Response:
    """JSON ``{"total", "limit", "offset", "items"}``: rows of ``table`` as ``model`` where every non-None
    filter equals its column, ordered by primary key."""
    given = {col: value for col, value in filters.items() if value is not None}
    count, select_rows = _page_statements(table, model, tuple(given))
    with engine.connect() as conn:
        total = conn.execute(count, given).scalar_one()
        rows = conn.execute(select_rows, {**given, "_limit": limit, "_offset": offset}).all()
    names = tuple(model.model_fields)
    adapter = _adapter(model)
    items = adapter.dump_json(adapter.validate_python([dict(zip(names, r, strict=True)) for r in rows]))
    head = f'{{"total":{int(total)},"limit":{limit},"offset":{offset},"items":'.encode()
    return Response(head + items + b"}", media_type="application/json")


@cache
def _one_statement(table: type[DeclarativeBase], model: type[BaseModel]) -> Select:
    (pk,) = table.__table__.primary_key.columns
    return select(*_columns(table, model)).where(pk == bindparam("_key"))


def get_one(engine: Engine, table: type[DeclarativeBase], model: type[BaseModel], key: Any) -> Response | None:
    """JSON of the row of ``table`` with primary key ``key`` as ``model``, or None."""
    with engine.connect() as conn:
        row = conn.execute(_one_statement(table, model), {"_key": key}).first()
    if row is None:
        return None
    body = model.model_validate(dict(zip(model.model_fields, row, strict=True))).model_dump_json()
    return Response(body, media_type="application/json")
