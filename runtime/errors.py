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


def unknown_task_message(task_id, tasks) -> str:
    """`no task named 'x'`, with the closest task names when there are some."""
    close = suggest_tool(task_id, tasks).get("did_you_mean")
    return f"no task named {task_id!r}" + (f"; did you mean {close[0]!r}?" if close else "")
