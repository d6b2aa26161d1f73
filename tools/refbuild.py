"""What the tools that build ``data/reference/`` from ``../shared/data/mexico`` share.

The folders (the repository root, ``../shared/data/mexico``, ``data/reference``), the 2020 municipal frame they
check keys against, and the command line of a one-table build: ``--shared DIR`` (where the source is), build,
write ``data/reference/<name>``, print what was written. Used by ``build_clues.py`` and ``build_localities.py``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "mexico"
OUT = ROOT / "data" / "reference"


def municipalities_2020(shared: Path) -> pd.DataFrame:
    """The 2020 census frame of municipalities (``municipalities.csv`` in ``shared``), keys as text."""
    return pd.read_csv(shared / "municipalities.csv", dtype={"cve_ent": str, "cvegeo": str})


def build_table(doc: str, source: str, name: str, build: Callable[[Path], pd.DataFrame],
                summary: Callable[[pd.DataFrame], str]) -> None:
    """The command line of a one-table build: parse ``--shared`` (the folder holding ``source``), build the
    table, write it as ``data/reference/<name>`` and print ``wrote <path>: <summary>``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help=f"folder holding {source}")
    out = build(parser.parse_args().shared)
    path = OUT / name
    out.to_csv(path, index=False)
    print(f"wrote {path}: {summary(out)}")
