"""Constant expressions: field and parameter defaults, `@range` bounds, seed values and the
constants of `@check`s and invariants. The checker evaluates them (reporting what is wrong) and
stores the values in the Model; lowering reads those values and never evaluates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..runtime.support import CLOCK_FORMAT, Fail, shift_time
from . import nodes as n
from .diagnostics import did_you_mean, with_article
from .types import DURATION_SECONDS, JSON, ClockDefault, T, is_numeric


class _NotConst:
    """What a constant evaluation gives for an expression that is not a constant."""

    def __repr__(self):
        return "<not constant>"


NOT_CONST = _NotConst()


def const_number(e):
    if isinstance(e, n.Literal):
        if e.kind == "int":
            return e.value
        if e.kind == "decimal":
            return Decimal(e.value)
        if e.kind == "null":
            return None
    if isinstance(e, n.Unary) and e.op == "-":
        v = const_number(e.operand)
        return -v if isinstance(v, (int, Decimal)) else NOT_CONST
    return NOT_CONST


class Constants:
    """Evaluates constant expressions against an expected type, with the spec's enums, entities
    and records; `report(code, message, span, help=...)` receives what is wrong."""

    def __init__(self, enums, entities, records, report: Callable[..., Any]):
        self.enums, self.entities, self.records, self.report = enums, entities, records, report

    def value(self, expr: n.Expr, t: T, seed_clock: str | None = None):
        """Evaluate a constant expression against the expected type; NOT_CONST if it is not one."""
        if isinstance(expr, n.Template) and all(isinstance(p, str) for p in expr.parts):
            # a string whose braces were all written `{{`/`}}` (or `\{`): plain text
            expr = n.Literal("".join(p for p in expr.parts if isinstance(p, str)), "text", expr.span)
        if isinstance(expr, n.Literal):
            if expr.kind == "null":
                return None if t.optional or t.kind in ("json", "any") else self._bad_null(expr, t)
            return self.coerce_literal(expr, t)
        if isinstance(expr, n.Unary) and expr.op == "-":
            v = self.value(expr.operand, t, seed_clock)
            return -v if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) else NOT_CONST
        if isinstance(expr, n.Name) and t.kind == "enum":
            if expr.name in self.enums.get(t.name, []):
                return expr.name
            self.report(
                "AWM1007",
                f"`{expr.name}` is not a member of enum `{t.name}`",
                expr.span,
                help=did_you_mean(expr.name, self.enums.get(t.name, [])),
            )
            return None
        if isinstance(expr, n.Member) and t.kind == "enum" and isinstance(expr.obj, n.Name) and expr.obj.name == t.name:
            return self.value(n.Name(expr.name.name, expr.name.span), t)
        if isinstance(expr, n.Call) and expr.func.name in ("now", "today") and not expr.args:
            want = "datetime" if expr.func.name == "now" else "date"
            if t.kind not in (want, "any", "text") and not (want == "date" and t.kind == "datetime"):
                self.report(
                    "AWM2001", f"`{expr.func.name}()` is {with_article(want)}, but `{t}` is expected", expr.span
                )
            clock = ClockDefault(expr.func.name)
            return clock if seed_clock is None else clock.at(seed_clock)
        if isinstance(expr, n.Binary) and expr.op in ("+", "-", "*") and is_numeric(t):
            left, right = const_number(expr.left), const_number(expr.right)
            if isinstance(left, (int, Decimal)) and isinstance(right, (int, Decimal)):
                value = left + right if expr.op == "+" else left - right if expr.op == "-" else left * right
                return value if t.kind != "float" else float(value)
        if isinstance(expr, n.Binary) and expr.op in "+-" and seed_clock is not None:
            base = self.value(expr.left, t, seed_clock)
            delta = self.duration(expr.right)
            if isinstance(base, str) and delta is not None:
                try:
                    return shift_time(base, delta if expr.op == "+" else -delta)
                except Fail as f:
                    self.report("AWM2001", f.message, expr.span)
                    return None
        if isinstance(expr, n.ListLit) and t.kind in ("list", "json"):
            elem = t.elem if t.kind == "list" else JSON
            return [self.value(x, elem, seed_clock) for x in expr.items]
        if isinstance(expr, n.RecordLit) and t.kind in ("json", "record", "union"):
            declared = self.records[t.name].fields if t.kind == "record" and t.name in self.records else {}
            return {
                f.name.name: self.value(
                    f.value, declared[f.name.name].type if f.name.name in declared else JSON, seed_clock
                )
                for f in expr.fields
            }
        return NOT_CONST

    def duration(self, expr) -> int | None:
        if isinstance(expr, n.Call) and expr.func.name in DURATION_SECONDS and len(expr.args) == 1:
            v = const_number(expr.args[0])
            if isinstance(v, int):
                return v * DURATION_SECONDS[expr.func.name]
        return None

    def _bad_null(self, expr, t):
        self.report(
            "AWM2001",
            f"`null` is not allowed here: `{t}` is not optional",
            expr.span,
            help=f"declare it optional: `{t}?`",
        )

    def coerce_literal(self, lit: n.Literal, t: T):
        k, v = lit.kind, lit.value
        want = t.kind
        if want in ("any", "json"):
            return Decimal(v) if k == "decimal" else v
        if want == "entity":
            key = self.entities[t.name].key if t.name in self.entities else None
            want = key.type.kind if key else "int"
        if k == "int" and want in ("int", "float", "decimal"):
            return v if want == "int" else (float(v) if want == "float" else Decimal(v))
        if k == "decimal" and want in ("decimal", "float"):
            return Decimal(v) if want == "decimal" else float(v)
        if k == "bool" and want == "bool":
            return v
        if k == "text" and want == "text":
            return v
        if k == "text" and want in ("date", "datetime"):
            fmt = "%Y-%m-%d" if want == "date" else CLOCK_FORMAT
            try:
                dt.datetime.strptime(v, fmt)
                return v
            except ValueError:
                self.report(
                    "AWM2001",
                    f'"{v}" is not {with_article(want)} (expected {"YYYY-MM-DD" if want == "date" else "YYYY-MM-DD HH:MM:SS"})',
                    lit.span,
                )
                return None
        if k == "text" and want == "enum":
            if v in self.enums.get(t.name, []):
                return v
            self.report(
                "AWM1007",
                f'"{v}" is not a member of enum `{t.name}`',
                lit.span,
                help=did_you_mean(v, self.enums.get(t.name, [])),
            )
            return None
        self.report("AWM2001", f"expected a value of type `{t}`, found {k} literal", lit.span)
        return None
