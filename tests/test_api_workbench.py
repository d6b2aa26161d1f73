"""The planner's workbench through the API: what-ifs with names, saved, edited, copied, deleted; references to
things the network lacks refused at save time; messages in the caller's language; every run in one list."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import yaml
from fastapi.testclient import TestClient
from test_api_support import api_fixtures, bearer

home, keys, client = api_fixtures("workbench", max_concurrent_runs=1)


def test_states_by_name_are_accepted_and_saved_as_codes(client: TestClient, keys: dict[str, str],
                                                        home: Path) -> None:
    h = bearer(keys["planner"])
    body = {"title": "Oaxaca +30 % demanda", "base": "api-small", "description": "más demanda en Oaxaca",
            "overrides": {"demand": [{"factor": 1.3, "states": ["Oaxaca"]}],
                          "deployment": {"budget_mxn_month": 4.0e7}}}
    r = client.post("/scenarios", json=body, headers=h)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["name"] == "oaxaca-30-demanda" and doc["title"] == "Oaxaca +30 % demanda"
    assert doc["description"] == "más demanda en Oaxaca" and doc["base"] == "api-small"
    assert doc["resolved"]["demand"][0]["states"] == ["20"]
    assert doc["overrides"]["demand"][0]["states"] == ["Oaxaca"]  # what the planner typed, for editing
    saved = yaml.safe_load((home / "scenarios" / "oaxaca-30-demanda.yaml").read_text())
    assert saved["demand"][0]["states"] == ["20"] and saved["deployment"]["budget_mxn_month"] == 4.0e7
    for name in ("michoacán", "MICHOACAN", "16"):
        r = client.post("/scenarios/check", json={"base": "api-small",
                                                  "overrides": {"demand": [{"factor": 2, "states": [name]}]}},
                        headers=h)
        assert r.json()["valid"] and r.json()["resolved"]["demand"][0]["states"] == ["16"], (name, r.text)


def test_unknown_references_are_refused_at_save_time(client: TestClient, keys: dict[str, str]) -> None:
    h = bearer(keys["planner"])
    r = client.post("/scenarios", json={"name": "no-depot", "base": "api-small",
                                        "overrides": {"depots": {"close": ["D999"]}}}, headers=h)
    assert r.status_code == 400 and "D999" in r.json()["error"], r.text
    assert "almacén" in r.json()["error"]  # Spanish by default
    r = client.post("/scenarios", json={"name": "no-depot", "base": "api-small",
                                        "overrides": {"depots": {"close": ["D999"]}}},
                    headers={**h, "Accept-Language": "en"})
    assert r.status_code == 400 and "no depot 'D999'" in r.json()["error"]
    r = client.post("/scenarios", json={"name": "no-state", "base": "api-small",
                                        "overrides": {"demand": [{"factor": 1.1, "states": ["Atlantis"]}]}}, headers=h)
    assert r.status_code == 400 and "Atlantis" in r.json()["error"]
    r = client.post("/scenarios", json={"name": "no-hosp", "base": "api-small",
                                        "overrides": {"facilities": {"close": ["Hospital de Ninguna Parte"]}}},
                    headers=h)
    assert r.status_code == 400 and "Hospital de Ninguna Parte" in r.json()["error"]
    bad = client.post("/scenarios/check", json={"base": "api-small", "overrides": {"demand": [{"factor": -1}]}},
                      headers=h)
    assert bad.status_code == 422
    err = bad.json()["detail"][0]
    assert err["loc"][-1] == "factor" and err["msg"] == "Debe ser mayor o igual a 0."


def test_a_depot_and_a_hospital_by_name(client: TestClient, keys: dict[str, str]) -> None:
    h = bearer(keys["planner"])
    opts = client.get("/scenarios/options", headers=h).json()
    assert any(s["name"] == "Oaxaca" and s["key"] == "20" for s in opts["states"])
    depot, hospital = opts["depots"][0], opts["hospitals_open"][0]
    r = client.post("/scenarios/check", json={"base": "api-small", "overrides": {
        "depots": {"close": [depot["name"]]}, "facilities": {"close": [hospital["key"]]}}}, headers=h)
    assert r.json()["valid"], r.text
    assert r.json()["resolved"]["depots"]["close"] == [depot["key"]]


def test_edit_copy_and_delete(client: TestClient, keys: dict[str, str], home: Path) -> None:
    h = bearer(keys["planner"])
    body = {"name": "mine", "title": "Mi escenario", "base": "api-small",
            "overrides": {"recruits": {"incentive_factor": 1.2}}}
    assert client.post("/scenarios", json=body, headers=h).status_code == 201
    body["overrides"] = {"recruits": {"incentive_factor": 1.5}, "capacity": {"time_limit_s": 5}}
    r = client.put("/scenarios/mine", json=body, headers=h)
    assert r.status_code == 200 and r.json()["resolved"]["recruits"]["incentive_factor"] == 1.5
    copy = client.post("/scenarios", json={**body, "name": "mine-copy", "title": "Copia"}, headers=h)
    assert copy.status_code == 201 and copy.json()["resolved"]["capacity"]["time_limit_s"] == 5
    assert client.put("/scenarios/api-small", json=body, headers=h).status_code == 409
    assert client.delete("/scenarios/api-small", headers=h).status_code == 409
    assert client.delete("/scenarios/mine", headers=h).status_code == 204
    assert client.get("/scenarios/mine", headers=h).status_code == 404
    assert not (home / "scenarios" / "mine.meta.json").exists()


def test_null_removes_an_override_so_the_default_applies(client: TestClient, keys: dict[str, str]) -> None:
    """``null`` is a JSON merge patch's: the key goes, the default applies (not the base's value, not an error),
    the same in POST, PUT and /scenarios/check; a key not sent keeps the base's value."""
    h = bearer(keys["planner"])
    base = {"name": "nulls", "base": "api-small", "overrides": {
        "deployment": {"budget_mxn_month": 5.0e7, "km_weight": 0.5, "degree_bonus_mxn": {"Muy alto": 9000}},
        "capacity": {"time_limit_s": 7}, "demand": [{"factor": 1.2, "states": ["Oaxaca"]}]}}
    assert client.post("/scenarios", json=base, headers=h).status_code == 201
    reset = {"name": "nulls-2", "base": "nulls", "overrides": {
        "deployment": {"budget_mxn_month": None, "km_weight": None}, "capacity": None, "demand": None,
        "recruits": {"size": None}}}
    checked = client.post("/scenarios/check", json=reset, headers=h)
    assert checked.status_code == 200 and checked.json()["valid"], checked.text
    saved = client.post("/scenarios", json=reset, headers=h)
    assert saved.status_code == 201, saved.text
    for doc in (checked.json(), saved.json()):
        dep = doc["resolved"]["deployment"]
        assert dep["budget_mxn_month"] is None and dep["km_weight"] == 1e-4  # the defaults: no limit, 1e-4
        assert dep["degree_bonus_mxn"]["Muy alto"] == 9000  # not sent: the base's value stays
        assert doc["resolved"]["capacity"]["time_limit_s"] == 60 and doc["resolved"]["demand"] == []
    assert saved.json()["overrides"] == reset["overrides"]  # kept as sent, nulls included, for editing
    again = client.put("/scenarios/nulls-2", json={**reset, "overrides": {"deployment": {"km_weight": None},
                                                                          "capacity": {"time_limit_s": None}}},
                       headers=h)
    assert again.status_code == 200, again.text
    assert again.json()["resolved"]["deployment"]["budget_mxn_month"] == 5.0e7  # back to the base's value
    assert again.json()["resolved"]["capacity"]["time_limit_s"] == 60
    required = client.post("/scenarios/check", json={"base": "api-small", "overrides": {"demand": [{"factor": None}]}},
                           headers=h)
    assert required.status_code == 422  # inside a demand rule null is "not sent": a rule needs its factor
    spec = client.get("/openapi.json").json()["components"]["schemas"]
    over = next(v for k, v in spec.items() if k.startswith("ScenarioOverrides"))
    assert "null" in over["description"] and "default" in over["description"]


