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

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from optimizer.distribution.central import CentralSupplyError, read_supply_csv
from optimizer.i18n import Msg, MsgError, msg, validation_msg
from optimizer.scenarios.schema import Scenario

Path_ = tuple[str | int, ...]


class ScenarioError(MsgError):
    """A scenario that cannot be used: one message per problem, each naming the file, the line and the key
    (:class:`optimizer.i18n.MsgError`: English ``str()``, :meth:`text` in a reader's language)."""


def _construct(node: yaml.Node, path: Path_, lines: dict[Path_, int], source: str) -> Any:
    """Plain value of ``node``; records the 1-based line of every key/item in ``lines``."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ScenarioError(msg("scenario.key_not_plain", source=source, line=key_node.start_mark.line + 1))
            key = key_node.value
            if key in out:
                raise ScenarioError(msg("scenario.key_twice", source=source, line=key_node.start_mark.line + 1,
                                        key=key))
            lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, (*path, key), lines, source)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, i), lines, source) for i, item in enumerate(node.value)]
    return yaml.SafeLoader("").construct_object(node, deep=True)  # scalar, typed by its resolved tag


#: PyYAML's syntax errors a planner makes, as rules: (the error's ``problem`` or ``context`` text, a pattern
#: on it, the catalogue key that says it in the reader's language; named groups become parameters). First match
#: wins; anything else is shown in PyYAML's own (English) words.
YAML_SYNTAX_RULES: tuple[tuple[str, str, str], ...] = (
    ("problem", r"found character '\\t'", "scenario.yaml.tab"),
    ("problem", r"found character '(?P<char>.+)' that cannot start any token", "scenario.yaml.reserved_char"),
    ("problem", r"mapping values are not allowed here", "scenario.yaml.colon_in_value"),
    ("problem", r"found unknown escape character '?(?P<char>.*?)'?$", "scenario.yaml.escape"),
    ("context", r"while scanning a (?:double-|single-)?quoted scalar", "scenario.yaml.unclosed_quote"),
    ("context", r"while parsing a flow sequence", "scenario.yaml.unclosed_bracket"),
    ("context", r"while parsing a flow mapping", "scenario.yaml.unclosed_brace"),
    ("problem", r"expected <block end>", "scenario.yaml.indentation"),
    ("problem", r"could not find expected ':'", "scenario.yaml.missing_colon"),
    ("problem", r"but found another document", "scenario.yaml.two_documents"),
)


def yaml_syntax_msg(exc: yaml.YAMLError, source: str) -> Msg:
    """A YAML syntax error as a catalogue message: file, line and column (1-based, from PyYAML's mark), what is
    wrong in the reader's words (:data:`YAML_SYNTAX_RULES`) and the line where an unclosed part started."""
    mark = getattr(exc, "problem_mark", None)
    where = {"source": source, "line": mark.line + 1 if mark else "?", "column": mark.column + 1 if mark else "?"}
    texts = {"problem": str(getattr(exc, "problem", None) or exc), "context": str(getattr(exc, "context", None) or "")}
    ctx_mark = getattr(exc, "context_mark", None)
    since = ctx_mark.line + 1 if ctx_mark else where["line"]
    for part, pattern, key in YAML_SYNTAX_RULES:
        found = re.search(pattern, texts[part])
        if found:
            return msg("scenario.yaml_syntax", **where, problem=msg(key, since=since, **found.groupdict()))
    if texts["context"] and ctx_mark:  # rare: PyYAML's own words (what it expected or found)
        return msg("scenario.yaml_invalid_since", **where, problem=texts["problem"], context=texts["context"],
                   since=since)
    return msg("scenario.yaml_invalid", **where, problem=texts["problem"])


def _line_of(loc: tuple, lines: dict[Path_, int]) -> int | None:
    for n in range(len(loc), -1, -1):
        prefix = tuple(loc[:n])
        if prefix in lines:
            return lines[prefix]
    return None


def _explain(err: dict[str, Any]) -> Msg:
    """What is wrong with one key: a catalogue message (:func:`validation_msg`), with the value it got."""
    if err["type"] == "extra_forbidden":
        return msg("scenario.unknown_key")
    if err["type"] == "missing":
        return msg("scenario.missing_key")
    if "input" in err and err["type"] not in ("model_type", "dict_type"):
        return msg("scenario.got", problem=validation_msg(err), value=repr(err["input"]))
    return validation_msg(err)


def _at(source: str, line: int | None, key: str | Msg, problem: Msg) -> Msg:
    """``<file>: line <n>: <key>: <problem>``."""
    return msg("scenario.problem", source=source, line=line, key=key, problem=problem)


def _inline_central_supply(data: dict[str, Any], lines: dict[Path_, int], source: str, folder: Path | None) -> None:
    """Replace ``distribution.central_supply_file`` in ``data`` by the CSV's rows as ``central_supply`` lots.

    The CSV gets the format checks of :func:`read_supply_csv` (the medicines catalogue is checked when the run
    has its dataset); every error names the scenario file and the key's line, then the CSV's file, row and field.
    """
    dist = data.get("distribution")
    if not isinstance(dist, dict) or "central_supply_file" not in dist:
        return
    key = ("distribution", "central_supply_file")

    def refuse(problem: Msg) -> ScenarioError:
        return ScenarioError(_at(source, lines[key], "distribution.central_supply_file", problem))

    if "central_supply" in dist:
        raise refuse(msg("scenario.supply.twice", inline_line=lines[("distribution", "central_supply")]))
    name = dist.pop("central_supply_file")
    if not isinstance(name, str) or not name.strip():
        raise refuse(msg("scenario.supply.not_path", value=repr(name)))
    if folder is None:
        raise refuse(msg("scenario.supply.no_folder"))
    path = Path(name.strip())
    path = path if path.is_absolute() else folder / path
    try:
        table = read_supply_csv(path)
    except CentralSupplyError as exc:  # the CSV loader's own message: file, row and field
        raise refuse(exc.msg) from None
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
        raise ScenarioError(yaml_syntax_msg(exc, source)) from None
    if node is None or not isinstance(node, yaml.MappingNode):
        raise ScenarioError(msg("scenario.not_mapping", source=source))
    lines: dict[Path_, int] = {}
    data = _construct(node, (), lines, source)
    _inline_central_supply(data, lines, source, folder)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            key = ".".join(str(p) for p in loc) or msg("scenario.top_level")
            problems.append(_at(source, _line_of(loc, lines), key, _explain(err)))
        raise ScenarioError(*problems) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (clear error with file and line when it is wrong); a
    ``distribution.central_supply_file`` is read from the file's folder (or as given when absolute)."""
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(msg("scenario.no_file", path=str(p)))
    return parse_scenario(p.read_text(encoding="utf-8"), source=str(p), folder=p.parent)
