"""Scenario files the API can run: the built-in ones (read-only) and those created through the API.

A new scenario is a base scenario's YAML with overrides deep-merged in (mappings merge key by key; lists
and values replace), validated by the scenario schema before it is written, so every stored file is
runnable. A relative dataset path in the base is made absolute, since the new file lives elsewhere.

What comes over HTTP never names a server path: ``dataset.path`` in an override or in validated text is a
dataset *id*, one of the dataset folders the server knows under its home (``dataset`` and each
``datasets/<id>``), replaced by that folder when the file is written; ``dataset.generate`` is bounded so a
request cannot ask the generator for more than a national dataset. Errors name the id, never a folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from api.inputs import check_tree, check_yaml, read_scenario
from optimizer.i18n import Msg, msg
from optimizer.scenarios.schema import Scenario
from optimizer.scenarios.yamlfile import ScenarioError, deep_merge

#: Largest generator settings a request may ask for (the national defaults are 200,000 / 650 / 320).
GENERATE_BOUNDS = {"n_records": 2_000_000, "umfs": 5_000, "pharmacies": 5_000, "program_hospitals": 282}

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


def known_datasets(home: Path) -> dict[str, Path]:
    """Dataset folders the server holds, by id: ``home/dataset`` (id ``dataset``) and each ``home/datasets/<id>``."""
    folders = [home / "dataset"]
    if (home / "datasets").is_dir():
        folders += sorted((home / "datasets").iterdir())
    return {p.name: p for p in folders if NAME_RE.match(p.name) and (p / "facilities.csv").is_file()}


def confine_dataset(dataset: Any, home: Path, where: str) -> dict[str, Any]:
    """The ``dataset`` section sent by a client, with its id replaced by the server's folder.

    Raises :class:`ScenarioError` for a path, an unknown id or generator settings past
    :data:`GENERATE_BOUNDS`; the message lists the known ids and never a folder.
    """
    if not isinstance(dataset, dict):
        raise ScenarioError(msg("scenario.dataset.shape", source=where))
    out = dict(dataset)
    if isinstance(out.get("generate"), dict):
        for key, bound in GENERATE_BOUNDS.items():
            value = out["generate"].get(key)
            if isinstance(value, int) and value > bound:
                raise ScenarioError(msg("scenario.dataset.generate_bound", source=where, key=key, bound=f"{bound:,}"))
    if out.get("path") is None:
        return out
    known = known_datasets(home)
    ident = out["path"]
    if not isinstance(ident, str) or ident not in known:
        ids: str | Msg = ", ".join(sorted(known)) or msg("scenario.dataset.none")
        raise ScenarioError(msg("scenario.dataset.not_an_id", source=where, ids=ids))
    out["path"] = str(known[ident])
    return out


def check_api_scenario(scenario: Scenario, home: Path, where: str) -> None:
    """Refuse scenario text sent by a client whose dataset is a path or an unknown id (see :func:`confine_dataset`)."""
    confine_dataset(scenario.dataset.model_dump(exclude_none=True), home, where)


class _NoAliasDumper(yaml.SafeDumper):
    """Writes every value in full: a stored scenario never holds anchors (the API refuses them on reading)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def compose(base: ScenarioFile, name: str, overrides: dict[str, Any], description: str | None,
            home: Path) -> tuple[str, Scenario]:
    """YAML text and validated scenario of ``base`` + ``overrides`` under the new ``name``.

    Raises :class:`ScenarioError` naming the key (and line of the composed file) of every problem.
    """
    check_tree(overrides, "overrides")
    text = base.path.read_text(encoding="utf-8")
    check_yaml(text, f"{base.name}.yaml")
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ScenarioError(msg("scenario.base_not_mapping", source=f"{base.name}.yaml"))
    merged = deep_merge(data, overrides)
    if overrides.get("dataset") is not None:  # replaced whole: a path and generator settings would otherwise mix
        merged["dataset"] = confine_dataset(overrides["dataset"], home, f"{name}.yaml")
    merged["name"] = name
    if description is not None:
        merged["description"] = description
    dataset = merged.get("dataset")
    if isinstance(dataset, dict) and isinstance(dataset.get("path"), str) and not Path(dataset["path"]).is_absolute():
        dataset["path"] = str((base.path.parent / dataset["path"]).resolve())
    wanted = overrides.get("distribution")
    if isinstance(wanted, dict) and "central_supply_file" in wanted:
        # a file path sent over HTTP would make the server read a file of the caller's choosing
        raise ScenarioError(msg("scenario.supply.via_api", source=f"{name}.yaml"))
    dist = merged.get("distribution")
    if isinstance(dist, dict) and isinstance(dist.get("central_supply_file"), str) \
            and not Path(dist["central_supply_file"]).is_absolute():
        dist["central_supply_file"] = str((base.path.parent / dist["central_supply_file"]).resolve())
    text = yaml.dump(merged, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True)
    return text, read_scenario(text, source=f"{name}.yaml", folder=base.path.parent)
