"""``bienestar access``: who is within reach of 24/7 surgery, and (``--where-next K``) where the next teams
should go (MCLP or p-median)."""

from __future__ import annotations

from pathlib import Path

import typer

from optimizer.access.export import write_tables
from optimizer.access.hospital_set import hospitals_24_7_from_capacity, read_hospital_set
from optimizer.access.kpis import AccessReport, access_report, municipality_access_table, points_access_table
from optimizer.access.odmatrix import OdMatrixError
from optimizer.access.run import run as run_where_next
from optimizer.access.scope import AccessScope, default_24_7, scope_from_dataset
from optimizer.access.settings import AccessSettings
from optimizer.access.validate import validate_report
from optimizer.access.where_next import WhereNextInput, WhereNextQuestion
from optimizer.cli.common import JsonOption, ScenarioOption, console, fail, label, print_json, resolve_inputs, table
from optimizer.i18n import in_lang, t


def register(app: typer.Typer) -> None:
    """Add ``access`` to the root app."""
    app.command("access")(access)


def _floats(text: str, as_json: bool) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        fail(t("cli.access.minutes_list", value=text), as_json)
    if not values or min(values) <= 0:
        fail(t("cli.access.minutes_positive"), as_json)
    return values


def _scope(dataset: Path, states: str | None, od_matrix: Path | None, resolution: str, as_json: bool,
           ) -> AccessScope:
    from optimizer.data.dataset import load_dataset

    if resolution not in {"localities", "municipalities"}:
        fail(t("cli.option.choice", option="--resolution", value=resolution, choices="localities, municipalities"),
             as_json)
    try:
        ds = load_dataset(dataset)
        codes = [s.strip().zfill(2) for s in states.split(",")] if states else None
        return scope_from_dataset(ds, states=codes, od_matrix_path=od_matrix, resolution=resolution)
    except (FileNotFoundError, OdMatrixError, ValueError) as exc:
        fail(exc, as_json)


def _hospital_set(spec: str, dataset: Path, scope: AccessScope, as_json: bool) -> frozenset[str]:
    try:
        if spec == "program":
            return default_24_7(scope.hospitals)
        if spec == "capacity":
            return hospitals_24_7_from_capacity(dataset)
        return read_hospital_set(spec, set(scope.hospitals["clues"]))
    except (FileNotFoundError, ValueError) as exc:
        fail(exc, as_json)


