"""Builtin calls inside a query: the `call` dispatcher and one `sql_<name>` per builtin that runs in SQL."""

from __future__ import annotations

from typing import NoReturn

from sqlglot import exp

from ...runtime.support import TRIM_CHARS
from .. import nodes as n
from ..types import DURATION_SECONDS, is_numeric
from .state import CompilerState
from .trees import COMPUTE_FIRST, LoweringError, convert, function_call


class BuiltinCalls(CompilerState):
    """The mixin of `SqlCompiler` that lowers builtin calls; a builtin without a `sql_<name>`
    runs in handlers only (AWM2007)."""

    def call(self, e: n.Call, aliases, entities) -> exp.Expression:
        lower = getattr(self, f"sql_{e.func.name}", None)
        if lower is None:
            self.not_in_sql(e)
        return lower(e, aliases, entities)

    def not_in_sql(self, e: n.Call) -> NoReturn:
        """A builtin (or this form of one: `sum` of a list) that runs in handlers only."""
        raise LoweringError(
            f"`{e.func.name}(...)` over a row's fields is not supported inside a query",
            e.span,
            help=f"`{e.func.name}(...)` runs in handlers, not in SQL: {COMPUTE_FIRST}",
        )

    def args(self, e: n.Call, aliases, entities) -> list[exp.Expression]:
        return [self.value(a, aliases, entities) for a in e.args]

    def numbers_as_result(self, e: n.Call, aliases, entities) -> list[exp.Expression]:
        """The arguments, a number converted to the call's numeric type (`min(1, 2.5)` is a decimal)."""
        values = self.args(e, aliases, entities)
        if is_numeric(self.type_of(e)):
            values = [convert(v, self.type_of(a), self.type_of(e)) for v, a in zip(values, e.args)]
        return values

    def over_query(self, e: n.Call) -> bool:
        return bool(e.args) and self.type_of(e.args[0]).kind == "query"

    def over_rows(self, e: n.Call, what: str, aliases, entities, agg=None) -> exp.Select:
        """The call's query, correlated with the enclosing rows; of a list, not in SQL."""
        if not self.over_query(e):
            self.not_in_sql(e)
        return self.select(e.args[0], what, agg, outer_aliases=aliases, outer_entities=entities)

    def sql_count(self, e: n.Call, aliases, entities) -> exp.Expression:
        return exp.Subquery(this=self.over_rows(e, "count", aliases, entities))

    def sql_exists(self, e: n.Call, aliases, entities) -> exp.Expression:
        return exp.Exists(this=self.over_rows(e, "exists", aliases, entities))

    def sql_first(self, e: n.Call, aliases, entities) -> exp.Expression:
        return exp.Subquery(this=self.over_rows(e, "first", aliases, entities))

    def aggregate(self, e: n.Call, aliases, entities) -> exp.Expression:
        """`sum`, `avg`, `min`, `max` over a query's rows; `min`/`max` of several values skip nulls."""
        name = e.func.name
        if name in ("min", "max") and len(e.args) >= 2 and not self.over_query(e):  # nulls skipped, as in handlers
            return function_call(f"awm_{name}", *self.numbers_as_result(e, aliases, entities))
        if not self.over_query(e):  # `sum` of a list
            self.not_in_sql(e)
        return exp.Subquery(this=self.over_rows(e, "agg", aliases, entities, (name, e.args[1])))

    sql_sum = sql_avg = sql_min = sql_max = aggregate

    def sql_len(self, e: n.Call, aliases, entities) -> exp.Expression:
        kind = self.type_of(e.args[0]).kind
        if kind == "query":
            return self.sql_count(e, aliases, entities)
        value = self.value(e.args[0], aliases, entities)
        if kind == "list":
            return function_call("json_array_length", value)
        if kind == "json":
            return function_call("awm_json_len", value)  # items, keys or characters, as handlers count
        return exp.Length(this=value)

    def sql_lower(self, e: n.Call, aliases, entities) -> exp.Expression:
        return exp.Lower(this=self.value(e.args[0], aliases, entities))

    def sql_upper(self, e: n.Call, aliases, entities) -> exp.Expression:
        return exp.Upper(this=self.value(e.args[0], aliases, entities))

    def sql_trim(self, e: n.Call, aliases, entities) -> exp.Expression:  # ASCII white space, as handlers trim
        spaces = function_call("char", *(exp.Literal.number(ord(c)) for c in TRIM_CHARS))
        return function_call("trim", self.value(e.args[0], aliases, entities), spaces)

    def sql_abs(self, e: n.Call, aliases, entities) -> exp.Expression:
        return exp.Abs(this=self.value(e.args[0], aliases, entities))

    def sql_coalesce(self, e: n.Call, aliases, entities) -> exp.Expression:
        values = self.numbers_as_result(e, aliases, entities)
        return exp.Coalesce(this=values[0], expressions=values[1:])

    def sql_date(self, e: n.Call, aliases, entities) -> exp.Expression:
        value = self.value(e.args[0], aliases, entities)
        if self.type_of(e.args[0]).kind == "text":
            return function_call("awm_date", value)  # parsed, invalid_value as in handlers
        return exp.Anonymous(this="date", expressions=[value])

    def duration(self, e: n.Call, aliases, entities) -> exp.Expression:
        """`days(n)` and the other units: a number of seconds."""
        seconds = exp.Literal.number(DURATION_SECONDS[e.func.name])
        return exp.Paren(this=exp.Mul(this=self.value(e.args[0], aliases, entities), expression=seconds))

    sql_days = sql_hours = sql_minutes = sql_seconds = duration

    def sql_round(self, e: n.Call, aliases, entities) -> exp.Expression:  # half away from zero, as handlers
        values = self.args(e, aliases, entities)
        places = values[1] if len(values) > 1 else exp.Literal.number(0)
        if self.type_of(e.args[0]).kind == "decimal":
            return function_call("awm_round_cents", values[0], places)
        return function_call("awm_round", values[0], places, exp.Literal.number(int(self.type_of(e).kind == "int")))

    def sql_days_between(self, e: n.Call, aliases, entities) -> exp.Expression:
        days = [
            function_call("julianday", function_call("date", v)) for v in self.args(e, aliases, entities)
        ]  # calendar days
        return exp.Cast(this=exp.Sub(this=days[1], expression=days[0]), to=exp.DataType.build("INTEGER"))
