"""Central supply split among depots: a hand-solved case with storage binding, the validator, and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.data.generate import GeneratorConfig, generate
from optimizer.distribution.central import CentralInput, solve_central, storage_table
from optimizer.distribution.validate import validate_central

DELIVERY = dt.date(2025, 3, 6)


def hand_case() -> CentralInput:
    """Two depots, three SKUs of 1 litre per unit (0.001 m3).

    Depot A: dry storage 0.06 m3 of which 0.01 m3 is taken by 10 units of an expired lot (free: 50 units),
    cold room 0.01 m3 (free: 10 units); its facilities need V (vital) 30, E (essential) 40, C (cold, vital) 20.
    Depot B: dry storage 1 m3 (free: 1000 units), no cold room; needs V 10, E 10, C 5.
    Central lots: V 20 units expiring soon + 80 later, E 100 + 5 already expired, C 100.

    By hand: B has room for everything dry (V 10, E 10) and none for C. A is storage-bound: vital first
    puts V 30 in its dry room (fill 1), leaving 20 units of room for E (fill 0.5); its cold room takes C 10.
    First-expiry-first-out sends the 20 soon-expiring V units out first.
    """
    med = pd.DataFrame({"sku": ["V", "E", "C", "O"], "volume_l": [1.0, 1.0, 1.0, 1.0],
                        "cold_chain": [False, False, True, False],
                        "criticality": ["vital", "essential", "vital", "other"]})
    depots = pd.DataFrame({"depot_id": ["A", "B"], "capacity_m3": [0.06, 1.0], "cold_capacity_m3": [0.01, 0.0]})
    held = pd.DataFrame({"depot_id": ["A"], "sku": ["O"], "units": [10], "expiry_date": ["2025-01-01"]})
    rooms, warnings = storage_table(depots, held, med)
    assert not warnings
    lots = pd.DataFrame({"lot_id": ["V-soon", "V-late", "E1", "E-old", "C1"], "sku": ["V", "V", "E", "E", "C"],
                         "units": [20, 80, 100, 5, 100],
                         "expiry_date": ["2025-06-30", "2026-06-30", "2026-01-31", "2025-03-01", "2025-12-31"]})
    need = pd.DataFrame({"depot_id": ["A", "A", "A", "B", "B", "B"], "sku": ["V", "E", "C", "V", "E", "C"],
                         "need": [30, 40, 20, 10, 10, 5]})
    return CentralInput(lots, need, rooms, med, DELIVERY)


def test_storage_binding_split_matches_the_hand_solution() -> None:
    ci = hand_case()
    plan = solve_central(ci)
    assert plan.status == "optimal"
    got = plan.split.groupby(["depot_id", "sku"])["units"].sum().to_dict()
    assert got == {("A", "V"): 30, ("A", "E"): 20, ("A", "C"): 10, ("B", "V"): 10, ("B", "E"): 10}
    assert plan.split.loc[plan.split["lot_id"] == "V-soon", "units"].sum() == 20  # FEFO
    left = plan.left.set_index("sku")
    assert left.loc["E"].to_dict() == {"units": 75, "storage_full": 20, "expired": 5, "no_need": 50}
    assert left.loc["C"].to_dict() == {"units": 90, "storage_full": 15, "expired": 0, "no_need": 75}
    assert left.loc["V"].to_dict() == {"units": 60, "storage_full": 0, "expired": 0, "no_need": 60}
    check = validate_central(ci, plan.split)
    assert check.ok, check.violations
    assert check.storage["A"] == pytest.approx({"m3": 0.06, "cold_m3": 0.01})
    assert check.tiers["vital_sku_min_fill_sum"] == pytest.approx(plan.tiers["vital_sku_min_fill_sum"])
    assert check.tiers["total_fill"] == pytest.approx(1 + 0.5 + 0.5 + 1 + 1 + 0)
    by = plan.by_depot.set_index("depot_id")
    assert by.at["A", "units"] == 60 and by.at["A", "room_m3"] == pytest.approx(0.05)


def test_validator_catches_an_over_full_depot_and_other_breaks() -> None:
    ci = hand_case()
    split = solve_central(ci).split
    over = split.copy()
    over.loc[(over["depot_id"] == "A") & (over["sku"] == "E"), "units"] += 1
    v = validate_central(ci, over).violations
    assert any("depot A: dry storage would hold 0.0610 m3, capacity 0.0600 m3" in x for x in v), v
    extra = pd.concat([split, pd.DataFrame([{"depot_id": "B", "lot_id": "E-old", "sku": "E", "units": 1,
                                             "expiry_date": "2025-03-01"}])], ignore_index=True)
    v = validate_central(ci, extra).violations
    assert any("on or before" in x for x in v) and any("receives 11 units" in x for x in v)
    frac = split.astype({"units": float})
    frac.loc[0, "units"] = 0.5
    assert any("not a whole" in x for x in validate_central(ci, frac).violations)


def test_missing_capacity_is_unlimited_with_a_warning() -> None:
    med = pd.DataFrame({"sku": ["V"], "volume_l": [1.0], "cold_chain": [False], "criticality": ["vital"]})
    rooms, warnings = storage_table(pd.DataFrame({"depot_id": ["A"]}), pd.DataFrame(
        columns=["depot_id", "sku", "units", "expiry_date"]), med)
    assert rooms.at[0, "room_m3"] == float("inf") and len(warnings) == 2 and "depot A" in warnings[0]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("central")
    generate(root, GeneratorConfig(program_hospitals=30, umfs=40, pharmacies=20, recruits=200, n_records=8_000))
    return root


def test_cli_bad_supply_row_names_file_row_and_field(dataset: Path, tmp_path: Path) -> None:
    sku = pd.read_csv(dataset / "medicines.csv")["sku"].iloc[0]
    cases = [
        (f"sku,units,expiry_date\n{sku},10,2026-01-01\n{sku},-4,2026-01-01\n", "row 3, field 'units'"),
        (f"sku,units,expiry_date\n{sku},2.5,2026-01-01\n", "row 2, field 'units'"),
        ("sku,units,expiry_date\nNOPE,3,2026-01-01\n", "row 2, field 'sku'"),
        (f"sku,units,expiry_date\n{sku},3,2026-01-01\n{sku},3,01/02/2026\n", "row 3, field 'expiry_date'"),
        (f"sku,units\n{sku},3\n", "column(s) expiry_date missing"),
    ]
    for k, (text, expected) in enumerate(cases):
        path = tmp_path / f"supply{k}.csv"
        path.write_text(text)
        res = CliRunner().invoke(app, ["distribute", "--dataset", str(dataset), "--day", "2025-03-03",
                                       "--central-supply", str(path), "--json"], env={"BIENESTAR_LANG": "en"})
        assert res.exit_code != 0
        error = json.loads(res.output)["error"]
        assert str(path) in error and expected in error, error


def test_cli_bad_supply_row_is_said_in_spanish_by_default(dataset: Path, tmp_path: Path) -> None:
    sku = pd.read_csv(dataset / "medicines.csv")["sku"].iloc[0]
    path = tmp_path / "supply.csv"
    path.write_text(f"sku,units,expiry_date\n{sku},10,2026-01-01\n{sku},-4,2026-01-01\n")
    res = CliRunner().invoke(app, ["distribute", "--dataset", str(dataset), "--day", "2025-03-03",
                                   "--central-supply", str(path), "--json"], env={"BIENESTAR_LANG": "es"})
    assert res.exit_code != 0
    error = json.loads(res.output)["error"]
    assert str(path) in error and "fila 3, campo 'units'" in error, error


def test_cli_splits_central_supply_before_the_allocation(dataset: Path, tmp_path: Path) -> None:
    med = pd.read_csv(dataset / "medicines.csv")
    skus = list(med.loc[med["criticality"] == "vital", "sku"].head(3)) + list(med.loc[med["cold_chain"], "sku"].head(2))
    supply = pd.DataFrame({"sku": skus, "units": [5000] * len(skus), "expiry_date": ["2026-12-31"] * len(skus)})
    path = tmp_path / "supply.csv"
    supply.to_csv(path, index=False)
    res = CliRunner().invoke(app, ["distribute", "--dataset", str(dataset), "--day", "2025-03-03", "--central-supply",
                                   str(path), "--time-limit", "0.2", "--out", str(tmp_path / "out"), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    k = doc["kpis"]  # the distribution's one KPI dict, as a scenario run reports it
    assert k["central_status"] == "optimal" and doc["validation"]["violations"] == []  # central split included
    assert k["central_units_shipped"] + k["central_units_left"] == int(supply["units"].sum())
    assert sum(d["units"] for d in doc["central_by_depot"]) == k["central_units_shipped"] > 0
    split = pd.read_csv(tmp_path / "out" / "central_split_2025-03-03.csv")
    assert int(split["units"].sum()) == k["central_units_shipped"]
    human = CliRunner().invoke(app, ["distribute", "--dataset", str(dataset), "--day", "2025-03-03",
                                     "--central-supply", str(path), "--time-limit", "0.2"],
                               env={"BIENESTAR_LANG": "es"})
    assert human.exit_code == 0, human.output
    text = " ".join(human.stdout.split())
    assert "Reparto del almacén central" in text and "Surtimiento por estado" in text and "Rutas del" in text
    assert not any(w in text for w in ("Fill rate by", "Routes on", "Central supply", "units short"))


def test_generated_network_with_a_large_supply_is_split_optimally(dataset: Path) -> None:
    """Every SKU, twice the depots' stock, on a generated network (depot storage from the generator): HiGHS
    must finish every tier (this case once stalled it) and storage binds somewhere."""
    from optimizer.data.dataset import load_dataset
    from optimizer.distribution.model import DistributionInput, central_input

    ds = load_dataset(dataset)
    inp = DistributionInput.from_dataset(ds, dt.date(2025, 3, 3))
    held = ds.stock[ds.stock["location"].isin(ds.depots["depot_id"])].groupby("sku")["units"].sum()
    lots = pd.DataFrame({"lot_id": [f"L{k}" for k in range(len(held))], "sku": held.index,
                         "units": (2 * held).astype(int).to_numpy(), "expiry_date": "2026-12-31"})
    ci = central_input(inp, lots)
    plan = solve_central(ci)
    assert plan.status == "optimal", plan.explanation
    check = validate_central(ci, plan.split)
    assert check.ok, check.violations[:3]
    assert int(plan.left["storage_full"].sum()) > 0
    assert int(plan.split["units"].sum()) + int(plan.left["units"].sum()) == int(lots["units"].sum())
