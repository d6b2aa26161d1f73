"""Security of the API: the role matrix (every endpoint x every role), keys, limits, error shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_api_support import ROLES, api_fixtures, bearer
from typer.testing import CliRunner

from api.app import create_app
from api.auth import verify_key
from api.db import api_keys, engine_for
from optimizer.cli import app as cli_app

ALL = set(ROLES)
P, H, L, A = "planner", "hr", "logistics", "admin"

#: (method, path as declared, path as requested, body, roles allowed). Every API route must be listed.
MATRIX: list[tuple[str, str, str, dict | None, set[str]]] = [
    ("GET", "/me", "/me", None, ALL),
    ("GET", "/states", "/states", None, ALL),
    ("GET", "/facilities", "/facilities", None, ALL),
    ("GET", "/facilities/{clues}", "/facilities/XXIMB000000", None, ALL),
    ("GET", "/reference/municipalities", "/reference/municipalities", None, ALL),
    ("GET", "/reference/states.geojson", "/reference/states.geojson", None, ALL),
    ("GET", "/staff", "/staff", None, {H, A}),
    ("GET", "/staff/{specialist_id}", "/staff/S999999", None, {H, A}),
    ("GET", "/medicines", "/medicines", None, {L, A}),
    ("GET", "/depots", "/depots", None, {L, A}),
    ("GET", "/vehicles", "/vehicles", None, {L, A}),
    ("GET", "/stock", "/stock", None, {L, A}),
    ("GET", "/demand/surgical", "/demand/surgical", None, {P, A}),
    ("GET", "/demand/medicines", "/demand/medicines", None, {P, A}),
    ("GET", "/scenarios", "/scenarios", None, {P, A}),
    ("GET", "/scenarios/{name}", "/scenarios/nope", None, {P, A}),
    ("POST", "/scenarios/validate", "/scenarios/validate", {"yaml": "name: x\n"}, {P, A}),
    ("POST", "/scenarios", "/scenarios", {"name": "x1", "base": "nope"}, {P, A}),
    ("GET", "/scenarios/options", "/scenarios/options", None, {P, A}),
    ("POST", "/scenarios/check", "/scenarios/check", {"base": "nope"}, {P, A}),
    ("PUT", "/scenarios/{name}", "/scenarios/nope", {"base": "nope"}, {P, A}),
    ("DELETE", "/scenarios/{name}", "/scenarios/nope", None, {P, A}),
    ("POST", "/runs", "/runs", {"scenario": "nope"}, {P, A}),
    ("GET", "/runs", "/runs", None, ALL),
    ("GET", "/runs/{run_id}", "/runs/nope", None, ALL),
    ("GET", "/runs/{run_id}/kpis", "/runs/nope/kpis", None, ALL),
    ("POST", "/runs/{run_id}/cancel", "/runs/nope/cancel", None, {P, A}),
    ("POST", "/runs/{run_id}/resume", "/runs/nope/resume", None, {P, A}),
    ("GET", "/runs/{run_id}/plans", "/runs/nope/plans", None, ALL),
    ("GET", "/runs/{run_id}/plans/{stage}/{table}", "/runs/nope/plans/rostering/shifts", None, {H, A}),
    ("GET", "/runs/{run_id}/report", "/runs/nope/report", None, {P, A}),
    ("GET", "/runs/{run_id}/workbooks/{audience}", "/runs/nope/workbooks/hr", None, {H, A}),
    ("GET", "/runs/{run_id}/access/map", "/runs/nope/access/map", None, {P, A}),
    ("GET", "/compare", "/compare?a=x&b=y", None, ALL),
    ("GET", "/keys", "/keys", None, {A}),
    ("POST", "/keys", "/keys", {"role": "hr"}, {A}),
    ("DELETE", "/keys/{prefix}", "/keys/00000000", None, {A}),
    ("POST", "/ingest/records", "/ingest/records", None, {A}),
    ("POST", "/ingest/{kind}", "/ingest/staff", None, {A}),
]
#: Plan tables by stage: who may read them (checked before the run is looked up).
PLAN_STAGES = {"deployment": {H, A}, "rostering": {H, A}, "distribution": {L, P, A}, "capacity": {P, A},
               "access": {P, A}}


home, keys, client = api_fixtures("roles", max_body_bytes=4096, max_upload_bytes=50_000)


def test_matrix_lists_every_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    declared = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    listed = {(m, p) for m, p, *_ in MATRIX} | {("GET", "/health")}
    assert declared == listed


@pytest.mark.parametrize(("method", "declared", "path", "body", "allowed"), MATRIX,
                         ids=[f"{m} {p}" for m, p, *_ in MATRIX])
def test_role_matrix(client: TestClient, keys: dict[str, str], method: str, declared: str, path: str,
                     body: dict | None, allowed: set[str]) -> None:
    anonymous = client.request(method, path, json=body)
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.headers["www-authenticate"] == "Bearer"
    for role in ROLES:
        r = client.request(method, path, json=body, headers=bearer(keys[role]))
        if role in allowed:
            assert r.status_code not in (401, 403, 500), f"{role}: {r.status_code} {r.text}"
        else:
            assert r.status_code == 403, f"{role}: {r.status_code} {r.text}"
            assert role in r.json()["error"]


@pytest.mark.parametrize("stage", sorted(PLAN_STAGES))
def test_plan_tables_by_stage(client: TestClient, keys: dict[str, str], stage: str) -> None:
    for role in ROLES:
        r = client.get(f"/runs/nope/plans/{stage}/t", headers=bearer(keys[role]))
        assert r.status_code == (404 if role in PLAN_STAGES[stage] else 403), (role, r.text)


def test_health_needs_no_key(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_bad_and_revoked_keys(client: TestClient, keys: dict[str, str]) -> None:
    for bad in ("nonsense", "bk_00000000_x", keys["hr"][:-2] + "zz", "Basic abc"):
        assert client.get("/me", headers={"Authorization": f"Bearer {bad}"}).status_code == 401
    new = client.post("/keys", json={"role": "planner", "label": "temp"}, headers=bearer(keys["admin"])).json()["key"]
    assert client.get("/me", headers=bearer(new)).json()["role"] == "planner"
    prefix = new.split("_")[1]
    assert client.delete(f"/keys/{prefix}", headers=bearer(keys["admin"])).status_code == 204
    assert client.get("/me", headers=bearer(new)).status_code == 401


def test_keys_cli_prints_a_working_key_once(home: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(cli_app, ["keys", "create", "--role", "logistics", "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert set(doc) == {"key", "role"} and verify_key(engine_for(), doc["key"]).role == "logistics"
    listed = runner.invoke(cli_app, ["keys", "list", "--json"])
    assert doc["key"].split("_", 2)[2] not in listed.stdout
    bad = runner.invoke(cli_app, ["keys", "create", "--role", "root", "--json"], env={"BIENESTAR_LANG": "en"})
    assert bad.exit_code == 2 and "unknown role" in json.loads(bad.stdout)["error"]
    bad = runner.invoke(cli_app, ["keys", "create", "--role", "root", "--json"], env={"BIENESTAR_LANG": "es"})
    assert bad.exit_code == 2 and "rol desconocido" in json.loads(bad.stdout)["error"]
    human = runner.invoke(cli_app, ["keys", "list"], env={"BIENESTAR_LANG": "es"})
    assert "Claves de API" in human.stdout and "prefijo" in human.stdout and "API keys" not in human.stdout


def test_keys_are_stored_hashed(home: Path, keys: dict[str, str]) -> None:
    engine = engine_for()
    with engine.connect() as conn:
        rows = conn.execute(api_keys.select()).mappings().all()
    stored = " ".join(str(v) for row in rows for v in row.values())
    for key in keys.values():
        assert key.split("_", 2)[2] not in stored
        assert verify_key(engine, key) is not None
    listing = TestClient(create_app()).get("/keys", headers=bearer(keys["admin"])).json()
    assert all(set(k) == {"prefix", "role", "label", "created", "revoked"} for k in listing)


def test_body_size_limits(client: TestClient, keys: dict[str, str]) -> None:
    big = {"yaml": "x" * 10_000}
    r = client.post("/scenarios/validate", json=big, headers=bearer(keys["planner"]))
    assert r.status_code == 413 and "4,096" in r.json()["error"]
    upload = {"file": ("staff.csv", b"a" * 60_000, "text/csv")}
    r = client.post("/ingest/staff", files=upload, headers=bearer(keys["admin"]))
    assert r.status_code == 413


def test_errors_carry_no_stack_trace(client: TestClient, keys: dict[str, str]) -> None:
    for r in (client.get("/no/such/path"), client.get("/facilities?limit=0", headers=bearer(keys["hr"])),
              client.post("/runs", content=b"{not json", headers={**bearer(keys["planner"]),
                                                                   "content-type": "application/json"})):
        assert r.status_code in (404, 422)
        assert "Traceback" not in r.text and 'File "' not in r.text


def test_staff_are_pseudonymised(client: TestClient, keys: dict[str, str]) -> None:
    page = client.get("/staff?limit=50", headers=bearer(keys["hr"])).json()
    assert page["total"] > 0
    for person in page["items"]:
        assert "curp" not in person and len(person["hid"]) == 64


def test_small_counts_are_suppressed(client: TestClient, keys: dict[str, str]) -> None:
    rows = client.get("/demand/surgical?limit=1000", headers=bearer(keys["planner"])).json()["items"]
    assert rows
    for row in rows:
        if row["suppressed"]:
            assert row["procedures_per_week"] is None and row["patients"] is None
        else:
            assert row["patients"] >= 5


def test_no_endpoint_returns_patient_records(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    text = str(schema["components"]["schemas"]).lower()
    for field in ("curp", "icd10", "record_id", "'age'"):
        assert field not in text, field


def test_docs_and_page_are_served_without_a_cdn(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/docs-assets/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and '<script src="/ui/app.js"' in page.text
    assert "https://" not in client.get("/ui/app.js").text  # every script and style is served by the app
