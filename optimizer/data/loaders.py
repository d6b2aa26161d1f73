"""Load entity tables (CSV, Parquet, XLSX) and validate every row against the pydantic entities.

A row that validates becomes an entity; a row that does not is kept out and reported as one
:class:`~optimizer.data.rejects.Reject` per problem (file, row, field, value, reason). Row numbers count the
header as row 1, so the first data row is row 2 (see :mod:`optimizer.data.rejects`). Entity files are small
(thousands of rows), so each row goes through pydantic; patient records are validated vectorised in
:mod:`optimizer.data.record_checks`.

Beyond each row's own rules, :func:`load_dataset_files` checks natural keys are unique and foreign keys
resolve: a facility's state and municipality, a specialist's ``facility_clues``, a vehicle's ``depot_id``,
a stock row's location (depot or CLUES) and SKU.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ValidationError

from optimizer.data.rejects import FIRST_DATA_ROW, DataFileError, Reject, mask_value
from optimizer.domain import Depot, Facility, Medicine, Specialist, State, Stock, Vehicle
from optimizer.i18n import Said, msg, said, validation_msg
from optimizer.paths import REFERENCE_DIR

#: Entity tables of a dataset folder: file stem -> (entity, natural key columns). Order = load order.
ENTITY_TABLES: dict[str, tuple[type[BaseModel], tuple[str, ...]]] = {
    "states": (State, ("cve_ent",)),
    "facilities": (Facility, ("clues",)),
    "medicines": (Medicine, ("sku",)),
    "depots": (Depot, ("depot_id",)),
    "vehicles": (Vehicle, ("vehicle_id",)),
    "specialists": (Specialist, ("specialist_id",)),
    "stock": (Stock, ("location", "sku")),
}

#: File formats the loaders read, by suffix.
SUFFIXES: tuple[str, ...] = (".csv", ".parquet", ".xlsx")

#: Words in a whole-row (model-level) error message that name a field.
_FIELD_SYNONYMS = {"latitude": "lat", "longitude": "lon"}


@dataclass
class EntityLoad:
    """The outcome of loading one entity file: valid entities (with their row numbers) and rejects."""

    file: str
    model: type[BaseModel]
    key: tuple[str, ...]
    rows_read: int = 0
    entities: list[BaseModel] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        """Valid rows as a DataFrame whose columns are the entity's fields."""
        columns = list(self.model.model_fields)
        return pd.DataFrame([e.model_dump(mode="json") for e in self.entities], columns=columns)

    def drop_rows(self, rows: set[int]) -> None:
        """Remove the entities read from ``rows`` (after a cross-file check rejected them)."""
        keep = [i for i, r in enumerate(self.row_numbers) if r not in rows]
        self.entities = [self.entities[i] for i in keep]
        self.row_numbers = [self.row_numbers[i] for i in keep]


# --- reading -----------------------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    """Normalise a cell from any format: NaN -> None, dates -> ISO text, other values unchanged."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def read_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    """Header and ``(row_number, {column: value})`` pairs of a CSV, Parquet or XLSX file.

    Row numbers count the header as row 1. Raises :class:`DataFileError` when the file is missing or
    its format is not one of :data:`SUFFIXES`.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(msg("data.file.not_found", file=str(path)))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    if suffix == ".xlsx":
        return _read_xlsx(path)
    raise DataFileError(msg("data.file.format", file=path.name, suffix=suffix, allowed=", ".join(SUFFIXES)))


