"""``bienestar demo``: the main job end to end on the embedded default store (SQLite).

1. Data: generate the synthetic dataset if it is absent, validate and load it into the store (national IDs
   pseudonymised on the way in), aggregate demand from the records with DuckDB, print what it found.
2. Plans: run the ``baseline`` and ``rural-incentives`` scenarios (deployment, capacity, rostering,
   distribution, access), print their KPIs side by side, and write the HTML report and XLSX workbooks.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from optimizer.cli.common import JsonOption, console, print_json, table
from optimizer.data.aggregate import medicine_demand, surgical_demand
from optimizer.data.generate import GeneratorConfig, generate
from optimizer.data.store import load_dataset_into_store
from optimizer.paths import SCENARIO_DIR, default_dataset_dir

#: The two scenarios the demo compares (A, B).
DEMO_SCENARIOS: tuple[str, str] = ("baseline", "rural-incentives")


def register(app: typer.Typer) -> None:
    """Add ``bienestar demo``."""
    app.command("demo")(demo)


def demo(
    seed: int = typer.Option(42, "--seed", help="Seed of the synthetic dataset."),
    dataset: Path = typer.Option(None, "--dataset", help="Dataset folder (generated there if absent)."),
    data_only: bool = typer.Option(False, "--data-only", help="Stop after loading and aggregating the data."),
    as_json: bool = JsonOption,
) -> None:
    """Load the data, run baseline and rural-incentives, compare them and write the report."""
    from optimizer.solvers.silence import stdout_to_stderr

    t0 = time.perf_counter()
    folder = dataset or default_dataset_dir()
    timings: dict[str, float] = {}
    if not (folder / "facilities.csv").exists():
        t = time.perf_counter()
        with console.status("generating the synthetic dataset ..."):
            generate(folder, GeneratorConfig(seed=seed))
        timings["generate_s"] = time.perf_counter() - t
    t = time.perf_counter()
    with console.status("validating and loading into the store ..."):
        report = load_dataset_into_store(folder)
    timings["load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    records = report.records_dir or folder / "records"
    surg = surgical_demand(records)
    meds = medicine_demand(records)
    timings["aggregate_s"] = time.perf_counter() - t
    summary = _summary(folder, report.counts, report.n_rejects, surg, meds)
    if not as_json:
        console.print(table(f"bienestar demo — dataset {folder}", ["what", "value"], summary.items()))
        console.print(f"store: {report.db_url}; rejected rows: {report.n_rejects} (report: {report.rejects_path})")
    result: dict[str, object] = {"status": "ok", "dataset": str(folder), "db_url": report.db_url,
                                 "summary": summary, "rejects": report.n_rejects,
                                 "rejects_report": str(report.rejects_path)}
    if not data_only:
        with stdout_to_stderr(as_json):
            result.update(_plans(timings, progress=not as_json))
    timings["total_s"] = time.perf_counter() - t0
    result["timings"] = timings
    if as_json:
        print_json(result)
        return
    console.print("timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))


def _plans(timings: dict[str, float], progress: bool) -> dict[str, object]:
    """Run the two demo scenarios, print the comparison, write the report; returns what was written."""
    from optimizer.cli.scenarios import _print_run, print_comparison
    from optimizer.reports.html import write_report
    from optimizer.reports.xlsx import write_workbooks
    from optimizer.scenarios.compare import compare_runs
    from optimizer.scenarios.runner import run_scenario

    runs = []
    for name in DEMO_SCENARIOS:
        t = time.perf_counter()
        run = run_scenario(SCENARIO_DIR / f"{name}.yaml", progress=progress)
        timings[f"{name}_s"] = time.perf_counter() - t
        if progress:
            _print_run(run)
        runs.append(run)
    a, b = runs
    cmp = compare_runs(a.run_dir, b.run_dir)
    html = write_report(b.run_dir, against=a.run_dir)
    books = write_workbooks(b.run_dir, against=a.run_dir)
    if progress:
        print_comparison(cmp)
        console.print(f"report: {html}")
        for book in books:
            console.print(f"workbook: {book}")
    return {"runs": {r.scenario: {"run_id": r.run_id, "status": r.status, "run_dir": str(r.run_dir)}
                     for r in runs},
            "comparison": cmp.to_dict(), "report": str(html), "workbooks": [str(x) for x in books]}


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
        "hospitals planned for 2025": int(((fac["status"] == "planned") & (fac["kind"] == "hospital")).sum()),
        "family medicine units (open + planned)": int((fac["kind"] == "umf").sum()),
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
