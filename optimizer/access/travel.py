"""Road travel-time matrices (minutes) estimated from coordinates, vectorised and cached.

The estimate is documented in :class:`~optimizer.access.settings.TravelSettings`. Rows are computed in blocks
of :data:`BLOCK_ROWS` with in-place numpy operations (haversine with each point's cosine computed once), so
the temporaries stay a few MB whatever the size: the 13,060 population points x 330 hospitals take about
0.1-0.2 s. Identical requests (same points, same settings) are served from an in-process cache, so a
dataset's matrix is built once per process however many KPIs and models read it.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from optimizer.access.settings import TravelSettings
from optimizer.geo import EARTH_RADIUS_KM

_CACHE_SIZE = 8
#: Origins per block of the matrix computation (bounds the temporaries to BLOCK_ROWS x destinations floats).
BLOCK_ROWS = 1024
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
    """Minutes to drive ``road_km`` (km) on the road-class profile: local, then state roads, then highway.

    The profile is piecewise linear in km, so one ``np.interp`` pass evaluates it (breakpoints at the end of
    the local and state-road parts, and beyond the longest distance asked for on the highway slope)."""
    road_km = np.asarray(road_km, dtype=float)
    a = settings.local_km
    b = a + settings.secondary_km
    far = max(float(road_km.max(initial=0.0)), b) + 1.0
    t_a = 60.0 * a / settings.local_kmh
    t_b = t_a + 60.0 * settings.secondary_km / settings.secondary_kmh
    t_far = t_b + 60.0 * (far - b) / settings.highway_kmh
    return np.interp(road_km, [0.0, a, b, far], [0.0, t_a, t_b, t_far])


def terrain_factor(cve_ent: NDArray[np.str_], settings: TravelSettings) -> NDArray[np.float64]:
    """Time multiplier of each point: ``mountain_factor`` in a mountain state, else 1."""
    return np.where(np.isin(cve_ent, list(settings.mountain_states)), settings.mountain_factor, 1.0)


def _minutes_block(o: _Prepared, d: _Prepared, rows: slice, settings: TravelSettings) -> NDArray[np.float64]:
    """Minutes from origins ``rows`` to every destination: haversine km -> road km -> road-class time ->
    terrain factor, computed in place on one block."""
    dphi = o.phi[rows, None] - d.phi[None, :]
    np.sin(dphi * 0.5, out=dphi)
    np.square(dphi, out=dphi)
    dlam = o.lam[rows, None] - d.lam[None, :]
    np.sin(dlam * 0.5, out=dlam)
    np.square(dlam, out=dlam)
    dlam *= o.cos[rows, None]
    dlam *= d.cos[None, :]
    dphi += dlam
    np.clip(dphi, 0.0, 1.0, out=dphi)
    np.sqrt(dphi, out=dphi)
    np.arcsin(dphi, out=dphi)
    dphi *= 2.0 * EARTH_RADIUS_KM * settings.detour_factor
    minutes = road_minutes(dphi, settings)
    minutes *= 0.5 * (o.terrain[rows, None] + d.terrain[None, :])
    return minutes


@dataclass(frozen=True)
class _Prepared:
    """Latitude and longitude in radians, cosine of latitude and terrain factor of each point."""

    phi: NDArray[np.float64]
    lam: NDArray[np.float64]
    cos: NDArray[np.float64]
    terrain: NDArray[np.float64]

    @classmethod
    def of(cls, p: Points, settings: TravelSettings) -> _Prepared:
        phi = np.radians(p.lat)
        return cls(phi, np.radians(p.lon), np.cos(phi), terrain_factor(p.cve_ent, settings))


def _blocks(n: int) -> list[slice]:
    return [slice(a, min(a + BLOCK_ROWS, n)) for a in range(0, n, BLOCK_ROWS)]


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
    o, d = _Prepared.of(origins, settings), _Prepared.of(destinations, settings)
    minutes = np.empty((len(origins), len(destinations)))
    for rows in _blocks(len(origins)):
        minutes[rows] = _minutes_block(o, d, rows, settings)
    minutes.setflags(write=False)
    _cache[key] = minutes
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return minutes


def nearest_travel_minutes(origins: Points, destinations: Points, settings: TravelSettings | None = None,
                           ) -> NDArray[np.float64]:
    """Estimated road minutes from each origin to its nearest destination (``inf`` when there is none), block by
    block without keeping the full matrix (e.g. 13,060 points x 10,000 clinics)."""
    settings = settings or TravelSettings()
    out = np.full(len(origins), np.inf)
    if len(destinations) == 0:
        return out
    o, d = _Prepared.of(origins, settings), _Prepared.of(destinations, settings)
    for rows in _blocks(len(origins)):
        out[rows] = _minutes_block(o, d, rows, settings).min(axis=1)
    return out