def _read_csv(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        try:
            rows = list(csv.reader(fh))
        except UnicodeDecodeError as exc:
            raise DataFileError(msg("data.file.not_utf8", file=path.name)) from exc
        except csv.Error as exc:
            raise DataFileError(msg("data.file.not_csv", file=path.name, detail=str(exc))) from exc
    if not rows:
        raise DataFileError(msg("data.file.empty", file=path.name))
    header = [h.strip() for h in rows[0]]

    def gen() -> Iterator[tuple[int, dict[str, Any]]]:
        for i, values in enumerate(rows[1:]):
            if not any(v.strip() for v in values):
                continue  # blank line
            row: dict[str, Any] = dict(zip(header, values, strict=False))
            if len(values) != len(header):
                row["__width__"] = said("data.reject.width", fields=len(values), header=len(header))
            yield i + FIRST_DATA_ROW, row

    return header, gen()


def _read_parquet(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise DataFileError(msg("data.file.not_parquet", file=path.name)) from exc
    header = list(table.column_names)
    records = table.to_pylist()

    def gen() -> Iterator[tuple[int, dict[str, Any]]]:
        for i, rec in enumerate(records):
            yield i + FIRST_DATA_ROW, {k: _cell(v) for k, v in rec.items()}

    return header, gen()


def _read_xlsx(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException
        raise DataFileError(msg("data.file.not_xlsx", file=path.name)) from exc
    sheet = wb.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    wb.close()
    if not rows:
        raise DataFileError(msg("data.file.empty", file=path.name))
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    while header and header[-1] == "":
        header.pop()

    def gen() -> Iterator[tuple[int, dict[str, Any]]]:
        for i, values in enumerate(rows[1:]):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            yield i + FIRST_DATA_ROW, {h: _cell(v) for h, v in zip(header, values, strict=False)}

    return header, gen()


# --- validating one file -----------------------------------------------------------------------------------


def _check_header(file: str, header: list[str], model: type[BaseModel]) -> None:
    fields = model.model_fields
    missing = [name for name, f in fields.items() if f.is_required() and name not in header]
    unknown = [h for h in header if h not in fields]
    if missing or unknown:
        key = "data.header.both" if missing and unknown else ("data.header.missing" if missing else
                                                               "data.header.unknown")
        problem = msg(key, missing=", ".join(f"'{c}'" for c in missing), unknown=", ".join(f"'{c}'" for c in unknown))
        raise DataFileError(msg("data.file.header", file=file, problems=problem, columns=", ".join(fields)))


def _field_of(message: str, model: type[BaseModel]) -> str:
    """The field a whole-row validator's message is about (first field name it mentions)."""
    for word in re.findall(r"[a-z_]+", message):
        if word in model.model_fields:
            return word
        if word in _FIELD_SYNONYMS:
            return _FIELD_SYNONYMS[word]
    return "(row)"


def _reason(err: dict[str, Any], raw: str, shown: str) -> str:
    """Why a row's field was refused: the catalogue's words for pydantic's typed errors, the entity's own
    (English) text for its validators; a masked identity value never appears in either."""
    if err.get("type") == "string_pattern_mismatch":  # the pattern of an identifier (SKU, date), said as it is
        return said("data.reject.pattern", pattern=str((err.get("ctx") or {}).get("pattern", "")))
    explained = validation_msg(err)
    if explained.key != "common.text":
        return Said(explained)
    text = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return text.replace(raw, shown) if raw and shown != raw else text


def validate_rows(
    file: str, rows: Iterator[tuple[int, dict[str, Any]]], model: type[BaseModel], load: EntityLoad
) -> None:
    """Validate each row with ``model``; append entities or rejects to ``load``."""
    fields = set(model.model_fields)
    for row_no, raw in rows:
        load.rows_read += 1
        width = raw.pop("__width__", None)
        if width is not None:
            load.rejects.append(Reject(file, row_no, "(row)", "", width))
            continue
        data = {k: v for k, v in raw.items() if k in fields}
        try:
            load.entities.append(model.model_validate(data))
            load.row_numbers.append(row_no)
        except ValidationError as exc:
            for err in exc.errors():
                loc = err.get("loc") or ()
                name = str(loc[0]) if loc else _field_of(str(err["msg"]), model)
                value = raw.get(name, "")
                shown = mask_value(name, value)
                load.rejects.append(Reject(file, row_no, name, shown, _reason(err, str(value).strip(), shown)))


def _check_unique(load: EntityLoad) -> None:
    first: dict[tuple[Any, ...], int] = {}
    dup_rows: set[int] = set()
    for ent, row_no in zip(load.entities, load.row_numbers, strict=True):
        key = tuple(getattr(ent, k) for k in load.key)
        if key in first:
            dup_rows.add(row_no)
            load.rejects.append(Reject(load.file, row_no, load.key[-1], "/".join(map(str, key)),
                                       said("data.reject.duplicate", key="+".join(load.key), row=first[key])))
        else:
            first[key] = row_no
    load.drop_rows(dup_rows)


def load_entities(path: Path, model: type[BaseModel] | None = None) -> EntityLoad:
    """Read and validate one entity file; the entity is inferred from the file name when not given.

    Raises :class:`DataFileError` when the file cannot be read or its header does not fit the entity.
    """
    path = Path(path)
    stem = path.stem.lower()
    if model is None:
        if stem not in ENTITY_TABLES:
            raise DataFileError(msg("data.file.unknown_table", file=path.name, tables=", ".join(ENTITY_TABLES)))
        model, key = ENTITY_TABLES[stem]
    else:
        key = next((k for m, k in ENTITY_TABLES.values() if m is model), tuple(model.model_fields)[:1])
    header, rows = read_rows(path)
    _check_header(path.name, header, model)
    load = EntityLoad(path.name, model, key)
    validate_rows(path.name, rows, model, load)
    _check_unique(load)
    return load


# --- a dataset folder: files + cross-file checks -----------------------------------------------------------


@lru_cache(maxsize=1)
def reference_municipalities() -> frozenset[str]:
    """INEGI municipality keys (cvegeo) of the 2020 census, from ``data/reference/municipalities.csv``."""
    df = pd.read_csv(REFERENCE_DIR / "municipalities.csv", dtype={"cvegeo": str}, usecols=["cvegeo"])
    return frozenset(df["cvegeo"])


def find_table(folder: Path, stem: str) -> Path | None:
    """The file of table ``stem`` in ``folder`` (``.csv``, ``.parquet`` or ``.xlsx``), if any."""
    for suffix in SUFFIXES:
        p = Path(folder) / f"{stem}{suffix}"
        if p.is_file():
            return p
    return None


def _fk(load: EntityLoad, attr: str, allowed: set[str] | frozenset[str], what: str) -> None:
    """Reject rows whose ``attr`` is not in ``allowed``; ``what`` names the reference (``data.reject.unknown.*``)."""
    bad: set[int] = set()
    for ent, row_no in zip(load.entities, load.row_numbers, strict=True):
        value = getattr(ent, attr)
        if value is not None and value not in allowed:
            bad.add(row_no)
            load.rejects.append(Reject(load.file, row_no, attr, str(value), said(f"data.reject.unknown.{what}")))
    load.drop_rows(bad)


def _keys(load: EntityLoad | None, attr: str) -> set[str]:
    return set() if load is None else {getattr(e, attr) for e in load.entities}


def _require(loads: dict[str, EntityLoad], needer: str, needed: str) -> None:
    if needer in loads and needed not in loads:
        raise DataFileError(msg("data.file.needs", file=loads[needer].file, needed=needed))


def check_foreign_keys(loads: dict[str, EntityLoad]) -> None:
    """Reject rows whose references do not resolve to a valid row of another table (in place)."""
    for needer, needed in (("vehicles", "depots"), ("specialists", "facilities"), ("stock", "facilities"),
                           ("stock", "medicines"), ("stock", "depots")):
        _require(loads, needer, needed)
    munis = reference_municipalities()
    if "facilities" in loads:
        if "states" in loads:
            _fk(loads["facilities"], "cve_ent", _keys(loads["states"], "cve_ent"), "state")
        _fk(loads["facilities"], "cvegeo", munis, "municipality")
    if "depots" in loads and "states" in loads:
        _fk(loads["depots"], "cve_ent", _keys(loads["states"], "cve_ent"), "state")
    if "vehicles" in loads:
        _fk(loads["vehicles"], "depot_id", _keys(loads["depots"], "depot_id"), "depot")
    if "specialists" in loads:
        spec = loads["specialists"]
        _fk(spec, "home_cvegeo", munis, "municipality")
        _fk(spec, "facility_clues", _keys(loads["facilities"], "clues"), "facility")
        _unique_attr(spec, "curp")
    if "stock" in loads:
        places = _keys(loads["facilities"], "clues") | _keys(loads["depots"], "depot_id")
        _fk(loads["stock"], "location", places, "location")
        _fk(loads["stock"], "sku", _keys(loads["medicines"], "sku"), "medicine")


def _unique_attr(load: EntityLoad, attr: str) -> None:
    seen: dict[str, int] = {}
    bad: set[int] = set()
    for ent, row_no in zip(load.entities, load.row_numbers, strict=True):
        value = getattr(ent, attr)
        if value in seen:
            bad.add(row_no)
            load.rejects.append(Reject(load.file, row_no, attr, mask_value(attr, value),
                                       said("data.reject.same_person", row=seen[value], field=attr)))
        else:
            seen[value] = row_no
    load.drop_rows(bad)


@dataclass
class ValidatedTables:
    """Every entity table found in a dataset folder, validated and cross-checked."""

    folder: Path
    loads: dict[str, EntityLoad]

    @property
    def rejects(self) -> list[Reject]:
        """All rejects, file by file in load order."""
        return [r for load in self.loads.values() for r in load.rejects]

    def counts(self) -> dict[str, dict[str, int]]:
        """Rows read, kept and rejected (distinct rows) per table."""
        return {
            name: {"read": ld.rows_read, "kept": len(ld.entities),
                   "rejected": len({r.row for r in ld.rejects})}
            for name, ld in self.loads.items()
        }


def load_dataset_files(folder: Path) -> ValidatedTables:
    """Validate every entity table in ``folder`` (``facilities`` is required; the others when present)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataFileError(msg("data.file.not_folder", folder=str(folder)))
    loads: dict[str, EntityLoad] = {}
    for stem in ENTITY_TABLES:
        path = find_table(folder, stem)
        if path is not None:
            loads[stem] = load_entities(path)
    if "facilities" not in loads:
        raise DataFileError(msg("data.file.no_facilities", folder=str(folder)))
    check_foreign_keys(loads)
    return ValidatedTables(folder, loads)
