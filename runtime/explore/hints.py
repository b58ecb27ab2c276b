"""What a tool's code compares each parameter with, read from the generated handlers module.

Random arguments mostly fail a tool's first guard. The handlers say what would pass it: a
parameter compared with a literal (`require amount >= 25`) should sometimes be 24, 25 or 26,
and a parameter a statement compares with a column (`Agent[name: agent_name]` is
`WHERE "name" = ?`) or stores in one should sometimes be a value that column holds. Both are
found once per environment by walking each tool function's syntax tree (Python's `ast`) and
the text of the SQL statements it runs, so the compiler needs to record nothing more.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

# `t0."status" IS ?`, `"id" = ?`, `u."label" = ?`: the column a placeholder is compared with or set to
_COMPARED = re.compile(r'(?:(\w+)\.)?"(\w+)"\s*(?:=|==|!=|<>|<=|>=|<|>|IS NOT|IS)\s*$', re.IGNORECASE)
_TABLE = re.compile(r'\b(?:FROM|JOIN|UPDATE|INTO)\s+"(\w+)"(?:\s+AS\s+(\w+))?', re.IGNORECASE)
_INSERT = re.compile(r'^\s*INSERT INTO "(\w+)" \(([^)]*)\) VALUES \((.*)\)', re.IGNORECASE | re.DOTALL)
_STRING_LITERAL = re.compile(r"'(?:[^']|'')*'")


@dataclass
class ToolHints:
    """Per parameter of one tool: literals its guards compare it with, and (table, column)
    pairs its statements compare it with or write it to."""

    literals: dict[str, list] = field(default_factory=dict)
    columns: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # entity parameters a guard compares with the acting user (`order.customer == me`): the
    # user's own rows pass it; and those it wants to be someone else's (`to.owner != me`)
    mine: set[str] = field(default_factory=set)
    not_mine: set[str] = field(default_factory=set)
    # entity parameter -> guards on a field of its row and a literal: (column, operator, value)
    # for `require order.status == paid`, so rows that pass can be drawn
    row_tests: dict[str, list[tuple[str, str, object]]] = field(default_factory=dict)
    # parameter, or field of a record or union parameter -> lengths a guard wants its text to
    # have (`require len(trim(c.number)) == 16`)
    lengths: dict[str, list[int]] = field(default_factory=dict)


def tool_hints(module: ast.Module, constants: dict[str, object]) -> dict[str, ToolHints]:
    """tool name -> its hints, from the handlers module's syntax tree and its constants (`SQL_*`
    statements, `COL_*` column positions)."""
    statements = {k: v for k, v in constants.items() if k.startswith("SQL_") and isinstance(v, str)}
    positions = {k: v for k, v in constants.items() if k.startswith("COL_") and isinstance(v, int)}
    hints = {}
    for node in module.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("tool_"):
            hints[node.name.removeprefix("tool_")] = _function_hints(node, statements, positions)
    return hints


def _function_hints(function: ast.FunctionDef, statements: dict[str, str], positions: dict[str, int]) -> ToolHints:
    params = _parameter_variables(function)
    sources = _value_sources(function, params)
    hints = ToolHints()
    for node in _nodes_outside_raises(function):
        if isinstance(node, ast.Compare):
            _note_length(node, sources, hints)
            literals = list(_literals(node))
            fields = list(_fields_read(node, statements, positions))
            for param in _params_in(node, params):
                hints.literals.setdefault(param, []).extend(literals)
                hints.columns.setdefault(param, []).extend(fields)
            _note_ownership(node, params, hints)
            _note_row_test(node, params, statements, positions, hints)
        elif isinstance(node, ast.Call):
            for param, column in _compared_columns(node, params, statements):
                hints.columns.setdefault(param, []).append(column)
    for param, values in hints.literals.items():
        hints.literals[param] = sorted(set(values), key=repr)
    for param, columns in hints.columns.items():
        hints.columns[param] = sorted(set(columns))
    return hints


def _parameter_variables(function: ast.FunctionDef) -> dict[str, str]:
    """`p_label = args['label']` -> {"p_label": "label"}."""
    found: dict[str, str] = {}
    for node in function.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Subscript)
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "args"
            and isinstance(node.value.slice, ast.Constant)
            and isinstance(node.value.slice.value, str)
            and isinstance(node.targets[0], ast.Name)
        ):
            found[node.targets[0].id] = node.value.slice.value
    return found


def _value_sources(function: ast.FunctionDef, params: dict[str, str]) -> dict[str, str]:
    """Variables -> the one parameter, or field of a parameter's record (`x.get('number')`),
    their value comes from: `p_label` -> label, `v_digits = trim(v_c.get('number'))` -> number."""
    sources = dict(params)
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            source = _source_of(node.value, sources)
            if source is not None:
                sources.setdefault(node.targets[0].id, source)
    return sources


def _source_of(expression: ast.AST, sources: dict[str, str]) -> str | None:
    """The one field (`x.get('number')`) an expression reads, else the one parameter or
    variable with a source it reads, else None."""
    fields = {
        n.args[0].value
        for n in ast.walk(expression)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "get"
        and n.args
        and isinstance(n.args[0], ast.Constant)
        and isinstance(n.args[0].value, str)
    }
    if fields:
        return fields.pop() if len(fields) == 1 else None
    names = {sources[n.id] for n in ast.walk(expression) if isinstance(n, ast.Name) and n.id in sources}
    return names.pop() if len(names) == 1 else None


def _note_length(compare: ast.Compare, sources: dict[str, str], hints: ToolHints) -> None:
    """`len(x) == 16` (either way round, any comparison): x's source should sometimes be 16 long."""
    if len(compare.ops) != 1:
        return
    for measured, bound in ((compare.left, compare.comparators[0]), (compare.comparators[0], compare.left)):
        if (
            isinstance(measured, ast.Call)
            and isinstance(measured.func, ast.Name)
            and measured.func.id == "len"
            and len(measured.args) == 1
            and isinstance(bound, ast.Constant)
            and type(bound.value) is int
        ):
            source = _source_of(measured.args[0], sources)
            if source is not None:
                hints.lengths.setdefault(source, []).append(bound.value)


