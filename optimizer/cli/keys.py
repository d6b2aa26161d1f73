"""``bienestar keys``: create, list and revoke API keys (the key is printed once; only its hash is kept)."""

from __future__ import annotations

import typer

from optimizer.cli.common import JsonOption, console, fail, print_json, table
from optimizer.i18n import t


def register(app: typer.Typer) -> None:
    keys = typer.Typer(help="API keys with roles (planner, hr, logistics, admin).", no_args_is_help=True)
    app.add_typer(keys, name="keys")

    @keys.command("create")
    def create(role: str = typer.Option(..., help="planner, hr, logistics or admin"),
               label: str = typer.Option("", help="who or what the key is for"),
               as_json: bool = JsonOption) -> None:
        """Create a key and print it once."""
        from api.auth import Role, create_key
        from api.db import engine_for

        if role not in {r.value for r in Role}:
            fail(t("cli.keys.unknown_role", role=role, roles=", ".join(r.value for r in Role)), as_json)
        key = create_key(engine_for(), role, label)
        if as_json:
            print_json({"key": key, "role": role})
        else:
            console.print(f"{key}\n[dim]{t('cli.keys.created', role=role)}[/]")

    @keys.command("list")
    def list_(as_json: bool = JsonOption) -> None:
        """List keys (prefix, role, label; never the secret)."""
        from api.auth import list_keys
        from api.db import engine_for

        rows = list_keys(engine_for())
        if as_json:
            print_json(rows)
        else:
            heads = [t(f"cli.keys.col.{c}") for c in ("prefix", "role", "label", "created", "revoked")]
            console.print(table(t("cli.keys.title"), heads,
                                [[r["prefix"], r["role"], r["label"], r["created"], r["revoked"]] for r in rows]))

    @keys.command("revoke")
    def revoke(prefix: str = typer.Argument(..., help="the 8 characters after 'bk_'"),
               as_json: bool = JsonOption) -> None:
        """Revoke a key by its prefix."""
        from api.auth import revoke_key
        from api.db import engine_for

        if not revoke_key(engine_for(), prefix):
            fail(t("cli.keys.no_prefix", prefix=prefix), as_json)
        if as_json:
            print_json({"revoked": prefix})
        else:
            console.print(t("cli.keys.revoked", prefix=prefix))
