"""``bienestar demo``: the main job end to end on the embedded default store (SQLite).

1. Data: generate the synthetic dataset if it is absent, validate and load it into the store (national IDs
   pseudonymised on the way in), aggregate demand from the records with DuckDB, print what it found.
2. Plans: run the ``baseline`` and ``rural-incentives`` scenarios (deployment, capacity, rostering, surgery,
   distribution, access) at once in two processes with demo-sized time limits (:data:`DEMO_LIMITS`, applied on
   top of the scenario files; planning runs keep the files' own limits), print each stage as it finishes, their
   KPIs side by side, write the HTML report and XLSX workbooks, and say what to open next.

The whole demo is measured to finish in about a minute on 2 cores (``benchmarks/RESULTS.md``), so a first look
at the product does not cost a long wait.
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import typer

from optimizer.cli.common import JsonOption, console, print_json, table
from optimizer.data.aggregate import medicine_demand, surgical_demand
from optimizer.data.generate import GeneratorConfig, generate
from optimizer.data.store import load_dataset_into_store
from optimizer.i18n import t
from optimizer.paths import SCENARIO_DIR, default_dataset_dir

#: The two scenarios the demo compares (A, B).
DEMO_SCENARIOS: tuple[str, str] = ("baseline", "rural-incentives")

#: Demo-sized limits laid over both scenario files (the files' own limits are for planning runs): deployment
#: reaches about 1 % certified gap in 10 s on 2 cores (README, known limits); rosters need two CP-SAT workers to
#: find a first roster within seconds (one worker needs ~15 s, see RosteringRun.processes), so two hospitals get
#: 6 s each; two hospitals' surgical waiting lists get 4 s each (on the demo dataset that admits every mandatory
#: patient, 102-106 of 152 patients in all, 0 hard violations); the week's allocation gets 25 s (best plan at hand if
#: the full LP is not done: status feasible) and each depot's routes 0.5 s of PyVRP.
DEMO_LIMITS: dict[str, Any] = {
    "deployment": {"time_limit_s": 10},
    "rostering": {"max_hospitals": 2, "weeks": 2, "processes": 1, "settings": {"time_limit_s": 6, "workers": 2}},
    "surgery": {"max_hospitals": 2, "settings": {"time_limit_s": 4}},
    "distribution": {"allocation": {"time_limit_s": 10, "total_time_limit_s": 25},
                     "routing": {"time_limit_s": 0.5}},
}


def register(app: typer.Typer) -> None:
    """Add ``bienestar demo``."""
    app.command("demo")(demo)


def demo(
    seed: int = typer.Option(42, "--seed", help="Seed of the synthetic dataset."),
    dataset: Path = typer.Option(None, "--dataset", help="Dataset folder (generated there if absent)."),
    data_only: bool = typer.Option(False, "--data-only", help="Stop after loading and aggregating the data."),
    lang: str | None = typer.Option(None, "--lang", help="Report and workbook language: es or en (default es)."),
    as_json: bool = JsonOption,
) -> None:
    """Load the data, run baseline and rural-incentives, compare them and write the report."""
    from optimizer.solvers.silence import stdout_to_stderr

    t0 = time.perf_counter()
    folder = dataset or _dataset_folder(seed)
    timings: dict[str, float] = {}
    if not (folder / "facilities.csv").exists():
        start = time.perf_counter()
        with console.status(t("cli.demo.generating")):
            _generate(folder, seed)
        timings["generate_s"] = time.perf_counter() - start
    with _DemoPool(warm=not data_only) as pool:
        result = _data_step(folder, timings, as_json)
        if not data_only:
            with stdout_to_stderr(as_json):
                result.update(_plans(pool, timings, progress=not as_json, lang=lang))
    timings["total_s"] = time.perf_counter() - t0
    result["timings"] = timings
    if as_json:
        print_json(result)
        return
    console.print(t("cli.demo.timings", timings=", ".join(f"{k} {v:.1f}" for k, v in timings.items())))


def _data_step(folder: Path, timings: dict[str, float], as_json: bool) -> dict[str, object]:
    """Validate and load the dataset into the store, aggregate demand with DuckDB, print what was found."""
    start = time.perf_counter()
    with console.status(t("cli.demo.loading")):
        report = load_dataset_into_store(folder)
    timings["load_s"] = time.perf_counter() - start
    start = time.perf_counter()
    records = report.records_dir or folder / "records"
    surg = surgical_demand(records)
    meds = medicine_demand(records)
    timings["aggregate_s"] = time.perf_counter() - start
    summary = _summary(folder, report.counts, report.n_rejects, surg, meds)
    if not as_json:
        console.print(table(t("cli.demo.title", folder=folder), [t("cli.demo.col.what"), t("cli.demo.col.value")],
                            [(t(f"cli.demo.summary.{_SUMMARY_KEYS[k]}") if k in _SUMMARY_KEYS else k, v)
                             for k, v in summary.items()]))
        console.print(t("cli.demo.store", url=report.db_url, count=report.n_rejects, path=report.rejects_path))
    result: dict[str, object] = {"status": "ok", "dataset": str(folder), "db_url": report.db_url,
                                 "summary": summary, "rejects": report.n_rejects,
                                 "rejects_report": str(report.rejects_path)}
    return result


def _dataset_folder(seed: int) -> Path:
    """Where the demo's dataset lives: the scenarios' own cached dataset when the seed is theirs (so the two
    scenario runs find it generated and do not generate it again), else ``$BIENESTAR_HOME/dataset``."""
    from optimizer.scenarios.basedata import generated_dir

    source = demo_scenario(DEMO_SCENARIOS[0]).dataset
    if source.generate is not None and source.generate.config_overrides() == {"seed": seed}:
        return generated_dir(source.generate.config_overrides())
    return default_dataset_dir()


def _generate(folder: Path, seed: int) -> None:
    """Generate the dataset into ``folder``: written aside and published whole (as the scenario cache does) into
    a new folder, straight into a folder the user named."""
    from optimizer.paths import private_temp, publish

    if folder.exists():
        generate(folder, GeneratorConfig(seed=seed))
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = private_temp(folder)
    generate(tmp, GeneratorConfig(seed=seed))
    publish(tmp, folder)


def demo_scenario(name: str) -> Any:
    """The built-in scenario ``name`` with :data:`DEMO_LIMITS` laid over it (validated like any scenario)."""
    from optimizer.scenarios.schema import Scenario
    from optimizer.scenarios.yamlfile import deep_merge, load_scenario

    data = load_scenario(SCENARIO_DIR / f"{name}.yaml").model_dump(mode="json", exclude_unset=True)
    merged = deep_merge(data, DEMO_LIMITS)
    merged["description"] = f"{data.get('description', '')} (demo time limits)".strip()
    return Scenario.model_validate(merged)


def _run_one(name: str, events: Any) -> Any:
    """Worker: run one demo scenario (a separate process, so the two scenarios solve on both cores); each
    finished stage is put on ``events`` as ``(scenario, stage, status, seconds)``."""
    from optimizer.scenarios.runner import run_scenario
    from optimizer.solvers.silence import stdout_to_stderr

    def finished(stage: str, status: str, _done: int, _total: int, seconds: float | None) -> None:
        if seconds is not None:
            events.put((name, stage, status, seconds))

    with stdout_to_stderr(True):
        return run_scenario(demo_scenario(name), progress=False, on_progress=finished)


def _warm_distribution(name: str) -> None:
    """Worker: solve scenario ``name``'s distribution week into the runs' stage cache from the start.

    Distribution reads only the dataset and the week's demand, never an earlier stage's plan, so it need not
    wait for deployment and rosters: solved here beside them (in a scratch run folder, not recorded as a run),
    it is ready, or being finished under the cache's claim, when both scenario runs reach it.
    """
    import shutil
    import uuid

    from optimizer.scenarios.registry import default_runs_dir
    from optimizer.scenarios.runner import execute, prepare
    from optimizer.solvers.silence import stdout_to_stderr

    scenario = demo_scenario(name).seeded()
    only = scenario.model_copy(update={"models": ["distribution"]})
    runs_dir = default_runs_dir()
    scratch = runs_dir / f".demo-warmup-{uuid.uuid4().hex[:8]}"
    scratch.mkdir(parents=True)
    try:
        with stdout_to_stderr(True):
            prepare(only, only.model_dump_json(), scratch)
            execute(scratch, scratch.name, progress=False, cache_dir=runs_dir / ".stage-cache")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class _DemoPool:
    """Three worker processes (spawned: solver thread pools do not survive a fork) and a queue of stage events.

    With ``warm``, the distribution week is started at once (:func:`_warm_distribution`), while the parent
    loads the store and before the scenario runs start: it is the longest stage and needs nothing they make.
    """

    def __init__(self, warm: bool) -> None:
        self.warm = warm
        self._ctx = multiprocessing.get_context("spawn")

    def __enter__(self) -> _DemoPool:
        self._manager = self._ctx.Manager().__enter__()
        self.pool = ProcessPoolExecutor(max_workers=3, mp_context=self._ctx).__enter__()
        self.events = self._manager.Queue()
        if self.warm:
            self.pool.submit(_warm_distribution, DEMO_SCENARIOS[0])
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.__exit__(*exc)
        self._manager.__exit__(*exc)

    def run_both(self, progress: bool) -> list[Any]:
        """Run the two scenarios at once, printing each stage as it finishes; runs in DEMO_SCENARIOS order."""
        import queue

        t0 = time.perf_counter()
        futures: dict[str, Future] = {name: self.pool.submit(_run_one, name, self.events)
                                      for name in DEMO_SCENARIOS}
        while not (all(f.done() for f in futures.values()) and self.events.empty()):
            try:
                event = self.events.get(timeout=0.5)
            except queue.Empty:
                continue
            if progress:
                _print_stage(*event, elapsed=time.perf_counter() - t0)
        return [futures[name].result() for name in DEMO_SCENARIOS]


def _print_stage(scenario: str, stage: str, status: str, seconds: float, elapsed: float) -> None:
    """One progress line: ``baseline: despliegue de equipos listo (factible, 10 s; 24 s en total)``."""
    from optimizer.i18n import has

    shown = t(f"common.status.{status}") if has(f"common.status.{status}") else status
    label = t(f"cli.stage.{stage}") if has(f"cli.stage.{stage}") else stage
    console.print(t("cli.demo.stage_done", None, scenario=scenario, stage=label, status=shown,
                    seconds=f"{seconds:.0f}", elapsed=f"{elapsed:.0f}"))


def _plans(pool: _DemoPool, timings: dict[str, float], progress: bool, lang: str | None = None
           ) -> dict[str, object]:
    """Run the two demo scenarios, print the comparison, write the report; returns what was written."""
    from optimizer.cli.scenarios import _print_run, print_comparison
    from optimizer.reports.html import write_report
    from optimizer.reports.xlsx import write_workbooks
    from optimizer.scenarios.compare import compare_runs

    t_runs = time.perf_counter()
    if progress:
        console.print(t("cli.demo.running", None, a=DEMO_SCENARIOS[0], b=DEMO_SCENARIOS[1]))
    runs = pool.run_both(progress)
    timings["scenarios_s"] = time.perf_counter() - t_runs
    for run in runs:
        timings[f"{run.scenario}_s"] = run.timings.get("total", 0.0)
        if progress:
            _print_run(run)
    a, b = runs
    t_out = time.perf_counter()
    cmp = compare_runs(a.run_dir, b.run_dir)
    html = write_report(b.run_dir, against=a.run_dir, lang=lang)
    books = write_workbooks(b.run_dir, against=a.run_dir, lang=lang)
    timings["report_s"] = time.perf_counter() - t_out
    if progress:
        print_comparison(cmp)
        console.print(t("cli.demo.next", None, report=str(html), books=", ".join(str(x) for x in books),
                        run_a=a.run_id[:8], run_b=b.run_id[:8]))
    return {"runs": {r.scenario: {"run_id": r.run_id, "status": r.status, "run_dir": str(r.run_dir)}
                     for r in runs},
            "comparison": cmp.to_dict(), "report": str(html), "workbooks": [str(x) for x in books],
            "next": {"report": str(html), "serve": "bienestar serve", "url": "http://127.0.0.1:8000/"}}


#: The summary's labels (the ``--json`` keys, kept as they are) to their catalogue keys for a person reading.
_SUMMARY_KEYS = {
    "program hospitals (Médicos del Bienestar)": "program",
    "real hospitals (CLUES, open)": "real_hospitals",
    "hospitals planned (CLUES: in construction or pending)": "planned",
    "primary-care units (CLUES, open + planned)": "umf",
    "recruited specialists": "recruits",
    "recruits who are women": "women",
    "top origins of recruits": "origins",
    "staff already in post": "in_post",
    "health records loaded": "records",
    "surgical demand at program hospitals (procedures/week)": "surgical",
    "medicine demand (units/week, all facilities)": "medicine",
    "rows rejected": "rejected",
}


def _summary(folder: Path, counts: dict, n_rejects: int, surg, meds) -> dict[str, object]:
    import pandas as pd

    fac = pd.read_csv(folder / "facilities.csv", dtype={"cve_ent": str})
    spec = pd.read_csv(folder / "specialists.csv", dtype={"home_state": str})
    rec = spec[spec["status"] == "recruit"]
    program = set(fac.loc[fac["program"], "clues"])
    top = rec["home_state"].value_counts().head(5)
    names = dict(zip(*pd.read_csv(folder / "states.csv", dtype={"cve_ent": str})[["cve_ent", "name"]].T.values,
                     strict=True))
    return {
        "program hospitals (Médicos del Bienestar)": len(program),
        "real hospitals (CLUES, open)": int(((fac["status"] == "open") & (fac["kind"] == "hospital")).sum()),
        "hospitals planned (CLUES: in construction or pending)":
            int(((fac["status"] == "planned") & (fac["kind"] == "hospital")).sum()),
        "primary-care units (CLUES, open + planned)": int((fac["kind"] == "umf").sum()),
        "recruited specialists": len(rec),
        "recruits who are women": f"{(rec['sex'] == 'F').mean():.1%}",
        "top origins of recruits": ", ".join(f"{names[k]} {v}" for k, v in top.items()),
        "staff already in post": int((spec["status"] == "in_post").sum()),
        "health records loaded": counts.get("encounters", {}).get("kept", 0),
        "surgical demand at program hospitals (procedures/week)":
            round(float(surg.loc[surg["clues"].isin(program), "procedures_per_week"].sum()), 1),
        "medicine demand (units/week, all facilities)": round(float(meds["units_per_week"].sum()), 0),
        "rows rejected": n_rejects,
    }
