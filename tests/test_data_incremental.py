"""Incremental aggregation: adding a month reads only that month and gives the same demand as a full pass."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from optimizer.data.aggregate import medicine_demand, surgical_demand
from optimizer.data.dataset import load_dataset
from optimizer.data.generate import GeneratorConfig, generate, write_records
from optimizer.data.incremental import DemandCube, expansion_factor, record_months


@pytest.fixture(scope="module")
def partitioned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ds")
    generate(root, GeneratorConfig(seed=5, n_records=2_000))
    ds = load_dataset(root)
    cfg = GeneratorConfig(seed=5, n_records=30_000, records_chunk=12_000, partition_records=True)
    write_records(root / "records", cfg, ds.facilities, ds.medicines, seed=99)
    return root / "records"


def _sorted(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return df.sort_values(keys).reset_index(drop=True)


def test_partitions_are_by_month_and_state(partitioned: Path) -> None:
    months = record_months(partitioned)
    assert months == [f"2024-{m:02d}" for m in range(1, 13)]
    states = {p.name for p in (partitioned / "encounters" / "month=2024-03").iterdir()}
    assert all(s.startswith("cve_ent=") for s in states) and len(states) > 10


def test_cube_equals_a_full_pass(partitioned: Path, tmp_path: Path) -> None:
    cube = DemandCube(tmp_path / "cube")
    assert len(cube.update(partitioned)) == 12
    k = expansion_factor(partitioned)
    got = _sorted(cube.surgical_demand(k), ["clues", "specialty"])
    want = _sorted(surgical_demand(partitioned), ["clues", "specialty"])
    pd.testing.assert_frame_equal(got, want[got.columns], check_dtype=False, rtol=1e-9)
    got_m = _sorted(cube.medicine_demand(k), ["clues", "sku"])
    want_m = _sorted(medicine_demand(partitioned), ["clues", "sku"])
    pd.testing.assert_frame_equal(got_m, want_m[got_m.columns], check_dtype=False, rtol=1e-9)


def test_adding_a_month_reads_only_that_month(partitioned: Path, tmp_path: Path) -> None:
    work = tmp_path / "records"
    shutil.copytree(partitioned, work)
    december = {t: work / t / "month=2024-12" for t in ("encounters", "prescriptions")}
    held = {t: tmp_path / f"held-{t}" for t in december}
    for t in december:
        shutil.move(december[t], held[t])
    cube = DemandCube(tmp_path / "cube")
    assert len(cube.update(work)) == 11
    # Take the first eleven months away: if the update read them again it would fail or change the totals.
    archived = tmp_path / "archived"
    for t in december:
        shutil.move(work / t, archived / t)
        (work / t).mkdir(parents=True)
        shutil.move(held[t], december[t])
    assert cube.update(work) == ["2024-12"]
    assert cube.update(work) == []  # nothing new
    k = expansion_factor(partitioned)
    got = _sorted(cube.surgical_demand(k), ["clues", "specialty"])
    want = _sorted(surgical_demand(partitioned), ["clues", "specialty"])
    pd.testing.assert_frame_equal(got, want[got.columns], check_dtype=False, rtol=1e-9)
