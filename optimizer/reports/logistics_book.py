"""``logistics.xlsx``: the routes summary, one printable driver's manifest per vehicle and day, the week's
shipments by facility.

A manifest sheet lists the stops in visit order; the stop's facility (CLUES, name, municipality, state and the
address fields the dataset has), delivery window, ETA and unloading time are on its first line, followed by its
items (SKU, medicine and presentation in one cell, units, cold chain) and a signature cell for whoever
receives; the driver signs at the bottom. Times are time cells, units whole numbers.

The week's shipments are summarised per depot and facility (lines, units, cold-chain units, m3, kg, the
vehicle that delivers them on the routed day); the lot-level detail (82,000 lines nationally) stays in the
run's ``plans/distribution/shipments.csv``: as a sheet it made the workbook take 15 s to open.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from optimizer.i18n import fmt_date, fmt_num, t
from optimizer.reports.figures import read_plan
from optimizer.reports.rundata import ADDRESS_FIELDS, RunData
from optimizer.reports.sheets import Book, Col

_LITRES_PER_M3 = 1000.0


def clock(text: object) -> dt.time | dt.timedelta | None:
    """``'HH:MM'`` as a time cell value (a duration past 24:00, e.g. a window closing after midnight)."""
    if not isinstance(text, str) or ":" not in text:
        return None
    hours, minutes = (int(x) for x in text.strip().split(":")[:2])
    return dt.time(hours, minutes) if hours < 24 else dt.timedelta(hours=hours, minutes=minutes)


def _minutes(text: object) -> int | None:
    if not isinstance(text, str) or ":" not in text:
        return None
    hours, minutes = (int(x) for x in text.split(":")[:2])
    return 60 * hours + minutes


def manifest_sheet_name(day: dt.date, depot_id: str, vehicle_id: str) -> str:
    """Sheet name of one vehicle's manifest on ``day`` (``03-03 D001 V0001``)."""
    return f"{day:%d-%m} {depot_id} {vehicle_id}"


def route_summary(run: RunData, routes: pd.DataFrame, manifest: pd.DataFrame) -> pd.DataFrame:
    """One row per route: km, time, cost, load (m3, kg) against the vehicle's capacity, its manifest sheet."""
    med = run.medicines
    lines = manifest.assign(
        m3=manifest["units"] * manifest["sku"].map(med["volume_l"]) / _LITRES_PER_M3,
        kg=manifest["units"] * manifest["sku"].map(med["weight_kg"]))
    agg = lines.groupby(["depot_id", "vehicle_id"]).agg(departure=("departure", "first"), back=("return", "first"),
                                                       m3=("m3", "sum"), kg=("kg", "sum"), units=("units", "sum"))
    r = routes.join(agg, on=["depot_id", "vehicle_id"])
    veh = run.vehicles
    r["cap_m3"] = r["vehicle_id"].map(veh["capacity_m3"]) if len(veh) else None
    r["cap_kg"] = r["vehicle_id"].map(veh["capacity_kg"]) if len(veh) else None
    r["cold"] = r["vehicle_id"].map(veh["cold_chain"]) if len(veh) else None
    r["use_m3"] = r["m3"] / r["cap_m3"]
    r["use_kg"] = r["kg"] / r["cap_kg"]
    r["duration"] = [dt.timedelta(minutes=b - a) if a is not None and b is not None else None
                     for a, b in zip(r["departure"].map(_minutes), r["back"].map(_minutes), strict=True)]
    r["departure_t"] = r["departure"].map(clock)
    r["return_t"] = r["back"].map(clock)
    r["depot_name"] = r["depot_id"].map(run.depots["name"]) if len(run.depots) else r["depot_id"]
    r["day"] = run.start_day
    r["sheet"] = [manifest_sheet_name(run.start_day, d, v) for d, v in zip(r["depot_id"], r["vehicle_id"],
                                                                           strict=True)]
    return r.sort_values(["depot_id", "vehicle_id"])


