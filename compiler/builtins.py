"""The builtin functions, in one table: their names, how a call reads, and the docs' line.

Each phase handles a builtin in a method named after it, so a phase's part for one builtin is
found by name: the checker checks a call with `f_<name>` (and refuses any other name, with a
"did you mean" over these), the Python lowering emits it with `call_<name>`, and the SQL
lowering, for the builtins that can run inside a query, with `sql_<name>` (without one, a call
over a row's fields is AWM2007: it runs in handlers only). docs/language.md's function tables
are rendered from here. tests/test_builtins.py holds every phase to exactly these names.
"""

from __future__ import annotations

from dataclasses import dataclass

AGGREGATE, SCALAR, TASK = "aggregate", "scalar", "task"


@dataclass(frozen=True)
class Builtin:
    names: tuple[str, ...]  # the functions this line describes
    usage: str  # how calls read, as the docs show them
    result: str  # what a call gives: the docs' line
    kind: str  # AGGREGATE (over a query), SCALAR, or TASK (only in a task's `expect`)


BUILTINS: tuple[Builtin, ...] = (
    Builtin(("count",), "`count(q)`", "number of rows (`int`)", AGGREGATE),
    Builtin(("exists",), "`exists(q)`", "`true` if any row matches", AGGREGATE),
    Builtin(
        ("sum", "avg", "min", "max"),
        "`sum(q, e)`, `avg(q, e)`, `min(q, e)`, `max(q, e)`",
        "aggregate of `e` over the rows (`sum` of no rows is 0; the others give `null`)",
        AGGREGATE,
    ),
    Builtin(
        ("first",),
        "`first(q)`",
        "the first row, or `null`; without `order by` any matching row (say which with `order by`)",
        AGGREGATE,
    ),
    Builtin(("sum",), "`sum(xs)`", "sum of a list of numbers", AGGREGATE),
    Builtin(
        ("len",),
        "`len(x)`",
        "length of a text or list; the number of rows of a query (as `count`); of a `json` value, its items, "
        "keys or characters (`invalid_value` for a number or bool)",
        SCALAR,
    ),
    Builtin(("round",), "`round(x)`, `round(x, n)`", "rounded half away from zero to `n` places (default 0)", SCALAR),
    Builtin(("abs",), "`abs(x)`", "absolute value", SCALAR),
    Builtin(
        ("min", "max"),
        "`min(a, b, ...)`, `max(a, b, ...)`",
        "smallest/largest of numbers, texts or dates (when the first argument is not a query); null arguments "
        "are skipped, null if all are",
        SCALAR,
    ),
    Builtin(
        ("lower", "upper", "trim"),
        "`lower(s)`, `upper(s)`, `trim(s)`",
        "ASCII case mapping; `trim` removes spaces, tabs, newlines, carriage returns, vertical tabs and form "
        "feeds at both ends",
        SCALAR,
    ),
    Builtin(("coalesce",), "`coalesce(a, b)`", "`a` unless it is null, else `b`", SCALAR),
    Builtin(("now", "today"), "`now()`, `today()`", "session clock as `datetime` / `date`", SCALAR),
    Builtin(
        ("days", "hours", "minutes", "seconds"),
        "`days(n)`, `hours(n)`, `minutes(n)`, `seconds(n)`",
        "durations to add to or subtract from dates and datetimes",
        SCALAR,
    ),
    Builtin(
        ("date",),
        "`date(dt)`",
        "the date part of a datetime; of a text, the date it holds (`invalid_value` if none)",
        SCALAR,
    ),
    Builtin(
        ("days_between",),
        "`days_between(a, b)`",
        "whole days from date `a` to date `b` (negative if `b` is earlier)",
        SCALAR,
    ),
    Builtin(("range",), "`range(n)`, `range(a, b)`", "the list `0..n-1`, or `a..b-1`", SCALAR),
    Builtin(("sort", "reverse"), "`sort(xs)`, `reverse(xs)`", "a sorted / reversed copy of a list", SCALAR),
    Builtin(
        ("text", "int", "float", "decimal"), "`text(x)`, `int(x)`, `float(x)`, `decimal(x)`", "conversions", SCALAR
    ),
    Builtin(("before",), "`before(e)`", "`e` evaluated on the state the run started from", TASK),
    Builtin(
        ("contains_number",),
        "`contains_number(s, x)`",
        "`true` if text `s` holds the number `x` (`1,234.50` counts for 1234.5)",
        TASK,
    ),
)

NAMES: frozenset[str] = frozenset(name for b in BUILTINS for name in b.names)


def markdown_table(kind: str) -> str:
    """The docs' table of one kind of builtin."""
    rows = [f"| {b.usage} | {b.result} |" for b in BUILTINS if b.kind == kind]
    return "\n".join(["| function | result |", "|---|---|", *rows]) + "\n"
