"""The planner's workbench in a real browser (Debian's Chromium driven by Playwright, against a live
``bienestar serve``): in Spanish and in English, a planner chooses a base, changes the budget and Oaxaca's
demand by name (a bad value is refused beside its field), saves, runs, watches the progress, compares with the
base (headline, by state, map of differences) and downloads the workbook; an HR key and a logistics key see
their own views, told what they may not see.

Screenshots go to a temporary folder, so a test run never touches the checkout; ``docs/workbench-*.png`` are
refreshed only on request::

    BIENESTAR_SCREENSHOTS=docs timeout 900 python -m pytest tests/test_api_browser_workbench.py -q

Every run uses the small test dataset with all five models and time limits of a few seconds, so the module
fits the suite. Skips with a clear message when Chromium or Playwright is absent.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import openpyxl
import pytest
from test_api_support import bearer, free_port, home_env, make_keys, module_home, start_server, wait_run

CHROMIUM = os.environ.get("BIENESTAR_CHROMIUM", "/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: pip install playwright")
if not shutil.which(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set BIENESTAR_CHROMIUM)",
                allow_module_level=True)

LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--no-first-run", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
DOCS = Path(__file__).resolve().parent.parent / "docs"
#: ``BIENESTAR_SCREENSHOTS=docs`` writes the screenshots over ``docs/workbench-*.png``; anything else: a temp folder.
SCREENSHOTS_ENV = "BIENESTAR_SCREENSHOTS"
#: Every model, a few seconds each: the journey's base scenario.
BASE = """name: taller
description: all five models on the small test dataset, short time limits (browser journey)
seed: 1
dataset:
  path: {dataset}
models: [deployment, capacity, rostering, distribution, access]
deployment: {{time_limit_s: 3}}
capacity: {{time_limit_s: 10}}
rostering:
  max_hospitals: 1
  weeks: 1
  settings: {{time_limit_s: 10, workers: 2}}
distribution:
  allocation: {{time_limit: 5, total_time_limit: 10}}
  routing: {{time_limit: 0.5}}