ROUTE_COLS = [Col("day", "day", "date"), Col("depot_id", "depot_id"), Col("depot_name", "depot"),
              Col("vehicle_id", "vehicle"), Col("cold", "refrigerated", "yesno"), Col("stops", "stops", "int"),
              Col("km", "km", "num1"), Col("departure_t", "departure", "time"), Col("return_t", "return", "time"),
              Col("duration", "route_time", "duration"), Col("cost_mxn", "cost_mxn", "money"),
              Col("m3", "load_m3", "num2"), Col("cap_m3", "capacity_m3", "num1"), Col("use_m3", "use_m3", "share"),
              Col("kg", "load_kg", "int"), Col("cap_kg", "capacity_kg", "int"), Col("use_kg", "use_kg", "share"),
              Col("units", "units", "int"), Col("sheet", "manifest")]


def write_logistics(run: RunData, path: Path, lang: str) -> Path | None:
    """Write ``logistics.xlsx``; None when the run has no distribution plan."""
    manifest = read_plan(run.run_dir, "distribution", "manifest")
    routes = read_plan(run.run_dir, "distribution", "routes")
    shipments = read_plan(run.run_dir, "distribution", "shipments")
    if manifest is None or routes is None:
        return None
    book = Book(path, lang)
    day_text = fmt_date(run.start_day, lang, "full")
    summary = route_summary(run, routes, manifest) if len(manifest) else routes.assign(sheet=None)
    ws, top = book.table(t("workbooks.sheet.routes", lang), summary, ROUTE_COLS,
                         title=t("workbooks.logistics.routes_title", lang, day=day_text),
                         notes=[t("workbooks.logistics.routes_note", lang)], freeze_cols=4)
    _link_manifests(ws, summary, len(ROUTE_COLS) - 1, top)
    if shipments is not None:
        book.table(t("workbooks.sheet.shipments", lang), shipments_by_facility(run, shipments, manifest, lang),
                   SHIPMENT_COLS, title=t("workbooks.logistics.shipments_title", lang),
                   notes=[t("workbooks.logistics.shipments_note", lang)], freeze_cols=3)
    for (depot, vehicle), lines in manifest.groupby(["depot_id", "vehicle_id"], sort=True):
        route = summary[(summary["depot_id"] == depot) & (summary["vehicle_id"] == vehicle)]
        write_manifest(book, run, lines, route.iloc[0] if len(route) else None)
    return book.close()


def _link_manifests(ws: Worksheet, summary: pd.DataFrame, col: int, header: int) -> None:
    """Each route's manifest cell becomes a link to its sheet."""
    for i, name in enumerate(summary["sheet"].tolist(), header + 1):
        if isinstance(name, str):
            ws.write_url(i, col, f"internal:'{name}'!A1", string=name)


SHIPMENT_COLS = [Col("depot_id", "depot_id"), Col("depot_name", "depot"), Col("clues", "clues"),
                 Col("facility_name", "facility"), Col("facility_municipality", "municipality"),
                 Col("facility_state", "state"), Col("lines", "lines", "int"), Col("units", "units", "int"),
                 Col("cold_units", "cold_units", "int"), Col("m3", "volume_m3", "num2"), Col("kg", "weight_kg", "int"),
                 Col("vehicle", "vehicle_today")]


