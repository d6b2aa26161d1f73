"""The typed what-if a planner sends: what to change in a base scenario, with states, hospitals and depots
named as people name them.

:class:`ScenarioOverrides` is the request body's ``overrides`` (fully typed in the OpenAPI: every model
section is that model's own settings class). It is a JSON merge patch of the base (RFC 7396): only the keys the
caller sends are merged into the base, and a ``null`` removes a key so the product's default applies (the
``null`` are set aside before validation, since a setting typed ``float`` takes none, and put back in
:meth:`ScenarioOverrides.patch`). States may be given by name (``"Oaxaca"``, any case, accents optional) or code
(``"20"``); hospitals by CLUES key or exact name; depots by id or name. :func:`to_yaml_overrides` turns
names into the codes the scenario file uses and refuses, at save time, references to things the network
does not have (an unknown depot is answered 400 naming it).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)
from sqlalchemy import Engine, select

from api.errors import ApiError
from optimizer.access.settings import AccessSettings
from optimizer.capacity.settings import CapacitySettings
from optimizer.data import reference
from optimizer.data.store import DepotRow, FacilityRow, MedicineRow
from optimizer.deployment.settings import DeploymentSettings
from optimizer.distribution.settings import DistributionSettings
from optimizer.domain import Specialty
from optimizer.rostering.hospital import HospitalRules
from optimizer.scenarios.schema import PLANNED_2025, DatasetSource, ModelName, RosteringRun


class _Edit(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DemandRule(_Edit):
    """Multiply demand matching every given selector (empty selector: everything)."""

    factor: float = Field(ge=0, le=100, description="demand multiplier (1.3 = +30%)")
    states: list[str] = Field(default_factory=list, description="state names ('Oaxaca') or codes ('20')")
    specialties: list[Specialty] = Field(default_factory=list, description="surgical specialties")
    groups: list[str] = Field(default_factory=list, description="medicine groups (medicines.csv 'group')")
    skus: list[str] = Field(default_factory=list, description="medicine catalogue keys")
    months: list[int] = Field(default_factory=list, description="1..12; empty = all year")


class FacilityEdits(_Edit):
    """Hospitals or planned units opened, open facilities closed."""

    open: list[str] = Field(default_factory=list,
                            description=f"planned facilities to open: CLUES, exact name, or '{PLANNED_2025}'")
    close: list[str] = Field(default_factory=list, description="open facilities to close: CLUES or exact name")
    join_program: bool | None = Field(None, description="opened hospitals join the Médicos del Bienestar program")
    catchment_share: float | None = Field(None, ge=0, le=1,
                                          description="share of the nearest program hospital's demand it takes")


class DepotEdits(_Edit):
    """Depot outages."""

    close: list[str] = Field(default_factory=list, description="depots to close: id (D003) or name")


class RecruitEdits(_Edit):
    """The recruited pool: its size, specialty mix, home states and asked incentives."""

    size: int | None = Field(None, ge=0, le=100_000, description="people in the pool")
    specialty_mix: dict[Specialty, float] | None = Field(None, description="share by specialty")
    origin: dict[str, float] | None = Field(None, description="share by home state (name or code)")
    incentive_factor: float | None = Field(None, ge=0, le=10, description="multiplies each recruit's incentive")


class ScenarioOverrides(_Edit):
    """What changes from the base scenario, as a JSON merge patch (RFC 7396) of it: a key not sent keeps the
    base's value; mappings merge key by key; lists and values replace; an explicit `null` removes the key, so
    the value is the product's default, as in a scenario file that does not set it (e.g.
    `{"deployment": {"budget_mxn_month": null}}` runs with no budget limit, `{"demand": null}` with no demand
    change, `{"deployment": null}` with every deployment setting at its default). Inside a list item (a demand
    rule) a `null` is the item's default, as if not sent. POST, PUT and `/scenarios/check` all read it so."""

    # read and written in the same shape: one typed schema in the OpenAPI for requests and responses
    model_config = ConfigDict(extra="forbid", json_schema_mode_override="validation")

    _sent: dict[str, Any] = PrivateAttr(default_factory=dict)
    _nulls: list[tuple[str, ...]] = PrivateAttr(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _set_aside_nulls(cls, data: Any, handler: ModelWrapValidatorHandler[ScenarioOverrides]) -> ScenarioOverrides:
        """Validate the patch without its ``null`` keys (a setting typed ``float`` takes no ``null``); keep the
        keys sent and where the ``null`` were, for :meth:`patch`."""
        if not isinstance(data, dict):
            return handler(data)
        sent = _without_nulls(data)
        model = handler(sent)
        model._sent, model._nulls = sent, list(_null_paths(data, ()))
        return model

    @model_serializer(mode="wrap")
    def _as_patch(self, handler: SerializerFunctionWrapHandler):  # no return type: it would untype the OpenAPI
        """Serialised as sent: the keys given (validated values), ``null`` where a key is reset; never the
        defaults of keys not sent, which would override the base's values."""
        return _with_nulls(_only_sent(self._sent, handler(self)), self._nulls)

    def patch(self) -> dict[str, Any]:
        """The merge patch: the keys sent (JSON-ready), with ``None`` where the caller sent ``null``."""
        return self.model_dump(mode="json")

    seed: int | None = Field(None, ge=0)
    planning_month: int | None = Field(None, ge=1, le=12)
    planning_year: int | None = Field(None, ge=2000, le=2100)
    dataset: DatasetSource | None = None
    models: list[ModelName] | None = None
    demand: list[DemandRule] | None = Field(None, description="demand multipliers (replace the base's list)")
    facilities: FacilityEdits | None = None
    depots: DepotEdits | None = None
    recruits: RecruitEdits | None = None
    labour: HospitalRules | None = None
    deployment: DeploymentSettings | None = None
    capacity: CapacitySettings | None = None
    rostering: RosteringRun | None = None
    distribution: DistributionSettings | None = None
    access: AccessSettings | None = None


def _null_paths(data: dict[str, Any], at: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """Where ``data`` holds a ``None`` (nested mappings only: list items are whole values, not patches)."""
    for key, value in data.items():
        if value is None:
            yield (*at, key)
        elif isinstance(value, dict):
            yield from _null_paths(value, (*at, key))


def _without_nulls(value: Any) -> Any:
    """``value`` without its ``None`` mapping values, at any depth (list items included)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _only_sent(sent: Any, dumped: Any) -> Any:
    """``dumped`` (the validated model, every default filled in) cut to the keys of ``sent`` at every depth
    (a section's validator may complete a map, e.g. the deployment's bonus by degree: only the degrees sent
    are overrides)."""
    if isinstance(sent, dict) and isinstance(dumped, dict):
        return {k: _only_sent(v, dumped[k]) for k, v in sent.items() if k in dumped}
    if isinstance(sent, list) and isinstance(dumped, list) and len(sent) == len(dumped):
        return [_only_sent(s, d) for s, d in zip(sent, dumped, strict=True)]
    return dumped


def _with_nulls(patch: dict[str, Any], nulls: list[tuple[str, ...]]) -> dict[str, Any]:
    """``patch`` with ``None`` put back at each of ``nulls``."""
    for path in nulls:
        node = patch
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = None
    return patch


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a name (``'Michoacán'`` -> ``'michoacan'``)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.lower().split())


#: Everyday names of states whose official name is longer (folded as :func:`fold` folds them).
STATE_ALIASES: dict[str, str] = {"coahuila": "05", "michoacan": "16", "veracruz": "30", "estado de mexico": "15",
                                 "edomex": "15", "cdmx": "09", "df": "09"}


def state_code(value: str) -> str:
    """The CVE_ENT code of a state named or coded by ``value``; 400 naming it when there is none."""
    states = reference.states()
    if value.strip().isdigit() and value.strip().zfill(2) in set(states["cve_ent"]):
        return value.strip().zfill(2)
    by_name = {fold(n): c for n, c in zip(states["name"], states["cve_ent"], strict=True)}
    by_name |= {fold(a): c for a, c in zip(states["abbreviation"], states["cve_ent"], strict=True)}
    by_name |= STATE_ALIASES
    code = by_name.get(fold(value))
    if code is None:
        raise ApiError(400, f"'{value}' is not a Mexican state (name or code 01..32)",
                       key="api.scenario.unknown_state", state=value)
    return code


@dataclass
class Network:
    """The facilities and depots a scenario may name (from its dataset folder, else from the store)."""

    facilities: pd.DataFrame  # clues, name, status
    depots: pd.DataFrame  # depot_id, name

    @classmethod
    def load(cls, engine: Engine, dataset_path: str | None) -> Network:
        folder = Path(dataset_path) if dataset_path else None
        if folder is not None and (folder / "facilities.csv").exists() and (folder / "depots.csv").exists():
            fac = pd.read_csv(folder / "facilities.csv", dtype=str, usecols=["clues", "name", "status"])
            dep = pd.read_csv(folder / "depots.csv", dtype=str, usecols=["depot_id", "name"])
            return cls(fac, dep)
        with engine.connect() as conn:
            fac = pd.DataFrame(conn.execute(select(FacilityRow.clues, FacilityRow.name, FacilityRow.status)).all(),
                               columns=["clues", "name", "status"])
            dep = pd.DataFrame(conn.execute(select(DepotRow.depot_id, DepotRow.name)).all(),
                               columns=["depot_id", "name"])
        return cls(fac, dep)

    def facility(self, value: str, field: str) -> str:
        """CLUES of the facility ``value`` names (key or exact name, accents optional); 400 naming it."""
        if value == PLANNED_2025 or value in set(self.facilities["clues"]):
            return value
        hits = self.facilities[self.facilities["name"].map(fold) == fold(value)]
        if len(hits) == 1:
            return str(hits["clues"].iloc[0])
        if len(hits) > 1:
            raise ApiError(400, f"{field}: '{value}' names {len(hits)} facilities; give its CLUES key",
                           key="api.scenario.ambiguous_facility", field=field, facility=value, count=len(hits))
        raise ApiError(400, f"{field}: there is no facility '{value}' in the network",
                       key="api.scenario.unknown_facility", field=field, facility=value)

    def depot(self, value: str) -> str:
        """Id of the depot ``value`` names (id or name); 400 naming it."""
        if value in set(self.depots["depot_id"]):
            return value
        hits = self.depots[self.depots["name"].map(fold) == fold(value)]
        if len(hits) == 1:
            return str(hits["depot_id"].iloc[0])
        known = ", ".join(sorted(self.depots["depot_id"]))
        raise ApiError(400, f"depots.close: there is no depot '{value}' (depots: {known})",
                       key="api.scenario.unknown_depot", depot=value, known=known)


def to_yaml_overrides(edits: ScenarioOverrides, network_for: Any) -> dict[str, Any]:
    """The overrides as the scenario file spells them: only the keys sent, names turned into codes.

    ``network_for(dataset_path)`` gives the :class:`Network` references are checked against (loaded only
    when the overrides name facilities or depots).
    """
    out = edits.patch()
    for rule in out.get("demand") or []:
        rule["states"] = [state_code(s) for s in rule.get("states", [])]
    recruits = out.get("recruits") or {}
    if recruits.get("origin"):
        recruits["origin"] = {state_code(k): v for k, v in recruits["origin"].items()}
    fac, dep = out.get("facilities") or {}, out.get("depots") or {}
    if fac.get("open") or fac.get("close") or dep.get("close"):
        network: Network = network_for((out.get("dataset") or {}).get("path"))
        for key in ("open", "close"):
            if fac.get(key):
                fac[key] = [network.facility(v, f"facilities.{key}") for v in fac[key]]
        if dep.get("close"):
            dep["close"] = [network.depot(v) for v in dep["close"]]
    return out


class Choice(BaseModel):
    """One thing a planner picks from a list: its key and the name people know it by."""

    key: str
    name: str
    detail: str = ""
    lat: float | None = Field(None, description="where it is (depots: the route view draws them)")
    lon: float | None = None


class EditorOptions(BaseModel):
    """The lists the what-if editor offers: states, specialties, medicine groups, facilities, depots."""

    states: list[Choice]
    specialties: list[str]
    medicine_groups: list[str]
    hospitals_open: list[Choice] = Field(description="open hospitals (program first) that can be closed")
    planned: list[Choice] = Field(description="planned hospitals and units that can be opened")
    depots: list[Choice]


def editor_options(engine: Engine) -> EditorOptions:
    """The editor's lists, from the reference states and the store's network."""
    states = reference.states()
    with engine.connect() as conn:
        fac = conn.execute(select(FacilityRow.clues, FacilityRow.name, FacilityRow.kind, FacilityRow.status,
                                  FacilityRow.program, FacilityRow.cve_ent)).all()
        deps = conn.execute(select(DepotRow.depot_id, DepotRow.name, DepotRow.lat, DepotRow.lon)).all()
        groups = sorted({g for (g,) in conn.execute(select(MedicineRow.group).distinct()).all() if g})
    names = dict(zip(states["cve_ent"], states["name"], strict=True))
    hospitals = sorted((f for f in fac if f.kind == "hospital" and f.status == "open"),
                       key=lambda f: (not f.program, fold(f.name)))
    planned = sorted((f for f in fac if f.status == "planned"), key=lambda f: fold(f.name))
    return EditorOptions(
        states=[Choice(key=c, name=n) for c, n in sorted(names.items(), key=lambda kv: fold(kv[1]))],
        specialties=[s.value for s in Specialty], medicine_groups=groups,
        hospitals_open=[Choice(key=f.clues, name=f.name, detail=names.get(f.cve_ent, "")) for f in hospitals],
        planned=[Choice(key=f.clues, name=f.name, detail=names.get(f.cve_ent, "")) for f in planned],
        depots=[Choice(key=d.depot_id, name=d.name, lat=d.lat, lon=d.lon) for d in sorted(deps)])
