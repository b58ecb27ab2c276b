"""The shape of call results: `{"ok": true, "result": ...}` or `{"ok": false, "error": {...}}`."""
from __future__ import annotations

import difflib


def ok_result(value) -> dict:
    return {"ok": True, "result": value}


def error_result(code: str, message: str, details: dict | None = None) -> dict:
    return {"ok": False, "error": {"code": code, "message": message, "details": details or {}}}


def suggest_tool(name: str, tools) -> dict:
    close = difflib.get_close_matches(str(name), sorted(tools), n=3, cutoff=0.5)
    return {"did_you_mean": close} if close else {}
