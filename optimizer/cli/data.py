"""``bienestar db ...`` and ``bienestar data ...``: create the store, validate and load a dataset folder."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import typer
from sqlalchemy.exc import SQLAlchemyError

from optimizer.cli.common import JsonOption, console, fail, print_json, table
from optimizer.data.clues_import import ChangeReport, import_into_dataset, import_into_store
from optimizer.data.loaders import load_dataset_files
from optimizer.data.privacy import PseudonymKeyError
from optimizer.data.rejects import DataFileError, write_rejects
from optimizer.data.store import default_rejects_path, init_db, load_dataset_into_store, normalise_url
from optimizer.i18n import t
from optimizer.paths import home_dir

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
        fail(t("cli.db.cannot_init", error=str(exc).splitlines()[0]), as_json)
    shown = engine.url.render_as_string(hide_password=True)
    tables = sorted(engine.dialect.get_table_names(engine.connect()))
    if as_json:
        print_json({"status": "ok", "db_url": shown, "tables": tables})
    else:
        console.print(t("cli.db.ready", url=shown, count=len(tables), tables=", ".join(tables)))


def _counts_table(title: str, counts: dict[str, dict[str, int]]) -> None:
    rows = [(name, c["read"], c["kept"], c["rejected"]) for name, c in counts.items()]
    heads = [t(f"cli.data.col.{c}") for c in ("table", "read", "kept", "rejected")]
    console.print(table(title, heads, rows))


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
        fail(exc, as_json)
    except SQLAlchemyError as exc:  # server down, bad URL, permissions
        fail(t("cli.db.error", error=f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}"), as_json)
    except duckdb.Error as exc:  # unreadable or corrupt Parquet records
        fail(t("cli.data.cannot_read_records", folder=str(folder / "records"), error=str(exc).splitlines()[0]), as_json)
    if as_json:
        print_json({"status": "ok", **report.__dict__})
        return
    _counts_table(t("cli.data.loaded_title", source=report.source, url=report.db_url), report.counts)
    if report.demand_rows:
        console.print(t("cli.data.demand", surgical=f"{report.demand_rows['surgical_demand']:,}",
                        medicine=f"{report.demand_rows['medicine_demand']:,}", records=report.records_dir))
    _print_rejects(report.n_rejects, report.rejects_path, report.first_rejects)
    console.print(t("cli.data.done", seconds=f"{report.seconds:.1f}"))


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
        fail(exc, as_json)
    path = rejects or default_rejects_path(folder)
    n = write_rejects(path, tables.rejects)
    first = [r.message() for r in tables.rejects[:10]]
    if as_json:
        print_json({"status": "ok", "counts": tables.counts(), "n_rejects": n, "rejects_path": path,
                    "first_rejects": first})
        return
    _counts_table(t("cli.data.validated_title", folder=folder), tables.counts())
    _print_rejects(n, path, first)


def _print_rejects(n: int, path: Path, first: list[str]) -> None:
    if n == 0:
        console.print(t("cli.data.no_rejects"))
        return
    console.print(f"[yellow]{t('cli.data.problems', count=f'{n:,}')}[/] " + t("cli.data.written_first", path=str(path)),
                  highlight=False)
    for msg in first:
        console.print(f"  {msg}", markup=False, highlight=False)


@data_app.command("import-clues")
def data_import_clues(
    file: Path = typer.Argument(..., help="DGIS's CLUES workbook (.xlsx, first sheet) or a CSV of it, 55 columns."),
    institution: str = typer.Option(None, "--institution", help="Keep only this institution's keys (IMB, IMS, SSA)."),
    dataset: Path = typer.Option(None, "--dataset", help="Update DIR/facilities.csv."),
    store: bool = typer.Option(False, "--store", help="Update the store's facilities (BIENESTAR_DB_URL / --url)."),
    url: str = typer.Option(None, "--url", help="SQLAlchemy URL with --store; default BIENESTAR_DB_URL or SQLite."),
    report: Path = typer.Option(None, "--report", help="Change report CSV (default home/imports/clues-<file>.csv)."),
    lang: str = typer.Option(None, "--lang", help="es (default) or en, for the report a planner reads."),
    as_json: bool = JsonOption,
) -> None:
    """Update the facility catalogue from DGIS's CLUES file: new units added, changed units updated, units out of
    operation or no longer listed marked closed (never deleted); every row checked (file, row, field)."""
    if (dataset is None) == (not store):
        fail(t("cli.data.one_target"), as_json)
    try:
        result = (import_into_dataset(file, dataset, institution, lang) if dataset is not None
                  else import_into_store(file, url and normalise_url(url), institution, lang))
    except DataFileError as exc:
        fail(exc, as_json)
    except SQLAlchemyError as exc:
        fail(t("cli.db.error", error=f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}"), as_json)
    path = report or home_dir() / "imports" / f"clues-{file.stem}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(result.lines(), columns=["action", "clues", "row", "field", "value", "reason"]).to_csv(
        path, index=False)
    if as_json:
        print_json({"status": "ok", "counts": result.counts(), "added": result.added, "updated": result.updated,
                    "closed": result.closed, "rejected": [r.__dict__ for r in result.rejected],
                    "skipped": len(result.skipped), "report": str(path)})
        return
    _print_import(result, str(dataset) if dataset is not None else "store", path, lang)


def _print_import(result: ChangeReport, target: str, path: Path, lang: str | None) -> None:
    """The change report a planner reads (Spanish unless ``--lang en``)."""
    rows = [(t(f"clues.report.{k}", lang), v) for k, v in result.counts().items()]
    console.print(table(t("clues.report.title", lang, file=result.file, target=target),
                        [t("clues.report.action", lang), t("clues.report.units", lang)], rows))
    if result.rejected:
        console.print(t("clues.report.first_rejects", lang))
        for r in result.rejected[:10]:
            console.print("  " + t("clues.report.row", lang, file=r.file, row=r.row, field=r.field, value=r.value,
                                   reason=r.reason), markup=False, highlight=False)
    console.print(t("clues.report.file", lang, path=path))
