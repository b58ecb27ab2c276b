"""The sqlglot helpers all of SQL lowering shares: names, literals, storage forms, numeric conversion, rendering."""

from __future__ import annotations

import threading
from decimal import Decimal

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from ...runtime.support import to_json_text
from .. import nodes as n
from ..types import EntityInfo, FieldInfo, Model, T, is_numeric

SQL_TYPES = {
    "int": "INTEGER",
    "float": "REAL",
    "decimal": "INTEGER",
    "bool": "INTEGER",
    "text": "TEXT",
    "date": "TEXT",
    "datetime": "TEXT",
    "json": "TEXT",
    "enum": "TEXT",
    "list": "TEXT",
    "record": "TEXT",
    "union": "TEXT",
}
DIALECT = "sqlite"


COMPUTE_FIRST = "loop over the rows with `for` and test it with `if`"  # the help of what SQL cannot do


class LoweringError(Exception):
    def __init__(self, message: str, span: n.Span, code: str = "AWM2007", help: str | None = None):
        super().__init__(message)
        self.span = span
        self.code = code
        self.help = help


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def table(entity: EntityInfo, alias: str | None = None) -> exp.Table:
    t = exp.Table(this=ident(entity.table))
    if alias:
        t.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
    return t


def col(name: str, alias: str | None = None) -> exp.Column:
    return exp.Column(this=ident(name), table=exp.to_identifier(alias) if alias else None)


_generators = threading.local()


def sql(e: exp.Expression) -> str:
    """Render a tree in the sqlite dialect (one generator per thread, reused: it is costly to make).
    With sqlglotc installed (a dependency) the generator is compiled code."""
    generator = getattr(_generators, "sqlite", None)
    if generator is None:
        generator = _generators.sqlite = Dialect.get_or_raise(DIALECT).generator()
    return generator.generate(e, copy=False)


def column_sql_type(model: Model, f: FieldInfo) -> str:
    if f.type.kind == "entity":
        return column_sql_type(model, model.entities[f.type.decl_name].id_field)
    return SQL_TYPES[f.type.kind]


def literal(value) -> exp.Expression:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Literal.number(int(value))
    if isinstance(value, (int, float, Decimal)):
        return exp.Literal.number(str(value))
    return exp.Literal.string(str(value))


def to_storage(value, t: T):
    """A Python constant as SQLite stores it for a column of type t."""
    if value is None:
        return None
    if t.kind == "decimal":
        return int((Decimal(value) * 100).to_integral_value(rounding="ROUND_HALF_UP"))
    if t.kind == "bool":
        return int(bool(value))
    if t.kind in ("json", "list", "record", "union"):
        return to_json_text(value)  # as handlers write JSON: a decimal is a number
    if isinstance(value, Decimal):
        return float(value) if t.kind == "float" else value
    return value


def convert(value: exp.Expression, src: T, dst: T) -> exp.Expression:
    """A number in src's SQL form as dst's: decimals are integer cents, floats are REAL."""
    if src.kind == dst.kind or not (is_numeric(src) and is_numeric(dst)):
        return value
    if dst.kind == "decimal":
        if src.kind == "int":
            return exp.Paren(this=exp.Mul(this=exp.Paren(this=value), expression=exp.Literal.number(100)))
        return function_call("awm_cents", value)  # float -> cents, rounded as handlers round
    if dst.kind == "float":
        divisor = "100.0" if src.kind == "decimal" else "1.0"
        return exp.Paren(this=exp.Div(this=exp.Paren(this=value), expression=exp.Literal.number(divisor)))
    return value


def function_call(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))
