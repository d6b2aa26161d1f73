"""The ``bienestar`` command line (typer + rich).

Each module in this package that defines ``register(app)`` adds its own commands, so every model owns
its command in its own file and the root app stays small.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

app = typer.Typer(
    name="bienestar",
    help="Planning optimizer for the IMSS-Bienestar network: deployment, rostering, capacity, "
    "medicine distribution, access and scenarios.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _register_all() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name == "common":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_all()


def main() -> None:
    """Console-script entry point."""
    import sys

    from optimizer.cli.common import protect_stdout

    if "--json" in sys.argv[1:]:
        protect_stdout()
    app()
