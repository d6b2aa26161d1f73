"""Pseudonymisation (HMAC-SHA256 keyed hash of the CURP) and small-count suppression."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

import pandas as pd
import pytest
from test_data_sample import SPECIALIST_CURPS

from optimizer.data.privacy import (
    KEY_ENV,
    PseudonymKeyError,
    hmac_sql,
    hmac_sql_params,
    key_path,
    load_key,
    pseudonymise,
    suppress_small_counts,
)
from optimizer.data.record_checks import connect


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BIENESTAR_HOME", str(tmp_path))
    monkeypatch.delenv(KEY_ENV, raising=False)
    return tmp_path


def test_same_id_same_key_different_ids_differ(home: Path) -> None:
    key = load_key()
    a, b = SPECIALIST_CURPS[0], SPECIALIST_CURPS[1]
    assert pseudonymise(a, key) == pseudonymise(a, key) == pseudonymise(f"  {a.lower()} ", key)
    assert pseudonymise(a, key) != pseudonymise(b, key)
    assert pseudonymise(a, key) == hmac.new(key, a.encode(), hashlib.sha256).hexdigest()
    assert pseudonymise(a, b"another-secret-key-0123") != pseudonymise(a, key)
    assert len(pseudonymise(a, key)) == 64 and a not in pseudonymise(a, key)


def test_key_file_is_created_0600_and_reused(home: Path) -> None:
    key = load_key()
    path = key_path()
    assert path.parent == home
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key() == key  # same key on the next call: same hid for the same person
    os.chmod(path, 0o644)
    with pytest.raises(PseudonymKeyError, match="readable by other users.*chmod 600"):
        load_key()


def test_environment_key_wins_and_must_be_long(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "a-long-enough-secret-value")
    assert load_key() == b"a-long-enough-secret-value"
    assert not key_path().exists()
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(PseudonymKeyError, match="at least 16 characters"):
        load_key()


@pytest.mark.parametrize("key", [b"k" * 16, b"x" * 64, b"y" * 100])  # short, block-sized, hashed-first keys
def test_duckdb_hmac_equals_python(key: bytes) -> None:
    con = connect()
    ids = SPECIALIST_CURPS + [" " + SPECIALIST_CURPS[0].lower()]
    got = con.execute(f"SELECT {hmac_sql('c')} FROM unnest($ids) WITH ORDINALITY t(c, i) ORDER BY i",
                      {"ids": ids, **hmac_sql_params(key)}).fetchall()
    assert [g[0] for g in got] == [pseudonymise(c, key) for c in ids]


def test_suppress_small_counts() -> None:
    df = pd.DataFrame({"clues": ["A", "B", "C"], "specialty": ["x", "y", "z"], "patients": [4, 5, 120],
                       "procedures_per_week": [3.5, 6.0, 80.0]})
    out = suppress_small_counts(df, "patients", k=5)
    assert out["suppressed"].tolist() == [True, False, False]
    assert out["clues"].tolist() == ["A", "B", "C"]  # keys stay visible
    assert out.loc[0, ["patients", "procedures_per_week"]].isna().all()
    assert out.loc[1, "procedures_per_week"] == 6.0 and out.loc[2, "patients"] == 120
    assert df.loc[0, "patients"] == 4  # input untouched
    assert suppress_small_counts(df, "patients", k=1)["suppressed"].sum() == 0
    with pytest.raises(ValueError, match="no column 'n'"):
        suppress_small_counts(df, "n")
