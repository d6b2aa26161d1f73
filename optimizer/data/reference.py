"""Read the public reference tables shipped in ``data/reference/`` (see its SOURCES.md)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from optimizer.paths import REFERENCE_DIR

_CODES = {"cve_ent": str, "cve_mun": str, "cvegeo": str, "code": str}


def _read(name: str, reference_dir: Path | None = None) -> pd.DataFrame:
    return pd.read_csv((reference_dir or REFERENCE_DIR) / name, dtype=_CODES, keep_default_na=False,
                       na_values=[""])


@lru_cache(maxsize=4)
def states() -> pd.DataFrame:
    """32 states: cve_ent, name, abbreviation, capital (+lat/lon), population_2020, CONAPO degree, ..."""
    df = _read("states.csv")
    df["imss_bienestar"] = df["imss_bienestar"].astype(str).str.lower().eq("true")
    return df


@lru_cache(maxsize=4)
def municipalities() -> pd.DataFrame:
    """2,469 municipalities: cvegeo, cve_ent, name, population_2020, lat, lon, CONAPO 2020 degree."""
    return _read("municipalities.csv")


@lru_cache(maxsize=4)
def procedures() -> pd.DataFrame:
    """CIE-9-MC surgical procedures: code, description, specialty, or_hours (operating-room hours each)."""
    return _read("procedures.csv")


@lru_cache(maxsize=4)
def diagnoses() -> pd.DataFrame:
    """ICD-10 diagnoses used by the generator: code, category, surgical_procedures (``|``-separated)."""
    df = _read("diagnoses.csv")
    df["surgical_procedures"] = df["surgical_procedures"].fillna("")
    return df


@lru_cache(maxsize=4)
def medicines_base() -> pd.DataFrame:
    """Generic medicines with presentations, cold chain, criticality and the diagnoses they treat."""
    return _read("medicines_base.csv")


def states_geojson_path() -> Path:
    """Simplified state outlines (WGS84 GeoJSON) for maps."""
    return REFERENCE_DIR / "states.geojson"


@lru_cache(maxsize=2)
def clues_catalogue() -> pd.DataFrame:
    """The 10,573 IMSS-BIENESTAR units of the CLUES catalogue (DGIS): key, name, state, municipality (as
    published and in the 2020 frame), status, level, typology, bed band, stratum, region, lat/lon."""
    return pd.read_csv(REFERENCE_DIR / "clues_imssb.csv", dtype=str, keep_default_na=False).astype(
        {"lat": float, "lon": float})


@lru_cache(maxsize=2)
def localities() -> pd.DataFrame:
    """The 10,635 INEGI localities of 1,000+ inhabitants (Census 2020): 9-digit ``cvegeo``, the 2020-frame
    municipality ``cvegeo_mun``, ``cve_ent``, name, ``ambito`` (U urban / R rural), lat/lon (WGS84), population."""
    return pd.read_csv(REFERENCE_DIR / "localities.csv", dtype={"cvegeo": str, "cvegeo_mun": str, "cve_ent": str,
                                                                 "name": str, "ambito": str},
                       keep_default_na=False)
