"""A HiGHS instance that keeps stdout clean.

HiGHS prints a start-up banner on file descriptor 1 the first time an instance is made; commands that
promise one JSON document on stdout (``--json``) must not carry it, so it is sent to /dev/null.
"""

from __future__ import annotations

import ctypes
import os
import sys

import highspy


def quiet_highs() -> highspy.Highs:
    """A new ``highspy.Highs`` with its banner swallowed and solver output off."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        h = highspy.Highs()
        ctypes.CDLL(None).fflush(None)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    h.setOptionValue("output_flag", False)
    return h
