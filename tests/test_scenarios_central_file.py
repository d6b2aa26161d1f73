# ruff: noqa: F811  (test arguments take the shared fixtures home and base by name)
"""A scenario's ``distribution.central_supply_file``: read from the scenario file's folder into the inline
``central_supply`` lots at load time (so the run record and the stage cache key hold the supply), with errors
naming the scenario line and the CSV row and field; `distribute --central-supply` still overrides it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.distribution.settings import CentralLot
from optimizer.scenarios.cache import stage_key
from optimizer.scenarios.runner import run_scenario
from optimizer.scenarios.yamlfile import ScenarioError, load_scenario, parse_scenario
from tests.test_scenarios_support import base, home  # noqa: F401 (pytest fixtures)

SUPPLY = "sku,units,expiry_date\n010.000.0101.00,120,2027-05-31\n\n010.000.0104.00,0,2026-11-30\n"
LOTS = [CentralLot(sku="010.000.0101.00", units=120, expiry_date=dt.date(2027, 5, 31)),
        CentralLot(sku="010.000.0104.00", units=0, expiry_date=dt.date(2026, 11, 30))]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def scenario_yaml(distribution: str, dataset: str = "generate: {seed: 1}") -> str:
    """A scenario whose distribution section is ``distribution`` (YAML lines indented by 2)."""
    return f"name: central-file\nseed: 3\ndataset:\n  {dataset}\nmodels: [distribution]\ndistribution:\n{distribution}"


def test_relative_path_is_read_from_the_scenario_folder_and_absolute_as_given(tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "plans" / "supply" / "week10.csv", SUPPLY)
    rel = write(tmp_path / "plans" / "scenario.yaml", scenario_yaml("  central_supply_file: supply/week10.csv\n"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the working folder plays no part
    assert load_scenario(rel).distribution.central_supply == LOTS
    absolute = write(tmp_path / "other" / "scenario.yaml",
                     scenario_yaml(f"  central_supply_file: {tmp_path / 'plans' / 'supply' / 'week10.csv'}\n"))
    assert load_scenario(absolute).distribution.central_supply == LOTS


def test_loaded_scenario_holds_the_lots_not_the_path(tmp_path: Path) -> None:
    write(tmp_path / "supply.csv", SUPPLY)
    sc = load_scenario(write(tmp_path / "s.yaml", scenario_yaml("  central_supply_file: supply.csv\n"))).seeded()
    dumped = sc.model_dump(mode="json")["distribution"]
    assert "central_supply_file" not in dumped
    assert dumped["central_supply"] == [
        {"sku": "010.000.0101.00", "units": 120, "expiry_date": "2027-05-31"},
        {"sku": "010.000.0104.00", "units": 0, "expiry_date": "2026-11-30"}]


def test_stage_cache_key_follows_the_csv_content(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    for name in ("facilities", "depots", "vehicles", "medicines", "stock"):
        write(run_dir / "inputs" / "dataset" / f"{name}.csv", f"{name}\n1\n")
    write(run_dir / "inputs" / "demand" / "medicine_demand_weekly.csv", "clues,sku,week,units\n")
    csv = write(tmp_path / "supply.csv", SUPPLY)
    path = write(tmp_path / "s.yaml", scenario_yaml("  central_supply_file: supply.csv\n"))

    def key() -> str:
        return stage_key(run_dir, load_scenario(path).seeded(), "distribution")

    first = key()
    assert key() == first  # same CSV: same key, the cached plan is reused
    inline = "  central_supply:\n" + "".join(
        f"    - {{sku: '{lot.sku}', units: {lot.units}, expiry_date: {lot.expiry_date}}}\n" for lot in LOTS)
    same_inline = write(tmp_path / "inline.yaml", scenario_yaml(inline))
    assert stage_key(run_dir, load_scenario(same_inline).seeded(), "distribution") == first
    write(csv, SUPPLY.replace(",120,", ",121,"))
    changed = key()
    assert changed != first
    write(csv, SUPPLY.replace("2027-05-31", "2027-06-01"))
    assert key() not in (first, changed)


def test_both_keys_is_an_error_naming_the_line(tmp_path: Path) -> None:
    write(tmp_path / "supply.csv", SUPPLY)
    text = scenario_yaml("  central_supply:\n    - {sku: '010.000.0101.00', units: 5, expiry_date: 2027-01-01}\n"
                         "  central_supply_file: supply.csv\n")
    path = write(tmp_path / "both.yaml", text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: line 9: distribution.central_supply_file: ")
    assert "central_supply, line 7" in msg and "either" in msg


@pytest.mark.parametrize(("csv", "expected"), [
    ("sku,units,expiry_date\n010.000.0101.00,5,2027-01-01\n010.000.0104.00,-4,2027-01-01\n",
     "row 3, field 'units': '-4' is not a whole number >= 0"),
    ("sku,units,expiry_date\n010.000.0101.00,2.5,2027-01-01\n", "row 2, field 'units'"),
    ("sku,units,expiry_date\n010.000.0101.00,5,2027-01-01\n\n010.000.0101.00,5,31/01/2027\n",
     "row 4, field 'expiry_date': '31/01/2027' is not a date YYYY-MM-DD"),
    ("sku,units,expiry_date\n ,5,2027-01-01\n", "row 2, field 'sku': empty"),
    ("sku,units\n010.000.0101.00,5\n", "column(s) expiry_date missing"),
])
def test_a_bad_csv_row_names_the_scenario_line_and_the_csv_row_and_field(tmp_path: Path, csv: str,
                                                                         expected: str) -> None:
    supply = write(tmp_path / "supply.csv", csv)
    text = scenario_yaml("  routing: {time_limit_s: 0.1}\n  central_supply_file: supply.csv\n")
    path = write(tmp_path / "s.yaml", text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: line 8: distribution.central_supply_file: {supply}")
    assert expected in msg, msg


def test_missing_csv_and_text_without_a_file_are_clear_errors(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", scenario_yaml("  central_supply_file: nowhere.csv\n"))
    with pytest.raises(ScenarioError, match=r"line 7: distribution.central_supply_file: .*nowhere.csv: no such "):
        load_scenario(path)
    with pytest.raises(ScenarioError, match="line 7: .*read only from a scenario loaded from its file"):
        parse_scenario(scenario_yaml("  central_supply_file: /etc/passwd\n"), "api.yaml")
    with pytest.raises(ScenarioError, match="line 7: .*must be the path of a CSV file"):
        load_scenario(write(tmp_path / "n.yaml", scenario_yaml("  central_supply_file: 12\n")))


def supply_for(base: Path) -> pd.DataFrame:
    """Vital and cold-chain SKUs of the tiny dataset, 3000 units each: enough that depot storage matters."""
    med = pd.read_csv(base / "medicines.csv", dtype={"sku": str})
    skus = list(med.loc[med["criticality"] == "vital", "sku"].head(3)) + list(med.loc[med["cold_chain"], "sku"].head(2))
    return pd.DataFrame({"sku": skus, "units": 3000, "expiry_date": "2031-07-17"})


def test_run_with_the_file_splits_as_the_same_lots_given_inline(home: Path, base: Path, tmp_path: Path) -> None:
    supply = supply_for(base)
    supply.to_csv(tmp_path / "supply.csv", index=False)
    dataset = f"path: {base}"
    from_file = write(tmp_path / "file.yaml", scenario_yaml(
        "  routing: {time_limit_s: 0.1}\n  central_supply_file: supply.csv\n", dataset))
    inline = "".join(f"    - {{sku: '{r.sku}', units: {r.units}, expiry_date: {r.expiry_date}}}\n"
                     for r in supply.itertuples())
    given_inline = write(tmp_path / "inline.yaml", scenario_yaml(
        "  routing: {time_limit_s: 0.1}\n  central_supply:\n" + inline, dataset))
    # separate runs folders (hence separate stage caches): both splits are solved, not one reused
    a = run_scenario(from_file, home / "runs-file", progress=False)
    b = run_scenario(given_inline, home / "runs-inline", progress=False)
    assert a.status == b.status == "ok", (a.message, b.message)
    ka, kb = a.kpis["distribution"], b.kpis["distribution"]
    assert ka["central_status"] == "optimal" and ka["central_units_shipped"] > 0
    assert ka["central_units_shipped"] + ka["central_units_left"] == int(supply["units"].sum())
    assert (ka["central_units_shipped"], ka["central_units_left"]) == (kb["central_units_shipped"],
                                                                       kb["central_units_left"])
    split = "plans/distribution/central_split.csv"
    assert (a.run_dir / split).read_bytes() == (b.run_dir / split).read_bytes()
    recorded = json.loads((a.run_dir / "scenario.resolved.json").read_text())["scenario"]["distribution"]
    assert recorded["central_supply"] == [{"sku": r.sku, "units": int(r.units), "expiry_date": r.expiry_date}
                                          for r in supply.itertuples()]


def test_cli_central_supply_overrides_the_scenario_file(base: Path, tmp_path: Path) -> None:
    supply = supply_for(base)
    supply.to_csv(tmp_path / "scenario_supply.csv", index=False)
    override = supply.head(2).assign(units=700)
    override.to_csv(tmp_path / "override.csv", index=False)
    path = write(tmp_path / "s.yaml", scenario_yaml(
        "  routing: {time_limit_s: 0.1}\n  central_supply_file: scenario_supply.csv\n", f"path: {base}"))
    res = CliRunner().invoke(app, ["distribute", "--scenario", str(path), "--day", "2025-03-03", "--central-supply",
                                   str(tmp_path / "override.csv"), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    k = doc["kpis"]
    assert k["central_status"] == "optimal" and doc["validation"]["violations"] == []
    assert k["central_units_shipped"] + k["central_units_left"] == 1400  # the override's lots, not the scenario's


def test_api_compose_reads_the_base_file_and_refuses_a_path_from_the_caller(tmp_path: Path) -> None:
    """A scenario composed through the API keeps its base's CSV (path made absolute, lots read) but an
    override may not name a file: the server would read a file of the caller's choosing."""
    from api.scenario_files import ScenarioFile, compose

    write(tmp_path / "in" / "supply.csv", SUPPLY)
    base_file = ScenarioFile("basecsv", write(tmp_path / "basecsv.yaml",
                                              scenario_yaml("  central_supply_file: in/supply.csv\n")), False)
    text, scen = compose(base_file, "derived", {"seed": 4}, None, tmp_path)
    assert scen.distribution.central_supply == LOTS
    assert str((tmp_path / "in" / "supply.csv").resolve()) in text
    with pytest.raises(ScenarioError, match="cannot be set through the API"):
        compose(base_file, "sneaky", {"distribution": {"central_supply_file": "/etc/passwd"}}, None, tmp_path)
