"""Read a scenario YAML file so that every bad key or value is reported with its file and line.

PyYAML's composer keeps a start mark (line, column) on every node. We build the plain Python value and,
beside it, a map from each key path (``("deployment", "km_weight")``) to the line where that key or item
starts; a pydantic error location is then looked up in that map (its longest known prefix).

One key is read here rather than by the schema: ``distribution.central_supply_file``, a central-supply CSV
(``sku,units,expiry_date``) named by path, relative to the scenario file's folder. Its rows replace the key as the
inline ``distribution.central_supply`` lots before validation, so the run, its recorded scenario
(``scenario.resolved.json``) and the distribution stage's cache key (a hash of the stage's settings) hold the
supply itself, not a path: a changed CSV gives a new key and an unchanged one reuses the cached plan, and a
rerun from the run folder never reads the CSV again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from optimizer.distribution.central import CentralSupplyError, read_supply_csv
from optimizer.scenarios.schema import Scenario

Path_ = tuple[str | int, ...]


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names the file, the line and the key."""


def _construct(node: yaml.Node, path: Path_, lines: dict[Path_, int], source: str) -> Any:
    """Plain value of ``node``; records the 1-based line of every key/item in ``lines``."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ScenarioError(f"{source}: line {key_node.start_mark.line + 1}: a key must be a plain name")
            key = key_node.value
            if key in out:
                raise ScenarioError(f"{source}: line {key_node.start_mark.line + 1}: key '{key}' is given twice")
            lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, (*path, key), lines, source)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, i), lines, source) for i, item in enumerate(node.value)]
    return yaml.SafeLoader("").construct_object(node, deep=True)  # scalar, typed by its resolved tag


def _line_of(loc: tuple, lines: dict[Path_, int]) -> int | None:
    for n in range(len(loc), -1, -1):
        prefix = tuple(loc[:n])
        if prefix in lines:
            return lines[prefix]
    return None


def _explain(err: dict[str, Any]) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return "unknown key (check the spelling; see the scenario schema for the keys this section takes)"
    if err["type"] == "missing":
        return "required key is missing"
    if "input" in err and err["type"] not in ("model_type", "dict_type"):
        return f"{msg} (got {err['input']!r})"
    return msg


def _inline_central_supply(data: dict[str, Any], lines: dict[Path_, int], source: str, folder: Path | None) -> None:
    """Replace ``distribution.central_supply_file`` in ``data`` by the CSV's rows as ``central_supply`` lots.

    The CSV gets the format checks of :func:`read_supply_csv` (the medicines catalogue is checked when the run
    has its dataset); every error names the scenario file and the key's line, then the CSV's file, row and field.
    """
    dist = data.get("distribution")
    if not isinstance(dist, dict) or "central_supply_file" not in dist:
        return
    key = ("distribution", "central_supply_file")
    where = f"{source}: line {lines[key]}: distribution.central_supply_file"
    if "central_supply" in dist:
        raise ScenarioError(f"{where}: give the central supply once, either inline (central_supply, line "
                            f"{lines[('distribution', 'central_supply')]}) or as a CSV file (central_supply_file)")
    name = dist.pop("central_supply_file")
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(f"{where}: must be the path of a CSV file sku,units,expiry_date (got {name!r})")
    if folder is None:
        raise ScenarioError(f"{where}: a CSV file is read only from a scenario loaded from its file (a relative path "
                            "is taken from that file's folder); list the lots inline under central_supply instead")
    path = Path(name.strip())
    path = path if path.is_absolute() else folder / path
    try:
        table = read_supply_csv(path)
    except CentralSupplyError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    dist["central_supply"] = [{"sku": r.sku, "units": int(r.units), "expiry_date": r.expiry_date}
                              for r in table.itertuples(index=False)]
    lines[("distribution", "central_supply")] = lines[key]


def deep_merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` applied as a JSON merge patch (RFC 7396): nested mappings merge, a ``None``
    (JSON ``null``) removes the key so the schema's default applies, anything else replaces (the API's composed
    scenarios and the demo's time limits laid over a scenario file)."""
    out = dict(base)
    for key, value in overrides.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict):
            below = out.get(key)
            out[key] = deep_merge(below if isinstance(below, dict) else {}, value)
        else:
            out[key] = value
    return out


def parse_scenario(text: str, source: str = "<scenario>", folder: Path | None = None) -> Scenario:
    """Validate scenario YAML text; raise :class:`ScenarioError` listing every problem with its line.

    ``folder``: the scenario file's folder, against which a relative ``distribution.central_supply_file`` is
    read; without it (YAML text not read from a file, e.g. sent to the API) that key is an error, so text from
    elsewhere never makes this process read a file of its choosing.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "somewhere"
        ctx, ctx_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        started = f", {ctx} that started on line {ctx_mark.line + 1}" if ctx and ctx_mark else ""
        raise ScenarioError(f"{source}: {where}: not valid YAML ({getattr(exc, 'problem', exc)}{started})") from None
    if node is None or not isinstance(node, yaml.MappingNode):
        raise ScenarioError(f"{source}: line 1: a scenario is a mapping of keys (name:, dataset:, models:, ...)")
    lines: dict[Path_, int] = {}
    data = _construct(node, (), lines, source)
    _inline_central_supply(data, lines, source, folder)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = _line_of(loc, lines)
            key = ".".join(str(p) for p in loc) or "(top level)"
            problems.append(f"{source}: line {line}: {key}: {_explain(err)}")
        raise ScenarioError("\n".join(problems)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (clear error with file and line when it is wrong); a
    ``distribution.central_supply_file`` is read from the file's folder (or as given when absolute)."""
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(f"{p}: no such scenario file")
    return parse_scenario(p.read_text(encoding="utf-8"), source=str(p), folder=p.parent)
