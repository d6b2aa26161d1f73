"""The model contract (optimizer/plan.py) holds for every model package.

Every package in ``PACKAGES`` exports ``Input, Settings, Plan, solve, validate, kpis, run`` from its
``__init__``; ``validate`` takes ``(input, plan, settings)``; the settings carry ``time_limit_s`` (somewhere);
plans declare ``status: Status`` and ``explanation: str | None``. A package that does not exist yet is
skipped, so a new model is added by appending its name here.
"""

from __future__ import annotations

import importlib
import inspect
import typing

import pytest
from pydantic import BaseModel

from optimizer.plan import STATUSES, Run, Validation, relative_gap

#: The model packages held to the contract (append new ones; a missing package is skipped).
PACKAGES: list[str] = ["deployment", "rostering", "capacity", "distribution", "access", "surgery"]
EXPORTS = ("Input", "Settings", "Plan", "solve", "validate", "kpis", "run")


def _package(name: str):  # noqa: ANN202 - a module
    try:
        return importlib.import_module(f"optimizer.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"optimizer.{name}":
            pytest.skip(f"optimizer.{name} does not exist yet")
        raise


@pytest.mark.parametrize("name", PACKAGES)
def test_package_exports_the_contract(name: str) -> None:
    pkg = _package(name)
    missing = [e for e in EXPORTS if not hasattr(pkg, e)]
    assert not missing, f"optimizer.{name} does not export {missing}"
    for fn in ("solve", "validate", "kpis", "run"):
        assert callable(getattr(pkg, fn)), f"optimizer.{name}.{fn} is not callable"
    assert inspect.isclass(pkg.Input) and inspect.isclass(pkg.Plan)
    assert issubclass(pkg.Settings, BaseModel), f"optimizer.{name}.Settings is not a pydantic model"


@pytest.mark.parametrize("name", PACKAGES)
def test_validate_takes_input_plan_settings(name: str) -> None:
    params = list(inspect.signature(_package(name).validate).parameters)
    assert len(params) >= 3, f"optimizer.{name}.validate{params}: want (input, plan, settings)"
    assert "plan" in params[1] or params[1] in ("p",), f"optimizer.{name}.validate{params}: plan comes second"
    assert "setting" in params[2] or params[2] == "s", f"optimizer.{name}.validate{params}: settings third"


@pytest.mark.parametrize("name", PACKAGES)
def test_solve_and_run_take_input_and_settings(name: str) -> None:
    for fn in ("solve", "run"):
        params = list(inspect.signature(getattr(_package(name), fn)).parameters)
        assert len(params) >= 2 and "setting" in params[1], f"optimizer.{name}.{fn}{params}: want (input, settings)"


def _fields_with_time(model: type[BaseModel], seen: set[type] | None = None) -> list[str]:
    """Every field name of ``model`` and its nested settings models that mentions a time limit."""
    seen = seen or set()
    seen.add(model)
    out = []
    for fname, f in model.model_fields.items():
        if "time_limit" in fname:
            out.append(fname)
        ann = f.annotation
        for t in (ann, *typing.get_args(ann)):
            if inspect.isclass(t) and issubclass(t, BaseModel) and t not in seen:
                out.extend(_fields_with_time(t, seen))
    return out


@pytest.mark.parametrize("name", PACKAGES)
def test_time_limits_are_time_limit_s(name: str) -> None:
    names = _fields_with_time(_package(name).Settings)
    assert names, f"optimizer.{name}.Settings has no time limit"
    assert all(n.endswith("time_limit_s") for n in names), f"optimizer.{name}.Settings: {names}"


@pytest.mark.parametrize("name", PACKAGES)
def test_plan_declares_status_and_explanation(name: str) -> None:
    plan = _package(name).Plan
    hints = typing.get_type_hints(plan, include_extras=False) if not _is_property_plan(plan) else {}
    for attr in ("status", "objective", "bound", "gap", "solve_seconds", "explanation"):
        assert hasattr(plan, attr) or attr in hints or attr in getattr(plan, "__dataclass_fields__", {}), (
            f"optimizer.{name}.Plan has no {attr}")
    if hints:
        status = hints["status"]
        assert set(typing.get_args(status)) == set(STATUSES), f"optimizer.{name}.Plan.status: {status}"
        assert hints["explanation"] == (str | None), f"optimizer.{name}.Plan.explanation: {hints['explanation']}"


def _is_property_plan(plan: type) -> bool:
    """Plans whose status is computed from their parts (a property) rather than a field."""
    return isinstance(inspect.getattr_static(plan, "status", None), property)


def test_distribution_scenario_keys_keep_working() -> None:
    """Scenario files written before time_limit_s (routing/allocation ``time_limit``) still load."""
    from optimizer.distribution.settings import DistributionSettings

    s = DistributionSettings.model_validate({"routing": {"time_limit": 2}, "allocation": {"time_limit": 30,
                                                                                          "total_time_limit": 90}})
    assert (s.routing.time_limit_s, s.allocation.time_limit_s, s.allocation.total_time_limit_s) == (2, 30, 90)
    with pytest.raises(ValueError, match="former name"):
        DistributionSettings.model_validate({"routing": {"time_limit": 2, "time_limit_s": 3}})


def test_plan_helpers() -> None:
    assert Validation().ok and not Validation(["x"]).ok
    assert relative_gap(100.0, 99.0) == pytest.approx(0.01) and relative_gap(None, 1.0) is None

    class _P:
        status = "optimal"

    assert Run(_P(), Validation()).status == "optimal" and Run(_P(), Validation(["broken"])).status == "error"
