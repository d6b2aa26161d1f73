"""The HTML report is self-contained and shows the map and charts; XLSX workbooks hold the plan tables."""

from __future__ import annotations

import importlib.util
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from optimizer.reports.html import write_report
from optimizer.reports.xlsx import write_workbooks
from optimizer.scenarios.basedata import resolve_base
from optimizer.scenarios.headline import HEADLINES, headline_kpis
from optimizer.scenarios.runner import RunResult, run_scenario
from optimizer.scenarios.schema import DatasetSource, GenerateBase, Scenario

TINY = GenerateBase(seed=5, program_hospitals=30, n_records=8000, umfs=20, pharmacies=10)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunResult]:
    base = resolve_base(DatasetSource(generate=TINY), cache=tmp_path_factory.getbasetemp() / "datasets")
    home = tmp_path_factory.mktemp("report-home")
    s = Scenario.model_validate({
        "name": "report", "seed": 2, "dataset": {"path": str(base)}, "models": ["capacity", "rostering", "access"],
        "depots": {"close": ["D002"]},
        "rostering": {"max_hospitals": 2, "weeks": 1, "processes": 1, "settings": {"time_limit_s": 10, "workers": 1}}})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BIENESTAR_HOME", str(home))
        mp.delenv("BIENESTAR_DB_URL", raising=False)
        yield run_scenario(s, home / "runs", progress=False)


@pytest.fixture(scope="module")
def report(run: RunResult) -> Path:
    return write_report(run.run_dir, against=run.run_dir)


def test_report_is_self_contained(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", text), "no external scripts: the report must work offline"
    assert "cdn.plot.ly" not in text.split("</script>", 1)[1]  # the figures reference no CDN
    assert len(text) > 3_000_000  # plotly.js is inlined


def test_report_has_map_charts_heatmaps_and_provenance(run: RunResult, report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    for heading in ("Headline KPIs", "Network map", "Coverage by state", "Access by state", "Roster heat-maps",
                    "Provenance: stages, solve status, wall time"):
        assert f"<h2>{heading}</h2>" in text, heading
    assert '"name":"depot closed"' in text  # the outage is drawn
    rostered = pd.read_csv(run.run_dir / "plans/rostering/roster.csv")["hospital"].nunique()
    assert rostered >= 1
    assert text.count(r'"hovertemplate":"%{y}\u003cbr\u003e%{x}: %{text}') == rostered  # a heat-map per roster
    assert run.run_dir.name in text and run.plans_digest[:16] in text


def test_workbooks_per_audience_hold_the_plan_tables(run: RunResult, tmp_path: Path) -> None:
    books = {p.name: p for p in write_workbooks(run.run_dir, tmp_path, against=run.run_dir)}
    assert set(books) == {"hr.xlsx", "planners.xlsx"}  # no distribution in this run: no logistics workbook
    hr = load_workbook(books["hr.xlsx"], read_only=True)
    assert {"rosters", "roster summary"} <= set(hr.sheetnames)
    rows = sum(1 for _ in hr["rosters"].iter_rows()) - 1
    assert rows == len((run.run_dir / "plans/rostering/roster.csv").read_text().splitlines()) - 1
    pl = load_workbook(books["planners.xlsx"], read_only=True)
    assert {"headline KPIs", "equity by state", "capacity by hospital", "comparison"} <= set(pl.sheetnames)
    got = {r[0]: r[1] for r in pl["headline KPIs"].iter_rows(min_row=2, values_only=True)}
    k = headline_kpis(run.run_dir)
    for key, label, _, _ in HEADLINES:
        assert got[label] == (pytest.approx(k[key]) if k[key] is not None else None)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed (apt-get install chromium)")
def test_report_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("report_screenshot", ROOT / "benchmarks/report_screenshot.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    png = mod.screenshot(report, tmp_path / "report.png", height=2000)
    from PIL import Image

    img = np.asarray(Image.open(png).convert("RGB")).astype(int)
    assert img.shape[:2] == (2000, 1280)
    # the map (below the KPI table) draws coloured markers: count clearly non-grey pixels
    coloured = (np.abs(img[..., 0] - img[..., 1]) > 60) | (np.abs(img[..., 1] - img[..., 2]) > 60)
    assert coloured.sum() > 2000
