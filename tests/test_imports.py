"""The package's modules import each other without cycles (functions' own imports included):
a cycle makes the import order matter and hides which layer depends on which."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# every package the wheel ships (pyproject.toml's package-dir), so a new package is walked too
PACKAGES = {
    name: ROOT / folder
    for name, folder in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-dir"
    ].items()
}
CHECKER = "awmlang.compiler.check"


def _modules() -> dict[str, Path]:
    return {
        f"{package}.{path.stem}" if path.stem != "__init__" else package: path
        for package, folder in PACKAGES.items()
        for path in folder.glob("*.py")
    }


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package modules `name` imports anywhere, except under `if TYPE_CHECKING:`."""
    package = name if path.stem == "__init__" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    skipped = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
        for n in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    # a package that contains `name` is imported before it anyway (`from . import nodes` names
    # one); any other package is an edge to its `__init__`
    return {m for m in found if m in known and m != name and not name.startswith(m + ".")}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, set(modules)) for name, path in modules.items()}


def test_lowering_never_reaches_the_checker():
    """Lowering reads the checked Model, constants' values included: it never imports the checker
    (the package compiler/check/) nor the evaluator of constants, directly or through another module."""
    graph = _graph()
    for start in ("awmlang.compiler.lower_sql", "awmlang.compiler.lower_python", "awmlang.compiler.lower_schema"):
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        assert not {m for m in seen if m == CHECKER or m.startswith(CHECKER + ".")}, start
        assert "awmlang.compiler.constants" not in seen, start


def test_the_checker_package_is_walked():
    modules = _modules()
    assert {"awmlang.compiler.check", "awmlang.compiler.check.checker", "awmlang.compiler.check.crud"} <= set(modules)
    assert "awmlang.compiler.check" in _graph()["awmlang.compiler.build"]


def test_the_parser_package_is_walked():
    parser_modules = {"awmlang.compiler.parse", "awmlang.compiler.parse.lalr", "awmlang.compiler.parse.to_nodes"}
    assert parser_modules <= set(_modules())
    assert "awmlang.compiler.parse.lalr" in _graph()["awmlang.compiler.parse.to_nodes"]


def test_the_sql_lowering_package_is_walked():
    sql_modules = {
        "awmlang.compiler.lower_sql",
        "awmlang.compiler.lower_sql.calls",
        "awmlang.compiler.lower_sql.tables",
    }
    assert sql_modules <= set(_modules())
    graph = _graph()
    assert "awmlang.compiler.lower_sql.queries" in graph["awmlang.compiler.lower_sql"]
    assert "awmlang.compiler.lower_sql.calls" in graph["awmlang.compiler.lower_sql.queries"]


def test_no_import_cycles():
    graph = _graph()
    cycles = []

    def visit(node, stack):
        if node in stack:
            cycles.append(stack[stack.index(node) :] + [node])
            return
        for nxt in sorted(graph[node]):
            if nxt not in done:
                visit(nxt, stack + [node])
        done.add(node)

    done: set[str] = set()
    for name in sorted(graph):
        visit(name, [])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)
