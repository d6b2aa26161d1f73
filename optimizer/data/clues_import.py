"""Update a facility catalogue from DGIS's own CLUES workbook (``ESTABLECIMIENTO_SALUD_YYYYMM.xlsx`` or a CSV of it).

The planner downloads DGIS's monthly catalogue (55 official columns: ``CLUES``, ``ENTIDAD``, ``CLAVE DEL
MUNICIPIO``, ``NOMBRE DE LA UNIDAD``, ``NOMBRE DE TIPOLOGIA``, ``ESTATUS DE OPERACION``, ``NIVEL ATENCION``,
``LATITUD``, ``LONGITUD``, ...) and this module:

1. checks every row and names file, row and field of each problem: key shape (2-letter entity, 3-letter
   institution, 6 digits) and entity letters matching ``ENTIDAD``; known state name and municipality code
   (the 2020 frame, or one of the municipalities created since, which maps to the one it was split from);
   coordinates that are numbers, inside Mexico and inside the named state's outline (within
   :data:`OUTLINE_TOLERANCE_KM`, the outlines being simplified); a known operating status; a unit name;
2. sets aside, with the reason, rows of another institution (``--institution``) and units the models do not
   plan for (mobile units, brigades, offices, warehouses);
3. compares the kept units with the catalogue: new keys are added (sized like generated units, see
   :mod:`optimizer.data.generate`), units whose published fields changed are updated, units out of operation,
   and units of the file's institutions and states no longer listed, are marked ``closed``; nothing is deleted.

:func:`apply_clues` is pure (tables in, tables and a change report out), so the dataset and the store paths
share it. Running it twice on the same file changes nothing the second time.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError
from shapely import Point, prepare
from shapely.geometry import shape

from optimizer.data import reference
from optimizer.data.generate import (
    BEDS_BY_TYPOLOGY,
    BEDS_PER_EMERGENCY_BAY,
    NOT_PRIMARY_CARE,
    ROOMS_BY_TYPOLOGY,
    STATUS_BY_CLUES,
)
from optimizer.data.rejects import DataFileError, Reject
from optimizer.domain import CLUES_RE, MEXICO_LAT, MEXICO_LON, RENAPO_CODES, Facility
from optimizer.i18n import msg, t

#: Columns of DGIS's workbook the import reads (the others are carried by DGIS but not used).
REQUIRED_COLUMNS: tuple[str, ...] = (
    "CLUES", "CLAVE DEL MUNICIPIO", "NOMBRE DE LA UNIDAD", "NOMBRE DE TIPOLOGIA", "ESTATUS DE OPERACION",
    "NIVEL ATENCION", "LATITUD", "LONGITUD",
)
#: A point this far (km) outside its state's simplified outline is still accepted (outlines move up to ~1 km).
OUTLINE_TOLERANCE_KM = 5.0
#: Words of a typology the models do not plan for (mobile units, brigades).
NOT_PLANNED_WORDS: tuple[str, ...] = ("MÓVIL", "MOVIL", "BRIGADA")
#: Facility fields the CLUES catalogue owns: a change in any of them is an update.
CATALOGUE_FIELDS: tuple[str, ...] = ("name", "cve_ent", "cvegeo", "lat", "lon", "status", "typology", "level")


@dataclass
class ChangeReport:
    """What one import did: keys per action, and every row set aside with its reason."""

    file: str
    rows_read: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[Reject] = field(default_factory=list)
    skipped: list[Reject] = field(default_factory=list)
    row_keys: dict[int, str] = field(default_factory=dict)
    """The CLUES cell of every row read (row number -> key as written), to name the unit of a set-aside row."""

    def counts(self) -> dict[str, int]:
        """Rows/units per action; ``added + updated + unchanged + closed_listed + rejected + skipped = rows``."""
        return {"rows_read": self.rows_read, "added": len(self.added), "updated": len(self.updated),
                "closed": len(self.closed), "unchanged": len(self.unchanged), "rejected": len(self.rejected),
                "skipped": len(self.skipped)}

    def lines(self) -> list[dict[str, str | int]]:
        """One line per change or set-aside row (action, key, row, field, value, reason), for the report file."""
        out: list[dict[str, str | int]] = []
        for action in ("added", "updated", "closed"):
            out += [{"action": action, "clues": k, "row": "", "field": "", "value": "", "reason": ""}
                    for k in getattr(self, action)]
        for action in ("rejected", "skipped"):
            out += [{"action": action, "clues": self.row_keys.get(r.row, ""), "row": r.row,
                     "field": r.field, "value": r.value, "reason": r.reason} for r in getattr(self, action)]
        return out


# --- reading -----------------------------------------------------------------------------------------------


def read_workbook(path: Path) -> pd.DataFrame:
    """DGIS's catalogue as text cells (first sheet of an ``.xlsx``, or a UTF-8 / Latin-1 CSV), header row 1."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(msg("data.file.not_found", file=str(path)))
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        frame = pd.read_excel(path, sheet_name=0, dtype=str, keep_default_na=False)
    elif suffix == ".csv":
        frame = _read_csv(path)
    else:
        raise DataFileError(msg("data.file.format", file=path.name, suffix=suffix, allowed=".xlsx, .csv"))
    frame.columns = [str(c).strip().upper() for c in frame.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if "ENTIDAD" not in frame.columns and "CLAVE DE LA ENTIDAD" not in frame.columns:
        missing.append("ENTIDAD")
    if missing:
        raise DataFileError(msg("data.clues.columns", file=path.name, columns=", ".join(missing)))
    return frame.map(lambda v: str(v).strip())


def _read_csv(path: Path) -> pd.DataFrame:
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
        except UnicodeDecodeError:
            continue
        except pd.errors.ParserError as exc:
            raise DataFileError(msg("data.file.not_csv", file=path.name, detail=str(exc).strip())) from exc
    raise DataFileError(msg("data.clues.encoding", file=path.name))


# --- reference lookups -------------------------------------------------------------------------------------


def _plain(text: str) -> str:
    """Upper case without accents, single spaces: ``Michoacán de Ocampo`` -> ``MICHOACAN DE OCAMPO``."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(folded.upper().split())


@lru_cache(maxsize=1)
def _state_codes() -> dict[str, str]:
    """State name (INEGI, CONAPO and DGIS spellings, accents folded) or code -> ``cve_ent``."""
    st = reference.states()
    names = {_plain(n): c for n, c in zip(st["name"], st["cve_ent"], strict=True)}
    names.update({c: c for c in st["cve_ent"]} | {str(int(c)): c for c in st["cve_ent"]})
    names.update({"MEXICO": "15", "ESTADO DE MEXICO": "15", "QUERETARO DE ARTEAGA": "22",
                  "DISTRITO FEDERAL": "09"})
    return names


@lru_cache(maxsize=1)
def _municipality_2020() -> dict[str, str]:
    """Municipal key -> its key in the 2020 frame (itself, or the parent of a municipality created since)."""
    known = {c: c for c in reference.municipalities()["cvegeo"]}
    cat = reference.clues_catalogue()
    moved = cat[cat["cvegeo"] != cat["cvegeo_2020"]].drop_duplicates("cvegeo")
    return known | dict(zip(moved["cvegeo"], moved["cvegeo_2020"], strict=True))


@lru_cache(maxsize=1)
def _outlines() -> dict[str, object]:
    """Prepared shapely geometry of each state outline (``data/reference/states.geojson``)."""
    features = json.loads(reference.states_geojson_path().read_text(encoding="utf-8"))["features"]
    out = {}
    for feat in features:
        geom = shape(feat["geometry"])
        prepare(geom)
        out[feat["properties"]["cve_ent"]] = geom
    return out


# --- checking rows -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    """One workbook row that passed every check, in catalogue terms."""

    row: int
    clues: str
    name: str
    cve_ent: str
    cvegeo: str
    lat: float
    lon: float
    status: str
    typology: str
    level: str
    start_year: int | None


def check_rows(frame: pd.DataFrame, file: str, institution: str | None = None,
               lang: str | None = None) -> tuple[list[_Row], list[Reject], list[Reject]]:
    """Check every row; returns (kept rows, rejected rows, rows set aside as out of scope), one reason each."""
    kept: list[_Row] = []
    rejected: list[Reject] = []
    skipped: list[Reject] = []
    first_row: dict[str, int] = {}
    for i, cells in enumerate(frame.to_dict("records")):
        row = i + 2
        problem = _row_problem(cells, row, first_row, lang)
        if problem is not None:
            rejected.append(Reject(file, row, problem[0], problem[1], problem[2]))
            continue
        key = cells["CLUES"].upper()
        first_row[key] = row
        out_of_scope = _scope_problem(cells, key, institution, lang)
        if out_of_scope is not None:
            skipped.append(Reject(file, row, out_of_scope[0], out_of_scope[1], out_of_scope[2]))
            continue
        kept.append(_to_row(cells, row, key))
    return kept, rejected, skipped


def _row_problem(cells: dict[str, str], row: int, first_row: dict[str, int],
                 lang: str | None) -> tuple[str, str, str] | None:
    """(field, value, reason) of the first problem of a row, or None; the checks run in the order below."""
    for check in (_check_key, _check_state, _check_municipality, _check_name, _check_status, _check_coordinates):
        problem = check(cells, lang)
        if problem is not None:
            return problem
    key = cells["CLUES"].upper()
    if key in first_row:
        return "CLUES", key, t("clues.reject.duplicate", lang, first=first_row[key])
    return None


def _state_of(cells: dict[str, str]) -> str | None:
    raw = cells.get("CLAVE DE LA ENTIDAD") or cells.get("ENTIDAD", "")
    return _state_codes().get(_plain(raw)) or _state_codes().get(_plain(cells.get("ENTIDAD", "")))


def _check_key(cells: dict[str, str], lang: str | None) -> tuple[str, str, str] | None:
    key = cells["CLUES"].upper()
    if not CLUES_RE.match(key):
        return "CLUES", cells["CLUES"], t("clues.reject.key_shape", lang)
    return None


def _check_state(cells: dict[str, str], lang: str | None) -> tuple[str, str, str] | None:
    ent = _state_of(cells)
    column = "CLAVE DE LA ENTIDAD" if cells.get("CLAVE DE LA ENTIDAD") else "ENTIDAD"
    if ent is None:
        return column, cells.get(column, ""), t("clues.reject.state_unknown", lang)
    key = cells["CLUES"].upper()
    if key[:2] != RENAPO_CODES[ent]:
        return "CLUES", key, t("clues.reject.state_key", lang, letters=key[:2], code=RENAPO_CODES[ent],
                               state=cells.get(column, ""))
    return None


def _check_municipality(cells: dict[str, str], lang: str | None) -> tuple[str, str, str] | None:
    raw = cells["CLAVE DEL MUNICIPIO"]
    ent = _state_of(cells) or ""
    if not raw.isdigit() or f"{ent}{int(raw):03d}" not in _municipality_2020():
        return "CLAVE DEL MUNICIPIO", raw, t("clues.reject.municipality", lang, state=ent)
    return None


def _check_name(cells: dict[str, str], lang: str | None) -> tuple[str, str, str] | None:
    if not cells["NOMBRE DE LA UNIDAD"]:
        return "NOMBRE DE LA UNIDAD", "", t("clues.reject.name", lang)
    return None


def _check_status(cells: dict[str, str], lang: str | None) -> tuple[str, str, str] | None:
    status = _plain(cells["ESTATUS DE OPERACION"])
    if status not in STATUS_BY_CLUES:
        return "ESTATUS DE OPERACION", cells["ESTATUS DE OPERACION"], t(
            "clues.reject.status", lang, valid=", ".join(STATUS_BY_CLUES))
    return None


def _check_coordinates(cells: dict[str, str], lang: str | None) -> tuple[str, str, str] | None:
    values = {}
    for column in ("LATITUD", "LONGITUD"):
        try:
            values[column] = float(cells[column])
        except ValueError:
            return column, cells[column], t("clues.reject.not_a_number", lang)
        if not np.isfinite(values[column]):
            return column, cells[column], t("clues.reject.not_a_number", lang)
    lat, lon = values["LATITUD"], values["LONGITUD"]
    if not (MEXICO_LAT[0] <= lat <= MEXICO_LAT[1]):
        return "LATITUD", cells["LATITUD"], t("clues.reject.outside_mexico", lang)
    if not (MEXICO_LON[0] <= lon <= MEXICO_LON[1]):
        return "LONGITUD", cells["LONGITUD"], t("clues.reject.outside_mexico", lang)
    ent = _state_of(cells) or ""
    outline = _outlines().get(ent)
    if outline is not None:
        km = outline.distance(Point(lon, lat)) * 111.0 * max(np.cos(np.radians(lat)), 0.5)
        if km > OUTLINE_TOLERANCE_KM:
            return "LATITUD", f"{lat}, {lon}", t("clues.reject.outside_state", lang, km=f"{km:.0f}",
                                                  state=cells.get("ENTIDAD", ent))
    return None


def _scope_problem(cells: dict[str, str], key: str, institution: str | None,
                   lang: str | None) -> tuple[str, str, str] | None:
    """(field, value, reason) when a valid row is outside what is imported: another institution, a unit type
    the models do not plan for."""
    if institution and key[2:5] != institution.upper():
        return "CLUES", key, t("clues.skip.institution", lang, found=key[2:5], wanted=institution.upper())
    if _kind(cells["NOMBRE DE TIPOLOGIA"], _plain(cells["NIVEL ATENCION"])) is None:
        return "NOMBRE DE TIPOLOGIA", cells["NOMBRE DE TIPOLOGIA"], t("clues.skip.typology", lang)
    return None


def _kind(typology: str, level: str) -> str | None:
    """``hospital`` for a hospital typology, ``umf`` for a fixed first-level unit, None for anything else."""
    if any(w in typology.upper() for w in NOT_PLANNED_WORDS) or typology.upper() in NOT_PRIMARY_CARE:
        return None
    if "HOSPITAL" in typology.upper():
        return "hospital"
    return "umf" if level == "PRIMER NIVEL" else None


def _to_row(cells: dict[str, str], row: int, key: str) -> _Row:
    ent = _state_of(cells) or ""
    start = pd.to_datetime(cells.get("FECHA DE INICIO DE OPERACION", ""), dayfirst=True, errors="coerce")
    return _Row(row=row, clues=key, name=cells["NOMBRE DE LA UNIDAD"], cve_ent=ent,
                cvegeo=_municipality_2020()[f"{ent}{int(cells['CLAVE DEL MUNICIPIO']):03d}"],
                lat=float(cells["LATITUD"]), lon=float(cells["LONGITUD"]),
                status=STATUS_BY_CLUES[_plain(cells["ESTATUS DE OPERACION"])],
                typology=cells["NOMBRE DE TIPOLOGIA"], level=_plain(cells["NIVEL ATENCION"]),
                start_year=None if pd.isna(start) else int(start.year))


# --- applying to a catalogue -------------------------------------------------------------------------------


def apply_clues(facilities: pd.DataFrame, frame: pd.DataFrame, file: str, institution: str | None = None,
                lang: str | None = None) -> tuple[pd.DataFrame, ChangeReport]:
    """The facility table after importing ``frame`` (DGIS rows), and what changed.

    ``facilities`` has the columns of :class:`optimizer.domain.Facility`; rows are never removed.
    """
    report = ChangeReport(file=file, rows_read=len(frame),
                          row_keys={i + 2: str(k) for i, k in enumerate(frame["CLUES"])})
    kept, report.rejected, report.skipped = check_rows(frame, file, institution, lang)
    out = facilities.copy().reset_index(drop=True)
    for col in ("typology", "level"):
        if col not in out.columns:
            out[col] = None
    index = {k: i for i, k in enumerate(out["clues"])}
    new_rows = []
    for unit in kept:
        if unit.clues not in index:
            candidate = _new_facility(unit)
            problem = _facility_problem(candidate)
            if problem:
                report.rejected.append(Reject(file, unit.row, "CLUES", unit.clues, problem))
                continue
            new_rows.append(candidate)
            (report.closed if unit.status == "closed" else report.added).append(unit.clues)
            continue
        _update(out, index[unit.clues], unit, report)
    _close_unlisted(out, kept, report)
    if new_rows:
        out = pd.concat([out, pd.DataFrame(new_rows)], ignore_index=True)
    return out, report


def _update(out: pd.DataFrame, i: int, unit: _Row, report: ChangeReport) -> None:
    """Overwrite the catalogue fields of row ``i`` when they differ from ``unit``; record the action."""
    new = {"name": unit.name, "cve_ent": unit.cve_ent, "cvegeo": unit.cvegeo, "lat": unit.lat, "lon": unit.lon,
           "status": unit.status, "typology": unit.typology, "level": unit.level}
    old = out.loc[i, list(CATALOGUE_FIELDS)].to_dict()
    changed = {k: v for k, v in new.items() if not _same(old[k], v)}
    if not changed:
        report.unchanged.append(unit.clues)
        return
    if changed.get("cvegeo"):
        out.loc[i, "marginalisation_degree"] = _degree(unit.cvegeo)
    for k, v in changed.items():
        out.loc[i, k] = v
    (report.closed if changed.get("status") == "closed" else report.updated).append(unit.clues)


def _same(old: object, new: object) -> bool:
    """Equal as catalogue values: coordinates to 1e-7 degrees (about 1 cm), a blank cell equals ''."""
    if isinstance(new, float):
        try:
            return abs(float(old) - new) < 1e-7  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
    if old is None or (isinstance(old, float) and np.isnan(old)):
        old = ""
    return str(old) == new


def _close_unlisted(out: pd.DataFrame, kept: list[_Row], report: ChangeReport) -> None:
    """Mark ``closed`` the hospitals and primary-care units of the file's institutions and states that the file
    no longer lists (the file is the whole catalogue of what it covers); other units are left alone."""
    if not kept:
        return
    listed = {u.clues for u in kept}
    scope = {(u.clues[:2], u.clues[2:5]) for u in kept}
    keys = out["clues"].astype(str)
    in_scope = pd.Series([(k[:2], k[2:5]) in scope for k in keys], index=out.index)
    gone = in_scope & ~keys.isin(listed) & out["kind"].isin(["hospital", "umf"]) & out["status"].ne("closed")
    out.loc[gone, "status"] = "closed"
    report.closed += keys[gone].tolist()


def _degree(cvegeo: str) -> str:
    mun = reference.municipalities().set_index("cvegeo")
    return str(mun.loc[cvegeo, "marginalisation_degree_2020"])


def _new_facility(unit: _Row) -> dict[str, object]:
    """A facility row for a unit new to the catalogue, sized by the generator's typology rules at the middle of
    each range (deterministic: the same file gives the same catalogue)."""
    kind = "hospital" if "HOSPITAL" in unit.typology.upper() else "umf"
    beds = 0
    rooms = bays = 0
    if kind == "hospital":
        lo, hi = BEDS_BY_TYPOLOGY.get(unit.typology, (12, 30))
        beds = (lo + hi) // 2
        per, rmin, rmax = ROOMS_BY_TYPOLOGY.get(unit.typology, (25.0, 1, 6))
        rooms = int(np.clip(round(beds / per), rmin, rmax))
        bays = max(2 if rooms else 1, beds // BEDS_PER_EMERGENCY_BAY)
    degree = _degree(unit.cvegeo)
    window = (7 * 60, 19 * 60) if kind == "hospital" else (8 * 60, 16 * 60)
    return {"clues": unit.clues, "name": unit.name, "kind": kind, "cve_ent": unit.cve_ent, "cvegeo": unit.cvegeo,
            "lat": unit.lat, "lon": unit.lon, "beds": beds, "operating_rooms": rooms, "emergency_bays": bays,
            "marginalisation_degree": degree, "remote": degree == "Muy alto", "program": False,
            "status": unit.status, "opening_year": unit.start_year or 2000, "open_minute": window[0],
            "close_minute": window[1], "typology": unit.typology, "level": unit.level}


def _facility_problem(row: dict[str, object]) -> str | None:
    """The domain model's objection to a new facility row, or None when it is a valid Facility."""
    try:
        Facility(**row)
    except ValidationError as exc:
        err = exc.errors()[0]
        return f"{'.'.join(str(x) for x in err['loc']) or 'row'}: {err['msg']}"
    return None


# --- targets: a dataset folder or the store ----------------------------------------------------------------


def import_into_dataset(path: Path, dataset: Path, institution: str | None = None,
                        lang: str | None = None) -> ChangeReport:
    """Import DGIS's file into ``dataset/facilities.csv`` (rewritten in place, rows never removed; unchanged
    rows keep their text exactly)."""
    target = Path(dataset) / "facilities.csv"
    if not target.is_file():
        raise DataFileError(msg("data.clues.no_target", file=str(target), dataset=str(dataset)))
    current = pd.read_csv(target, dtype=str, keep_default_na=False)
    out, report = apply_clues(current, read_workbook(path), Path(path).name, institution, lang)
    if report.added or report.updated or report.closed:
        tmp = target.with_suffix(".csv.tmp")
        out.to_csv(tmp, index=False)
        tmp.replace(target)
    return report


def import_into_store(path: Path, url: str | None = None, institution: str | None = None,
                      lang: str | None = None) -> ChangeReport:
    """Import DGIS's file into the store's ``facilities`` table (upserts only the added, updated and closed
    units; nothing is deleted)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from optimizer.data.store import FacilityRow, init_db, upsert

    engine = init_db(url)
    columns = list(Facility.model_fields)
    with Session(engine) as session:
        rows = session.execute(select(FacilityRow)).scalars().all()
        current = pd.DataFrame([{c: getattr(r, c) for c in columns} for r in rows], columns=columns)
        out, report = apply_clues(current, read_workbook(path), Path(path).name, institution, lang)
        changed = set(report.added) | set(report.updated) | set(report.closed)
        records = out[out["clues"].isin(changed)].to_dict("records")
        upsert(session, FacilityRow, [Facility(**_clean(r)).model_dump(mode="json") for r in records])
        session.commit()
    return report


def _clean(record: dict[str, object]) -> dict[str, object]:
    """A DataFrame record with NaN cells as None (pydantic reads None as 'not given')."""
    return {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in record.items()}
