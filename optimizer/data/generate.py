"""Deterministic dataset of the IMSS-Bienestar network: the real facilities, synthetic people and records.

Facts taken from the sources (see ``../shared/DESIGN.md`` and ``data/reference/SOURCES.md``):
- the hospitals and primary-care units are the real IMSS-BIENESTAR units of the DGIS CLUES catalogue
  (``data/reference/clues_imssb.csv``): keys, names, coordinates, typology, level of care and operating status
  (EN OPERACION -> open, in construction or pending -> planned, out of operation left out);
- 282 "Médicos del Bienestar" hospitals in remote or vulnerable areas, chosen among the real operating hospitals
  by :func:`program_rule` (the programme's own list is not public);
- 3,244 recruited specialists, 54% women, with the published top origins (Ciudad de México 386, Jalisco 373,
  Sonora 210, Chihuahua 196, Estado de México 192) and the rest spread by state population.
Everything the catalogue lacks (beds, operating rooms and emergency bays from the bed band and typology, staff in
post, willingness, incentives, medicine catalogue keys, stock, records; pharmacies and distribution centres) is
synthetic, drawn from documented rules and distributions, and reproducible from the seed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from optimizer.data import reference
from optimizer.data.curp import random_curps
from optimizer.domain import RENAPO_CODES, Specialty
from optimizer.geo import distance_matrix_km

#: Published origins of the 2025 recruits (state code -> people).
TOP_ORIGINS: dict[str, int] = {"09": 386, "14": 373, "26": 210, "08": 196, "15": 192}

#: Specialty mix of the recruited pool (share of people), documented assumption.
RECRUIT_MIX: dict[Specialty, float] = {
    Specialty.GENERAL_SURGERY: 0.15,
    Specialty.GYN_OBSTETRICS: 0.15,
    Specialty.ORTHOPAEDICS: 0.08,
    Specialty.PAEDIATRIC_SURGERY: 0.04,
    Specialty.ANAESTHESIOLOGY: 0.20,
    Specialty.SURGICAL_NURSING: 0.18,
    Specialty.INTERNAL_MEDICINE: 0.08,
    Specialty.PAEDIATRICS: 0.07,
    Specialty.EMERGENCY_MEDICINE: 0.05,
}

#: Monthly incentive a recruit asks for (MXN), median by specialty; individual values vary +-35%.
INCENTIVE_MEDIAN_MXN: dict[Specialty, float] = {
    Specialty.GENERAL_SURGERY: 28_000, Specialty.GYN_OBSTETRICS: 28_000, Specialty.ORTHOPAEDICS: 30_000,
    Specialty.PAEDIATRIC_SURGERY: 32_000, Specialty.ANAESTHESIOLOGY: 30_000, Specialty.SURGICAL_NURSING: 9_000,
    Specialty.INTERNAL_MEDICINE: 22_000, Specialty.PAEDIATRICS: 22_000, Specialty.EMERGENCY_MEDICINE: 22_000,
}

_GROUP_CODE = {"analgesia": "010", "anaesthesia": "020", "obstetrics": "030", "antibiotics": "040",
               "antivirals": "041", "chronic": "050", "respiratory": "060", "vaccines": "070",
               "antivenoms": "075", "electrolytes": "080", "gastro": "090", "haematology": "100",
               "prenatal": "110", "mental": "120", "emergency": "130"}

#: Regional distribution centres: state code of the capital that hosts one.
DEPOT_STATES: tuple[str, ...] = ("07", "20", "12", "30", "21", "16", "26", "31", "09", "28", "25", "13", "02",
                                 "03", "18", "32")


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate. Counts are people/facilities; ``n_records`` is encounter rows (a sample)."""

    seed: int = 42
    program_hospitals: int = 282
    """Médicos del Bienestar hospitals, chosen among the real operating hospitals by :func:`program_rule`."""
    other_hospitals_per_state: int | None = None
    """None: every other operating real hospital; k: only the k largest per state (small test networks)."""
    umfs: int | None = 650
    """Real primary-care units carrying records, stock and deliveries (:func:`primary_care_rule`); None = all."""
    pharmacies: int = 320
    recruits: int = 3244
    women_share: float = 0.54
    n_records: int = 200_000
    records_start: date = date(2024, 1, 1)
    records_end: date = date(2024, 12, 29)  # 52 whole weeks, Monday to Sunday
    records_chunk: int = 1_000_000
    partition_records: bool = False
    """Write records as ``month=YYYY-MM/cve_ent=XX/`` partitions (national scale, incremental updates)."""
    surgical_procedures_per_week: float = 26_000.0
    """Real surgical volume the records stand for across the network (sets ``expansion_factor``)."""
    top_origins: dict[str, int] = field(default_factory=lambda: dict(TOP_ORIGINS))


@dataclass
class GeneratedSummary:
    """Counts written, for the CLI summary and tests."""

    out_dir: Path
    counts: dict[str, int]
    women_share_recruits: float
    expansion_factor: float


def generate(out_dir: Path, config: GeneratorConfig | None = None) -> GeneratedSummary:
    """Write the whole dataset (CSVs + ``records/`` Parquet) to ``out_dir``; deterministic by seed."""
    cfg = config or GeneratorConfig()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    seeds = np.random.SeedSequence(cfg.seed).spawn(6)
    states = _states()
    facilities = _facilities(np.random.default_rng(seeds[0]), cfg)
    specialists = _specialists(np.random.default_rng(seeds[1]), cfg, facilities)
    medicines = _medicines(np.random.default_rng(seeds[2]))
    depots, vehicles = _depots_and_vehicles(np.random.default_rng(seeds[3]))
    states.to_csv(out_dir / "states.csv", index=False)
    facilities.to_csv(out_dir / "facilities.csv", index=False)
    specialists.to_csv(out_dir / "specialists.csv", index=False)
    medicines.to_csv(out_dir / "medicines.csv", index=False)
    vehicles.to_csv(out_dir / "vehicles.csv", index=False)
    meta = write_records(out_dir / "records", cfg, facilities, medicines, seed=int(seeds[4].generate_state(1)[0]))
    stock = _stock(np.random.default_rng(seeds[5]), cfg, facilities, medicines, depots, meta["sku_units"])
    stock.to_csv(out_dir / "stock.csv", index=False)
    depots = _size_storage(cfg, depots, facilities, medicines, stock, meta["sku_units"])
    depots.to_csv(out_dir / "depots.csv", index=False)
    rec = specialists[specialists["status"] == "recruit"]
    counts = {
        "states": len(states),
        "hospitals_program": int((facilities["program"]).sum()),
        "hospitals_total": int((facilities["kind"] == "hospital").sum()),
        "umfs": int((facilities["kind"] == "umf").sum()),
        "planned": int((facilities["status"] == "planned").sum()),
        "pharmacies": int((facilities["kind"] == "pharmacy").sum()),
        "recruits": len(rec),
        "staff_in_post": int((specialists["status"] == "in_post").sum()),
        "medicines": len(medicines),
        "depots": len(depots),
        "vehicles": len(vehicles),
        "stock_rows": len(stock),
        "records": meta["n_records"],
        "prescriptions": meta["n_prescriptions"],
    }
    return GeneratedSummary(out_dir, counts, float((rec["sex"] == "F").mean()), meta["expansion_factor"])


