"""Plotly figures of a run, drawn from its plan files and inputs only (no solver objects).

The map is a plain x/y chart of longitude and latitude with the state outlines of
``data/reference/states.geojson`` as line traces, so it needs no map tiles or topojson from the network
and renders offline. The x axis is scaled by cos(mean latitude) so Mexico keeps its shape. Coordinates are
rounded to 4 decimals (about 10 m), which keeps the report light.

Every word on a figure (titles, legends, axes, hover text, weekdays) is in the report's language
(``reports.fig.*`` and ``enums.*`` catalogues); roster columns are the real dates of the run's week.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from functools import lru_cache
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from optimizer.i18n import fmt_int, fmt_weekday_date, t
from optimizer.paths import REFERENCE_DIR
from optimizer.reports.vocab import enum_label, shift_code

STATUS_COLOURS = {"fully_24_7": "#1a9850", "24_7_some_rooms": "#91cf60", "daytime_only": "#fc8d59",
                  "no_surgery": "#d73027"}
#: Roster cell colours by shift id (the rostering package's M / E / N and the 24 h guardia G; blank = day off).
SHIFT_COLOURS = {"": "#f0f0f0", "M": "#fee08b", "E": "#fdae61", "N": "#3288bd", "G": "#5e4fa2"}
_LAYOUT = dict(template="plotly_white", margin=dict(l=40, r=20, t=50, b=40), font=dict(size=12))


@lru_cache(maxsize=1)
def state_outlines() -> tuple[list[float | None], list[float | None]]:
    """Longitudes and latitudes of every state ring, rings separated by None (one line trace)."""
    geo = json.loads((REFERENCE_DIR / "states.geojson").read_text())
    xs: list[float | None] = []
    ys: list[float | None] = []
    for feat in geo["features"]:
        geom = feat["geometry"]
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        for poly in polys:
            for ring in poly:
                xs.extend(round(pt[0], 4) for pt in ring)
                ys.extend(round(pt[1], 4) for pt in ring)
                xs.append(None)
                ys.append(None)
    return xs, ys


def _outline_trace() -> go.Scatter:
    xs, ys = state_outlines()
    return go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="#9e9e9e", width=0.7), hoverinfo="skip",
                      showlegend=False)


def _mexico_axes(fig: go.Figure, lang: str) -> None:
    ratio = 1.0 / math.cos(math.radians(23.5))
    fig.update_xaxes(range=[-118.6, -86.5], showgrid=False, zeroline=False, title=t("reports.fig.longitude", lang))
    fig.update_yaxes(range=[14.3, 33.0], showgrid=False, zeroline=False, title=t("reports.fig.latitude", lang),
                     scaleanchor="x", scaleratio=ratio)


def network_map(facilities: pd.DataFrame, hospitals: pd.DataFrame | None, depots: pd.DataFrame,
                route_stops: pd.DataFrame | None, title: str, lang: str) -> go.Figure:
    """Program hospitals coloured by 24/7 status, depots, and the day's delivery routes over state outlines."""
    fig = go.Figure()
    fig.add_trace(_outline_trace())
    loc = facilities.set_index("clues")[["lat", "lon", "name"]]
    dep = depots.set_index("depot_id")
    if route_stops is not None and len(route_stops):
        rx: list[float | None] = []
        ry: list[float | None] = []
        for (depot_id, _vehicle), grp in route_stops.sort_values("seq").groupby(["depot_id", "vehicle_id"]):
            d = dep.loc[depot_id]
            pts = [(d["lon"], d["lat"])] + [(loc.at[c, "lon"], loc.at[c, "lat"]) for c in grp["clues"]
                                            if c in loc.index] + [(d["lon"], d["lat"])]
            rx.extend([p[0] for p in pts] + [None])
            ry.extend([p[1] for p in pts] + [None])
        fig.add_trace(go.Scatter(x=rx, y=ry, mode="lines", line=dict(color="#2b83ba", width=1.4),
                                 name=t("reports.fig.routes", lang), hoverinfo="skip"))
        served = loc.loc[loc.index.intersection(route_stops["clues"].unique())]
        fig.add_trace(go.Scatter(x=served["lon"], y=served["lat"], mode="markers", name=t("reports.fig.stop", lang),
                                 marker=dict(size=4, color="#2b83ba"), text=served["name"], hoverinfo="text"))
    if hospitals is not None and len(hospitals):
        h = hospitals.join(loc[["lat", "lon"]], on="clues")
        for status, colour in STATUS_COLOURS.items():
            sel = h[h["status_24_7"] == status]
            if sel.empty:
                continue
            fig.add_trace(go.Scatter(
                x=sel["lon"], y=sel["lat"], mode="markers", name=enum_label("status_24_7", status, lang),
                marker=dict(color=colour, size=6 + 2 * sel["operating_rooms"].clip(upper=6),
                            line=dict(color="#333", width=0.5)),
                text=[f"{n}<br>{c}<br>" + t("reports.fig.rooms_hover", lang, rooms=r, of=o,
                                             limiting=enum_label("specialty", lim, lang))
                      for n, c, r, o, lim in zip(sel["name"], sel["clues"], sel["rooms_24_7"], sel["operating_rooms"],
                                                 sel["limiting_role"], strict=True)], hoverinfo="text"))
    open_dep = depots[depots["status"] == "open"]
    closed_dep = depots[depots["status"] != "open"]
    fig.add_trace(go.Scatter(x=open_dep["lon"], y=open_dep["lat"], mode="markers", name=t("reports.fig.depot", lang),
                             marker=dict(symbol="square", size=11, color="#2b83ba", line=dict(color="#000", width=1)),
                             text=open_dep["name"], hoverinfo="text"))
    if len(closed_dep):
        fig.add_trace(go.Scatter(x=closed_dep["lon"], y=closed_dep["lat"], mode="markers",
                                 name=t("reports.fig.depot_closed", lang),
                                 marker=dict(symbol="x", size=13, color="#d7191c"), text=closed_dep["name"],
                                 hoverinfo="text"))
    fig.update_layout(**_LAYOUT, title=title, height=640, legend=dict(orientation="h", y=-0.14))
    _mexico_axes(fig, lang)
    return fig


