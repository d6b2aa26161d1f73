# ruff: noqa: F811  (test arguments take the shared fixtures home and base by name)
"""The scenario runner's distribution stage with an inline central supply: split among depots, checked by the
central validator, allocated with the week; a SKU outside the catalogue is a clear error."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from optimizer.scenarios.runner import run_scenario
from optimizer.scenarios.schema import Scenario
from tests.test_scenarios_support import base, home  # noqa: F401 (pytest fixtures)


def scenario(base: Path, name: str, supply: list[dict]) -> Scenario:
    return Scenario.model_validate({
        "name": name, "seed": 3, "dataset": {"path": str(base)}, "models": ["distribution"],
        "distribution": {"routing": {"time_limit": 0.1}, "central_supply": supply},
    })


def test_stage_splits_the_inline_central_supply_before_the_allocation(home: Path, base: Path) -> None:
    med = pd.read_csv(base / "medicines.csv")
    skus = list(med.loc[med["criticality"] == "vital", "sku"].head(3)) + list(med.loc[med["cold_chain"], "sku"].head(2))
    supply = [{"sku": s, "units": 4000, "expiry_date": "2031-07-17"} for s in skus]
    with_supply = run_scenario(scenario(base, "central", supply), home / "runs", progress=False)
    assert with_supply.status == "ok", with_supply.message
    k = with_supply.kpis["distribution"]
    assert k["central_status"] == "optimal" and k["central_units_shipped"] > 0
    assert k["central_units_shipped"] + k["central_units_left"] == 4000 * len(supply)
    split = pd.read_csv(with_supply.run_dir / "plans" / "distribution" / "central_split.csv", dtype={"sku": str})
    assert int(split["units"].sum()) == k["central_units_shipped"] and set(split["sku"]) <= set(skus)
    assert (with_supply.run_dir / "plans" / "distribution" / "dispatch.csv").exists()
    ship = pd.read_csv(with_supply.run_dir / "plans" / "distribution" / "shipments.csv", dtype=str)
    from_central = ship[ship["lot_id"].str.contains("/2031-07-17/") & ship["sku"].isin(skus)]
    assert len(from_central) > 0  # the supply reaches facilities this week


def test_stage_names_a_supply_sku_outside_the_catalogue(home: Path, base: Path) -> None:
    bad = [{"sku": "999.999.9999.99", "units": 5, "expiry_date": "2026-12-31"}]
    res = run_scenario(scenario(base, "bad-central", bad), home / "runs", progress=False)
    assert res.status == "error"
    assert "distribution.central_supply[0], field 'sku': '999.999.9999.99' is not in the medicines catalogue" \
        in str(res.message)
