"""The guards of each tool, read from the handlers module, and which ways the calls took them.

A guard is an `if` whose body only raises a declared failure: `require c else fail code` is
`if not (c): raise Fail('code', ...)`, right under the `# spec.awm:line` comment of its statement.
The explorer sees only a call's result, so a guard's counts are inferred from it:
- a failure with a guard's code failed that guard (with every guard of the same code, when
  several share it: which one failed is not known), and passed every guard of the function's
  top level before the first of them;
- a success passed every guard of the top level.
A guard inside an `if` or a loop may not run at all, so no call is known to have passed it
(`passed` stays None). A guard never failed is either always true (dead) or out of the
explorer's reach; one never passed stops every call that reaches it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_LOCATION = re.compile(r"^\s*# (\S+:\d+)$")


@dataclass
class Guard:
    code: str
    where: str  # spec file:line
    top_level: bool
    failed: int = 0
    passed: int | None = 0  # None: not known (a guard inside an `if` or a loop)

    def __post_init__(self):
        if not self.top_level:
            self.passed = None

    def as_json(self) -> dict:
        return {"code": self.code, "where": self.where, "failed": self.failed, "passed": self.passed}


def tool_guards(module: ast.Module, lines: list[str]) -> dict[str, list[Guard]]:
    """tool name -> its guards in the order of the handler's code, from the handlers module's
    syntax tree and its lines (the comments)."""
    guards = {}
    for node in module.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("tool_"):
            guards[node.name.removeprefix("tool_")] = list(_guards_in(node.body, lines, top_level=True))
    return guards


def _guards_in(body: list[ast.stmt], lines: list[str], top_level: bool):
    for statement in body:
        code = _failure_code(statement)
        found = _LOCATION.match(lines[statement.lineno - 2]) if code is not None else None
        if code is not None and found:  # (a lookup's generated not_found check has no comment of its own: not a guard)
            yield Guard(code, found.group(1), top_level)
            continue
        for field in ("body", "orelse", "handlers", "finalbody"):
            inner = getattr(statement, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                yield from _guards_in(inner, lines, top_level=False)


def _failure_code(statement: ast.stmt) -> str | None:
    """The code of `if ...: raise Fail('code', ...)` (no else), else None."""
    if not isinstance(statement, ast.If) or statement.orelse or len(statement.body) != 1:
        return None
    raised = statement.body[0]
    if not (isinstance(raised, ast.Raise) and isinstance(raised.exc, ast.Call)):
        return None
    call = raised.exc
    if not (isinstance(call.func, ast.Name) and call.func.id == "Fail" and call.args):
        return None
    first = call.args[0]
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def record_guards(guards: list[Guard], result: dict) -> None:
    """Count which ways one call's result shows it took the tool's guards."""
    if result["ok"]:
        reached = len(guards)
    else:
        code = result["error"]["code"]
        failing = [i for i, g in enumerate(guards) if g.code == code]
        if not failing:  # not a guard's failure (not_found, a validation error): nothing known
            return
        for i in failing:
            guards[i].failed += 1
        reached = failing[0]
    for guard in guards[:reached]:
        if guard.passed is not None:
            guard.passed += 1
