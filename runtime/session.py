"""Environments and sessions: isolated, resettable SQLite instances that run tool calls atomically."""
from __future__ import annotations

import datetime as dt
import importlib.util
import json
import logging
import sqlite3
import sys
import traceback
from pathlib import Path

from .errors import error_result, ok_result, suggest_tool, unknown_task_message
from .support import Fail
from .validate import Validator

log = logging.getLogger("awmlang.runtime")
CLOCK_FORMAT = "%Y-%m-%d %H:%M:%S"
INVARIANT_MODES = ("off", "enforce", "check")
MAX_REPORTED_ROWS = 20


class Environment:
    """A built environment: handlers, tool schemas and the seeded database image, loaded once."""

    def __init__(self, build_dir: str | Path):
        self.build_dir = Path(build_dir)
        self.manifest_text = (self.build_dir / "manifest.json").read_text()
        self.manifest = json.loads(self.manifest_text)
        self.name: str = self.manifest["env"]
        self.initial_image: bytes = (self.build_dir / "initial.db").read_bytes()
        schemas = json.loads((self.build_dir / "tools.json").read_text())
        self.tools: list[dict] = schemas["openai"]
        self.mcp_tools: list[dict] = schemas["mcp"]
        self.module = _import_handlers(self.build_dir / "handlers.py", self.manifest["hashes"]["handlers.py"])
        self.handlers = {name: (fn, writes, Validator(params)) for name, (fn, writes, params) in self.module.TOOLS.items()}
        self.clock: str = self.module.CLOCK
        self.user_entity: str | None = self.module.USER_ENTITY
        self.invariants: dict[str, tuple] = self.module.INVARIANTS
        self.tasks: dict[str, tuple] = self.module.TASKS
        self.entity_keys: dict[str, tuple[str, str, str | None]] = self.module.ENTITY_KEYS
        self.owners: dict[str, tuple[str, str, str]] = self.module.OWNERS

    @property
    def tool_names(self) -> list[str]:
        return sorted(self.handlers)

    def session(self, user: int | str | None = 1, clock: str | None = None, image: bytes | None = None,
                invariants: str = "off") -> "Session":
        """A new isolated session. invariants: "off", "enforce" (a call that would break one is
        rolled back and fails with invariant_violation) or "check" (violations are recorded in
        `session.violations` and the call stands)."""
        return Session(self, user=user, clock=clock, image=image, invariants=invariants)

    def episode(self, task: str | None = None, instruction: str | None = None, user=1,
                invariants: str = "off", max_steps: int | None = None):
        """An episode for an RL loop: a task (or free-text instruction), a fresh session, a reward."""
        from .episode import Episode
        return Episode(self, task=task, instruction=instruction, user=user, invariants=invariants, max_steps=max_steps)

    def describe_line(self, tb) -> str | None:
        """The .awm line that the innermost handler frame of a traceback came from."""
        line_map = self.module.LINE_MAP
        where = None
        for frame, lineno in traceback.walk_tb(tb):
            if frame.f_globals is self.module.__dict__ and lineno in line_map:
                where = line_map[lineno]
        return where


def _import_handlers(path: Path, digest: str):
    name = f"awmlang_env_{digest[:16]}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    return module