def municipality_access_map(municipalities: pd.DataFrame, title: str, lang: str) -> go.Figure:
    """Every municipality (census 2020 point) coloured by minutes to the nearest hospital with 24/7 surgery.

    Marker area grows with population; municipalities with no 24/7 hospital in reach are drawn at the top
    of the scale (the colour bar caps at 240 minutes).
    """
    m = municipalities.copy()
    minutes = pd.to_numeric(m["minutes_to_24_7"], errors="coerce").replace([float("inf")], float("nan"))
    shown = minutes.fillna(240.0).clip(upper=240.0)
    size = 3 + 14 * (m["population"].clip(lower=0) / max(float(m["population"].max()), 1.0)) ** 0.5
    fig = go.Figure()
    fig.add_trace(_outline_trace())
    none = t("reports.fig.no_hospital", lang)
    text = [f"{n} ({c})<br>" + t("reports.fig.people_hover", lang, people=fmt_int(p, lang),
                                 degree=enum_label("degree", d, lang))
            + f"<br>{none if mins != mins else t('reports.fig.minutes', lang, minutes=f'{mins:.0f}')}"
            for n, c, p, d, mins in zip(m["name"], m["cvegeo"], m["population"], m["degree"], minutes, strict=True)]
    fig.add_trace(go.Scatter(
        x=m["lon"].round(4), y=m["lat"].round(4), mode="markers", text=text, hoverinfo="text",
        marker=dict(color=shown.round(1), colorscale="RdYlGn_r", cmin=0, cmax=240, size=size.round(1), opacity=0.85,
                    line=dict(width=0), colorbar=dict(title=t("reports.fig.minutes_bar", lang)))))
    fig.update_layout(**_LAYOUT, title=title, height=640, showlegend=False)
    _mexico_axes(fig, lang)
    return fig


def coverage_by_state(states: pd.DataFrame, other: pd.DataFrame | None, names: tuple[str, str],
                      lang: str) -> go.Figure:
    """Surgical coverage (% of procedures/week delivered) per state, for this run and optionally another."""
    s = states.dropna(subset=["coverage_pct"]).sort_values("coverage_pct")
    label = s["state"].fillna(s["cve_ent"]) if "state" in s else s["cve_ent"]
    fig = go.Figure(go.Bar(x=s["coverage_pct"], y=label, orientation="h", name=names[0], marker_color="#2b83ba"))
    if other is not None and "coverage_pct" in other:
        o = other.set_index("cve_ent").reindex(s["cve_ent"])
        fig.add_trace(go.Bar(x=o["coverage_pct"], y=label, orientation="h", name=names[1], marker_color="#fdae61"))
    fig.update_layout(**_LAYOUT, title=t("reports.fig.coverage_title", lang), barmode="group",
                      height=max(380, 22 * len(s) * (2 if other is not None else 1)), xaxis_title="%")
    return fig


