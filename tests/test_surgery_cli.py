"""``bienestar surgery --benchmark`` writes a solution the official reader accepts and prints the breakdown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("BIENESTAR_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
TOY = SHARED / "benchmarks" / "surgery" / "test" / "toy.json"

pytestmark = pytest.mark.skipif(not TOY.exists(), reason=f"IHTC-2024 toy instance not found at {TOY}")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from optimizer.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=300)


def test_benchmark_json(tmp_path: Path) -> None:
    out = tmp_path / "sol.json"
    res = _cli("surgery", "--benchmark", str(TOY), "--time-limit", "3", "--out", str(out), "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["hard_violations"] == 0 and doc["kpis"]["mandatory_all_admitted"]
    assert doc["cost"] == sum(t["weight"] * t["count"] for t in doc["costs"].values())
    assert json.loads(out.read_text())["patients"]


def test_benchmark_text_and_bad_file(tmp_path: Path) -> None:
    res = _cli("surgery", "--benchmark", str(TOY), "--time-limit", "2", "--out", str(tmp_path / "s.json"))
    assert res.returncode == 0 and "Total violations = 0" in res.stdout and "Estado:" in res.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"days": 3, "skill_levels": 1}))
    res = _cli("surgery", "--benchmark", str(bad), "--out", str(tmp_path / "x.json"))
    assert res.returncode != 0 and "shift_types: missing field" in res.stderr.replace("\n", "")
