"""Road travel-time matrices (minutes) estimated from coordinates, vectorised and cached.

The estimate is documented in :class:`~optimizer.access.settings.TravelSettings`. The full
2,469 municipalities x all hospitals matrix takes a few tens of milliseconds; identical requests (same
points, same settings) are served from an in-process cache, so a dataset's matrix is built once per
process however many KPIs and models read it.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from optimizer.access.settings import TravelSettings
from optimizer.geo import distance_matrix_km

_CACHE_SIZE = 8
_cache: OrderedDict[str, NDArray[np.float64]] = OrderedDict()


@dataclass(frozen=True)
class Points:
    """Points on the map: latitude and longitude in degrees (WGS84) and the state (CVE_ENT) of each."""

    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    cve_ent: NDArray[np.str_]

    @classmethod
    def of(cls, lat: ArrayLike, lon: ArrayLike, cve_ent: ArrayLike) -> Points:
        """Build from any array-likes of equal length (pandas columns, lists)."""
        p = cls(np.asarray(lat, dtype=float), np.asarray(lon, dtype=float), np.asarray(cve_ent, dtype=str))
        if not (len(p.lat) == len(p.lon) == len(p.cve_ent)):
            raise ValueError("lat, lon and cve_ent must have the same length")
        if not (np.isfinite(p.lat).all() and np.isfinite(p.lon).all()):
            raise ValueError("every point needs a finite latitude and longitude")
        return p

    def __len__(self) -> int:
        return len(self.lat)

    def fingerprint(self) -> bytes:
        """Bytes that identify the points (for the cache key)."""
        return self.lat.tobytes() + self.lon.tobytes() + "|".join(self.cve_ent.tolist()).encode()


def road_minutes(road_km: NDArray[np.float64], settings: TravelSettings) -> NDArray[np.float64]:
    """Minutes to drive ``road_km`` (km) on the road-class profile: local, then state roads, then highway."""
    local = np.minimum(road_km, settings.local_km)
    secondary = np.clip(road_km - settings.local_km, 0.0, settings.secondary_km)
    highway = np.maximum(road_km - settings.local_km - settings.secondary_km, 0.0)
    return 60.0 * (local / settings.local_kmh + secondary / settings.secondary_kmh + highway / settings.highway_kmh)


def terrain_factor(cve_ent: NDArray[np.str_], settings: TravelSettings) -> NDArray[np.float64]:
    """Time multiplier of each point: ``mountain_factor`` in a mountain state, else 1."""
    return np.where(np.isin(cve_ent, list(settings.mountain_states)), settings.mountain_factor, 1.0)


def travel_minutes(origins: Points, destinations: Points, settings: TravelSettings | None = None,
                   ) -> NDArray[np.float64]:
    """Estimated road minutes, rows = origins, columns = destinations (cached; do not modify the result)."""
    settings = settings or TravelSettings()
    key = hashlib.sha1(
        origins.fingerprint() + b"#" + destinations.fingerprint() + b"#" + settings.model_dump_json().encode()
    ).hexdigest()
    hit = _cache.get(key)
    if hit is not None:
        _cache.move_to_end(key)
        return hit
    km = distance_matrix_km(origins.lat, origins.lon, destinations.lat, destinations.lon)
    minutes = road_minutes(settings.detour_factor * km, settings)
    terrain = 0.5 * (terrain_factor(origins.cve_ent, settings)[:, None]
                     + terrain_factor(destinations.cve_ent, settings)[None, :])
    minutes *= terrain
    minutes.setflags(write=False)
    _cache[key] = minutes
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return minutes
