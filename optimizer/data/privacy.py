"""Pseudonymisation of national IDs and small-count suppression of aggregates.

A CURP is replaced at ingestion by ``hid = HMAC-SHA256(key, CURP)`` (64 hex characters): the same person
always gets the same ``hid`` under the same key, so records can be linked, but the CURP cannot be
recovered without the key. The key comes from ``BIENESTAR_HMAC_KEY`` (at least 16 characters) or from a
key file ``bienestar.key`` (32 random bytes, hex, mode 0600) created on first use under
:func:`optimizer.paths.home_dir`. Losing the key means new loads get new ``hid`` values: back it up with
the store.

Aggregates that count fewer than ``k`` (default 5) patients are suppressed before any export, so a cell
cannot point at one or two identifiable people.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

import pandas as pd

from optimizer.paths import home_dir

#: Environment variable holding the HMAC secret.
KEY_ENV = "BIENESTAR_HMAC_KEY"
#: Key file name under home_dir() when the environment variable is not set.
KEY_FILE = "bienestar.key"
#: Smallest accepted secret, characters.
MIN_KEY_CHARS = 16
#: Default suppression threshold: aggregates of fewer patients than this are hidden.
SMALL_COUNT_K = 5


class PseudonymKeyError(RuntimeError):
    """The pseudonymisation key is missing, too short or readable by others."""


def key_path() -> Path:
    """Where the generated key file lives (``home_dir()/bienestar.key``)."""
    return home_dir() / KEY_FILE


def load_key() -> bytes:
    """The HMAC secret: ``BIENESTAR_HMAC_KEY`` if set, else the key file (created 0600 on first use)."""
    env = os.environ.get(KEY_ENV)
    if env is not None:
        if len(env) < MIN_KEY_CHARS:
            raise PseudonymKeyError(f"{KEY_ENV} must be at least {MIN_KEY_CHARS} characters long")
        return env.encode("utf-8")
    path = key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: read theirs
            return _read_key_file(path)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    return _read_key_file(path)


def _read_key_file(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise PseudonymKeyError(f"{path} is readable by other users (mode {mode:o}); run: chmod 600 {path}")
    text = path.read_text().strip()
    if len(text) < MIN_KEY_CHARS:
        raise PseudonymKeyError(f"{path} holds fewer than {MIN_KEY_CHARS} characters; delete it to generate a new key")
    return text.encode("utf-8")


def normalise_id(curp: str) -> str:
    """The form that is hashed: stripped and upper-case, so ``' abcd...'`` and ``'ABCD...'`` match."""
    return curp.strip().upper()


def pseudonymise(curp: str, key: bytes | None = None) -> str:
    """``hid`` of one national ID: HMAC-SHA256 hex digest of the normalised CURP."""
    k = load_key() if key is None else key
    return hmac.new(k, normalise_id(curp).encode("utf-8"), hashlib.sha256).hexdigest()


def hmac_sql_params(key: bytes) -> dict[str, bytes]:
    """Inner and outer padded keys for computing HMAC-SHA256 inside DuckDB (RFC 2104).

    ``sha256(opad || unhex(sha256(ipad || encode(x))))`` with these parameters equals :func:`pseudonymise`
    for an already-normalised ``x``; a test checks the two agree.
    """
    k = hashlib.sha256(key).digest() if len(key) > 64 else key
    k = k.ljust(64, b"\0")
    return {"hmac_ipad": bytes(b ^ 0x36 for b in k), "hmac_opad": bytes(b ^ 0x5C for b in k)}


def hmac_sql(column: str) -> str:
    """DuckDB expression of the ``hid`` of ``column``; bind :func:`hmac_sql_params` as named parameters."""
    x = f"upper(trim({column}))"
    return f"sha256($hmac_opad || unhex(sha256($hmac_ipad || encode({x}))))"


def suppress_small_counts(df: pd.DataFrame, count_col: str, k: int = SMALL_COUNT_K,
                          value_cols: list[str] | None = None) -> pd.DataFrame:
    """Copy of ``df`` with cells of rows counting fewer than ``k`` patients blanked.

    ``count_col`` holds the number of distinct patients behind each row. In rows with ``count < k`` the
    count and every value column (default: all numeric columns) become missing, and the added boolean
    column ``suppressed`` marks them; row keys (facility, specialty, SKU...) stay so totals by key remain
    visible as "suppressed" rather than silently absent.
    """
    if count_col not in df.columns:
        raise ValueError(f"suppress_small_counts: no column '{count_col}' (columns: {', '.join(df.columns)})")
    if k < 1:
        raise ValueError("suppress_small_counts: k must be at least 1")
    out = df.copy()
    small = out[count_col] < k
    cols = value_cols if value_cols is not None else [
        c for c in out.columns if pd.api.types.is_numeric_dtype(out[c]) and not pd.api.types.is_bool_dtype(out[c])
    ]
    if count_col not in cols:
        cols = [count_col, *cols]
    for c in cols:
        out[c] = out[c].astype("Float64") if pd.api.types.is_numeric_dtype(out[c]) else out[c]
        out.loc[small, c] = pd.NA
    out["suppressed"] = small.to_numpy()
    return out
