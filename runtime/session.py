"""Environments and sessions: isolated, resettable SQLite instances that run tool calls atomically."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import logging
import re
import sqlite3
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from awmlang.text import counted

from .episode import Episode
from .errors import LONE_SURROGATE, SessionError, error_result, ok_result, shown, suggest_tool, valid_text
from .support import BUILD_FORMAT, CLOCK_FORMAT, Fail, failure_of, open_database, sql_functions_used
from .validate import Validator

log = logging.getLogger("awmlang.runtime")
INVARIANT_MODES = ("off", "enforce", "check")
MAX_REPORTED_ROWS = 20
MAX_CACHED_USERS = 4096
DEFAULT_USER = 1
TABLES_SQL = "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
POOL_SIZE = 16  # idle connections an environment keeps, each holding the seeded database
READ_SQL = re.compile(r"\s*(SELECT|WITH|VALUES)\b", re.IGNORECASE)
_CLOSED = sqlite3.connect(":memory:")  # what a closed session holds: using it raises, as a closed connection does
_CLOSED.close()


class Environment:
    """A built environment: handlers, tool schemas and the seeded database image, loaded once."""

    def __init__(self, build_dir: str | Path):
        self.build_dir = Path(build_dir)
        self.manifest_text = (self.build_dir / "manifest.json").read_text()
        self.manifest = json.loads(self.manifest_text)
        if self.manifest.get("format") != BUILD_FORMAT:
            raise SessionError(
                f"{self.build_dir} was built by another version of awmlang (build format "
                f"{self.manifest.get('format', 1)}, this one reads {BUILD_FORMAT}): build its spec again with `awmc build`"
            )
        self.name: str = self.manifest["env"]
        self.initial_image: bytes = (self.build_dir / "initial.db").read_bytes()
        schemas = json.loads((self.build_dir / "tools.json").read_text())
        self.tools: list[dict] = schemas["openai"]
        self.mcp_tools: list[dict] = schemas["mcp"]
        handlers_path = self.build_dir / "handlers.py"
        self.module = _import_handlers(handlers_path, self.manifest["hashes"]["handlers.py"])
        # a session registers only the SQL functions its statements and CHECKs call (each costs about 0.6 µs)
        self.sql_functions = sql_functions_used(
            handlers_path.read_text(encoding="utf-8"), (self.build_dir / "schema.sql").read_text(encoding="utf-8")
        )
        self.handlers = {
            name: (fn, writes, Validator(params)) for name, (fn, writes, params) in self.module.TOOLS.items()
        }
        self.clock: str = self.module.CLOCK
        self.user_entity: str | None = self.module.USER_ENTITY
        self.invariants: dict[str, tuple] = self.module.INVARIANTS
        # tool -> the invariants that read a table it may change: only those can it break
        self.invariants_after: dict[str, tuple[str, ...]] = {
            tool: tuple(name for name, inv in self.invariants.items() if set(inv[3]) & set(writes))
            for tool, (_, writes, _) in self.module.TOOLS.items()
        }
        self.tasks: dict[str, tuple] = self.module.TASKS
        self.entity_keys: dict[str, tuple[str, str, str | None]] = self.module.ENTITY_KEYS
        self.owners: dict[str, tuple[str, str, str]] = self.module.OWNERS  # (table, key, owner SQL)
        self._tables: dict[str, str] | None = None
        self._seeded_users: dict[tuple, object] = {}
        self._seeded_db: sqlite3.Connection | None = None
        self._seeded_lock = threading.Lock()
        self._pool: list[sqlite3.Connection] = []
        self._pool_lock = threading.Lock()

    @contextmanager
    def seeded_db(self) -> Iterator[sqlite3.Connection]:
        """The seeded database, opened once and shared: read it, never write it. Held by one
        thread at a time (the server's sessions start on several)."""
        with self._seeded_lock:
            if self._seeded_db is None:
                self._seeded_db = open_database(self.initial_image)
            yield self._seeded_db

    def copy_seeded(self, db: sqlite3.Connection) -> None:
        """Make `db` a copy of the seeded database, page by page. Not deserialize: that keeps its
        own copy of the image beside the page cache that reads then fill (1,000 bank sessions
        after one write each: 250 KB a session that way, 170 KB this way; reset costs ~15 µs more)."""
        with self.seeded_db() as seeded:
            seeded.backup(db)

    def seeded_connection(self) -> sqlite3.Connection:
        """A connection holding the seeded database, outside any transaction: an idle one from
        the pool (its schema parsed and its statements prepared by earlier sessions), else a new copy."""
        with self._pool_lock:
            if self._pool:
                return self._pool.pop()
        db = open_database(functions=self.sql_functions)
        self.copy_seeded(db)
        return db

    def pool_connection(self, db: sqlite3.Connection) -> None:
        """Keep `db` for a later session (up to POOL_SIZE, else close it). Its database must be
        the seeded one again: every change since it was taken rolled back."""
        with self._pool_lock:
            if len(self._pool) < POOL_SIZE:
                self._pool.append(db)
                return
        db.close()

    def seeded_user(self, user):
        """The stored key of a user of the seeded image, or a SessionError: looked up once per
        user (in a copy of the image), so opening a session reads none of its pages."""
        cache_key = (type(user), user)
        found = self._seeded_users.get(cache_key)
        if found is None:
            with self.seeded_db() as db:
                try:
                    found = stored_user_key(db, self, user)
                except SessionError as exc:
                    found = exc
            if len(self._seeded_users) < MAX_CACHED_USERS:  # "1", "01", "001" ... are one user
                self._seeded_users[cache_key] = found
        if isinstance(found, SessionError):
            raise SessionError(*found.args)
        return found

    @property
    def tables(self) -> dict[str, str]:
        """{table: its CREATE statement} of the seeded image: the schema a database must have."""
        if self._tables is None:
            with self.seeded_db() as db:
                self._tables = dict(db.execute(TABLES_SQL).fetchall())
        return self._tables

    def load_image(self, db: sqlite3.Connection, image: bytes, what: str = "the database") -> None:
        """Deserialize `image` into `db`; SessionError unless it is a SQLite database with
        exactly this environment's tables (the CREATE statement of each)."""
        if image is self.initial_image:
            self.copy_seeded(db)
            return
        if not image:  # sqlite3 refuses an empty image with a bare MemoryError
            raise SessionError(f"{what} is empty (0 bytes), not a SQLite database")
        db.deserialize(image)
        try:
            tables = dict(db.execute(TABLES_SQL).fetchall())
        except sqlite3.DatabaseError as exc:
            raise SessionError(f"{what} is not a SQLite database ({exc})") from None
        if tables == self.tables:
            return
        missing = sorted(set(self.tables) - set(tables))
        extra = sorted(set(tables) - set(self.tables))
        changed = sorted(t for t in set(tables) & set(self.tables) if tables[t] != self.tables[t])
        found = "; ".join(
            f"{label}: {', '.join(names[:8])}" + (" ..." if len(names) > 8 else "")
            for label, names in (
                ("missing tables", missing),
                ("unknown tables", extra),
                ("tables with other columns", changed),
            )
            if names
        )
        raise SessionError(f"{what} is not a database of `{self.name}` ({found})")

    def unknown_task(self, task) -> SessionError:
        """The error for a task name this environment does not have, with a suggestion."""
        close = suggest_tool(task, self.tasks).get("did_you_mean")
        names = sorted(self.tasks)
        if close:
            hint = f"did you mean {close[0]!r}?"
        elif names:
            hint = "its tasks: " + ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        else:
            hint = "it has no tasks"
        return SessionError(f"`{self.name}` has no task {task!r}; {hint}")

    @property
    def tool_names(self) -> list[str]:
        return sorted(self.handlers)

    def session(
        self,
        user: int | str | None = None,
        clock: str | None = None,
        image: bytes | None = None,
        invariants: str = "off",
    ) -> Session:
        """A new isolated session. invariants: "off", "enforce" (a call that would break one is
        rolled back and fails with invariant_violation) or "check" (violations are recorded in
        `session.violations` and the call stands). user: the acting user's key (default: 1,
        acted as even if the starting database lacks it). Raises SessionError for a user given
        but missing from the starting database, or an image that is not one of this environment's."""
        return Session(self, user=user, clock=clock, image=image, invariants=invariants)

    def episode(
        self,
        task: str | None = None,
        instruction: str | None = None,
        user=None,
        invariants: str = "off",
        max_steps: int | None = None,
    ):
        """An episode for an RL loop: a task (or free-text instruction), a fresh session, a reward.
        Raises SessionError for an unknown task or user."""
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
    assert spec is not None and spec.loader is not None, path  # a .py file always has a loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    return module


class Session:
    """One isolated instance of an environment's state (an in-memory SQLite database).

    The session runs inside one outer transaction over its starting database: a call is a
    SAVEPOINT inside it, reset is ROLLBACK + BEGIN, and close rolls back and gives a seeded
    connection back to the environment's pool. Off that path (after `restore`, or once `db`
    has been handed out) calls commit, reset copies the starting database again, and close
    closes the connection."""

    __slots__ = (
        "_db",
        "_outer",
        "_shared",
        "env",
        "invariant_mode",
        "me",
        "start_clock",
        "start_image",
        "start_time",
        "ticks",
        "violations",
    )

    def __init__(
        self, env: Environment, user=None, clock: str | None = None, image: bytes | None = None, invariants: str = "off"
    ):
        if invariants not in INVARIANT_MODES:
            raise ValueError(f"invariants must be one of {', '.join(INVARIANT_MODES)}, not {invariants!r}")
        self.env = env
        self.invariant_mode = invariants
        self.violations: list[dict] = []
        self.start_image = image if image is not None else env.initial_image
        self._outer = False  # in the outer transaction over the starting database
        self._shared = False  # `db` handed out: never in an outer transaction again
        seeded = self.start_image is env.initial_image
        self._db = env.seeded_connection() if seeded else open_database(functions=env.sql_functions)
        try:
            if not seeded:
                env.load_image(self._db, self.start_image)
            self.me = self._known_user(user)
            self.start_clock = clock or env.clock
            self.start_time = dt.datetime.strptime(self.start_clock, CLOCK_FORMAT)  # parsed once, read by now()
        except Exception:
            if seeded:
                env.pool_connection(self._db)  # untouched
            else:
                self._db.close()
            self._db = _CLOSED
            raise
        self.ticks = 0
        self._begin()

    def _known_user(self, user):
        """The key of the acting user as stored (so "3" becomes 3 for integer keys); a user
        missing from the starting database is a SessionError naming the keys that exist."""
        entity = self.env.user_entity
        if entity is None:
            return DEFAULT_USER if user is None else user
        if user is None:  # not asked for: user 1, as before, even in a spec without one
            try:
                return self._known_user(DEFAULT_USER)
            except SessionError:
                return DEFAULT_USER
        if isinstance(user, bool) or not isinstance(user, (int, str)):
            raise SessionError(
                f"the user must be the key of a {entity} (an integer or text), not {type(user).__name__}"
            )
        if self.start_image is self.env.initial_image:
            return self.env.seeded_user(user)
        return stored_user_key(self._db, self.env, user)

    @property
    def db(self) -> sqlite3.Connection:
        """The session's connection itself, for tests and tools that need more than query().
        Handing it out commits the outer transaction, so the connection behaves as a plain one
        (a PRAGMA takes effect, each call commits); it is never pooled."""
        self._leave_outer("COMMIT")
        self._shared = True
        return self._db

    def _begin(self) -> None:
        if not self._shared:
            self._db.execute("BEGIN")
            self._outer = True

    def _leave_outer(self, how: str) -> None:
        if self._outer and self._db.in_transaction:
            self._db.execute(how)
        self._outer = False

    # ---- state ------------------------------------------------------------------------
    @property
    def now(self) -> str:
        return (self.start_time + dt.timedelta(seconds=self.ticks)).strftime(CLOCK_FORMAT)

    def reset(self) -> None:
        """Back to the state the session started from and the start of the clock."""
        db = self._db
        if self._outer and db.in_transaction:
            db.execute("ROLLBACK")  # costs what the session wrote, not the size of the database
        else:  # the database is no longer the starting one underneath (restored, or committed)
            self._outer = False
            if self.start_image is self.env.initial_image:
                self.env.copy_seeded(db)
            else:  # an image checked when the session opened
                db.deserialize(self.start_image)
        self._begin()
        self.ticks = 0

    def snapshot(self) -> tuple[bytes, int]:
        return self._db.serialize(), self.ticks

    def restore(self, snap: tuple[bytes, int]) -> None:
        image, ticks = snap
        self._leave_outer("ROLLBACK")
        self._db.deserialize(image)  # until the next reset, calls commit into it
        self.ticks = ticks

    def save(self, path: str | Path) -> None:
        """Write the current database to a file (for `awmc call --db` and verifiers)."""
        source = sqlite3.connect(":memory:")  # a backup cannot read a connection inside a write transaction
        source.deserialize(self._db.serialize())
        target = sqlite3.connect(str(path))
        source.backup(target)
        target.close()
        source.close()

    def close(self) -> None:
        db, self._db = self._db, _CLOSED
        if self._outer and db.in_transaction and self.start_image is self.env.initial_image:
            db.execute("ROLLBACK")
            self.env.pool_connection(db)
        else:
            db.close()
        self._outer = False

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Read-only access for tests and verifiers. A statement other than a SELECT (a PRAGMA,
        a COMMIT) runs on the connection handed out, as `db` does."""
        db = self._db if READ_SQL.match(sql) else self.db
        return db.execute(sql, params).fetchall()

    # ---- calls --------------------------------------------------------------------------
    def call(self, tool: str, arguments: dict | None = None) -> dict:
        """Run one tool call atomically. Never raises: failures come back as error results."""
        entry = self.env.handlers.get(tool) if isinstance(tool, str) else None
        if entry is None:
            return error_result("unknown_tool", f"no tool named `{shown(tool)}`", suggest_tool(tool, self.env.handlers))
        handler, writes, validator = entry
        args, problems = validator.validate(arguments)
        if problems:
            return error_result(
                "invalid_arguments",
                f"{counted(len(problems), 'invalid argument')} for `{tool}`",
                {"problems": problems},
            )
        self.ticks += 1
        db = self._db
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
            fail = failure_of(exc)  # e.g. a division by zero inside a query
            if fail is not None:
                return error_result(fail.code, fail.message, fail.details)
            where = self.env.describe_line(exc.__traceback__)
            log.error("internal error in tool %s (%s): %r", tool, where, exc)
            return error_result(
                "internal_error",
                f"internal error in `{tool}`" + (f" at {where}" if where else ""),
                {"error": type(exc).__name__, "at": where},
            )
        if writes and self.invariant_mode != "off":
            broken = self.check_invariants(after=tool)
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
        if not isinstance(task_id, str) or task_id not in self.env.tasks:
            raise self.env.unknown_task(task_id)
        return self.env.tasks[task_id]

    def run_solution(self, task_id: str) -> dict:
        """Run a task's gold solution in this session: {ok, answer, calls, error}."""
        _, solution, _ = self._task(task_id)
        calls: list[dict] = []
        if solution is None:
            return {"ok": False, "answer": None, "calls": calls, "error": f"task {task_id} has no solution"}

        def call(tool: str, arguments: dict, fails: str | None = None):
            """Run one call of the solution; with `fails`, it must fail with that code."""
            result = self.call(tool, arguments)
            calls.append({"tool": tool, "arguments": arguments, "result": result})
            if fails is not None:
                if result["ok"]:
                    raise _SolutionFailed(f"{tool} succeeded, but the solution says it fails with {fails}")
                if result["error"]["code"] != fails:
                    raise _SolutionFailed(
                        f"{tool} failed with {result['error']['code']}, not {fails}: {result['error']['message']}"
                    )
                return None
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
        `before` is the starting state (default: the one this session started from). A lone
        surrogate in the answer (half of a truncated emoji) is read as U+FFFD."""
        _, _, verifier = self._task(task_id)
        if answer is not None and not isinstance(answer, str):
            raise SessionError(f"the answer must be text, not {type(answer).__name__}")
        answer = valid_text(answer or "")
        image = before if before is not None else self.start_image
        pooled = image is self.env.initial_image
        before_db = self.env.seeded_connection() if pooled else open_database(functions=self.env.sql_functions)
        checks = []
        try:
            if pooled:
                before_db.execute("BEGIN")  # only read; rolled back before it goes back to the pool
            else:
                self.env.load_image(before_db, image, "the starting database")
            for source, weight, condition, observed in verifier(self, self._db, before_db, answer):
                checks.append(_run_check(source, weight, condition, observed))
        finally:
            if pooled and before_db.in_transaction:
                before_db.execute("ROLLBACK")
                self.env.pool_connection(before_db)
            else:
                before_db.close()
        total = sum(c["weight"] for c in checks)
        earned = sum(c["weight"] for c in checks if c["passed"])
        return {
            "task": task_id,
            "reward": round(earned / total, 6) if total else 0.0,
            "passed": bool(checks) and earned == total,
            "checks": checks,
        }

    def check_invariants(self, after: str | None = None) -> list[dict]:
        """Every invariant the current state breaks, with the keys of the violating rows; `after`
        a call of that tool (from a state that held them all), only those it may break."""
        out = []
        names = self.env.invariants if after is None else self.env.invariants_after[after]
        for name in names:
            description, entity, sql, _ = self.env.invariants[name]
            rows = [r[0] for r in self._db.execute(sql).fetchall()]
            if rows:
                out.append(
                    {
                        "invariant": name,
                        "description": description,
                        "entity": entity,
                        "rows": rows[:MAX_REPORTED_ROWS] if entity else [],
                        "count": len(rows) if entity else 1,
                    }
                )
        return out

    def _rollback(self, writes: bool) -> None:
        if writes:
            self._db.execute("ROLLBACK TO call")
            self._db.execute("RELEASE call")


def stored_user_key(db: sqlite3.Connection, env: Environment, user):
    """The key of `user` as `db` stores it, or a SessionError naming the keys that exist."""
    entity = env.user_entity
    assert entity is not None  # asked only of environments with a user entity
    table, key, _ = env.entity_keys[entity]
    # a lone surrogate or an integer beyond 64 bits cannot be bound, and matches no key
    bindable = not LONE_SURROGATE.search(user) if isinstance(user, str) else -(2**63) <= user < 2**63
    row = db.execute(f'SELECT "{key}" FROM "{table}" WHERE "{key}" = ?', (user,)).fetchone() if bindable else None
    if row is not None:
        return row[0]
    low, high, count = db.execute(f'SELECT min("{key}"), max("{key}"), count(*) FROM "{table}"').fetchone()
    if count == 0:
        valid = f"the starting database has no {entity} rows"
    elif isinstance(low, int) and isinstance(high, int):
        valid = f"{entity} keys run from {low} to {high}" + ("" if high - low + 1 == count else f" ({count} of them)")
    else:
        sample = [k for (k,) in db.execute(f'SELECT "{key}" FROM "{table}" ORDER BY 1 LIMIT 5')]
        valid = f"{entity} keys include {', '.join(map(repr, sample))}" + (" ..." if count > 5 else "")
    raise SessionError(f"no {entity} with key {user!r} to act as: {valid}")


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
        fail = failure_of(exc)
        passed, seen = (
            False,
            (
                {"error": fail.code, "message": fail.message}
                if fail
                else {"error": "internal_error", "message": f"{type(exc).__name__}: {exc}"}
            ),
        )
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
