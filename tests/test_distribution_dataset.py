"""End to end on a small generated dataset: allocation and routes validate, files are written, CLI works."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.data.generate import GeneratorConfig, generate
from optimizer.distribution.model import DistributionError, plan_day
from optimizer.distribution.run import run_distribution
from optimizer.distribution.settings import DistributionSettings, RoutingSettings
from optimizer.distribution.validate import validate_allocation, validate_routes

MONDAY = dt.date(2025, 3, 3)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ds")
    generate(root, GeneratorConfig(program_hospitals=40, umfs=60, pharmacies=30, recruits=300, n_records=10_000))
    return root


@pytest.fixture(scope="module")
def done(dataset: Path, tmp_path_factory: pytest.TempPathFactory):
    """The run (plan, validation, the one KPI dict) ``bienestar distribute`` reports."""
    settings = DistributionSettings(routing=RoutingSettings(time_limit_s=0.5, seed=1))
    return run_distribution(dataset, MONDAY, settings, tmp_path_factory.mktemp("out"))


@pytest.fixture(scope="module")
def result(done):
    return done.plan


def test_allocation_and_routes_validate(done, result) -> None:
    assert result.allocation.status == "optimal"
    assert validate_allocation(result.inp.allocation, result.allocation.shipments).ok
    assert result.routes, "Monday should have deliveries"
    for dr in result.routes:
        check = validate_routes(dr.problem, dr.plan)
        assert check.ok, (dr.depot_id, check.violations[:3])
        assert dr.plan.status == "feasible"
        for r in dr.plan.routes:  # cold-chain deliveries ride refrigerated vehicles
            if any(dr.problem.stops[i].cold for i in r.stops):
                assert dr.problem.vehicle_types[r.vehicle_type].cold
    k = done.kpis
    assert done.validation.violations == []
    assert 0.0 <= k["fill_rate"] <= 1.0
    assert k["units_short"] == k["units_needed"] - k["units_shipped"]


def test_files_match_the_routes(result) -> None:
    paths = [Path(p) for p in result.files]
    geo = next(p for p in paths if p.suffix == ".geojson")
    fc = json.loads(geo.read_text())
    lines = [f for f in fc["features"] if f["geometry"]["type"] == "LineString"]
    assert len(lines) == sum(len(dr.plan.routes) for dr in result.routes)
    assert any(p.suffix == ".xlsx" for p in paths)
    manifests = pd.concat([pd.read_csv(p) for p in paths if p.parent.name.startswith("manifests_")])
    routed = sum(ln.units for dr in result.routes for r in dr.plan.routes for i in r.stops
                 for ln in dr.problem.stops[i].lines)
    assert int(manifests["units"].sum()) == routed


def test_weekend_and_missing_dataset(result, dataset: Path, tmp_path: Path) -> None:
    routes, note = plan_day(result.inp, result.allocation, dt.date(2025, 3, 9))
    assert not routes and "not a delivery day" in note
    with pytest.raises(DistributionError, match="facilities.csv missing"):
        run_distribution(tmp_path, MONDAY, DistributionSettings())
    res = CliRunner().invoke(app, ["distribute", "--dataset", str(dataset), "--day", "2025-13-01", "--json"],
                             env={"BIENESTAR_LANG": "en"})
    assert res.exit_code != 0 and "is not a date" in json.loads(res.output)["error"]
