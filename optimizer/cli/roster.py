"""``bienestar roster``: a 24/7 roster for a hospital, or for a Curtois & Qu benchmark instance."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from optimizer import rostering
from optimizer.cli.common import JsonOption, console, fail, label, print_json, table
from optimizer.i18n import in_lang, t
from optimizer.paths import home_dir
from optimizer.rostering.export import grid_text, write_csv, write_xlsx
from optimizer.rostering.instance import Roster, RosterInstance
from optimizer.rostering.io import InstanceFormatError, parse_instance
from optimizer.rostering.kpis import roster_kpis
from optimizer.rostering.model import RosterPlan
from optimizer.rostering.replan import replan
from optimizer.rostering.settings import RosterSettings


def register(app: typer.Typer) -> None:
    """Add ``roster`` to the root app."""
    app.command("roster")(roster)


def _assignments(path: Path, as_json: bool) -> list[tuple[str, str]]:
    """(specialist_id, hospital) pairs of a deployment plan CSV; errors name the file and the column."""
    try:
        frame = pd.read_csv(path, dtype=str)
    except (OSError, pd.errors.ParserError) as exc:
        fail(t("data.roster.unreadable_deployment", file=str(path), detail=str(exc)), as_json)
    missing = [c for c in ("specialist_id", "hospital") if c not in frame.columns]
    if missing:
        fail(t("data.roster.columns", file=str(path), missing=", ".join(missing), need="specialist_id, hospital"),
             as_json)
    for i, row in enumerate(frame.itertuples(), start=2):
        if not isinstance(row.specialist_id, str) or not isinstance(row.hospital, str):
            fail(t("data.roster.empty_pair", file=str(path), row=i), as_json)
    return list(zip(frame["specialist_id"], frame["hospital"], strict=True))


def _previous(path: Path, inst: RosterInstance, as_json: bool) -> Roster:
    """A published roster from the CSV that ``--out`` writes (staff_id, role, hours, one column per day)."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as exc:
        fail(t("data.roster.unreadable_previous", file=str(path), detail=str(exc)), as_json)
    if "staff_id" not in frame.columns:
        fail(t("data.roster.columns", file=str(path), missing="staff_id", need="staff_id, D01..."), as_json)
    days = [c for c in frame.columns if c.startswith("D") and c[1:3].isdigit()]
    if len(days) != inst.horizon:
        fail(t("data.roster.day_columns", file=str(path), days=len(days), horizon=inst.horizon), as_json)
    shifts = set(inst.shift_ids)
    out: Roster = {}
    for i, (sid, cells) in enumerate(zip(frame["staff_id"], frame[days].values.tolist(), strict=True), start=2):
        bad = [(c, x) for c, x in zip(days, cells, strict=True) if x and x not in shifts]
        if bad:
            fail(t("data.cell", file=str(path), row=i, field=bad[0][0],
                   problem=t("data.problem.not_shift", value=bad[0][1], shifts=", ".join(sorted(shifts)))), as_json)
        out[sid] = cells
    return out


