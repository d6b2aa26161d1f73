"""Typed entities of the IMSS-Bienestar planning domain.

Every entity that arrives in a file (CSV, Parquet, XLSX) is a pydantic model here: the model *is* the
row schema, so a row that loads is a valid entity and a row that does not gets an error naming the field.
Units are in the field descriptions (hours per week, MXN per month, cubic metres, minutes after midnight).
Patient-level records carry a CURP only on the way in; the data layer replaces it with a keyed hash.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

# --- identifiers -------------------------------------------------------------------------------------------

#: RENAPO entity codes (CURP positions 12-13; also the first two letters of a CLUES key), by INEGI CVE_ENT.
RENAPO_CODES: dict[str, str] = {
    "01": "AS", "02": "BC", "03": "BS", "04": "CC", "05": "CL", "06": "CM", "07": "CS", "08": "CH",
    "09": "DF", "10": "DG", "11": "GT", "12": "GR", "13": "HG", "14": "JC", "15": "MC", "16": "MN",
    "17": "MS", "18": "NT", "19": "NL", "20": "OC", "21": "PL", "22": "QT", "23": "QR", "24": "SP",
    "25": "SL", "26": "SR", "27": "TC", "28": "TS", "29": "TL", "30": "VZ", "31": "YN", "32": "ZS",
}
_ENTITY_ALT = "|".join(sorted(RENAPO_CODES.values())) + "|NE"

#: CLUES key: 2-letter entity code, 3-letter institution code, 6 digits (e.g. ``OCIMB000123``).
CLUES_RE = re.compile(rf"^({'|'.join(sorted(RENAPO_CODES.values()))})[A-Z]{{3}}\d{{6}}$")

#: RENAPO's published CURP pattern: 4 letters, birth date YYMMDD, sex (H/M, X since 2022), entity of birth
#: (or NE, born abroad), 3 internal consonants, a homonymy character and a check digit.
CURP_RE = re.compile(
    r"^[A-Z][AEIOUX][A-Z]{2}\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])[HMX]"
    rf"({_ENTITY_ALT})[B-DF-HJ-NP-TV-Z]{{3}}[0-9A-Z]\d$"
)
_CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"

#: ICD-10 code as used by the Mexican health information system: letter, two characters, optional
#: subcategory after a dot (``K35.8``, ``I10``, ``U07.1``).
ICD10_RE = re.compile(r"^[A-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?$")

#: Mexico's bounding box (WGS84) including its islands: lat 14.5..32.75, lon -118.5..-86.7.
MEXICO_LAT = (14.5, 32.75)
MEXICO_LON = (-118.5, -86.7)


def curp_check_digit(first17: str) -> str:
    """RENAPO check digit of a CURP from its first 17 characters (weighted sum mod 10)."""
    total = sum(_CURP_ALPHABET.index(ch) * (18 - i) for i, ch in enumerate(first17))
    return str((10 - total % 10) % 10)


def is_valid_curp(value: str) -> bool:
    """True when ``value`` matches the official CURP pattern and its check digit."""
    return bool(CURP_RE.match(value)) and curp_check_digit(value[:17]) == value[17]


# --- vocabularies ------------------------------------------------------------------------------------------


class Specialty(StrEnum):
    """Specialties and cadres the program recruits and deploys."""

    GENERAL_SURGERY = "general_surgery"
    GYN_OBSTETRICS = "gyn_obstetrics"
    ORTHOPAEDICS = "orthopaedics"
    PAEDIATRIC_SURGERY = "paediatric_surgery"
    ANAESTHESIOLOGY = "anaesthesiology"
    SURGICAL_NURSING = "surgical_nursing"
    INTERNAL_MEDICINE = "internal_medicine"
    PAEDIATRICS = "paediatrics"
    EMERGENCY_MEDICINE = "emergency_medicine"


#: Specialties that lead a surgical team (the "surgeon of the needed specialty").
SURGICAL_SPECIALTIES: tuple[Specialty, ...] = (
    Specialty.GENERAL_SURGERY,
    Specialty.GYN_OBSTETRICS,
    Specialty.ORTHOPAEDICS,
    Specialty.PAEDIATRIC_SURGERY,
)


class FacilityKind(StrEnum):
    HOSPITAL = "hospital"
    UMF = "umf"  # Unidad de Medicina Familiar (family medicine unit)
    PHARMACY = "pharmacy"  # Farmacia del Bienestar
    DISTRIBUTION_CENTRE = "distribution_centre"


class MarginalisationDegree(StrEnum):
    """CONAPO 2020 marginalisation degree (``GM_2020``)."""

    MUY_BAJO = "Muy bajo"
    BAJO = "Bajo"
    MEDIO = "Medio"
    ALTO = "Alto"
    MUY_ALTO = "Muy alto"


#: Default planner weight of a procedure by the marginalisation degree of the hospital's municipality.
MARGINALISATION_WEIGHT: dict[MarginalisationDegree, float] = {
    MarginalisationDegree.MUY_BAJO: 1.0,
    MarginalisationDegree.BAJO: 1.1,
    MarginalisationDegree.MEDIO: 1.25,
    MarginalisationDegree.ALTO: 1.5,
    MarginalisationDegree.MUY_ALTO: 2.0,
}


class Criticality(StrEnum):
    """Medicine criticality: vital medicines are served first under shortage."""

    VITAL = "vital"
    ESSENTIAL = "essential"
    OTHER = "other"


class Sex(StrEnum):
    F = "F"
    M = "M"


class StaffStatus(StrEnum):
    RECRUIT = "recruit"  # in the 2025 recruitment pool, not yet deployed
    IN_POST = "in_post"  # already working at ``facility_clues``


# --- helpers for file parsing ----------------------------------------------------------------------------


def _blank_to_none(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN from pandas
        return None
    if isinstance(value, str) and value.strip() == "":
        return None
    return value


def _split_list(value: object) -> object:
    value = _blank_to_none(value)
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    return value


def _to_bool(value: object) -> object:
    if isinstance(value, str):
        low = value.strip().lower()
        if low in {"1", "true", "yes", "si", "sí", "y", "t"}:
            return True
        if low in {"0", "false", "no", "n", "f", ""}:
            return False
    return value


OptStr = Annotated[str | None, BeforeValidator(_blank_to_none)]
OptFloat = Annotated[float | None, BeforeValidator(_blank_to_none)]
StrList = Annotated[list[str], BeforeValidator(_split_list)]
Bool = Annotated[bool, BeforeValidator(_to_bool)]
CveEnt = Annotated[str, Field(pattern=r"^(0[1-9]|[12]\d|3[0-2])$", description="INEGI state code 01..32")]


class _Entity(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def _check_lat_lon(lat: float, lon: float) -> None:
    if not (MEXICO_LAT[0] <= lat <= MEXICO_LAT[1]):
        raise PydanticCustomError("latitude", "latitude {lat} is outside Mexico ({low}..{high})",
                                  {"lat": lat, "low": MEXICO_LAT[0], "high": MEXICO_LAT[1]})
    if not (MEXICO_LON[0] <= lon <= MEXICO_LON[1]):
        raise PydanticCustomError("longitude", "longitude {lon} is outside Mexico ({low}..{high})",
                                  {"lon": lon, "low": MEXICO_LON[0], "high": MEXICO_LON[1]})


# --- entities ----------------------------------------------------------------------------------------------


class State(_Entity):
    """A federal entity (state) with its census and marginalisation facts."""

    cve_ent: CveEnt
    name: str
    abbreviation: str
    capital: str
    capital_lat: float
    capital_lon: float
    population_2020: int = Field(ge=0, description="persons, Census 2020")
    marginalisation_degree: MarginalisationDegree
    imss_bienestar: Bool = Field(description="signed the IMSS-Bienestar federalisation agreement")


class Facility(_Entity):
    """A health facility keyed by its CLUES code: hospital, family medicine unit, pharmacy or depot."""

    clues: str = Field(description="11-character CLUES key")
    name: str
    kind: FacilityKind
    cve_ent: CveEnt
    cvegeo: str = Field(pattern=r"^\d{5}$", description="INEGI municipality key (ent + mun)")
    lat: float
    lon: float
    beds: int = Field(0, ge=0, description="census beds")
    operating_rooms: int = Field(0, ge=0, description="operating rooms (quirófanos)")
    emergency_bays: int = Field(0, ge=0, description="emergency-room treatment bays")
    marginalisation_degree: MarginalisationDegree
    remote: Bool = Field(False, description="remote (no 24/7 hospital within 2 h by road)")
    program: Bool = Field(False, description="one of the 282 Médicos del Bienestar hospitals")
    status: str = Field("open", pattern=r"^(open|planned|closed)$",
                        description="open; planned (in construction or pending); closed (out of operation, kept)")
    opening_year: int = Field(2000, ge=1900, le=2100)
    open_minute: int = Field(0, ge=0, le=1440, description="deliveries accepted from (minutes after 00:00)")
    close_minute: int = Field(1440, ge=0, le=1440, description="deliveries accepted until (minutes)")
    typology: OptStr = Field(None, description="DGIS CLUES typology, e.g. HOSPITAL GENERAL")
    level: OptStr = Field(None, description="level of care (CLUES nivel de atención), e.g. SEGUNDO NIVEL")

    @field_validator("clues")
    @classmethod
    def _clues(cls, v: str) -> str:
        if not CLUES_RE.match(v):
            raise PydanticCustomError("clues_key", "'{value}' is not a CLUES key (2-letter entity, 3-letter "
                                      "institution, 6 digits)", {"value": v})
        return v

    @model_validator(mode="after")
    def _geo(self) -> Facility:
        _check_lat_lon(self.lat, self.lon)
        if not self.cvegeo.startswith(self.cve_ent):
            raise PydanticCustomError("cvegeo_state", "cvegeo {cvegeo} is not in state {state}",
                                      {"cvegeo": self.cvegeo, "state": self.cve_ent})
        if self.open_minute >= self.close_minute:
            raise PydanticCustomError("open_before_close", "open_minute must be before close_minute")
        return self


class Specialist(_Entity):
    """A person in the recruited pool or already in post.

    ``curp`` is the raw national ID as it arrives in a file; the store keeps only its keyed hash (``hid``).
    """

    specialist_id: str = Field(pattern=r"^[A-Z]\d{6}$", description="staff number, e.g. S000123")
    curp: str
    specialty: Specialty
    sex: Sex
    home_state: CveEnt
    home_cvegeo: str = Field(pattern=r"^\d{5}$")
    status: StaffStatus
    facility_clues: OptStr = Field(None, description="where an in-post person works")
    weekly_hours: float = Field(gt=0, le=80, description="contract hours per week")
    willing_states: StrList = Field(default_factory=list, description="CVE_ENT codes; empty = any")
    max_km: OptFloat = Field(None, ge=0, description="furthest relocation accepted, km; empty = any")
    incentive_mxn: float = Field(0, ge=0, description="monthly incentive the person requires, MXN")

    @field_validator("curp")
    @classmethod
    def _curp(cls, v: str) -> str:
        if not CURP_RE.match(v):
            raise PydanticCustomError("curp_pattern", "does not match the CURP pattern (18 characters, RENAPO "
                                      "format)")  # no value: a national ID never reaches a message
        if curp_check_digit(v[:17]) != v[17]:
            raise PydanticCustomError("curp_digit", "wrong CURP check digit (expected {expected})",
                                      {"expected": curp_check_digit(v[:17])})
        return v

    @field_validator("willing_states")
    @classmethod
    def _states(cls, v: list[str]) -> list[str]:
        for code in v:
            if code not in RENAPO_CODES:
                raise PydanticCustomError("state_code", "'{value}' is not a state code 01..32", {"value": code})
        return v

    @model_validator(mode="after")
    def _post(self) -> Specialist:
        if self.status == StaffStatus.IN_POST and not self.facility_clues:
            raise PydanticCustomError("in_post_clues", "an in_post specialist needs facility_clues")
        return self


class Medicine(_Entity):
    """A medicine SKU of the national catalogue."""

    sku: str = Field(pattern=r"^\d{3}\.\d{3}\.\d{4}\.\d{2}$", description="catalogue key, e.g. 010.000.0104.00")
    name: str
    presentation: str
    group: str
    volume_l: float = Field(gt=0, description="litres per unit (box, vial, bottle)")
    weight_kg: float = Field(gt=0, description="kg per unit")
    cold_chain: Bool
    criticality: Criticality
    shelf_life_days: int = Field(gt=0)
    unit_cost_mxn: float = Field(ge=0)


class Depot(_Entity):
    """A regional distribution centre (almacén / centro de distribución)."""

    depot_id: str = Field(pattern=r"^D\d{3}$")
    name: str
    cve_ent: CveEnt
    lat: float
    lon: float
    # None = not recorded (a blank cell, or a depots.csv written before storage was recorded): the central
    # supply split then treats that storage as unlimited and says so in its report.
    capacity_m3: float | None = Field(None, ge=0, description="dry storage, m3; None = not recorded")
    cold_capacity_m3: float | None = Field(None, ge=0, description="cold-chain storage, m3; None = not recorded")
    status: str = Field("open", pattern=r"^(open|closed)$")

    @field_validator("capacity_m3", "cold_capacity_m3", mode="before")
    @classmethod
    def _blank_is_not_recorded(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @model_validator(mode="after")
    def _geo(self) -> Depot:
        _check_lat_lon(self.lat, self.lon)
        return self


class Vehicle(_Entity):
    """A delivery vehicle based at a depot."""

    vehicle_id: str = Field(pattern=r"^V\d{4}$")
    depot_id: str
    capacity_m3: float = Field(gt=0)
    capacity_kg: float = Field(gt=0)
    cold_chain: Bool
    shift_start_min: int = Field(ge=0, le=1440, description="minutes after 00:00")
    shift_end_min: int = Field(ge=0, le=1440)
    cost_per_km: float = Field(ge=0, description="MXN per km")
    fixed_cost: float = Field(ge=0, description="MXN per day used")
    speed_kmh: float = Field(50.0, gt=0)

    @model_validator(mode="after")
    def _shift(self) -> Vehicle:
        if self.shift_end_min <= self.shift_start_min:
            raise ValueError("shift_end_min must be after shift_start_min")
        return self


class Stock(_Entity):
    """Units of a SKU on hand at a depot or a facility, with the earliest expiry among them."""

    location: str = Field(description="depot_id or CLUES")
    sku: str
    units: int = Field(ge=0)
    expiry_date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")


class TeamTemplate(_Entity):
    """People per role that one operating room needs at every moment it runs (default 1+1+2)."""

    surgeons: int = Field(1, ge=1)
    anaesthesiologists: int = Field(1, ge=0)
    surgical_nurses: int = Field(2, ge=0)

    def roles(self, surgical_specialty: Specialty) -> dict[Specialty, int]:
        """People needed per role for a room of ``surgical_specialty``."""
        return {
            surgical_specialty: self.surgeons,
            Specialty.ANAESTHESIOLOGY: self.anaesthesiologists,
            Specialty.SURGICAL_NURSING: self.surgical_nurses,
        }


#: Hours in a week: one operating room open 24/7 needs 168 h/week of every role in its team.
HOURS_PER_WEEK = 168.0
