"""``bienestar deploy`` end to end on a small generated dataset: JSON shape, ids, CSV/XLSX, infeasible input."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from optimizer.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("deploy") / "ds"
    res = runner.invoke(app, ["data", "generate", "--seed", "5", "--out", str(out), "--records", "20000",
                              "--recruits", "400", "--json"])
    assert res.exit_code == 0, res.output
    return out


def _json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


def test_deploy_json_and_files(dataset: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["deploy", "--dataset", str(dataset), "--out", str(tmp_path), "--time-limit", "4",
                              "--json"])
    assert res.exit_code == 0, res.output
    doc = _json(res.output)
    for key in ("status", "objective", "gap", "solve_seconds", "kpis", "assignments"):
        assert key in doc
    assert doc["status"] in ("optimal", "feasible")
    assert doc["validator"]["violations"] == []
    assert doc["validator"]["objective"] == pytest.approx(doc["objective"], abs=1e-6)
    specialists = pd.read_csv(dataset / "specialists.csv", dtype=str)
    facilities = pd.read_csv(dataset / "facilities.csv", dtype=str)
    recruits = set(specialists.loc[specialists["status"] == "recruit", "specialist_id"])
    assert doc["assignments"], "some recruits are deployed"
    assert {a["specialist"] for a in doc["assignments"]} <= recruits
    assert {a["hospital"] for a in doc["assignments"]} <= set(facilities["clues"])
    assert (tmp_path / "assignments.csv").exists() and (tmp_path / "teams.csv").exists()
    on_disk = json.loads((tmp_path / "kpis.json").read_text())  # the one KPI dict, as --json and a run report it
    assert set(on_disk) == set(doc["kpis"]) and on_disk["coverage_pct"] == pytest.approx(doc["kpis"]["coverage_pct"])
    women = pd.read_csv(tmp_path / "women_by_hospital.csv")
    assert set(women["hospital"]) >= {a["hospital"] for a in doc["assignments"]}
    assert women["women_share"].between(0, 1).all()
    book = openpyxl.load_workbook(tmp_path / "deployment.xlsx", read_only=True)
    assert "summary" in book.sheetnames
    assert len(book.sheetnames) >= 3 + len({a["hospital"][:2] for a in doc["assignments"]})


def test_unreachable_minimum_is_explained(dataset: Path, tmp_path: Path) -> None:
    scen = tmp_path / "strict.yaml"
    scen.write_text(f"name: strict\ndataset:\n  path: {dataset}\ndeployment:\n  min_hospital_share: 1.0\n"
                    "  time_limit_s: 4\n")
    res = runner.invoke(app, ["deploy", "--scenario", str(scen), "--out", str(tmp_path / "o"), "--json"])
    doc = _json(res.output)
    assert res.exit_code == 1
    assert doc["status"] == "infeasible"
    assert "minimum coverage share" in doc["explanation"]


def test_missing_dataset_is_a_clear_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["deploy", "--dataset", str(tmp_path / "nothing"), "--json"])
    assert res.exit_code == 2
    assert "facilities.csv" in _json(res.output)["error"]


def test_deploy_values_access_and_reports_it(dataset: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["deploy", "--dataset", str(dataset), "--out", str(tmp_path), "--time-limit", "4",
                              "--access-weight", "0.001", "--access-minutes", "90", "--json"])
    assert res.exit_code == 0, res.output
    doc = _json(res.output)
    assert doc["validator"]["violations"] == []
    assert doc["validator"]["objective"] == pytest.approx(doc["objective"], abs=1e-6)
    k = doc["kpis"]
    assert k["access_minutes"] == 90 and k["access_population"] == 126_014_024  # all of Mexico, Census 2020
    assert k["access_people_within_after"] == pytest.approx(k["access_people_within_before"]
                                                            + k["access_people_gained"])
    withdraw = [e for e in doc["team_access_effects"] if e["change"] == "withdraw"]
    assert all(e["people"] <= 0 for e in withdraw)
    assert all(e["people"] > 0 for e in doc["team_access_effects"] if e["change"] == "add")
    human = runner.invoke(app, ["deploy", "--dataset", str(dataset), "--out", str(tmp_path / "h"), "--time-limit",
                                "4", "--access-weight", "0.001", "--access-minutes", "90"],
                          env={"BIENESTAR_LANG": "es"})
    assert human.exit_code == 0, human.output
    text = " ".join(human.stdout.split())
    assert "Indicadores" in text and "cobertura por estado" in text and "plan escrito en" in text
    assert not any(w in text for w in ("coverage by state", "KPIs", "plan written", "people within"))
