"""Where the product finds its reference data and writes its outputs."""

from __future__ import annotations

import os
from pathlib import Path

#: Repository root (the folder holding ``data/``, ``scenarios/`` and ``pyproject.toml``).
ROOT = Path(__file__).resolve().parents[1]
#: Public reference tables shipped with the product (states, municipalities, procedures, outlines).
REFERENCE_DIR = ROOT / "data" / "reference"
#: Built-in scenario files.
SCENARIO_DIR = ROOT / "scenarios"


def home_dir() -> Path:
    """Working folder for generated data, the SQLite store, keys and runs (``BIENESTAR_HOME``)."""
    return Path(os.environ.get("BIENESTAR_HOME", ROOT / "data" / "generated")).resolve()


def default_dataset_dir() -> Path:
    """Default output folder of ``bienestar data generate``."""
    return home_dir() / "dataset"
