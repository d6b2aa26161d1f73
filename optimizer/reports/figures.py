"""Plotly figures of a run, drawn from its plan files and inputs only (no solver objects).

The map is a plain x/y chart of longitude and latitude with the state outlines of
``data/reference/states.geojson`` as line traces, so it needs no map tiles or topojson from the network
and renders offline. The x axis is scaled by cos(mean latitude) so Mexico keeps its shape.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from optimizer.paths import REFERENCE_DIR

STATUS_COLOURS = {"fully_24_7": "#1a9850", "24_7_some_rooms": "#91cf60", "daytime_only": "#fc8d59",
                  "no_surgery": "#d73027"}
STATUS_LABELS = {"fully_24_7": "fully 24/7", "24_7_some_rooms": "24/7, some rooms", "daytime_only": "daytime only",
                 "no_surgery": "no surgery"}
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
                xs.extend(pt[0] for pt in ring)
                ys.extend(pt[1] for pt in ring)
                xs.append(None)
                ys.append(None)
    return xs, ys


def network_map(facilities: pd.DataFrame, hospitals: pd.DataFrame | None, depots: pd.DataFrame,
                route_stops: pd.DataFrame | None, title: str) -> go.Figure:
    """Program hospitals coloured by 24/7 status, depots, and the day's delivery routes over state outlines."""
    fig = go.Figure()
    xs, ys = state_outlines()
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="#9e9e9e", width=0.7),
                             hoverinfo="skip", name="states", showlegend=False))
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
                                 name="delivery routes (day)", hoverinfo="skip"))
        served = loc.loc[loc.index.intersection(route_stops["clues"].unique())]
        fig.add_trace(go.Scatter(x=served["lon"], y=served["lat"], mode="markers", name="delivery stop",
                                 marker=dict(size=4, color="#2b83ba"), text=served["name"], hoverinfo="text"))
    if hospitals is not None and len(hospitals):
        h = hospitals.join(loc[["lat", "lon"]], on="clues")
        for status, colour in STATUS_COLOURS.items():
            sel = h[h["status_24_7"] == status]
            if sel.empty:
                continue
            fig.add_trace(go.Scatter(
                x=sel["lon"], y=sel["lat"], mode="markers", name=STATUS_LABELS[status],
                marker=dict(color=colour, size=6 + 2 * sel["operating_rooms"].clip(upper=6),
                            line=dict(color="#333", width=0.5)),
                text=[f"{n}<br>{c}<br>{r} of {o} rooms 24/7<br>limiting: {lim}" for n, c, r, o, lim in zip(
                    sel["name"], sel["clues"], sel["rooms_24_7"], sel["operating_rooms"], sel["limiting_role"],
                    strict=True)], hoverinfo="text"))
    open_dep = depots[depots["status"] == "open"]
    closed_dep = depots[depots["status"] != "open"]
    fig.add_trace(go.Scatter(x=open_dep["lon"], y=open_dep["lat"], mode="markers", name="depot",
                             marker=dict(symbol="square", size=11, color="#2b83ba", line=dict(color="#000", width=1)),
                             text=open_dep["name"], hoverinfo="text"))
    if len(closed_dep):
        fig.add_trace(go.Scatter(x=closed_dep["lon"], y=closed_dep["lat"], mode="markers", name="depot closed",
                                 marker=dict(symbol="x", size=13, color="#d7191c"), text=closed_dep["name"],
                                 hoverinfo="text"))
    ratio = 1.0 / math.cos(math.radians(23.5))
    fig.update_layout(**_LAYOUT, title=title, height=640, legend=dict(orientation="h", y=-0.14))
    fig.update_xaxes(range=[-118.6, -86.5], showgrid=False, zeroline=False, title="longitude")
    fig.update_yaxes(range=[14.3, 33.0], showgrid=False, zeroline=False, title="latitude", scaleanchor="x",
                     scaleratio=ratio)
    return fig


def municipality_access_map(municipalities: pd.DataFrame, title: str) -> go.Figure:
    """Every municipality (census 2020 point) coloured by minutes to the nearest hospital with 24/7 surgery.

    Marker area grows with population; municipalities with no 24/7 hospital in reach are drawn at the top
    of the scale (the colour bar caps at 240 minutes).
    """
    m = municipalities.copy()
    minutes = pd.to_numeric(m["minutes_to_24_7"], errors="coerce").replace([float("inf")], float("nan"))
    shown = minutes.fillna(240.0).clip(upper=240.0)
    size = 3 + 14 * (m["population"].clip(lower=0) / max(float(m["population"].max()), 1.0)) ** 0.5
    fig = go.Figure()
    xs, ys = state_outlines()
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="#9e9e9e", width=0.7),
                             hoverinfo="skip", name="states", showlegend=False))
    text = [f"{n} ({c})<br>{int(p):,} people · {d}<br>{'no 24/7 hospital' if t != t else f'{t:.0f} min'}"
            for n, c, p, d, t in zip(m["name"], m["cvegeo"], m["population"], m["degree"], minutes, strict=True)]
    fig.add_trace(go.Scatter(
        x=m["lon"], y=m["lat"], mode="markers", name="municipality", text=text, hoverinfo="text",
        marker=dict(color=shown, colorscale="RdYlGn_r", cmin=0, cmax=240, size=size, opacity=0.85,
                    line=dict(width=0), colorbar=dict(title="minutes to<br>24/7 surgery"))))
    ratio = 1.0 / math.cos(math.radians(23.5))
    fig.update_layout(**_LAYOUT, title=title, height=640, showlegend=False)
    fig.update_xaxes(range=[-118.6, -86.5], showgrid=False, zeroline=False, title="longitude")
    fig.update_yaxes(range=[14.3, 33.0], showgrid=False, zeroline=False, title="latitude", scaleanchor="x",
                     scaleratio=ratio)
    return fig