def access(
    dataset: Path = typer.Option(None, "--dataset", help="Dataset folder (facilities.csv, specialists.csv, ...)."),
    scenario: Path = ScenarioOption,
    minutes: str = typer.Option("60,120", "--minutes", help="Coverage thresholds in minutes, comma-separated."),
    hospitals_24_7: str = typer.Option(
        "program", "--hospitals-24-7",
        help="Which hospitals are 24/7: 'program' (program hospitals with an operating room), 'capacity' "
        "(the capacity model's 24/7 status from staff in post) or a CSV/Parquet file with a 'clues' column."),
    states: str = typer.Option(None, "--states", help="Limit the people to these CVE_ENT codes, e.g. 20,07."),
    resolution: str = typer.Option(
        "localities", "--resolution", help="Where people are counted: 'localities' (every locality of 1,000+ at "
        "its coordinates plus each municipality's remainder at its municipal point) or 'municipalities' (one "
        "point per municipality)."),
    od_matrix: Path = typer.Option(None, "--od-matrix", help="Road minutes CSV/Parquet (origin = population "
                                   "point id: 9-digit locality key or municipal cvegeo; destination; minutes) "
                                   "from a routing engine; missing pairs are estimated."),
    where_next: int = typer.Option(None, "--where-next", min=0, help="Choose K sites for the next teams."),
    model: str = typer.Option("mclp", "--model", help="Where-next model: mclp (coverage) or pmedian (minutes)."),
    candidates: str = typer.Option("hospitals", "--candidates",
                                   help="Where-next candidates: hospitals, or municipalities (new-site what-if)."),
    weighting: str = typer.Option(None, "--weighting", help="marginalisation (people x CONAPO degree weight) "
                                  "or population; default: marginalisation for mclp, population for pmedian."),
    budget: float = typer.Option(None, "--budget", help="Budget in the unit of --team-cost (default: none)."),
    team_cost: float = typer.Option(1.0, "--team-cost", help="Cost of one more team (MXN/month; 1 = count)."),
    time_limit: float = typer.Option(60.0, "--time-limit", help="Seconds for the where-next solve."),
    seed: int = typer.Option(0, "--seed", help="HiGHS random seed."),
    out: Path = typer.Option(None, "--out", help="Write the tables to this .xlsx (one sheet each) or .csv."),
    as_json: bool = JsonOption,
) -> None:
    """Population within reach of 24/7 surgery by state and marginalisation degree, equity, worst served;
    with --where-next K, the K sites whose next complete team covers the most (weighted) people."""
    _, dataset = resolve_inputs(dataset, scenario, as_json)
    thresholds = _floats(minutes, as_json)
    if model not in {"mclp", "pmedian"}:
        fail(t("cli.option.choice", option="--model", value=model, choices="mclp, pmedian"), as_json)
    weighting = weighting or ("marginalisation" if model == "mclp" else "population")
    if weighting not in {"marginalisation", "population"}:
        fail(t("cli.option.choice", option="--weighting", value=weighting, choices="marginalisation, population"),
             as_json)
    if candidates not in {"hospitals", "municipalities"}:
        fail(t("cli.option.choice", option="--candidates", value=candidates, choices="hospitals, municipalities"),
             as_json)
    scope = _scope(dataset, states, od_matrix, resolution, as_json)
    h24 = _hospital_set(hospitals_24_7, dataset, scope, as_json)
    rejects = [r.text() for r in scope.od_matrix.rejects] if scope.od_matrix else []
    if where_next is not None:
        if len(thresholds) != 1:
            fail(t("cli.access.where_next_minutes"), as_json)
        settings = AccessSettings(time_limit_s=time_limit, seed=seed, team_cost_mxn=team_cost,
                                  minutes=tuple(thresholds), model=model)
        _where_next(scope, h24, where_next, thresholds[0], model, candidates, weighting, budget, settings, out,
                    rejects, as_json)
        return
    report = access_report(scope, h24, thresholds)
    check = validate_report(report)
    if not check.ok:
        fail(t("cli.access.failed_validation", violations="; ".join(check.violations)), as_json)
    tables = report.tables() | {"municipalities": municipality_access_table(scope, h24, thresholds),
                                "points": points_access_table(scope, h24)}
    written = _write(out, tables, as_json)
    if as_json:
        print_json({"status": "ok", "total_population": report.total_population, "od_rejects": rejects,
                    "written": written, **report.to_dict()})
        return
    _print_report(report, rejects, written)


def _write(out: Path | None, tables: dict, as_json: bool) -> list[str]:
    if out is None:
        return []
    try:
        return [str(p) for p in write_tables(out, tables)]
    except (OSError, ValueError) as exc:
        fail(exc, as_json)


def _coverage_rows(df, key: str, thresholds: list[float]) -> list[list[object]]:
    rows = []
    for rec in df.to_dict(orient="records"):
        row = [rec[key], rec["population"]]
        for minutes in thresholds:
            share = rec[f"share_{minutes:g}"]
            row += [rec[f"within_{minutes:g}"], f"{100 * share:.1f}%" if share is not None else "-"]
        mean = rec["mean_minutes"]
        rows.append([*row, round(mean, 1) if mean is not None and mean == mean else "-"])
    return rows


def _print_report(report: AccessReport, rejects: list[str], written: list[str]) -> None:
    ths = report.thresholds
    cols = ["", t("cli.access.col.population")] + [
        c for x in ths for c in (t("cli.access.col.within", minutes=f"{x:g}"), t("cli.access.col.share"))
    ] + [t("cli.access.col.mean")]
    console.print(t("cli.access.headline", hospitals=report.hospitals_24_7, population=f"{report.total_population:,}",
                    points=f"{report.population_points:,}", resolution=report.resolution))
    for x in ths:
        console.print(t("cli.access.within", minutes=f"{x:g}", people=f"{report.headline[f'within_{x:g}']:,}",
                        pct=f"{100 * report.headline[f'share_{x:g}']:.1f}"))
    console.print(table(t("cli.access.by_degree"), cols,
                        _coverage_rows(report.by_degree.assign(degree=report.by_degree["degree"].map(
                            lambda d: label("enums.degree", d))), "degree", ths)))
    by_state = report.by_state.assign(label=report.by_state["cve_ent"] + " " + report.by_state["state"])
    console.print(table(t("cli.access.by_state"), cols, _coverage_rows(by_state, "label", ths)))
    bands = report.reach_bands
    console.print(table(t("cli.access.bands"), [_band_heading(c) for c in bands.columns],
                        [[_reach(r[0]), *r[1:]] for r in bands.itertuples(index=False)]))
    w = report.worst_served
    console.print(table(t("cli.access.worst"), [t(f"cli.access.col.{c}") for c in (
        "point", "place", "kind", "municipality", "state", "degree", "population", "minutes", "nearest")],
                        w[["point_id", "place", "kind", "municipality", "cve_ent", "degree", "population", "minutes",
                           "nearest_24_7"]].itertuples(index=False)))
    eq = report.equity
    console.print(t("cli.access.equity", values=", ".join(
        f"{k} = {v:.3f}" if isinstance(v, float) else f"{k} = -" for k, v in eq.items())))
    for r in rejects[:10]:
        console.print(f"[yellow]{t('cli.access.od_rejected')}[/] {r}", highlight=False)
    if len(rejects) > 10:
        console.print(f"[yellow]{t('cli.access.more_rejected', count=len(rejects) - 10)}[/]")
    for p in written:
        console.print(t("cli.wrote", None, path=str(p)), highlight=False)


