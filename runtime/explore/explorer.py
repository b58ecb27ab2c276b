"""Property-based exploration of an environment (`awmc check`), and the task checks.

Hypothesis draws sequences of tool calls, each sequence acting as one of the first users:
arguments from each parameter's declared type and range, row keys mostly from rows that
exist and sometimes from ones that do not. After every call: every invariant must hold; no
call may end in internal_error or in a constraint_violation (a write the spec let through to
a database constraint instead of refusing it with a declared `fail`); and a successful call
may not change rows of an `@@owned_by` entity that belong to another user. A failure is
shrunk to a minimal sequence of calls.
"""

from __future__ import annotations

import datetime as dt
import json
import weakref
from dataclasses import dataclass, field
from decimal import Decimal

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from .session import Environment, Session

WORDS = ["alpha", "Bravo", "charlie", "x", "", "A long name with spaces", "ünïcödé", "O'Brien", "50%", "a_b"]
MISSING_KEY_SHARE = 0.1


@dataclass
class Finding:
    """A problem and the shortest call sequence found that shows it."""

    kind: str  # internal_error | constraint_violation | invariant_violation | ownership_violation
    message: str
    calls: list[dict] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    user: object = 1  # the acting user of the sequence

    def as_json(self, spec: str, seed: int) -> dict:
        return {
            "spec": spec,
            "seed": seed,
            "kind": self.kind,
            "message": self.message,
            "user": self.user,
            "details": self.details,
            "calls": [{"tool": c["tool"], "arguments": c["arguments"]} for c in self.calls],
        }


def others_rows(session: Session) -> dict[str, dict]:
    """Rows of `@@owned_by` entities that belong to someone other than the acting user."""
    out = {}
    for entity, (table, key, owner) in session.env.owners.items():
        rows = session.query(f'SELECT "{key}", * FROM "{table}" WHERE "{owner}" IS NOT ?', (session.me,))
        out[entity] = {r[0]: r[1:] for r in rows}
    return out


def problem_after(
    session: Session, tool: str, result: dict, before: dict | None = None
) -> tuple[str, str, dict] | None:
    """What is wrong after a call, if anything: (kind, message, details). `before` holds the
    other users' owned rows from before the call."""
    if before is not None and result["ok"]:
        after = others_rows(session)
        for entity, rows in before.items():
            changed = sorted(
                (set(rows) | set(after[entity])) - {k for k in rows if after[entity].get(k) == rows[k]}, key=repr
            )
            if changed:
                return (
                    "ownership_violation",
                    f"`{tool}` called by user {session.me!r} changed {entity} rows of other users: {changed[:10]}",
                    {"entity": entity, "rows": changed[:20], "user": session.me},
                )
    if not result["ok"]:
        code = result["error"]["code"]
        if code == "internal_error":
            return "internal_error", f"`{tool}` crashed: {result['error']['message']}", result["error"]["details"]
        if code == "constraint_violation":
            return (
                "constraint_violation",
                f"`{tool}` let a write reach a database constraint instead of "
                f"failing with a declared code: {result['error']['message']}",
                result["error"]["details"],
            )
    broken = session.check_invariants()
    if broken:
        names = ", ".join(f"{v['invariant']} ({v['entity'] or 'state'} {v['rows']})" for v in broken)
        return "invariant_violation", f"after `{tool}`, broken: {names}", {"violations": broken}
    return None


# ---- drawing arguments ---------------------------------------------------------------------


def _column_values(session: Session, name: str) -> list:
    """Values stored in columns called `name` (or `name` without a trailing `_id`) in any table:
    realistic arguments (a passport number, a city, a year) that random text seldom hits."""
    values: list = []
    for table, columns in _table_columns(session.env).items():
        for column in (name, name.removesuffix("_id")):
            if column in columns:
                values += [
                    r[0]
                    for r in session.query(
                        f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL ORDER BY 1 LIMIT 50'
                    )
                ]
    return values


_COLUMNS: weakref.WeakKeyDictionary[Environment, dict[str, set[str]]] = weakref.WeakKeyDictionary()


