"""The state of one generated function and its plumbing: lines, SQL constants, temporaries,
local functions, and SQL statements with Python parameters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from .. import nodes as n
from ..handlers_module import column_marker, placeholder
from ..lower_sql import SqlCompiler, sql
from ..types import Model, T
from .snippets import coerce_code, row_select, to_storage_code


@dataclass
class EmitterCore:
    """One generated function as it is written, and its plumbing (the classes above it write the
    code). Its code names each SQL statement by a placeholder
    (`\\x00<k>\\x00`, k from 1) that handlers_module replaces with the module's shared constant
    name, and its temporaries are numbered from 1, so the code of a function depends only on
    what it is lowered from: an unchanged tool lowers to the same text in any build."""

    model: Model
    owner: str
    sql_constants: dict[str, str] = field(default_factory=dict)  # sql text -> placeholder
    lines: list[str] = field(default_factory=list)
    line_spans: list[n.Span | None] = field(default_factory=list)
    temp: int = 0
    local_functions: dict[object, str] = field(default_factory=dict)  # what it does -> its name
    local_lines: list[str] = field(default_factory=list)  # their definitions (at depth 1)
    rows_cache: bool = False  # a tool: rows read by key are kept in `_rows` while nothing is written
    uses_rows: bool = False
    columns_used: set[tuple[str, str]] = field(default_factory=set)  # (entity, column) indexes named

    # ---- output plumbing ------------------------------------------------------------
    def emit(self, depth: int, text: str, span: n.Span | None = None):
        self.lines.append("    " * depth + text)
        self.line_spans.append(span)

    def sql_const(self, text: str) -> str:
        if text not in self.sql_constants:
            self.sql_constants[text] = placeholder(len(self.sql_constants) + 1)
        return self.sql_constants[text]

    def local_function(self, key, stem: str, params: str, body: Callable[[], list[str]]) -> str:
        """A function defined at the top of the generated one (instead of a lambda called on
        the spot); `body` is made on first use, its lines relative to the function's body."""
        if key not in self.local_functions:
            name = self.local_functions[key] = f"_{stem}{len(self.local_functions) + 1}"
            lines = [f"    def {name}({params}):"]  # reserved before the body adds its own
            at = len(self.local_lines)
            self.local_lines.append("")
            lines += ["        " + line for line in body()]
            self.local_lines[at : at + 1] = lines
        return self.local_functions[key]

    def constants(self) -> list[tuple[str, str]]:
        return [(name, text) for text, name in self.sql_constants.items()]

    def row_const(self, entity) -> str:
        """The SELECT of one whole row by key (the one out_<Entity> runs), for `_rows`."""
        self.uses_rows = True
        return self.sql_const(sql(row_select(entity)))

    def column_index(self, entity, column: str) -> str:
        """The position of a column in the entity's rows, as the module names it (`COL_ORDER_STATUS`)."""
        self.columns_used.add((entity.name, column))
        return column_marker(entity.name, column)

    def fresh(self, stem: str) -> str:
        self.temp += 1
        return f"_{stem}{self.temp}"

    def t(self, e) -> T:
        return self.model.types[e]

    # ---- SQL with Python parameters -------------------------------------------------
    def compiler(self) -> SqlCompiler:
        return SqlCompiler(self.model, python=self.storage)

    def run_sql(self, statement: exp.Expression, params: list[str]) -> tuple[str, str]:
        name = self.sql_const(sql(statement))
        return name, "(" + ", ".join(params) + ("," if len(params) == 1 else "") + ")"

    def storage(self, e: n.Expr, t: T) -> str:
        """Python code for the SQLite-stored form of e's value as a `t` (an int stored in a
        decimal field is converted to cents, a decimal in a float field to a float)."""
        code = self.expr(e)
        return to_storage_code(
            code if t.kind == "decimal" else coerce_code(code, self.t(e), t), t
        )  # cents() takes any number

    def query_call(self, e: n.Expr, what: str, agg=None) -> str:
        c = self.compiler()
        select = c.select(e, what, agg)
        const, params = self.run_sql(select, c.params)
        helper = {
            "rows": "rows",
            "keys": "column",
            "first": "scalar",
            "count": "scalar",
            "exists": "exists",
            "agg": "scalar",
        }[what]
        return f"{helper}(db, {const}, {params})"

    # ---- expressions: each node kind has its x_<Kind> method (expressions.py) ------------
    def expr(self, e) -> str:
        t = self.t(e)
        if t.kind == "query" and not isinstance(e, n.Call):
            return self.query_call(e, "keys")
        return getattr(self, "x_" + type(e).__name__)(e)
