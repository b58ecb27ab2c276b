"""The small helpers that generated handlers call. Kept flat and fast: they run on every call."""
from __future__ import annotations

import datetime as _dt
import json
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

D = Decimal
_CENT = Decimal("0.01")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_CLOCK = "%Y-%m-%d %H:%M:%S"

__all__ = [
    "D", "Fail", "one", "rows", "column", "scalar", "exists", "execute", "must", "upsert", "first_of",
    "dec", "cents", "money", "money_cents", "as_bool", "as_bool_int", "to_json_text", "from_json_text",
    "json_get", "json_list", "item", "ascii_lower", "ascii_upper", "to_text", "to_int", "to_float",
    "to_decimal", "to_date", "days_between", "int_range", "reversed_list", "ordered", "shift_time",
    "decimal_div", "true_div", "int_mod", "round_half_up", "coalesce", "text_test", "contains_number", "to_plain", "list_sum", "list_avg",
    "list_min", "list_max", "min_of", "max_of",
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
        what = f"{entity} {value!r}" if column in ("id", "key") else f"{entity} with {column} {value!r}"
        raise Fail("not_found", f"{what} not found", {"entity": entity, column: value})
    return r[0]


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
    return None if v is None else Decimal(int(v)).scaleb(-2) if isinstance(v, int) else Decimal(repr(v / 100)).quantize(_CENT, ROUND_HALF_UP)


def cents(v):
    """A decimal value -> integer cents for SQLite, rounded half-up."""
    if v is None:
        return None
    if not isinstance(v, Decimal):
        v = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
    return int((v * 100).to_integral_value(ROUND_HALF_UP))


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
    return None if v is None else _convert("decimal", lambda x: Decimal(repr(x)) if isinstance(x, float) else Decimal(x), v)


def to_date(v):
    return None if v is None else str(v)[:10]


def days_between(a, b):
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
    if len(value) == 10:
        return (_dt.date.fromisoformat(value) + _dt.timedelta(seconds=seconds)).isoformat()
    return (_dt.datetime.strptime(value, _CLOCK) + _dt.timedelta(seconds=seconds)).strftime(_CLOCK)


def decimal_div(a, b):
    if b == 0:
        raise Fail("division_by_zero", "division by zero")
    return Decimal(a) / Decimal(b)


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
    q = Decimal(1).scaleb(-places)
    d = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
    r = d.quantize(q, ROUND_HALF_UP)
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
            if abs(Decimal(token.replace(",", "")) - Decimal(repr(number) if isinstance(number, float) else number)) < Decimal("0.005"):
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


def list_sum(xs):
    return sum(xs, Decimal(0) if any(isinstance(x, Decimal) for x in xs) else 0)


def list_avg(xs):
    return None if not xs else list_sum(xs) / len(xs)


def list_min(xs):
    return min(xs) if xs else None


def list_max(xs):
    return max(xs) if xs else None


def min_of(*xs):
    return min(x for x in xs if x is not None)


def max_of(*xs):
    return max(x for x in xs if x is not None)
