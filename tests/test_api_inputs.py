"""Hostile input: YAML alias bombs, deep and wide trees, and filesystem paths are refused before any work,
quickly, and without the answer describing a server folder."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_api_support import api_fixtures, bearer, make_keys

from api.app import create_app
from api.config import ApiConfig
from api.inputs import MAX_DEPTH, MAX_NODES, InputTooLarge, check_yaml

#: A "billion laughs" document: 9 levels of 9 aliases each (9^9 = 387 million leaves once built).
ALIAS_BOMB = "name: bomb\nmodels: [capacity]\na: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))


home, keys, client = api_fixtures("inputs")


@pytest.fixture(scope="module")
def planner(keys: dict[str, str]) -> dict[str, str]:
    return bearer(keys["planner"])


def _max_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def test_alias_bomb_is_refused_fast_without_memory(client: TestClient, planner: dict[str, str]) -> None:
    assert len(ALIAS_BOMB) < 400
    rss = _max_rss_kb()
    start = time.perf_counter()
    r = client.post("/scenarios/validate", json={"yaml": ALIAS_BOMB}, headers=planner)
    elapsed = time.perf_counter() - start
    assert r.status_code == 400 and "alias" in r.json()["error"], r.text
    assert elapsed < 1.0, elapsed
    assert _max_rss_kb() - rss < 20_000  # KiB: peak memory did not grow by more than 20 MB


def test_yaml_bounds_on_nodes_depth_and_size() -> None:
    cases = [("a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "anidamiento", "nested deeper"),
             ("a: [" + ",".join(["1"] * (MAX_NODES + 1)) + "]", "nodos", "YAML nodes"),
             ("a: " + "x" * 300_000, "caracteres", "characters")]
    for text, spanish, english in cases:  # a person reads Spanish first; the log (str) reads English
        with pytest.raises(InputTooLarge) as refused:
            check_yaml(text, "s.yaml")
        assert spanish in refused.value.text("es") and english in str(refused.value), refused.value.text("es")
    check_yaml("a: [1, 2, {b: c}]\n", "s.yaml")  # an ordinary document passes
    check_yaml("a: [unclosed\n", "s.yaml")  # syntax errors are the full parser's to report


def test_deep_or_wide_overrides_are_refused(client: TestClient, planner: dict[str, str]) -> None:
    deep: dict = {}
    node = deep
    for _ in range(MAX_DEPTH + 2):
        node["x"] = {}
        node = node["x"]
    # the typed override schema refuses unknown keys before anything is built (422)
    r = client.post("/scenarios", json={"name": "deep", "base": "api-small", "overrides": deep}, headers=planner)
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "extra_forbidden"
    wide = {"demand": {"multipliers": [{"factor": 1.0}] * (MAX_NODES // 2 + 1)}}
    r = client.post("/scenarios", json={"name": "wide", "base": "api-small", "overrides": wide}, headers=planner)
    assert r.status_code == 422


def test_a_dataset_path_through_the_api_is_refused_without_naming_folders(
        client: TestClient, planner: dict[str, str], home: Path) -> None:
    for path in ("/etc", "../../etc", "dataset/../..", str(home / "dataset")):
        body = {"name": "etc", "base": "api-small", "overrides": {"dataset": {"path": path}}}
        r = client.post("/scenarios", json=body, headers=planner)
        assert r.status_code == 400, (path, r.text)
        error = r.json()["error"]
        assert "dataset.path" in error and "/" not in error and "etc" not in error.replace("etc.yaml", ""), error
        assert str(home) not in error
    text = "name: v\nmodels: [capacity]\ndataset:\n  path: /etc\n"
    r = client.post("/scenarios/validate", json={"yaml": text}, headers=planner)
    assert r.status_code == 200 and not r.json()["valid"] and "/" not in " ".join(r.json()["errors"])
    assert not (home / "scenarios" / "etc.yaml").exists()


def test_a_known_dataset_id_is_accepted_and_resolved_on_the_server(
        client: TestClient, planner: dict[str, str], home: Path) -> None:
    body = {"name": "by-id", "base": "api-small", "overrides": {"dataset": {"path": "dataset"}}}
    r = client.post("/scenarios", json=body, headers=planner)
    assert r.status_code == 201, r.text
    assert (home / "scenarios" / "by-id.yaml").read_text().count(str(home / "dataset")) == 1
    huge = {"name": "huge", "base": "api-small", "overrides": {"dataset": {"generate": {"n_records": 10**12}}}}
    r = client.post("/scenarios", json=huge, headers=planner)
    assert r.status_code == 400 and "n_records" in r.json()["error"]


def test_extra_keys_in_a_body_are_refused(client: TestClient, planner: dict[str, str]) -> None:
    r = client.post("/scenarios/validate", json={"yaml": "name: x\n", "yml": 1}, headers=planner)
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "extra_forbidden"


def test_uploads_are_bounded_before_parsing(home: Path, tmp_path: Path) -> None:
    import io
    import zipfile

    app = create_app(ApiConfig(scenario_dir=home / "test-scenarios", max_upload_bytes=200_000, max_upload_rows=10))
    admin = bearer(make_keys(home)["admin"])
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * 5_000_000)  # 5 MB unpacked from about 5 kB
    csv = "clues,name\n" + "".join(f"X{i},n\n" for i in range(20))
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/ingest/facilities", files={"file": ("f.xlsx", bomb.getvalue())}, headers=admin)
        assert r.status_code == 413 and "descomprimido" in r.json()["error"], r.text
        r = c.post("/ingest/facilities", files={"file": ("f.csv", csv.encode())}, headers=admin)
        assert r.status_code == 413 and "20 filas" in r.json()["error"], r.text


def test_405_names_every_allowed_method(client: TestClient, planner: dict[str, str]) -> None:
    r = client.delete("/runs", headers=planner)
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"
    assert client.put("/runs/x/cancel", headers=planner).headers["allow"] == "POST"


def test_schema_states_the_bounds_the_server_enforces(client: TestClient, planner: dict[str, str]) -> None:
    params = client.get("/openapi.json").json()["paths"]["/runs/{run_id}/access/map"]["get"]["parameters"]
    minutes = next(p for p in params if p["name"] == "minutes")["schema"]["anyOf"][0]
    assert minutes["items"]["exclusiveMinimum"] == 0 and minutes["maxItems"] == 5
    assert client.get("/runs/x/access/map?minutes=0", headers=planner).status_code == 422
    r = client.post("/runs", json={"scenario": "api-small", "priority": 1}, headers=planner)
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "extra_forbidden"


def test_limit_messages_follow_the_callers_language(client: TestClient, planner: dict[str, str]) -> None:
    es = client.post("/scenarios/validate", json={"yaml": ALIAS_BOMB}, headers=planner).json()["error"]
    en = client.post("/scenarios/validate", json={"yaml": ALIAS_BOMB},
                     headers={**planner, "Accept-Language": "en"}).json()["error"]
    assert "anclajes" in es and "anchors and aliases" in en
