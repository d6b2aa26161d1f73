"""KPI comparison of two finished runs: every numeric KPI of either run, with ``b - a``."""

from __future__ import annotations

from typing import Any


def flatten(kpis: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"capacity": {"hospitals_24_7": 200}}`` -> ``{"capacity.hospitals_24_7": 200}`` (lists are skipped)."""
    out: dict[str, Any] = {}
    for key, value in kpis.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif not isinstance(value, list):
            out[name] = value
    return out


def _number(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def comparison(row_a: dict[str, Any], row_b: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per KPI of either run: ``kpi, a, b, delta`` (delta = b - a when both are numbers)."""
    fa, fb = flatten(row_a["kpis"] or {}), flatten(row_b["kpis"] or {})
    rows = []
    for kpi in sorted(set(fa) | set(fb)):
        a, b = fa.get(kpi), fb.get(kpi)
        na, nb = _number(a), _number(b)
        rows.append({"kpi": kpi, "a": a, "b": b, "delta": nb - na if na is not None and nb is not None else None})
    return rows