def coverage_by_state(states: pd.DataFrame, other: pd.DataFrame | None, names: tuple[str, str]) -> go.Figure:
    """Surgical coverage (% of procedures/week delivered) per state, for this run and optionally another."""
    s = states.dropna(subset=["coverage_pct"]).sort_values("coverage_pct")
    label = s["state"].fillna(s["cve_ent"]) if "state" in s else s["cve_ent"]
    fig = go.Figure(go.Bar(x=s["coverage_pct"], y=label, orientation="h", name=names[0], marker_color="#2b83ba"))
    if other is not None and "coverage_pct" in other:
        o = other.set_index("cve_ent").reindex(s["cve_ent"])
        fig.add_trace(go.Bar(x=o["coverage_pct"], y=label, orientation="h", name=names[1], marker_color="#fdae61"))
    fig.update_layout(**_LAYOUT, title="Surgical demand covered by state (% of procedures/week)", barmode="group",
                      height=max(380, 22 * len(s) * (2 if other is not None else 1)), xaxis_title="%")
    return fig


def access_by_state(states: pd.DataFrame) -> go.Figure:
    """Share of people within 60 and 120 minutes of a 24/7 surgical hospital, per state."""
    s = states.dropna(subset=["access_120"]).sort_values("access_120")
    fig = go.Figure()
    for col, colour in (("access_60", "#1a9850"), ("access_120", "#91cf60")):
        if col in s:
            fig.add_trace(go.Bar(x=100 * s[col], y=s["state"], orientation="h", name=col.replace("access_", "≤ ")
                                 + " min", marker_color=colour))
    fig.update_layout(**_LAYOUT, title="People within reach of 24/7 surgery (%)", barmode="group",
                      height=max(380, 36 * len(s)), xaxis_title="% of population")
    return fig


def fill_rates(lines: pd.DataFrame) -> go.Figure:
    """Mean line fill rate by criticality (vital / essential / other) and by state."""
    need = lines[lines["need"] > 0]
    order = ["vital", "essential", "other"]
    by_crit = need.groupby("criticality")["fill"].mean().reindex(order)
    fig = go.Figure(go.Bar(x=order, y=by_crit.to_numpy(), marker_color=["#d7191c", "#fdae61", "#abd9e9"],
                           text=[f"{v:.1%}" if v == v else "" for v in by_crit], textposition="outside"))
    fig.update_layout(**_LAYOUT, title="Medicine fill rate by criticality (mean of shipped / need per line)",
                      yaxis=dict(range=[0, 1.1], tickformat=".0%"), height=360)
    return fig


def deployment_by_state(assignments: pd.DataFrame, facilities: pd.DataFrame, state_names: dict[str, str]) -> go.Figure:
    """Recruits deployed per state, stacked by role."""
    a = assignments.join(facilities.set_index("clues")["cve_ent"], on="hospital")
    a["state"] = a["cve_ent"].map(state_names).fillna(a["cve_ent"])
    pivot = a.pivot_table(index="state", columns="role", values="specialist_id", aggfunc="count", fill_value=0)
    pivot = pivot.loc[pivot.sum(axis=1).sort_values().index]
    fig = go.Figure([go.Bar(x=pivot[c], y=pivot.index, orientation="h", name=c) for c in pivot.columns])
    fig.update_layout(**_LAYOUT, title="Recruits deployed by state and role", barmode="stack",
                      height=max(380, 22 * len(pivot)))
    return fig


def roster_heatmap(roster: pd.DataFrame, hospital: str, title: str) -> go.Figure:
    """People x days of one hospital's roster, coloured by shift (blank = day off)."""
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
    labels = [f"{sid} ({role})" for sid, role in zip(people["staff_id"], people["role"], strict=True)]
    day_names = [("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[d % 7] + f" {d + 1}" for d in days]
    fig = go.Figure(go.Heatmap(z=z, x=day_names, y=labels, text=grid.to_numpy(), texttemplate="%{text}",
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
