"""Build ``data/reference/clues_imssb.csv`` from the IMSS-BIENESTAR CLUES catalogue in ``../shared``.

Run by a maintainer (``python tools/build_clues.py``); the product reads only ``data/reference/``. The source
(``../shared/data/mexico/clues_imssb.csv``, DGIS / Secretaría de Salud CLUES open data, IMSS-BIENESTAR subset)
is kept as published except that columns are renamed to English, trimmed to what the product uses, codes get
their leading zeros, and one column of our own is added:

* ``cvegeo_2020``: the municipality of the 2020 census frame (``municipalities.csv``) the unit belongs to. It
  equals ``cvegeo`` except for units of the 9 municipalities created after 2020, which get the municipality
  they were split from (:data:`PARENT_2020`, from the state congresses' creation decrees). ``../shared`` names
  the 9 (its README and ``localities_1000.csv``, under their current keys) but not their parents, so the
  table cannot be derived from it; :func:`check_parents` checks it against it instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling tools, also when loaded by file path

from refbuild import SHARED, build_table, municipalities_2020  # noqa: E402

#: Source column -> reference column, in output order.
COLUMNS: dict[str, str] = {
    "clues_imb": "clues",
    "clues_ssa_y_sme": "clues_ssa",
    "nombre_de_la_unidad": "name",
    "cve_ent": "cve_ent",
    "cvegeo": "cvegeo",
    "cvegeo_2020": "cvegeo_2020",
    "municipio": "municipality",
    "estatus_de_operacion": "status",
    "nivel_atencion": "level",
    "clave_de_tipologia": "typology_code",
    "nombre_de_tipologia": "typology",
    "nombre_de_subtipologia": "subtypology",
    "categoria_gerencial": "category",
    "categoria_gerencial_uas": "bed_band",
    "tipo_hbc": "hbc_productivity",
    "estrato_unidad": "stratum",
    "cve_ro": "region_code",
    "nombre_region": "region",
    "latitud": "lat",
    "longitud": "lon",
    "fecha_de_inicio_de_operacion": "start_date",
}


#: Municipalities created after the 2020 census frame -> the 2020 municipality they were split from.
PARENT_2020: dict[str, str] = {
    "02007": "02002",  # San Felipe <- Mexicali
    "04013": "04001",  # Dzitbalché <- Calkiní
    "12082": "12053",  # Las Vigas <- San Marcos
    "12083": "12012",  # Ñuu Savi <- Ayutla de los Libres
    "12084": "12052",  # Santa Cruz del Rincón <- San Luis Acatlán
    "12085": "12023",  # San Nicolás <- Cuajinicuilapa
    "24059": "24028",  # Villa de Pozos <- San Luis Potosí
    "25019": "25006",  # Eldorado <- Culiacán
    "25020": "25011",  # Juan José Ríos <- Guasave
}


#: Most 2020 municipalities of the state whose seat is nearer the new municipality's people than its parent's
#: and that could hold them (see :func:`check_parents`): 1 is what the decrees' parents need (5 of the 9 have
#: one such nearer seat, e.g. Juan José Ríos's parent Guasave after Ahome, San Felipe's Mexicali after
#: Ensenada).
NEARER_SEATS_MAX = 1


def check_parents(localities: pd.DataFrame, municipalities: pd.DataFrame) -> list[str]:
    """What ``../shared`` says against :data:`PARENT_2020` (empty when nothing): the new municipalities are
    exactly the keys of ``localities_1000.csv`` missing from the 2020 frame; each parent is in the 2020 frame
    and in the same state; its census 2020 population can hold the people of its own listed localities and
    the new municipality's (they were counted in it in 2020); and at most :data:`NEARER_SEATS_MAX` such
    municipalities of the state have a seat nearer the new municipality's people (population-weighted centre
    of its localities). Seat distance alone does not find the parent (a seat is not a territory): it names the
    decrees' parent for 4 of the 9, so this is a check (it rejects e.g. Juan José Ríos -> Sinaloa (the municipality),
    San Felipe -> San Quintín), not a derivation."""
    problems = []
    mun_of = localities["cvegeo"].str[:5]
    new = sorted(set(mun_of) - set(municipalities["cvegeo"]))
    if new != sorted(PARENT_2020):
        problems.append(f"post-2020 keys in localities_1000.csv {new} differ from PARENT_2020 {sorted(PARENT_2020)}")
    listed = localities.groupby(mun_of)["poblacion_total"].sum()
    for child, parent in sorted(PARENT_2020.items()):
        people = localities[mun_of == child]
        if people.empty or parent[:2] != child[:2] or parent not in set(municipalities["cvegeo"]):
            problems.append(f"{child} -> {parent}: not a new municipality with localities, or parent not in its state")
            continue
        w = people["poblacion_total"].to_numpy(dtype=float)
        lat, lon = np.average(people["latitud"], weights=w), np.average(people["longitud"], weights=w)
        state = municipalities[municipalities["cve_ent"] == child[:2]].set_index("cvegeo")
        room = state["population_2020"] - listed.reindex(state.index).fillna(0.0)
        km = np.hypot(state["lat"] - lat, (state["lon"] - lon) * np.cos(np.radians(lat))) * 111.2
        if room[parent] < w.sum():
            problems.append(f"{child} -> {parent}: the parent's 2020 population cannot hold {w.sum():,.0f} more people")
        nearer = int(((room >= w.sum()) & (km < km[parent])).sum())
        if nearer > NEARER_SEATS_MAX:
            problems.append(f"{child} -> {parent}: {nearer} possible parents have a nearer seat")
    return problems


def parent_2020(cvegeo: pd.Series, municipalities: pd.DataFrame) -> pd.Series:
    """``cvegeo`` in the 2020 frame; raises when a key is neither in the frame nor in :data:`PARENT_2020`."""
    out = cvegeo.replace(PARENT_2020)
    unknown = sorted(set(out) - set(municipalities["cvegeo"]))
    if unknown:
        raise ValueError(f"municipality keys in neither the 2020 frame nor PARENT_2020: {unknown}")
    return out


def build(shared: Path = SHARED) -> pd.DataFrame:
    """The trimmed catalogue (one row per unit, every source row kept)."""
    src = pd.read_csv(shared / "clues_imssb.csv", dtype=str, keep_default_na=False)
    mun = municipalities_2020(shared)
    problems = check_parents(pd.read_csv(shared / "localities_1000.csv", dtype={"cvegeo": str}), mun)
    if problems:
        raise ValueError("PARENT_2020 disagrees with ../shared: " + "; ".join(problems))
    src["cve_ent"] = src["clave_de_la_entidad"].str.zfill(2)
    src["cvegeo"] = src["cve_ent"] + src["clave_del_municipio"].str.zfill(3)
    src["cvegeo_2020"] = parent_2020(src["cvegeo"], mun)
    src["cve_ro"] = src["cve_ro"].str.replace(r"\.0$", "", regex=True)
    out = src[list(COLUMNS)].rename(columns=COLUMNS)
    return out.sort_values("clues").reset_index(drop=True)


def summary(out: pd.DataFrame) -> str:
    """Units written and the post-2020 municipalities mapped to their 2020 parent."""
    moved = out[out["cvegeo"] != out["cvegeo_2020"]].drop_duplicates("cvegeo")[["cvegeo", "cvegeo_2020"]]
    return (f"{len(out):,} CLUES units; post-2020 municipalities mapped: "
            + ", ".join(f"{a}->{b}" for a, b in moved.itertuples(index=False)))


def main() -> None:
    build_table(__doc__, "clues_imssb.csv", "clues_imssb.csv", build, summary)


if __name__ == "__main__":
    main()
