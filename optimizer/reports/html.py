"""A self-contained HTML report of one run (optionally compared with another), in the reader's language.

Sections: headline KPIs (and deltas against a second run), the network map, coverage and access by state,
deployment by state, fill rates, roster heat-maps of the rostered hospitals, and the run's provenance
(scenario, seed, versions, timings, status per stage). Spanish by default, English on request (``lang``);
KPI labels, units and definitions are the web page's (:mod:`optimizer.i18n.kpis`); counts are whole numbers,
shares percentages, and differences of percentages percentage points (``+1.2 pp``).

It works offline and stays light: plotly.js (4.8 MB as shipped with plotly) is embedded gzip-compressed
(base64, about 1.9 MB) and unpacked by the browser's ``DecompressionStream``; each figure's JSON is drawn only
when it scrolls into view, so opening the report draws two figures, not twenty.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from optimizer.i18n import Msg, fmt_datetime, fmt_int, fmt_money, fmt_num, fmt_pp, resolve_lang, t
from optimizer.i18n import kpis as kpi_words
from optimizer.reports import figures
from optimizer.reports.rundata import RunData
from optimizer.reports.vocab import SHIFT_HOURS, enum_label, shift_code
from optimizer.scenarios.compare import compare_runs
from optimizer.scenarios.headline import HEADLINES, headline_kpis, state_table
from optimizer.scenarios.schema import MODEL_ORDER

_CSS = """
body{font-family:DejaVu Sans,Arial,sans-serif;margin:24px auto;max-width:1200px;color:#222}
h1{margin-bottom:4px} h2{border-bottom:2px solid #2b83ba;padding-bottom:4px;margin-top:36px}
.meta{color:#555;font-size:13px} table{border-collapse:collapse;font-size:13px;margin:8px 0}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:right} th{background:#f3f6fa}
td:first-child,th:first-child{text-align:left} td.def{text-align:left;color:#555;max-width:460px}
.better{color:#1a9850;font-weight:bold} .worse{color:#d73027;font-weight:bold} .status-ok{color:#1a9850}
.status-degraded{color:#e08214} .status-error{color:#d73027} .fig{width:100%} .legend{font-size:13px}
.legend span{display:inline-block;padding:1px 6px;margin-right:4px;border-radius:3px}
"""
#: Draws each figure when it comes near the viewport, after unpacking plotly.js (gzip, base64) once.
_LOADER = """
(async () => {
  const packed = document.getElementById('plotly-gz').textContent;
  const bytes = Uint8Array.from(atob(packed), c => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  const code = await new Response(stream).text();
  const script = document.createElement('script');
  script.textContent = code;
  document.head.appendChild(script);
  const draw = el => {
    const spec = JSON.parse(document.getElementById('spec-' + el.dataset.fig).textContent);
    Plotly.newPlot(el, spec.data, spec.layout, {displaylogo: false, responsive: true});
  };
  const seen = new IntersectionObserver(entries => entries.forEach(e => {
    if (e.isIntersecting) { seen.unobserve(e.target); draw(e.target); }
  }), {rootMargin: '600px'});
  document.querySelectorAll('div.fig').forEach(el => seen.observe(el));
})();
"""


@cache
def packed_plotly() -> str:
    """plotly.js gzip-compressed and base64-encoded (computed once per process)."""
    return base64.b64encode(gzip.compress(get_plotlyjs().encode("utf-8"), compresslevel=9, mtime=0)).decode()


def _value(key: str, v: float | None, lang: str) -> str:
    return "–" if v is None or v != v else kpi_words.fmt_kpi(f"headline.{key}", v, lang)


def _delta(key: str, d: float | None, lang: str) -> str:
    """B − A in the KPI's unit; percentages and shares in percentage points."""
    if d is None or d != d:
        return "–"
    kind = kpi_words.KINDS.get(f"headline.{key}", "num")
    if kind in ("share", "pct100"):
        return fmt_pp(100.0 * d if kind == "share" else d, lang)
    sign = "+" if d > 0 else ("−" if d < 0 else "")
    shown = {"int": fmt_int, "money": fmt_money}.get(kind, lambda v, lg: fmt_num(v, lg))(abs(d), lang)
    return sign + shown


def _kpi_table(run_dir: Path, against: Path | None, lang: str) -> str:
    def label(key: str) -> str:
        help_text = html.escape(kpi_words.definition(f"headline.{key}", lang))
        return f"<td title='{help_text}'>{html.escape(kpi_words.label(f'headline.{key}', lang))}</td>"

    def unit(key: str) -> str:
        return f"<td>{html.escape(kpi_words.unit(f'headline.{key}', lang))}</td>"

    if against is None:
        k = headline_kpis(run_dir)
        rows = "".join(f"<tr>{label(key)}<td>{_value(key, k[key], lang)}</td>{unit(key)}</tr>"
                       for key, *_ in HEADLINES if k[key] is not None)
        return (f"<table><tr><th>{t('reports.th.kpi', lang)}</th><th>{t('reports.th.value', lang)}</th>"
                f"<th>{t('reports.th.unit', lang)}</th></tr>{rows}</table>")
    cmp = compare_runs(against, run_dir)
    rows = []
    for r in cmp.rows:
        if r.a is None and r.b is None:
            continue
        cls = "" if r.better is None else ("better" if r.better else "worse")
        rows.append(f"<tr>{label(r.key)}<td>{_value(r.key, r.a, lang)}</td><td>{_value(r.key, r.b, lang)}</td>"
                    f"<td class='{cls}'>{_delta(r.key, r.delta, lang)}</td>{unit(r.key)}</tr>")
    head = (f"<tr><th>{t('reports.th.kpi', lang)}</th><th>A: {html.escape(cmp.scenario_a)}</th>"
            f"<th>B: {html.escape(cmp.scenario_b)}</th><th>B − A</th><th>{t('reports.th.unit', lang)}</th></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _run_info(run_dir: Path) -> tuple[dict, dict, dict]:
    run = json.loads((run_dir / "run.json").read_text())
    env = json.loads((run_dir / "environment.json").read_text())
    resolved = json.loads((run_dir / "scenario.resolved.json").read_text())
    return run, env, resolved


def status_text(status: str, lang: str) -> str:
    """A run or stage status in words (``common.status.*``, ``reports.status.*``)."""
    for key in (f"common.status.{status}", f"reports.status.{status}"):
        text = t(key, lang)
        if text != key:
            return text
    return status


def _stage_notes(run: dict, lang: str) -> dict[str, str]:
    """Each stage's note in ``lang`` (``stage_notes_i18n``; run folders written before it: ``stage_notes``)."""
    notes = dict(run.get("stage_notes", {}))
    notes.update({stage: Msg.from_json(doc).text(lang) for stage, doc in (run.get("stage_notes_i18n") or {}).items()})
    return notes


def _stage_table(run: dict, lang: str) -> str:
    notes = _stage_notes(run, lang)
    order = ["demand", *MODEL_ORDER]
    stages = sorted(run.get("stage_status", {}).items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)
    rows = "".join(f"<tr><td>{html.escape(enum_label('stage', s, lang))}</td>"
                   f"<td>{html.escape(status_text(str(st), lang))}</td>"
                   f"<td>{fmt_num(run.get('timings_s', {}).get(s, 0.0), lang)}</td>"
                   f"<td style='text-align:left'>{html.escape(str(notes.get(s, ''))[:600])}</td></tr>"
                   for s, st in stages)
    return (f"<table><tr><th>{t('reports.th.stage', lang)}</th><th>{t('reports.th.status', lang)}</th>"
            f"<th>{t('reports.th.seconds', lang)}</th><th>{t('reports.th.notes', lang)}</th></tr>{rows}</table>")


def _div(fig: go.Figure, index: int) -> str:
    """A placeholder of the figure's height and its JSON (drawn by :data:`_LOADER` when it comes into view)."""
    spec = fig.to_json().replace("</", "<\\/")
    height = fig.layout.height or 450
    return (f"<div class='fig' data-fig='{index}' style='height:{height}px'></div>"
            f"<script type='application/json' id='spec-{index}'>{spec}</script>")


def _roster_legend(lang: str) -> str:
    items = "".join(f"<span style='background:{figures.SHIFT_COLOURS[s]}'>{shift_code(s, lang)}</span>"
                    f"{html.escape(enum_label('shift', s, lang))} " for s in SHIFT_HOURS)
    return f"<p class='legend'>{items}<span style='background:#f0f0f0'>&nbsp;</span>{t('enums.shift.off', lang)}</p>"


def build_figures(run_dir: Path, against: Path | None, lang: str = "es") -> list[tuple[str, go.Figure]]:
    """(section key, figure) pairs for the run, in report order; sections without data are left out."""
    run = RunData(run_dir)
    fac = run.facilities.reset_index()
    depots = run.depots.reset_index()
    hospitals = figures.read_plan(run_dir, "capacity", "hospitals")
    stops = figures.read_plan(run_dir, "distribution", "route_stops")
    out: list[tuple[str, go.Figure]] = [("network", figures.network_map(
        fac, hospitals, depots, stops, t("reports.fig.network_title", lang), lang))]
    states = state_table(run_dir)
    states["state"] = states["cve_ent"].map(run.state_names).fillna(states.get("state"))
    if "coverage_pct" in states:
        other = state_table(against) if against is not None else None
        label_b = json.loads((against / "run.json").read_text())["scenario"] if against is not None else ""
        label_a = json.loads((run_dir / "run.json").read_text())["scenario"]
        out.append(("coverage", figures.coverage_by_state(states, other, (label_a, label_b), lang)))
    if "access_120" in states:
        out.append(("access", figures.access_by_state(states, lang)))
    munis = figures.read_plan(run_dir, "access", "municipalities")
    if munis is not None and len(munis):
        out.append(("travel", figures.municipality_access_map(munis, t("reports.fig.travel_title", lang), lang)))
    assignments = figures.read_plan(run_dir, "deployment", "assignments")
    if assignments is not None and len(assignments):
        out.append(("deployment", figures.deployment_by_state(assignments, fac, run.state_names, lang)))
    lines = figures.read_plan(run_dir, "distribution", "lines")
    if lines is not None and len(lines):
        out.append(("fill", figures.fill_rates(lines, lang)))
    roster = figures.read_plan(run_dir, "rostering", "roster")
    summary = figures.read_plan(run_dir, "rostering", "summary")
    if roster is not None and len(roster) and summary is not None:
        hosp_names = fac.set_index("clues")["name"]
        for row in summary.itertuples(index=False):
            if (roster["hospital"] == row.hospital).any():
                title = t("reports.fig.roster_title", lang, hospital=hosp_names.get(row.hospital, row.hospital),
                          clues=row.hospital, status=status_text(row.status, lang))
                out.append(("rosters", figures.roster_heatmap(roster, row.hospital, title, run.start_day, lang)))
    return out + _surgery_figures(run_dir, fac, lang)


def _surgery_figures(run_dir: Path, fac: pd.DataFrame, lang: str) -> list[tuple[str, go.Figure]]:
    """Gantt of theatres by day and waiting list before/after, per hospital of the surgery stage."""
    from optimizer.surgery.gantt import theatre_gantt, waiting_list

    sched = figures.read_plan(run_dir, "surgery", "schedule")
    if sched is None or not len(sched):
        return []
    names, days = fac.set_index("clues")["name"], int(sched["release_day"].max()) + 1
    out: list[tuple[str, go.Figure]] = []
    for h in sched["hospital"].unique():
        words = {"hospital": names.get(h, h), "clues": h}
        out.append(("surgery_theatres", theatre_gantt(sched, h, t("reports.fig.surgery_gantt_title", lang, **words),
                                                      lang)))
        out.append(("surgery_waiting", waiting_list(sched, h, days, t("reports.fig.surgery_waiting_title", lang,
                                                                      **words), lang)))
    return out


def write_report(run_dir: str | Path, out: str | Path | None = None, against: str | Path | None = None,
                 lang: str | None = None) -> Path:
    """Write the HTML report of ``run_dir`` (default ``<run_dir>/report.html``); returns its path.

    ``against``: another run folder; the KPI table then shows A = ``against``, B = this run and B − A.
    ``lang``: ``es`` or ``en`` (default :func:`optimizer.i18n.resolve_lang`: ``BIENESTAR_LANG``, else Spanish).
    """
    run_dir = Path(run_dir)
    lang = resolve_lang(lang)
    other = Path(against) if against is not None else None
    out_path = Path(out) if out is not None else run_dir / "report.html"
    run, env, resolved = _run_info(run_dir)
    scen = resolved["scenario"]
    meta = t("reports.meta", lang, run=html.escape(run_dir.name), seed=scen["seed"],
             version=html.escape(str(env["bienestar_planner"])), digest=run.get("plans_digest", "")[:16],
             written=fmt_datetime(datetime.now(UTC), lang))
    parts = [f"<h1>{t('reports.h1', lang, scenario=html.escape(scen['name']))}</h1>",
             f"<p class='meta'>{html.escape(scen.get('description', ''))}</p>",
             f"<p class='meta'>{t('reports.status', lang)} <b class='status-{run['status']}'>"
             f"{html.escape(status_text(run['status'], lang))}</b> · {meta}</p>"]
    message = Msg.from_json(run["message_i18n"]).text(lang) if run.get("message_i18n") else run.get("message")
    if message:  # why a stage failed, in the report's language (run folders from before: as written)
        parts.append(f"<p class='status-error'>{html.escape(message)}</p>")
    parts.append(f"<h2>{t('reports.h.kpis', lang)}</h2>" + _kpi_table(run_dir, other, lang))
    current = None
    for i, (section, fig) in enumerate(build_figures(run_dir, other, lang)):
        if section != current:
            parts.append(f"<h2>{t(f'reports.h.{section}', lang)}</h2>")
            if section == "rosters":
                parts.append(_roster_legend(lang))
            current = section
        parts.append(_div(fig, i))
    parts.append(f"<h2>{t('reports.h.provenance', lang)}</h2>" + _stage_table(run, lang))
    parts.append(f"<p class='meta'>{t('reports.libraries', lang)}: {html.escape(json.dumps(env['libraries']))}; "
                 f"Python {env['python']}</p><p class='meta'>{t('reports.base_dataset', lang)}: "
                 f"{html.escape(resolved.get('base_dataset', ''))}</p>")
    doc = (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{html.escape(scen['name'])} – "
           f"bienestar-planner</title><style>{_CSS}</style></head><body>" + "\n".join(parts)
           + f"<script type='application/octet-stream' id='plotly-gz'>{packed_plotly()}</script>"
           f"<script>{_LOADER}</script></body></html>")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(doc, encoding="utf-8")
    return out_path
