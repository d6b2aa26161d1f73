"""Figures of a surgery stage for the run report: a Gantt of theatres by day and the waiting list before/after.

Input is the stage's ``schedule`` table (one row per waiting patient: ``hospital, patient, urgent, release_day,
admission_day, theatre, surgery_minutes``); surgeries of a theatre-day are drawn one after the other from the
start of the day (the model decides the day and theatre, not the minute). Texts come from the ``reports``
message catalogue (Spanish first).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from optimizer.i18n import t

COLOURS = {True: "#b03a2e", False: "#2e86c1"}


def theatre_gantt(schedule: pd.DataFrame, hospital: str, title: str, lang: str = "es") -> go.Figure:
    """Surgeries of ``hospital`` as bars: y = theatre, x = day + minutes / 1,440 (urgent in red)."""
    s = schedule[(schedule["hospital"] == hospital) & schedule["admission_day"].notna()].copy()
    s = s.sort_values(["theatre", "admission_day", "urgent"], ascending=[True, True, False])
    s["start"] = s.groupby(["theatre", "admission_day"])["surgery_minutes"].cumsum() - s["surgery_minutes"]
    fig = go.Figure()
    day = t("reports.fig.surgery_hover", lang)
    for urgent, part in s.groupby("urgent"):
        fig.add_bar(
            y=part["theatre"], x=part["surgery_minutes"] / 1440, base=part["admission_day"] + part["start"] / 1440,
            orientation="h", marker_color=COLOURS[bool(urgent)],
            name=t("reports.fig.surgery_urgent" if urgent else "reports.fig.surgery_elective", lang),
            customdata=part[["patient", "surgery_minutes", "admission_day"]].to_numpy(),
            hovertemplate=f"%{{customdata[0]}}: %{{customdata[1]}} min, {day} %{{customdata[2]}}<extra></extra>",
        )
    fig.update_layout(title=title, barmode="overlay", xaxis_title=t("reports.fig.surgery_day", lang),
                      yaxis_title=t("reports.fig.surgery_theatre", lang), height=220 + 30 * s["theatre"].nunique())
    return fig


def waiting_list(schedule: pd.DataFrame, hospital: str, days: int, title: str, lang: str = "es") -> go.Figure:
    """Patients waiting at the end of each day: released and not yet admitted, without and with the schedule."""
    s = schedule[schedule["hospital"] == hospital]
    before = [int((s["release_day"] <= d).sum()) for d in range(days)]
    after = [int(((s["release_day"] <= d) & ~(s["admission_day"] <= d)).sum()) for d in range(days)]
    fig = go.Figure()
    x = list(range(days))
    fig.add_scatter(x=x, y=before, name=t("reports.fig.surgery_before", lang), mode="lines+markers")
    fig.add_scatter(x=x, y=after, name=t("reports.fig.surgery_after", lang), mode="lines+markers")
    fig.update_layout(title=title, xaxis_title=t("reports.fig.surgery_day", lang),
                      yaxis_title=t("reports.fig.surgery_waiting_axis", lang), height=320)
    return fig
