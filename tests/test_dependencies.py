"""Every third-party package that ``optimizer/`` and ``api/`` import at module level is a core dependency.

A fresh ``pip install -e .`` installs only ``[project].dependencies``; a module-level import of anything else
(scipy was one, declared only in the ``dev`` extra) breaks the README's first command while CI, which installs
``.[dev]``, stays green. Optional features (Ray, the PostgreSQL driver) are imported inside the function that
needs them, with a message naming the extra.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterable, Iterator
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = {"optimizer", "api"}


def declared_core_dependencies(pyproject: Path = ROOT / "pyproject.toml") -> set[str]:
    """Canonical names of ``[project].dependencies`` (extras excluded)."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    return {canonicalize_name(Requirement(spec).name) for spec in project["dependencies"]}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def module_level_imports(tree: ast.Module) -> Iterator[tuple[str, int]]:
    """Top-level module names imported when the module is imported (``if TYPE_CHECKING`` blocks skipped;
    ``try``/``if`` bodies at module level included), with their line numbers."""
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import):
            yield from ((alias.name.split(".")[0], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            stack.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            stack.extend(node.body + node.orelse + node.finalbody)
            for handler in node.handlers:
                stack.extend(handler.body)


def undeclared_imports(files: Iterable[Path], declared: set[str]) -> list[str]:
    """``file:line: module (distribution)`` for each module-level import of a third-party distribution that is
    not declared; a module that no installed distribution provides is reported too."""
    provided = packages_distributions()
    problems: list[str] = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for module, line in module_level_imports(tree):
            if module in FIRST_PARTY or module in sys.stdlib_module_names or module == "__future__":
                continue
            dists = {canonicalize_name(d) for d in provided.get(module, [])}
            if not dists:
                problems.append(f"{path}:{line}: {module} (no installed distribution provides it)")
            elif not dists & declared:
                problems.append(f"{path}:{line}: {module} (from {', '.join(sorted(dists))}, not a core dependency)")
    return problems


def _product_files() -> list[Path]:
    return sorted(p for folder in FIRST_PARTY for p in (ROOT / folder).rglob("*.py"))


def test_product_modules_import_only_core_dependencies() -> None:
    problems = undeclared_imports(_product_files(), declared_core_dependencies())
    assert not problems, "declare these in [project].dependencies or import them lazily:\n" + "\n".join(problems)


def test_the_check_catches_an_undeclared_module_level_import(tmp_path: Path) -> None:
    """The scipy case of issue 17: a core module imports scipy at module level while only ``dev`` declares it."""
    module = tmp_path / "optimizer" / "deployment" / "model.py"
    module.parent.mkdir(parents=True)
    module.write_text("from __future__ import annotations\nimport numpy as np\nimport scipy.sparse as sp\n"
                      "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pandas\n"
                      "def lazy():\n    import ray\n", encoding="utf-8")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\ndependencies = ["numpy>=1.26"]\n'
                         '[project.optional-dependencies]\ndev = ["scipy>=1.11"]\n', encoding="utf-8")
    problems = undeclared_imports([module], declared_core_dependencies(pyproject))
    assert len(problems) == 1 and ":3: scipy" in problems[0], problems


def test_optional_features_are_imported_lazily() -> None:
    """Ray and the PostgreSQL driver are extras: no product module imports them at module level."""
    optional = {"ray", "psycopg", "psycopg2"}
    hits = [f"{path}: {module}" for path in _product_files()
            for module, _ in module_level_imports(ast.parse(path.read_text(encoding="utf-8")))
            if module in optional]
    assert not hits, hits


def _locked_versions(lock: Path = ROOT / "requirements.lock") -> dict[str, str]:
    """``name -> version`` of every ``name==version`` pin in the lock (markers ignored)."""
    pins: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        spec = line.split(";")[0].strip()
        if "==" in spec and not spec.startswith("#"):
            name, version = spec.split("==", 1)
            pins[canonicalize_name(name.split("[")[0])] = version.strip()
    return pins


def test_the_lock_pins_every_declared_dependency_within_its_bounds() -> None:
    """A dependency added to pyproject.toml without ``tools/lock.sh`` would install unpinned on a fresh machine."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = list(project["dependencies"]) + [s for extra in project["optional-dependencies"].values() for s in extra]
    pins = _locked_versions()
    problems = []
    for spec in specs:
        req = Requirement(spec)
        version = pins.get(canonicalize_name(req.name))
        if version is None:
            problems.append(f"{req.name}: not in requirements.lock")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req.name}: locked {version} outside {req.specifier}")
    assert not problems, "run tools/lock.sh:\n" + "\n".join(problems)
