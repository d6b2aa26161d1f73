"""Scenarios (planners): list, read, validate; create, edit, copy and delete the planner's own what-ifs.

A what-if is a base scenario plus typed overrides (:mod:`api.routers.scenarios_overrides`), saved as a
runnable YAML file beside a small ``<name>.meta.json`` that keeps what the planner typed (title, base,
overrides with names), so the page can open it again for editing. Built-in scenarios are read-only.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api import scenario_files as sf
from api.auth import Scope, require
from api.errors import AUTH_RESPONSES, BAD_REQUEST, CONFLICT, NOT_FOUND, ApiError, request_lang, scrub_paths
from api.inputs import MAX_YAML_CHARS, InputTooLarge, read_scenario
from api.routers.scenarios_overrides import (
    EditorOptions,
    Network,
    ScenarioOverrides,
    editor_options,
    fold,
    to_yaml_overrides,
)
from optimizer.scenarios.yamlfile import ScenarioError

router = APIRouter(prefix="/scenarios", tags=["scenarios"], responses=AUTH_RESPONSES,
                   dependencies=[Depends(require(Scope.SCENARIOS))])


class ScenarioSummary(BaseModel):
    name: str
    title: str = Field("", description="the planner's own name for it (the file name when none was given)")
    builtin: bool
    valid: bool
    description: str = ""
    models: list[str] = Field(default_factory=list)
    error: str | None = None


class ScenarioDetail(ScenarioSummary):
    yaml: str
    resolved: dict[str, Any] | None = Field(None, description="the scenario with every default filled in")
    base: str | None = Field(None, description="the scenario it was made from (saved what-ifs)")
    overrides: ScenarioOverrides | None = Field(None, description="what the planner changed, as sent (only the keys "
                                                "sent; `null` where a key was reset to its default)")
    updated: datetime | None = None


class ValidateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    yaml: str = Field(max_length=MAX_YAML_CHARS,
                      description="scenario YAML text (no anchors or aliases; `dataset.path` is a dataset id)")


class ValidationResult(BaseModel):
    valid: bool
    errors: list[str] = Field(default_factory=list, description="one line per problem, with its YAML line")
    resolved: dict[str, Any] | None = None


class CreateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, pattern=sf.NAME_RE.pattern,
                             description="file stem (a-z, 0-9, - and _); made from the title when absent")
    title: str | None = Field(None, min_length=1, max_length=120, description="the planner's own name, any text")
    base: str = Field("baseline", description="scenario to start from")
    description: str | None = Field(None, max_length=2000)
    overrides: ScenarioOverrides = Field(default_factory=ScenarioOverrides,
                                         description="what to change, a JSON merge patch of the base nested "
                                         "like the YAML: keys not sent keep the base's value, mappings merge, "
                                         "`null` removes a key so its default applies (see ScenarioOverrides)")


class CheckResult(BaseModel):
    """Whether a what-if would save, and why not (one message per problem, in the caller's language)."""

    valid: bool
    errors: list[str] = Field(default_factory=list)
    resolved: dict[str, Any] | None = None


def slug(title: str) -> str:
    """A file stem from a title: ``'Oaxaca +30 % demanda'`` -> ``'oaxaca-30-demanda'``."""
    out = re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")[:60]
    return out if out and out[0].isalnum() else f"escenario-{out}".strip("-")


def _meta_path(f: sf.ScenarioFile) -> Path:
    return f.path.with_suffix(".meta.json")


def _read_meta(f: sf.ScenarioFile) -> dict[str, Any]:
    path = _meta_path(f)
    if f.builtin or not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _dirs(request: Request) -> tuple:
    config = request.app.state.config
    return config.scenario_dir, config.user_scenario_dir


def _detail(f: sf.ScenarioFile, lang: str) -> ScenarioDetail:
    """One scenario as the API shows it; why it is not valid, in ``lang``."""
    text = f.path.read_text(encoding="utf-8")
    meta = _read_meta(f)
    extra = {"title": meta.get("title") or f.name, "base": meta.get("base"), "updated": meta.get("updated"),
             "overrides": meta.get("overrides")}
    try:
        scen = read_scenario(text, source=f.path.name, folder=f.path.parent)
    except ScenarioError as exc:
        return ScenarioDetail(name=f.name, builtin=f.builtin, valid=False, error=scrub_paths(exc.text(lang)),
                              yaml=text, **extra)
    return ScenarioDetail(name=f.name, builtin=f.builtin, valid=True, description=scen.description,
                          models=list(scen.models), yaml=text, resolved=scen.model_dump(mode="json"), **extra)


def _compose(request: Request, body: CreateRequest, name: str) -> str:
    """The YAML text of ``body`` under ``name``, validated and with every reference checked; 400/404 else."""
    builtin_dir, user_dir = _dirs(request)
    base = sf.find(body.base, builtin_dir, user_dir)
    if base is None:
        raise ApiError(404, f"no base scenario '{body.base}'", key="api.scenario.no_base", name=body.base)
    if base.name == name:
        raise ApiError(400, "a scenario cannot be its own base", key="api.scenario.own_base")
    overrides = to_yaml_overrides(body.overrides, partial(_network, request, base))
    try:
        text, _ = sf.compose(base, name, overrides, body.description, request.app.state.config.home)
    except ScenarioError as exc:  # too large, or not valid: every problem, in the caller's language
        raise ApiError(400, exc.msg) from None
    return text


def _network(request: Request, base: sf.ScenarioFile, override_dataset: str | None) -> Network:
    """The network a what-if's names are checked against: its dataset folder (the override's, else the
    base's), else the store."""
    dataset: str | Path | None = sf.known_datasets(request.app.state.config.home).get(override_dataset or "")
    if dataset is None:
        try:
            dataset = read_scenario(base.path.read_text(encoding="utf-8"), source=base.path.name,
                                    folder=base.path.parent).dataset.path
        except ScenarioError as exc:
            raise ApiError(400, exc.msg) from None
    if dataset is not None and not Path(dataset).is_absolute():
        dataset = str((base.path.parent / dataset).resolve())
    return Network.load(request.app.state.engine, str(dataset) if dataset is not None else None)


def _save(request: Request, body: CreateRequest, name: str, text: str) -> ScenarioDetail:
    _, user_dir = _dirs(request)
    user_dir.mkdir(parents=True, exist_ok=True)
    path = user_dir / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    meta = {"title": body.title or name, "base": body.base, "description": body.description,
            "overrides": body.overrides.patch(),
            "updated": datetime.now(UTC).isoformat()}
    path.with_suffix(".meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return _detail(sf.ScenarioFile(name, path, False), request_lang(request))


def _own(request: Request, name: str) -> sf.ScenarioFile:
    """A scenario the planner saved (404 when absent, 409 for a built-in one)."""
    found = sf.find(name, *_dirs(request))
    if found is None:
        raise ApiError(404, f"no scenario '{name}'", key="api.scenario.not_found", name=name)
    if found.builtin:
        raise ApiError(409, f"'{name}' is a built-in scenario and cannot be changed; copy it instead",
                       key="api.scenario.builtin", name=name)
    return found


@router.get("", response_model=list[ScenarioSummary], summary="Built-in and API-created scenarios")
def list_scenarios(request: Request) -> list[ScenarioSummary]:
    files = sf.all_files(*_dirs(request))
    lang = request_lang(request)
    return [ScenarioSummary(**_detail(f, lang).model_dump(exclude={"yaml", "resolved"})) for f in files]


@router.get("/options", response_model=EditorOptions, summary="What the what-if editor offers to pick from")
def options(request: Request) -> EditorOptions:
    return editor_options(request.app.state.engine)


@router.get("/{name}", response_model=ScenarioDetail, responses=NOT_FOUND, summary="One scenario")
def get_scenario(request: Request, name: str) -> ScenarioDetail:
    found = sf.find(name, *_dirs(request))
    if found is None:
        raise ApiError(404, f"no scenario '{name}'", key="api.scenario.not_found", name=name)
    return _detail(found, request_lang(request))


@router.post("/validate", response_model=ValidationResult, responses=BAD_REQUEST,
             summary="Check scenario YAML without saving it")
def validate(request: Request, body: ValidateRequest) -> ValidationResult:
    try:
        scen = read_scenario(body.yaml, source="scenario.yaml")
        sf.check_api_scenario(scen, request.app.state.config.home, "scenario.yaml")
    except InputTooLarge as exc:
        raise ApiError(400, exc.msg) from None
    except ScenarioError as exc:
        return ValidationResult(valid=False, errors=[scrub_paths(p.text(request_lang(request)))
                                                     for p in exc.problems])
    return ValidationResult(valid=True, resolved=scen.model_dump(mode="json"))


@router.post("/check", response_model=CheckResult, responses=NOT_FOUND,
             summary="Would this what-if save? (the page asks as the planner types)")
def check(request: Request, body: CreateRequest) -> CheckResult:
    try:
        text = _compose(request, body, body.name or "check")
    except ApiError as exc:
        if exc.status == 404:
            raise
        return CheckResult(valid=False, errors=exc.text(request_lang(request)).splitlines())
    return CheckResult(valid=True, resolved=read_scenario(text, source="check.yaml").model_dump(mode="json"))


@router.post("", response_model=ScenarioDetail, status_code=201, responses={**NOT_FOUND, **CONFLICT, **BAD_REQUEST},
             summary="Save a what-if: a base with overrides, under the planner's own title")
def create(request: Request, body: CreateRequest) -> ScenarioDetail:
    if body.name is None and body.title is None:
        raise ApiError(400, "give a name or a title", key="api.scenario.no_name")
    name = body.name or slug(body.title or "")
    if sf.find(name, *_dirs(request)) is not None:
        raise ApiError(409, f"a scenario named '{name}' exists already; pick another name",
                       key="api.scenario.exists", name=name)
    return _save(request, body, name, _compose(request, body, name))


@router.put("/{name}", response_model=ScenarioDetail, responses={**NOT_FOUND, **CONFLICT, **BAD_REQUEST},
            summary="Change a saved what-if (title, description, base, overrides)")
def update(request: Request, name: str, body: CreateRequest) -> ScenarioDetail:
    _own(request, name)
    return _save(request, body, name, _compose(request, body, name))


@router.delete("/{name}", status_code=204, responses={**NOT_FOUND, **CONFLICT}, summary="Delete a saved what-if")
def delete(request: Request, name: str) -> Response:
    found = _own(request, name)
    found.path.unlink(missing_ok=True)
    _meta_path(found).unlink(missing_ok=True)
    return Response(status_code=204)