class Session:
    """One isolated instance of an environment's state (an in-memory SQLite database)."""

    __slots__ = ("env", "db", "me", "start_clock", "start_time", "start_image", "ticks", "invariant_mode", "violations")

    def __init__(self, env: Environment, user=1, clock: str | None = None, image: bytes | None = None,
                 invariants: str = "off"):
        if invariants not in INVARIANT_MODES:
            raise ValueError(f"invariants must be one of {', '.join(INVARIANT_MODES)}, not {invariants!r}")
        self.env = env
        self.invariant_mode = invariants
        self.violations: list[dict] = []
        self.db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        self.start_image = image if image is not None else env.initial_image
        self.db.deserialize(self.start_image)
        self.db.execute("PRAGMA foreign_keys = ON")
        self.me = user
        self.start_clock = clock or env.clock
        self.start_time = dt.datetime.strptime(self.start_clock, CLOCK_FORMAT)   # parsed once, read by now()
        self.ticks = 0

    # ---- state ------------------------------------------------------------------------
    @property
    def now(self) -> str:
        return (self.start_time + dt.timedelta(seconds=self.ticks)).strftime(CLOCK_FORMAT)

    def reset(self) -> None:
        """Back to the state the session started from and the start of the clock."""
        self.db.deserialize(self.start_image)
        self.ticks = 0

    def snapshot(self) -> tuple[bytes, int]:
        return self.db.serialize(), self.ticks

    def restore(self, snap: tuple[bytes, int]) -> None:
        image, ticks = snap
        self.db.deserialize(image)
        self.ticks = ticks

    def save(self, path: str | Path) -> None:
        """Write the current database to a file (for `awmc call --db` and verifiers)."""
        target = sqlite3.connect(str(path))
        self.db.backup(target)
        target.close()

    def close(self) -> None:
        self.db.close()

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Read-only access for tests and verifiers."""
        return self.db.execute(sql, params).fetchall()

    # ---- calls --------------------------------------------------------------------------
    def call(self, tool: str, arguments: dict | None = None) -> dict:
        """Run one tool call atomically. Never raises: failures come back as error results."""
        entry = self.env.handlers.get(tool)
        if entry is None:
            return error_result("unknown_tool", f"no tool named `{tool}`",
                                suggest_tool(tool, self.env.handlers))
        handler, writes, validator = entry
        args, problems = validator.validate(arguments)
        if problems:
            return error_result("invalid_arguments", f"{len(problems)} invalid argument{'s' if len(problems) > 1 else ''} for `{tool}`",
                                {"problems": problems})
        self.ticks += 1
        db = self.db
        if writes:
            db.execute("SAVEPOINT call")
        try:
            result = handler(self, db, args)
        except Fail as f:
            self._rollback(writes)
            return error_result(f.code, f.message, f.details)
        except sqlite3.IntegrityError as exc:
            self._rollback(writes)
            return error_result("constraint_violation", _constraint_message(str(exc)), {"sqlite": str(exc)})
        except Exception as exc:  # noqa: BLE001 - any bug in a handler is reported, never raised
            self._rollback(writes)
            where = self.env.describe_line(exc.__traceback__)
            log.error("internal error in tool %s (%s): %r", tool, where, exc)
            return error_result("internal_error", f"internal error in `{tool}`" + (f" at {where}" if where else ""),
                                {"error": type(exc).__name__, "at": where})
        if writes and self.invariant_mode != "off":
            broken = self.check_invariants()
            if broken and self.invariant_mode == "enforce":
                self._rollback(True)
                names = ", ".join(v["invariant"] for v in broken)
                return error_result("invariant_violation", f"`{tool}` would break {names}", {"violations": broken})
            if broken:
                self.violations.append({"tool": tool, "arguments": arguments, "violations": broken})
        if writes:
            db.execute("RELEASE call")
        return ok_result(result)

    # ---- tasks --------------------------------------------------------------------------
    def _task(self, task_id: str) -> tuple:
        if task_id not in self.env.tasks:
            raise KeyError(unknown_task_message(task_id, self.env.tasks))
        return self.env.tasks[task_id]

    def run_solution(self, task_id: str) -> dict:
        """Run a task's gold solution in this session: {ok, answer, calls, error}."""
        _, solution, _ = self._task(task_id)
        calls: list[dict] = []
        if solution is None:
            return {"ok": False, "answer": None, "calls": calls, "error": f"task {task_id} has no solution"}

        def call(tool: str, arguments: dict):
            result = self.call(tool, arguments)
            calls.append({"tool": tool, "arguments": arguments, "result": result})
            if not result["ok"]:
                raise _SolutionFailed(f"{tool} failed: {result['error']['code']}: {result['error']['message']}")
            return result["result"]

        try:
            answer = solution(self, call)
        except _SolutionFailed as exc:
            return {"ok": False, "answer": None, "calls": calls, "error": str(exc)}
        except Exception as exc:  # noqa: BLE001 - a broken solution is reported, not raised
            return {"ok": False, "answer": None, "calls": calls, "error": f"{type(exc).__name__}: {exc}"}
        return {"ok": True, "answer": answer, "calls": calls, "error": None}

    def verify(self, task_id: str, answer: str | None = None, before: bytes | None = None) -> dict:
        """Score the current state (and the final answer) against a task: {reward, passed, checks}.
        `before` is the starting state (default: the one this session started from)."""
        _, _, verifier = self._task(task_id)
        before_db = sqlite3.connect(":memory:")
        before_db.deserialize(before if before is not None else self.start_image)
        checks = []
        try:
            for source, weight, condition, observed in verifier(self, self.db, before_db, answer or ""):
                checks.append(_run_check(source, weight, condition, observed))
        finally:
            before_db.close()
        total = sum(c["weight"] for c in checks)
        earned = sum(c["weight"] for c in checks if c["passed"])
        return {"task": task_id, "reward": round(earned / total, 6) if total else 0.0,
                "passed": bool(checks) and earned == total, "checks": checks}

    def check_invariants(self) -> list[dict]:
        """Every invariant the current state breaks, with the keys of the violating rows."""
        out = []
        for name, (description, entity, sql) in self.env.invariants.items():
            rows = [r[0] for r in self.db.execute(sql).fetchall()]
            if rows:
                out.append({"invariant": name, "description": description, "entity": entity,
                            "rows": rows[:MAX_REPORTED_ROWS] if entity else [], "count": len(rows) if entity else 1})
        return out

    def _rollback(self, writes: bool) -> None:
        if writes:
            self.db.execute("ROLLBACK TO call")
            self.db.execute("RELEASE call")


class _SolutionFailed(Exception):
    pass


def _run_check(source: str, weight: int, condition, observed) -> dict:
    """One `expect`: whether it held and what was observed (an error counts as not holding)."""
    try:
        passed = bool(condition())
        seen = observed()
    except Fail as f:
        passed, seen = False, {"error": f.code, "message": f.message}
    except Exception as exc:  # noqa: BLE001 - a check that cannot be evaluated fails, it does not raise
        passed, seen = False, {"error": "internal_error", "message": f"{type(exc).__name__}: {exc}"}
    return {"expect": source, "passed": passed, "observed": seen, "weight": weight}


def _constraint_message(message: str) -> str:
    if message.startswith("UNIQUE"):
        return "a row with the same unique value already exists: " + message.split(":", 1)[-1].strip()
    if message.startswith("FOREIGN KEY"):
        return "the change would leave a row pointing at a missing row, or delete a row others still refer to"
    if message.startswith("CHECK"):
        return "a value breaks a constraint of the environment: " + message.split(":", 1)[-1].strip()
    if message.startswith("NOT NULL"):
        return "a required value is missing: " + message.split(":", 1)[-1].strip()
    return message
