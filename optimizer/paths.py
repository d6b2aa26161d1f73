"""Where the product finds its reference data and writes its outputs."""

from __future__ import annotations

import os
import shutil
import uuid
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


def private_temp(out: Path) -> Path:
    """A sibling of ``out`` that no other process uses, to build ``out``'s content in before :func:`publish`."""
    return out.with_name(f"{out.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def publish(tmp: Path, out: Path) -> None:
    """Move the finished folder ``tmp`` to ``out``, keeping a complete ``out`` another process published first.

    Parallel scenario runs (a sweep on a process pool or Ray) may build the same cached dataset or stage at
    once; each builds in its own :func:`private_temp` folder, and the first to finish wins. The content is the
    same by construction (same cache key), so the later copy is dropped rather than replacing a folder another
    run may be reading.
    """
    try:
        tmp.rename(out)
    except OSError:  # ``out`` exists: published by another process meanwhile
        shutil.rmtree(tmp, ignore_errors=True)
