"""One list of runs, whoever started them: the API's own (``api_runs``) and those the CLI recorded in the
store's ``runs`` table (``bienestar run``, ``demo``, ``sweep``, ``rerun``).

Every run has one id, the one the CLI accepts (``bienestar report <id>`` takes it, or any unique prefix of 8+
characters): the store's run id. An API run gets it when it is queued, and its worker runs the scenario under
that same id (the store row and the run folder keep it), so the id a planner reads while the run waits is the
one it keeps. A CLI run appears as a row of the
same shape as an API run (status ``finished`` / ``failed`` / ``running``), read from the store and its run
folder; nothing is copied.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from api import runstate
from api.db import api_runs
from optimizer.data.store import RunRow

#: Store run status -> API run status.
_STATUS = {"ok": "finished", "degraded": "finished", "error": "failed", "running": "running"}
#: Shortest prefix of a store id accepted as a reference (the page and the CLI show 8 characters).
MIN_PREFIX = 8


def _utc(moment: datetime | None) -> datetime:
    """Stored times are UTC; SQLite returns them without an offset."""
    if moment is None:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _folder(runs_dir: Path, store_id: str) -> Path | None:
    """The run folder of a store run (folders end with the id's first 8 characters)."""
    if not runs_dir.is_dir():
        return None
    for folder in runs_dir.glob(f"*-{store_id[:8]}"):
        info = folder / "run.json"
        if info.exists() and json.loads(info.read_text()).get("run_id") == store_id:
            return folder
    return None


def _cli_row(run: RunRow, runs_dir: Path, with_kpis: bool = False) -> dict[str, Any]:
    """A store run (started outside the API) shaped like an ``api_runs`` row."""
    folder = _folder(runs_dir, run.id)
    kpis: dict[str, Any] | None = None
    if folder is not None and (folder / "kpis.json").exists():
        kpis = json.loads((folder / "kpis.json").read_text()) if with_kpis else {"_": True}
    stages = {name: {"status": "done", "done": 0, "total": 0, "seconds": seconds}
              for name, seconds in (run.timings or {}).items() if name != "total"}
    return {"run_id": run.id, "scenario": run.scenario, "status": _STATUS.get(run.status, run.status),
            "stages": stages, "created": run.started, "started": run.started, "finished": run.finished,
            "error": run.message, "outcome": run.status if run.status != "running" else None, "kpis": kpis,
            "run_dir": str(folder) if folder else None, "store_run_id": run.id, "source": "cli"}


def _linked(conn: Any) -> set[str]:
    """Store ids that belong to API runs (their own id, or the store id recorded when they ended)."""
    rows = conn.execute(select(api_runs.c.run_id, api_runs.c.store_run_id)).all()
    return {r for row in rows for r in row if r}


def cli_runs(engine: Engine, runs_dir: Path) -> list[dict[str, Any]]:
    """Store runs no API run accounts for, newest first."""
    with Session(engine) as session:
        linked = _linked(session)
        rows = session.execute(select(RunRow).order_by(RunRow.started.desc())).scalars().all()
        return [_cli_row(r, runs_dir) for r in rows if r.id not in linked]


def list_all(engine: Engine, runs_dir: Path, limit: int, offset: int,
             status: str | None = None) -> tuple[int, list[dict[str, Any]]]:
    """Every run (API and CLI), newest first: (total matching, rows of this page)."""
    _, api_rows = runstate.list_runs(engine, 100_000, 0, status)
    cli = [r for r in cli_runs(engine, runs_dir) if status is None or r["status"] == status]
    merged = sorted([*({**r, "source": "api"} for r in api_rows), *cli],
                    key=lambda r: _utc(r["created"]), reverse=True)
    return len(merged), merged[offset:offset + limit]


def resolve(engine: Engine, runs_dir: Path, ref: str) -> dict[str, Any] | None:
    """The run ``ref`` names: an API run id, a store run id, or a unique 8+ character prefix of a store id."""
    row = runstate.get(engine, ref)
    if row is not None:
        return {**row, "source": "api"}
    if len(ref) < MIN_PREFIX or not ref.isalnum():
        return None
    with Session(engine) as session:
        api_hits = session.execute(select(api_runs.c.run_id).where(or_(
            api_runs.c.run_id.like(f"{ref}%"), api_runs.c.store_run_id.like(f"{ref}%")))).all()
        store_hits = session.execute(select(RunRow).where(RunRow.id.like(f"{ref}%"))).scalars().all()
        cli = _cli_row(store_hits[0], runs_dir, with_kpis=True) if len(store_hits) == 1 else None
    if len(api_hits) == 1:
        return {**(runstate.get(engine, api_hits[0][0]) or {}), "source": "api"}
    return cli if not api_hits else None
