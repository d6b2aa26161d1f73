"""``bienestar deploy``: send the recruit pool to the program hospitals as complete 24/7 surgical teams."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import typer
from pydantic import ValidationError

from optimizer import deployment
from optimizer.access.scope import scope_from_dataset
from optimizer.access.settings import TravelSettings
from optimizer.capacity.run import hospitals_24_7_in_post
from optimizer.capacity.settings import CapacitySettings
from optimizer.cli.common import JsonOption, console, fail, label, print_json, table
from optimizer.deployment.access_term import TeamMoveEffect, team_effects
from optimizer.deployment.export import write_plan
from optimizer.deployment.inputs import DeploymentInputError, from_dataset
from optimizer.deployment.settings import DeploymentSettings
from optimizer.i18n import in_lang, t
from optimizer.paths import default_dataset_dir, home_dir
from optimizer.plan import Run


def register(app: typer.Typer) -> None:
    """Add ``deploy`` to the root app."""
    app.command("deploy")(deploy)


def _settings_and_dataset(scenario: Path | None, dataset: Path | None, as_json: bool) -> tuple[DeploymentSettings,
                                                                                                 Path]:
    if scenario is None:
        return DeploymentSettings(), dataset or default_dataset_dir()
    from optimizer.scenarios.basedata import resolve_base
    from optimizer.scenarios.yamlfile import load_scenario

    try:
        sc = load_scenario(scenario).seeded()
        return sc.deployment, dataset or resolve_base(sc.dataset, scenario)
    except (OSError, ValueError) as exc:
        fail(exc, as_json)
        raise  # unreachable: fail() exits


def _linked_settings(scenario: Path | None, as_json: bool) -> tuple[CapacitySettings, TravelSettings]:
    """The scenario's capacity settings (hours really worked, the 24/7 base set) and travel settings (the
    access scope), or their defaults."""
    if scenario is None:
        return CapacitySettings(), TravelSettings()
    from optimizer.scenarios.yamlfile import load_scenario

    try:
        sc = load_scenario(scenario)
        return sc.capacity, sc.access.travel
    except (OSError, ValueError) as exc:
        fail(exc, as_json)
        raise  # unreachable: fail() exits


def deploy(
    dataset: Path | None = typer.Option(None, "--dataset", help="Dataset folder (default: $BIENESTAR_HOME/dataset)."),
    scenario: Path | None = typer.Option(None, "--scenario", help="Scenario YAML; its `deployment:` settings apply."),
    solver: str | None = typer.Option(None, "--solver", help="highs (default), cbc or cpsat."),
    out: Path | None = typer.Option(None, "--out", help="Folder for the plan CSV/XLSX (default: $BIENESTAR_HOME/"
                                                          "deployment)."),
    current: Path | None = typer.Option(None, "--current", help="Current deployment (assignments.csv) to re-plan."),
    pin: bool = typer.Option(False, "--pin", help="Keep every currently deployed person in place."),
    time_limit: float | None = typer.Option(None, "--time-limit", help="Seconds for the whole solve."),
    seed: int | None = typer.Option(None, "--seed", help="Solver seed."),
    budget: float | None = typer.Option(None, "--budget", help="Monthly incentive budget, MXN."),
    access_weight: float | None = typer.Option(
        None, "--access-weight", help="Objective units per person newly within reach of 24/7 surgery "
        "(degree-weighted); e.g. 0.001 = 1,000 people worth one weighted procedure/week. Default 0."),
    access_minutes: float | None = typer.Option(None, "--access-minutes", help="Travel minutes counted as within "
                                                "reach (default 120)."),
    contract_hours: bool = typer.Option(
        False, "--contract-hours", help="Plan on full contract hours (absences covered by substitutes) instead of "
        "the hours really worked after holidays, leave and training (the capacity model's availability)."),
    as_json: bool = JsonOption,
) -> None:
    """Deploy recruits as complete 24/7 surgical teams; print KPIs and write the plan (CSV + XLSX)."""
    base, ds_dir = _settings_and_dataset(scenario, dataset, as_json)
    overrides = {k: v for k, v in {"solver": solver, "time_limit_s": time_limit, "seed": seed,
                                    "budget_mxn_month": budget, "replan": "pin" if pin else None,
                                    "access_weight": access_weight, "access_minutes": access_minutes}.items()
                 if v is not None}
    try:
        settings = DeploymentSettings.model_validate({**base.model_dump(), **overrides})
    except ValidationError as exc:
        fail(t("cli.settings_error", loc=exc.errors()[0]["loc"], msg=exc.errors()[0]["msg"]), as_json)
    inp = _input(ds_dir, current, scenario, contract_hours, settings, as_json)
    from optimizer.solvers.silence import stdout_to_stderr

    with stdout_to_stderr(as_json):  # C-level solver banners must not break the JSON on stdout
        result = deployment.run(inp, settings)
    plan = result.plan
    if plan.status in ("infeasible", "time_limit", "error"):
        _fail_without_plan(plan, as_json)
    out_dir = out or home_dir() / "deployment"
    paths = write_plan(inp, plan, result.kpis, out_dir)
    effects = team_effects(inp, plan)
    if as_json:
        print_json(_json_doc(result, effects, paths))
        return
    _print_report(inp, result, effects)
    console.print(t("cli.deploy.written", path=out_dir, files=", ".join(p.name for p in paths)))


def _input(ds_dir: Path, current: Path | None, scenario: Path | None, contract_hours: bool,
           settings: DeploymentSettings, as_json: bool) -> deployment.Input:
    """The deployment input of the dataset, with the current deployment, the access scope and the 24/7 base
    set computed from the scenario's own capacity and travel settings; a bad file is a clear error."""
    from optimizer.data.dataset import load_dataset

    try:
        ds = load_dataset(ds_dir)
        cur = pd.read_csv(current, dtype=str) if current is not None else None
        capacity, travel = _linked_settings(scenario, as_json)
        availability = 1.0 if contract_hours else capacity.allowances.availability
        return deployment.with_access(from_dataset(ds, cur, availability=availability), settings,
                                      scope_from_dataset(ds, travel=travel), hospitals_24_7_in_post(ds, capacity))
    except (FileNotFoundError, DeploymentInputError, pd.errors.ParserError) as exc:
        fail(exc, as_json)
        raise  # unreachable: fail() exits


