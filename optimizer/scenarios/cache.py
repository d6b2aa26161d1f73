"""Reuse a stage's plan when a previous run solved it from byte-identical inputs and settings.

Two kinds of entry:

- **Across runs** (:func:`stage_key`): stages whose plan is a function of the run's input files and their own
  settings (not of an earlier stage's plan). The distribution stage reads facilities, depots, vehicles,
  medicines, stock and the run's weekly medicine demand; two scenarios that differ only in, say, deployment
  incentives then solve the week's allocation and routes once. The key covers every input byte, the stage's
  settings, the planning week and the package version.
- **Across the attempts of one run** (:func:`attempt_key`, a *lineage* such as an API run id): every stage.
  The key covers the lineage, the whole resolved scenario, every input file and the plans of the stages
  before it in this attempt, so a resumed run reuses each stage its interrupted attempt completed and
  solves from the first one it did not. A new run never reuses these (its lineage differs), so running a
  scenario again still solves it; the entries go when an attempt ends (:func:`forget`).

A reused stage says so in the log. ``rerun`` never uses the cache, so it always re-solves and proves
reproducibility.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import pandas as pd

import optimizer
from optimizer.i18n import Msg, Said, msg_of
from optimizer.jsonio import write_json
from optimizer.paths import private_temp, publish
from optimizer.scenarios.schema import Scenario
from optimizer.scenarios.stage import StageOutput

#: Stage -> the dataset tables it reads (plus the run's demand tables).
CACHEABLE: dict[str, tuple[str, ...]] = {
    "distribution": ("facilities", "depots", "vehicles", "medicines", "stock"),
}


def stage_key(run_dir: Path, scenario: Scenario, stage: str) -> str | None:
    """SHA-256 of everything ``stage`` reads, or None when the stage is not cacheable."""
    tables = CACHEABLE.get(stage)
    if tables is None:
        return None
    h = hashlib.sha256()
    settings = getattr(scenario, stage).model_dump(mode="json")
    h.update(json.dumps({"stage": stage, "version": optimizer.__version__, "settings": settings,
                         "month": scenario.planning_month, "year": scenario.planning_year}, sort_keys=True).encode())
    for name in tables:
        h.update((run_dir / "inputs" / "dataset" / f"{name}.csv").read_bytes())
    h.update((run_dir / "inputs" / "demand" / "medicine_demand_weekly.csv").read_bytes())
    return h.hexdigest()


def attempt_key(run_dir: Path, stage: str, lineage: str, earlier: Iterable[str]) -> str:
    """SHA-256 of everything ``stage`` can read in this attempt of the run ``lineage``: the resolved scenario,
    every input file, the plans of the ``earlier`` stages (in chain order) and the package version."""
    h = hashlib.sha256()
    h.update(json.dumps({"stage": stage, "version": optimizer.__version__, "lineage": lineage}).encode())
    h.update((run_dir / "scenario.resolved.json").read_bytes())
    h.update(_inputs_digest(run_dir).encode())
    for name in earlier:
        for p in sorted((run_dir / "plans" / name).glob("*.csv")):
            h.update(f"{name}/{p.name}".encode())
            h.update(p.read_bytes())
    return h.hexdigest()


@lru_cache(maxsize=4)
def _inputs_digest(run_dir: Path) -> str:
    """SHA-256 over every file of ``run_dir/inputs`` (path and bytes), once per run folder: the inputs are
    written once before the first stage and never change (the records copy can be large)."""
    h = hashlib.sha256()
    for p in sorted(q for q in (run_dir / "inputs").rglob("*") if q.is_file()):
        h.update(str(p.relative_to(run_dir)).encode())
        with p.open("rb") as fh:
            for block in iter(lambda f=fh: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


@contextmanager
def claim(cache_dir: Path, stage: str, key: str) -> Iterator[None]:
    """Hold the entry ``stage``/``key`` while this process computes it (an exclusive ``flock`` on a lock file,
    released on exit and by the OS if the process dies), so another process asking for the same entry waits
    for the plan instead of solving it again. Where ``fcntl`` does not exist (Windows) it does not wait."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(cache_dir / f"{stage}-{key[:24]}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load(cache_dir: Path, stage: str, key: str) -> tuple[StageOutput, str, Path] | None:
    """The cached output of ``stage`` for ``key``, the run it came from and the folder of its plan files."""
    folder = cache_dir / f"{stage}-{key[:24]}"
    meta = folder / "stage.json"
    if not meta.exists():
        return None
    doc = json.loads(meta.read_text())
    tables = {}
    for p in sorted(folder.glob("*.csv")):
        try:
            tables[p.stem] = pd.read_csv(p, dtype=_text_columns(doc.get("dtypes", {}).get(p.stem)))
        except pd.errors.EmptyDataError:
            tables[p.stem] = pd.DataFrame()
    why = doc["explanation"]
    if doc.get("explanation_i18n"):  # the model's own words, shown later in a reader's language
        why = Said(Msg.from_json(doc["explanation_i18n"]))
    out = StageOutput(doc["status"], doc["kpis"], tables, doc["violations"], why, doc["log"])
    return out, doc["source_run"], folder


#: Identifier columns read as text from entries that predate recorded column types.
_ID_COLUMNS = {"clues": str, "sku": str, "depot_id": str, "vehicle_id": str}


def _text_columns(dtypes: dict[str, str] | None) -> dict[str, type]:
    """The columns a cached table must read back as text: those that were text when the stage produced it
    (ids such as ``000123`` must not come back as numbers for the stages after it)."""
    if dtypes is None:
        return _ID_COLUMNS
    return {col: str for col, kind in dtypes.items() if kind in ("object", "string", "str")}


def copy_plans(folder: Path, dest: Path) -> None:
    """Copy cached plan files byte for byte into a run's ``plans/<stage>/``."""
    dest.mkdir(parents=True, exist_ok=True)
    for p in sorted(folder.glob("*.csv")):
        shutil.copy2(p, dest / p.name)


def store(cache_dir: Path, stage: str, key: str, run_dir: Path, out: StageOutput) -> None:
    """Keep ``out`` (plans as written by the run, KPIs, status) under ``key``."""
    folder = cache_dir / f"{stage}-{key[:24]}"
    tmp = private_temp(folder)
    tmp.mkdir(parents=True)
    for p in sorted((run_dir / "plans" / stage).glob("*.csv")):
        shutil.copy2(p, tmp / p.name)
    dtypes = {name: {str(col): str(kind) for col, kind in frame.dtypes.items()} for name, frame in out.tables.items()}
    write_json(tmp / "stage.json", {"status": out.status, "kpis": out.kpis, "violations": out.violations,
                                    "explanation": out.explanation, "log": out.log, "source_run": run_dir.name,
                                    "explanation_i18n": msg_of(out.explanation).to_json() if out.explanation else None,
                                    "dtypes": dtypes})
    publish(tmp, folder)


def forget(cache_dir: Path, stage: str, key: str) -> None:
    """Remove the entry ``stage``/``key`` (an attempt's entries once its run has ended)."""
    shutil.rmtree(cache_dir / f"{stage}-{key[:24]}", ignore_errors=True)
    (cache_dir / f"{stage}-{key[:24]}.lock").unlink(missing_ok=True)
