"""Where runs are recorded: the data layer's store (``runs`` table), and a folder per run under ``runs_dir``.

The store row keeps status, wall time per stage and headline KPIs; the folder keeps everything else.
``find_run`` resolves what a user types (a folder path, a folder name, or a store id prefix) to a folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from optimizer.data.store import create_run, finish_run
from optimizer.paths import home_dir


def default_runs_dir() -> Path:
    """``$BIENESTAR_HOME/runs``."""
    return home_dir() / "runs"


def start(scenario: str, run_id: str | None = None) -> str:
    """Record a run as ``running`` in the store (under ``run_id`` when the run has one already, e.g. given when
    the API queued it); returns the store's run id."""
    return create_run(scenario, run_id=run_id)


def finish(run_id: str, status: str, timings: dict[str, float], kpis: dict[str, Any], message: str | None) -> None:
    """Record how the run ended (status, seconds per stage, headline KPIs, error message if any)."""
    finish_run(run_id, status, timings, kpis, message)


def find_run(ref: str | Path, runs_dir: Path | None = None) -> Path:
    """The run folder ``ref`` names: a path; a folder name in ``runs_dir``; a scenario name (its latest run);
    or a unique prefix of a folder name or store run id."""
    p = Path(ref)
    if (p / "run.json").exists():
        return p
    base = runs_dir or default_runs_dir()
    if (base / str(ref) / "run.json").exists():
        return base / str(ref)
    infos = [(d.parent, json.loads(d.read_text())) for d in sorted(base.glob("*/run.json"))] if base.exists() else []
    of_scenario = [d for d, info in infos if info.get("scenario") == str(ref)]
    if of_scenario:  # folder names sort by UTC start time within a scenario
        return of_scenario[-1]
    matches = [(d, info.get("run_id")) for d, info in infos
               if d.name.startswith(str(ref)) or str(info.get("run_id", "")).startswith(str(ref))]
    if len({run_id for _, run_id in matches}) == 1 and matches[0][1]:  # one run; a resumed one has a folder per
        return max(d for d, _ in matches)  # attempt, named by start time: the latest
    matches_dirs = [d for d, _ in matches]
    if len(matches_dirs) == 1:
        return matches_dirs[0]
    if not matches_dirs:
        raise FileNotFoundError(f"no run '{ref}' (not a run folder, a scenario with runs, nor a run in {base})")
    raise FileNotFoundError(f"'{ref}' matches {len(matches_dirs)} runs: {', '.join(m.name for m in matches_dirs[:5])}")
