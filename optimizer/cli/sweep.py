"""``bienestar sweep``: run a grid of scenario variants on a process pool or a Ray cluster."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from optimizer.cli.common import JsonOption, console, fail, print_json, table
from optimizer.i18n import t
from optimizer.scenarios.sweep import SweepError, build_variants, parse_vary, run_sweep


def register(app: typer.Typer) -> None:
    """Add ``bienestar sweep``."""
    app.command("sweep")(sweep)


def sweep(
    scenario: Path = typer.Argument(..., exists=True, dir_okay=False, help="Base scenario YAML file."),
    vary: list[str] = typer.Option(..., "--vary", help="KEY=v1,v2 or KEY=a..b; repeat for a grid. "
                                   "Aliases: budget, incentive, recruits, month, seed."),
    executor: str = typer.Option("process", "--executor", help="process (local pool) or ray (RAY_ADDRESS "
                                 "or a local Ray)."),
    workers: int = typer.Option(2, "--workers", min=1, help="Variants run at once."),
    runs_dir: Path = typer.Option(None, "--runs-dir", help="Where run folders go (default: the runs folder)."),
    as_json: bool = JsonOption,
) -> None:
    """Run every combination of the varied values; print one comparison table (failed variants included)."""
    from optimizer.scenarios.registry import default_runs_dir
    from optimizer.scenarios.yamlfile import ScenarioError, load_scenario

    if executor not in {"process", "ray"}:
        fail(t("cli.sweep.executor", executor=executor), as_json)
    try:
        base = load_scenario(scenario)
        variants = build_variants(base, [parse_vary(v) for v in vary])
    except SweepError as exc:
        fail(exc, as_json)
    except ScenarioError as exc:
        fail(exc.text(), as_json)
    runs = runs_dir or default_runs_dir()
    if not as_json:
        console.print(t("cli.sweep.start", count=len(variants), name=base.name, executor=executor, workers=workers))
    result = run_sweep(variants, runs, executor=executor, workers=workers)  # type: ignore[arg-type]
    frame = result.table()
    out = runs / "sweeps" / f"{base.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "sweep.csv", index=False)
    (out / "sweep.json").write_text(json.dumps({"executor": executor, "workers": workers,
                                                "seconds": result.seconds, "failed": result.failed,
                                                "rows": frame.to_dict("records")}, indent=2, default=str))
    if as_json:
        print_json({"status": "ok" if not result.failed else "partial", "executor": executor,
                    "variants": len(variants), "failed": result.failed, "seconds": result.seconds,
                    "table": str(out / "sweep.csv"), "rows": frame.to_dict("records")})
        return
    shown = [c for c in frame.columns if c not in {"run_dir", "trace"}][:12]
    console.print(table(t("cli.sweep.title", count=len(variants), seconds=f"{result.seconds:.1f}"), shown,
                        result.shown()[shown].itertuples(index=False)))
    if result.failed:
        console.print(f"[red]{t('cli.sweep.failed', count=len(result.failed), failed=result.failed)}[/]")
    console.print(t("cli.sweep.written", path=out / "sweep.csv"))
