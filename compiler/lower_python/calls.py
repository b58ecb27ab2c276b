"""Builtin calls in handlers: one `call_<name>` method per builtin (compiler/builtins.py)."""

from __future__ import annotations

from collections.abc import Callable

from .. import nodes as n
from ..types import DURATION_SECONDS
from .core import EmitterCore
from .snippets import coerce_code, from_storage_code


def _runtime_helper(helper: str) -> Callable[[BuiltinCalls, n.Call], str]:
    """The lowering of a builtin that is one runtime function over its arguments (null passes)."""

    def lower(emitter: BuiltinCalls, e: n.Call) -> str:
        return emitter.runtime_call(e, helper)

    return lower


class BuiltinCalls(EmitterCore):
    """The builtin functions' calls: one `call_<name>` per name of compiler/builtins.py, dispatched
    by name as the checker's `f_<name>`."""

    def x_Call(self, e: n.Call) -> str:
        return getattr(self, f"call_{e.func.name}")(e)

    def over_query(self, e: n.Call) -> bool:
        """Is the call's first argument a query (`count(Order where ...)`), not a list?"""
        return bool(e.args) and self.t(e.args[0]).kind == "query"

    def numbers_as_result(self, e: n.Call) -> list[str]:
        """The arguments, a number converted to the call's numeric type (`min(1, 2.5)` is a decimal)."""
        values = [self.expr(a) for a in e.args]
        if self.t(e).kind in ("int", "float", "decimal"):
            values = [coerce_code(v, self.t(a), self.t(e)) for v, a in zip(values, e.args)]
        return values

    def runtime_call(self, e: n.Call, helper: str, null_propagating: bool = False) -> str:
        """A runtime helper over the argument values; a null-propagating one gives null for null."""
        values = [self.expr(a) for a in e.args]
        if null_propagating and self.t(e.args[0]).optional:
            return f"maybe({helper}, {values[0]})"
        return f"{helper}({', '.join(values)})"

    def call_count(self, e: n.Call) -> str:
        return self.query_call(e.args[0], "count") if self.over_query(e) else f"len({self.expr(e.args[0])})"

    def call_exists(self, e: n.Call) -> str:
        return self.query_call(e.args[0], "exists")  # the checker takes only a query

    def call_first(self, e: n.Call) -> str:
        return self.query_call(e.args[0], "first") if self.over_query(e) else f"first_of({self.expr(e.args[0])})"

    def aggregate(self, e: n.Call) -> str:
        """`sum`, `avg`, `min`, `max`: over a query's rows, a list, or (min, max) several values."""
        name = e.func.name
        if self.over_query(e):
            return from_storage_code(self.query_call(e.args[0], "agg", (name, e.args[1])), self.t(e))
        values = self.numbers_as_result(e) if name in ("min", "max") else [self.expr(a) for a in e.args]
        return f"list_{name}({values[0]})" if len(values) == 1 else f"{name}_of({', '.join(values)})"

    call_sum = call_avg = call_min = call_max = aggregate

    def call_len(self, e: n.Call) -> str:
        if self.over_query(e):
            return self.query_call(e.args[0], "count")
        if self.t(e.args[0]).kind == "json":
            return f"json_len({self.expr(e.args[0])})"
        return self.runtime_call(e, "len", null_propagating=True)

    def call_round(self, e: n.Call) -> str:
        values = [self.expr(a) for a in e.args]
        places = values[1] if len(values) > 1 else "0"
        kind = self.t(e).kind
        return (
            f"round_half_up({values[0]}, {places}, {'int' if kind == 'int' else 'D' if kind == 'decimal' else 'float'})"
        )

    def call_coalesce(self, e: n.Call) -> str:
        return f"coalesce({', '.join(self.numbers_as_result(e))})"

    def call_now(self, e: n.Call) -> str:
        return "rt.now"

    def call_today(self, e: n.Call) -> str:
        return "rt.now[:10]"

    def duration(self, e: n.Call) -> str:
        """`days(n)` and the other units: a number of seconds."""
        return f"({self.expr(e.args[0])} * {DURATION_SECONDS[e.func.name]})"

    call_days = call_hours = call_minutes = call_seconds = duration

    def call_before(self, e: n.Call) -> str:
        """The same expression, read from the state the task started from."""
        value = self.expr(e.args[0])
        return f"{self.local_function(('before', value), 'before', 'db', lambda: [f'return {value}'])}(before_db)"

    def call_abs(self, e: n.Call) -> str:
        return self.runtime_call(e, "abs", null_propagating=True)

    def call_trim(self, e: n.Call) -> str:
        return self.runtime_call(e, "trim", null_propagating=True)

    call_lower = _runtime_helper("ascii_lower")
    call_upper = _runtime_helper("ascii_upper")
    call_sort = _runtime_helper("sorted")
    call_reverse = _runtime_helper("reversed_list")
    call_text = _runtime_helper("to_text")
    call_int = _runtime_helper("to_int")
    call_float = _runtime_helper("to_float")
    call_decimal = _runtime_helper("to_decimal")
    call_date = _runtime_helper("to_date")
    call_days_between = _runtime_helper("days_between")
    call_range = _runtime_helper("int_range")
    call_contains_number = _runtime_helper("contains_number")