def _fail_without_plan(plan: deployment.Plan, as_json: bool) -> None:
    """No plan to write: the status and why (exit 1)."""
    if as_json:
        print_json({"status": plan.status, "objective": None, "gap": None, "solve_seconds": plan.solve_seconds,
                    "explanation": plan.explanation, "kpis": None, "assignments": []})
        raise typer.Exit(1)
    fail(in_lang(plan.explanation) or plan.status)


def _json_doc(result: Run[deployment.Plan], effects: list[TeamMoveEffect], paths: list[Path]) -> dict[str, Any]:
    """``deploy --json``: the run's outcome, validator verdict and one KPI dict, then the plan's details."""
    plan, check = result.plan, result.validation
    return {
        "status": plan.status, "objective": plan.objective, "bound": plan.bound, "gap": plan.gap,
        "solve_seconds": plan.solve_seconds, "solver": plan.solver, "seed": plan.seed,
        "validator": {"violations": check.violations, "objective": check.objective},
        "kpis": result.kpis, "stages": plan.stages,
        "assignments": [{"specialist": a.specialist, "hospital": a.hospital, "role": a.role.value}
                        for a in plan.assignments],
        "short": plan.short, "team_access_effects": effects, "files": [str(p) for p in paths],
    }


def _print_report(inp: deployment.Input, result: Run[deployment.Plan], effects: list[TeamMoveEffect]) -> None:
    """The console report: outcome, KPIs, coverage by degree and state, short reasons, team access effects."""
    plan, check, kpis = result.plan, result.validation, result.kpis
    gap = f"{100 * plan.gap:.3f}%" if plan.gap is not None else "-"
    console.print(t("cli.deploy.summary", status=label("common.status", plan.status),
                    objective=f"{plan.objective:,.2f}", gap=gap, seconds=f"{plan.solve_seconds:.1f}",
                    solver=plan.solver, seed=plan.seed)
                  + (f"[green]{t('cli.validator.ok')}[/]" if check.ok
                     else f"[red]{t('cli.validator.violations', count=len(check.violations))}[/]"))
    console.print(table(t("cli.kpi.title"), [t("cli.kpi.col.kpi"), t("cli.kpi.col.value")], _kpi_rows(kpis)))
    console.print(table(t("cli.deploy.by_degree"), _heads("degree", "demand", "covered") + ["%"],
                        [(label("enums.degree", r["degree"]), r["demand"], r["covered"], f"{r['pct']:.1f}")
                         for r in kpis["coverage_by_degree"]]))
    console.print(table(t("cli.deploy.by_state"), _heads("state", "name", "demand", "covered") + ["%"],
                        [(r["state"], r["name"], r["demand"], r["covered"], f"{r['pct']:.1f}")
                         for r in kpis["coverage_by_state"]]))
    reasons: dict[str, int] = {}
    for x in plan.short:
        reasons[x.reason] = reasons.get(x.reason, 0) + 1
    console.print(table(t("cli.deploy.short_title"), _heads("reason", "count"),
                        [(label("enums.short_reason", r), n) for r, n in sorted(reasons.items())]))
    if effects:
        withdraw = [e for e in effects if e.change == "withdraw"]  # most reach lost first
        shown = withdraw[-10:] + [e for e in effects if e.change == "add"]
        minutes = f"{inp.access.minutes_limit if inp.access else 0:g}"
        console.print(table(
            t("cli.deploy.effects_title", minutes=minutes), _heads("hospital", "change", "people", "weighted"),
            [(e.hospital, label("cli.deploy.change", e.change), f"{e.people:+,.0f}", f"{e.weighted:+,.0f}")
             for e in shown]))


