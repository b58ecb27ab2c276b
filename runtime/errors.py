"""The shape of call results: `{"ok": true, "result": ...}` or `{"ok": false, "error": {...}}`,
and the one exception the runtime raises for a bad request made before any call runs."""

from __future__ import annotations

import json
import re

from awmlang.text import suggest

LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class SessionError(ValueError):
    """A session or episode that cannot start as asked: an unknown user or task, or a database
    image that is not this environment's. The message names the problem and what is valid."""


def ok_result(value) -> dict:
    return {"ok": True, "result": value}


def error_result(code: str, message: str, details: dict | None = None) -> dict:
    return {"ok": False, "error": {"code": code, "message": message, "details": details or {}}}


def suggest_tool(name: str, tools) -> dict:
    close = suggest(shown(name), tools)
    return {"did_you_mean": close} if close else {}


def shown(value) -> str:
    """Text from a client, safe to echo in a message: a lone surrogate (not encodable as UTF-8,
    e.g. half of a truncated emoji) is written as its `\\udXXX` escape."""
    text = value if isinstance(value, str) else str(value)
    return text if text.isascii() else text.encode("utf-8", "backslashreplace").decode("utf-8")


def valid_text(text):
    """The text with each lone surrogate (not Unicode text) replaced by U+FFFD, for text that
    is read, not refused (a final answer, a model's message sent back to its API)."""
    return text if not isinstance(text, str) or text.isascii() else LONE_SURROGATE.sub("\ufffd", text)


def json_text(value, **options) -> str:
    """`json.dumps` keeping non-ASCII text readable (`ensure_ascii=False`) and always encodable
    as UTF-8: a lone surrogate, which can only sit inside a JSON string, becomes its `\\uXXXX`
    escape, which decodes back to the same value."""
    return shown(json.dumps(value, ensure_ascii=False, **options))