def _note_ownership(compare: ast.Compare, params: dict[str, str], hints: ToolHints) -> None:
    """`x == rt.me` marks the parameters in `x` as wanting the user's own rows, `x != rt.me` as
    wanting someone else's."""
    if len(compare.ops) != 1 or ast.unparse(compare.comparators[0]) != "rt.me":
        return
    if isinstance(compare.ops[0], (ast.Eq, ast.Is)):
        hints.mine |= _params_in(compare.left, params)
    elif isinstance(compare.ops[0], (ast.NotEq, ast.IsNot)):
        hints.not_mine |= _params_in(compare.left, params)


_SQL_OPERATORS = {ast.Eq: "IS", ast.NotEq: "IS NOT", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


def _note_row_test(compare: ast.Compare, params: dict[str, str], statements, positions, hints: ToolHints) -> None:
    """`cached_field(db, _rows, SQL_X, p_order, COL_ORDER_STATUS) == 'paid'`: the order's
    status must be paid."""
    left, right = compare.left, compare.comparators[0]
    operator = _SQL_OPERATORS.get(type(compare.ops[0])) if len(compare.ops) == 1 else None
    if operator is None or not isinstance(right, ast.Constant) or isinstance(right.value, bool):
        return
    if not (isinstance(left, ast.Call) and isinstance(left.func, ast.Name) and left.func.id == "cached_field"):
        return
    key = left.args[3] if len(left.args) == 5 else None
    if isinstance(key, ast.Name) and key.id in params:
        for _table, column in _fields_read(compare, statements, positions):
            hints.row_tests.setdefault(params[key.id], []).append((column, operator, right.value))


def _nodes_outside_raises(function: ast.FunctionDef):
    """Every node of the function except those of `raise Fail(...)` (its message texts)."""
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Raise):
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _params_in(node: ast.AST, params: dict[str, str]) -> set[str]:
    return {params[n.id] for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in params}


def _literals(compare: ast.Compare):
    """The literals of a comparison, and for numbers their neighbours (`>= 25`: 24, 25, 26)."""
    for node in ast.walk(compare):
        value = node.value if isinstance(node, ast.Constant) else None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            value = -node.operand.value if isinstance(node.operand.value, (int, float)) else None
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, (int, float)):
            yield from (value - 1, value, value + 1)
        elif isinstance(value, str):
            yield value


def _fields_read(compare: ast.Compare, statements: dict[str, str], positions: dict[str, int]):
    """(table, column) of each field a comparison reads: `cached_field(db, _rows, SQL_X, key,
    COL_ACCOUNT_BALANCE) >= p_amount` compares the amount with an account's balance."""
    for node in ast.walk(compare):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "cached_field"):
            continue
        sql, index = node.args[2] if len(node.args) == 5 else None, node.args[-1]
        if isinstance(sql, ast.Name) and sql.id in statements and isinstance(index, ast.Name) and index.id in positions:
            columns = selected_columns(statements[sql.id])
            if positions[index.id] < len(columns):
                yield columns[positions[index.id]]


def selected_columns(sql: str) -> list[tuple[str, str]]:
    """The (table, column) of each column a one-table SELECT returns, in order."""
    match = re.match(r'\s*SELECT (.*?) FROM "(\w+)"', sql, re.DOTALL)
    if match is None:
        return []
    return [(match.group(2), item.strip().rpartition(".")[2].strip('"')) for item in match.group(1).split(",")]


def _compared_columns(call: ast.Call, params: dict[str, str], statements: dict[str, str]):
    """(param, (table, column)) for each parameter passed as a placeholder of a statement the
    call runs: `scalar(db, SQL_X, (p_a, p_b))`, `must_row(db, _rows, SQL_Y, p_c, ...)`."""
    for i, arg in enumerate(call.args[:-1]):
        if isinstance(arg, ast.Name) and arg.id in statements:
            values = call.args[i + 1]
            elements = values.elts if isinstance(values, ast.Tuple) else [values]
            columns = placeholder_columns(statements[arg.id])
            for index, element in enumerate(elements):
                if index < len(columns) and columns[index] is not None:
                    for param in _params_in(element, params):
                        yield param, columns[index]
            return


def placeholder_columns(sql: str) -> list[tuple[str, str] | None]:
    """For each `?` of a statement in order, the (table, column) it is compared with or
    written to, or None when that is not a plain column."""
    text = _STRING_LITERAL.sub(lambda m: " " * len(m.group()), sql)
    tables = _TABLE.findall(text)
    aliases = {alias or table: table for table, alias in tables}
    inserted = _INSERT.match(text)
    if inserted and inserted.group(3).count("?") == len(inserted.group(2).split(",")):
        table, names = inserted.group(1), [n.strip().strip('"') for n in inserted.group(2).split(",")]
        return [(table, n) for n in names]
    found: list[tuple[str, str] | None] = []
    for match in re.finditer(r"\?", text):
        column = _COMPARED.search(text[: match.start()])
        if column is None or not tables:
            found.append(None)
            continue
        alias, name = column.groups()
        found.append((aliases.get(alias, tables[0][0]) if alias else tables[0][0], name))
    return found