def shipments_by_facility(run: RunData, shipments: pd.DataFrame, manifest: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The week's shipments per depot and facility, with the vehicle that delivers on the routed day."""
    med = run.medicines
    s = shipments.assign(
        cold_units=shipments["units"].where(shipments["sku"].map(med["cold_chain"]).astype(bool), 0),
        m3=shipments["units"] * shipments["sku"].map(med["volume_l"]) / _LITRES_PER_M3,
        kg=shipments["units"] * shipments["sku"].map(med["weight_kg"]))
    g = s.groupby(["depot_id", "clues"]).agg(lines=("sku", "nunique"), units=("units", "sum"),
                                             cold_units=("cold_units", "sum"), m3=("m3", "sum"), kg=("kg", "sum"))
    g = g.reset_index()
    today = manifest.groupby(["depot_id", "clues"])["vehicle_id"].first() if len(manifest) else pd.Series()
    g["vehicle"] = [today.get((d, c), t("workbooks.logistics.not_today", lang))
                    for d, c in zip(g["depot_id"], g["clues"], strict=True)]
    g["depot_name"] = g["depot_id"].map(run.depots["name"]) if len(run.depots) else g["depot_id"]
    return run.with_facility(g, "clues").sort_values(["depot_id", "facility_state", "facility_name"])


def _manifest_frame(run: RunData, lines: pd.DataFrame) -> tuple[pd.DataFrame, list[Col]]:
    """Manifest lines in visit order; the stop's fields only on its first line."""
    fields = ("name", "municipality", "state", *(f for f in ADDRESS_FIELDS if f in run.facilities))
    m = run.with_facility(lines.sort_values(["seq", "sku"], kind="stable"), "clues", fields)
    med = run.medicines
    presentation = m["sku"].map(med["presentation"]) if "presentation" in med else pd.Series(index=m.index)
    m["item"] = [f"{name}, {form}" if isinstance(form, str) and form else str(name)
                 for name, form in zip(m["medicine"], presentation, strict=True)]
    windows = m["window"].astype(str).str.split("-", n=1, expand=True)
    m["window_from"] = windows[0].map(clock)
    m["window_to"] = windows[1].map(clock) if windows.shape[1] > 1 else None
    m["eta_t"] = m["eta"].map(clock)
    m["unload_t"] = m["unload_at"].map(clock)
    first = ~m["stop_id"].duplicated()
    stop_fields = ["clues", *(f"facility_{f}" for f in fields), "window_from", "window_to", "eta_t", "unload_t"]
    m.loc[~first, stop_fields] = None
    cols = [Col("seq", "stop", "int"), Col("clues", "clues"), Col("facility_name", "facility"),
            Col("facility_municipality", "municipality"), Col("facility_state", "state"),
            *(Col(f"facility_{f}", f) for f in ADDRESS_FIELDS if f in fields),
            Col("window_from", "window_from", "time"), Col("window_to", "window_to", "time"),
            Col("eta_t", "eta", "time"), Col("unload_t", "unload", "time"), Col("sku", "sku"),
            Col("item", "medicine_presentation", width=64), Col("units", "units", "int"),
            Col("cold_chain", "cold_chain", "yesno"), Col("received", "received_by", width=26)]
    return m.assign(first=first), cols


def write_manifest(book: Book, run: RunData, lines: pd.DataFrame, route: pd.Series | None) -> Worksheet:
    """One vehicle's manifest for the routed day, printable for the driver."""
    lang = book.lang
    depot, vehicle = str(lines["depot_id"].iloc[0]), str(lines["vehicle_id"].iloc[0])
    m, cols = _manifest_frame(run, lines)
    depot_name = run.depots["name"].get(depot, depot) if len(run.depots) else depot
    title = t("workbooks.logistics.manifest_title", lang, vehicle=vehicle, depot=depot_name)
    facts = t("workbooks.logistics.manifest_facts", lang, day=fmt_date(run.start_day, lang, "full"),
              departure=lines["departure"].iloc[0], back=lines["return"].iloc[0], stops=int(m["first"].sum()),
              km=fmt_num(float(route["km"]), lang) if route is not None else "–")
    ws = book.sheet(manifest_sheet_name(run.start_day, depot, vehicle))
    top = book.title_block(ws, title, [facts, t("workbooks.logistics.driver_line", lang)])
    last = book.write_table(ws, top, m, cols, freeze_cols=3)
    sign = book.add_format({"bottom": 1})
    received = len(cols) - 1
    for i, is_first in enumerate(m["first"].tolist(), top + 1):
        if is_first:
            ws.write_blank(i, received, None, sign)
    bold_top = book.add_format({"bold": True, "top": 1})
    ws.conditional_format(top + 1, 0, last, received - 1, {
        "type": "formula", "criteria": f"=$B{top + 2}<>\"\"", "format": bold_top})
    units_col = next(j for j, c in enumerate(cols) if c.field == "units")
    ws.write_string(last + 2, units_col - 1, t("workbooks.logistics.total_units", lang), book.bold)
    letter = xl_col_to_name(units_col)
    ws.write_formula(last + 2, units_col, f"=SUM({letter}{top + 2}:{letter}{last + 1})", book.fmt["int"],
                     int(lines["units"].sum()))
    ws.write_string(last + 4, 0, t("workbooks.logistics.sign_driver", lang), book.bold)
    ws.write_string(last + 6, 0, t("workbooks.logistics.sign_depot", lang), book.bold)
    book.print_setup(ws, f"{title} · {facts}", repeat_to=top)
    return ws


