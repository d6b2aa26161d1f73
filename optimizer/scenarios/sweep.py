"""Scenario sweeps: run a grid of variants of one scenario on a local process pool or on Ray.

A variant is the base scenario with some values replaced (``--vary deployment.budget_mxn_month=1e6,2e6``,
``--vary seed=1..20``). Every variant is validated before anything runs, runs as an ordinary scenario run
(recorded in the store with its own run folder), is retried once if it fails, and lands as one row of the
comparison table; a variant that fails twice is reported with its error, never dropped.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import ValidationError

from optimizer.i18n import Msg, has, t
from optimizer.scenarios.schema import Scenario

#: Short names planners use for the most varied settings.
ALIASES: dict[str, str] = {
    "budget": "deployment.budget_mxn_month",
    "incentive": "recruits.incentive_factor",
    "recruits": "recruits.size",
    "month": "planning_month",
}

Executor = Literal["process", "ray"]


class SweepError(ValueError):
    """A ``--vary`` option or a variant that is not a valid scenario."""


def parse_vary(option: str) -> tuple[str, list[Any]]:
    """``key=v1,v2`` or ``key=a..b`` (integers, inclusive) -> (dotted key, values)."""
    if "=" not in option:
        raise SweepError(f"--vary '{option}': expected KEY=VALUES, e.g. seed=1..20 or budget=1e6,2e6")
    key, text = (s.strip() for s in option.split("=", 1))
    key = ALIASES.get(key, key)
    if not key or not text:
        raise SweepError(f"--vary '{option}': the key and the values must not be empty")
    if ".." in text and "," not in text:
        lo, hi = text.split("..", 1)
        try:
            a, b = int(lo), int(hi)
        except ValueError as exc:
            raise SweepError(f"--vary '{option}': a range a..b needs integers") from exc
        if b < a:
            raise SweepError(f"--vary '{option}': the range is empty ({a} > {b})")
        return key, list(range(a, b + 1))
    return key, [_scalar(v.strip()) for v in text.split(",") if v.strip()]


def _scalar(text: str) -> Any:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            continue
    low = text.lower()
    if low in {"true", "false"}:
        return low == "true"
    if low in {"none", "null"}:
        return None
    return text


def _set(doc: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = doc
    for i, part in enumerate(parts[:-1]):
        if not isinstance(node.get(part), dict):
            raise SweepError(f"'{dotted}': '{'.'.join(parts[: i + 1])}' is not a section of the scenario")
        node = node[part]
    if parts[-1] not in node:
        raise SweepError(f"'{dotted}': the scenario has no setting '{parts[-1]}' there")
    node[parts[-1]] = value


@dataclass(frozen=True)
class Variant:
    """One point of the grid: its values and the full scenario document to run."""

    index: int
    values: dict[str, Any]
    scenario: dict[str, Any]


def build_variants(base: Scenario, vary: Iterable[tuple[str, list[Any]]]) -> list[Variant]:
    """Cartesian product of the varied values, each validated as a scenario (error names key and value)."""
    vary = list(vary)
    keys = [k for k, _ in vary]
    if len(set(keys)) != len(keys):
        raise SweepError(f"a key is varied twice: {keys}")
    base_doc = base.model_dump(mode="json")
    out = []
    for i, combo in enumerate(itertools.product(*[vals for _, vals in vary])):
        doc = json.loads(json.dumps(base_doc))
        values = dict(zip(keys, combo, strict=True))
        for k, v in values.items():
            _set(doc, k, v)
        doc["name"] = f"{base.name}-v{i:03d}"[:64]
        try:
            Scenario.model_validate(doc)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise SweepError(f"variant {values}: '{where}' {first['msg']}") from exc
        out.append(Variant(i, values, doc))
    return out


def run_variant(scenario_doc: dict[str, Any], runs_dir: str) -> dict[str, Any]:
    """Run one variant as a scenario run (in a worker process or a Ray task); returns its summary row."""
    from optimizer.scenarios.runner import run_scenario

    t0 = time.perf_counter()
    result = run_scenario(Scenario.model_validate(scenario_doc), Path(runs_dir), progress=False)
    flat: dict[str, Any] = {}
    for stage, kpis in result.kpis.items():
        for k, v in kpis.items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                flat[f"{stage}.{k}"] = v
    return {"run_id": result.run_id, "status": result.status, "seconds": time.perf_counter() - t0,
            "run_dir": str(result.run_dir), **flat}


@dataclass
class SweepResult:
    """Every variant's row (values, status, attempts, KPIs or error), in grid order."""

    rows: list[dict[str, Any]]
    executor: str
    workers: int
    seconds: float
    failed: list[int] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        """One row per variant (``error`` in English; ``error_i18n`` is for :meth:`shown`)."""
        return pd.DataFrame(self.rows).drop(columns=["error_i18n"], errors="ignore")

    def shown(self, lang: str | None = None) -> pd.DataFrame:
        """:meth:`table` as a person reads it: statuses and failures in ``lang`` (default ``BIENESTAR_LANG``)."""
        frame = self.table()
        if "status" in frame:
            frame["status"] = [t(f"common.status.{s}", lang) if has(f"common.status.{s}", lang) else s
                               for s in frame["status"]]
        if "error" in frame:
            frame["error"] = [Msg.from_json(r["error_i18n"]).text(lang) if r.get("error_i18n") else r.get("error") or ""
                              for r in self.rows]
        return frame


