"""Bounds on what a client sends, checked before any real work: scenario YAML text and override trees.

A YAML document can make a parser do work far out of proportion to its size: nested aliases (a "billion
laughs" document of 300 bytes) expand to billions of nodes once built. Scenario YAML read by the API is
therefore first streamed through libyaml's event parser (linear in the text, nothing built) and refused when
it uses an anchor or alias, holds more nodes or nests deeper than the limits, or takes longer than the parse
time limit; only then is it composed and validated. Scenario files never need anchors.

Override trees (JSON bodies) get the same node and depth limits, and an uploaded file is checked before it
is parsed (:func:`check_upload`: rows, and an XLSX's unpacked size). Messages are Spanish (what a planner
reads, English on request: keys in the ``api`` catalogue) and never echo the input.
"""

from __future__ import annotations

import time
import zipfile
from pathlib import Path
from typing import Any

import yaml

from optimizer.i18n import msg
from optimizer.scenarios.schema import Scenario
from optimizer.scenarios.yamlfile import ScenarioError, parse_scenario

#: Largest scenario YAML text, characters (the built-in scenarios are about 1 kB).
MAX_YAML_CHARS = 200_000
#: Most YAML nodes (scalars, mappings, sequences) in one scenario document.
MAX_NODES = 20_000
#: Deepest nesting of mappings and sequences in a scenario (the schema itself nests 4 levels).
MAX_DEPTH = 24
#: Parse time limit for the event scan, seconds.
PARSE_TIME_LIMIT_S = 0.5
#: Events between two looks at the clock.
_CLOCK_EVERY = 512

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class InputTooLarge(ScenarioError):
    """Input refused by a bound (size, nodes, depth, time or anchors) before it was built.

    ``key`` and ``params`` name the message in the ``api`` catalogue, so the answer is in the caller's language
    (:class:`api.errors.ApiError`, from :attr:`msg`).
    """

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(msg(key, **params))
        self.key = key
        self.params = params


def check_yaml(text: str, source: str) -> None:
    """Refuse ``text`` if it is too long, uses anchors or aliases, has too many nodes, nests too deep, or
    takes longer than :data:`PARSE_TIME_LIMIT_S` to scan. Syntax errors are left to the full parser."""
    if len(text) > MAX_YAML_CHARS:
        raise InputTooLarge("api.input.yaml_too_long", source=source, chars=f"{len(text):,}",
                            limit=f"{MAX_YAML_CHARS:,}")
    deadline = time.perf_counter() + PARSE_TIME_LIMIT_S
    nodes = depth = 0
    try:
        for n, event in enumerate(yaml.parse(text, Loader=_Loader)):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise InputTooLarge("api.input.yaml_anchor", source=source, line=event.start_mark.line + 1)
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise InputTooLarge("api.input.yaml_too_deep", source=source, line=event.start_mark.line + 1,
                                        limit=MAX_DEPTH)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if isinstance(event, yaml.NodeEvent):
                nodes += 1
                if nodes > MAX_NODES:
                    raise InputTooLarge("api.input.yaml_too_many_nodes", source=source, limit=f"{MAX_NODES:,}")
            if n % _CLOCK_EVERY == 0 and time.perf_counter() > deadline:
                raise InputTooLarge("api.input.yaml_parse_time", source=source, seconds=PARSE_TIME_LIMIT_S)
    except yaml.YAMLError:
        return  # the full parser reports it with its line


def read_scenario(text: str, source: str, folder: Path | None = None) -> Scenario:
    """:func:`parse_scenario` after :func:`check_yaml`: the one way the API reads scenario YAML."""
    check_yaml(text, source)
    return parse_scenario(text, source=source, folder=folder)


def check_tree(value: Any, what: str, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH) -> None:
    """Refuse a JSON tree (dicts, lists, scalars) with more than ``max_nodes`` nodes or ``max_depth`` levels."""
    nodes = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise InputTooLarge("api.input.tree_too_many", what=what, limit=f"{max_nodes:,}")
        if depth > max_depth:
            raise InputTooLarge("api.input.tree_too_deep", what=what, limit=max_depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


#: Most members in an uploaded XLSX (a zip); a workbook of one sheet has about a dozen.
MAX_XLSX_MEMBERS = 1_000


def check_upload(path: Path, max_bytes: int, max_rows: int) -> None:
    """Refuse an uploaded file before it is parsed: an XLSX whose members would unpack past ``max_bytes``
    (a zip bomb) or that has too many members, and a CSV or Parquet file of more than ``max_rows`` rows."""
    name, suffix = path.name, path.suffix.lower()
    if suffix == ".xlsx":
        try:
            with zipfile.ZipFile(path) as zf:
                members = zf.infolist()
        except zipfile.BadZipFile:
            raise InputTooLarge("api.input.xlsx_invalid", name=name) from None
        unpacked = sum(m.file_size for m in members)
        if len(members) > MAX_XLSX_MEMBERS or unpacked > max_bytes:
            raise InputTooLarge("api.input.xlsx_too_big", name=name, unpacked=f"{unpacked:,}",
                                members=f"{len(members):,}", limit=f"{max_bytes:,}")
        return
    rows = _parquet_rows(path) if suffix == ".parquet" else _csv_lines(path) - 1
    if rows > max_rows:
        raise InputTooLarge("api.input.too_many_rows", name=name, rows=f"{rows:,}", limit=f"{max_rows:,}")


def _parquet_rows(path: Path) -> int:
    """Rows of a Parquet file from its footer (nothing else is read)."""
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except Exception:  # a broken file is the loader's to report, with its reason
        return 0


def _csv_lines(path: Path) -> int:
    """Line count of a text file, read in 1 MiB blocks."""
    lines = 0
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            lines += block.count(b"\n")
    return lines
