"""Scenarios (planners): list the YAML files, read one, validate text, create one from a base + overrides."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from api import scenario_files as sf
from api.auth import Scope, require
from api.errors import AUTH_RESPONSES, BAD_REQUEST, CONFLICT, NOT_FOUND, ApiError, scrub_paths
from api.inputs import MAX_YAML_CHARS, InputTooLarge, read_scenario
from optimizer.scenarios.yamlfile import ScenarioError

router = APIRouter(prefix="/scenarios", tags=["scenarios"], responses=AUTH_RESPONSES,
                   dependencies=[Depends(require(Scope.SCENARIOS))])


class ScenarioSummary(BaseModel):
    name: str
    builtin: bool
    valid: bool
    description: str = ""
    models: list[str] = Field(default_factory=list)
    error: str | None = None


class ScenarioDetail(ScenarioSummary):
    yaml: str
    resolved: dict[str, Any] | None = Field(None, description="the scenario with every default filled in")


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

    name: str = Field(pattern=sf.NAME_RE.pattern, description="new scenario name (file stem)")
    base: str = Field("baseline", description="scenario to start from")
    description: str | None = Field(None, max_length=2000)
    overrides: dict[str, Any] = Field(default_factory=dict,
                                      description="keys to change, nested like the YAML (mappings merge); "
                                      "`dataset` replaces the base's: `{path: ID}` names a dataset the server holds")


def _dirs(request: Request) -> tuple:
    config = request.app.state.config
    return config.scenario_dir, config.user_scenario_dir


def _detail(f: sf.ScenarioFile) -> ScenarioDetail:
    text = f.path.read_text(encoding="utf-8")
    try:
        scen = read_scenario(text, source=f.path.name, folder=f.path.parent)
    except ScenarioError as exc:
        return ScenarioDetail(name=f.name, builtin=f.builtin, valid=False, error=scrub_paths(str(exc)), yaml=text)
    return ScenarioDetail(name=f.name, builtin=f.builtin, valid=True, description=scen.description,
                          models=list(scen.models), yaml=text, resolved=scen.model_dump(mode="json"))


@router.get("", response_model=list[ScenarioSummary], summary="Built-in and API-created scenarios")
def list_scenarios(request: Request) -> list[ScenarioSummary]:
    files = sf.all_files(*_dirs(request))
    return [ScenarioSummary(**_detail(f).model_dump(exclude={"yaml", "resolved"})) for f in files]


@router.get("/{name}", response_model=ScenarioDetail, responses=NOT_FOUND, summary="One scenario")
def get_scenario(request: Request, name: str) -> ScenarioDetail:
    found = sf.find(name, *_dirs(request))
    if found is None:
        raise ApiError(404, f"no scenario '{name}'")
    return _detail(found)


@router.post("/validate", response_model=ValidationResult, responses=BAD_REQUEST,
             summary="Check scenario YAML without saving it")
def validate(request: Request, body: ValidateRequest) -> ValidationResult:
    try:
        scen = read_scenario(body.yaml, source="scenario.yaml")
        sf.check_api_scenario(scen, request.app.state.config.home, "scenario.yaml")
    except InputTooLarge as exc:
        raise ApiError(400, str(exc)) from None
    except ScenarioError as exc:
        return ValidationResult(valid=False, errors=scrub_paths(str(exc)).splitlines())
    return ValidationResult(valid=True, resolved=scen.model_dump(mode="json"))


@router.post("", response_model=ScenarioDetail, status_code=201, responses={**NOT_FOUND, **CONFLICT, **BAD_REQUEST},
             summary="Create a scenario from a base with overrides")
def create(request: Request, body: CreateRequest) -> ScenarioDetail:
    builtin_dir, user_dir = _dirs(request)
    base = sf.find(body.base, builtin_dir, user_dir)
    if base is None:
        raise ApiError(404, f"no base scenario '{body.base}'")
    if sf.find(body.name, builtin_dir, user_dir) is not None:
        raise ApiError(409, f"a scenario named '{body.name}' exists already; pick another name")
    try:
        text, _ = sf.compose(base, body.name, body.overrides, body.description, request.app.state.config.home)
    except ScenarioError as exc:
        raise ApiError(400, scrub_paths(str(exc))) from None
    user_dir.mkdir(parents=True, exist_ok=True)
    path = user_dir / f"{body.name}.yaml"
    path.write_text(text, encoding="utf-8")
    return _detail(sf.ScenarioFile(body.name, path, False))