def _attempt(fn: Callable[..., dict[str, Any]], variant: Variant, runs_dir: str) -> dict[str, Any]:
    """One variant's outcome; a failure keeps its English text (``error``, for scripts and logs) and its message
    (``error_i18n``, JSON: it crosses processes and Ray) that the sweep table shows in the reader's language."""
    from optimizer.scenarios.runner import failure

    try:
        return {"ok": True, "row": fn(variant.scenario, runs_dir)}
    except Exception as exc:  # a failed variant is reported, never lost
        why = failure(exc)
        return {"ok": False, "error": str(why), "error_i18n": why.to_json(),
                "trace": traceback.format_exc(limit=3)}


def run_sweep(variants: list[Variant], runs_dir: Path, executor: Executor = "process", workers: int = 2,
              fn: Callable[..., dict[str, Any]] = run_variant) -> SweepResult:
    """Run all variants with ``workers`` in parallel; retry each failure once; keep every outcome."""
    t0 = time.perf_counter()
    runs_dir = Path(runs_dir)
    runs_dir.mkdir(parents=True, exist_ok=True)
    submit = _ray_map if executor == "ray" else _process_map
    outcomes = submit(fn, variants, str(runs_dir), workers)
    retry = [v for v, o in zip(variants, outcomes, strict=True) if not o["ok"]]
    attempts = {v.index: 1 for v in variants}
    if retry:
        for v, o in zip(retry, submit(fn, retry, str(runs_dir), workers), strict=True):
            outcomes[v.index] = o
            attempts[v.index] = 2
    rows, failed = [], []
    for v, o in zip(variants, outcomes, strict=True):
        row: dict[str, Any] = {"variant": v.index, **v.values, "attempts": attempts[v.index]}
        if o["ok"]:
            row.update(o["row"])
        else:
            row.update({"status": "failed", "error": o["error"], "error_i18n": o.get("error_i18n")})
            failed.append(v.index)
        rows.append(row)
    return SweepResult(rows, executor, workers, time.perf_counter() - t0, failed)


def _process_map(fn: Callable[..., dict[str, Any]], variants: list[Variant], runs_dir: str,
                 workers: int) -> list[dict[str, Any]]:
    # Spawned, not forked: a fork inherits the parent's solver thread pools (HiGHS) in a broken state.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_attempt, fn, v, runs_dir) for v in variants]
        return [f.result() for f in futures]


def _ray_map(fn: Callable[..., dict[str, Any]], variants: list[Variant], runs_dir: str,
             workers: int) -> list[dict[str, Any]]:
    """Run on the Ray cluster at ``RAY_ADDRESS``, or on a local Ray started with ``workers`` CPUs."""
    try:
        import ray
    except ImportError as exc:
        raise SweepError("the Ray executor needs the 'ray' extra: "
                         "pip install -c requirements.lock -e '.[ray]'") from exc
    started_here = False
    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS")
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        started_here = True
    try:
        task = ray.remote(num_cpus=1, max_retries=0)(_attempt)
        return ray.get([task.remote(fn, v, runs_dir) for v in variants])
    finally:
        if started_here:
            ray.shutdown()
