"""`bienestar urgent` end to end: distribute writes the day plan, an urgent order goes into exactly one route,
the rest of the published day is unchanged, the validator accepts the new plan, and impossible or malformed
orders are explained."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.data.generate import GeneratorConfig, generate
from optimizer.distribution.planfile import load_day_plan
from optimizer.distribution.validate import validate_routes

DAY = "2025-03-03"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small dataset and the folder `bienestar distribute --out` wrote for Monday."""
    root = tmp_path_factory.mktemp("urgent")
    generate(root / "ds", GeneratorConfig(program_hospitals=30, umfs=40, pharmacies=20, recruits=200,
                                          n_records=8_000))
    res = CliRunner().invoke(app, ["distribute", "--dataset", str(root / "ds"), "--day", DAY, "--out",
                                   str(root / "out"), "--time-limit", "0.2", "--json"])
    assert res.exit_code == 0, res.output
    return root / "out"


def _copy(published: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(published, out)
    return out


def _urgent(out: Path, *args: str) -> tuple[int, dict]:
    res = CliRunner().invoke(app, ["urgent", "--plan", str(out), *args, "--json"])
    return res.exit_code, json.loads(res.output)


def test_urgent_order_goes_into_exactly_one_route(published: Path, tmp_path: Path) -> None:
    out = _copy(published, tmp_path)
    before = load_day_plan(out / f"plan_{DAY}.json")
    # A facility already delivered today by a depot that still holds units of some SKU.
    dd = next(d for d in before.depots if d.stock_left and d.plan.routes)
    clues = dd.problem.stops[dd.plan.routes[0].stops[0]].facility
    sku = max(dd.stock_left, key=dd.stock_left.get)
    files_before = {p: p.read_bytes() for p in (out / f"manifests_{DAY}").glob("*.csv")}
    code, doc = _urgent(out, "--clues", clues, "--item", f"{sku}=1", "--window", "07:00-19:00")
    assert code == 0 and doc["status"] == "inserted", doc
    after = load_day_plan(out / f"plan_{DAY}.json")
    old_routes = {(d.depot_id, r.vehicle_id): (r.stops, r.arrivals) for d in before.depots for r in d.plan.routes}
    holding = []
    for d in after.depots:
        check = validate_routes(d.problem, d.plan)
        assert check.ok, (d.depot_id, check.violations[:3])
        for r in d.plan.routes:
            ids = [d.problem.stops[i].stop_id for i in r.stops]
            if doc["stop_id"] in ids:
                holding.append((d.depot_id, r.vehicle_id, ids.index(doc["stop_id"]) + 1))
            else:
                assert old_routes[(d.depot_id, r.vehicle_id)] == (r.stops, r.arrivals)
    assert holding == [(doc["depot_id"], doc["vehicle_id"], doc["seq"])]
    manifest = out / f"manifests_{DAY}" / f"{doc['depot_id']}_{doc['vehicle_id']}.csv"
    assert str(manifest) in doc["changed_files"]
    rows = pd.read_csv(manifest, dtype=str)
    assert ((rows["stop_id"] == doc["stop_id"]) & (rows["sku"] == sku)).sum() == 1
    for p, data in files_before.items():  # every other vehicle's manifest is byte-for-byte unchanged
        if p != manifest:
            assert p.read_bytes() == data, p
    sheets = pd.read_excel(out / f"manifests_{DAY}.xlsx", sheet_name=None)
    assert (sheets[f"{doc['depot_id']}_{doc['vehicle_id']}"[:31]]["stop_id"] == doc["stop_id"]).sum() == 1
    assert doc["extra_km"] >= 0 and doc["extra_cost_mxn"] >= 0
    assert after.depot(doc["depot_id"]).stock_left.get(sku, 0) == dd.stock_left[sku] - 1 \
        or doc["depot_id"] != dd.depot_id


def test_impossible_urgent_order_is_explained(published: Path, tmp_path: Path) -> None:
    out = _copy(published, tmp_path)
    plan_bytes = (out / f"plan_{DAY}.json").read_bytes()
    clues = next(s.facility for d in load_day_plan(out / f"plan_{DAY}.json").depots for s in d.problem.stops)
    code, doc = _urgent(out, "--clues", clues, "--m3", "500", "--kg", "10")
    assert code == 1 and doc["status"] == "not_inserted"
    assert doc["binding"] == "capacity m3"
    assert "the order needs 500" in doc["explanation"]
    code, doc = _urgent(out, "--clues", clues, "--m3", "0.01", "--cold", "--window", "03:00-03:40")
    assert code == 1 and doc["binding"] == "window" and "after the order's window closes" in doc["explanation"]
    assert (out / f"plan_{DAY}.json").read_bytes() == plan_bytes  # nothing rewritten


def test_bad_urgent_input_names_the_field(published: Path, tmp_path: Path) -> None:
    out = _copy(published, tmp_path)
    clues = next(s.facility for d in load_day_plan(out / f"plan_{DAY}.json").depots for s in d.problem.stops)
    code, doc = _urgent(out, "--clues", "XXIMB999999", "--m3", "0.1")
    assert code != 0 and "field '--clues'" in doc["error"] and "XXIMB999999" in doc["error"]
    code, doc = _urgent(out, "--clues", clues, "--item", "999.999.9999.99=3")
    assert code != 0 and "field '--item'" in doc["error"] and "999.999.9999.99" in doc["error"]
    code, doc = _urgent(out, "--clues", clues, "--m3", "0.1", "--window", "9-13")
    assert code != 0 and "field '--window'" in doc["error"]
    code, doc = _urgent(out, "--clues", clues, "--m3", "0.1", "--window", "13:00-09:00")
    assert code != 0 and "ends before it starts" in doc["error"]
    nowhere = ["urgent", "--plan", str(tmp_path / "nowhere"), "--clues", clues, "--m3", "0.1", "--json"]
    res = CliRunner().invoke(app, nowhere, env={"BIENESTAR_LANG": "en"})
    assert res.exit_code != 0 and "is not a folder" in json.loads(res.output)["error"]
    res = CliRunner().invoke(app, nowhere, env={"BIENESTAR_LANG": "es"})
    assert res.exit_code != 0 and "no es una carpeta" in json.loads(res.output)["error"]


def test_urgent_order_at_midday_keeps_what_vehicles_have_done(published: Path, tmp_path: Path) -> None:
    """With --now, a vehicle already on the road keeps its departure and every stop it has driven off from;
    the urgent stop goes after them."""
    out = _copy(published, tmp_path)
    before = load_day_plan(out / f"plan_{DAY}.json")
    dd = next(d for d in before.depots if d.stock_left and d.plan.routes)
    clues = dd.problem.stops[dd.plan.routes[0].stops[-1]].facility
    sku = max(dd.stock_left, key=dd.stock_left.get)
    code, doc = _urgent(out, "--clues", clues, "--item", f"{sku}=1", "--now", "10:00")
    if code != 0:  # nobody can still reach it after 10:00: the reason must say so
        assert doc["status"] == "not_inserted" and doc["binding"], doc
        return
    after = load_day_plan(out / f"plan_{DAY}.json")
    old = next((r for r in before.depot(doc["depot_id"]).plan.routes if r.vehicle_id == doc["vehicle_id"]), None)
    new = next(r for r in after.depot(doc["depot_id"]).plan.routes if r.vehicle_id == doc["vehicle_id"])
    p = after.depot(doc["depot_id"]).problem
    pos = doc["seq"] - 1
    left_prev = new.departure if pos == 0 else new.service_starts[pos - 1] + p.stops[new.stops[pos - 1]].service
    assert left_prev >= 10 * 3600
    if old is not None and old.departure < 10 * 3600:
        assert new.departure == old.departure
        assert new.stops[:pos] == old.stops[:pos] and new.arrivals[:pos] == old.arrivals[:pos]
    code, doc = _urgent(out, "--clues", clues, "--m3", "0.1", "--now", "25:99")
    assert code != 0 and "field '--now'" in doc["error"]


def _check(out: Path) -> tuple[int, dict]:
    res = CliRunner().invoke(app, ["check-published", "--plan", str(out), "--json"])
    return res.exit_code, json.loads(res.output)


def test_urgent_order_joins_the_shipments_file_and_the_published_files_still_agree(published: Path,
                                                                                  tmp_path: Path) -> None:
    out = _copy(published, tmp_path)
    assert _check(out) == (0, {"status": "ok", "day": DAY, "plan_file": str(out / f"plan_{DAY}.json"),
                               "violations": []})
    ship_file = out / "shipments_2025-03-03.csv"
    before = pd.read_csv(ship_file, dtype=str)
    assert set(before["order"]) == {"weekly"} and before["delivery_day"].notna().all()
    day = load_day_plan(out / f"plan_{DAY}.json")
    dd = next(d for d in day.depots if len(d.stock_left) >= 2 and d.plan.routes)
    clues = dd.problem.stops[dd.plan.routes[0].stops[0]].facility
    skus = sorted(dd.stock_left, key=dd.stock_left.get)[-2:]
    code, doc = _urgent(out, "--clues", clues, "--item", f"{skus[0]}=1", "--item", f"{skus[1]}=2",
                        "--window", "07:00-19:00")
    assert code == 0 and doc["status"] == "inserted", doc
    assert str(ship_file) in doc["changed_files"]
    after = pd.read_csv(ship_file, dtype=str)
    assert after.iloc[: len(before)].equals(before)  # the week's rows are untouched
    added = after.iloc[len(before):]
    assert added[["depot_id", "clues", "sku", "units", "delivery_day", "order"]].values.tolist() == [
        [doc["depot_id"], clues, skus[0], "1", DAY, doc["stop_id"]],
        [doc["depot_id"], clues, skus[1], "2", DAY, doc["stop_id"]]]
    assert _check(out)[0] == 0, _check(out)[1]
    # The check is not vacuous: the shipments file without the urgent rows no longer matches the plan.
    after.iloc[: len(after) - 1].to_csv(ship_file, index=False)
    code, res = _check(out)
    assert code == 1 and res["status"] == "violations"
    assert res["violations"] == [f"shipments_2025-03-03.csv: depot {doc['depot_id']} -> {clues} {skus[1]}: 0 units "
                                 f"shipped on {DAY}, the day plan carries 2"]


def test_published_check_catches_a_stale_manifest(published: Path, tmp_path: Path) -> None:
    out = _copy(published, tmp_path)
    path = sorted((out / f"manifests_{DAY}").glob("*.csv"))[0]
    rows = pd.read_csv(path, dtype=str)
    rows.loc[0, "units"] = str(int(rows.loc[0, "units"]) + 1)
    rows.to_csv(path, index=False)
    code, res = _check(out)
    vehicle = path.stem.split("_")[1]
    assert code == 1 and res["violations"] == [f"{path}: lines differ from the plan's route of {vehicle}"]


def test_impossible_urgent_order_is_told_in_the_readers_language(published: Path, tmp_path: Path) -> None:
    """Without --json the planner reads the refusal in Spanish (default) or English (BIENESTAR_LANG=en)."""
    out = _copy(published, tmp_path)
    clues = next(s.facility for d in load_day_plan(out / f"plan_{DAY}.json").depots for s in d.problem.stops)
    args = ["urgent", "--plan", str(out), "--clues", clues, "--m3", "500", "--kg", "10"]
    es = CliRunner().invoke(app, args, env={"BIENESTAR_LANG": "es"})
    text = " ".join(es.stderr.split())
    assert es.exit_code == 1 and "no insertado: ningún vehículo puede llevar" in text
    assert "restricción que limita: capacidad m3" in text and "el pedido necesita 500" in text
    en = CliRunner().invoke(app, args, env={"BIENESTAR_LANG": "en"})
    text = " ".join(en.stderr.split())
    assert en.exit_code == 1 and "not inserted: no vehicle can take" in text
    assert "binding constraint: capacity m3" in text and "the order needs 500" in text
