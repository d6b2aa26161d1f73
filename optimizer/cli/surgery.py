"""``bienestar surgery``: schedule a surgical waiting list (admission day, room, theatre, nurses).

``--benchmark INSTANCE.json`` reads an IHTC-2024 instance and writes the official solution file; the cost
breakdown is printed as the official validator prints it.
"""

from __future__ import annotations

from pathlib import Path

import typer

from optimizer.cli.common import JsonOption, console, fail, print_json
from optimizer.surgery import Settings, run
from optimizer.surgery.io import InstanceError, read_instance, write_solution
from optimizer.surgery.validate import evaluate

STATUS_ES = {"optimal": "óptimo", "feasible": "factible", "time_limit": "límite de tiempo",
             "infeasible": "no factible", "error": "error"}


def register(app: typer.Typer) -> None:
    """Add ``surgery`` to the root app."""
    app.command("surgery")(surgery)


def surgery(
    benchmark: Path = typer.Option(..., "--benchmark", help="IHTC-2024 instance (JSON) to schedule."),
    time_limit: float = typer.Option(60.0, "--time-limit", min=0.1, help="Wall-clock limit, seconds."),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed."),
    out: Path = typer.Option(..., "--out", help="Solution file to write (official JSON)."),
    as_json: bool = JsonOption,
) -> None:
    """Programa la lista de espera quirúrgica: día de ingreso, cama, quirófano y enfermería por turno."""
    try:
        inp = read_instance(benchmark)
    except InstanceError as exc:
        fail(f"instancia no válida: {exc}", as_json)
    result = run(inp, Settings(time_limit_s=time_limit, seed=seed))
    write_solution(inp, result.plan, out)
    b = evaluate(inp, result.plan)
    doc = {
        "status": result.plan.status,
        "cost": b.total_cost,
        "hard_violations": b.total_violations,
        "violations": b.violations,
        "costs": {t: {"weight": b.weights[t], "count": c, "cost": b.weights[t] * c} for t, c in b.costs.items()},
        "wall_time_s": round(result.plan.solve_seconds, 2),
        "solution": str(out),
        "kpis": result.kpis,
    }
    if as_json:
        print_json(doc)
        return
    for line in b.lines():
        console.print(line, markup=False, highlight=False)
    console.print(f"Estado: {STATUS_ES[result.plan.status]}; violaciones duras: {b.total_violations}; "
                  f"costo total: {b.total_cost}; tiempo: {result.plan.solve_seconds:.1f} s", highlight=False)
    console.print(f"Solución escrita en {out}", highlight=False)