"""
RUN_TIMEOUT_MS = 240_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], str]]:
    """A live server with one finished run of the journey's base scenario (the planner compares against it)."""
    home = module_home(tmp_path_factory.getbasetemp(), "browser-workbench")
    (home / "test-scenarios" / "taller.yaml").write_text(BASE.format(dataset=home / "dataset"))
    with home_env(home):
        keys = make_keys(home)
        port = free_port()
        proc = start_server(home, port)
        try:
            base = f"http://127.0.0.1:{port}"
            r = httpx.post(f"{base}/runs", json={"scenario": "taller"}, headers=bearer(keys["planner"]), timeout=60)
            assert r.status_code == 202, r.text
            cli = subprocess.run([sys.executable, "-c", "from optimizer.cli import main; main()", "run",
                                  str(home / "test-scenarios" / "api-small.yaml")], capture_output=True, text=True,
                                 env={**os.environ, "BIENESTAR_HOME": str(home)}, timeout=300, check=False)
            assert cli.returncode == 0, cli.stderr[-2000:]  # a run from the command line: the page lists it too
            doc = wait_run(lambda i: httpx.get(f"{base}/runs/{i}", headers=bearer(keys["planner"])).json(),
                           r.json()["run_id"], 300)
            assert doc["status"] == "finished", doc
            yield base, keys, doc["run_id"]
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: ``docs/`` when asked for (:data:`SCREENSHOTS_ENV`), else a temporary folder."""
    if os.environ.get(SCREENSHOTS_ENV) == "docs":
        return DOCS
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


def _page(browser, base: str, key: str, locale: str, role: str):
    """A page in ``locale`` (the browser's Accept-Language) signed in with ``key``."""
    context = browser.new_context(locale=locale, accept_downloads=True, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/")
    page.fill("#key", key)
    page.click("#key-form button[type=submit]")
    page.wait_for_selector(f"#whoami[data-role='{role}']")
    return page, errors


# Texts the journey reads, per language (the page's own catalogue is what is tested, so they are spelled here).
TEXT = {
    "es": {"valid": "El escenario es válido.", "min0": "Debe ser mayor o igual a 0.", "title": "Oaxaca con más demanda",
           "finished": "terminada", "heading": "Escenarios"},
    "en": {"valid": "The scenario is valid.", "min0": "Must be greater than or equal to 0.",
           "title": "Oaxaca demand up", "finished": "finished", "heading": "Scenarios"},
}


@pytest.mark.parametrize("lang", ["es", "en"])
def test_planner_makes_runs_and_compares_a_what_if(server, browser, shots: Path, lang: str, tmp_path: Path) -> None:
    base, keys, base_run = server
    text = TEXT[lang]
    page, errors = _page(browser, base, keys["planner"], "es-MX" if lang == "es" else "en-US", "planner")
    assert page.get_attribute("html", "lang") == lang
    assert page.locator("#scenarios-section h2").inner_text() == text["heading"]
    # choose a base
    page.click("tr[data-scenario='taller'] button.copy")
    page.wait_for_selector("#editor-section:not([hidden])")
    page.wait_for_selector("#editor[data-ready='1']")
    assert page.input_value("#ed-base") == "taller"
    page.fill("#ed-title", f"{text['title']} {lang}")
    page.fill("#ed-description", "+50 % Oaxaca")
    # change the budget
    page.fill("#ed-budget", "30000000")
    # change Oaxaca's demand, by name; a negative factor is refused beside its field, in the page's language
    page.click("#ed-add-rule")
    rule = page.locator("#ed-demand .rule").last
    rule.locator(".rule-factor").fill("-1")
    page.wait_for_selector(f"#ed-demand .rule .field-error:has-text('{text['min0']}')")
    rule.locator(".rule-factor").fill("1.5")
    rule.locator(".rule-states").select_option(label="Oaxaca")
    page.wait_for_selector(f"#ed-state:has-text('{text['valid']}')")
    page.screenshot(path=str(shots / f"workbench-editor-{lang}.png"), full_page=True)
    # save and run, then watch the progress in the run list and the run's stages
    page.click("#ed-save-run")
    page.wait_for_selector("#run-section:not([hidden])")
    page.wait_for_selector("#runs td.status-running, #runs td.status-queued, #stages progress", timeout=60_000)
    page.wait_for_selector("#run-status[data-status='finished']", timeout=RUN_TIMEOUT_MS)
    page.wait_for_selector("#runs tr.selected td.status-finished")  # the list follows the run live
    new_run = page.locator("#runs tr.selected").get_attribute("data-run")
    assert page.locator("#runs tr.selected td.status").inner_text() == text["finished"]
    page.wait_for_selector("#headline .card")
    cards = page.locator("#headline .card")
    assert cards.count() >= 4 and cards.first.get_attribute("title")  # human label with its definition
    page.screenshot(path=str(shots / f"workbench-run-{lang}.png"), full_page=True)
    # compare with the base run: headline, by state, map of differences
    page.select_option("#compare-a", base_run)
    page.select_option("#compare-b", new_run)
    page.click("#compare-go")
    page.wait_for_selector("#compare tr[data-kpi='coverage_pct']")
    assert "%" in page.locator("#compare tr[data-kpi='coverage_pct'] td").nth(1).inner_text()
    assert page.locator("#compare-states tbody tr").count() >= 1
    assert page.locator("#compare-map path.state").count() == 32
    page.locator("#compare-section").screenshot(path=str(shots / f"workbench-compare-{lang}.png"))
    # download the planners' workbook from the run's page
    with page.expect_download(timeout=120_000) as info:
        page.click("#dl-planners")
    saved = tmp_path / "planners.xlsx"
    info.value.save_as(saved)
    assert openpyxl.load_workbook(saved).sheetnames
    assert not errors, errors
    page.context.close()
    # the what-if was saved with Oaxaca by code and the planner's budget
    h = bearer(keys["planner"])
    scen = [s for s in httpx.get(f"{base}/scenarios", headers=h).json() if s["title"] == f"{text['title']} {lang}"]
    detail = httpx.get(f"{base}/scenarios/{scen[0]['name']}", headers=h).json()
    assert detail["resolved"]["demand"][0]["states"] == ["20"]
    assert detail["resolved"]["deployment"]["budget_mxn_month"] == 30_000_000


def test_hr_view_says_what_it_may_not_see(server, browser, shots: Path) -> None:
    base, keys, run_id = server
    page, errors = _page(browser, base, keys["hr"], "es-MX", "hr")
    assert page.locator("#scenarios-section").is_hidden()
    page.wait_for_selector("#runs tr[data-source='cli']")  # the command line's run, with the id the CLI takes
    cli_row = page.locator("#runs tr[data-source='cli']")
    assert cli_row.count() == 1 and len(cli_row.get_attribute("data-cli-id")) == 8
    page.click(f"tr[data-run='{run_id}'] button.open")
    page.wait_for_selector("#map circle.hospital")
    page.wait_for_selector("#map-note:has-text('recursos humanos')")  # said, not drawn as "no surgery"
    assert page.locator("#map circle.hnone").count() == 0 and page.locator("#map circle.hunknown").count() > 0
    page.wait_for_selector("#headline .card[data-kpi='deployment.deployed']")
    assert page.locator("#headline .card[data-kpi^='distribution.']").count() == 0
    assert page.locator("#kpis tr[data-kpi^='distribution.']").count() == 0  # KPIs filtered by role
    page.wait_for_selector("#roster table")  # the roster grid, or its summary when the limit left no roster
    assert page.locator("#dl-hr").count() == 1 and page.locator("#dl-planners").count() == 0
    page.screenshot(path=str(shots / "workbench-hr-es.png"), full_page=True)
    assert not errors, errors
    page.context.close()


def test_logistics_view_shows_the_route(server, browser, shots: Path) -> None:
    base, keys, run_id = server
    page, errors = _page(browser, base, keys["logistics"], "es-MX", "logistics")
    page.click(f"tr[data-run='{run_id}'] button.open")
    page.wait_for_selector("#route-table tbody tr[data-clues]", timeout=60_000)
    first = page.locator("#route-table tbody tr[data-clues]").first.locator("td")
    assert "(" in first.nth(1).inner_text() and ":" in first.nth(2).inner_text()  # facility name, ETA hh:mm
    assert "-" in first.nth(3).inner_text() and "unidades" in first.nth(4).inner_text()  # window, load
    assert page.locator("#route-table tr.depot-row").count() == 2
    assert page.locator("#route-map rect.depot").count() == 1 and page.locator("#route-map circle.stop").count() > 0
    before = page.get_attribute("#route-map", "viewBox")
    page.click("#zoom-out")
    assert page.get_attribute("#route-map", "viewBox") != before
    page.click("#zoom-fit")
    assert page.get_attribute("#route-map", "viewBox") == before
    page.wait_for_selector("#roster p.note")  # rosters are HR's: said so
    page.locator("#route-section").screenshot(path=str(shots / "workbench-route-es.png"))
    assert not errors, errors
    page.context.close()
