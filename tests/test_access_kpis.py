"""Access KPIs: census totals in every table, equity index and Gini by hand, map table, access gain."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimizer.access.gain import access_gain
from optimizer.access.kpis import (
    access_report,
    band_population,
    equity_index,
    municipality_access_table,
    points_access_table,
    weighted_gini,
)
from optimizer.access.scope import AccessScope, default_24_7, scope_from_dataset
from optimizer.access.validate import validate_report
from optimizer.data.dataset import load_dataset
from optimizer.data.generate import GeneratorConfig, generate

MEXICO_2020 = 126_014_024


@pytest.fixture(scope="module")
def scope(tmp_path_factory: pytest.TempPathFactory) -> AccessScope:
    root = tmp_path_factory.mktemp("access_ds")
    generate(root, GeneratorConfig(seed=7, n_records=2000))
    return scope_from_dataset(load_dataset(root))


def test_every_table_sums_to_the_census_total(scope: AccessScope) -> None:
    report = access_report(scope, default_24_7(scope.hospitals), (60, 120))
    assert report.total_population == MEXICO_2020
    assert report.population_points > 10_000 and report.resolution == "localities"
    assert report.by_state["points"].sum() == report.population_points
    assert validate_report(report).ok, validate_report(report).violations
    assert report.by_state["population"].sum() == MEXICO_2020
    assert report.by_degree["population"].sum() == MEXICO_2020
    assert len(report.by_state) == 32 and len(report.by_degree) == 5
    bands = report.reach_bands.drop(columns=["reach", "population"])
    assert (bands.sum(axis=1) == MEXICO_2020).all()
    assert {"24/7 surgery", "pharmacy"} <= set(report.reach_bands["reach"])
    assert report.to_dict()["total_population"] == MEXICO_2020
    # More 24/7 hospitals never cover fewer people.
    fewer = access_report(scope, sorted(default_24_7(scope.hospitals))[:50], (60, 120))
    assert fewer.headline["within_120"] <= report.headline["within_120"]


def test_state_scope_total(scope: AccessScope) -> None:
    in_oax = (scope.points["cve_ent"] == "20").to_numpy()
    oax = AccessScope(points=scope.points[in_oax].reset_index(drop=True),
                      municipalities=scope.municipalities[scope.municipalities["cve_ent"] == "20"].reset_index(
                          drop=True), hospitals=scope.hospitals, hospital_minutes=scope.hospital_minutes[in_oax],
                      pharmacy_minutes=scope.pharmacy_minutes[in_oax])
    report = access_report(oax, default_24_7(scope.hospitals))
    assert report.total_population == 4_132_148  # Oaxaca, Census 2020
    assert validate_report(report).ok


def test_no_24_7_hospital_puts_everyone_in_the_last_band(scope: AccessScope) -> None:
    report = access_report(scope, [], (60, 120))
    row = report.reach_bands.set_index("reach").loc["24/7 surgery"]
    assert row["no hospital"] == MEXICO_2020
    assert report.equity["gini_minutes"] is None
    assert validate_report(report).ok


def test_gini_by_hand() -> None:
    assert weighted_gini(np.array([0.0, 1.0]), np.array([1.0, 1.0])) == pytest.approx(0.5)
    assert weighted_gini(np.array([5.0, 5.0, 5.0]), np.array([1.0, 2.0, 3.0])) == pytest.approx(0.0)
    # Weights act as repeated people: (10 x1, 30 x3) == (10, 30, 30, 30).
    assert weighted_gini(np.array([10.0, 30.0]), np.array([1.0, 3.0])) == pytest.approx(
        weighted_gini(np.array([10.0, 30.0, 30.0, 30.0]), np.ones(4)))
    # Four people 10, 30, 30, 30: sum |xi-xj| over ordered pairs = 6 * 20 = 120; mean 25 -> 120/(2*16*25).
    assert weighted_gini(np.array([10.0, 30.0, 30.0, 30.0]), np.ones(4)) == pytest.approx(0.15)


def test_equity_index_by_hand() -> None:
    degrees = pd.Series(["Muy alto", "Muy alto", "Muy bajo", "Muy bajo", "Medio"])
    minutes = np.array([30.0, 150.0, 20.0, 50.0, 500.0])
    pop = np.array([100.0, 300.0, 400.0, 100.0, 50.0])
    eq = equity_index(degrees, minutes, pop, (60, 120))
    # Muy alto: 100 of 400 covered (25%); Muy bajo: all 500 covered (100%) -> ratio 0.25 at both limits.
    assert eq["share_ratio_60"] == pytest.approx(0.25)
    assert eq["share_ratio_120"] == pytest.approx(0.25)
    assert 0 < eq["gini_minutes"] < 1


def test_band_population_by_hand() -> None:
    minutes = np.array([10.0, 60.0, 61.0, 120.0, 200.0, np.inf])
    pop = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0])
    assert band_population(minutes, pop, (60, 120)) == [3, 12, 16, 32]


def test_map_table(scope: AccessScope) -> None:
    h24 = default_24_7(scope.hospitals)
    t = municipality_access_table(scope, h24)
    assert len(t) == 2469 and t["population"].sum() == MEXICO_2020
    assert list(t.columns[:7]) == ["cvegeo", "name", "cve_ent", "lat", "lon", "population", "degree"]
    assert t["points"].sum() == len(scope.points)
    # The municipal table aggregates the points: people within each threshold add up to the headline KPIs.
    report = access_report(scope, h24, (60, 120))
    assert t["within_60"].sum() == report.headline["within_60"]
    assert t["within_120"].sum() == report.headline["within_120"]
    # Its minutes are the population-weighted median over its points: at least half its people are within it.
    pts = points_access_table(scope, h24).merge(t[["cvegeo", "minutes_to_24_7"]], on="cvegeo", suffixes=("", "_m"))
    within = pts[pts["minutes_to_24_7"] <= pts["minutes_to_24_7_m"]].groupby("cvegeo")["population"].sum()
    assert (2 * within.reindex(t["cvegeo"]).fillna(0).to_numpy() >= t["population"].to_numpy()).all()
    # The municipal point a hospital stands in is close to it (its remainder and seat localities).
    seats = scope.hospitals.loc[scope.hospitals["clues"].isin(h24), "cvegeo"]
    own = pts[pts["cvegeo"].isin(seats) & (pts["kind"] == "remainder")]
    assert (own["minutes_to_24_7"] < 30).mean() > 0.9


def test_access_gain(scope: AccessScope) -> None:
    h24 = sorted(default_24_7(scope.hospitals))
    base, extra = h24[:-20], h24[-20:]
    gain = access_gain(scope, base, minutes_limit=120)
    per = gain.per_hospital()
    assert (per.loc[base] == 0).all()
    together = gain.gain_of_set(extra)
    assert together <= per.loc[extra].sum() + 1e-6  # overlaps are not double counted
    assert together == pytest.approx(
        access_report(scope, h24, (120,)).headline["within_120"]
        - access_report(scope, base, (120,)).headline["within_120"])
    # Moving a team: add one hospital and remove another; exact against the KPI recomputation.
    moved = gain.gain_of_set(add=[extra[0]], remove=[base[0]])
    after = access_report(scope, [*base[1:], extra[0]], (120,)).headline["within_120"]
    assert moved == pytest.approx(after - access_report(scope, base, (120,)).headline["within_120"])
    reach = gain.uncovered_reach()
    assert all(not gain.covered_now[gain.demand_ids.index(c)] for c in list(reach)[:20])
    # Points with the same reach are merged: fewer demand rows than points, people and weight kept.
    assert len(gain.demand_ids) < len(scope.points)
    assert gain.population.sum() == MEXICO_2020
    weighted = access_gain(scope, base, minutes_limit=120, weighted=True)
    assert weighted.weight.sum() > weighted.population.sum() == MEXICO_2020
