"""Property-based fuzzing of every operation in the OpenAPI schema with schemathesis (bounded examples):
no 5xx, every status code documented, every response body valid against its schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from test_api_support import bearer, home_env, make_keys, module_home

from api.app import create_app
from api.config import ApiConfig

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
#: Examples per operation in the default (fast) run and in the slow run.
FAST_EXAMPLES = 5
SLOW_EXAMPLES = 30


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = module_home(tmp_path_factory.getbasetemp(), "schema")
    with home_env(path):
        yield path


@pytest.fixture(scope="module")
def app_and_key(home: Path) -> tuple:
    app = create_app(ApiConfig(scenario_dir=home / "test-scenarios"))
    return app, make_keys(home)["admin"]


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(scope="module")
def api_schema(app_and_key: tuple):
    app, _ = app_and_key
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=FAST_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_schema_conformance(case, app_and_key: tuple) -> None:
    _, key = app_and_key
    case.call_and_validate(headers=bearer(key), checks=CHECKS)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=SLOW_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_schema_conformance_long(case, app_and_key: tuple) -> None:
    _, key = app_and_key
    case.call_and_validate(headers=bearer(key), checks=CHECKS)