# --- states ------------------------------------------------------------------------------------------------


def _states() -> pd.DataFrame:
    s = reference.states()
    return pd.DataFrame({
        "cve_ent": s["cve_ent"], "name": s["name"], "abbreviation": s["abbreviation"], "capital": s["capital"],
        "capital_lat": s["capital_lat"], "capital_lon": s["capital_lon"],
        "population_2020": s["population_2020"], "marginalisation_degree": s["marginalisation_degree_2020"],
        "imss_bienestar": s["imss_bienestar"],
    })


# --- facilities --------------------------------------------------------------------------------------------
#
# Hospitals and primary-care units are the real IMSS-BIENESTAR units of the CLUES catalogue
# (data/reference/clues_imssb.csv, DGIS): keys, names, coordinates, typology, level of care and status. What the
# catalogue lacks (beds, operating rooms, emergency bays) is sized from its bed band and typology by the rules
# below; pharmacies and distribution centres are not in the catalogue and stay synthetic.

#: CLUES operating status -> facility status; units out of operation are left out of a generated dataset
#: (``bienestar data import-clues`` marks a unit that goes out of operation ``closed``, never deletes it).
STATUS_BY_CLUES: dict[str, str] = {
    "EN OPERACION": "open", "EN PROCESO DE CONSTRUCCION": "planned", "PENDIENTE DE ENTRAR EN OPERACION": "planned",
    "FUERA DE OPERACION": "closed",
}

#: Typologies of fixed primary-care units; mobile units, delegational offices, warehouses, laboratories and
#: administrative offices are not facilities the models plan for.
NOT_PRIMARY_CARE: frozenset[str] = frozenset({
    "UNIDAD MÓVIL", "CONSULTORIO DELEGACIONAL", "OFICINAS ADMINISTRATIVAS", "ALMACENES", "LABORATORIOS",
    "OTROS ESTABLECIMIENTOS DE APOYO", "NO ESPECIFICADO",
})

#: Typologies the Médicos del Bienestar programme staffs: general and community hospitals with operating rooms.
PROGRAM_TYPOLOGIES: tuple[str, ...] = ("HOSPITAL GENERAL", "HOSPITAL INTEGRAL (COMUNITARIO)")

#: Programme rule, points per CONAPO 2020 degree of the hospital's municipality (more marginalised, more points).
PROGRAM_DEGREE_POINTS: dict[str, int] = {"Muy alto": 4, "Alto": 3, "Medio": 2, "Bajo": 1, "Muy bajo": 0}

#: Census beds (min, max), drawn uniformly, by the catalogue's bed band (``Grupo 7.x`` general, ``8.x``
#: specialised; ``Grupo 6`` community hospital; ``C`` = camas).
BEDS_BY_BAND: dict[str, tuple[int, int]] = {
    "Grupo 6": (12, 30), "Grupo 7 (-30 C)": (12, 30), "Grupo 8 (-30 C)": (12, 30),
    "Grupo 7.1 (31-59 C)": (31, 59), "Grupo 8.1 (31-59 C)": (31, 59),
    "Grupo 7.2 (60-99 C)": (60, 99), "Grupo 8.2 (60-99 C)": (60, 99),
    "Grupo 7.3 (100-149 C)": (100, 149), "Grupo 8.3 (100-149 C)": (100, 149),
    "Grupo 7.4 (+150 C)": (150, 250), "Grupo 8.4 (+150 C)": (150, 250), "HRAES": (90, 250),
}

#: Census beds (min, max) by typology where the catalogue gives no bed band.
BEDS_BY_TYPOLOGY: dict[str, tuple[int, int]] = {
    "CENTRO DE SALUD CON HOSPITALIZACIÓN": (4, 12), "HOSPITAL INTEGRAL (COMUNITARIO)": (12, 30),
    "HOSPITAL GENERAL": (31, 59), "HOSPITAL ESPECIALIZADO": (31, 99), "HOSPITAL PSIQUIÁTRICO": (31, 99),
}

#: Operating rooms by typology, as (beds per room, minimum, maximum): rooms = clip(round(beds / per), min, max).
#: Psychiatric hospitals and health centres with beds have no operating room.
ROOMS_BY_TYPOLOGY: dict[str, tuple[float, int, int]] = {
    "HOSPITAL INTEGRAL (COMUNITARIO)": (15.0, 1, 2), "HOSPITAL GENERAL": (25.0, 2, 10),
    "HOSPITAL ESPECIALIZADO": (30.0, 1, 8), "HOSPITAL PSIQUIÁTRICO": (1.0, 0, 0),
    "CENTRO DE SALUD CON HOSPITALIZACIÓN": (1.0, 0, 0),
}

#: Emergency bays: one per this many beds, at least 2 (psychiatric hospitals and health centres: at least 1).
BEDS_PER_EMERGENCY_BAY = 8


@dataclass(frozen=True)
class _Catalogue:
    """The CLUES units the generator draws on, with their municipality facts (2020 frame)."""

    hospitals: pd.DataFrame
    primary: pd.DataFrame


def _catalogue() -> _Catalogue:
    """Hospitals (a typology containing HOSPITAL) and fixed primary-care units, operating or planned."""
    cat = reference.clues_catalogue()
    cat = cat[cat["status"].map(STATUS_BY_CLUES).isin(["open", "planned"])].copy()
    cat["fstatus"] = cat["status"].map(STATUS_BY_CLUES)
    mun = reference.municipalities().set_index("cvegeo")
    cat["degree"] = cat["cvegeo_2020"].map(mun["marginalisation_degree_2020"])
    cat["conapo_index"] = cat["cvegeo_2020"].map(mun["marginalisation_index_2020"]).astype(float)
    cat["mun_population"] = cat["cvegeo_2020"].map(mun["population_2020"]).astype(float)
    is_hosp = cat["typology"].str.contains("HOSPITAL")
    primary = is_hosp.eq(False) & cat["level"].eq("PRIMER NIVEL") & ~cat["typology"].isin(NOT_PRIMARY_CARE)
    return _Catalogue(cat[is_hosp].reset_index(drop=True), cat[primary].reset_index(drop=True))