def _heads(*names: str) -> list[str]:
    """Column headings of the deploy report in ``BIENESTAR_LANG``."""
    return [t(f"cli.deploy.col.{n}") for n in names]


def _kpi_rows(k: dict) -> list[tuple[str, object]]:
    """The KPI table of ``bienestar deploy`` from :func:`optimizer.deployment.kpis`."""
    budget = k["budget_mxn_month"]
    rows: list[tuple[str, object]] = [
        (t("cli.deploy.kpi.covered"),
         t("cli.deploy.kpi.covered_value", covered=f"{k['covered_procedures_per_week']:,.1f}",
           demand=f"{k['demand_procedures_per_week']:,.1f}", pct=f"{k['coverage_pct']:.1f}")),
        (t("cli.deploy.kpi.hospitals"), t("cli.deploy.kpi.of", part=k["hospitals_24_7"], whole=k["hospitals"])),
        (t("cli.deploy.kpi.slots"), k["team_slots"]),
        (t("cli.deploy.kpi.deployed"), t("cli.deploy.kpi.of", part=k["deployed"], whole=k["candidates"])),
        (t("cli.deploy.kpi.budget"),
         f"{k['pay_mxn_month']:,.0f}" if budget is None
         else t("cli.deploy.kpi.of", part=f"{k['pay_mxn_month']:,.0f}", whole=f"{budget:,.0f}")),
        (t("cli.deploy.kpi.km"), f"{k['relocation_km']:,.0f} / {k['km_mean']:,.0f}"),
        (t("cli.deploy.kpi.women"), f"{100 * k['women_share_deployed']:.1f}%"),
        (t("cli.deploy.kpi.moves"), k["moves"]),
    ]
    if "access_minutes" in k:
        rows.append((t("cli.deploy.kpi.access", minutes=f"{k['access_minutes']:g}"),
                     t("cli.deploy.kpi.access_value", within=f"{k['access_people_within_after']:,.0f}",
                       population=f"{k['access_population']:,.0f}", gained=f"{k['access_people_gained']:,.0f}")))
    return rows
