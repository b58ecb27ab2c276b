"""awm literals and comments: strings, numbers and constants written as awm source text."""

from __future__ import annotations

import re
from decimal import Decimal

DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def awm_text(value: str, braces: str = "literal") -> str:
    """A double-quoted awm string. braces: "literal" (descriptions, task instructions),
    "escape" (seed values: `\\{`) or "double" (messages inside expressions: `{{`)."""
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    if braces == "escape":
        out = out.replace("{", "\\{").replace("}", "\\}")
    elif braces == "double":
        out = out.replace("{", "{{").replace("}", "}}")
    return f'"{out}"'


def not_finite(value: float) -> bool:
    return value != value or value in (float("inf"), float("-inf"))  # NaN is the one value unequal to itself


def awm_number(value: float) -> str | None:
    """An awm number literal (no exponents; `9.99`), or None for inf/nan."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return str(value)
    if not_finite(value):
        return None
    text = format(Decimal(repr(value)), "f")
    if "." not in text:
        text += ".0"
    return text


def constant_literal(value, ftype: str) -> str | None:
    """A constant as an awm literal of the field's type, or None if it does not fit the type or
    a compiler limitation keeps it out (strings with braces are not constants: see the docs)."""
    if ftype == "int" and isinstance(value, int):
        return str(value)
    if ftype == "float" and isinstance(value, (int, float)):
        return awm_number(value)
    if ftype in ("text", "datetime", "date") and isinstance(value, str) and "{" not in value and "}" not in value:
        if ftype == "text" or (DATETIME_RE if ftype == "datetime" else DATE_RE).fullmatch(value):
            return awm_text(value)
    return None


LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def comment(text: str) -> str:
    """A `#` comment line. Input names and paths may hold line breaks: those would end the
    comment and let the rest of the text run as spec code, so they become spaces."""
    return "# " + LINE_BREAKS.sub(" ", text)
