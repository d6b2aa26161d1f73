"""The API test modules run on the store CI asks for: SQLite by default, PostgreSQL in CI's second pass."""

from __future__ import annotations

import os

import pytest
from test_api_support import home_env, module_home


def test_the_api_store_is_the_backend_under_test(tmp_path_factory: pytest.TempPathFactory) -> None:
    from api.db import engine_for

    home = module_home(tmp_path_factory.getbasetemp(), "backend")
    with home_env(home):
        dialect = engine_for().dialect.name
    expected = "postgresql" if os.environ.get("BIENESTAR_TEST_PG_URL") else "sqlite"
    assert dialect == expected
