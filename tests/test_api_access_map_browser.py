"""The travel-time map on the web page in a real browser (headless Chromium driven by Playwright, against a
live ``uvicorn`` server): after a run of the small scenario, every municipality is drawn in its band's
colour and the legend's population per band equals the API's, summing to the census total; an hr key sees
why it gets no map. Skips with a clear message when Chromium or Playwright is absent."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_api_support import bearer, free_port, home_env, make_keys, module_home, start_server, wait_run

CHROMIUM = os.environ.get("BIENESTAR_CHROMIUM", "/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: pip install playwright")
if not shutil.which(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set BIENESTAR_CHROMIUM)",
                allow_module_level=True)

LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], str]]:
    """A live server with one finished run of the small scenario (started through the API)."""
    home = module_home(tmp_path_factory.getbasetemp(), "access-map-browser")
    with home_env(home):
        keys = make_keys(home)
        port = free_port()
        proc = start_server(home, port)
        try:
            base = f"http://127.0.0.1:{port}"
            r = httpx.post(f"{base}/runs", json={"scenario": "api-small"}, headers=bearer(keys["planner"]), timeout=60)
            assert r.status_code == 202, r.text
            doc = wait_run(lambda i: httpx.get(f"{base}/runs/{i}", headers=bearer(keys["planner"])).json(),
                           r.json()["run_id"])
            assert doc["status"] == "finished", doc
            yield base, keys, doc["run_id"]
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


def _number(text: str) -> int:
    return int(text.replace(",", "").strip())  # es-MX groups thousands with commas


def test_page_draws_municipalities_by_travel_time(server: tuple[str, dict[str, str], str], tmp_path: Path) -> None:
    base, keys, run_id = server
    api = httpx.get(f"{base}/runs/{run_id}/access/map", headers=bearer(keys["planner"])).json()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(locale="es-MX")  # the browser asks for Spanish (Accept-Language: es-MX)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{base}/")
            page.fill("#key", keys["planner"])
            page.click("#key-form button[type=submit]")
            page.wait_for_selector("#whoami[data-role='planner']")
            page.click(f"tr[data-run='{run_id}'] button")
            page.wait_for_selector("#access-map circle.amuni", timeout=60_000)
            assert page.locator("#access-map circle.amuni").count() == len(api["municipalities"]) == 2469
            for band in api["bands"]:
                shown = page.locator(f"#access-bands tr[data-band='{band['band']}'] .band-population").inner_text()
                assert _number(shown) == band["population"], band
                assert page.locator(f"#access-map circle.band-{band['band']}").count() == band["municipalities"]
            total = page.locator("#access-bands tr.total td").nth(2).inner_text()
            assert _number(total) == api["total_population"] == 126_014_024
            page.screenshot(path=str(tmp_path / "access-map.png"), full_page=True)

            page.fill("#key", keys["hr"])
            page.click("#key-form button[type=submit]")
            page.wait_for_selector("#whoami[data-role='hr']")
            page.click(f"tr[data-run='{run_id}'] button")
            page.wait_for_selector("#access-bands td:has-text('disponibles para planeación')")  # said, in Spanish
            assert page.locator("#access-map circle").count() == 0
            assert not errors, errors
        finally:
            browser.close()
