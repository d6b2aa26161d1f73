"""Run state in the store (``api_runs``): the one place servers and worker processes meet.

Statuses: ``queued`` -> ``running`` (claimed by one server, :func:`claim_next`) -> ``finished`` | ``failed`` |
``cancelled`` (via ``cancelling``). A running worker renews a lease (``lease_until``) every few seconds
(:func:`heartbeat`); a run whose lease ran out lost its worker and is settled by :func:`reconcile` from its run
folder: ``finished`` with its results if the runner got to the end, else ``interrupted``, which
:func:`resume` queues again. ``stages`` maps each stage of the runner to ``{"status", "done", "total", "seconds"}``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, or_, select, text, update

from api.db import api_runs
from optimizer.data.store import RunRow
from optimizer.i18n import Msg, msg

ACTIVE = ("queued", "running", "cancelling")
#: Claimed by a server, a worker executing (or about to): what the run limit counts and leases cover.
RUNNING = ("running", "cancelling")
FINAL = ("finished", "failed", "cancelled", "interrupted")
RESUMABLE = ("interrupted", "cancelled")
#: A cancelled run's ``error`` (a stored message, shown in the reader's language).
CANCELLED = msg("run.cancelled").dumps()
#: Key of the PostgreSQL advisory lock that serialises claims.
CLAIM_LOCK_KEY = 0x42_49_45_4E


def now() -> datetime:
    return datetime.now(UTC)


def create(engine: Engine, run_id: str, scenario: str, scenario_file: str, stages: list[str]) -> None:
    """Insert a queued run with every stage pending."""
    with engine.begin() as conn:
        conn.execute(insert(api_runs).values(
            run_id=run_id, scenario=scenario, scenario_file=scenario_file, status="queued",
            stages=pending(stages),
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


def count(engine: Engine, statuses: tuple[str, ...]) -> int:
    """Runs in the store (every server's and every worker's, adopted or not) with one of ``statuses``."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(api_runs)
                                .where(api_runs.c.status.in_(statuses))).scalar_one())


def queue_position(engine: Engine, run_id: str) -> int | None:
    """1 + the queued runs created before ``run_id`` (claims take the oldest first); None when it is not queued."""
    row = get(engine, run_id)
    if row is None or row["status"] != "queued":
        return None
    with engine.connect() as conn:
        ahead = conn.execute(select(func.count()).select_from(api_runs).where(
            api_runs.c.status == "queued", api_runs.c.created < row["created"])).scalar_one()
    return int(ahead) + 1


def claim_next(engine: Engine, owner: str, lease_s: float, max_running: int) -> dict[str, Any] | None:
    """Claim the oldest queued run for ``owner`` if fewer than ``max_running`` runs execute; None otherwise.

    Servers sharing a store may call this at once: the count and the claim run under one lock (PostgreSQL:
    a transaction advisory lock plus ``FOR UPDATE SKIP LOCKED``; SQLite: ``BEGIN IMMEDIATE``), and the claim
    is an ``UPDATE ... WHERE status = 'queued'``, so a queued run is claimed by exactly one server.
    """
    with engine.connect() as conn:
        _lock(conn)
        running = conn.execute(select(func.count()).select_from(api_runs)
                               .where(api_runs.c.status.in_(RUNNING))).scalar_one()
        if running >= max_running:
            conn.rollback()
            return None
        pick = select(api_runs.c.run_id).where(api_runs.c.status == "queued").order_by(api_runs.c.created).limit(1)
        if conn.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        run_id = conn.execute(pick).scalar()
        claimed = run_id is not None and conn.execute(
            update(api_runs).where(api_runs.c.run_id == run_id, api_runs.c.status == "queued").values(
                status="running", started=now(), owner=owner, pid=None,
                lease_until=now() + timedelta(seconds=lease_s), attempts=api_runs.c.attempts + 1)).rowcount == 1
        conn.commit()
    return get(engine, run_id) if claimed else None


def _lock(conn: Connection) -> None:
    """Serialise claims on this store until the transaction ends."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CLAIM_LOCK_KEY})
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def heartbeat(engine: Engine, run_id: str, lease_s: float) -> str | None:
    """Extend the run's lease while it is active; returns its status now (None: no such run)."""
    with engine.begin() as conn:
        conn.execute(update(api_runs).where(api_runs.c.run_id == run_id, api_runs.c.status.in_(RUNNING))
                     .values(lease_until=now() + timedelta(seconds=lease_s)))
        return conn.execute(select(api_runs.c.status).where(api_runs.c.run_id == run_id)).scalar()


