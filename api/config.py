"""Settings of the API service: where it finds scenarios and keeps runs, and its limits.

The data itself (entities, demand aggregates, pseudonymised records) is the store's, under
``BIENESTAR_HOME`` / ``BIENESTAR_DB_URL`` exactly as for the CLI.

Every value has a default and can be set from the environment (``BIENESTAR_API_<NAME>``), so
``bienestar serve`` needs no configuration file; tests build a :class:`ApiConfig` directly.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from optimizer.paths import SCENARIO_DIR, home_dir

ENV_PREFIX = "BIENESTAR_API_"


class ApiConfig(BaseModel):
    """Paths and limits of one API server process."""

    model_config = ConfigDict(extra="forbid")

    scenario_dir: Path = Field(SCENARIO_DIR, description="built-in scenario YAML files (read-only)")
    max_concurrent_runs: int = Field(2, ge=1, le=16, description="runs executing at once; more get 429")
    retry_after_s: int = Field(30, ge=1, description="Retry-After sent with 429, seconds")
    max_body_bytes: int = Field(1_000_000, ge=1024, description="largest JSON request body, bytes")
    max_upload_bytes: int = Field(200_000_000, ge=1024, description="largest ingestion upload, bytes")
    max_upload_rows: int = Field(10_000_000, ge=1, description="most rows in one uploaded file")
    cancel_grace_s: float = Field(3.0, ge=0, description="seconds between SIGTERM and SIGKILL on cancel")
    lease_s: float = Field(10.0, gt=0.2, le=600, description="a worker that has not renewed its run's lease for "
                           "this long is gone (its run is then reconciled), seconds; renewed every quarter of it")
    small_count_k: int = Field(5, ge=1, description="aggregates over fewer patients are suppressed")

    @property
    def home(self) -> Path:
        """Working folder shared with the store and the CLI (``BIENESTAR_HOME``)."""
        return home_dir()

    @property
    def runs_dir(self) -> Path:
        """Run folders written by the scenario runner."""
        return self.home / "runs"

    @property
    def user_scenario_dir(self) -> Path:
        """Scenarios created through the API (kept apart from the built-in ones)."""
        return self.home / "scenarios"

    @property
    def upload_dir(self) -> Path:
        """Uploaded files after pseudonymisation (raw uploads are never kept)."""
        return self.home / "uploads"

    @classmethod
    def from_env(cls) -> ApiConfig:
        """Defaults overridden by ``BIENESTAR_API_<FIELD>`` environment variables."""
        values: dict[str, str] = {}
        for name in cls.model_fields:
            env = os.environ.get(ENV_PREFIX + name.upper())
            if env is not None:
                values[name] = env
        return cls.model_validate(values)
