"""The generated handlers module is readable: lines of at most 120 characters, one constant per
distinct SQL statement (named by what it does), a `# file:line` comment before the code of
each spec statement, no lambda called on the spot, no doubled parentheses after `not`. The
layout changes nothing but layout: the module's syntax tree is the same unbroken."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest
from awmlang.compiler.build import build_spec, spec_locator
from awmlang.compiler.lower_python import lower_python
from awmlang.compiler.lower_sql import invariant_statement
from awmlang.compiler.pyformat import cut_string, parenthesized, tokens, wrap_line
from awmlang.compiler.sqlnames import base_name, constant_names

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.awm")) + sorted((ROOT / "tests" / "cases").glob("*/spec.awm"))
COMMENT = re.compile(r"^ *# (\S+):(\d+)$")

_built: dict = {}


def built(path: Path):
    if path not in _built:
        result = build_spec(path)
        assert result.ok, [d.message for d in result.errors]
        _built[path] = result
    return _built[path]


def handlers(path: Path) -> str:
    return built(path).outputs["handlers.py"]


def module_of(text: str) -> dict:
    namespace: dict = {}
    exec(compile(text, "handlers.py", "exec"), namespace)
    return namespace


spec_ids = pytest.mark.parametrize("path", SPECS, ids=lambda p: p.parent.name if p.name == "spec.awm" else p.stem)


@spec_ids
def test_lines_are_at_most_120_characters(path):
    long = [(i, line) for i, line in enumerate(handlers(path).splitlines(), 1) if len(line) > 120]
    assert not long, long[:3]


@spec_ids
def test_no_lambda_is_called_where_it_is_made(path):
    tree = ast.parse(handlers(path))
    called = [
        node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Lambda)
    ]
    assert not called, called


@spec_ids
def test_no_doubled_parentheses_after_not(path):
    toks = [
        t
        for t in tokenize.generate_tokens(io.StringIO(handlers(path)).readline)
        if t.type == tokenize.OP or t.type == tokenize.NAME
    ]
    closer = {}
    stack = []
    for i, t in enumerate(toks):
        if t.string in "([{":
            stack.append(i)
        elif t.string in ")]}":
            closer[stack.pop()] = i
    doubled = [
        toks[i].start[0]
        for i in range(len(toks) - 2)
        if toks[i].string == "not"
        and toks[i + 1].string == "("
        and toks[i + 2].string == "("
        and closer[i + 2] + 1 == closer[i + 1]
    ]
    assert not doubled, doubled


@spec_ids
def test_sql_constants_are_shared_and_named_by_what_they_do(path):
    text = handlers(path)
    tree = ast.parse(text)
    constants = {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id.startswith("SQL_")
    }
    assert len(set(constants.values())) == len(constants), "a statement has two constants"
    assert not [name for name in constants if re.search(r"SQL_(tool|task|out)_", name)]
    for name, sql in constants.items():
        verb = sql.split()[0]
        expected = {"INSERT": "SQL_INSERT_", "UPDATE": "SQL_UPDATE_", "DELETE": "SQL_DELETE_"}.get(verb)
        if expected:
            assert name.startswith(expected), (name, sql)
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id.startswith("SQL_")}
    assert used == set(constants), "a constant is unused or a name is undefined"


@spec_ids
def test_each_statement_is_preceded_by_its_spec_line(path):
    """Every line the line map names lies under a `# file:line` comment naming the same line, in
    the same function; a `raise Fail('code', ...)` sits under the spec line that fails with it, a
    loop under the spec line of its `for`."""
    text = handlers(path)
    lines = text.splitlines()
    line_map = module_of(text)["LINE_MAP"]
    assert line_map
    base = path.parent
    spec_lines: dict[str, list[str]] = {}

    def spec_line(where: str) -> str:
        file, number = where.rsplit(":", 1)
        if file not in spec_lines:
            spec_lines[file] = (base / file).read_text().splitlines()
        return spec_lines[file][int(number) - 1]

    for lineno, where in line_map.items():
        i = lineno - 1
        while not COMMENT.match(lines[i]):
            assert not lines[i].startswith("def "), (lineno, "no comment in its function")
            i -= 1
        assert lines[i].strip() == f"# {where}", (lineno, lines[i], where)
        code = lines[lineno - 1].strip()
        failure = re.match(r"raise Fail\('(\w+)'", code)
        shorthand = spec_line(where).lstrip().startswith("tool ")  # `tool get_x = get X`: its checks
        if failure and not shorthand:
            assert f"fail {failure.group(1)}" in spec_line(where), (lineno, code, spec_line(where))
        loop = re.match(r"for (?:v_\w+, )?v_(\w+) in", code)
        if loop:
            assert re.search(rf"\bfor\b.*\b{loop.group(1)}\b", spec_line(where)), (lineno, code, spec_line(where))
    function = None
    for number, line in enumerate(lines, 1):  # every comment in a tool is followed by code the line map names
        if line.startswith("def "):
            function = line
        if COMMENT.match(line) and function.startswith("def tool_"):
            assert number + 1 in line_map, (number, line)


@spec_ids
def test_layout_changes_only_layout(path):
    result = built(path)
    model = result.model
    invariants = {inv.name: invariant_statement(model, inv) for inv in model.invariants}
    plain = lower_python(model, path.name, spec_locator(result.sources, path), invariants, width=None)
    assert max(len(line) for line in plain.splitlines()) > 120  # there was something to break

    def tree(text):
        module = ast.parse(text)
        module.body = [
            node for node in module.body if not (isinstance(node, ast.Assign) and node.targets[0].id == "LINE_MAP")
        ]
        return ast.dump(module)

    assert tree(plain) == tree(handlers(path))


@pytest.mark.parametrize(
    "line",
    [
        "    return out_Order(db, scalar(db, SQL_X, (rt.me, p_address, 'pending', cents(0), 0, 0, cents(0), 0, rt.now, )))",
        "    if not ((v_have + p_quantity) <= scalar(db, SQL_SELECT_PRODUCT_STOCK_BY_ID, (p_product,))) and v_x is not None:",
        "    v = [{'a': r[0], 'b': dec(r[1]), 'c': 'x' * 40} for r in rows(db, SQL_SELECT_SOMETHING_LONG, (1, 2, 'three', ))]",
        "    raise Fail('out_of_stock', ('only ' + to_text(v_stock) + ' of ' + to_text(v_name) + ' in stock, you asked for it'))",
        "    x = (a not in b) or (c is not None) or (-d < e) or f(g, h) or ('a long string with (brackets) and \\' quotes')",
        "    ('tool', 1, lambda: (scalar(db, SQL_COUNT_CART_ITEM_BY_CUSTOMER_ID, (rt.me, )) == 1), 'x' * 3, 'caf\u00e9 \\n'),",
        "    call('create_post', to_plain({'body': 'Sketch diary, week 11: trams, tiles, rooftops and far too much coffee. ' * 1, 'x': 1}))",
        "    call('create_post', to_plain({'body': 'Sketch diary, week 11: trams, tiles, rooftops and far too much coffee again', 'x': 1}))",
    ],
)
def test_broken_lines_mean_the_same(line):
    for width in (40, 60, 80):
        nested = line.strip().startswith("('tool'")
        lines = wrap_line(line, nested=nested, limit=width)
        source = "\n".join(lines)
        body = "\n        pass" if line.endswith(":") else ""

        def wrapper(s, body=body, nested=nested):
            return "x = [\n" + s + "\n]" if nested else "def f():\n" + s + body

        assert ast.dump(ast.parse(wrapper(source))) == ast.dump(ast.parse(wrapper(line)))


def test_a_long_string_in_a_dict_entry_is_cut_up():
    """A gold solution's 400-character post body: social's handlers had a 460-character line."""
    line = "    call('create_post', to_plain({'body': " + repr("Trams, tiles and coffee. " * 16) + ", 'n': 1}))"
    lines = wrap_line(line, limit=120)
    assert max(len(x) for x in lines) <= 120
    assert ast.dump(ast.parse("def f():\n" + "\n".join(lines))) == ast.dump(ast.parse("def f():\n" + line))


def test_long_strings_are_cut_into_adjacent_literals():
    value = "SELECT a FROM t WHERE x = 'it''s' AND y = \"q\" " * 4
    parts = cut_string(value, 30, ",")
    assert all(len(p) <= 31 for p in parts)
    assert ast.literal_eval("(" + " ".join(parts)[:-1] + ")") == value


def test_parenthesized():
    assert parenthesized("(a + b)")
    assert parenthesized("(f(')') + g('('))")
    assert not parenthesized("(a) + (b)")
    assert not parenthesized("f(a)")


def test_constant_names():
    assert base_name('SELECT "name" FROM "product" WHERE "id" = ?') == "SQL_SELECT_PRODUCT_NAME_BY_ID"
    assert base_name('SELECT "id", "a", "b", "c" FROM "product" WHERE "id" = ?') == "SQL_SELECT_PRODUCT_BY_ID"
    assert base_name('SELECT COUNT(*) FROM "cart_item" AS t0 WHERE t0."customer_id" = ?') == (
        "SQL_COUNT_CART_ITEM_BY_CUSTOMER_ID"
    )
    assert base_name('UPDATE "order" AS u SET "status" = ? WHERE u."id" = ?') == "SQL_UPDATE_ORDER_SET_STATUS_BY_ID"
    assert base_name('INSERT INTO "order" ("a") VALUES (?) RETURNING "id"') == "SQL_INSERT_ORDER"
    assert base_name('DELETE FROM "t" WHERE "id" IN (SELECT t0."id" FROM "t" AS t0)') == "SQL_DELETE_T_BY_ID_IN"
    texts = ['SELECT "a" FROM "t" WHERE "id" = ?', 'SELECT t0."a" FROM "t" AS t0 WHERE (t0."id" IS ?) LIMIT 1']
    names = constant_names(texts)
    assert sorted(names.values()) == ["SQL_SELECT_T_A_BY_ID", "SQL_SELECT_T_A_BY_ID_2"]
    assert constant_names(reversed(texts)) == names  # the order they come in does not matter


@spec_ids
def test_the_layout_tokenizer_agrees_with_python(path):
    """pyformat.tokens (one regular expression) gives the tokens Python's tokenize gives, on every
    line of code of the module unbroken (where the line is whole and has no comment)."""
    result = built(path)
    model = result.model
    invariants = {inv.name: invariant_statement(model, inv) for inv in model.invariants}
    plain = lower_python(model, path.name, spec_locator(result.sources, path), invariants, width=None)
    checked = 0
    lines = plain.splitlines()
    docstring = lines.index('"""', 1) + 1
    for line in lines[docstring:]:
        code = line.lstrip(" ")
        try:
            expected = [
                (t.string, t.start[1], t.end[1])
                for t in tokenize.generate_tokens(io.StringIO(code).readline)
                if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT)
            ]
        except (tokenize.TokenError, SyntaxError):
            continue  # a piece of a statement that spans lines
        if not code or any(t[0].startswith("#") for t in expected) or '"""' in code:
            continue
        found = tokens(code)
        assert found is not None and [(t.text, t.start, t.end) for t in found] == expected, code
        checked += 1
    assert checked > 100
