"""``bienestar roster``: a 24/7 roster for a hospital, or for a Curtois & Qu benchmark instance."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from optimizer.cli.common import JsonOption, console, fail, print_json, table
from optimizer.paths import home_dir
from optimizer.rostering.export import grid_text, write_csv, write_xlsx
from optimizer.rostering.instance import RosterInstance
from optimizer.rostering.io import InstanceFormatError, parse_instance
from optimizer.rostering.kpis import roster_kpis
from optimizer.rostering.model import RosterPlan, solve
from optimizer.rostering.settings import RosterSettings


def register(app: typer.Typer) -> None:
    """Add ``roster`` to the root app."""
    app.command("roster")(roster)


def _assignments(path: Path, as_json: bool) -> list[tuple[str, str]]:
    """(specialist_id, hospital) pairs of a deployment plan CSV; errors name the file and the column."""
    try:
        frame = pd.read_csv(path, dtype=str)
    except (OSError, pd.errors.ParserError) as exc:
        fail(f"{path}: cannot read the deployment CSV ({exc})", as_json)
    missing = [c for c in ("specialist_id", "hospital") if c not in frame.columns]
    if missing:
        fail(f"{path}: column(s) {missing} missing (need specialist_id, hospital)", as_json)
    for i, row in enumerate(frame.itertuples(), start=2):
        if not isinstance(row.specialist_id, str) or not isinstance(row.hospital, str):
            fail(f"{path}, row {i}: field 'specialist_id' or 'hospital' is empty", as_json)
    return list(zip(frame["specialist_id"], frame["hospital"], strict=True))


def _report(inst: RosterInstance, plan: RosterPlan, units: dict[str, list[str]], notes: list[str]) -> None:
    console.print(
        f"[bold]{inst.name}[/]: status [bold]{plan.status}[/], objective [bold]{plan.objective}[/]"
        + (f", bound {plan.bound:.0f}, gap {100 * (plan.gap or 0):.2f}%" if plan.bound is not None else "")
        + f", {plan.solve_seconds:.1f} s (first feasible "
        + (f"{plan.first_feasible_seconds:.1f} s)" if plan.first_feasible_seconds is not None else "-)")
    )
    console.print(table("objective breakdown", ["penalty", "value"], plan.breakdown.items()))
    rows = [
        (k.role, k.people, f"{100 * k.fill_rate:.1f}%", k.short_lines, k.hours_worked, k.contract_hours,
         f"{k.nights_min}-{k.nights_max}", f"{k.weekends_min}-{k.weekends_max}")
        for k in roster_kpis(inst, plan.roster)
    ]
    console.print(table("per unit", ["unit", "people", "cover filled", "short lines", "hours", "contract h",
                                     "nights", "weekends"], rows))
    for note in notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(grid_text(inst, plan.roster, units), highlight=False, markup=False)


def roster(
    benchmark: Path = typer.Option(None, "--benchmark", help="A Curtois & Qu InstanceN.txt file."),
    hospital: str = typer.Option(None, "--hospital", help="CLUES of the hospital to roster."),
    dataset: Path = typer.Option(None, "--dataset", help="Dataset folder (with --hospital)."),
    weeks: int = typer.Option(4, "--weeks", min=1, max=26, help="Horizon in weeks (with --hospital)."),
    deployment: Path = typer.Option(
        None, "--deployment", help="Deployment plan CSV (specialist_id, hospital): recruits added to the staff."
    ),
    time_limit: float = typer.Option(60.0, "--time-limit", help="Seconds for the whole solve."),
    seed: int = typer.Option(0, "--seed", help="CP-SAT random seed."),
    workers: int = typer.Option(2, "--workers", min=1, help="CP-SAT workers."),
    out: Path = typer.Option(None, "--out", help="Folder for roster.csv and roster.xlsx."),
    as_json: bool = JsonOption,
) -> None:
    """Solve a 24/7 roster; print objective, breakdown by penalty, per-unit KPIs and the grid; export CSV/XLSX.

    Hard rules: one shift a day, rest between shifts, maximum shifts of a type, contract minutes, maximum and
    minimum runs of work and rest, weekends, days off, minimum cover. When they cannot all hold, the message
    names the rules and the person/day in conflict.
    """
    if (benchmark is None) == (hospital is None):
        fail("give exactly one of --benchmark PATH or --hospital CLUES", as_json)
    settings = RosterSettings(time_limit_s=time_limit, seed=seed, workers=workers)
    notes: list[str] = []
    if benchmark is not None:
        try:
            inst = parse_instance(benchmark)
        except InstanceFormatError as exc:
            fail(str(exc), as_json)
        units = {"all": inst.staff_ids}
    else:
        from optimizer.data.dataset import load_dataset
        from optimizer.rostering.hospital import from_dataset

        if dataset is None:
            fail("--hospital needs --dataset DIR (a folder written by `bienestar data generate`)", as_json)
        assigned = _assignments(deployment, as_json) if deployment is not None else []
        try:
            hosp = from_dataset(load_dataset(dataset), hospital, weeks=weeks, assigned=assigned)
        except (FileNotFoundError, ValueError) as exc:
            fail(str(exc), as_json)
        inst, units, notes = hosp.instance, hosp.units, hosp.notes
        inst.name = f"{hosp.clues} {hosp.name}"
    plan = solve(inst, settings)
    if plan.status in ("infeasible", "time_limit"):
        fail(f"{inst.name}: {plan.status}: " + "; ".join(plan.explanation), as_json, code=1)
    written: list[str] = []
    if out is not None or hospital is not None:
        folder = out or home_dir() / "rosters" / hospital
        written = [
            str(write_csv(inst, plan.roster, folder / "roster.csv")),
            str(write_xlsx(inst, plan.roster, folder / "roster.xlsx", units, plan.breakdown)),
        ]
    if as_json:
        print_json(
            {
                "instance": inst.name,
                "status": plan.status,
                "objective": plan.objective,
                "bound": plan.bound,
                "gap": plan.gap,
                "solve_seconds": plan.solve_seconds,
                "first_feasible_seconds": plan.first_feasible_seconds,
                "seed": plan.seed,
                "breakdown": plan.breakdown,
                "violations": plan.violations,
                "notes": notes,
                "files": written,
                "roster": plan.roster,
            }
        )
        return
    _report(inst, plan, units, notes)
    for path in written:
        console.print(f"wrote {path}")
