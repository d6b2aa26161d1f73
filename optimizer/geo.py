"""Great-circle distances, vectorised with numpy (kilometres)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> NDArray[np.float64]:
    """Great-circle distance in km between points; arrays broadcast (use [:, None] for a matrix)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def distance_matrix_km(lat_a: ArrayLike, lon_a: ArrayLike, lat_b: ArrayLike, lon_b: ArrayLike) -> NDArray[np.float64]:
    """Matrix of great-circle distances (km), rows = points A, columns = points B."""
    lat_a, lon_a = np.asarray(lat_a, dtype=float), np.asarray(lon_a, dtype=float)
    return haversine_km(lat_a[:, None], lon_a[:, None], np.asarray(lat_b, float)[None, :],
                        np.asarray(lon_b, float)[None, :])
