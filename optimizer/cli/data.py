"""``bienestar db ...`` and ``bienestar data ...``: create the store, validate and load a dataset folder."""

from __future__ import annotations

from pathlib import Path

import duckdb
import typer
from sqlalchemy.exc import SQLAlchemyError

from optimizer.cli.common import JsonOption, console, fail, print_json, table
from optimizer.data.loaders import load_dataset_files
from optimizer.data.privacy import PseudonymKeyError
from optimizer.data.rejects import DataFileError, write_rejects
from optimizer.data.store import default_rejects_path, init_db, load_dataset_into_store, normalise_url

db_app = typer.Typer(help="The store (SQLite by default, any SQLAlchemy URL via BIENESTAR_DB_URL).",
                     no_args_is_help=True)
data_app = typer.Typer(help="Datasets: validate and load folders of CSV/Parquet/XLSX tables and records.",
                       no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``db`` and ``data`` command groups to the root app."""
    app.add_typer(db_app, name="db")
    app.add_typer(data_app, name="data")


@db_app.command("init")
def db_init(
    url: str = typer.Option(None, "--url", help="SQLAlchemy URL; default BIENESTAR_DB_URL or the SQLite file."),
    as_json: bool = JsonOption,
) -> None:
    """Create the store's tables (safe to run again: existing tables and rows are kept)."""
    try:
        engine = init_db(url)
    except (SQLAlchemyError, ValueError, ImportError) as exc:  # bad URL, server down, driver missing
        fail(f"cannot initialise the database: {str(exc).splitlines()[0]}", as_json)
    shown = engine.url.render_as_string(hide_password=True)
    tables = sorted(engine.dialect.get_table_names(engine.connect()))
    if as_json:
        print_json({"status": "ok", "db_url": shown, "tables": tables})
    else:
        console.print(f"store ready at [bold]{shown}[/]: {len(tables)} tables ({', '.join(tables)})")


def _counts_table(title: str, counts: dict[str, dict[str, int]]) -> None:
    rows = [(name, c["read"], c["kept"], c["rejected"]) for name, c in counts.items()]
    console.print(table(title, ["table", "rows read", "kept", "rejected"], rows))


@data_app.command("load")
def data_load(
    folder: Path = typer.Argument(..., help="Dataset folder (states, facilities, ... .csv/.parquet/.xlsx, records/)."),
    url: str = typer.Option(None, "--url", help="SQLAlchemy URL; default BIENESTAR_DB_URL or the SQLite file."),
    rejects: Path = typer.Option(None, "--rejects", help="Rejects report CSV (default home/rejects/<folder>.csv)."),
    as_json: bool = JsonOption,
) -> None:
    """Validate a dataset folder and load it into the store (idempotent: loading twice adds nothing).

    Bad rows are skipped and listed in the rejects report (file,row,field,value,reason; header = row 1).
    """
    try:
        report = load_dataset_into_store(folder, url=url and normalise_url(url), rejects_path=rejects)
    except (DataFileError, PseudonymKeyError, ValueError) as exc:
        fail(str(exc), as_json)
    except SQLAlchemyError as exc:  # server down, bad URL, permissions
        fail(f"database error: {exc.__class__.__name__}: {str(exc).splitlines()[0]}", as_json)
    except duckdb.Error as exc:  # unreadable or corrupt Parquet records
        fail(f"cannot read the records in {folder / 'records'}: {str(exc).splitlines()[0]}", as_json)
    if as_json:
        print_json({"status": "ok", **report.__dict__})
        return
    _counts_table(f"Loaded {report.source} into {report.db_url}", report.counts)
    if report.demand_rows:
        console.print(f"demand aggregates: {report.demand_rows['surgical_demand']:,} surgical rows, "
                      f"{report.demand_rows['medicine_demand']:,} medicine rows (fewer than 5 patients "
                      f"suppressed); pseudonymised records in {report.records_dir}")
    _print_rejects(report.n_rejects, report.rejects_path, report.first_rejects)
    console.print(f"done in {report.seconds:.1f} s")


@data_app.command("validate")
def data_validate(
    folder: Path = typer.Argument(..., help="Dataset folder to check (entity tables only; nothing is stored)."),
    rejects: Path = typer.Option(None, "--rejects", help="Rejects report CSV (default home/rejects/<folder>.csv)."),
    as_json: bool = JsonOption,
) -> None:
    """Check every row of the entity tables in a folder and write the rejects report, without loading."""
    try:
        tables = load_dataset_files(folder)
    except DataFileError as exc:
        fail(str(exc), as_json)
    path = rejects or default_rejects_path(folder)
    n = write_rejects(path, tables.rejects)
    first = [r.message() for r in tables.rejects[:10]]
    if as_json:
        print_json({"status": "ok", "counts": tables.counts(), "n_rejects": n, "rejects_path": path,
                    "first_rejects": first})
        return
    _counts_table(f"Validated {folder}", tables.counts())
    _print_rejects(n, path, first)


def _print_rejects(n: int, path: Path, first: list[str]) -> None:
    if n == 0:
        console.print("no rejected rows")
        return
    console.print(f"[yellow]{n:,} problem(s)[/] written to {path}; first ones:")
    for msg in first:
        console.print(f"  {msg}", markup=False, highlight=False)
