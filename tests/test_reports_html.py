"""The HTML report is self-contained, light, in Spanish by default (English on request), and shows the map,
charts and roster heat-maps with real dates."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optimizer.reports.html import write_report
from optimizer.scenarios.runner import RunResult
from tests.test_reports_support import tiny_run

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    return tiny_run(tmp_path_factory)


@pytest.fixture(scope="module")
def report(run: RunResult) -> Path:
    return write_report(run.run_dir, against=run.run_dir)


def test_report_is_self_contained_and_light(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", text), "no external scripts: the report must work offline"
    assert "cdn.plot.ly" not in text
    assert "id='plotly-gz'" in text and "DecompressionStream('gzip')" in text  # plotly.js inlined, compressed
    assert 1_500_000 < len(text) < 3_000_000  # was 5.7 MB with plotly.js inlined as text


def test_report_is_spanish_by_default_with_sections(run: RunResult, report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert "<html lang='es'>" in text
    for heading in ("Indicadores principales", "Mapa de la red", "Cobertura por estado", "Acceso por estado",
                    "Roles de turno", "Procedencia: etapas, estado de la solución, tiempo"):
        assert f"<h2>{heading}</h2>" in text, heading
    assert json.dumps("centro de distribución cerrado") in text  # the outage is drawn, in Spanish
    rostered = pd.read_csv(run.run_dir / "plans/rostering/roster.csv")["hospital"].nunique()
    assert rostered >= 1
    assert text.count(r'"hovertemplate":"%{y}\u003cbr\u003e%{x}: %{text}') == rostered  # a heat-map per roster
    assert r'"lun 03\u002f03"' in text and '"Mon 1"' not in text  # real dates (the run plans from Monday 3 March 2025)
    assert run.run_dir.name in text and run.plans_digest[:16] in text


def test_kpi_values_are_formatted_by_kind(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td title='[^']*'>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>"
                      r"<td class='[^']*'>([^<]+)</td>", text)
    values = {label: a for label, a, _, _ in rows}
    assert re.fullmatch(r"\d[\d,]*", values["Especialistas asignados"])  # a count: no ".0"
    assert re.fullmatch(r"\d+\.\d %", values["Demanda quirúrgica cubierta"])
    assert re.fullmatch(r"\$[\d,]+", values["Incentivos y bonos"])
    for label, a, _, delta in rows:  # differences of percentages are percentage points, never "%"
        assert "%" not in delta, label
        assert delta.endswith(" pp") == a.endswith("%"), label


def test_report_in_english_with_the_setting(run: RunResult, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BIENESTAR_LANG", "en")
    text = write_report(run.run_dir, tmp_path / "en.html").read_text(encoding="utf-8")
    assert "<html lang='en'>" in text and "<h2>Headline KPIs</h2>" in text and r'"Mon 03\u002f03"' in text
    assert "<h2>Indicadores principales</h2>" not in text


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed (apt-get install chromium)")
def test_report_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("report_screenshot", ROOT / "benchmarks/report_screenshot.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    png = mod.screenshot(report, tmp_path / "report.png", height=2000)
    from PIL import Image

    img = np.asarray(Image.open(png).convert("RGB")).astype(int)
    assert img.shape[:2] == (2000, 1280)
    # the map (below the KPI table) draws coloured markers once plotly.js is unpacked: count non-grey pixels
    coloured = (np.abs(img[..., 0] - img[..., 1]) > 60) | (np.abs(img[..., 1] - img[..., 2]) > 60)
    assert coloured.sum() > 2000


def test_a_stage_failure_is_told_in_the_reports_language(run: RunResult, tmp_path: Path) -> None:
    """run.json keeps why a stage failed as a catalogue message: the report says it in its own language."""
    from optimizer.i18n import msg

    copy = tmp_path / run.run_dir.name
    shutil.copytree(run.run_dir, copy)
    why = msg("run.stage_failed", stage="access", reason=msg("run.exception", type="KeyError", detail="'x'"))
    info = json.loads((copy / "run.json").read_text())
    (copy / "run.json").write_text(json.dumps({**info, "message": str(why), "message_i18n": why.to_json()}))
    es = write_report(copy, tmp_path / "es.html", lang="es").read_text(encoding="utf-8")
    en = write_report(copy, tmp_path / "en.html", lang="en").read_text(encoding="utf-8")
    assert "falló la etapa access: KeyError: &#x27;x&#x27;" in es and "stage access failed" not in es
    assert "stage access failed: KeyError: &#x27;x&#x27;" in en
