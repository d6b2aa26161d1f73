"""Render one roster grid sheet and one driver's manifest of a run as PNG pages, as they print (docs/ images).

Usage: python benchmarks/workbook_screenshot.py RUN_DIR [--lang es] [--out docs] [--hospital CLUES] [--vehicle ID]

Each sheet is written alone into a one-sheet workbook with the product's own writers
(:func:`optimizer.reports.roster_grid.write_roster_grid`, :func:`optimizer.reports.logistics_book.write_manifest`),
converted to PDF by LibreOffice (``libreoffice --headless --convert-to pdf``, so the print setup is what is
shown: landscape, fit to width, repeated headers) and its first page to PNG by ``pdftoppm``. Needs Debian's
``libreoffice-calc`` and ``poppler-utils``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def to_png(xlsx: Path, out: Path, dpi: int = 80) -> Path:
    """First printed page of ``xlsx`` as ``out`` (PNG)."""
    subprocess.run(["libreoffice", "--headless", "--convert-to", "pdf", "--outdir", str(xlsx.parent), str(xlsx)],
                   check=True, capture_output=True, timeout=300)
    stem = out.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile",
                    str(xlsx.with_suffix(".pdf")), str(stem)], check=True, capture_output=True, timeout=120)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--lang", default="es")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--hospital", help="CLUES of a rostered hospital (default: the first)")
    parser.add_argument("--vehicle", help="vehicle id (default: the route with most stops)")
    args = parser.parse_args()
    from optimizer.reports.figures import read_plan
    from optimizer.reports.logistics_book import write_manifest
    from optimizer.reports.roster_grid import write_roster_grid
    from optimizer.reports.rundata import RunData
    from optimizer.reports.sheets import Book

    run = RunData(args.run)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sheet-shot-") as tmp:
        roster = read_plan(run.run_dir, "rostering", "roster")
        summary = read_plan(run.run_dir, "rostering", "summary")
        hospital = args.hospital or roster["hospital"].iloc[0]
        status = dict(zip(summary["hospital"], summary["status"], strict=True)).get(hospital, "")
        book = Book(Path(tmp) / "roster.xlsx", args.lang)
        write_roster_grid(book, run, hospital, roster[roster["hospital"] == hospital], status)
        print(to_png(book.close(), args.out / f"roster_sheet_{args.lang}.png"))
        manifest = read_plan(run.run_dir, "distribution", "manifest")
        routes = read_plan(run.run_dir, "distribution", "routes")
        vehicle = args.vehicle or routes.sort_values("stops", ascending=False)["vehicle_id"].iloc[0]
        route = routes[routes["vehicle_id"] == vehicle].iloc[0]
        book = Book(Path(tmp) / "manifest.xlsx", args.lang)
        write_manifest(book, run, manifest[manifest["vehicle_id"] == vehicle], route)
        print(to_png(book.close(), args.out / f"manifest_sheet_{args.lang}.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
