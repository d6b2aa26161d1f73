"""Run state in the store (``api_runs``): the one place the server and its worker processes meet.

Statuses: ``queued`` -> ``running`` -> ``finished`` | ``failed`` | ``cancelled``; a run the server lost
(it stopped or was killed while the run was queued or running) becomes ``interrupted`` at the next start.
``stages`` maps each stage of the runner to ``{"status", "done", "total", "seconds"}``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from api.db import api_runs

ACTIVE = ("queued", "running", "cancelling")
FINAL = ("finished", "failed", "cancelled", "interrupted")


def now() -> datetime:
    return datetime.now(UTC)


def create(engine: Engine, run_id: str, scenario: str, scenario_file: str, stages: list[str]) -> None:
    """Insert a queued run with every stage pending."""
    with engine.begin() as conn:
        conn.execute(insert(api_runs).values(
            run_id=run_id, scenario=scenario, scenario_file=scenario_file, status="queued",
            stages={s: {"status": "pending", "done": 0, "total": 0, "seconds": None} for s in stages},
            created=now()))


def get(engine: Engine, run_id: str) -> dict[str, Any] | None:
    """The run's row as a dict, or None."""
    with engine.connect() as conn:
        row = conn.execute(select(api_runs).where(api_runs.c.run_id == run_id)).mappings().first()
    return dict(row) if row else None


def list_runs(engine: Engine, limit: int, offset: int, status: str | None = None) -> tuple[int, list[dict]]:
    """Newest runs first: (total matching, rows of this page)."""
    where = [api_runs.c.status == status] if status is not None else []
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(api_runs).where(*where)).scalar_one()
        rows = conn.execute(select(api_runs).where(*where).order_by(api_runs.c.created.desc())
                            .limit(limit).offset(offset)).mappings().all()
    return int(total), [dict(r) for r in rows]


def set_fields(engine: Engine, run_id: str, only_if: tuple[str, ...] | None = None, **values: Any) -> bool:
    """Update the run's columns (only while its status is in ``only_if`` when given); True if a row changed."""
    stmt = update(api_runs).where(api_runs.c.run_id == run_id)
    if only_if is not None:
        stmt = stmt.where(api_runs.c.status.in_(only_if))
    with engine.begin() as conn:
        return conn.execute(stmt.values(**values)).rowcount > 0


def set_stage(engine: Engine, run_id: str, stage: str, **fields: Any) -> None:
    """Merge ``fields`` into one stage's progress entry."""
    with engine.begin() as conn:
        row = conn.execute(select(api_runs.c.stages).where(api_runs.c.run_id == run_id)).first()
        if row is None:
            return
        stages = dict(row[0] or {})
        stages[stage] = {**stages.get(stage, {"status": "pending", "done": 0, "total": 0, "seconds": None}),
                         **fields}
        conn.execute(update(api_runs).where(api_runs.c.run_id == run_id).values(stages=stages))


def end_stages(engine: Engine, run_id: str) -> None:
    """A run that ended early: its running stage becomes ``error`` and the stages it never reached ``not run``."""
    with engine.begin() as conn:
        row = conn.execute(select(api_runs.c.stages).where(api_runs.c.run_id == run_id)).first()
        if row is None:
            return
        ended = {"running": "error", "pending": "not run"}
        stages = {name: {**st, "status": ended.get(st.get("status"), st.get("status"))}
                  for name, st in (row[0] or {}).items()}
        conn.execute(update(api_runs).where(api_runs.c.run_id == run_id).values(stages=stages))


def mark_interrupted(engine: Engine) -> int:
    """At server start: every run still active belonged to a server that is gone; returns how many."""
    with engine.begin() as conn:
        return conn.execute(update(api_runs).where(api_runs.c.status.in_(ACTIVE)).values(
            status="interrupted", finished=now(),
            error="the server stopped while this run was in progress; start it again")).rowcount
