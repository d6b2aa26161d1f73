"""Each override kind changes exactly what it says and nothing else (property tests with hypothesis)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.data.aggregate import medicine_demand_weekly, surgical_demand
from optimizer.domain import SURGICAL_SPECIALTIES, Specialty, is_valid_curp
from optimizer.scenarios.basedata import resolve_base
from optimizer.scenarios.demand import SURGICAL_COLUMNS, Catchment, DemandTables, apply_multipliers, move_catchment
from optimizer.scenarios.overrides import (
    OverrideError,
    Tables,
    apply_depots,
    apply_facilities,
    apply_recruits,
    largest_remainder,
)
from optimizer.scenarios.schema import (
    DatasetSource,
    DemandMultiplier,
    DepotChanges,
    FacilityChanges,
    GenerateBase,
    RecruitPool,
)

#: A small generated network (30 program hospitals) shared by the scenario and report tests.
TINY = GenerateBase(seed=5, program_hospitals=30, other_hospitals_per_state=1, n_records=8000, umfs=20,
                    pharmacies=10)
FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return resolve_base(DatasetSource(generate=TINY), cache=tmp_path_factory.getbasetemp() / "datasets")


@pytest.fixture(scope="module")
def tables(base: Path) -> Tables:
    return Tables.read(base)


@pytest.fixture(scope="module")
def demand(base: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    weekly = medicine_demand_weekly(base / "records")
    weekly["week"] = pd.to_datetime(weekly["week"])
    return surgical_demand(base / "records"), weekly


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return a.reset_index(drop=True).equals(b.reset_index(drop=True))


# --- demand multipliers ----------------------------------------------------------------------------------

STATES = ["04", "07", "12", "20", "21", "30", "31"]
GROUPS = ["respiratory", "vaccines", "antibiotics", "analgesia"]


@FAST
@given(factor=st.floats(0.0, 3.0), states=st.lists(st.sampled_from(STATES), max_size=3, unique=True),
       specs=st.lists(st.sampled_from([s.value for s in SURGICAL_SPECIALTIES]), max_size=2, unique=True),
       groups=st.lists(st.sampled_from(GROUPS), max_size=2, unique=True),
       months=st.lists(st.integers(1, 12), max_size=3, unique=True), month=st.integers(1, 12))
def test_demand_multiplier_scales_exactly_the_selected_rows(tables, demand, factor, states, specs, groups, months,
                                                             month) -> None:
    surgical, weekly = demand
    fac, med = tables["facilities"], tables["medicines"]
    rule = DemandMultiplier(factor=factor, states=states, specialties=specs, groups=groups, months=months)
    out = apply_multipliers(DemandTables(surgical, weekly), fac, med, [rule], month)
    s2, w2 = out.surgical, out.medicine_weekly
    applies = not months or month in months
    state_of = dict(zip(fac["clues"], fac["cve_ent"], strict=True))
    group_of = dict(zip(med["sku"], med["group"], strict=True))
    s_sel = np.full(len(surgical), applies and not groups)
    if states:
        s_sel &= surgical["clues"].map(state_of).isin(states).to_numpy()
    if specs:
        s_sel &= surgical["specialty"].isin(specs).to_numpy()
    for col in SURGICAL_COLUMNS:
        expected = np.where(s_sel, surgical[col] * factor, surgical[col])
        np.testing.assert_array_equal(s2[col].to_numpy(), expected)
    w_sel = np.full(len(weekly), applies and not specs)
    if states:
        w_sel &= weekly["clues"].map(state_of).isin(states).to_numpy()
    if groups:
        w_sel &= weekly["sku"].map(group_of).isin(groups).to_numpy()
    np.testing.assert_array_equal(w2["units"].to_numpy(), np.where(w_sel, weekly["units"] * factor, weekly["units"]))
    assert _same(s2.drop(columns=list(SURGICAL_COLUMNS)), surgical.drop(columns=list(SURGICAL_COLUMNS)))
    assert _same(w2.drop(columns=["units"]), weekly.drop(columns=["units"]))


def test_rules_compose_by_product(tables, demand) -> None:
    surgical, weekly = demand
    rules = [DemandMultiplier(factor=1.5), DemandMultiplier(factor=2.0, specialties=[Specialty.ORTHOPAEDICS])]
    out = apply_multipliers(DemandTables(surgical, weekly), tables["facilities"], tables["medicines"], rules, 3)
    s2, w2 = out.surgical, out.medicine_weekly
    ortho = surgical["specialty"] == "orthopaedics"
    np.testing.assert_allclose(s2.loc[ortho, "procedures_per_week"], surgical.loc[ortho, "procedures_per_week"] * 3.0)
    np.testing.assert_allclose(s2.loc[~ortho, "procedures_per_week"], surgical.loc[~ortho, "procedures_per_week"] * 1.5)
    np.testing.assert_allclose(w2["units"], weekly["units"] * 1.5)


# --- facilities ------------------------------------------------------------------------------------------


def test_open_planned_2025_opens_exactly_the_planned_and_nothing_else(tables) -> None:
    before = tables["facilities"]
    planned = before["status"] == "planned"
    # The CLUES units in construction or pending: 2 hospitals and 3 primary-care units.
    assert planned.sum() == 5 and (before.loc[planned, "kind"] == "hospital").sum() == 2
    after = apply_facilities(tables, FacilityChanges(open=["planned_2025"]))["facilities"]
    assert (after["status"] == "open").all()
    assert (after.loc[planned & (before["kind"] == "hospital"), "program"] == "True").all()
    assert (after.loc[planned & (before["kind"] == "umf"), "program"] == before.loc[planned & (before["kind"] == "umf"),
                                                                                     "program"]).all()
    assert _same(after[~planned], before[~planned])
    for name in ("specialists", "stock", "depots", "vehicles", "medicines"):
        assert apply_facilities(tables, FacilityChanges(open=["planned_2025"]))[name] is tables[name] or _same(
            apply_facilities(tables, FacilityChanges(open=["planned_2025"]))[name], tables[name])


@FAST
@given(data=st.data())
def test_closing_facilities_removes_them_their_stock_and_returns_their_staff_to_the_pool(tables, data) -> None:
    fac = tables["facilities"]
    open_hosp = sorted(fac.loc[(fac["status"] == "open") & (fac["kind"] == "hospital"), "clues"])
    close = data.draw(st.lists(st.sampled_from(open_hosp), min_size=1, max_size=3, unique=True))
    out = apply_facilities(tables, FacilityChanges(close=close))
    assert set(out["facilities"]["clues"]) == set(fac["clues"]) - set(close)
    assert not out["stock"]["location"].isin(close).any()
    assert _same(out["stock"], tables["stock"][~tables["stock"]["location"].isin(close)])
    sp, sp2 = tables["specialists"], out["specialists"]
    moved = sp["facility_clues"].isin(close)
    assert (sp2.loc[moved, "status"] == "recruit").all() and (sp2.loc[moved, "facility_clues"] == "").all()
    assert _same(sp2[~moved], sp[~moved])


def test_facility_errors_name_the_scenario_key(tables) -> None:
    with pytest.raises(OverrideError, match="facilities.open: 'XXIMB000001' is not a CLUES key"):
        apply_facilities(tables, FacilityChanges(open=["XXIMB000001"]))
    open_one = tables["facilities"].loc[tables["facilities"]["status"] == "open", "clues"].iloc[0]
    with pytest.raises(OverrideError, match="facilities.open: .* is already open"):
        apply_facilities(tables, FacilityChanges(open=[open_one]))
    with pytest.raises(OverrideError, match="facilities.close: 'NOPE' is not an open facility"):
        apply_facilities(tables, FacilityChanges(close=["NOPE"]))


def test_catchment_moves_demand_without_creating_or_losing_any(tables, demand) -> None:
    surgical, _ = demand
    fac = tables["facilities"].assign(lat=lambda f: f["lat"].astype(float), lon=lambda f: f["lon"].astype(float))
    opened = fac.loc[(fac["status"] == "planned") & (fac["kind"] == "hospital"), "clues"].tolist()
    after = fac.assign(status="open")
    moved = move_catchment(surgical, ["specialty"], list(SURGICAL_COLUMNS), Catchment(after, opened, 0.5, []))
    for col in SURGICAL_COLUMNS:
        assert moved[col].sum() == pytest.approx(surgical[col].sum(), rel=1e-12)
    got = moved.groupby("clues")["procedures_per_week"].sum()
    assert all(got.get(c, 0.0) > 0 for c in opened)  # every new hospital in a state with program hospitals


# --- depots ----------------------------------------------------------------------------------------------


@FAST
@given(data=st.data())
def test_depot_outage_closes_exactly_the_listed_depots(tables, data) -> None:
    ids = sorted(tables["depots"]["depot_id"])
    close = data.draw(st.lists(st.sampled_from(ids), max_size=4, unique=True))
    out = apply_depots(tables, DepotChanges(close=close))["depots"]
    hit = out["depot_id"].isin(close)
    assert (out.loc[hit, "status"] == "closed").all()
    assert _same(out[~hit], tables["depots"][~hit])
    assert _same(out.drop(columns=["status"]), tables["depots"].drop(columns=["status"]))


def test_unknown_depot_is_named(tables) -> None:
    with pytest.raises(OverrideError, match="depots.close: 'D999' is not a depot_id"):
        apply_depots(tables, DepotChanges(close=["D999"]))


# --- recruited pool --------------------------------------------------------------------------------------

SPECS = [s.value for s in Specialty]


@FAST
@given(size=st.integers(0, 900),
       mix=st.dictionaries(st.sampled_from(SPECS), st.floats(0.01, 1.0), min_size=1, max_size=5),
       origin=st.one_of(st.just({}), st.dictionaries(st.sampled_from(["09", "14", "26", "20", "07"]),
                                                      st.floats(0.01, 1.0), min_size=1, max_size=3)),
       seed=st.integers(0, 10))
def test_recruit_pool_has_the_size_mix_and_origins_asked_for(tables, size, mix, origin, seed) -> None:
    pool = RecruitPool(size=size, specialty_mix=mix, origin=origin)
    out = apply_recruits(tables, pool, seed)["specialists"]
    rec = out[out["status"] == "recruit"]
    assert len(rec) == size
    assert rec["specialty"].value_counts().to_dict() == largest_remainder(size, {str(k): v for k, v in
                                                                                 pool.specialty_mix.items()})
    if origin:
        assert rec["home_state"].value_counts().to_dict() == largest_remainder(size, pool.origin)
        assert rec["home_cvegeo"].str[:2].eq(rec["home_state"]).all()
    assert out["specialist_id"].is_unique and out["curp"].is_unique
    assert all(is_valid_curp(c) for c in rec["curp"])
    sp = tables["specialists"]
    post_before = sp[sp["status"] != "recruit"].set_index("specialist_id").sort_index()
    post_after = out[out["status"] != "recruit"].set_index("specialist_id").sort_index()
    assert post_after.equals(post_before)
    kept = rec[rec["specialist_id"].isin(sp["specialist_id"])].set_index("specialist_id").sort_index()
    assert kept.equals(sp.set_index("specialist_id").loc[kept.index].sort_index())  # kept people unchanged


@FAST
@given(factor=st.floats(0.0, 3.0))
def test_incentive_factor_scales_only_recruits_incentives(tables, factor) -> None:
    out = apply_recruits(tables, RecruitPool(incentive_factor=factor), 0)["specialists"]
    sp = tables["specialists"]
    rec = sp["status"] == "recruit"
    np.testing.assert_allclose(out.loc[rec.to_numpy(), "incentive_mxn"].astype(float),
                               (sp.loc[rec, "incentive_mxn"].astype(float) * factor).round(2), atol=0.005)
    assert _same(out[~rec.to_numpy()], sp[~rec])
    assert _same(out.drop(columns=["incentive_mxn"]), sp.drop(columns=["incentive_mxn"]))


@given(total=st.integers(0, 5000), shares=st.dictionaries(st.text("abcdef", min_size=1, max_size=3),
                                                          st.floats(0.001, 10.0), min_size=1, max_size=8))
def test_largest_remainder_adds_up_and_stays_within_one_of_the_quota(total, shares) -> None:
    got = largest_remainder(total, shares)
    assert sum(got.values()) == total
    w = sum(shares.values())
    for k, v in shares.items():
        assert abs(got.get(k, 0) - total * v / w) < 1.0 + 1e-9
