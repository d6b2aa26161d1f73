"""The web page in a real browser: headless Chromium (Debian's package, driven by Playwright) loads the
page from a live ``uvicorn`` server, starts a run of a small scenario, waits for it to finish and reads a
KPI off the page, which must equal the API's value. Skips with a clear message when Chromium or
Playwright is absent (CI: ``apt-get install -y chromium`` and ``pip install playwright``)."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_api_support import bearer, free_port, home_env, make_keys, module_home, start_server

CHROMIUM = os.environ.get("BIENESTAR_CHROMIUM", "/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: pip install playwright")
if not shutil.which(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set BIENESTAR_CHROMIUM)",
                allow_module_level=True)

LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    home = module_home(tmp_path_factory.getbasetemp(), "browser")
    with home_env(home):
        keys = make_keys(home)
        port = free_port()
        proc = start_server(home, port)
        try:
            yield f"http://127.0.0.1:{port}", keys
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


def test_page_runs_a_scenario_and_shows_its_kpis(server: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    base, keys = server
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{base}/")
            page.fill("#key", keys["admin"])
            page.click("#key-form button[type=submit]")
            page.wait_for_selector("#whoami[data-role='admin']")
            page.click("tr[data-scenario='api-small'] button.run")
            page.wait_for_selector("#run-status[data-status='finished']", timeout=180_000)
            page.click("#kpi-details summary")  # the full table is one click away
            cell = page.wait_for_selector("tr[data-kpi='capacity.rooms_staffable_24_7'] .kpi-value")
            shown = cell.inner_text()
            stage_rows = page.locator("#stages tbody tr").count()
            page.wait_for_selector("#map circle.hospital.h24, #map circle.hospital.hday")
            page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
        finally:
            browser.close()
    assert not errors, errors
    h = bearer(keys["planner"])
    runs = httpx.get(f"{base}/runs", headers=h, timeout=30).json()["items"]
    assert runs[0]["status"] == "finished" and stage_rows == len(runs[0]["stages"])
    kpis = httpx.get(f"{base}/runs/{runs[0]['run_id']}/kpis", headers=h, timeout=30).json()
    assert shown.replace(",", "") == str(kpis["capacity"]["rooms_staffable_24_7"])