def reconcile(engine: Engine) -> list[str]:
    """Settle every executing run whose lease ran out (its worker is gone); returns their new statuses.

    Run at server start and every few seconds after: runs whose worker still heartbeats are left alone
    (adopted: counted in the limit, cancellable, settled here if their worker dies later).
    """
    expired = or_(api_runs.c.lease_until.is_(None), api_runs.c.lease_until < now())
    with engine.connect() as conn:
        rows = conn.execute(select(api_runs).where(api_runs.c.status.in_(RUNNING), expired)).mappings().all()
    return [settle(engine, dict(r), msg("run.worker_stopped"), expired) for r in rows]


def settle(engine: Engine, row: dict[str, Any], why: Msg, guard: Any = None) -> str:
    """End an executing run whose worker is gone, from what its run folder holds.

    The runner's ``run.json`` with a verdict means the work finished: the run becomes ``finished`` (or
    ``failed`` when a validator objected) with the folder's KPIs. Otherwise a cancelled run becomes
    ``cancelled`` and any other ``interrupted`` (resumable: its completed stages are cached), its folder
    and store row marked so. ``guard``: an extra condition on the update (the lease still expired).
    """
    run_dir = Path(row["run_dir"]) if row["run_dir"] else None
    done = _verdict(run_dir)
    if done is not None:
        values: dict[str, Any] = {"status": "failed" if done["status"] == "error" else "finished",
                                  "kpis": _read_json(run_dir / "kpis.json") or {}, "outcome": done["status"],
                                  "error": _folder_message(done)}
    elif row["status"] == "cancelling":
        values = {"status": "cancelled", "error": CANCELLED}
    else:
        values = {"status": "interrupted", "error": msg("run.interrupted", why=why, run=row["run_id"]).dumps()}
    stmt = update(api_runs).where(api_runs.c.run_id == row["run_id"], api_runs.c.status == row["status"])
    if guard is not None:
        stmt = stmt.where(guard)
    with engine.begin() as conn:
        if conn.execute(stmt.values(finished=now(), lease_until=None, **values)).rowcount == 0:
            return row["status"]  # it moved on meanwhile (a heartbeat, or another server settled it)
    if done is None:
        end_stages(engine, row["run_id"])
        _close_folder(engine, row, values["status"], values["error"])
    return values["status"]


def _folder_message(doc: dict[str, Any]) -> str | None:
    """The runner's message in ``run.json`` as a stored message (its catalogue form when it has one)."""
    if doc.get("message_i18n"):
        return Msg.from_json(doc["message_i18n"]).dumps()
    return doc.get("message")


def _verdict(run_dir: Path | None) -> dict[str, Any] | None:
    """The runner's ``run.json`` when it holds a finished run's verdict (ok, degraded or error), else None."""
    if run_dir is None:
        return None
    doc = _read_json(run_dir / "run.json")
    return doc if doc and doc.get("status") in ("ok", "degraded", "error") and "plans_digest" in doc else None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _close_folder(engine: Engine, row: dict[str, Any], status: str, message: str) -> None:
    """Mark a run that will not finish in its folder (``run.json``) and the store's ``runs`` row too."""
    if row["run_dir"] and Path(row["run_dir"]).is_dir():
        stored = Msg.loads(message)
        doc = {"run_id": row["store_run_id"], "scenario": row["scenario"], "status": status,
               "message": str(stored or message), "message_i18n": stored.to_json() if stored else None}
        (Path(row["run_dir"]) / "run.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    if row["store_run_id"]:
        with engine.begin() as conn:
            conn.execute(update(RunRow.__table__).where(RunRow.__table__.c.id == row["store_run_id"],
                                                        RunRow.__table__.c.status == "running")
                         .values(status=status, finished=now(), message=message))


def resume(engine: Engine, run_id: str, stages: list[str]) -> bool:
    """Queue an interrupted or cancelled run again (same id); False when it is in another state.

    The new attempt writes a new run folder; stages whose inputs and settings are unchanged reuse the
    cached plans of the attempt before (the runner's stage cache), so it continues from its last
    completed stage.
    """
    with engine.begin() as conn:
        return conn.execute(update(api_runs).where(api_runs.c.run_id == run_id,
                                                   api_runs.c.status.in_(RESUMABLE)).values(
            status="queued", stages=pending(stages), started=None, finished=None, pid=None, owner=None,
            lease_until=None, error=None, kpis=None, run_dir=None, store_run_id=None, outcome=None)).rowcount > 0


def pending(stages: list[str]) -> dict[str, dict[str, Any]]:
    """Every stage pending, nothing done."""
    return {s: {"status": "pending", "done": 0, "total": 0, "seconds": None} for s in stages}
