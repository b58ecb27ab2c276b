"""Constant expressions: defaults, `@range`/`@length` bounds (evaluation is `compiler/constants.py`)."""

from __future__ import annotations

from typing import Any

from .. import nodes as n
from ..constants import NOT_CONST, Constants, const_number
from ..types import T
from .state import CheckerState


class ConstantsMixin(CheckerState):
    """Defaults and bounds that must be constants; the evaluating is `compiler/constants.py`'s."""

    def check_default(self, expr: n.Expr, t: T, name: str) -> None:
        if t.kind == "any":
            return  # the field's type is unknown, and reported
        value = self.const_value(expr, t)
        if value is NOT_CONST:
            self.error("AWM2009", f"the default of `{name}` must be a constant, `now()` or `today()`", expr.span)

    def const_value(self, expr: n.Expr, t: T, seed_clock: str | None = None) -> Any:
        """Evaluate a constant expression against the expected type; NOT_CONST if it is not one."""
        return self.constants().value(expr, t, seed_clock)

    def constants(self) -> Constants:
        """The evaluator of constants over the spec's types, reporting to the checker."""
        return Constants(self.enums, self.entities, self.records, self.error)

    def const_bounds(self, a: n.Attr) -> tuple[Any, ...] | None:
        if len(a.args) != 2:
            self.error("AWM2002", f"`@{a.name.name}` takes two bounds: `@{a.name.name}(low, high)`", a.span)
            return None
        values = []
        for arg in a.args:
            v = const_number(arg)
            if v is NOT_CONST:
                self.error(
                    "AWM2011", f"`@{a.name.name}` bounds must be numbers or `null`", getattr(arg, "span", a.span)
                )
                return None
            values.append(v)
        return tuple(values)
