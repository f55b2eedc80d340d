"""The code's shape, checked: no private names used across modules, no module state toggled at
run time. (The import layers themselves are checked by import-linter: ``lint-imports``, run by
``scripts/test.sh`` with the contract in ``pyproject.toml``.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "rulesfacts"


def modules() -> list[tuple[str, ast.Module]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        out.append((".".join(rel.parts).removesuffix(".__init__"), ast.parse(path.read_text(), str(path))))
    return out


def imported_modules(tree: ast.Module) -> dict[str, str]:
    """Local name → rulesfacts module, for ``import rulesfacts.x as y`` and ``from rulesfacts.a import b``
    where b is a module."""
    names = {}
    module_files = {".".join(p.relative_to(SRC.parent).with_suffix("").parts).removesuffix(".__init__")
                    for p in SRC.rglob("*.py")}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("rulesfacts"):
                    names[a.asname or a.name.split(".")[0]] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rulesfacts"):
            for a in node.names:
                if f"{node.module}.{a.name}" in module_files:
                    names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_uses(name: str, tree: ast.Module, mods: dict[str, str]) -> list[str]:
    """``from rulesfacts.x import _y`` and ``module._y`` for an imported rulesfacts module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rulesfacts"):
            found += [f"{name}: from {node.module} import {a.name}" for a in node.names if is_private(a.name)]
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in mods and is_private(node.attr):
            found.append(f"{name}: {node.value.id}.{node.attr}")
    return found


def toggles(name: str, tree: ast.Module, mods: dict[str, str]) -> list[str]:
    """``global`` statements and assignments to an attribute of an imported rulesfacts module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            found.append(f"{name}: global {', '.join(node.names)}")
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
        for t in targets:
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in mods:
                found.append(f"{name}: {t.value.id}.{t.attr} = ...")
    return found


def test_no_private_name_is_imported_or_reached_across_modules():
    assert [f for name, tree in modules() for f in private_uses(name, tree, imported_modules(tree))] == []


def test_no_module_state_is_toggled_at_run_time():
    """Behaviour is chosen by arguments (a step path, a callback), never by a flipped flag."""
    assert [f for name, tree in modules() for f in toggles(name, tree, imported_modules(tree))] == []


def test_the_checks_find_what_they_look_for():
    tree = ast.parse("from rulesfacts.x import _y\n"
                     "def f():\n    global G\n    G = 1\n"
                     "trainer.FLAG = False\nz = trainer._hidden\n")
    mods = {"trainer": "rulesfacts.training.trainer"}
    assert sorted(private_uses("m", tree, mods)) == ["m: from rulesfacts.x import _y", "m: trainer._hidden"]
    assert sorted(toggles("m", tree, mods)) == ["m: global G", "m: trainer.FLAG = ..."]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
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
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_between_modules():
    """Run-time imports only (``if TYPE_CHECKING:`` imports are annotations, not dependencies).
    The package root re-exports the API and is imported by nothing inside the package."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("rulesfacts", exclude_type_checking_imports=True)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert cycles(edges) == []
    assert graph.find_modules_that_directly_import("rulesfacts") == set()


def test_the_cycle_finder_finds_cycles():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e2"}, "e2": set()}
    assert cycles(edges) == [["a", "b", "c"]]