def _table_columns(env) -> dict[str, set[str]]:
    """table -> its column names, read once per environment (the schema never changes)."""
    if env not in _COLUMNS:
        with env.seeded_db() as db:
            tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
            _COLUMNS[env] = {t: {r[1] for r in db.execute(f'PRAGMA table_info("{t}")').fetchall()} for t in tables}
    return _COLUMNS[env]


def _keys(session: Session, entity: str, mine: bool = False) -> list:
    """Keys of existing rows; with `mine`, of the rows that point at the acting user (most tools
    act on your own rows, which a uniform draw from all rows seldom hits)."""
    table, column, user_column = session.env.entity_keys[entity]
    if mine and user_column is not None:
        sql = f'SELECT "{column}" FROM "{table}" WHERE "{user_column}" IS ? ORDER BY 1 LIMIT 200'
        return [r[0] for r in session.query(sql, (session.me,))]
    return [r[0] for r in session.query(f'SELECT "{column}" FROM "{table}" ORDER BY 1 LIMIT 200')]


def draw_value(data, spec: dict, session: Session, bounds: dict, name: str | None = None):
    if spec.get("optional") and data.draw(st.integers(0, 9)) == 0:
        return None
    kind = spec["kind"]
    lo, hi = bounds.get("range") or [None, None]
    if name and kind in ("int", "text", "date", "datetime", "float") and data.draw(st.integers(0, 2)) == 0:
        seen = [
            v for v in _column_values(session, name) if isinstance(v, (int, str, float)) and not isinstance(v, bool)
        ]
        if seen:
            value = data.draw(st.sampled_from(seen))
            if kind != "int" or isinstance(value, int):
                return str(value) if kind in ("text", "date", "datetime") else value
    if kind == "int":
        return data.draw(st.integers(int(lo) if lo is not None else -3, int(hi) if hi is not None else 50))
    if kind in ("decimal", "float"):
        low = float(lo) if lo is not None else -5.0
        high = float(hi) if hi is not None else 500.0
        value = data.draw(
            st.decimals(Decimal(str(low)), Decimal(str(high)), places=2, allow_nan=False, allow_infinity=False)
        )
        return float(value)
    if kind == "bool":
        return data.draw(st.booleans())
    if kind == "text":
        lo_len, hi_len = bounds.get("length") or [None, None]
        text = data.draw(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)))
        if lo_len is not None and len(text) < lo_len:
            text = text + "x" * (lo_len - len(text))
        return text[:hi_len] if hi_len is not None else text
    if kind == "enum":
        return data.draw(st.sampled_from(spec["members"]))
    if kind in ("date", "datetime"):
        # half near the session's clock (bookings, due dates), half anywhere (birth dates)
        start = dt.datetime.strptime(session.start_clock, "%Y-%m-%d %H:%M:%S")
        near = data.draw(st.booleans())
        hours = data.draw(st.integers(-24 * 30, 24 * 400) if near else st.integers(-24 * 365 * 85, 24 * 365 * 10))
        moment = start + dt.timedelta(hours=hours)
        return moment.date().isoformat() if kind == "date" else moment.strftime("%Y-%m-%d %H:%M:%S")
    if kind == "entity":
        keys = _keys(session, spec["entity"], mine=data.draw(st.booleans())) or _keys(session, spec["entity"])
        if keys and data.draw(st.floats(0, 1)) >= MISSING_KEY_SHARE:
            return data.draw(st.sampled_from(keys))
        return (max(keys, default=0) + 1000) if spec["key"] == "int" else "missing-key"
    if kind == "list":
        return [draw_value(data, spec["items"], session, {}) for _ in range(data.draw(st.integers(0, 3)))]
    if kind == "record":
        return {name: draw_value(data, f, session, {}) for name, f in spec["fields"].items()}
    if kind == "union":
        variant = data.draw(st.sampled_from(sorted(spec["variants"])))
        return {"kind": variant, **{n: draw_value(data, f, session, {}) for n, f in spec["variants"][variant].items()}}
    return data.draw(st.sampled_from([{}, [], 0, "x", None]))


def draw_arguments(data, params: list[dict], session: Session) -> dict:
    args = {}
    for p in params:
        if not p["required"] and data.draw(st.integers(0, 3)) == 0:
            continue  # leave an optional parameter out
        args[p["name"]] = draw_value(data, p["type"], session, p, p["name"])
    return args


