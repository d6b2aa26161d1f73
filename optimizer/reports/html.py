"""A self-contained HTML report of one run (optionally compared with another): plotly JS inlined, no network.

Sections: headline KPIs (and deltas against a second run), the network map, coverage and access by state,
deployment by state, fill rates, roster heat-maps of the rostered hospitals, and the run's provenance
(scenario, seed, versions, timings, status per stage).
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from optimizer.data import reference
from optimizer.reports import figures
from optimizer.scenarios.compare import compare_runs
from optimizer.scenarios.headline import HEADLINES, headline_kpis, state_table
from optimizer.scenarios.schema import MODEL_ORDER

_CSS = """
body{font-family:DejaVu Sans,Arial,sans-serif;margin:24px auto;max-width:1200px;color:#222}
h1{margin-bottom:4px} h2{border-bottom:2px solid #2b83ba;padding-bottom:4px;margin-top:36px}
.meta{color:#555;font-size:13px} table{border-collapse:collapse;font-size:13px;margin:8px 0}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:right} th{background:#f3f6fa}
td:first-child,th:first-child{text-align:left} .better{color:#1a9850;font-weight:bold}
.worse{color:#d73027;font-weight:bold} .status-ok{color:#1a9850} .status-degraded{color:#e08214}
.status-error{color:#d73027} .grid{display:grid;grid-template-columns:1fr 1fr;gap:12px}
"""


def _fmt(v: float | None, unit: str) -> str:
    if v is None or v != v:
        return "–"
    if "share" in unit or "fill" in unit:
        return f"{100 * v:.1f}%" if abs(v) >= 0.001 or v == 0 else f"{100 * v:.3f}%"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:,.1f}" if abs(v) >= 1 or v == 0 else f"{v:.3f}"


def _kpi_table(run_dir: Path, against: Path | None) -> str:
    if against is None:
        k = headline_kpis(run_dir)
        rows = "".join(f"<tr><td>{html.escape(label)}</td><td>{_fmt(k[key], unit)}</td>"
                       f"<td>{html.escape(unit)}</td></tr>" for key, label, unit, _ in HEADLINES if k[key] is not None)
        return f"<table><tr><th>KPI</th><th>value</th><th>unit</th></tr>{rows}</table>"
    cmp = compare_runs(against, run_dir)
    rows = []
    for r in cmp.rows:
        if r.a is None and r.b is None:
            continue
        cls = "" if r.better is None else ("better" if r.better else "worse")
        delta = "–" if r.delta is None else ("+" if r.delta > 0 else "") + _fmt(r.delta, r.unit)
        rows.append(f"<tr><td>{html.escape(r.label)}</td><td>{_fmt(r.a, r.unit)}</td><td>{_fmt(r.b, r.unit)}</td>"
                    f"<td class='{cls}'>{delta}</td><td>{html.escape(r.unit)}</td></tr>")
    head = (f"<tr><th>KPI</th><th>A: {html.escape(cmp.scenario_a)}</th><th>B: {html.escape(cmp.scenario_b)}</th>"
            "<th>B − A</th><th>unit</th></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _run_info(run_dir: Path) -> tuple[dict, dict, dict]:
    run = json.loads((run_dir / "run.json").read_text())
    env = json.loads((run_dir / "environment.json").read_text())
    resolved = json.loads((run_dir / "scenario.resolved.json").read_text())
    return run, env, resolved


def _stage_table(run: dict) -> str:
    notes = run.get("stage_notes", {})
    order = ["demand", *MODEL_ORDER]
    stages = sorted(run.get("stage_status", {}).items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)
    rows = "".join(f"<tr><td>{html.escape(s)}</td><td>{html.escape(str(st))}</td>"
                   f"<td>{run.get('timings_s', {}).get(s, 0.0):.1f}</td>"
                   f"<td style='text-align:left'>{html.escape(str(notes.get(s, ''))[:600])}</td></tr>"
                   for s, st in stages)
    return f"<table><tr><th>stage</th><th>status</th><th>seconds</th><th>why / notes</th></tr>{rows}</table>"


def _div(fig: go.Figure) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False, "responsive": True})


def build_figures(run_dir: Path, against: Path | None) -> list[tuple[str, go.Figure]]:
    """(section title, figure) pairs for the run, in report order; sections without data are left out."""
    data = run_dir / "inputs" / "dataset"
    fac = pd.read_csv(data / "facilities.csv", dtype={"clues": str, "cve_ent": str})
    depots = pd.read_csv(data / "depots.csv", dtype={"depot_id": str})
    hospitals = figures.read_plan(run_dir, "capacity", "hospitals")
    stops = figures.read_plan(run_dir, "distribution", "route_stops")
    out: list[tuple[str, go.Figure]] = [("Network map", figures.network_map(
        fac, hospitals, depots, stops, "Program hospitals by 24/7 status, depots and the day's delivery routes"))]
    states = state_table(run_dir)
    names = reference.states().set_index("cve_ent")["name"].to_dict()
    if "state" not in states:
        states["state"] = states["cve_ent"].map(names)
    states["state"] = states["state"].fillna(states["cve_ent"].map(names))
    if "coverage_pct" in states:
        other = state_table(against) if against is not None else None
        label_b = json.loads((against / "run.json").read_text())["scenario"] if against is not None else ""
        label_a = json.loads((run_dir / "run.json").read_text())["scenario"]
        out.append(("Coverage by state", figures.coverage_by_state(states, other, (label_a, label_b))))
    if "access_120" in states:
        out.append(("Access by state", figures.access_by_state(states)))
    munis = figures.read_plan(run_dir, "access", "municipalities")
    if munis is not None and len(munis):
        out.append(("Travel time to 24/7 surgery", figures.municipality_access_map(
            munis, "Minutes from each municipality (Census 2020 point) to the nearest hospital with 24/7 surgery")))
    assignments = figures.read_plan(run_dir, "deployment", "assignments")
    if assignments is not None and len(assignments):
        out.append(("Deployment", figures.deployment_by_state(assignments, fac, names)))
    lines = figures.read_plan(run_dir, "distribution", "lines")
    if lines is not None and len(lines):
        out.append(("Fill rates", figures.fill_rates(lines)))
    roster = figures.read_plan(run_dir, "rostering", "roster")
    summary = figures.read_plan(run_dir, "rostering", "summary")
    if roster is not None and len(roster) and summary is not None:
        hosp_names = fac.set_index("clues")["name"]
        for row in summary.itertuples(index=False):
            if (roster["hospital"] == row.hospital).any():
                title = f"Roster {hosp_names.get(row.hospital, row.hospital)} ({row.hospital}): {row.status}"
                out.append(("Roster heat-maps", figures.roster_heatmap(roster, row.hospital, title)))
    return out


def write_report(run_dir: str | Path, out: str | Path | None = None, against: str | Path | None = None) -> Path:
    """Write the HTML report of ``run_dir`` (default ``<run_dir>/report.html``); returns its path.

    ``against``: another run folder; the KPI table then shows A = ``against``, B = this run and B − A.
    """
    run_dir = Path(run_dir)
    other = Path(against) if against is not None else None
    out_path = Path(out) if out is not None else run_dir / "report.html"
    run, env, resolved = _run_info(run_dir)
    scen = resolved["scenario"]
    parts = [f"<h1>Scenario <i>{html.escape(scen['name'])}</i></h1>",
             f"<p class='meta'>{html.escape(scen.get('description', ''))}</p>",
             f"<p class='meta'>run {html.escape(run_dir.name)} · status <b class='status-{run['status']}'>"
             f"{run['status']}</b> · seed {scen['seed']} · bienestar-planner {env['bienestar_planner']} · "
             f"plans digest {run.get('plans_digest', '')[:16]} · written "
             f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}</p>"]
    if run.get("message"):
        parts.append(f"<p class='status-error'>{html.escape(run['message'])}</p>")
    parts.append("<h2>Headline KPIs</h2>" + _kpi_table(run_dir, other))
    current = None
    for section, fig in build_figures(run_dir, other):
        if section != current:
            parts.append(f"<h2>{html.escape(section)}</h2>")
            current = section
        parts.append(_div(fig))
    parts.append("<h2>Provenance: stages, solve status, wall time</h2>" + _stage_table(run))
    parts.append(f"<p class='meta'>libraries: {html.escape(json.dumps(env['libraries']))}; Python {env['python']}"
                 f"</p><p class='meta'>base dataset: {html.escape(resolved.get('base_dataset', ''))}</p>")
    doc = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(scen['name'])} – "
           f"bienestar-planner</title><style>{_CSS}</style><script>{get_plotlyjs()}</script></head><body>"
           + "\n".join(parts) + "</body></html>")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(doc, encoding="utf-8")
    return out_path
