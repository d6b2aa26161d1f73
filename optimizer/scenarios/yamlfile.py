"""Read a scenario YAML file so that every bad key or value is reported with its file and line.

PyYAML's composer keeps a start mark (line, column) on every node. We build the plain Python value and,
beside it, a map from each key path (``("deployment", "km_weight")``) to the line where that key or item
starts; a pydantic error location is then looked up in that map (its longest known prefix).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

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


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Validate scenario YAML text; raise :class:`ScenarioError` listing every problem with its line."""
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
    """Read and validate a scenario file (clear error with file and line when it is wrong)."""
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(f"{p}: no such scenario file")
    return parse_scenario(p.read_text(encoding="utf-8"), source=str(p))
