"""Side-by-side comparison of two runs: headline KPI deltas and equity by state, from the plan files."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from optimizer.scenarios.headline import HEADLINES, headline_kpis, state_table
from optimizer.scenarios.registry import find_run


@dataclass
class ComparisonRow:
    """One KPI in both runs. ``delta`` = b - a; ``better`` says whether B improves on A (None: no change/n.a.)."""

    key: str
    label: str
    unit: str
    a: float | None
    b: float | None
    delta: float | None
    better: bool | None


@dataclass
class ComparisonTable:
    """Headline KPI deltas (B minus A) and the by-state table of both runs."""

    run_a: str
    run_b: str
    scenario_a: str
    scenario_b: str
    rows: list[ComparisonRow] = field(default_factory=list)
    by_state: pd.DataFrame = field(default_factory=pd.DataFrame)

    def frame(self) -> pd.DataFrame:
        """The headline rows as a DataFrame (for XLSX export and printing)."""
        return pd.DataFrame([r.__dict__ for r in self.rows])

    def to_dict(self) -> dict:
        """JSON-ready document (``--json``)."""
        return {"run_a": self.run_a, "run_b": self.run_b, "scenario_a": self.scenario_a,
                "scenario_b": self.scenario_b, "kpis": [r.__dict__ for r in self.rows],
                "by_state": json.loads(self.by_state.to_json(orient="records"))}


def _scenario(run_dir: Path) -> str:
    return json.loads((run_dir / "run.json").read_text()).get("scenario", run_dir.name)


def compare_runs(run_a: str | Path, run_b: str | Path, runs_dir: Path | None = None) -> ComparisonTable:
    """Compare two runs (folders, folder names or run ids); every number is recomputed from their plans."""
    da, db = find_run(run_a, runs_dir), find_run(run_b, runs_dir)
    ka, kb = headline_kpis(da), headline_kpis(db)
    rows = []
    for key, label, unit, higher in HEADLINES:
        a, b = ka[key], kb[key]
        delta = b - a if a is not None and b is not None else None
        better = None if delta is None or abs(delta) < 1e-9 else bool((delta > 0) == higher)
        rows.append(ComparisonRow(key, label, unit, a, b, delta, better))
    sa, sb = state_table(da), state_table(db)
    merged = sa.merge(sb, on="cve_ent", how="outer", suffixes=("_a", "_b"))
    for col in ("hospitals_24_7", "coverage_pct", "access_60", "access_120"):
        if f"{col}_a" in merged and f"{col}_b" in merged:
            merged[f"{col}_delta"] = merged[f"{col}_b"] - merged[f"{col}_a"]
    if "state_a" in merged:
        merged.insert(1, "state", merged["state_a"].fillna(merged.get("state_b")))
        merged = merged.drop(columns=[c for c in ("state_a", "state_b") if c in merged])
    return ComparisonTable(da.name, db.name, _scenario(da), _scenario(db), rows, merged)