# ---- exploration -----------------------------------------------------------------------------


def explore(env: Environment, seed: int = 0, max_examples: int = 100, steps: int = 20) -> Finding | None:
    """Search for a call sequence that breaks an invariant, crashes, or hits an undeclared
    constraint. Returns the minimal one found, or None (also when there are no tools to call)."""
    tools = env.tool_names
    if not tools:
        return None
    found: list[Finding] = []
    users = acting_users(env)

    @hypothesis_seed(seed)
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
    )
    @given(data=st.data())
    def run(data):
        session = env.session(user=data.draw(st.sampled_from(users)))
        calls: list[dict] = []
        try:
            for _ in range(data.draw(st.integers(1, steps))):
                tool = data.draw(st.sampled_from(tools))
                args = draw_arguments(data, env.handlers[tool][2].params, session)
                before = others_rows(session) if env.owners else None
                result = session.call(tool, args)
                calls.append({"tool": tool, "arguments": args, "result": result})
                problem = problem_after(session, tool, result, before)
                if problem is not None:
                    found.append(Finding(problem[0], problem[1], calls, problem[2], session.me))
                    raise AssertionError(problem[1])
        finally:
            session.close()

    try:
        run()
    except AssertionError:
        return minimize(env, found[-1])  # hypothesis replays its shrunk example last
    return None


def acting_users(env: Environment) -> list:
    """The users a sequence may act as: the first few rows of the env's user entity (None, the
    unchecked default, when no user is seeded)."""
    if env.user_entity is None:
        return [None]
    session = env.session()
    keys = _keys(session, env.user_entity)[:4] or [None]
    session.close()
    return keys


def minimize(env: Environment, finding: Finding) -> Finding:
    """Drop every call that the problem does not need (hypothesis shrinks the drawn data,
    which can leave harmless calls in the sequence)."""
    calls = [{"tool": c["tool"], "arguments": c["arguments"]} for c in finding.calls]
    changed = True
    while changed and len(calls) > 1:
        changed = False
        for i in range(len(calls)):
            candidate = calls[:i] + calls[i + 1 :]
            results, problem = replay(env, candidate, finding.user)
            if problem is not None and problem[0] == finding.kind and len(results) == len(candidate):
                calls, changed = candidate, True
                break
    results, problem = replay(env, calls, finding.user)
    if problem is None:  # did not happen again (it should: sessions are deterministic)
        return finding
    return Finding(
        problem[0], problem[1], [{**c, "result": r} for c, r in zip(calls, results)], problem[2], finding.user
    )


def replay(env: Environment, calls: list[dict], user=None) -> tuple[list[dict], tuple[str, str, dict] | None]:
    """Run a saved call sequence in a fresh session: the results, and the first problem."""
    session = env.session(user=user)
    results = []
    for c in calls:
        before = others_rows(session) if env.owners else None
        result = session.call(c["tool"], c["arguments"])
        results.append(result)
        problem = problem_after(session, c["tool"], result, before)
        if problem is not None:
            return results, problem
    return results, None


# ---- tasks --------------------------------------------------------------------------------------


def check_task(env: Environment, task: str) -> list[str]:
    """Problems with one task: a vacuous verifier, a failing gold solution, a verifier that the
    gold run does not pass, or invariants broken by the gold run."""
    problems = []
    untouched = env.session()
    if untouched.verify(task, answer="")["passed"]:
        problems.append("the verifier passes on the untouched initial state (vacuous)")
    _, solution, _ = env.tasks[task]
    if solution is None:
        problems.append("no gold solution: nothing shows that the task can be done")
        return problems
    session = env.session()
    run = session.run_solution(task)
    if not run["ok"]:
        problems.append(f"the gold solution fails: {run['error']}")
        return problems
    report = session.verify(task, answer=run["answer"])
    if not report["passed"]:
        failed = [c["expect"] for c in report["checks"] if not c["passed"]]
        problems.append(f"the gold solution does not pass its verifier: {json.dumps(failed)}")
    broken = session.check_invariants()
    if broken:
        problems.append(f"the gold solution breaks invariants: {', '.join(v['invariant'] for v in broken)}")
    return problems