def program_rule(hospitals: pd.DataFrame, n: int) -> pd.Series:
    """The ``n`` Médicos del Bienestar hospitals among operating real hospitals (CLUES keys, best first).

    The programme sends surgical teams to hospitals in remote or vulnerable areas. The stand-in rule: among
    operating general and community hospitals (:data:`PROGRAM_TYPOLOGIES`) of the IMSS-Bienestar states, score
    = CONAPO 2020 degree points of the municipality (:data:`PROGRAM_DEGREE_POINTS`, Muy alto 4 .. Muy bajo 0)
    + 1 for a rural unit (CLUES stratum) + 1 for a community hospital; take the ``n`` highest, ties broken by the
    CONAPO index (lower = more marginalised) and then the CLUES key.
    """
    network = set(reference.states().query("imss_bienestar")["cve_ent"])
    cand = hospitals[hospitals["typology"].isin(PROGRAM_TYPOLOGIES) & hospitals["fstatus"].eq("open")
                     & hospitals["cve_ent"].isin(network)]
    score = (cand["degree"].map(PROGRAM_DEGREE_POINTS).fillna(0) + cand["stratum"].eq("RURAL")
             + cand["typology"].eq("HOSPITAL INTEGRAL (COMUNITARIO)"))
    ranked = cand.assign(score=score).sort_values(["score", "conapo_index", "clues"],
                                                  ascending=[False, True, True])
    return ranked["clues"].head(n).reset_index(drop=True)


def _beds(rng: np.random.Generator, units: pd.DataFrame) -> np.ndarray:
    """Census beds drawn within the bed band (:data:`BEDS_BY_BAND`), else by typology (:data:`BEDS_BY_TYPOLOGY`)."""
    ranges = [BEDS_BY_BAND.get(b) or BEDS_BY_TYPOLOGY.get(t, (12, 30))
              for b, t in zip(units["bed_band"], units["typology"], strict=True)]
    lo = np.array([r[0] for r in ranges])
    hi = np.array([r[1] for r in ranges])
    return rng.integers(lo, hi + 1)


