"""How fast the workbooks and the HTML report of a run are written and opened; which XLSX writer to use.

Usage: python benchmarks/workbooks.py RUN_DIR [--against RUN_A] [--before DIR] [--repeats 3]
       [--out benchmarks/results/workbooks.md]

1. Writes ``hr.xlsx``, ``logistics.xlsx``, ``planners.xlsx`` and ``report.html`` of RUN_DIR (into a temporary
   folder) and times each; then opens every workbook with ``openpyxl.load_workbook`` (the default, full mode)
   ``--repeats`` times and reports the median and the worst, and loads the report in Debian's Chromium
   (Playwright) timing the first screen drawn and every figure drawn (scrolling down the page).
2. ``--before DIR``: the same measurements for the files an earlier version wrote there (e.g. ``bienestar report``
   of the commit before issue 22), for the before/after table.
3. Writer comparison: the run's whole manifest table (every stop x SKU line, typed: whole numbers, time cells,
   text) written as one sheet by openpyxl and by XlsxWriter with the same formats, median of ``--repeats``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BOOKS = ("hr.xlsx", "logistics.xlsx", "planners.xlsx")


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float, float]:
    """(median wall s, worst wall s, median CPU s of this process) of ``repeats`` calls.

    On this shared machine the wall time mostly measures waiting for a core; the CPU time of the (single-
    threaded) call is what it takes on an idle machine.
    """
    walls, cpus = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), max(walls), statistics.median(cpus)


def open_times(folder: Path, repeats: int) -> dict[str, tuple[float, float, float, int, int]]:
    """Per workbook in ``folder``: (median s, worst s, median CPU s, size kB, sheets) of openpyxl opening it."""
    from openpyxl import load_workbook

    out = {}
    for name in BOOKS:
        path = folder / name
        if path.exists():
            med, worst, cpu = timed(lambda p=path: load_workbook(p), repeats)
            sheets = len(load_workbook(path, read_only=True).sheetnames)
            out[name] = (med, worst, cpu, path.stat().st_size // 1000, sheets)
    return out


def report_load(html: Path) -> tuple[float, float, int]:
    """(s to the first screen drawn, s to every figure drawn while scrolling, figures) in headless Chromium."""
    from playwright.sync_api import sync_playwright

    drawn = ("() => document.querySelectorAll('.main-svg').length > 0 ? "
             "new Set([...document.querySelectorAll('.main-svg')].map(s => s.closest('.js-plotly-plot'))).size : 0")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        t0 = time.perf_counter()
        page.goto(html.resolve().as_uri(), wait_until="load", timeout=120_000)
        page.wait_for_function(f"({drawn})() >= 1", timeout=120_000)
        first = time.perf_counter() - t0
        figures = page.evaluate("() => document.querySelectorAll('div.fig, div.plotly-graph-div').length")
        while page.evaluate(drawn) < figures:
            page.mouse.wheel(0, 900)
            page.wait_for_timeout(50)
            if time.perf_counter() - t0 > 180:
                break
        every = time.perf_counter() - t0
        browser.close()
    return first, every, figures


def writer_comparison(manifest: pd.DataFrame, repeats: int, work: Path) -> dict[str, tuple[float, float, float, int]]:
    """Write the manifest lines (typed) as one sheet with openpyxl and with XlsxWriter: (median, worst, CPU, kB)."""
    import xlsxwriter
    from openpyxl import Workbook

    rows = manifest[["vehicle_id", "seq", "clues", "facility", "eta", "sku", "medicine", "units",
                     "cold_chain"]].copy()
    rows["eta"] = [dt.time(*map(int, v.split(":"))) for v in rows["eta"]]
    records = rows.itertuples(index=False, name=None)
    data = list(records)

    def with_openpyxl() -> None:
        wb = Workbook()
        ws = wb.active
        ws.append(list(rows.columns))
        for i, r in enumerate(data, 2):
            ws.append([*r[:7], int(r[7]), "Sí" if r[8] else "No"])
            ws.cell(i, 5).number_format = "hh:mm"
            ws.cell(i, 8).number_format = "#,##0"
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
        wb.save(work / "openpyxl.xlsx")

    def with_xlsxwriter() -> None:
        wb = xlsxwriter.Workbook(str(work / "xlsxwriter.xlsx"))
        ws = wb.add_worksheet()
        hhmm, whole = wb.add_format({"num_format": "hh:mm"}), wb.add_format({"num_format": "#,##0"})
        ws.write_row(0, 0, list(rows.columns))
        for i, r in enumerate(data, 1):
            ws.write_row(i, 0, r[:4])
            ws.write_datetime(i, 4, r[4], hhmm)
            ws.write_row(i, 5, r[5:7])
            ws.write_number(i, 7, int(r[7]), whole)
            ws.write_string(i, 8, "Sí" if r[8] else "No")
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, len(data), len(rows.columns) - 1)
        wb.close()

    out = {}
    for name, fn in (("openpyxl", with_openpyxl), ("xlsxwriter", with_xlsxwriter)):
        med, worst, cpu = timed(fn, repeats)
        out[name] = (med, worst, cpu, (work / f"{name}.xlsx").stat().st_size // 1000)
    return out


def say(line: str) -> None:
    """Progress on stderr as each measurement ends (a long run shows where it is)."""
    print(line, file=sys.stderr, flush=True)


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--against", type=Path)
    parser.add_argument("--before", type=Path, help="folder with workbooks and report.html of an earlier version")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/workbooks.md")
    args = parser.parse_args()
    from optimizer.reports.html import write_report
    from optimizer.reports.xlsx import write_workbooks

    start_load = load_average()
    lines = ["## Workbooks and report (issue 22): write time, open time, size", "",
             f"Command: `python benchmarks/workbooks.py {' '.join(sys.argv[1:])}`  ",
             f"Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; load average at the start (1/5/15 min): "
             f"{start_load}  ",
             "Open = `openpyxl.load_workbook(path)` (full mode, as a script reading the file would), median and worst "
             f"of {args.repeats}, and the median CPU time of the opening process (single-threaded: what it takes on an "
             "idle machine); report = Debian Chromium via Playwright, 1280x900 viewport, time from navigation to "
             "the first figure drawn and to every figure drawn while scrolling down.", ""]
    with tempfile.TemporaryDirectory(prefix="bench-books-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        write_workbooks(args.run, work, against=args.against)
        books_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        html = write_report(args.run, work / "report.html", against=args.against)
        report_s = time.perf_counter() - t0
        say(f"written: workbooks {books_s:.1f} s, report {report_s:.1f} s")
        rows = [("after", name, *v) for name, v in open_times(work, args.repeats).items()]
        say(f"after open: {rows}")
        reports = [("after", html, report_load(html))]
        say(f"after report: {reports[0][2]}")
        if args.before is not None:
            rows = [("before", name, *v) for name, v in open_times(args.before, args.repeats).items()] + rows
            say(f"before open: {rows}")
            old = args.before / "report.html"
            if old.exists():
                reports.insert(0, ("before", old, report_load(old)))
                say(f"before report: {reports[0][2]}")
        lines += ["| version | workbook | sheets | size kB | open median s | open worst s | open median CPU s |",
                  "|---|---|---:|---:|---:|---:|---:|"]
        lines += [f"| {v} | {n} | {sh} | {kb:,} | {med:.2f} | {worst:.2f} | {cpu:.2f} |"
                  for v, n, med, worst, cpu, kb, sh in rows]
        lines += ["", f"Writing all three workbooks (after): {books_s:.1f} s; the report: {report_s:.1f} s.", "",
                  "| version | report | size kB | first figure drawn s | every figure drawn s | figures |",
                  "|---|---|---:|---:|---:|---:|"]
        lines += [f"| {v} | {p.name} | {p.stat().st_size // 1000:,} | {a:.2f} | {b:.2f} | {n} |"
                  for v, p, (a, b, n) in reports]
        manifest = pd.read_csv(args.run / "plans/distribution/manifest.csv", dtype={"clues": str, "sku": str})
        comp = writer_comparison(manifest, args.repeats, work)
        say(f"writers: {comp}")
        lines += ["", f"Writer comparison: the run's {len(manifest):,} manifest lines as one typed sheet "
                  "(9 columns: text, whole numbers, a time cell; frozen header, filter).", "",
                  "| writer | median s | worst s | median CPU s | size kB |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {name} | {med:.2f} | {worst:.2f} | {cpu:.2f} | {kb:,} |"
                  for name, (med, worst, cpu, kb) in comp.items()]
    lines += ["", f"Load average at the end: {load_average()}."]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
