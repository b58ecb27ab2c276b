"""The small helpers that generated handlers call. Kept flat and fast: they run on every call."""

from __future__ import annotations

import datetime as _dt
import json
import operator
import re
import sqlite3
import threading
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

D = Decimal
_CENT = Decimal("0.01")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
CLOCK_FORMAT = "%Y-%m-%d %H:%M:%S"  # how datetimes are written, everywhere

__all__ = [
    "D",
    "Fail",
    "as_bool",
    "as_bool_int",
    "ascii_lower",
    "ascii_upper",
    "cached_field",
    "cached_row",
    "cents",
    "coalesce",
    "column",
    "contains_number",
    "days_between",
    "dec",
    "decimal_div",
    "decimal_mul",
    "decimals",
    "execute",
    "exists",
    "first_of",
    "from_json_text",
    "int_mod",
    "int_range",
    "item",
    "json_get",
    "json_len",
    "json_list",
    "list_avg",
    "list_has",
    "list_max",
    "list_min",
    "list_sum",
    "max_of",
    "maybe",
    "min_of",
    "money",
    "money_cents",
    "must",
    "must_row",
    "neg",
    "one",
    "ordered",
    "prefetched",
    "reversed_list",
    "round_half_up",
    "rows",
    "scalar",
    "shift_time",
    "text_test",
    "to_date",
    "to_decimal",
    "to_float",
    "to_int",
    "to_json_text",
    "to_plain",
    "to_text",
    "trim",
    "true_div",
    "upsert",
]


