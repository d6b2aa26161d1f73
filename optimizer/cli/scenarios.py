"""`bienestar run`, `rerun`, `compare` and `report`: scenarios as the unit of work."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from optimizer.cli.common import JsonOption, console, fail, label, print_json, table
from optimizer.i18n import MsgError, t
from optimizer.scenarios.compare import ComparisonTable, compare_runs
from optimizer.scenarios.runner import RunError, RunResult, failure, rerun, run_scenario
from optimizer.solvers.silence import stdout_to_stderr

#: How a run can be named on the command line.
RUN_REF = "run folder, folder name, scenario name (its latest run) or run id prefix"
RunsDirOption = typer.Option(None, "--runs-dir", help="folder of run folders (default $BIENESTAR_HOME/runs)")


def _summary(result: RunResult) -> dict:
    return {"status": result.status, "run_id": result.run_id, "run_dir": str(result.run_dir),
            "scenario": result.scenario, "stage_status": result.stage_status, "timings_s": result.timings,
            "plans_digest": result.plans_digest, "message": result.message.text() if result.message else None,
            "kpis": result.kpis}


def _reason(exc: Exception) -> str:
    """Why a run could not start, in ``BIENESTAR_LANG`` (Spanish unless asked otherwise) when it is the
    scenario's or the runner's own message."""
    return failure(exc).text() if isinstance(exc, MsgError | RunError) else str(exc)


def _print_run(result: RunResult) -> None:
    rows = [(label("cli.stage", stage), label("common.status", result.stage_status.get(stage, "")),
             result.timings.get(stage, 0.0)) for stage in result.stage_status]
    heads = [t(f"cli.run.col.{c}") for c in ("stage", "status", "seconds")]
    console.print(table(t("cli.run.title", run=result.run_dir.name, status=label("common.status", result.status)),
                        heads, rows))
    console.print(t("cli.run.total", seconds=f"{result.timings.get('total', 0.0):.1f}",
                    digest=result.plans_digest[:16]))
    if result.message:
        console.print(f"[red]{result.message.text()}[/] " + t("cli.run.details", path=result.run_dir / "log.txt"))


def print_comparison(cmp: ComparisonTable) -> None:
    """The comparison as a rich table: KPI, A, B, delta (green when B is better)."""
    rows = []
    for r in cmp.rows:
        if r.a is None and r.b is None:
            continue
        mark = "" if r.better is None else (f"[green]{t('cli.compare.better')}[/]" if r.better
                                            else f"[red]{t('cli.compare.worse')}[/]")
        rows.append((r.label, r.unit, _num(r.a), _num(r.b), _num(r.delta), mark))
    title = f"A = {cmp.scenario_a} ({cmp.run_a})   B = {cmp.scenario_b} ({cmp.run_b})"
    console.print(table(title, [t("cli.compare.col.kpi"), t("cli.compare.col.unit"), "A", "B", "B - A", ""], rows))
    st = cmp.by_state
    cols = [c for c in ("coverage_pct", "hospitals_24_7", "access_60") if f"{c}_delta" in st]
    if cols:
        top = st.assign(_key=st[f"{cols[0]}_delta"].abs()).sort_values("_key", ascending=False).head(10)
        head = [t("cli.compare.col.state")] + [f"{c} {x}" for c in cols for x in ("A", "B", "B - A")]
        body = [[r.get("state") or r["cve_ent"]] + [_num(r[f"{c}_{x}"]) for c in cols for x in ("a", "b", "delta")]
                for r in top.to_dict("records")]
        console.print(table(t("cli.compare.equity_title", column=cols[0]), head, body))


def _num(v: float | None) -> str:
    if v is None or v != v:
        return "-"
    return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"


def register(app: typer.Typer) -> None:
    """Add the scenario commands to the root app."""
    app.command("run")(run_cmd)
    app.command("rerun")(rerun_cmd)
    app.command("compare")(compare_cmd)
    app.command("report")(report_cmd)


def run_cmd(scenario: Path = typer.Argument(..., help="scenario YAML, e.g. scenarios/baseline.yaml"),
            runs_dir: Path | None = RunsDirOption, as_json: bool = JsonOption) -> None:
    """Run a scenario: prepare inputs, chain the models, write plans, KPIs and logs to a run folder."""
    try:
        with stdout_to_stderr(as_json):
            result = run_scenario(scenario, runs_dir, progress=not as_json)
    except (MsgError, RunError, FileNotFoundError) as exc:
        fail(_reason(exc), as_json)
        return
    if as_json:
        print_json(_summary(result))
    else:
        _print_run(result)
    if result.status == "error":
        raise typer.Exit(1)


def rerun_cmd(run: str = typer.Argument(..., help=RUN_REF),
              runs_dir: Path | None = RunsDirOption, as_json: bool = JsonOption) -> None:
    """Reproduce a run from its folder alone; reports whether the plans are identical."""
    try:
        with stdout_to_stderr(as_json):
            result, original = rerun(run, runs_dir, progress=not as_json)
    except FileNotFoundError as exc:
        fail(exc, as_json)
        return
    before = json.loads((original / "run.json").read_text()).get("plans_digest")
    same = before == result.plans_digest
    if as_json:
        print_json({**_summary(result), "original": str(original), "identical_plans": same})
    else:
        _print_run(result)
        console.print(f"[green]{t('cli.rerun.identical', run=original.name)}[/]" if same
                      else f"[red]{t('cli.rerun.differ', run=original.name)}[/]")
    if not same:
        raise typer.Exit(1)


def compare_cmd(run_a: str = typer.Argument(..., help=f"run A: {RUN_REF}"),
                run_b: str = typer.Argument(..., help="run B"),
                runs_dir: Path | None = RunsDirOption, as_json: bool = JsonOption) -> None:
    """KPI deltas B - A: coverage, 24/7 hospitals, fill rates, km, cost, access, equity by state."""
    try:
        cmp = compare_runs(run_a, run_b, runs_dir)
    except FileNotFoundError as exc:
        fail(exc, as_json)
        return
    if as_json:
        print_json(cmp.to_dict())
    else:
        print_comparison(cmp)


def report_cmd(run: str = typer.Argument(..., help=RUN_REF),
               out: Path | None = typer.Option(None, "--out", help="HTML file (default <run>/report.html)"),
               against: str | None = typer.Option(None, "--against", help="a run to compare with"),
               lang: str | None = typer.Option(None, "--lang", help="es or en (default BIENESTAR_LANG, else es)"),
               runs_dir: Path | None = RunsDirOption, as_json: bool = JsonOption) -> None:
    """Write a self-contained HTML report (map, charts, heat-maps) and XLSX workbooks per audience."""
    from optimizer.reports.html import write_report
    from optimizer.reports.xlsx import write_workbooks
    from optimizer.scenarios.registry import find_run

    try:
        run_dir = find_run(run, runs_dir)
        other = find_run(against, runs_dir) if against else None
    except FileNotFoundError as exc:
        fail(exc, as_json)
        return
    for d in (run_dir, other):
        if d is not None and not (d / "kpis.json").exists():
            info = json.loads((d / "run.json").read_text())
            fail(t("cli.report.no_plans", run=d.name, status=info.get("status"), message=info.get("message")),
                 as_json)
    html = write_report(run_dir, out, against=other, lang=lang)
    books = write_workbooks(run_dir, html.parent, against=other, lang=lang)
    if as_json:
        print_json({"status": "ok", "report": str(html), "workbooks": [str(b) for b in books]})
    else:
        console.print(t("cli.report.report", path=html))
        for b in books:
            console.print(t("cli.report.workbook", path=b))