def test_override_schema_is_typed_in_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    create = spec["components"]["schemas"]["CreateRequest"]["properties"]["overrides"]
    assert create.get("$ref", "").endswith("/ScenarioOverrides") or "allOf" in create
    props = spec["components"]["schemas"]["ScenarioOverrides"]["properties"]
    assert {"demand", "depots", "facilities", "recruits", "deployment"} <= set(props)
    assert spec["components"]["schemas"]["ScenarioOverrides"]["additionalProperties"] is False


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "BIENESTAR_HOME": str(home)}
    cmd = [sys.executable, "-c", "from optimizer.cli import main; main()", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_a_cli_run_is_listed_with_the_id_the_cli_accepts(client: TestClient, keys: dict[str, str],
                                                         home: Path) -> None:
    done = _cli(home, "run", str(home / "test-scenarios" / "api-small.yaml"), "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    h = bearer(keys["hr"])
    items = client.get("/runs", headers=h).json()["items"]
    cli = [r for r in items if r["source"] == "cli"]
    assert len(cli) == 1 and cli[0]["status"] == "finished" and cli[0]["scenario"] == "api-small"
    cli_id = cli[0]["cli_id"]
    assert len(cli_id) == 8 and cli[0]["store_run_id"].startswith(cli_id)
    assert client.get(f"/runs/{cli_id}", headers=h).json()["run_folder"] == cli[0]["run_folder"]
    kpis = client.get(f"/runs/{cli_id}/kpis", headers=h).json()
    assert kpis["capacity"]["hospitals"] > 0
    assert "access" not in kpis and "demand" not in kpis  # KPIs filtered by role: HR reads its stages only
    assert "access" in client.get(f"/runs/{cli_id}/kpis", headers=bearer(keys["planner"])).json()
    report = _cli(home, "report", cli_id)
    assert report.returncode == 0, report.stderr[-2000:]
    planner = bearer(keys["planner"])
    html = client.get(f"/runs/{cli_id}/report", headers=planner)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    book = client.get(f"/runs/{cli_id}/workbooks/planners", headers=planner)
    assert book.status_code == 200 and book.content[:2] == b"PK"
    assert client.get(f"/runs/{cli_id}/workbooks/planners", headers=h).status_code == 403
    assert client.get(f"/runs/{cli_id}/workbooks/hr", headers=h).status_code == 404  # no deployment/rosters


def test_a_queued_run_keeps_one_id_from_the_queue_to_the_cli(client: TestClient, keys: dict[str, str],
                                                             home: Path) -> None:
    """Queued past the limit (one run at a time), a run is listed, read and reported under one id: the one it
    was given when queued, which the store row, the run folder and ``bienestar report`` keep."""
    h = bearer(keys["planner"])
    before = {r["run_id"] for r in client.get("/runs", headers=h, params={"limit": 500}).json()["items"]}
    first = client.post("/runs", json={"scenario": "api-small"}, headers=h).json()
    second = client.post("/runs", json={"scenario": "api-small"}, headers=h).json()
    assert second["status"] == "queued" and second["queue_position"] >= 1, second
    ids = {first["run_id"], second["run_id"]}
    assert second["cli_id"] == second["run_id"][:8]
    queued = client.get(f"/runs/{second['cli_id']}", headers=h).json()  # its short id works while it waits
    assert queued["run_id"] == second["run_id"] and queued["status"] == "queued"
    early = client.get(f"/runs/{second['cli_id']}/kpis", headers=h)  # the status named as people read it
    assert early.status_code == 409 and "está en cola" in early.json()["error"], early.text
    seen: set[str] = set()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        items = client.get("/runs", headers=h, params={"limit": 500}).json()["items"]
        new = [r for r in items if r["run_id"] not in before]
        assert {r["run_id"] for r in new} == ids, new  # never listed under another id, never twice
        assert all(r["cli_id"] == r["run_id"][:8] and r["source"] == "api" for r in new)
        seen |= {r["status"] for r in new if r["run_id"] == second["run_id"]}
        if all(r["status"] not in ("queued", "running") for r in new):
            break
        time.sleep(0.3)
    assert {"queued", "finished"} <= seen, seen
    done = client.get(f"/runs/{second['cli_id']}", headers=h).json()
    assert done["status"] == "finished" and done["store_run_id"] == second["run_id"], done
    assert done["run_folder"].endswith(second["cli_id"])
    report = _cli(home, "report", second["cli_id"])
    assert report.returncode == 0, report.stderr[-2000:]


def test_scenario_errors_in_the_callers_language(client: TestClient, keys: dict[str, str]) -> None:
    """A scenario with several problems: one message per problem, each with its line, key and value, in Spanish
    first and in English on request; the what-if check says the same of a dataset the server lacks."""
    h = bearer(keys["planner"])
    text = ("name: muchos\ndemand:\n  - factor: 1.2\n    months: [13]\n    states: ['99']\n"
            "models: [capacity, capacity]\ncapacity:\n  time_limit_s: -1\n  tiem: 3\n")
    answers = {lang: client.post("/scenarios/validate", json={"yaml": text},
                                 headers={**h, "Accept-Language": lang}).json() for lang in ("es-MX", "en")}
    es, en = answers["es-MX"]["errors"], answers["en"]["errors"]
    assert not answers["es-MX"]["valid"] and len(es) == len(en) == 5, answers
    for words in ("línea 4: demand.0.months: el mes 13 no está en 1..12", "línea 5: demand.0.states: '99' no es",
                  "línea 6: models: un modelo aparece dos veces", "línea 8: capacity.time_limit_s: Debe ser mayor",
                  "línea 9: capacity.tiem: clave desconocida"):
        assert any(words in line for line in es), (words, es)
    for words in ("line 4: demand.0.months: month 13 is not in 1..12", "line 5: demand.0.states: '99' is not",
                  "line 6: models: a model is listed twice", "line 8: capacity.time_limit_s: Must be greater",
                  "line 9: capacity.tiem: unknown key"):
        assert any(words in line for line in en), (words, en)
    body = {"base": "api-small", "overrides": {"dataset": {"path": "no-such-dataset"}}}
    es_check = client.post("/scenarios/check", json=body, headers=h).json()
    en_check = client.post("/scenarios/check", json=body, headers={**h, "Accept-Language": "en"}).json()
    assert not es_check["valid"] and "ids disponibles" in es_check["errors"][0], es_check
    assert "ids available" in en_check["errors"][0], en_check
    saved = client.post("/scenarios", json={**body, "name": "no-dataset"}, headers={**h, "Accept-Language": "en"})
    assert saved.status_code == 400 and "dataset.path must be the id" in saved.json()["error"], saved.text
