"""The FastAPI application: routers, auth, limits, error shapes, the run pool and the web page.

``create_app(config)`` builds a fresh app (tests make one per temporary home); ``bienestar serve`` runs
``api.app:create_app`` under uvicorn as a factory. At start-up the runs in the store are reconciled with their
workers and folders (:class:`api.jobs.RunPool`); at shut-down this server's workers are killed and their runs
become ``interrupted`` (resumable).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from api.config import ApiConfig
from api.db import engine_for
from api.errors import install_error_handlers
from api.jobs import RunPool
from api.limits import BodySizeLimit
from api.routers import (
    access_map,
    catalog,
    demand,
    health,
    ingest,
    keys,
    logistics,
    page,
    reference,
    runs,
    scenarios,
    staff,
)

STATIC_DIR = Path(__file__).parent / "static"

DESCRIPTION = """Planning optimizer for the IMSS-Bienestar network, as a service.

Authenticate with `Authorization: Bearer <key>` (create keys with `bienestar keys create --role ROLE`).
Roles: **planner** (scenarios, runs, aggregates), **hr** (staff, assignments, rosters),
**logistics** (medicines, depots, stock, routes), **admin** (keys, ingestion, everything).
Patient-level records are never returned; demand aggregates over fewer than 5 patients are suppressed.
"""


def freeze_startup_heap() -> None:
    """Move every object alive once the server has started (imported modules, the app and its routes: about
    200,000 objects) out of the garbage collector's reach, once per process.

    Why: a full (generation 2) collection walks every tracked object. With the solvers' and data layer's modules
    imported, each one paused the event loop and the request threads for 200-400 ms on the shared machine, a
    few times every 10 s under load: that was the reads' p99 (RESULTS.md, issue 23). Frozen objects are never
    collected, so the start-up heap is collected once first; later objects are collected as usual.
    """
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()


def create_app(config: ApiConfig | None = None) -> FastAPI:
    """A ready application for ``config`` (default: :meth:`ApiConfig.from_env`)."""
    config = config or ApiConfig.from_env()
    engine = engine_for()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool.start()
        threading.Thread(target=app.state.pool.warm_up, daemon=True, name="warm-up").start()
        freeze_startup_heap()
        yield
        app.state.pool.shutdown()

    app = FastAPI(title="bienestar-planner API", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.config = config
    app.state.engine = engine
    app.state.pool = RunPool(engine, config.runs_dir, config.max_concurrent_runs, config.retry_after_s,
                             config.cancel_grace_s, config.lease_s)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_body=config.max_body_bytes, max_upload=config.max_upload_bytes)
    for module in (health, catalog, reference, staff, logistics, demand, scenarios, runs, access_map, ingest, keys,
                   page):
        app.include_router(module.router)
    app.mount("/ui", StaticFiles(directory=STATIC_DIR), name="ui")  # scripts and styles; the page itself is GET /
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Interactive OpenAPI docs served from the package (no CDN: works on a closed hospital network)."""
        return get_swagger_ui_html(openapi_url="/openapi.json", title="bienestar-planner API",
                                   swagger_js_url="/docs-assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-assets/swagger-ui.css",
                                   swagger_favicon_url="/docs-assets/favicon-32x32.png")

    return app
