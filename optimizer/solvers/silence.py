"""Keep stdout (file descriptor 1) for the one JSON document ``--json`` promises.

HiGHS prints a start-up banner on fd 1 from C the first time an instance is made, and other solvers may
write there too; Python-level redirection cannot catch that, so these helpers move fd 1 itself.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import highspy


def _flush_c_stdio() -> None:
    """Flush C stdio buffers, or a banner still buffered leaks to the wrong stream later."""
    ctypes.CDLL(None).fflush(None)


def quiet_highs() -> highspy.Highs:
    """A new ``highspy.Highs`` with its banner swallowed (fd 1 -> /dev/null while it is made) and output off."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        h = highspy.Highs()
        _flush_c_stdio()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    h.setOptionValue("output_flag", False)
    return h


@contextmanager
def stdout_to_stderr(active: bool = True) -> Iterator[None]:
    """Send fd 1 to stderr while the block runs (solver banners go to the log, not the JSON on stdout)."""
    if not active:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        _flush_c_stdio()
        os.dup2(saved, 1)
        os.close(saved)


def divert_stdout() -> int:
    """Send fd 1 to stderr for the rest of the process; returns a new fd on the real stdout (for the JSON)."""
    sys.stdout.flush()
    real = os.dup(1)
    os.dup2(2, 1)
    return real
