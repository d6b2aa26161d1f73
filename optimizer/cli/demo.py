"""``bienestar demo``: the main job end to end on the embedded default store (SQLite).

It generates the synthetic dataset if it is absent, validates and loads it into the store (national IDs
pseudonymised on the way in), aggregates demand from the records with DuckDB and prints what it found.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

from optimizer.cli.common import JsonOption, console, print_json, table
from optimizer.data.aggregate import medicine_demand, surgical_demand
from optimizer.data.generate import GeneratorConfig, generate
from optimizer.data.store import load_dataset_into_store
from optimizer.paths import default_dataset_dir


def register(app: typer.Typer) -> None:
    """Add ``bienestar demo``."""
    app.command("demo")(demo)


def demo(
    seed: int = typer.Option(42, "--seed", help="Seed of the synthetic dataset."),
    dataset: Path = typer.Option(None, "--dataset", help="Dataset folder (generated there if absent)."),
    as_json: bool = JsonOption,
) -> None:
    """Generate (if needed), load, pseudonymise and aggregate the dataset, then print a summary."""
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
    timings["total_s"] = time.perf_counter() - t0
    if as_json:
        print_json({"status": "ok", "dataset": str(folder), "db_url": report.db_url, "summary": summary,
                    "rejects": report.n_rejects, "rejects_report": str(report.rejects_path), "timings": timings})
        return
    console.print(table(f"bienestar demo — dataset {folder}", ["what", "value"], summary.items()))
    console.print(f"store: {report.db_url}; rejected rows: {report.n_rejects} (report: {report.rejects_path})")
    console.print("timings: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))


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