def _band_heading(column: str) -> str:
    """A reach-band column heading in ``BIENESTAR_LANG`` (the CSV keeps its English column names)."""
    named = {"reach": "cli.access.col.reach", "population": "cli.access.col.population",
             "no hospital": "cli.access.no_hospital"}
    return t(named[column]) if column in named else column


def _reach(name: str) -> str:
    """What a reach band measures the travel time to, in ``BIENESTAR_LANG``."""
    if name.startswith("team: "):
        return t("cli.access.reach.team", specialty=label("enums.specialty", name[len("team: "):]))
    return {"24/7 surgery": t("cli.access.reach.surgery"), "pharmacy": t("cli.access.reach.pharmacy")}.get(name, name)


def _where_next(scope: AccessScope, h24: frozenset[str], k: int, limit: float, model: str, candidates: str,
                weighting: str, budget: float | None, settings: AccessSettings, out: Path | None, rejects: list[str],
                as_json: bool) -> None:
    try:
        question = WhereNextQuestion(k, limit, candidates=candidates, budget=budget, weighting=weighting)
        inp = WhereNextInput.from_scope(scope, sorted(h24), question, settings)
    except ValueError as exc:
        fail(exc, as_json)
    result = run_where_next(inp, settings)
    plan, check = result.plan, result.validation
    if plan.status in {"infeasible", "time_limit", "error"}:
        fail(t("cli.access.no_plan", model=model, status=label("common.status", plan.status),
              explanation=in_lang(plan.explanation)), as_json)
    names = dict(zip(scope.hospitals["clues"], scope.hospitals["name"], strict=True))
    names |= dict(zip(scope.municipalities["cvegeo"], scope.municipalities["name"], strict=True))
    sites = plan.sites.assign(name=plan.sites["site"].map(names))
    written = _write(out, {"where_next": sites}, as_json)
    if as_json:
        print_json({"status": "ok", "total_population": scope.total_population,
                    "population_points": len(scope.points), "resolution": scope.resolution, "minutes": limit,
                    "candidates": len(inp.candidate_ids), "hospitals_24_7": len(h24), "od_rejects": rejects,
                    "written": written, "validated_objective": check.objective,
                    "plan": plan.to_dict() | {"sites": sites.to_dict(orient="records")}})
        return
    gap = t("cli.access.gap", gap=f"{100 * plan.gap:.3f}") if plan.gap is not None else ""
    console.print(t("cli.access.where_next", model=model, weighting=weighting, k=k, minutes=f"{limit:g}",
                    count=len(inp.candidate_ids), candidates=candidates, hospitals=len(h24),
                    status=label("common.status", plan.status), gap=gap, objective=f"{plan.objective:,.1f}",
                    seconds=f"{plan.solve_seconds:.2f}"))
    console.print(table(t("cli.access.chosen"),
                        [t(f"cli.access.col.{c}") for c in ("site", "name", "added", "municipalities", "saved")],
                        sites[["site", "name", "population_added", "municipalities_added",
                               "weighted_minutes_saved"]].itertuples(index=False)))
    console.print(t("cli.access.people_within", minutes=f"{limit:g}", before=f"{plan.population_covered_before:,}",
                    after=f"{plan.population_covered_after:,}", total=f"{scope.total_population:,}"))
    for p in written:
        console.print(t("cli.wrote", None, path=str(p)), highlight=False)
