"""The arrows between modules run one way: no import cycle among the modules of ``optimizer`` and ``api``,
and the API does not import the command line (``optimizer.cli``).

Imports are read from the source (module level and inside functions; not those under ``if TYPE_CHECKING:``,
which never run). Importing ``a.b.c`` is an edge to ``a.b.c`` only: the parent packages Python initialises
first are not counted, so a package ``__init__`` may re-export its modules.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("optimizer", "api")


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> set[str]:
    """Modules of ``known`` that ``module`` imports when it runs."""
    out: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.add(sub if sub in known else base)
        stack.extend(ast.iter_child_nodes(node))
    return {m for m in out if m in known and m != module}


def import_graph() -> dict[str, set[str]]:
    """module -> modules it imports (within ``optimizer`` and ``api``)."""
    mods = _modules()
    known = set(mods)
    return {m: _imports(ast.parse(p.read_text(encoding="utf-8")), m, p.name == "__init__.py", known)
            for m, p in mods.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles() -> None:
    found = cycles(import_graph())
    assert not found, "import cycles (break them; a function-local import hides a cycle, it does not remove " \
        "it):\n" + "\n".join(" <-> ".join(c) for c in found)


def test_api_does_not_import_the_cli() -> None:
    graph = import_graph()
    bad = sorted(f"{m} -> {d}" for m, deps in graph.items() if m.split(".")[0] == "api"
                 for d in deps if d == "optimizer.cli" or d.startswith("optimizer.cli."))
    assert not bad, "the API must not import the command line: " + ", ".join(bad)


def test_the_graph_sees_known_edges() -> None:
    """Guard against a parser that sees nothing: edges every version of the code has."""
    graph = import_graph()
    assert "optimizer.plan" in graph["optimizer.deployment.plan"]
    assert "optimizer.scenarios.stage" in graph["optimizer.scenarios.runner"]


COMPLEXITY_RULES = ("C901", "PLR0913", "PLR0915")


def _baseline() -> dict[str, set[str]]:
    """The complexity baseline: per-file ignores of pyproject.toml that name a complexity rule, minus the
    rule-level exemptions (CLI / API / tests / benchmarks, by glob)."""
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    ignores = doc["tool"]["ruff"]["lint"]["per-file-ignores"]
    return {path: set(rules) & set(COMPLEXITY_RULES) for path, rules in ignores.items()
            if "*" not in path and set(rules) & set(COMPLEXITY_RULES)}


def test_complexity_baseline_only_shrinks() -> None:
    """Every baseline entry still needs its rule: a file brought within the limits leaves the list."""
    if shutil.which("ruff") is None and importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed (the dev extra)")
    doc = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lint = doc["tool"]["ruff"]["lint"]
    base = _baseline()
    cmd = [sys.executable, "-m", "ruff", "check", "--isolated", "--output-format", "json", "--exit-zero",
           "--select", ",".join(COMPLEXITY_RULES),
           "--config", f"lint.mccabe.max-complexity = {lint['mccabe']['max-complexity']}",
           "--config", f"lint.pylint.max-args = {lint['pylint']['max-args']}",
           "--config", f"lint.pylint.max-statements = {lint['pylint']['max-statements']}",
           *[p for p in base if (ROOT / p).exists()]]
    found = json.loads(subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout or "[]")
    seen = {(Path(f["filename"]).resolve().relative_to(ROOT).as_posix(), f["code"]) for f in found}
    stale = sorted(f"{p}: {r}" for p, rules in base.items() for r in rules if (p, r) not in seen)
    assert not stale, "remove these from the complexity baseline in pyproject.toml (they pass now): " + \
        ", ".join(stale)
