"""``bienestar serve``: the API and web page under uvicorn (one process; runs execute in worker processes)."""

from __future__ import annotations

import typer

from optimizer.cli.common import fail
from optimizer.i18n import t


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: str = typer.Option("127.0.0.1", help="address to listen on (0.0.0.0 for every interface)"),
        port: int = typer.Option(8000, min=1, max=65535, help="TCP port"),
        max_runs: int = typer.Option(2, "--max-runs", min=1, max=16, help="runs executing at once; more get 429"),
        log_level: str = typer.Option("info", help="uvicorn log level"),
    ) -> None:
        """Serve the API (OpenAPI docs at /docs) and the web page (at /)."""
        import os

        import uvicorn

        os.environ["BIENESTAR_API_MAX_CONCURRENT_RUNS"] = str(max_runs)
        try:
            uvicorn.run("api.app:create_app", factory=True, host=host, port=port, log_level=log_level,
                        workers=1, server_header=False)
        except OSError as exc:
            fail(t("cli.serve.cannot", host=host, port=port, error=exc))
