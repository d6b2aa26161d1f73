"""Scenario files the API can run: the built-in ones (read-only) and those created through the API.

A new scenario is a base scenario's YAML with overrides deep-merged in (mappings merge key by key; lists
and values replace), validated by the scenario schema before it is written, so every stored file is
runnable. A relative dataset path in the base is made absolute, since the new file lives elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from optimizer.scenarios.schema import Scenario
from optimizer.scenarios.yamlfile import ScenarioError, parse_scenario

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class ScenarioFile:
    name: str
    path: Path
    builtin: bool


def all_files(builtin_dir: Path, user_dir: Path) -> list[ScenarioFile]:
    """Every ``*.yaml`` scenario, built-in first, each group by name."""
    out = [ScenarioFile(p.stem, p, True) for p in sorted(Path(builtin_dir).glob("*.yaml"))]
    if Path(user_dir).is_dir():
        names = {f.name for f in out}
        out += [ScenarioFile(p.stem, p, False) for p in sorted(Path(user_dir).glob("*.yaml")) if p.stem not in names]
    return out


def find(name: str, builtin_dir: Path, user_dir: Path) -> ScenarioFile | None:
    """The scenario file called ``name`` (its file stem), or None."""
    if not NAME_RE.match(name):
        return None
    return next((f for f in all_files(builtin_dir, user_dir) if f.name == name), None)


def deep_merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` applied: nested mappings merge, anything else replaces."""
    out = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def compose(base: ScenarioFile, name: str, overrides: dict[str, Any], description: str | None) -> tuple[str, Scenario]:
    """YAML text and validated scenario of ``base`` + ``overrides`` under the new ``name``.

    Raises :class:`ScenarioError` naming the key (and line of the composed file) of every problem.
    """
    data = yaml.safe_load(base.path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ScenarioError(f"{base.path.name}: the base scenario is not a mapping")
    merged = deep_merge(data, overrides)
    merged["name"] = name
    if description is not None:
        merged["description"] = description
    dataset = merged.get("dataset")
    if isinstance(dataset, dict) and isinstance(dataset.get("path"), str) and not Path(dataset["path"]).is_absolute():
        dataset["path"] = str((base.path.parent / dataset["path"]).resolve())
    wanted = overrides.get("distribution")
    if isinstance(wanted, dict) and "central_supply_file" in wanted:
        # a file path sent over HTTP would make the server read a file of the caller's choosing
        raise ScenarioError(f"{name}.yaml: distribution.central_supply_file cannot be set through the API; put it in "
                            "the base scenario file")
    dist = merged.get("distribution")
    if isinstance(dist, dict) and isinstance(dist.get("central_supply_file"), str) \
            and not Path(dist["central_supply_file"]).is_absolute():
        dist["central_supply_file"] = str((base.path.parent / dist["central_supply_file"]).resolve())
    text = yaml.safe_dump(merged, sort_keys=False, allow_unicode=True)
    return text, parse_scenario(text, source=f"{name}.yaml", folder=base.path.parent)
