"""The Python validator agrees with the official IHTC-2024 C++ validator, term by term, on the organisers'
solutions of test01-05 and the toy case and on the solver's own solutions; the reader names bad fields."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from optimizer.surgery import Settings, solve
from optimizer.surgery.io import InstanceError, parse_instance, read_instance, read_solution, write_solution
from optimizer.surgery.state import State
from optimizer.surgery.validate import evaluate

#: ``../shared`` next to the repository, or ``$BIENESTAR_SHARED`` (a git worktree has no ``../shared``).
SHARED = Path(os.environ.get("BIENESTAR_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
SHARED = SHARED / "benchmarks" / "surgery"
HEADER = Path("/usr/include/nlohmann/json.hpp")
CASES = [("toy", "toy_solution")] + [(f"test0{i}", f"sol_test0{i}") for i in range(1, 6)]

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"IHTC-2024 files not found at {SHARED}")


@pytest.fixture(scope="module")
def official(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The official validator, compiled into a temporary folder."""
    if shutil.which("g++") is None or not HEADER.exists():
        pytest.skip("g++ or nlohmann-json3-dev (/usr/include/nlohmann/json.hpp) missing: cannot build the validator")
    exe = tmp_path_factory.mktemp("ihtp") / "IHTP_Validator"
    subprocess.run(["g++", "-O1", "-I/usr/include/nlohmann", "-o", str(exe), str(SHARED / "IHTP_Validator.cc")],
                   check=True, timeout=300)
    return exe


def _official_lines(exe: Path, instance: Path, solution: Path) -> str:
    return subprocess.run([str(exe), str(instance), str(solution)], capture_output=True, text=True,
                          check=True, timeout=60).stdout.strip()


@pytest.mark.parametrize(("name", "sol"), CASES)
def test_organiser_solutions_agree(official: Path, name: str, sol: str) -> None:
    """Every violation counter and cost term printed by both validators is the same."""
    inp = read_instance(SHARED / "test" / f"{name}.json")
    plan = read_solution(inp, SHARED / "test" / f"{sol}.json")
    mine = "\n".join(evaluate(inp, plan).lines())
    assert mine == _official_lines(official, SHARED / "test" / f"{name}.json", SHARED / "test" / f"{sol}.json")


@pytest.mark.parametrize("name", ["toy", "test01", "test03", "test05"])
def test_own_solutions_agree_and_are_feasible(official: Path, tmp_path: Path, name: str) -> None:
    """The solver's solution file is read by the official validator with 0 violations and the same terms."""
    instance = SHARED / "test" / f"{name}.json"
    inp = read_instance(instance)
    plan = solve(inp, Settings(time_limit_s=4, seed=1))
    out = write_solution(inp, plan, tmp_path / "sol.json")
    b = evaluate(inp, read_solution(inp, out))
    assert "\n".join(b.lines()) == _official_lines(official, instance, out)
    assert b.total_violations == 0
    assert plan.objective == b.total_cost
    mandatory = [p for p, pat in enumerate(inp.patients) if pat.mandatory]
    assert all(plan.admission[p] is not None for p in mandatory)


def test_incremental_state_matches_validator() -> None:
    """The search's incremental cost equals a full recomputation after many random moves."""
    import random

    from optimizer.surgery.search import Annealer

    inp = read_instance(SHARED / "test" / "test02.json")
    st = State(inp)
    from optimizer.surgery.construct import construct

    construct(st)
    ann = Annealer(st, random.Random(3))
    for _ in range(3000):
        ann.rng.choice(ann.table)(5.0)
    assert st.cost == st.full_cost()
    if st.cost < 1_000_000:
        assert st.cost == evaluate(inp, st.to_plan()).total_cost
    for move, _ in ann.moves:  # each kind alone, at a temperature that accepts most of them
        for _ in range(400):
            move(50.0)
        assert st.cost == st.full_cost(), move.__name__


def test_bad_instance_names_the_field(tmp_path: Path) -> None:
    """A broken field is reported with its path, and a missing one too."""
    data = json.loads((SHARED / "test" / "toy.json").read_text())
    data["patients"][2]["surgeon_id"] = "nobody"
    with pytest.raises(InstanceError, match=r"patients\[2\]\.surgeon_id: unknown surgeon 'nobody'"):
        parse_instance(data, source="toy.json")
    del data["weights"]["patient_delay"]
    with pytest.raises(InstanceError, match=r"weights\.patient_delay: missing field"):
        parse_instance(data, source="toy.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InstanceError, match="not valid JSON"):
        read_instance(bad)