def _rooms_and_bays(units: pd.DataFrame, beds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Operating rooms (:data:`ROOMS_BY_TYPOLOGY`) and emergency bays (:data:`BEDS_PER_EMERGENCY_BAY`)."""
    rule = [ROOMS_BY_TYPOLOGY.get(t, (25.0, 1, 6)) for t in units["typology"]]
    per = np.array([r[0] for r in rule])
    rooms = np.clip(np.round(beds / per), [r[1] for r in rule], [r[2] for r in rule]).astype(int)
    floor = np.where(rooms > 0, 2, 1)
    return rooms, np.maximum(floor, beds // BEDS_PER_EMERGENCY_BAY)


def _start_year(rng: np.random.Generator, units: pd.DataFrame, low: int, high: int) -> np.ndarray:
    """Year of the catalogue's start of operation; drawn in [low, high) where the catalogue has none."""
    year = pd.to_numeric(units["start_date"].str[-4:], errors="coerce").to_numpy()
    drawn = rng.integers(low, high, len(units))
    planned = units["fstatus"].eq("planned").to_numpy()
    known = np.where(np.isnan(year), drawn, year)
    return np.where(planned, np.nan_to_num(year, nan=2026).clip(2026), known).astype(int)


def _real_units(rng: np.random.Generator, units: pd.DataFrame, kind: str, window: tuple[int, int]) -> pd.DataFrame:
    """Facility rows for real CLUES units (keys, names, coordinates, typology, level and status as published)."""
    states = reference.states().set_index("cve_ent")
    cap = states.loc[units["cve_ent"]]
    km = np.hypot((units["lat"].to_numpy() - cap["capital_lat"].to_numpy()) * 111.0,
                  (units["lon"].to_numpy() - cap["capital_lon"].to_numpy()) * 111.0
                  * np.cos(np.radians(units["lat"].to_numpy())))
    return pd.DataFrame({
        "clues": units["clues"].to_numpy(), "name": units["name"].to_numpy(), "kind": kind,
        "cve_ent": units["cve_ent"].to_numpy(), "cvegeo": units["cvegeo_2020"].to_numpy(),
        "lat": units["lat"].to_numpy(), "lon": units["lon"].to_numpy(),
        "beds": 0, "operating_rooms": 0, "emergency_bays": 0,
        "marginalisation_degree": units["degree"].to_numpy(),
        "remote": (units["degree"].eq("Muy alto").to_numpy() | (km > 150)), "program": False,
        "status": units["fstatus"].to_numpy(), "opening_year": _start_year(rng, units, 1975, 2024),
        "open_minute": window[0], "close_minute": window[1],
        "typology": units["typology"].to_numpy(), "level": units["level"].to_numpy(),
    })


def _hospitals(rng: np.random.Generator, cfg: GeneratorConfig, cat: _Catalogue) -> pd.DataFrame:
    """Every operating and planned real hospital (or, with ``other_hospitals_per_state``, the program ones and
    the largest others of each state), sized by the bed-band rules, with the program flag."""
    hosp = cat.hospitals
    program = set(program_rule(hosp, cfg.program_hospitals))
    beds = _beds(rng, hosp)
    if cfg.other_hospitals_per_state is not None:
        other = hosp.assign(beds=beds)[~hosp["clues"].isin(program) & hosp["fstatus"].eq("open")]
        keep = set(other.sort_values(["beds", "clues"], ascending=[False, True])
                   .groupby("cve_ent").head(cfg.other_hospitals_per_state)["clues"])
        mask = (hosp["clues"].isin(program | keep) | hosp["fstatus"].eq("planned")).to_numpy()
        hosp, beds = hosp[mask].reset_index(drop=True), beds[mask]
    out = _real_units(rng, hosp, "hospital", (7 * 60, 19 * 60))
    rooms, bays = _rooms_and_bays(hosp, beds)
    out["beds"], out["operating_rooms"], out["emergency_bays"] = beds, rooms, bays
    out["program"] = out["clues"].isin(program)
    return out


def primary_care_rule(primary: pd.DataFrame, n: int | None) -> pd.DataFrame:
    """The primary-care units a dataset carries (records, prescriptions, stock and deliveries happen there).

    All operating and planned fixed units when ``n`` is None. Otherwise the ``n`` first of this order: each
    network municipality's largest operating unit (most basic care teams, *núcleos básicos*, read from the
    typology; CAAPS count 12, extended-services centres 6, UNEMEs and specialty clinics 2), municipalities by
    the population the records draw from (census population x IMSS-Bienestar reliance by CONAPO degree); then
    each municipality's second-largest unit in the same order, and so on. Planned units are always kept.
    """
    network = set(reference.states().query("imss_bienestar")["cve_ent"])
    planned = primary[primary["fstatus"].eq("planned")]
    if n is None:
        return primary.reset_index(drop=True)
    units = primary[primary["fstatus"].eq("open") & primary["cve_ent"].isin(network)].copy()
    units["teams"] = _care_teams(units["typology"])
    units["w"] = units["mun_population"] * units["degree"].map(RELIANCE).fillna(0.5)
    units["rank_in_mun"] = (units.sort_values(["teams", "clues"], ascending=[False, True])
                            .groupby("cvegeo_2020").cumcount())
    chosen = units.sort_values(["rank_in_mun", "w", "clues"], ascending=[True, False, True]).head(n)
    return (pd.concat([chosen, planned]).drop(columns=["teams", "rank_in_mun", "w"], errors="ignore")
            .sort_values("clues").reset_index(drop=True))


def _care_teams(typology: pd.Series) -> np.ndarray:
    """Basic care teams (*núcleos básicos*) of a primary-care unit, from its DGIS typology name."""
    teams = pd.to_numeric(typology.str.extract(r"(\d+) N[ÚU]CLEO", expand=False), errors="coerce")
    named = typology.map({"CENTROS AVANZADOS DE ATENCIÓN PRIMARIA A LA SALUD (CAAPS)": 12,
                          "CENTROS DE SALUD CON SERVICIOS AMPLIADOS": 6})
    return teams.fillna(named).fillna(2).to_numpy(int)


#: Share of people who rely on IMSS-Bienestar, by CONAPO degree (more marginalised, less social security).
RELIANCE: dict[str, float] = {"Muy bajo": 0.35, "Bajo": 0.5, "Medio": 0.65, "Alto": 0.8, "Muy alto": 0.9}


def _facilities(rng: np.random.Generator, cfg: GeneratorConfig) -> pd.DataFrame:
    cat = _catalogue()
    hospitals = _hospitals(rng, cfg, cat)
    primary = _real_units(rng, primary_care_rule(cat.primary, cfg.umfs), "umf", (8 * 60, 16 * 60))
    pharm = _pharmacies(rng, cat.primary, cfg.pharmacies)
    out = pd.concat([hospitals, primary, pharm], ignore_index=True)
    out["remote"] = out["remote"].astype(bool)
    return out


def _pharmacies(rng: np.random.Generator, primary: pd.DataFrame, n: int) -> pd.DataFrame:
    """Synthetic Farmacias del Bienestar (not in the CLUES catalogue): each stands beside a real operating
    primary-care unit of the network (about 50 m away), units drawn with weight = municipal population^0.7
    shared among the municipality's units; keys ``<state>FBI<6 digits>`` are ours."""
    network = set(reference.states().query("imss_bienestar")["cve_ent"])
    units = primary[primary["fstatus"].eq("open") & primary["cve_ent"].isin(network)].reset_index(drop=True)
    per_mun = units.groupby("cvegeo_2020")["clues"].transform("count").to_numpy(float)
    w = units["mun_population"].to_numpy(float) ** 0.7 / per_mun
    rows = units.iloc[np.sort(rng.choice(len(units), size=n, replace=False, p=w / w.sum()))].reset_index(drop=True)
    dlat, dlon = _jitter(rng, len(rows), 0.05)
    mun = reference.municipalities().set_index("cvegeo")["name"]
    return pd.DataFrame({
        "clues": _clues(rows["cve_ent"], "FBI", 1),
        "name": [f"Farmacia del Bienestar {mun.get(m, '')}".strip() for m in rows["cvegeo_2020"]],
        "kind": "pharmacy", "cve_ent": rows["cve_ent"], "cvegeo": rows["cvegeo_2020"],
        "lat": (rows["lat"] + dlat).round(6), "lon": (rows["lon"] + dlon).round(6),
        "beds": 0, "operating_rooms": 0, "emergency_bays": 0, "marginalisation_degree": rows["degree"],
        "remote": rows["degree"].eq("Muy alto"), "program": False, "status": "open",
        "opening_year": rng.integers(2020, 2025, len(rows)), "open_minute": 9 * 60, "close_minute": 18 * 60,
        "typology": "FARMACIA DEL BIENESTAR", "level": "",
    })


def _clues(cve_ent: pd.Series, institution: str, start: int) -> list[str]:
    return [f"{RENAPO_CODES[e]}{institution}{start + i:06d}" for i, e in enumerate(cve_ent)]


def _jitter(rng: np.random.Generator, n: int, km: float) -> tuple[np.ndarray, np.ndarray]:
    """Small offsets (degrees) so co-located facilities do not share one point; ``km`` is the scale."""
    return rng.normal(0, km / 111.0, n), rng.normal(0, km / 111.0, n)


def _network_municipalities() -> pd.DataFrame:
    mun = reference.municipalities()
    network = set(reference.states().query("imss_bienestar")["cve_ent"])
    return mun[mun["cve_ent"].isin(network)].reset_index(drop=True)


def _allocate(weights: np.ndarray, total: int, minimum: int) -> np.ndarray:
    """Split ``total`` into integer parts proportional to ``weights`` with a floor of ``minimum`` each.

    When ``total`` cannot give every part its floor (small test networks), the floor is dropped.
    """
    if total < minimum * len(weights):
        minimum = 0
    base = np.full(len(weights), minimum, dtype=int)
    rest = total - base.sum()
    share = weights / weights.sum() * rest
    extra = np.floor(share).astype(int)
    order = np.argsort(-(share - extra), kind="stable")
    extra[order[: rest - extra.sum()]] += 1
    return base + extra


# --- people ------------------------------------------------------------------------------------------------


def _origins(rng: np.random.Generator, cfg: GeneratorConfig) -> np.ndarray:
    """Home state of each recruit: the published top five exactly, the rest by state population."""
    states = reference.states()
    top = dict(cfg.top_origins)
    if cfg.recruits < sum(top.values()):  # a smaller pool: the top origins keep their proportions
        top = dict(zip(top, _allocate(np.array(list(top.values()), float), cfg.recruits, 0), strict=True))
    rest_states = states[~states["cve_ent"].isin(top)]
    rest = cfg.recruits - sum(top.values())
    # Rest spread by population, capped below the smallest published top origin so the top five stay on top.
    cap = max(min(top.values()) - 1, 0)
    alloc = _allocate(rest_states["population_2020"].to_numpy(float), rest, 0)
    while rest > 0 and alloc.max() > cap and cap > 0:
        over = alloc > cap
        spill = int((alloc[over] - cap).sum())
        alloc[over] = cap
        alloc[~over] += _allocate(rest_states["population_2020"].to_numpy(float)[~over], spill, 0)
    codes = [c for c, k in top.items() for _ in range(int(k))]
    codes += [c for c, k in zip(rest_states["cve_ent"], alloc, strict=True) for _ in range(int(k))]
    arr = np.array(codes)
    rng.shuffle(arr)
    return arr


def _home_municipality(rng: np.random.Generator, home_state: np.ndarray) -> np.ndarray:
    mun = reference.municipalities()
    out = np.empty(len(home_state), dtype=object)
    for ent in np.unique(home_state):
        cand = mun[mun["cve_ent"] == ent]
        idx = np.flatnonzero(home_state == ent)
        w = cand["population_2020"].to_numpy(float)
        out[idx] = rng.choice(cand["cvegeo"].to_numpy(), size=len(idx), p=w / w.sum())
    return out.astype(str)


def _people(rng: np.random.Generator, n: int, women_share: float, specialties: np.ndarray,
            home_state: np.ndarray, prefix: str, start: int) -> pd.DataFrame:
    n_women = round(women_share * n)
    sex = np.array(["F"] * n_women + ["M"] * (n - n_women))
    rng.shuffle(sex)
    age_days = rng.integers(28 * 365, 62 * 365, n)
    births = pd.Timestamp("2025-03-01") - pd.to_timedelta(age_days, unit="D")
    hours = rng.choice([36.0, 40.0, 48.0], size=n, p=[0.25, 0.45, 0.30])
    return pd.DataFrame({
        "specialist_id": [f"{prefix}{start + i:06d}" for i in range(n)],
        "curp": random_curps(rng, births, sex, home_state),
        "specialty": specialties, "sex": sex, "home_state": home_state,
        "home_cvegeo": _home_municipality(rng, home_state), "weekly_hours": hours,
    })


def _specialists(rng: np.random.Generator, cfg: GeneratorConfig, facilities: pd.DataFrame) -> pd.DataFrame:
    n = cfg.recruits
    specs = np.array([s.value for s in RECRUIT_MIX])
    counts = _allocate(np.array(list(RECRUIT_MIX.values())), n, 0)
    specialty = np.repeat(specs, counts)
    rng.shuffle(specialty)
    home = _origins(rng, cfg)
    rec = _people(rng, n, cfg.women_share, specialty, home, "S", 1)
    rec["status"] = "recruit"
    rec["facility_clues"] = ""
    network = reference.states().query("imss_bienestar")["cve_ent"].to_numpy()
    mode = rng.choice(["any", "states", "km"], size=n, p=[0.40, 0.35, 0.25])
    willing = []
    for i in range(n):
        if mode[i] == "states":
            k = int(rng.integers(2, 7))
            chosen = set(rng.choice(network, size=k, replace=False)) | {home[i]}
            willing.append(";".join(sorted(chosen)))
        else:
            willing.append("")
    rec["willing_states"] = willing
    rec["max_km"] = np.where(mode == "km", rng.choice([300.0, 500.0, 800.0, 1200.0], size=n), np.nan)
    median = np.array([INCENTIVE_MEDIAN_MXN[Specialty(s)] for s in specialty])
    rec["incentive_mxn"] = np.round(median * rng.uniform(0.65, 1.35, n), -2)

    # Staff in post at program hospitals: mostly daytime cover, well short of 24/7 (168 h/week per room).
    hosp = facilities[(facilities["kind"] == "hospital") & (facilities["status"] == "open")]
    rows = []
    per_room = {  # mean people per operating room already in post, by role
        Specialty.GENERAL_SURGERY: 0.9, Specialty.GYN_OBSTETRICS: 0.9, Specialty.ORTHOPAEDICS: 0.35,
        Specialty.PAEDIATRIC_SURGERY: 0.12, Specialty.ANAESTHESIOLOGY: 1.1, Specialty.SURGICAL_NURSING: 3.2,
        Specialty.INTERNAL_MEDICINE: 0.8, Specialty.PAEDIATRICS: 0.8, Specialty.EMERGENCY_MEDICINE: 0.9,
    }
    for clues, ent, ors, is_program in hosp[["clues", "cve_ent", "operating_rooms", "program"]].itertuples(
            index=False):
        boost = 1.0 if is_program else 2.5
        for spec, mean in per_room.items():
            k = int(rng.poisson(mean * ors * boost))
            rows.extend([(clues, ent, spec.value)] * k)
    post_df = pd.DataFrame(rows, columns=["facility_clues", "cve_ent", "specialty"])
    post = _people(rng, len(post_df), 0.5, post_df["specialty"].to_numpy(), post_df["cve_ent"].to_numpy(),
                   "P", 1)
    post["status"] = "in_post"
    post["facility_clues"] = post_df["facility_clues"].to_numpy()
    post["willing_states"] = ""
    post["max_km"] = np.nan
    post["incentive_mxn"] = 0.0
    cols = ["specialist_id", "curp", "specialty", "sex", "home_state", "home_cvegeo", "status",
            "facility_clues", "weekly_hours", "willing_states", "max_km", "incentive_mxn"]
    return pd.concat([rec[cols], post[cols]], ignore_index=True)


# --- medicines, depots, vehicles, stock --------------------------------------------------------------------


def _medicines(rng: np.random.Generator, target: int = 200) -> pd.DataFrame:
    base = reference.medicines_base()
    rows = []
    for _, b in base.iterrows():
        for pres in b["presentations"].split("|"):
            rows.append((b, pres))
    # Institutional packs (x5, then x20 units) for randomly chosen presentations until ``target`` SKUs.
    items = [(b, p, 1) for b, p in rows]
    for label, mult in (("envase institucional", 5), ("caja colectiva", 20)):
        extra = min(target - len(items), len(rows))
        for i in rng.permutation(len(rows))[: max(extra, 0)]:
            items.append((rows[i][0], f"{rows[i][1]} ({label})", mult))
    out = []
    counters: dict[str, int] = {}
    for b, pres, mult in items:
        g = _GROUP_CODE[b["group"]]
        counters[g] = counters.get(g, 0) + 1
        out.append({
            "sku": f"{g}.000.{100 + counters[g]:04d}.{ {1: 0, 5: 1, 20: 2}[mult]:02d}",
            "name": b["generic"], "presentation": pres, "group": b["group"],
            "volume_l": round(float(b["unit_volume_l"]) * mult, 3),
            "weight_kg": round(float(b["unit_weight_kg"]) * mult, 3),
            "cold_chain": bool(int(b["cold_chain"])), "criticality": b["criticality"],
            "shelf_life_days": int(b["shelf_life_days"]),
            "unit_cost_mxn": round(float(rng.uniform(15, 450)) * mult, 2),
        })
    return pd.DataFrame(out)


def _depots_and_vehicles(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    st = reference.states().set_index("cve_ent")
    depots = []
    for i, ent in enumerate(DEPOT_STATES, start=1):
        s = st.loc[ent]
        depots.append({
            "depot_id": f"D{i:03d}", "name": f"Centro de Distribución {s['capital']}", "cve_ent": ent,
            "lat": round(float(s["capital_lat"]) + 0.03, 6), "lon": round(float(s["capital_lon"]) + 0.03, 6),
            # Storage sized later (``_size_storage``) from these weeks of the served demand's volume.
            "dry_weeks": rng.integers(1500, 6000) / 1000.0, "cold_weeks": rng.integers(80, 400) / 100.0,
            "status": "open",
        })
    vehicles = []
    vid = 1
    for d in depots:
        for _ in range(int(rng.integers(5, 10))):
            cold = bool(rng.random() < 0.3)
            vehicles.append({
                "vehicle_id": f"V{vid:04d}", "depot_id": d["depot_id"],
                "capacity_m3": 8.0 if cold else float(rng.choice([12.0, 18.0, 30.0])),
                "capacity_kg": 2500.0 if cold else float(rng.choice([3500.0, 5000.0, 8000.0])),
                "cold_chain": cold, "shift_start_min": 6 * 60, "shift_end_min": 20 * 60,
                "cost_per_km": 14.0 if cold else 10.5, "fixed_cost": 1800.0 if cold else 1200.0,
                "speed_kmh": 55.0,
            })
            vid += 1
    return pd.DataFrame(depots), pd.DataFrame(vehicles)


def _record_weeks(cfg: GeneratorConfig) -> float:
    """Weeks the records span."""
    return (cfg.records_end - cfg.records_start).days / 7 + 1 / 7


def _depot_shares(facilities: pd.DataFrame, depots: pd.DataFrame) -> np.ndarray:
    """Share of network demand each depot serves: the facilities it is nearest to (hospitals count 3,
    UMFs 1: prescriptions are written there)."""
    served = facilities[facilities["kind"].isin(["hospital", "umf"]) & (facilities["status"] == "open")]
    nearest = np.argmin(distance_matrix_km(served["lat"], served["lon"], depots["lat"], depots["lon"]), axis=1)
    weight = np.where(served["kind"].eq("hospital"), 3.0, 1.0)
    share = np.bincount(nearest, weights=weight, minlength=len(depots))
    return share / share.sum()


def _size_storage(cfg: GeneratorConfig, depots: pd.DataFrame, facilities: pd.DataFrame, medicines: pd.DataFrame,
                  stock: pd.DataFrame, sku_units: dict[str, float]) -> pd.DataFrame:
    """Depot storage in m3, sized to the demand the depot serves so that it can bind on a large delivery.

    ``capacity_m3`` (dry) = m3 of dry stock the depot holds on the generation date + ``dry_weeks`` (drawn
    1.5-6 weeks) of its share of the network's weekly dry-SKU demand volume; ``cold_capacity_m3`` likewise
    for cold-chain SKUs with ``cold_weeks`` (0.8-4 weeks); rounded up to whole m3, at least 1 m3.
    """
    weeks = _record_weeks(cfg)
    med = medicines.set_index("sku")
    m3 = med["volume_l"].astype(float) / 1000.0
    cold = med["cold_chain"].astype(bool)
    weekly = pd.Series(sku_units, dtype=float).reindex(med.index, fill_value=0.0) / weeks * m3
    share = _depot_shares(facilities, depots)
    held = stock[stock["location"].isin(depots["depot_id"])]
    held = held.assign(m3=held["units"] * held["sku"].map(m3), cold=held["sku"].map(cold))
    out = depots.copy()
    for col, weeks_col, is_cold in (("capacity_m3", "dry_weeks", False), ("cold_capacity_m3", "cold_weeks", True)):
        on_hand = held[held["cold"] == is_cold].groupby("location")["m3"].sum()
        demand = float(weekly[cold == is_cold].sum()) * share
        size = out["depot_id"].map(on_hand).fillna(0.0).to_numpy() + out[weeks_col].to_numpy() * demand
        out[col] = np.maximum(1.0, np.ceil(size))
    cols = ["depot_id", "name", "cve_ent", "lat", "lon", "capacity_m3", "cold_capacity_m3", "status"]
    return out[cols]


def _stock(rng: np.random.Generator, cfg: GeneratorConfig, facilities: pd.DataFrame, medicines: pd.DataFrame,
           depots: pd.DataFrame, sku_units: dict[str, float]) -> pd.DataFrame:
    """Depot stock covering 0.8-3 weeks of network demand per SKU (some SKUs short) and facility stock.

    Each depot holds a share proportional to the facilities it is nearest to (hospitals count 3, UMFs 1:
    prescriptions are written there), perturbed per SKU so that regions differ.
    """
    weeks = _record_weeks(cfg)
    as_of = pd.Timestamp("2025-03-03")
    rows = []
    share = _depot_shares(facilities, depots)
    for sku, shelf in medicines[["sku", "shelf_life_days"]].itertuples(index=False):
        weekly = sku_units.get(sku, 0.0) / weeks
        cover = rng.uniform(0.8, 3.0)
        noise = rng.lognormal(0.0, 0.3, len(depots))
        for d, s, e in zip(depots["depot_id"], share, noise, strict=True):
            units = int(round(weekly * cover * s * e))
            if units > 0:
                expiry = as_of + pd.Timedelta(days=int(rng.integers(14, shelf)))
                rows.append((d, sku, units, expiry.date().isoformat()))
    hosp = facilities[facilities["kind"].isin(["hospital", "umf", "pharmacy"]) & (facilities["status"] == "open")]
    n_fac = len(hosp)
    for sku, shelf in medicines[["sku", "shelf_life_days"]].sample(frac=0.25, random_state=cfg.seed).itertuples(
            index=False):
        weekly_per_fac = sku_units.get(sku, 0.0) / weeks / max(n_fac, 1)
        picks = hosp["clues"].to_numpy()[rng.random(n_fac) < 0.3]
        for c in picks:
            units = int(round(weekly_per_fac * rng.uniform(0.0, 1.5)))
            if units > 0:
                expiry = as_of + pd.Timedelta(days=int(rng.integers(7, shelf)))
                rows.append((c, sku, units, expiry.date().isoformat()))
    return pd.DataFrame(rows, columns=["location", "sku", "units", "expiry_date"])


# --- health records ----------------------------------------------------------------------------------------

ENCOUNTER_SCHEMA = pa.schema([
    ("record_id", pa.int64()), ("curp", pa.string()), ("clues", pa.string()), ("date", pa.date32()),
    ("age", pa.int16()), ("sex", pa.string()), ("icd10", pa.string()), ("procedure", pa.string()),
])
PRESCRIPTION_SCHEMA = pa.schema([
    ("record_id", pa.int64()), ("clues", pa.string()), ("date", pa.date32()), ("sku", pa.string()),
    ("units", pa.int32()),
])

#: Share of generated records by diagnosis category (records oversample hospital cases, see expansion).
CATEGORY_SHARE = {"surgical": 0.16, "obstetric": 0.10, "trauma": 0.05, "paediatric": 0.02, "chronic": 0.22,
                  "respiratory": 0.15, "infectious": 0.08, "prenatal": 0.08, "preventive": 0.08, "mental": 0.02,
                  "musculoskeletal": 0.04}


@dataclass(frozen=True)
class _RecordModel:
    """Precomputed sampling tables shared by all chunks."""

    mun_cvegeo: np.ndarray
    mun_ent: np.ndarray
    mun_p: np.ndarray
    near_hospital: np.ndarray  # index into facility arrays, per municipality
    near_umf: np.ndarray
    fac_clues: np.ndarray
    diag_code: np.ndarray
    diag_cat: np.ndarray
    diag_p: np.ndarray
    diag_procs: list[list[str]]
    diag_skus: list[np.ndarray]
    diag_units: list[np.ndarray]


def _record_model(facilities: pd.DataFrame, medicines: pd.DataFrame) -> _RecordModel:
    mun = _network_municipalities()
    active = facilities[facilities["status"] == "open"].reset_index(drop=True)
    hosp = np.flatnonzero(active["kind"].eq("hospital").to_numpy())
    umf = np.flatnonzero(active["kind"].eq("umf").to_numpy())
    d_h = distance_matrix_km(mun["lat"], mun["lon"], active["lat"].to_numpy()[hosp], active["lon"].to_numpy()[hosp])
    d_u = distance_matrix_km(mun["lat"], mun["lon"], active["lat"].to_numpy()[umf], active["lon"].to_numpy()[umf])
    # People in more marginalised municipalities rely more on IMSS-Bienestar (less social security).
    reliance = mun["marginalisation_degree_2020"].map(RELIANCE).to_numpy(float)
    p = mun["population_2020"].to_numpy(float) * reliance
    diag = reference.diagnoses()
    cat_n = diag.groupby("category")["code"].transform("count").to_numpy(float)
    dp = diag["category"].map(CATEGORY_SHARE).to_numpy(float) / cat_n
    base = reference.medicines_base()
    skus, units = [], []
    for code in diag["code"]:
        match = base[base["icd10_prefixes"].str.split("|").map(lambda ps, c=code: any(c.startswith(x) for x in ps))]
        meds = medicines[medicines["name"].isin(match["generic"])]
        skus.append(meds["sku"].to_numpy())
        per = dict(zip(match["generic"], match["units_per_rx"].astype(int), strict=True))
        units.append(meds["name"].map(per).to_numpy(int))
    return _RecordModel(
        mun_cvegeo=mun["cvegeo"].to_numpy(), mun_ent=mun["cve_ent"].to_numpy(), mun_p=p / p.sum(),
        near_hospital=hosp[np.argmin(d_h, axis=1)], near_umf=umf[np.argmin(d_u, axis=1)],
        fac_clues=active["clues"].to_numpy(), diag_code=diag["code"].to_numpy(),
        diag_cat=diag["category"].to_numpy(), diag_p=dp / dp.sum(),
        diag_procs=[s.split("|") if s else [] for s in diag["surgical_procedures"]],
        diag_skus=skus, diag_units=units,
    )


def write_records(records_dir: Path, cfg: GeneratorConfig, facilities: pd.DataFrame, medicines: pd.DataFrame,
                  seed: int) -> dict:
    """Write ``cfg.n_records`` encounters (+ prescriptions) as Parquet in chunks, never all in memory.

    Returns the metadata written to ``records/_meta.json`` plus ``sku_units`` (total units per SKU).
    """
    records_dir = Path(records_dir)
    (records_dir / "encounters").mkdir(parents=True, exist_ok=True)
    (records_dir / "prescriptions").mkdir(parents=True, exist_ok=True)
    for old in list(records_dir.glob("encounters/**/*.parquet")) + list(records_dir.glob("prescriptions/**/*.parquet")):
        old.unlink()
    model = _record_model(facilities, medicines)
    n_chunks = max(1, -(-cfg.n_records // cfg.records_chunk))
    seqs = np.random.SeedSequence(seed).spawn(n_chunks)
    sku_units: dict[str, float] = {}
    n_rx = 0
    surgical = 0
    written = 0
    for i in range(n_chunks):
        n = min(cfg.records_chunk, cfg.n_records - written)
        enc, rx = _record_chunk(np.random.default_rng(seqs[i]), model, cfg, n, written)
        if cfg.partition_records:
            _write_partitioned(records_dir / "encounters", enc, ENCOUNTER_SCHEMA, i)
            _write_partitioned(records_dir / "prescriptions", rx, PRESCRIPTION_SCHEMA, i)
        else:
            pq.write_table(pa.Table.from_pandas(enc, schema=ENCOUNTER_SCHEMA, preserve_index=False),
                           records_dir / "encounters" / f"part-{i:05d}.parquet")
            pq.write_table(pa.Table.from_pandas(rx, schema=PRESCRIPTION_SCHEMA, preserve_index=False),
                           records_dir / "prescriptions" / f"part-{i:05d}.parquet")
        for sku, u in rx.groupby("sku")["units"].sum().items():
            sku_units[sku] = sku_units.get(sku, 0.0) + float(u)
        surgical += int(enc["procedure"].notna().sum())
        n_rx += len(rx)
        written += n
    weeks = ((cfg.records_end - cfg.records_start).days + 1) / 7
    expansion = cfg.surgical_procedures_per_week * weeks / max(surgical, 1)
    meta = {
        "n_records": written, "n_prescriptions": n_rx, "seed": cfg.seed,
        "start_date": cfg.records_start.isoformat(), "end_date": cfg.records_end.isoformat(), "weeks": weeks,
        "expansion_factor": expansion,
        "expansion_note": "each record stands for expansion_factor real encounters; set so that the network's "
                          f"surgical volume is {cfg.surgical_procedures_per_week:.0f} procedures/week",
    }
    (records_dir / "_meta.json").write_text(json.dumps(meta, indent=2))
    for k in sku_units:
        sku_units[k] *= expansion
    return {**meta, "sku_units": sku_units}


def _write_partitioned(folder: Path, df: pd.DataFrame, schema: pa.Schema, chunk: int) -> None:
    """Write one chunk as ``folder/month=YYYY-MM/cve_ent=XX/part-<chunk>.parquet`` files.

    The state comes from the CLUES key's entity letters; every file keeps all columns, so readers need no
    partition discovery, and a month can be aggregated (or replaced) by reading its folder alone.
    """
    month = np.asarray(df["date"].to_numpy(), dtype="datetime64[M]").astype(str)
    ent = df["clues"].str[:2].map(_ENT_BY_RENAPO).to_numpy()
    keys = pd.DataFrame({"m": month, "e": ent})
    for (m, e), idx in keys.groupby(["m", "e"]).indices.items():
        out = folder / f"month={m}" / f"cve_ent={e}"
        out.mkdir(parents=True, exist_ok=True)
        part = df.iloc[idx]
        pq.write_table(pa.Table.from_pandas(part, schema=schema, preserve_index=False),
                       out / f"part-{chunk:05d}.parquet")


_ENT_BY_RENAPO = {v: k for k, v in RENAPO_CODES.items()}


def _record_chunk(rng: np.random.Generator, m: _RecordModel, cfg: GeneratorConfig, n: int,
                  first_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    muni = rng.choice(len(m.mun_p), size=n, p=m.mun_p)
    diag = rng.choice(len(m.diag_p), size=n, p=m.diag_p)
    cat = m.diag_cat[diag]
    # Dates: uniform over the period, respiratory cases twice as likely in Nov-Feb (flu season).
    days = (cfg.records_end - cfg.records_start).days + 1
    dates = np.datetime64(cfg.records_start) + rng.integers(0, days, n).astype("timedelta64[D]")
    months = dates.astype("datetime64[M]").astype(int) % 12 + 1
    winter = np.isin(months, [11, 12, 1, 2])
    resample = (cat == "respiratory") & ~winter & (rng.random(n) < 0.5)
    shift = rng.choice([-3, -2, -1, 0, 1], size=n)  # move half the off-season respiratory cases into winter
    winter_dates = dates.astype("datetime64[M]") + np.where(shift < 0, 12 + shift, shift).astype("timedelta64[M]")
    dates = np.where(resample, (winter_dates.astype("datetime64[D]") + rng.integers(0, 28, n).astype(
        "timedelta64[D]")), dates)
    dates = np.clip(dates, np.datetime64(cfg.records_start), np.datetime64(cfg.records_end))
    # Procedure: surgical, obstetric with procedure, trauma, paediatric -> 85% operated.
    proc = np.full(n, None, dtype=object)
    for d in np.unique(diag):
        options = m.diag_procs[d]
        if not options:
            continue
        idx = np.flatnonzero(diag == d)
        operated = idx[rng.random(len(idx)) < 0.85]
        proc[operated] = rng.choice(options, size=len(operated))
    at_hospital = (proc != None) | np.isin(cat, ["obstetric", "trauma"]) | (rng.random(n) < 0.25)  # noqa: E711
    fac = np.where(at_hospital, m.near_hospital[muni], m.near_umf[muni])
    # Patients: sex and age by category.
    female_only = np.isin(cat, ["obstetric", "prenatal"]) | np.isin(m.diag_code[diag], ["D25.9", "N83.2"])
    sex = np.where(female_only | (rng.random(n) < 0.52), "F", "M")
    age = np.where(cat == "paediatric", rng.integers(0, 15, n),
                   np.where(female_only, rng.integers(15, 45, n), rng.integers(0, 90, n))).astype(np.int16)
    births = (dates - (age.astype(int) * 365 + rng.integers(0, 365, n)).astype("timedelta64[D]"))
    ents = m.mun_ent[muni]
    # Returning patients: about 40% of encounters reuse an earlier patient's CURP in the same chunk.
    curps = random_curps(rng, pd.DatetimeIndex(births), sex, ents)
    repeat = rng.random(n) < 0.4
    src = rng.integers(0, n, n)
    curps = np.where(repeat, curps[src], curps)
    sex = np.where(repeat, sex[src], sex)
    ids = np.arange(first_id + 1, first_id + n + 1, dtype=np.int64)
    enc = pd.DataFrame({
        "record_id": ids, "curp": curps, "clues": m.fac_clues[fac], "date": dates.astype("datetime64[D]"),
        "age": age, "sex": sex, "icd10": m.diag_code[diag], "procedure": proc,
    })
    # Prescriptions: 0-3 lines per encounter, drawn from the medicines that treat the diagnosis.
    n_lines = rng.choice([0, 1, 2, 3], size=n, p=[0.15, 0.40, 0.30, 0.15])
    rec_idx = np.repeat(np.arange(n), n_lines)
    line_diag = diag[rec_idx]
    sku = np.full(len(rec_idx), None, dtype=object)
    units = np.zeros(len(rec_idx), dtype=np.int32)
    for d in np.unique(line_diag):
        idx = np.flatnonzero(line_diag == d)
        if len(m.diag_skus[d]) == 0:
            continue
        pick = rng.integers(0, len(m.diag_skus[d]), len(idx))
        sku[idx] = m.diag_skus[d][pick]
        units[idx] = m.diag_units[d][pick] * rng.integers(1, 4, len(idx))
    keep = sku != None  # noqa: E711
    rx = pd.DataFrame({
        "record_id": ids[rec_idx[keep]], "clues": enc["clues"].to_numpy()[rec_idx[keep]],
        "date": enc["date"].to_numpy()[rec_idx[keep]], "sku": sku[keep], "units": units[keep],
    })
    return enc, rx
