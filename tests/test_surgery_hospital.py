"""A hospital's surgical instance built from a generated dataset, scheduled from the CLI and in a scenario run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from optimizer.data.dataset import load_dataset
from optimizer.data.generate import GeneratorConfig, generate
from optimizer.surgery import Settings, run
from optimizer.surgery.hospital import LOS_DAYS, from_dataset


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("surgery") / "ds"
    generate(out, GeneratorConfig(seed=7, program_hospitals=60, other_hospitals_per_state=1, umfs=60,
                                  pharmacies=30, n_records=10_000, records_chunk=5_000))
    return out


def _busiest(ds_path: Path) -> str:
    import pandas as pd

    enc = pd.read_parquet(ds_path / "records" / "encounters", columns=["clues", "procedure"])
    ds = load_dataset(ds_path)
    program = set(ds.program_hospitals[ds.program_hospitals["operating_rooms"] > 0]["clues"])
    counts = enc[enc["procedure"].notna() & enc["clues"].isin(program)].groupby("clues").size()
    return str(counts.idxmax())


def test_instance_from_dataset_is_consistent_and_scheduled(dataset: Path) -> None:
    ds = load_dataset(dataset)
    clues = _busiest(dataset)
    h = from_dataset(ds, clues, weeks=2, max_patients=40)
    inp = h.input
    assert inp.days == 14 and 0 < len(inp.patients) <= 40 and inp.theatre_ids and inp.room_ids
    assert all(p.length_of_stay in LOS_DAYS.values() for p in inp.patients)
    assert all(p.release_day <= p.due_day < 14 for p in inp.patients if p.mandatory)
    assert not any(p.id.upper() != p.id and len(p.id) == 18 for p in inp.patients)  # no CURP
    covered = {s for n in inp.nurses for s in n.max_load}
    assert covered == set(range(inp.shifts))
    out = run(inp, Settings(time_limit_s=4))
    assert out.validation.ok and out.kpis["mandatory_all_admitted"]
    with pytest.raises(ValueError, match="no facility"):
        from_dataset(ds, "OCIMB999999")  # a well-formed CLUES key that no facility has


def test_cli_scenario_hospital(dataset: Path, tmp_path: Path) -> None:
    sc = tmp_path / "sc.yaml"
    sc.write_text(f"name: cirugia\nseed: 1\ndataset: {{path: {dataset}}}\nmodels: [surgery]\n")
    res = subprocess.run([sys.executable, "-c", "from optimizer.cli import main; main()", "surgery",
                          "--scenario", str(sc), "--hospital", _busiest(dataset), "--weeks", "2",
                          "--time-limit", "4", "--json"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["hard_violations"] == 0 and doc["kpis"]["mandatory_all_admitted"] and doc["status"] == "feasible"


def test_scenario_stage(dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from optimizer.scenarios.runner import run_scenario

    monkeypatch.setenv("BIENESTAR_HOME", str(tmp_path / "home"))
    sc = tmp_path / "sc.yaml"
    sc.write_text(f"name: cirugia\nseed: 1\ndataset: {{path: {dataset}}}\nmodels: [surgery]\n"
                  "surgery: {max_hospitals: 2, max_patients: 30, settings: {time_limit_s: 5}}\n")
    result = run_scenario(sc, progress=False)
    k = result.kpis["surgery"]
    assert k["hospitals"] >= 1 and k["mandatory_all_admitted"] and k["hard_violations"] == 0
    assert result.stage_status["surgery"] == "feasible" and result.status == "ok"
    assert (result.run_dir / "plans" / "surgery" / "schedule.csv").exists()
    from optimizer.reports.html import write_report

    html = write_report(result.run_dir).read_text()
    assert "Cirugía: lista de espera" in html and "Cirugía: quirófanos por día" in html
    import openpyxl

    from optimizer.reports.xlsx import write_workbooks

    books = {p.name: p for p in write_workbooks(result.run_dir)}
    sheet = openpyxl.load_workbook(books["planners.xlsx"], read_only=True)["Cirugía"]
    assert any("Todos los urgentes ingresados" in str(c.value) for row in sheet.iter_rows() for c in row)
