"""Fast validation of tool arguments against the parameter specs the compiler emits.

Collects every problem (missing, unknown, wrong type, out of range) instead of stopping at
the first, and converts JSON values to the handler's types (decimal -> Decimal).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from awmlang.text import counted

from .errors import shown

MAX_TEXT = 100_000
MAX_JSON_DEPTH = 64
INT64_RANGE = range(-(2**63), 2**63)
_CENT = Decimal("0.01")


class Validator:
    __slots__ = ("defaults", "names", "params", "ranges")

    def __init__(self, params: list[dict]):
        self.params = params
        self.names = {p["name"] for p in params}
        # computed once: a call only looks them up
        self.defaults = {p["name"]: _default(p) for p in params}
        self.ranges = {
            p["name"]: tuple(None if b is None else Decimal(str(b)) for b in p["range"]) for p in params if "range" in p
        }

    def validate(self, arguments) -> tuple[dict, list[dict]]:
        problems: list[dict] = []
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            return {}, [{"argument": None, "problem": "arguments must be a JSON object"}]
        out = {}
        for name in arguments:
            if name not in self.names:
                problems.append({"argument": shown(name), "problem": "unknown argument"})
        for p in self.params:
            name = p["name"]
            if name not in arguments or (arguments[name] is None and not p["type"]["optional"] and "default" in p):
                if p["required"]:
                    problems.append({"argument": name, "problem": "missing required argument"})
                    continue
                out[name] = self.defaults[name]
                continue
            value, problem = convert(arguments[name], p["type"])
            if problem is None:
                problem = _bounds(value, p, self.ranges.get(name))
            if problem is not None:
                problems.append({"argument": name, "problem": problem})
            else:
                out[name] = value
        return out, problems


def _default(p):
    d = p.get("default")
    kind = p["type"]["kind"]
    if d is None:
        return None
    if kind == "decimal":
        return Decimal(str(d))
    if kind == "float":
        return float(d)
    return d


def _bounds(value, p, bounds: tuple | None) -> str | None:
    if value is None:
        return None
    if bounds is not None:
        lo, hi = bounds
        if lo is not None and value < lo:
            return f"must be at least {p['range'][0]}"
        if hi is not None and value > hi:
            return f"must be at most {p['range'][1]}"
    if "length" in p:
        lo, hi = p["length"]
        size = len(value)
        if lo is not None and size < lo:
            return f"must have at least {counted(lo, 'character' if isinstance(value, str) else 'item')}"
        if hi is not None and size > hi:
            return f"must have at most {counted(hi, 'character' if isinstance(value, str) else 'item')}"
    return None


def convert(value, spec: dict):
    """(converted value, None) or (None, problem)."""
    if value is None:
        return (None, None) if spec["optional"] or spec["kind"] == "json" else (None, "must not be null")
    kind = spec["kind"]
    if kind == "entity":  # a row's key, as its key field's type
        kind = spec["key"]
    converter = _CONVERTERS.get(kind)
    if converter is None:
        return None, f"has an unsupported type {kind}"
    return converter(value, spec)


def _int(value, spec: dict):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None, f"must be an integer, got {_json_type(value)}"
    if value not in INT64_RANGE:
        return None, "is out of the 64-bit integer range"
    return value, None


def _float(value, spec: dict):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, f"must be a number, got {_json_type(value)}"
    if value != value or value in (float("inf"), float("-inf")):
        return None, "must be a finite number"
    return float(value), None


def _decimal(value, spec: dict):
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None, f"must be a number, got {_json_type(value)}"
    try:
        d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        return None, "must be a decimal number"
    if not d.is_finite() or abs(d) >= Decimal(10) ** 15:
        return None, "must be a finite number below 10^15"
    cents = d.quantize(_CENT, ROUND_HALF_UP)
    if cents != d:  # fixed-point: refused, not silently rounded (the caller's mistake)
        return None, f"must have at most 2 decimal places, got {value}"
    return cents, None


def _bool(value, spec: dict):
    if not isinstance(value, bool):
        return None, f"must be true or false, got {_json_type(value)}"
    return value, None


def _text(value, spec: dict):
    if not isinstance(value, str):
        return None, f"must be a string, got {_json_type(value)}"
    if len(value) > MAX_TEXT:
        return None, f"must be at most {MAX_TEXT} characters"
    problem = _text_problem(value)
    return (None, problem) if problem is not None else (value, None)


def _date(value, spec: dict):
    value, problem = _text(value, spec)
    if problem is not None:
        return None, problem
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return None, "must be a date YYYY-MM-DD"
    return (value, None) if len(value) == 10 else (None, "must be a date YYYY-MM-DD")


def _datetime(value, spec: dict):
    value, problem = _text(value, spec)
    if problem is not None:
        return None, problem
    try:
        dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None, "must be a datetime YYYY-MM-DD HH:MM:SS"
    return value, None


def _enum(value, spec: dict):
    if value not in spec["members"]:
        return None, f"must be one of {', '.join(spec['members'])}"
    return value, None


def _list(value, spec: dict):
    if not isinstance(value, list):
        return None, f"must be a list, got {_json_type(value)}"
    out = []
    for i, item in enumerate(value):
        converted, problem = convert(item, spec["items"])
        if problem is not None:
            return None, f"item {i} {problem}"
        out.append(converted)
    return out, None


def _record_param(value, spec: dict):
    return _record(value, spec["fields"])


def _union(value, spec: dict):
    if not isinstance(value, dict) or not isinstance(value.get("kind"), str) or value["kind"] not in spec["variants"]:
        return None, f'must be an object with "kind" one of {", ".join(spec["variants"])}'
    rest = {k: v for k, v in value.items() if k != "kind"}
    record, problem = _record(rest, spec["variants"][value["kind"]])
    if problem is not None:
        return None, problem
    record["kind"] = value["kind"]
    return record, None


def _json(value, spec: dict):
    problem = _json_problem(value)
    return (None, problem) if problem is not None else (value, None)


def _record(value, fields: dict):
    if not isinstance(value, dict):
        return None, f"must be an object, got {_json_type(value)}"
    out: dict = {}
    for key in value:
        if key not in fields:
            return None, f"has an unknown field `{shown(key)}`"
    for name, spec in fields.items():
        if name not in value:
            if spec["optional"]:
                out[name] = None
                continue
            return None, f"is missing the field `{name}`"
        converted, problem = convert(value[name], spec)
        if problem is not None:
            return None, f"field `{name}` {problem}"
        out[name] = converted
    return out, None


def _text_problem(text: str) -> str | None:
    """NUL is refused (SQLite's text functions stop at it); so is a lone surrogate (half of a
    truncated emoji), which is not Unicode text and cannot be stored as UTF-8."""
    if "\x00" in text:
        return "must not contain NUL characters"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            return f"is not valid Unicode text: a lone surrogate U+{ord(text[exc.start]):04X} at character {exc.start}"
    return None


def _json_problem(value) -> str | None:
    """JSON data only (objects with text keys, lists, text, finite numbers, booleans, null), no
    deeper than MAX_JSON_DEPTH, with text that is valid Unicode. NUL is stored safely here:
    JSON text escapes it. Walked without recursion, so any depth is refused, never a crash."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            return f"is nested deeper than {MAX_JSON_DEPTH} levels"
        if isinstance(item, dict):
            for key, inner in item.items():
                if not isinstance(key, str):
                    return f"must have text keys, got {_json_type(key)}"
                problem = _text_problem(key.replace("\x00", ""))
                if problem is not None:
                    return f"has a key that {problem}"
                pending.append((inner, depth + 1))
        elif isinstance(item, list):
            pending.extend((inner, depth + 1) for inner in item)
        elif isinstance(item, str):
            problem = _text_problem(item.replace("\x00", ""))
            if problem is not None:
                return f"has text that {problem}"
        elif isinstance(item, float) and (item != item or item in (float("inf"), float("-inf"))):
            return "must hold only finite numbers"
        elif item is not None and not isinstance(item, (bool, int, float)):
            return f"must be JSON data, got {_json_type(item)}"
    return None


def _json_type(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


# a parameter's kind -> its converter: (converted value, None) or (None, problem)
_CONVERTERS = {
    "int": _int,
    "float": _float,
    "decimal": _decimal,
    "bool": _bool,
    "text": _text,
    "date": _date,
    "datetime": _datetime,
    "enum": _enum,
    "list": _list,
    "record": _record_param,
    "union": _union,
    "json": _json,
}
