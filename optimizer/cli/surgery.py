"""``bienestar surgery``: schedule a surgical waiting list (admission day, room, theatre, nurses).

``--benchmark INSTANCE.json`` reads an IHTC-2024 instance and writes the official solution file; the cost
breakdown is printed as the official validator prints it. ``--scenario FILE.yaml --hospital CLUES`` builds the
hospital's instance from the scenario's dataset (``optimizer.surgery.hospital``) and schedules it.
"""

from __future__ import annotations

from pathlib import Path

import typer

from optimizer.cli.common import JsonOption, console, err_console, fail, print_json, resolve_inputs
from optimizer.i18n import t
from optimizer.surgery import Input, Settings, run
from optimizer.surgery.io import InstanceError, read_instance, write_solution
from optimizer.surgery.validate import evaluate


def register(app: typer.Typer) -> None:
    """Add ``surgery`` to the root app."""
    app.command("surgery")(surgery)


def _hospital_input(scenario: Path, hospital: str, weeks: int, as_json: bool,
                    lang: str | None) -> tuple[Input, list[str]]:
    from optimizer.data.dataset import load_dataset
    from optimizer.surgery.hospital import from_dataset

    _, dataset = resolve_inputs(None, scenario, as_json)
    try:
        h = from_dataset(load_dataset(dataset), hospital, weeks)
    except (ValueError, FileNotFoundError) as exc:
        fail(exc, as_json)
    if not h.input.patients:
        fail(t("cli.surgery.no_patients", lang, clues=hospital, name=h.name), as_json)
    return h.input, [f"{hospital}: {h.name}", *h.notes]


def surgery(
    benchmark: Path = typer.Option(None, "--benchmark", help="IHTC-2024 instance (JSON) to schedule."),
    scenario: Path = typer.Option(None, "--scenario", help="Scenario YAML whose dataset holds the hospital."),
    hospital: str = typer.Option(None, "--hospital", help="CLUES of the hospital (with --scenario)."),
    weeks: int = typer.Option(2, "--weeks", min=1, max=8, help="Horizon in weeks (with --scenario)."),
    time_limit: float = typer.Option(60.0, "--time-limit", min=0.1, help="Wall-clock limit, seconds."),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed."),
    out: Path = typer.Option(None, "--out", help="Solution file to write (official IHTC-2024 JSON)."),
    lang: str = typer.Option(None, "--lang", help="es (default) or en, for what a person reads."),
    as_json: bool = JsonOption,
) -> None:
    """Programa la lista de espera quirúrgica: día de ingreso, cama, quirófano y enfermería por turno."""
    notes: list[str] = []
    if benchmark is not None:
        try:
            inp = read_instance(benchmark)
        except InstanceError as exc:
            fail(t("cli.surgery.bad_instance", lang, error=exc), as_json)
    elif scenario is not None and hospital:
        inp, notes = _hospital_input(scenario, hospital, weeks, as_json, lang)
    else:
        fail(t("cli.surgery.usage", lang), as_json)
    result = run(inp, Settings(time_limit_s=time_limit, seed=seed))
    if out is not None:
        write_solution(inp, result.plan, out)
    b = evaluate(inp, result.plan)
    doc = {
        "status": result.plan.status,
        "cost": b.total_cost,
        "hard_violations": b.total_violations,
        "violations": b.violations,
        "costs": {t: {"weight": b.weights[t], "count": c, "cost": b.weights[t] * c} for t, c in b.costs.items()},
        "wall_time_s": round(result.plan.solve_seconds, 2),
        "solution": str(out) if out else None,
        "kpis": result.kpis,
        "notes": notes,
    }
    if as_json:
        print_json(doc)
        return
    for note in notes:
        err_console.print(note, markup=False, highlight=False)
    for line in b.lines():
        console.print(line, markup=False, highlight=False)
    if scenario is not None:
        for key, value in result.kpis.items():
            console.print(f"{t(f'cli.surgery.kpi.{key}', lang)}: {value}", markup=False, highlight=False)
    console.print(t("cli.surgery.summary", lang, status=t(f"common.status.{result.plan.status}", lang),
                    violations=b.total_violations, cost=b.total_cost, seconds=f"{result.plan.solve_seconds:.1f}"),
                  highlight=False)
    if out is not None:
        console.print(t("cli.surgery.written", lang, path=out), highlight=False)
