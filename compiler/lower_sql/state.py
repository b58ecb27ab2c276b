"""The SQL compiler's shared state (`CompilerState`) and the helpers every part of it uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlglot import exp

from .. import nodes as n
from ..types import Binding, ClockDefault, Model, T
from .trees import LoweringError, literal, to_storage

NOT_RECORDED = object()  # a `@check`'s or invariant's sub-expression that the checker found no constant


class CompilerState:
    """What `SqlCompiler` knows, shared by its parts: the mixin `BuiltinCalls` keeps no state of its own.

    `python` turns a row-free sub-expression into Python source; its value is bound to a `?`.
    With python=None (DDL checks) such sub-expressions must be constants and are inlined.
    """

    def __init__(self, model: Model, python: Callable[[n.Expr, T], str] | None):
        self.model = model  # the checked Model: types, bindings, constants
        self.python = python
        self.params: list[str] = []  # the Python source of each `?` bound so far, in SQL order
        self.alias_count = 0  # the next table alias is `t<alias_count>`

    # helpers
    def new_alias(self) -> str:
        alias = f"t{self.alias_count}"
        self.alias_count += 1
        return alias

    def type_of(self, e) -> T:
        return self.model.types[e]

    def binding(self, e) -> Binding | None:
        return self.model.bindings.get(e)

    def param(self, e: n.Expr, storage: T | None = None) -> exp.Expression:
        """Bind the Python value of a row-free expression as a placeholder."""
        t = storage or self.type_of(e)
        if self.python is None:
            value = self.model.constants.get(e, NOT_RECORDED)
            if (
                value is NOT_RECORDED
                or isinstance(value, ClockDefault)
                or value is None
                and not (isinstance(e, n.Literal) and e.kind == "null")
            ):
                raise LoweringError("checks and invariants may only compare fields with constants", e.span, "AWM2010")
            return literal(to_storage(value, t))
        self.params.append(self.python(e, t))
        return exp.Placeholder()

    if TYPE_CHECKING:
        # The methods one part calls on another, declared here for the type checker (which
        # checks each part's definition against its declaration): the parts inherit
        # `CompilerState`, so each sees the state and these, and nothing else of the others.
        def value(self, e: n.Expr, aliases: list, entities: list) -> exp.Expression: ...  # queries
        def select(
            self,
            e: n.Expr,
            what: str,
            agg: tuple[str, n.Expr | None] | None = None,
            outer_aliases: list | None = None,
            outer_entities: list | None = None,
        ) -> exp.Select: ...
