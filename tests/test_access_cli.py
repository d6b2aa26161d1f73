"""``bienestar access``: JSON with the census total, where-next, exports, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.data.generate import GeneratorConfig, generate

runner = CliRunner()


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("access_cli_ds")
    generate(root, GeneratorConfig(seed=5, n_records=2000))
    return root


def _json(args: list[str]) -> dict:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_kpis_json_has_census_total_and_exports(dataset: Path, tmp_path: Path) -> None:
    doc = _json(["access", "--dataset", str(dataset), "--minutes", "60,120", "--json",
                 "--out", str(tmp_path / "access.xlsx")])
    assert doc["total_population"] == 126_014_024
    assert doc["population_points"] > 10_000 and doc["resolution"] == "localities"
    assert sum(r["population"] for r in doc["by_degree"]) == 126_014_024
    assert set(doc["headline"]) == {"within_60", "share_60", "within_120", "share_120"}
    sheets = pd.read_excel(tmp_path / "access.xlsx", sheet_name=None)
    assert {"by_state", "by_degree", "reach_bands", "worst_served", "municipalities", "points"} <= set(sheets)
    assert sheets["municipalities"]["population"].sum() == 126_014_024
    assert sheets["municipalities"]["within_120"].sum() == doc["headline"]["within_120"]
    assert len(sheets["points"]) == doc["population_points"]


def test_municipal_resolution_is_one_point_each(dataset: Path) -> None:
    doc = _json(["access", "--dataset", str(dataset), "--resolution", "municipalities", "--json"])
    assert doc["population_points"] == 2469 and doc["total_population"] == 126_014_024
    bad = runner.invoke(app, ["access", "--dataset", str(dataset), "--resolution", "cells", "--json"])
    assert bad.exit_code != 0 and "resolution" in bad.stdout


def test_where_next_json(dataset: Path) -> None:
    doc = _json(["access", "--dataset", str(dataset), "--where-next", "3", "--minutes", "120", "--json",
                 "--states", "20,07", "--time-limit", "20"])
    plan = doc["plan"]
    assert plan["status"] == "optimal" and len(plan["chosen"]) <= 3
    assert doc["total_population"] == 4_132_148 + 5_543_828  # Oaxaca + Chiapas
    assert plan["population_covered_after"] >= plan["population_covered_before"]
    assert doc["validated_objective"] == pytest.approx(plan["objective"])


def test_where_next_pmedian_with_hospital_file(dataset: Path, tmp_path: Path) -> None:
    fac = pd.read_csv(dataset / "facilities.csv", dtype=str)
    h = fac[(fac["kind"] == "hospital") & (fac["cve_ent"] == "20") & (fac["status"] == "open")]
    (tmp_path / "h24.csv").write_text("clues\n" + "\n".join(h["clues"].head(5)) + "\n")
    doc = _json(["access", "--dataset", str(dataset), "--where-next", "2", "--minutes", "60", "--model",
                 "pmedian", "--states", "20", "--hospitals-24-7", str(tmp_path / "h24.csv"), "--json"])
    assert doc["hospitals_24_7"] == 5 and doc["plan"]["model"] == "pmedian"
    assert doc["plan"]["status"] == "optimal"


def test_clear_errors(dataset: Path, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["access", "--dataset", str(tmp_path / "nope"), "--json"])
    assert missing.exit_code == 2 and "facilities.csv missing" in json.loads(missing.stdout)["error"]
    (tmp_path / "h24.csv").write_text("clues\nXXIMB999999\n")
    bad = runner.invoke(app, ["access", "--dataset", str(dataset), "--hospitals-24-7",
                              str(tmp_path / "h24.csv"), "--json"])
    assert bad.exit_code == 2
    assert "row 1, field 'clues'" in json.loads(bad.stdout)["error"]
    two = runner.invoke(app, ["access", "--dataset", str(dataset), "--where-next", "2", "--json"],
                        env={"BIENESTAR_LANG": "en"})
    assert two.exit_code == 2 and "one --minutes value" in json.loads(two.stdout)["error"]
    two = runner.invoke(app, ["access", "--dataset", str(dataset), "--where-next", "2", "--json"],
                        env={"BIENESTAR_LANG": "es"})
    assert two.exit_code == 2 and "un solo valor de --minutes" in json.loads(two.stdout)["error"]


def test_od_matrix_rejects_reported(dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BIENESTAR_LANG", raising=False)  # the rejected row said in Spanish, the default
    fac = pd.read_csv(dataset / "facilities.csv", dtype=str)
    clues = fac.loc[(fac["kind"] == "hospital") & (fac["status"] == "open"), "clues"].iloc[0]
    (tmp_path / "od.csv").write_text(f"origin,destination,minutes\n20001,{clues},12.5\n20002,{clues},abc\n")
    doc = _json(["access", "--dataset", str(dataset), "--states", "20", "--od-matrix", str(tmp_path / "od.csv"),
                 "--json"])
    assert doc["od_rejects"] == [f"{tmp_path / 'od.csv'}, fila 2, campo 'minutes': 'abc' no es un número"]


def test_human_report_and_where_next_are_spanish_first(dataset: Path, tmp_path: Path) -> None:
    fac = pd.read_csv(dataset / "facilities.csv", dtype=str)
    clues = fac.loc[(fac["kind"] == "hospital") & (fac["status"] == "open"), "clues"].iloc[0]
    (tmp_path / "od.csv").write_text(f"origin,destination,minutes\n20001,{clues},12.5\n20002,{clues},abc\n")
    args = ["access", "--dataset", str(dataset), "--states", "20", "--od-matrix", str(tmp_path / "od.csv")]
    res = runner.invoke(app, args, env={"BIENESTAR_LANG": "es"})
    assert res.exit_code == 0, res.output
    text = " ".join(res.stdout.split())
    assert "Acceso a cirugía 24/7" in text and "Por estado" in text and "Lugares peor atendidos" in text
    assert "fila de la matriz origen-destino rechazada" in text
    assert not any(w in text for w in ("By state", "Worst served", "Equity", "within 60", "population points"))
    res = runner.invoke(app, args, env={"BIENESTAR_LANG": "en"})
    assert res.exit_code == 0 and "Worst served places" in " ".join(res.stdout.split())
    res = runner.invoke(app, ["access", "--dataset", str(dataset), "--where-next", "2", "--minutes", "120",
                              "--states", "20", "--time-limit", "20"], env={"BIENESTAR_LANG": "es"})
    assert res.exit_code == 0, res.output
    text = " ".join(res.stdout.split())
    assert "Sitios elegidos" in text and "Personas a menos de 120 min" in text and "Chosen sites" not in text
