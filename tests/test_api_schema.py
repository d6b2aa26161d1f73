"""Property-based fuzzing of every operation in the OpenAPI schema with schemathesis (bounded examples):
no 5xx, every status code documented, every response body valid against its schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from test_api_support import bearer, home_fixture, make_keys

from api.app import create_app
from api.config import ApiConfig

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
#: Examples per operation in the default (fast) run and in the slow run.
FAST_EXAMPLES = 5
SLOW_EXAMPLES = 30


home = home_fixture("schema")


@pytest.fixture(scope="module")
def app_and_key(home: Path) -> tuple:
    app = create_app(ApiConfig(scenario_dir=home / "test-scenarios"))
    return app, make_keys(home)["admin"]


def _conformance_failures(app_and_key: tuple, examples: int, derandomize: bool) -> list[str]:
    """Fuzz every operation with Hypothesis (``examples`` per operation); one line per failing operation.

    Driven through schemathesis's own API (``get_all_operations`` / ``as_strategy``) rather than its pytest
    plugin, which breaks with pytest 9 (``'Function' object has no attribute '_nodeid'``): the test depends on
    schemathesis's stable core, not on pytest internals.
    """
    app, key = app_and_key
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, f"only {len(operations)} operations in the OpenAPI schema"
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=examples, deadline=None, derandomize=derandomize, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case) -> None:
            case.call_and_validate(headers=bearer(key), checks=CHECKS)

        try:
            check()
        except Exception as exc:  # noqa: BLE001 - every failure is collected and reported with its operation
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:600]}")
    return failures


def test_schema_conformance(app_and_key: tuple) -> None:
    failures = _conformance_failures(app_and_key, FAST_EXAMPLES, derandomize=True)
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_schema_conformance_long(app_and_key: tuple) -> None:
    failures = _conformance_failures(app_and_key, SLOW_EXAMPLES, derandomize=False)
    assert not failures, "\n".join(failures)
