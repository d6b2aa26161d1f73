"""``bienestar data generate``: write the synthetic IMSS-Bienestar dataset (deterministic by seed)."""

from __future__ import annotations

from pathlib import Path

import typer

from optimizer.cli.common import JsonOption, console, print_json, table
from optimizer.cli.data import data_app
from optimizer.data.generate import GeneratorConfig, generate
from optimizer.i18n import t
from optimizer.paths import default_dataset_dir


@data_app.command("generate")
def data_generate(
    seed: int = typer.Option(42, "--seed", help="Random seed: the same seed gives the same files."),
    out: Path = typer.Option(None, "--out", help="Output folder (default: $BIENESTAR_HOME/dataset)."),
    records: int = typer.Option(200_000, "--records", min=1, help="Health-record rows (encounters) to write."),
    recruits: int = typer.Option(3244, "--recruits", min=1, help="Specialists in the 2025 recruitment pool."),
    as_json: bool = JsonOption,
) -> None:
    """Generate states, facilities, specialists, medicines, depots, vehicles, stock and records/ (Parquet)."""
    out = out or default_dataset_dir()
    summary = generate(out, GeneratorConfig(seed=seed, n_records=records, recruits=recruits))
    result = {"status": "ok", "out": str(summary.out_dir), "seed": seed, "counts": summary.counts,
              "women_share_recruits": round(summary.women_share_recruits, 4),
              "expansion_factor": round(summary.expansion_factor, 4)}
    if as_json:
        print_json(result)
        return
    console.print(table(t("cli.generate.title", path=summary.out_dir, seed=seed),
                        [t("cli.generate.col.item"), t("cli.generate.col.count")], sorted(summary.counts.items())))
    console.print(t("cli.generate.recruits", women=f"{summary.women_share_recruits:.1%}",
                    factor=f"{summary.expansion_factor:.1f}"))
