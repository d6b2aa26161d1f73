"""Shared output helpers for CLI commands: one JSON document with ``--json``, rich tables otherwise."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from optimizer.i18n import MsgError, t
from optimizer.jsonio import plain
from optimizer.solvers.silence import divert_stdout

console = Console(stderr=False)
err_console = Console(stderr=True)

JsonOption = typer.Option(False, "--json", help="Print the result as one JSON document (for scripts).")


#: File descriptor of the real stdout while ``--json`` keeps fd 1 for solver noise (see ``protect_stdout``).
_JSON_FD: int | None = None


def protect_stdout() -> None:
    """Send everything written to fd 1 (C-level solver banners included) to stderr for the whole command,
    keeping the real stdout for the one JSON document ``print_json`` writes."""
    global _JSON_FD
    if _JSON_FD is None:
        _JSON_FD = divert_stdout()


def print_json(obj: Any) -> None:
    """Write ``obj`` as a single JSON document on stdout."""
    text = json.dumps(plain(obj), ensure_ascii=False, indent=None) + "\n"
    if _JSON_FD is None:
        sys.stdout.write(text)
        return
    data = text.encode()
    while data:
        data = data[os.write(_JSON_FD, data):]


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A rich table with right-aligned numbers."""
    t = Table(title=title, show_lines=False)
    for col in columns:
        t.add_column(col)
    for row in rows:
        t.add_row(*[_fmt(v) for v in row])
    return t


def label(prefix: str, value: object) -> str:
    """``value`` (a status, stage, ...) as the catalogue says ``prefix.value`` in ``BIENESTAR_LANG``; the value
    itself when the catalogue has no such key."""
    key = f"{prefix}.{value}"
    text = t(key)
    return str(value) if text == key else text


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) < 1e6 else f"{v:,.0f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def fail(message: str | BaseException, as_json: bool = False, code: int = 2) -> None:
    """Stop with a clear message (never a traceback); as JSON when ``--json`` was given. An error with catalogue
    messages (:class:`~optimizer.i18n.MsgError`) is said in ``BIENESTAR_LANG`` (Spanish unless asked)."""
    message = message.text() if isinstance(message, MsgError) else str(message)
    if as_json:
        print_json({"status": "error", "error": message})
    else:
        err_console.print(f"[bold red]{t('cli.error')}[/] {message}")
    raise typer.Exit(code)


ScenarioOption = typer.Option(None, "--scenario", help="Scenario YAML: its base dataset (and this model's settings "
                              "section) are used; overrides such as demand multipliers apply in `bienestar run`.")


def resolve_inputs(dataset: Path | None, scenario: Path | None, as_json: bool = False) -> tuple[Any, Path]:
    """(scenario or None, dataset folder) from ``--dataset`` and/or ``--scenario`` (``--dataset`` wins)."""
    if scenario is None:
        if dataset is None:
            fail(t("cli.inputs.needed"), as_json)
        return None, Path(dataset)
    from optimizer.scenarios.basedata import resolve_base
    from optimizer.scenarios.yamlfile import ScenarioError, load_scenario

    try:
        sc = load_scenario(scenario).seeded()
        return sc, Path(dataset) if dataset is not None else resolve_base(sc.dataset, Path(scenario))
    except ScenarioError as exc:
        fail(exc.text(), as_json)
        raise  # unreachable: fail() exits