class Fail(Exception):
    """A declared failure (`fail code "message"`), or a runtime one such as not_found."""

    def __init__(self, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


# ---- SQL --------------------------------------------------------------------------------


def one(db, sql, params):
    return db.execute(sql, params).fetchone()


def rows(db, sql, params):
    return db.execute(sql, params).fetchall()


def column(db, sql, params):
    return [r[0] for r in db.execute(sql, params).fetchall()]


def scalar(db, sql, params):
    r = db.execute(sql, params).fetchone()
    return None if r is None else r[0]


def exists(db, sql, params):
    return db.execute(sql, params).fetchone() is not None


def execute(db, sql, params):
    db.execute(sql, params)


def must(db, sql, value, entity, column):
    """The key of the row whose `column` equals value; not_found if there is none."""
    r = db.execute(sql, (value,)).fetchone()
    if r is None:
        raise not_found(entity, column, value)
    return r[0]


def not_found(entity, column, value) -> Fail:
    what = f"{entity} {value!r}" if column in ("id", "key") else f"{entity} with {column} {value!r}"
    return Fail("not_found", f"{what} not found", {"entity": entity, column: value})


# A handler reads a row once while it writes nothing: `cache` (a dict made for one call) keeps
# each row read by key with the connection's total_changes at the time, which every INSERT,
# UPDATE and DELETE moves (rows changed by triggers and foreign key actions included), so a
# row is read again after any write.


def cached_row(db, cache, sql, key):
    """The row `sql` selects for `key` (`WHERE key = ?`), or None."""
    stamp = db.total_changes
    hit = cache.get((sql, key))
    if hit is not None and hit[0] == stamp:
        return hit[1]
    row = db.execute(sql, (key,)).fetchone()
    cache[(sql, key)] = (stamp, row)
    return row


def cached_field(db, cache, sql, key, index):
    row = cached_row(db, cache, sql, key)
    return None if row is None else row[index]


def must_row(db, cache, sql, value, entity, column, index):
    """`must` by key: the key of the row `sql` selects for value; not_found if there is none."""
    row = cached_row(db, cache, sql, value)
    if row is None:
        raise not_found(entity, column, value)
    return row[index]


def prefetched(db, cache, rows_sql, params, row_sql, index):
    """The keys of the rows `rows_sql` selects (whole rows, in order), each row kept in `cache`
    as `row_sql` would read it by key."""
    stamp = db.total_changes
    keys = []
    for row in db.execute(rows_sql, params).fetchall():
        cache[(row_sql, row[index])] = (stamp, row)
        keys.append(row[index])
    return keys


def upsert(db, find_sql, find_params, update_sql, update_params, insert_sql, insert_params):
    found = db.execute(find_sql, find_params).fetchone()
    if found is None:
        return db.execute(insert_sql, insert_params).fetchone()[0]
    if update_sql is not None:
        db.execute(update_sql, update_params + (found[0],))
    return found[0]


def first_of(items):
    return items[0] if items else None


# ---- values -----------------------------------------------------------------------------


def dec(v):
    """SQLite cents -> Decimal."""
    return (
        None
        if v is None
        else Decimal(int(v)).scaleb(-2)
        if isinstance(v, int)
        else Decimal(repr(v / 100)).quantize(_CENT, ROUND_HALF_UP)
    )


def cents(v):
    """A decimal value -> integer cents for SQLite, rounded half-up; invalid_value past 10^15."""
    if v is None:
        return None
    if not isinstance(v, Decimal):
        v = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
    try:
        c = int((v * 100).to_integral_value(ROUND_HALF_UP))
    except (InvalidOperation, ValueError, OverflowError):  # inf, nan or too many digits
        c = None
    return checked_cents(c, v)


_MAX_CENTS = 10**17  # decimals are below 10^15 in size, as arguments are


def checked_cents(c, value):
    if c is None or not -_MAX_CENTS < c < _MAX_CENTS:
        shown = f"{value:.6g}" if isinstance(value, (int, float, Decimal)) else repr(value)[:40]
        raise Fail("invalid_value", f"{shown} is outside the decimal range (below 10^15 in size)")
    return c


def money(v):
    """A Decimal as a JSON number with at most two places."""
    if v is None:
        return None
    return float(v.quantize(_CENT, ROUND_HALF_UP)) if isinstance(v, Decimal) else round(float(v), 2)


def money_cents(v):
    return None if v is None else v / 100


def as_bool(v):
    return None if v is None else bool(v)


def as_bool_int(v):
    return None if v is None else int(bool(v))


def to_json_text(v):
    return None if v is None else json.dumps(v, sort_keys=True, ensure_ascii=False, default=_json_default)


def _json_default(v):
    if isinstance(v, Decimal):
        return float(v)
    raise TypeError(f"not JSON: {type(v).__name__}")


def from_json_text(v):
    return None if v is None else json.loads(v)


def decimals(v):
    """A JSON list of decimals (lists of lists too) read back as Decimals: JSON holds numbers."""
    if v is None:
        return None
    return [decimals(x) if isinstance(x, list) else to_decimal(x) for x in v]


def json_len(v):
    """len() of a json value: a list's items, an object's keys, a string's characters."""
    if v is None or isinstance(v, (list, dict, str)):
        return None if v is None else len(v)
    raise Fail("invalid_value", f"len() of a json {_json_kind(v)}: only lists, objects and strings have a length")


def _json_kind(v) -> str:
    return "true/false" if isinstance(v, bool) else "number"


def json_get(obj, key):
    try:
        return obj[key]
    except (KeyError, IndexError, TypeError):
        return None


def json_list(v):
    return json.dumps(list(v) if v is not None else [], default=_json_default)


def item(xs, i):
    if not isinstance(i, int) or not -len(xs) <= i < len(xs):
        raise Fail("index_out_of_range", f"index {i} is outside a list of {len(xs)}")
    return xs[i]


def ascii_lower(s):
    return None if s is None else s.translate(_ASCII_LOWER)


def ascii_upper(s):
    return None if s is None else s.translate(_ASCII_UPPER)


TRIM_CHARS = " \t\n\r\x0b\x0c"  # ASCII white space: what SQL's TRIM is given too


def trim(s):
    return s.strip(TRIM_CHARS)


def to_text(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return str(v.quantize(_CENT, ROUND_HALF_UP)) if v.as_tuple().exponent >= -2 else str(v)
    return str(v)


def _convert(kind, fn, v):
    try:
        return fn(v)
    except (ValueError, TypeError, InvalidOperation):
        raise Fail("invalid_value", f"cannot convert {v!r} to {kind}") from None


def to_int(v):
    return None if v is None else _convert("int", lambda x: int(Decimal(x) if isinstance(x, str) else x), v)


def to_float(v):
    return None if v is None else _convert("float", float, v)


def to_decimal(v):
    """A number or text as a decimal: fixed-point, so rounded half away from zero to cents."""
    if v is None:
        return None
    d = _convert("decimal", lambda x: Decimal(repr(x)) if isinstance(x, float) else Decimal(x), v)
    # NaN, infinities and sNaN (which raises on arithmetic) are no decimal: out of range
    return dec(checked_cents(_integral_or_none(d * 100) if d.is_finite() else None, v))


def _integral_or_none(d):
    try:
        return int(d.to_integral_value(ROUND_HALF_UP))
    except (InvalidOperation, ValueError, OverflowError):
        return None


def to_date(v):
    """The date of a date, a datetime or a text holding one; invalid_value otherwise."""
    if v is None:
        return None
    text = str(v)
    try:
        (_dt.date.fromisoformat(text) if len(text) == 10 else _dt.datetime.strptime(text, CLOCK_FORMAT))
    except ValueError:
        raise Fail("invalid_value", f"{text!r} is not a date (YYYY-MM-DD) or datetime (YYYY-MM-DD HH:MM:SS)") from None
    return text[:10]


def days_between(a, b):
    if a is None or b is None:
        return None
    return (_dt.date.fromisoformat(str(b)[:10]) - _dt.date.fromisoformat(str(a)[:10])).days


def int_range(a, b=None):
    return list(range(a)) if b is None else list(range(a, b))


def reversed_list(xs):
    return list(reversed(xs))


def ordered(a, op, b):
    """Null-safe ordering: a comparison with null is false (as in SQL)."""
    if a is None or b is None:
        return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def shift_time(value, seconds):
    """A date or datetime moved by a duration; invalid_value past the years 1-9999."""
    if value is None or seconds is None:
        return None
    try:
        if len(value) == 10:
            return (_dt.date.fromisoformat(value) + _dt.timedelta(seconds=seconds)).isoformat()
        return (_dt.datetime.strptime(value, CLOCK_FORMAT) + _dt.timedelta(seconds=seconds)).strftime(CLOCK_FORMAT)
    except OverflowError:
        raise Fail("invalid_value", f"{value} moved by {seconds} seconds is outside the years 1-9999") from None


def decimal_div(a, b):
    """decimal is fixed-point: a quotient is rounded half away from zero to cents, as in SQL."""
    if b == 0:
        raise Fail("division_by_zero", "division by zero")
    return to_decimal(Decimal(a) / Decimal(b))


def decimal_mul(a, b):
    return to_decimal(Decimal(a) * Decimal(b))


def true_div(a, b):
    if b == 0:
        raise Fail("division_by_zero", "division by zero")
    return a / b


def int_mod(a, b):
    if b == 0:
        raise Fail("division_by_zero", "division by zero")
    return a % b


def round_half_up(v, places, kind):
    if v is None:
        return None
    d = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
    if places > 15 or d.adjusted() + places >= 27:  # finer than the value holds: unchanged
        r = d
    else:
        r = d.quantize(Decimal(1).scaleb(-max(places, -30)), ROUND_HALF_UP)
    return int(r) if kind is int else (r if kind is Decimal else float(r))


def text_test(op, left, right):
    """contains / matches / starts_with / ends_with / in / not_in, false when a side is null."""
    if left is None or right is None:
        return False
    if op == "contains":
        return right in left
    if op == "matches":
        return ascii_lower(right) in ascii_lower(left)
    if op == "starts_with":
        return left.startswith(right)
    if op == "ends_with":
        return left.endswith(right)
    return (left in right) if op == "in" else (left not in right)


_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def contains_number(text, number):
    """Does the text mention the number (thousands separators allowed, to within half a cent)?"""
    if text is None or number is None:
        return False
    for token in _NUMBER.findall(text):
        try:
            if abs(
                Decimal(token.replace(",", "")) - Decimal(repr(number) if isinstance(number, float) else number)
            ) < Decimal("0.005"):
                return True
        except InvalidOperation:
            continue
    return False


def to_plain(value):
    """Handler values -> JSON-ready values (decimals to numbers), for gold solution arguments."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    return value


def coalesce(*values):
    for v in values:
        if v is not None:
            return v
    return None


def list_has(items, value, negated=False):
    """`value in items` (`not in` if negated) comparing a decimal with a float as floats (as SQL
    does), not exactly; false when a side is null."""
    if items is None or value is None:
        return False
    value = float(value) if isinstance(value, Decimal) else value
    return any((float(x) if isinstance(x, Decimal) else x) == value for x in items) != negated


def list_sum(xs):
    return sum(xs, Decimal(0) if any(isinstance(x, Decimal) for x in xs) else 0)


def list_avg(xs):
    return None if not xs else list_sum(xs) / len(xs)


def list_min(xs):
    return min(xs) if xs else None


def list_max(xs):
    return max(xs) if xs else None


def min_of(*xs):
    """The smallest argument that is not null (null if all are)."""
    return min((x for x in xs if x is not None), default=None)


def max_of(*xs):
    return max((x for x in xs if x is not None), default=None)


neg = operator.neg


def maybe(fn, v):
    """fn(v), or null for null (what SQL does with a null argument)."""
    return None if v is None else fn(v)


# ---- functions called inside SQL ----------------------------------------------------------
# Where SQLite's own operators would differ from the handlers' semantics (rounding, division by
# zero, Python's `%`, JSON lists), queries call these, so both evaluators run the same code.
# They also replace json_each: SQLite 3.40 (Python 3.11's) crashes when json_each runs after
# sqlite3_deserialize, which is how sessions reset.

_sql_failure = threading.local()


def _raising(fn):
    """A Fail raised inside SQL surfaces as sqlite3.OperationalError; keep it for failure_of()."""

    def call(*args):
        try:
            return fn(*args)
        except Fail as f:
            _sql_failure.fail = f
            raise
        except OverflowError:
            _sql_failure.fail = Fail("invalid_value", "a number is outside the 64-bit integer range")
            raise

    return call


def failure_of(exc: BaseException) -> Fail | None:
    """The Fail an SQL function raised, if that is what `exc` reports; or invalid_value for a
    number too large to store (SQLite integers are 64-bit, Python's are not)."""
    fail = getattr(_sql_failure, "fail", None)
    _sql_failure.fail = None
    if isinstance(exc, OverflowError):
        return Fail("invalid_value", "a number is outside the 64-bit integer range")
    return fail if isinstance(exc, sqlite3.OperationalError) else None


def _cents_div(x, y):
    """x / y on integers, rounded half away from zero (decimal arithmetic in cents)."""
    if x is None or y is None:
        return None
    if y == 0:
        raise Fail("division_by_zero", "division by zero")
    quotient = Decimal(x) / Decimal(y)
    return checked_cents(_integral_or_none(quotient), quotient.scaleb(-2))


def _div(x, y):
    return None if x is None or y is None else true_div(x, y)


def _mod(x, y):
    return None if x is None or y is None else int_mod(x, y)


def _round_cents(c, places):
    return None if c is None else cents(round_half_up(dec(c), places, Decimal))


def _round(v, places, as_int):
    return None if v is None else round_half_up(v, places, int if as_int else float)


def _list_has(items, value):
    return None if items is None or value is None else int(value in json.loads(items))


def _json_len(text):
    return json_len(from_json_text(text))


def _int(v):
    """An int computed in SQL: SQLite makes an overflowing one a REAL, which no int field holds."""
    if isinstance(v, float):
        raise Fail("invalid_value", "a number is outside the 64-bit integer range")
    return v


def _list_concat(a, b):
    return None if a is None or b is None else to_json_text(json.loads(a) + json.loads(b))


SQL_FUNCTIONS = {
    "awm_date": (1, to_date),
    "awm_shift_time": (2, shift_time),
    "awm_min": (-1, min_of),
    "awm_max": (-1, max_of),
    "awm_cents": (1, cents),
    "awm_cents_div": (2, _cents_div),
    "awm_div": (2, _div),
    "awm_mod": (2, _mod),
    "awm_round_cents": (2, _round_cents),
    "awm_round": (3, _round),
    "awm_list_has": (2, _list_has),
    "awm_json_len": (1, _json_len),
    "awm_int": (1, _int),
    "awm_list_concat": (2, _list_concat),
}


STATEMENTS_KEPT = 1024
# what a build folder's handlers.py holds, for the runtime: raised when its tables change shape
# (2: TOOLS name the tables a call may change, INVARIANTS the tables each reads; 3: OWNERS hold
# the owner as SQL, a path `account.owner` being a subquery)
BUILD_FORMAT = 3


def open_database(image: bytes | None = None, functions=SQL_FUNCTIONS) -> sqlite3.Connection:
    """An in-memory connection that can run generated SQL: the named functions above (all by
    default), foreign keys on, and the database image loaded if one is given."""
    # a spec's handlers, checks and invariants run 150-400 distinct statements: keep them all
    # prepared (Python's default keeps 128, so a pooled connection re-prepared most of them)
    db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False, cached_statements=STATEMENTS_KEPT)
    for name in functions:
        arity, fn = SQL_FUNCTIONS[name]
        db.create_function(name, arity, _raising(fn), deterministic=True)
    if image is not None:
        db.deserialize(image)
    db.execute("PRAGMA foreign_keys = ON")
    return db


def sql_functions_used(*code: str) -> tuple[str, ...]:
    """The functions above that generated code calls: handlers and the schema's CHECKs alike
    (sqlglot writes their names upper case)."""
    return tuple(name for name in SQL_FUNCTIONS if any(name.upper() + "(" in text for text in code))
