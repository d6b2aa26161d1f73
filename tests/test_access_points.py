"""Population points: localities of 1,000+ plus municipal remainders sum exactly to the census, municipality by
municipality, with the municipality's CONAPO degree; the block-wise travel matrix equals the formula."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimizer.access.points import locality_points, population_points, remainders
from optimizer.access.scope import municipalities_in_scope
from optimizer.access.settings import TravelSettings
from optimizer.access.travel import BLOCK_ROWS, Points, nearest_travel_minutes, road_minutes, travel_minutes
from optimizer.data.reference import localities
from optimizer.geo import distance_matrix_km

MEXICO_2020 = 126_014_024


@pytest.fixture(scope="module")
def munis() -> pd.DataFrame:
    return municipalities_in_scope()


@pytest.fixture(scope="module")
def points(munis: pd.DataFrame) -> pd.DataFrame:
    return locality_points(munis)


def test_total_is_the_census_and_every_municipality_keeps_its_people(munis: pd.DataFrame,
                                                                     points: pd.DataFrame) -> None:
    assert int(points["population"].sum()) == MEXICO_2020
    assert len(points) > 10_000 and points["point_id"].is_unique
    per_muni = points.groupby("cvegeo")["population"].sum()
    assert (per_muni.reindex(munis["cvegeo"]).to_numpy() == munis["population"].to_numpy()).all()
    assert (points["population"] > 0).all()


def test_every_listed_locality_is_a_point_at_its_own_coordinates(points: pd.DataFrame) -> None:
    loc = localities()
    towns = points[points["kind"] == "locality"].set_index("point_id")
    assert len(towns) == len(loc) == 10_635
    assert int(towns["population"].sum()) == int(loc["population"].sum()) == 108_739_262
    src = loc.set_index("cvegeo").loc[towns.index]
    assert np.allclose(towns["lat"], src["lat"]) and np.allclose(towns["lon"], src["lon"])


def test_remainders_sit_at_the_municipal_point(munis: pd.DataFrame, points: pd.DataFrame) -> None:
    rest = points[points["kind"] == "remainder"].set_index("point_id")
    m = munis.set_index("cvegeo").loc[rest.index]
    assert np.allclose(rest["lat"], m["lat"]) and np.allclose(rest["lon"], m["lon"])
    assert int(rest["population"].sum()) == MEXICO_2020 - 108_739_262
    # A municipality with no listed locality keeps its whole population at its point.
    listed = set(localities()["cvegeo_mun"])
    unlisted = munis[~munis["cvegeo"].isin(listed)]
    assert len(unlisted) > 0
    assert (rest.loc[unlisted["cvegeo"], "population"].to_numpy() == unlisted["population"].to_numpy()).all()


def test_degree_is_the_municipality_s(munis: pd.DataFrame, points: pd.DataFrame) -> None:
    degree = munis.set_index("cvegeo")["degree"]
    assert (points["degree"].to_numpy() == points["cvegeo"].map(degree).to_numpy()).all()


def test_post_2020_municipalities_map_to_their_parent(points: pd.DataFrame) -> None:
    # Dzitbalché (04013, split from Calkiní 04001) and Eldorado (25019, split from Culiacán 25006).
    towns = points.set_index("point_id")
    assert towns.loc["040130001", "cvegeo"] == "04001"
    assert towns.loc["250190001", "cvegeo"] == "25006"
    assert not points["cvegeo"].isin(["04013", "25019", "02007", "24059"]).any()


def test_state_scope_and_municipal_resolution(munis: pd.DataFrame) -> None:
    oax = municipalities_in_scope(["20"])
    assert int(population_points(oax)["population"].sum()) == 4_132_148
    one_each = population_points(munis, "municipalities")
    assert len(one_each) == 2469 and int(one_each["population"].sum()) == MEXICO_2020
    with pytest.raises(ValueError, match="resolution"):
        population_points(munis, "cells")  # type: ignore[arg-type]


def test_more_people_listed_than_counted_is_an_error_naming_the_municipality(munis: pd.DataFrame) -> None:
    loc = localities().copy()
    loc.loc[loc["cvegeo"] == "010010001", "population"] = 10_000_000
    with pytest.raises(ValueError, match="01001"):
        remainders(munis, loc)


def test_block_matrix_equals_the_formula(points: pd.DataFrame, munis: pd.DataFrame) -> None:
    s = TravelSettings()
    sample = points.iloc[: 2 * BLOCK_ROWS + 17]
    dest = munis.iloc[::25]
    o = Points.of(sample["lat"], sample["lon"], sample["cve_ent"])
    d = Points.of(dest["lat"], dest["lon"], dest["cve_ent"])
    km = distance_matrix_km(o.lat, o.lon, d.lat, d.lon)
    mountain = lambda e: np.where(np.isin(e, s.mountain_states), s.mountain_factor, 1.0)  # noqa: E731
    expected = road_minutes(s.detour_factor * km, s) * 0.5 * (mountain(o.cve_ent)[:, None]
                                                             + mountain(d.cve_ent)[None, :])
    got = travel_minutes(o, d, s)
    assert np.allclose(got, expected, rtol=1e-12, atol=1e-9)
    assert np.allclose(nearest_travel_minutes(o, d, s), expected.min(axis=1))
    assert np.isinf(nearest_travel_minutes(o, Points.of([], [], []), s)).all()