def access_by_state(states: pd.DataFrame, lang: str) -> go.Figure:
    """Share of people within 60 and 120 minutes of a 24/7 surgical hospital, per state."""
    s = states.dropna(subset=["access_120"]).sort_values("access_120")
    fig = go.Figure()
    for col, colour in (("access_60", "#1a9850"), ("access_120", "#91cf60")):
        if col in s:
            fig.add_trace(go.Bar(x=(100 * s[col]).round(2), y=s["state"], orientation="h",
                                 name=col.replace("access_", "≤ ") + " min", marker_color=colour))
    fig.update_layout(**_LAYOUT, title=t("reports.fig.access_title", lang), barmode="group",
                      height=max(380, 36 * len(s)), xaxis_title=t("reports.fig.pct_population", lang))
    return fig


def fill_rates(lines: pd.DataFrame, lang: str) -> go.Figure:
    """Mean line fill rate by criticality (vital / essential / other) and by state."""
    need = lines[lines["need"] > 0]
    order = ["vital", "essential", "other"]
    by_crit = need.groupby("criticality")["fill"].mean().reindex(order)
    fig = go.Figure(go.Bar(x=[enum_label("criticality", c, lang) for c in order], y=by_crit.to_numpy(),
                           marker_color=["#d7191c", "#fdae61", "#abd9e9"],
                           text=[f"{v:.1%}" if v == v else "" for v in by_crit], textposition="outside"))
    fig.update_layout(**_LAYOUT, title=t("reports.fig.fill_title", lang),
                      yaxis=dict(range=[0, 1.1], tickformat=".0%"), height=360)
    return fig


def deployment_by_state(assignments: pd.DataFrame, facilities: pd.DataFrame, state_names: dict[str, str],
                        lang: str) -> go.Figure:
    """Recruits deployed per state, stacked by role."""
    a = assignments.join(facilities.set_index("clues")["cve_ent"], on="hospital")
    a["state"] = a["cve_ent"].map(state_names).fillna(a["cve_ent"])
    pivot = a.pivot_table(index="state", columns="role", values="specialist_id", aggfunc="count", fill_value=0)
    pivot = pivot.loc[pivot.sum(axis=1).sort_values().index]
    fig = go.Figure([go.Bar(x=pivot[c], y=pivot.index, orientation="h", name=enum_label("specialty", c, lang))
                     for c in pivot.columns])
    fig.update_layout(**_LAYOUT, title=t("reports.fig.deployment_title", lang), barmode="stack",
                      height=max(380, 22 * len(pivot)))
    return fig


def roster_heatmap(roster: pd.DataFrame, hospital: str, title: str, start: dt.date, lang: str) -> go.Figure:
    """People x days of one hospital's roster (day 0 = ``start``), coloured by shift (blank = day off)."""
    r = roster[roster["hospital"] == hospital].assign(shift=lambda f: f["shift"].fillna(""))
    people = r[["staff_id", "role"]].drop_duplicates().sort_values(["role", "staff_id"])
    days = sorted(r["day"].unique())
    shifts = sorted(set(r["shift"]) | {""})
    k = len(shifts)
    grid = r.pivot(index="staff_id", columns="day", values="shift").reindex(index=people["staff_id"], columns=days)
    grid = grid.fillna("")
    z = grid.map(shifts.index).to_numpy()
    scale = []  # discrete colours: category i fills [i/k, (i+1)/k] with zmin=-0.5, zmax=k-0.5
    for i, sh in enumerate(shifts):
        colour = SHIFT_COLOURS.get(sh[:1], "#999999")
        scale += [[i / k, colour], [(i + 1) / k, colour]]
    labels = [f"{sid} ({enum_label('specialty', role, lang)})"
              for sid, role in zip(people["staff_id"], people["role"], strict=True)]
    day_names = [fmt_weekday_date(start + dt.timedelta(days=int(d)), lang) for d in days]
    codes = grid.map(lambda v: shift_code(v, lang)).to_numpy()
    fig = go.Figure(go.Heatmap(z=z, x=day_names, y=labels, text=codes, texttemplate="%{text}",
                               colorscale=scale, showscale=False, zmin=-0.5, zmax=k - 0.5, xgap=1, ygap=1,
                               hovertemplate="%{y}<br>%{x}: %{text}<extra></extra>"))
    fig.update_layout(**_LAYOUT, title=title, height=max(300, 16 * len(labels) + 120))
    fig.update_yaxes(autorange="reversed")
    return fig


def read_plan(run_dir: Path, stage: str, table: str) -> pd.DataFrame | None:
    """A plan table of the run, or None when that stage did not run (empty tables come back empty)."""
    p = run_dir / "plans" / stage / f"{table}.csv"
    if not p.exists():
        return None
    try:
        return pd.read_csv(p, dtype={"clues": str, "cve_ent": str, "cvegeo": str, "hospital": str, "sku": str,
                                    "shift": str},
                           keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
