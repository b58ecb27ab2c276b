"""The builtins table (compiler/builtins.py) is the one list of builtin functions: the checker
and the Python lowering handle exactly its names, the SQL lowering a part of them, and the
reference's function tables are rendered from it."""

from __future__ import annotations

from pathlib import Path

from awmlang.compiler.builtins import AGGREGATE, BUILTINS, NAMES, SCALAR, TASK, markdown_table
from awmlang.compiler.check import Checker
from awmlang.compiler.lower_python import Emitter
from awmlang.compiler.lower_sql import SqlCompiler

LANGUAGE = (Path(__file__).resolve().parent.parent / "docs" / "language.md").read_text()


def test_the_checker_checks_exactly_the_builtins_of_the_table():
    methods = {name[2:] for name in dir(Checker) if name.startswith("f_")}
    assert methods == NAMES


def test_the_python_lowering_emits_exactly_the_builtins_of_the_table():
    methods = {name[5:] for name in dir(Emitter) if name.startswith("call_")}
    assert methods == NAMES


def test_the_sql_lowering_knows_no_other_builtin():
    methods = {name[4:] for name in dir(SqlCompiler) if name.startswith("sql_")}
    assert methods <= NAMES and {"count", "exists", "lower", "round", "days_between"} <= methods
    assert not methods & {b for builtin in BUILTINS if builtin.kind == TASK for b in builtin.names}


def test_a_builtin_without_sql_lowering_is_refused_inside_a_query(tmp_path):
    from awmlang.compiler.build import check_spec

    spec = tmp_path / "x.awm"
    spec.write_text(
        'env x "X" {}\nentity T { id: int @id  s: text }\n'
        'tool f() -> int "F." { return count(T where text(s) == "a") }\n'
    )
    [error] = check_spec(spec, memo=False).errors
    assert error.code == "AWM2007" and "`text(...)` runs in handlers, not in SQL" in (error.help or "")


def test_the_reference_shows_the_tables_rendered_from_the_builtins():
    for kind in (AGGREGATE, SCALAR):
        assert markdown_table(kind) in LANGUAGE, f"docs/language.md should hold:\n{markdown_table(kind)}"


def test_the_task_functions_are_explained_with_tasks():
    tasks_section = LANGUAGE[LANGUAGE.index("## 12b. Tasks") : LANGUAGE.index("## 13.")]
    for builtin in BUILTINS:
        if builtin.kind == TASK:
            for name in builtin.names:
                assert f"`{name}(" in tasks_section, name


def test_a_name_outside_the_table_is_an_unknown_function(tmp_path):
    from awmlang.compiler.build import check_spec
    from awmlang.compiler.diagnostics import render_human

    spec = tmp_path / "x.awm"
    spec.write_text('env x "X" {}\nentity T { id: int @id  n: int }\ntool f() -> int "F." { return cuont(T) }\n')
    result = check_spec(spec, memo=False)
    shown = render_human(result.diagnostics, result.sources)
    assert "AWM1005" in shown and "unknown function `cuont`" in shown and "count" in shown
