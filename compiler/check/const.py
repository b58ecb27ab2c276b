"""Constant expressions: defaults, `@range`/`@length` bounds and the constants of `@check`s and
invariants, evaluated (by `compiler/constants.py`) and kept for lowering."""

from __future__ import annotations

from typing import Any

from .. import nodes as n
from ..constants import NOT_CONST, Constants, const_number
from ..types import T
from .state import CheckerState
from .walk import walk


class ConstantsMixin(CheckerState):
    """Defaults and bounds that must be constants, and the values lowering inlines; the
    evaluating is `compiler/constants.py`'s."""

    def check_default(self, expr: n.Expr, t: T, name: str) -> Any:
        """The default's value (for lowering), reporting a default that is not a constant."""
        if t.kind == "any":
            return None  # the field's type is unknown, and reported
        value = self.const_value(expr, t)
        if value is NOT_CONST:
            self.error("AWM2009", f"the default of `{name}` must be a constant, `now()` or `today()`", expr.span)
        return value

    def record_constants(self, *exprs: n.Expr | None) -> None:
        """Keep the value of each constant sub-expression of a `@check` or an invariant: SQL
        inlines them. What is wrong with them the type check has reported already."""
        quiet = Constants(self.enums, self.entities, self.records, _already_reported)
        for node in walk(*exprs):
            t = self.types.get(node)
            binding = self.bindings.get(node)
            reads_a_row = id(node) in self.row_dependent or binding is not None and binding.kind != "enum_member"
            if t is not None and not reads_a_row:
                value = quiet.value(node, t)
                if value is not NOT_CONST:
                    self.constants[node] = value

    def const_value(self, expr: n.Expr, t: T, seed_clock: str | None = None) -> Any:
        """Evaluate a constant expression against the expected type; NOT_CONST if it is not one."""
        return self.evaluator().value(expr, t, seed_clock)

    def evaluator(self) -> Constants:
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


def _already_reported(*args: Any, **kwargs: Any) -> None:
    """The type check reports what a constant evaluation would find wrong."""
