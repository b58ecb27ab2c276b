"""Calls to the builtin functions: one `f_<name>` method each."""

from __future__ import annotations

from ...text import counted
from .. import nodes as n
from ..builtins import NAMES
from ..diagnostics import did_you_mean
from ..types import (
    ANY,
    BOOL,
    DATE,
    DATETIME,
    DECIMAL,
    DURATION,
    FLOAT,
    INT,
    NUMERIC,
    SCALARS,
    TEXT,
    T,
    assignable,
    is_numeric,
    list_of,
    numeric_join,
)
from .expressions import comparable
from .state import CheckerState


class BuiltinsMixin(CheckerState):
    """Calls: `e_Call` finds the builtin `f_<name>` method, which checks the arguments and gives the result's type."""

    def e_Call(self, e: n.Call, ctx, expected):
        fname = e.func.name
        handler = getattr(self, "f_" + fname, None) if fname in NAMES else None
        if handler is None:
            self.error("AWM1005", f"unknown function `{fname}`", e.func.span, help=did_you_mean(fname, FUNCTIONS))
            for a in e.args:
                self.expr(a, ctx)
            return ANY
        return handler(e, ctx, expected)

    def arity(self, e: n.Call, lo: int, hi: int | None = None) -> bool:
        hi = lo if hi is None else hi
        if not (lo <= len(e.args) <= hi):
            want = counted(hi, "argument") if lo == hi else f"{lo} to {counted(hi, 'argument')}"
            self.error("AWM2002", f"`{e.func.name}` takes {want}, got {len(e.args)}", e.span)
            return False
        return True

    def f_count(self, e, ctx, expected):
        if self.arity(e, 1):
            t = self.expr(e.args[0], ctx)
            if t.kind not in ("query", "list", "any"):
                self.error("AWM2003", f"`count` needs a query or a list, got `{t}`", e.args[0].span)
        return INT

    def f_exists(self, e, ctx, expected):
        if self.arity(e, 1):
            self.query_entity(e.args[0], ctx)
        return BOOL

    def f_first(self, e, ctx, expected):
        if not self.arity(e, 1):
            return ANY
        t = self.expr(e.args[0], ctx)
        if t.kind == "query":
            return t.elem.opt(True)
        if t.kind == "list":
            return t.elem.opt(True)
        if t.kind != "any":
            self.error("AWM2003", f"`first` needs a query or a list, got `{t}`", e.args[0].span)
        return ANY

    def aggregate(self, e, ctx, expected, fname):
        """`sum`, `avg`, `min` and `max` of a list, or of an expression over a query's rows;
        `min` and `max` also of several values."""
        if len(e.args) == 1:
            return self.list_aggregate(e, ctx, fname)
        if len(e.args) >= 2 and fname in ("min", "max"):
            first = self.expr(e.args[0], ctx)
            if first.kind != "query":
                return self.extreme_of_values(e, ctx, fname, first)
        elif len(e.args) == 2:
            first = self.expr(e.args[0], ctx)
        else:
            self.arity(e, 1, 2)
            return ANY
        return self.query_aggregate(e, ctx, fname, first)

    def list_aggregate(self, e, ctx, fname):
        t = self.expr(e.args[0], ctx)
        if t.kind == "list" and (is_numeric(t.elem) or fname in ("min", "max")):
            if fname == "avg":
                return FLOAT if t.elem.kind != "decimal" else DECIMAL
            return t.elem if fname == "sum" else t.elem.opt(True)
        if t.kind != "any":
            self.error(
                "AWM2003",
                f"`{fname}` takes a list of numbers, or a query and an expression: `{fname}(q, e)`",
                e.args[0].span,
            )
        return ANY

    def extreme_of_values(self, e, ctx, fname, first: T) -> T:
        """`min(a, b, ...)` or `max(a, b, ...)`, where `first` is the type of `a`."""
        result = first
        for a, t in zip(e.args, [first] + [self.expr(a, ctx) for a in e.args[1:]]):
            if t.kind not in NUMERIC + ("text", "date", "datetime", "any", "null"):
                self.error("AWM2001", f"`{fname}` compares numbers, text or dates, got `{t}`", a.span)
                return ANY
            if result.kind == "null":
                result = t.opt(True)
            elif is_numeric(result) and is_numeric(t):
                result = numeric_join(result.required(), t.required()).opt(result.optional and t.optional)
            elif not comparable(result, t):
                self.error("AWM2001", f"`{fname}` of `{result}` and `{t}`", a.span)
            elif t.kind != "null":  # nulls are skipped: null only if every argument is
                result = result.opt(result.optional and t.optional)
        return result

    def query_aggregate(self, e, ctx, fname, first: T) -> T:
        """`fname(q, e)`: `e` over the rows of the query `q`, whose type is `first`."""
        if first.kind != "query":
            if first.kind != "any":
                self.error("AWM2003", f"`{fname}(q, e)` needs a query first, got `{first}`", e.args[0].span)
            return ANY
        if len(e.args) != 2:
            self.arity(e, 2)
            return ANY
        entity = self.entities[first.elem.decl_name]
        t = self.expr(e.args[1], ctx.with_row(entity.name)).required()
        if not is_numeric(t) and not (fname in ("min", "max") and t.kind in ("text", "date", "datetime")):
            self.error("AWM2001", f"`{fname}` needs numbers, got `{t}`", e.args[1].span)
            return ANY
        if fname == "sum":
            return t
        if fname == "avg":
            return (DECIMAL if t.kind == "decimal" else FLOAT).opt(True)
        return t.opt(True)

    def f_sum(self, e, ctx, expected):
        return self.aggregate(e, ctx, expected, "sum")

    def f_avg(self, e, ctx, expected):
        return self.aggregate(e, ctx, expected, "avg")

    def f_min(self, e, ctx, expected):
        return self.aggregate(e, ctx, expected, "min")

    def f_max(self, e, ctx, expected):
        return self.aggregate(e, ctx, expected, "max")

    def _unary_fn(self, e, ctx, accept, result=None, expected=None):
        if not self.arity(e, 1):
            return ANY
        t = self.expr(e.args[0], ctx, expected)
        if t.kind not in accept and t.kind != "any":
            self.error("AWM2001", f"`{e.func.name}` takes {' or '.join(accept)}, got `{t}`", e.args[0].span)
            return ANY
        return (result or t.required()).opt(t.optional)

    def f_len(self, e, ctx, expected):
        return self._unary_fn(e, ctx, ("text", "list", "json", "query"), INT)

    def f_abs(self, e, ctx, expected):
        return self._unary_fn(e, ctx, NUMERIC)

    def f_lower(self, e, ctx, expected):
        return self._unary_fn(e, ctx, ("text",))

    f_upper = f_lower

    f_trim = f_lower

    def f_round(self, e, ctx, expected):
        if not self.arity(e, 1, 2):
            return ANY
        t = self.expr(e.args[0], ctx)
        if len(e.args) == 2:
            nt = self.expr(e.args[1], ctx, INT)
            if nt.kind not in ("int", "any") or nt.optional:
                self.error("AWM2001", "`round(x, places)` needs an int number of places", e.args[1].span)
        if not is_numeric(t) and t.kind != "any":
            self.error("AWM2001", f"`round` needs a number, got `{t}`", e.args[0].span)
            return ANY
        if len(e.args) == 1 and t.kind != "decimal":
            return INT.opt(t.optional)
        return t

    def f_coalesce(self, e, ctx, expected):
        if not self.arity(e, 2, 8):
            return ANY
        first = self.expr(e.args[0], ctx, expected)
        result = first
        for a in e.args[1:]:
            t = self.expr(a, ctx, first.required() if first.kind != "null" else expected)
            if result.kind == "null":
                result = t
            elif t.kind != "null" and (result.kind == "json") != (t.kind == "json"):
                self.error(
                    "AWM2001",
                    f"`coalesce` of `{result}` and `{t}`: a `json` value may hold anything",
                    a.span,
                    help="convert the json value first: `int(x)`, `float(x)`, `decimal(x)` or `text(x)`",
                )
            elif t.kind != "null" and not (assignable(t, result.required()) or assignable(result.required(), t)):
                self.error("AWM2001", f"`coalesce` of `{result}` and `{t}`", a.span)
            elif is_numeric(result) and is_numeric(t):
                result = numeric_join(result.required(), t.required()).opt(result.optional)
            result = result.opt(t.optional) if result.kind != "null" else result
        return result

    def _no_args(self, e, t):
        self.arity(e, 0)
        return t

    def f_now(self, e, ctx, expected):
        return self._no_args(e, DATETIME)

    def f_today(self, e, ctx, expected):
        return self._no_args(e, DATE)

    def _duration(self, e, ctx, expected):
        if self.arity(e, 1):
            t = self.expr(e.args[0], ctx, INT)
            if t.kind not in ("int", "any") or t.optional:
                self.error("AWM2001", f"`{e.func.name}` needs an int, got `{t}`", e.args[0].span)
        return DURATION

    f_days = f_hours = f_minutes = f_seconds = _duration

    def f_date(self, e, ctx, expected):
        arg = e.args[0] if len(e.args) == 1 else None
        if isinstance(arg, n.Literal) and arg.kind == "text":  # date("2025-03-01"): a date written out
            self.types[arg] = TEXT
            self.evaluator().coerce_literal(arg, DATE if len(arg.value) <= 10 else DATETIME)
            return DATE
        return self._unary_fn(e, ctx, ("datetime", "date", "text"), DATE)  # text is parsed (invalid_value)

    def f_days_between(self, e, ctx, expected):
        optional = False
        if self.arity(e, 2):
            for a in e.args:
                t = self.expr(a, ctx)
                optional = optional or t.optional
                if t.kind not in ("date", "datetime", "any"):
                    self.error("AWM2001", f"`days_between` takes dates, got `{t}`", a.span)
        return INT.opt(optional)

    def f_range(self, e, ctx, expected):
        if self.arity(e, 1, 2):
            for a in e.args:
                t = self.expr(a, ctx, INT)
                if t.kind not in ("int", "any"):
                    self.error("AWM2001", f"`range` takes ints, got `{t}`", a.span)
        return list_of(INT)

    def f_sort(self, e, ctx, expected):
        t = self._unary_fn(e, ctx, ("list",))
        if t.kind == "list" and t.elem.kind not in NUMERIC + ("text", "date", "datetime", "any"):
            self.error("AWM2001", f"`{e.func.name}` sorts lists of numbers, text or dates, got `{t}`", e.args[0].span)
        return t

    def f_reverse(self, e, ctx, expected):
        return self._unary_fn(e, ctx, ("list",))

    def f_text(self, e, ctx, expected):
        return self._unary_fn(e, ctx, SCALARS + ("enum", "entity"), TEXT)

    def f_int(self, e, ctx, expected):
        return self._unary_fn(e, ctx, NUMERIC + ("text", "bool") + ("json",), INT)

    def f_float(self, e, ctx, expected):
        return self._unary_fn(e, ctx, NUMERIC + ("text",) + ("json",), FLOAT)

    def f_decimal(self, e, ctx, expected):
        return self._unary_fn(e, ctx, NUMERIC + ("text",) + ("json",), DECIMAL)

    def f_before(self, e, ctx, expected):
        if not self.in_task:
            self.error("AWM1005", "`before(...)` is only available in a task's `expect`", e.func.span)
        if not self.arity(e, 1):
            return ANY
        return self.expr(e.args[0], ctx, expected)

    def f_contains_number(self, e, ctx, expected):
        if self.arity(e, 2):
            t = self.expr(e.args[0], ctx, TEXT)
            if t.kind not in ("text", "any"):
                self.error("AWM2001", f"`contains_number(text, number)` needs text first, got `{t}`", e.args[0].span)
            nt = self.expr(e.args[1], ctx)
            if not is_numeric(nt) and nt.kind != "any":
                self.error("AWM2001", f"`contains_number` needs a number second, got `{nt}`", e.args[1].span)
        return BOOL


FUNCTIONS = sorted(NAMES)