def _days_off(path: Path, inst: RosterInstance, as_json: bool) -> dict[str, set[int]]:
    """Hard days off (sick calls, leave) from a CSV with columns staff_id, day (0 = first Monday)."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as exc:
        fail(t("data.roster.unreadable_days_off", file=str(path), detail=str(exc)), as_json)
    missing = [c for c in ("staff_id", "day") if c not in frame.columns]
    if missing:
        fail(t("data.roster.columns", file=str(path), missing=", ".join(missing), need="staff_id, day"), as_json)
    known = set(inst.staff_ids)
    out: dict[str, set[int]] = {}
    for i, (sid, day) in enumerate(zip(frame["staff_id"], frame["day"], strict=True), start=2):
        if sid not in known:
            fail(t("data.cell", file=str(path), row=i, field="staff_id",
                   problem=t("data.problem.not_staff", value=sid)), as_json)
        if not day.isdigit() or int(day) >= inst.horizon:
            fail(t("data.cell", file=str(path), row=i, field="day",
                   problem=t("data.problem.day_range", last=inst.horizon - 1, value=day)), as_json)
        out.setdefault(sid, set()).add(int(day))
    return out


def _report(inst: RosterInstance, plan: RosterPlan, units: dict[str, list[str]], notes: list[str]) -> None:
    first = f"{plan.first_feasible_seconds:.1f} s" if plan.first_feasible_seconds is not None else "-"
    console.print(
        t("cli.roster.summary", name=inst.name, status=label("common.status", plan.status), objective=plan.objective)
        + (t("cli.roster.bound", bound=f"{plan.bound:.0f}", gap=f"{100 * (plan.gap or 0):.2f}")
           if plan.bound is not None else "")
        + t("cli.roster.seconds", seconds=f"{plan.solve_seconds:.1f}", first=first)
    )
    console.print(table(t("cli.roster.breakdown"), _heads("penalty", "value"), plan.breakdown.items()))
    rows = [
        (k.role, k.people, f"{100 * k.fill_rate:.1f}%", k.short_lines, k.hours_worked, k.contract_hours,
         f"{k.nights_min}-{k.nights_max}", f"{k.weekends_min}-{k.weekends_max}")
        for k in roster_kpis(inst, plan.roster)
    ]
    console.print(table(t("cli.roster.per_unit"), _heads("unit", "people", "filled", "short", "hours", "contract",
                                                         "nights", "weekends"), rows))
    for note in notes:
        console.print(f"[yellow]{t('cli.note')}[/] {in_lang(note)}")
    console.print(grid_text(inst, plan.roster, units), highlight=False, markup=False)


def _heads(*names: str) -> list[str]:
    """Column headings of the roster report in ``BIENESTAR_LANG``."""
    return [t(f"cli.roster.col.{n}") for n in names]


def _hospital_instance(hospital: str, dataset: Path | None, weeks: int, deployment: Path | None,
                       days_off: Path | None, as_json: bool) -> tuple[RosterInstance, dict[str, list[str]], list[str]]:
    """The roster problem of one hospital of ``dataset`` (recruits of the deployment plan added, hard days off
    read), its units (role -> people) and notes; a bad file or CLUES is a clear error."""
    from optimizer.data.dataset import load_dataset
    from optimizer.rostering.hospital import from_dataset

    if dataset is None:
        fail(t("cli.roster.needs_dataset"), as_json)
    assigned = _assignments(deployment, as_json) if deployment is not None else []
    try:
        hosp = from_dataset(load_dataset(dataset), hospital, weeks=weeks, assigned=assigned)
    except (FileNotFoundError, ValueError) as exc:
        fail(exc, as_json)
    inst = hosp.instance
    inst.name = f"{hosp.clues} {hosp.name}"
    if days_off is not None:
        inst.days_off = _days_off(days_off, inst, as_json)
    return inst, hosp.units, hosp.notes


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
    days_off: Path = typer.Option(
        None, "--days-off", help="CSV (staff_id, day) of hard days off: sick calls, leave (with --hospital)."
    ),
    previous: Path = typer.Option(
        None, "--previous", help="Published roster.csv to re-plan from (with --hospital): changes are penalised."
    ),
    published_days: int = typer.Option(
        0, "--published-days", min=0, help="Days of --previous that are published and kept as they are."
    ),
    change_weight: int = typer.Option(10, "--change-weight", min=0, help="Penalty per changed draft cell."),
    as_json: bool = JsonOption,
) -> None:
    """Solve a 24/7 roster; print objective, breakdown by penalty, per-unit KPIs and the grid; export CSV/XLSX.

    Re-planning: ``--previous roster.csv --published-days 7 --days-off sick.csv`` keeps the published days
    (except the new days off), re-solves the rest and penalises every cell that differs from the previous
    roster by ``--change-weight``, starting the search from the previous roster.

    Hard rules: one shift a day, rest between shifts, maximum shifts of a type, contract minutes, maximum and
    minimum runs of work and rest, weekends, days off, minimum cover. When they cannot all hold, the message
    names the rules and the person/day in conflict.
    """
    if (benchmark is None) == (hospital is None):
        fail(t("cli.roster.one_source"), as_json)
    if benchmark is not None and (days_off is not None or previous is not None):
        fail(t("cli.roster.hospital_only"), as_json)
    settings = RosterSettings(time_limit_s=time_limit, seed=seed, workers=workers)
    notes: list[str] = []
    if benchmark is not None:
        try:
            inst = parse_instance(benchmark)
        except InstanceFormatError as exc:
            fail(exc, as_json)
        units = {"all": inst.staff_ids}
    else:
        inst, units, notes = _hospital_instance(hospital, dataset, weeks, deployment, days_off, as_json)
    if previous is not None and hospital is not None:
        try:
            plan = replan(inst, _previous(previous, inst, as_json), published_days, change_weight, settings)
        except ValueError as exc:
            fail(exc, as_json)
    else:
        plan = rostering.run(inst, settings).plan
    if plan.status in ("infeasible", "time_limit"):
        fail(t("cli.roster.no_plan", name=inst.name, status=label("common.status", plan.status),
               explanation=in_lang(plan.explanation) or ""), as_json, code=1)
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
        console.print(t("cli.wrote", None, path=str(path)), highlight=False)
