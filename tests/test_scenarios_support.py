"""Shared set-up of the scenario-runner tests (no tests here): a private ``BIENESTAR_HOME`` per module and one
tiny generated dataset, built once per test session under pytest's base temp folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from optimizer.scenarios.basedata import resolve_base
from optimizer.scenarios.schema import DatasetSource, GenerateBase

TINY = GenerateBase(seed=5, program_hospitals=30, other_hospitals_per_state=1, n_records=8000, umfs=20,
                    pharmacies=10)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh home folder (runs, store) for the module, with the SQLite default store."""
    h = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BIENESTAR_HOME", str(h))
        mp.delenv("BIENESTAR_DB_URL", raising=False)
        yield h


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny generated dataset (cached by its generator settings across modules)."""
    return resolve_base(DatasetSource(generate=TINY), cache=tmp_path_factory.getbasetemp() / "datasets")
