"""Drawing a tool call's arguments, mostly from what the spec and the sequence so far suggest.

A random argument mostly fails a tool's first guard. So for each parameter the drawer first
collects suggestions, and draws one of them two times in three. Every choice of one call comes
from a `random.Random` seeded by one number hypothesis drew for that call (explorer.py):
- one time in three, the parameters named as fields of one record copy it: the record an
  earlier writing call returned, or a stored row of a table the tool writes (values taken
  together from one row make collisions: the same doctor, day and hour);
- entity keys: a row an earlier call of this sequence returned (the order just placed), one
  of the acting user's own rows, any row, or now and then a key that does not exist;
- other values: the bounds of `@range` and `@length`, the literals the tool's guards compare
  the parameter with and their neighbours, values of the same name that earlier calls
  returned, the stored values of the columns the tool compares the parameter with or writes
  it to (`hints.py`) or of columns of the same name, and for dates the session's today and
  now and their next day or hour; a text a guard wants of some length (`len(number) == 16`) is
  one time in three that many digits.
Otherwise the value is random for its type, and for a number one time in four an edge value
(0, 1, -1, a large negative or positive one) within its bounds.
"""

from __future__ import annotations

import ast
import datetime as dt
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from ..session import Environment, Session
from .hints import ToolHints, tool_hints

WORDS = ["alpha", "Bravo", "charlie", "x", "", "A long name with spaces", "ünïcödé", "O'Brien", "50%", "a_b"]
# characters of random text: letters, digits, space, quotes and SQL/LIKE specials, accents,
# a control character, a right-to-left letter and an emoji
CHARACTERS = "abcXYZ019 _-'\"%;\\éß\u00a0\x07\u05d0😀"
SUGGESTIBLE = ("int", "decimal", "float", "text", "date", "datetime")  # kinds suggestions are found for
# numbers a guard or a check most often mishandles, drawn one time in four when within bounds:
# a guard dropped from a tool (`require amount > 0`) shows only when one of them comes
EDGES: dict[str, list[float]] = {
    "int": [0, -1, 1, -1000, 1_000_000],
    "decimal": [0.0, -0.01, 0.01, -1000.0, 1_000_000.0],
    "float": [0.0, -0.01, 0.01, -1000.0, 1_000_000.0],
}
MISSING_KEY_SHARE = 10  # one entity key in this many does not exist
STORED_ROWS = 50  # stored rows of a table a call's arguments may copy
REMEMBERED = 20  # values kept per name (and keys per entity) in a sequence's memory
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


@dataclass
class SequenceMemory:
    """What the calls of one sequence returned, and the results of the queries read since its
    last write (the state is the same until a write: keys, stored values)."""

    keys: dict[str, list] = field(default_factory=dict)  # entity -> keys of rows returned
    named: dict[str, list] = field(default_factory=dict)  # field name -> values returned
    written: list[dict] = field(default_factory=list)  # records writing calls returned, most recent last
    read: dict[tuple, list] = field(default_factory=dict)  # what was read since the last write

    def remember(self, facts: SpecFacts, value, written: bool = False) -> None:
        """Keep the rows, keys and named values of a call's result (and the record a writing
        call returned: the row just created or changed)."""
        if isinstance(value, dict) and written:
            _keep(self.written, value)
        if isinstance(value, list):
            for item in value[:REMEMBERED]:
                self.remember(facts, item)
        elif isinstance(value, dict):
            for entity, key in facts.row_keys(value):
                _keep(self.keys.setdefault(entity, []), key)
            for name, item in value.items():
                if isinstance(item, (dict, list)):
                    self.remember(facts, item)
                elif item is not None:
                    _keep(self.named.setdefault(name, []), item)

    def query(self, session: Session, sql: str, parameters: tuple = ()) -> list:
        """The rows of a query, read once until the next write."""
        return self.read_once(("query", sql, parameters), lambda: session.query(sql, parameters))

    def read_once(self, key: tuple, read: Callable[[], list]) -> list:
        """What `read` returns (it reads the state), called once for `key` until the next write."""
        if key not in self.read:
            self.read[key] = read()
        return self.read[key]

    def forget_reads(self) -> None:
        """A write happened: what was read must be read again."""
        self.read.clear()


def _keep(values: list, value) -> None:
    if value in values:
        values.remove(value)
    values.append(value)
    del values[:-REMEMBERED]


class SpecFacts:
    """What the drawer knows of an environment, found once: each tool's hints, each table's
    columns, key and foreign keys."""

    def __init__(self, env: Environment):
        self.env = env
        text = (env.build_dir / "handlers.py").read_text()
        self.handlers_lines = text.splitlines()
        self.handlers_tree = ast.parse(text)  # read by hints.py here and guards.py for the coverage
        self.hints: dict[str, ToolHints] = tool_hints(self.handlers_tree, vars(env.module))
        self.entity_of_table = {table: entity for entity, (table, _, _) in env.entity_keys.items()}
        tables = list(env.tables)  # (reads the seeded database itself: not inside seeded_db below)
        with env.seeded_db() as db:
            self.columns = {t: [r[1] for r in db.execute(f'PRAGMA table_info("{t}")')] for t in tables}
            self.foreign_keys = {t: {r[3]: r[2] for r in db.execute(f'PRAGMA foreign_key_list("{t}")')} for t in tables}
        self.table_of_shape = {frozenset(columns): table for table, columns in self.columns.items()}

    def row_keys(self, row: dict):
        """(entity, key) for a row of a result (one with exactly a table's columns) and for
        each row it points at."""
        table = self.table_of_shape.get(frozenset(row))
        if table is None or table not in self.entity_of_table:
            return
        entity = self.entity_of_table[table]
        key_column = self.env.entity_keys[entity][1]
        yield entity, row[key_column]
        for column, target in self.foreign_keys[table].items():
            if row.get(column) is not None and target in self.entity_of_table:
                yield self.entity_of_table[target], row[column]

    def stored_values(self, session: Session, memory: SequenceMemory, table: str, column: str) -> list:
        sql = f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL ORDER BY 1 LIMIT 50'
        return [r[0] for r in memory.query(session, sql)]

    def same_name_columns(self, name: str) -> list[tuple[str, str]]:
        """Columns called `name` (or `name` without a trailing `_id`) in any table: realistic
        values (a passport number, a city, a year) that random text seldom hits."""
        names = {name, name.removesuffix("_id")}
        return [(t, c) for t, columns in self.columns.items() for c in columns if c in names]


class ArgumentDrawer:
    """Draws the arguments of one call of a sequence."""

    def __init__(self, facts: SpecFacts, rng: random.Random, session: Session, memory: SequenceMemory):
        self.facts, self.rng, self.session, self.memory = facts, rng, session, memory

    def arguments(self, tool: str, params: list[dict]) -> dict:
        """One time in three the parameters named as fields of one record (`template`) take its
        values (`reschedule(day, hour)` onto the slot just booked); the others, and every
        parameter otherwise, are drawn one by one."""
        hints = self.facts.hints.get(tool, ToolHints())
        template = self.template(tool) if self.rng.randrange(3) == 0 else {}
        args = {}
        for p in params:
            copied = _field_value(template, p)
            if copied is not None:
                args[p["name"]] = copied
            elif p["required"] or self.rng.randrange(4) > 0:  # else leave an optional parameter out
                args[p["name"]] = self.value(p["type"], p, p["name"], hints)
        return args

    def template(self, tool: str) -> dict:
        """A record whose fields some parameters copy: half the time one an earlier writing call
        returned (the row just created), else a stored row of a table the tool writes. Values
        taken together from one row are what make collisions (a second booking of the same
        doctor, day and hour), which values drawn one by one seldom do."""
        if self.memory.written and self.rng.random() < 0.5:
            return self.rng.choice(self.memory.written)
        rows = [
            row
            for table in self.facts.env.handlers[tool][1]
            for row in self.memory.read_once(("rows", table), partial(self.stored_rows, table))
        ]
        return self.rng.choice(rows or self.memory.written or [{}])

    def stored_rows(self, table: str) -> list[dict]:
        """The first STORED_ROWS rows of `table`, as records."""
        columns = self.facts.columns[table]
        sql = f'SELECT * FROM "{table}" ORDER BY rowid LIMIT {STORED_ROWS}'
        return [dict(zip(columns, row)) for row in self.session.query(sql)]

    def value(self, spec: dict, bounds: dict, name: str | None = None, hints: ToolHints | None = None):
        if spec.get("optional") and self.rng.randrange(10) == 0:
            return None
        kind = spec["kind"]
        if kind == "entity":
            hints = hints or ToolHints()
            owned = "mine" if name in hints.mine else "not_mine" if name in hints.not_mine else None
            return self.entity_key(spec, owned, hints.row_tests.get(name or ""))
        wanted_lengths = [n for n in (hints or ToolHints()).lengths.get(name or "", []) if 0 <= n <= 1000]
        if kind == "text" and wanted_lengths and self.rng.randrange(3) == 0:
            return "4" * self.rng.choice(wanted_lengths)  # digits: a card number is 16 of them
        if name is not None and kind in SUGGESTIBLE and self.rng.randrange(3) > 0:
            suggested = self.suggestions(kind, bounds, name, hints or ToolHints())
            if suggested:
                return self.rng.choice(suggested)
        # an item or a field is drawn by its name too (a passenger's `birth_date` from stored ones)
        if kind == "list":
            return [self.value(spec["items"], {}, name, hints) for _ in range(self.rng.randint(0, 3))]
        if kind == "record":
            return {n: self.value(f, {}, n, hints) for n, f in spec["fields"].items()}
        if kind == "union":
            variant = self.rng.choice(sorted(spec["variants"]))
            return {"kind": variant, **{n: self.value(f, {}, n, hints) for n, f in spec["variants"][variant].items()}}
        return random_value(self.rng, spec, self.session, bounds)

    def entity_key(self, spec: dict, owned: str | None = None, tests: list | None = None):
        """A key returned earlier in the sequence; else mostly a row that passes the tool's
        guards on its fields (`tests`) and is the acting user's (or, when a guard wants
        `owned` "not_mine", someone else's); else any row; or (one time in
        MISSING_KEY_SHARE) a key that does not exist."""
        entity = spec["entity"]
        source = self.rng.randrange(MISSING_KEY_SHARE)
        returned = self.memory.keys.get(entity, [])
        if source < (2 if owned or tests else 4) and returned:
            if owned:  # of those, the ones owned as the guard wants, if any
                own = set(existing_keys(self.session, entity, mine=True, memory=self.memory))
                returned = [k for k in returned if (k in own) == (owned == "mine")] or returned
            return self.rng.choice(returned)
        keys = existing_keys(self.session, entity, memory=self.memory)
        if source < 7:
            passing = existing_keys(self.session, entity, tests=tests, memory=self.memory) if tests else keys
            mine = existing_keys(self.session, entity, mine=True, tests=tests, memory=self.memory)
            wanted = [k for k in passing if k not in mine] if owned == "not_mine" else mine
            # a guard wants the user's own row: another of theirs (failing a later guard) comes next
            any_of_mine = existing_keys(self.session, entity, mine=True, memory=self.memory) if owned == "mine" else []
            keys = wanted or (mine if owned is None else []) or any_of_mine or passing or keys
        if keys and source != MISSING_KEY_SHARE - 1:
            return self.rng.choice(keys)
        known = [k for k in existing_keys(self.session, entity, memory=self.memory) if isinstance(k, int)]
        return (max(known, default=0) + 1000) if spec["key"] == "int" else "missing"

    def suggestions(self, kind: str, bounds: dict, name: str, hints: ToolHints) -> list:
        """Values worth trying for a parameter, of its kind, in a fixed order (so a seed
        replays)."""
        values: list = [*hints.literals.get(name, []), *self.memory.named.get(name, [])]
        limits = lo, hi, lo_len, hi_len = _bounds(bounds)
        values += [v for v in (lo, hi) if v is not None]
        if kind == "text":
            values += ["x" * n for n in (lo_len, hi_len) if n is not None and n <= 1000]
        if kind in ("date", "datetime"):  # guards compare dates with today() and now()
            values += clock_neighbours(self.session.start_clock, kind)
        fitting = _fitting(kind, values, limits)
        for table, column in [*hints.columns.get(name, []), *self.facts.same_name_columns(name)]:
            fitting += self.memory.read_once(
                ("fitting", table, column, kind, limits), partial(self.stored_fitting, table, column, kind, limits)
            )
        return list(dict.fromkeys(fitting))

    def stored_fitting(self, table: str, column: str, kind: str, limits: tuple) -> list:
        """The values a column stores that fit as arguments of `kind` within `limits`."""
        stored = self.facts.stored_values(self.session, self.memory, table, column)
        if kind == "decimal":  # stored as integer cents
            stored = [v / 100 for v in stored if isinstance(v, int)]
        return _fitting(kind, stored, limits)


def _fitting(kind: str, values: list, limits: tuple) -> list:
    """The values that can be arguments of `kind` within `limits`, as such."""
    fitting = []
    for value in values:
        value = _as_kind(kind, value)
        if value is not None and _within(value, *limits):
            fitting.append(value)
    return fitting


def clock_neighbours(clock: str, kind: str) -> list[str]:
    """The session's today and tomorrow (a date), or its now, an hour and a day later (a datetime)."""
    start = dt.datetime.strptime(clock, "%Y-%m-%d %H:%M:%S")
    if kind == "date":
        return [(start + dt.timedelta(days=d)).date().isoformat() for d in (0, 1)]
    return [
        (start + step).strftime("%Y-%m-%d %H:%M:%S")
        for step in (dt.timedelta(0), dt.timedelta(hours=1), dt.timedelta(days=1))
    ]


def _field_value(record: dict, param: dict):
    """The value of `record`'s field named as the parameter (`doctor` or `doctor_id` for an
    entity), if it has one that fits the parameter's type."""
    kind, name = param["type"]["kind"], param["name"]
    if kind == "entity":
        value = record.get(name + "_id", record.get(name))
        return value if isinstance(value, (int, str)) and not isinstance(value, bool) else None
    if kind in SUGGESTIBLE:
        value = _as_kind(kind, record.get(name))
        return value if value is not None and _within(value, *_bounds(param)) else None
    if kind == "enum":
        return record.get(name) if record.get(name) in param["type"]["members"] else None
    return None


def _bounds(param: dict) -> tuple:
    lo, hi = (None if b is None else float(b) for b in param.get("range") or [None, None])
    lo_len, hi_len = param.get("length") or [None, None]
    return lo, hi, lo_len, hi_len


def _as_kind(kind: str, value):
    """`value` as an argument of `kind`, or None when it cannot be one."""
    if isinstance(value, bool):
        return None
    if kind == "int":
        return value if isinstance(value, int) else None
    if kind in ("decimal", "float"):
        return float(value) if isinstance(value, (int, float, Decimal)) else None
    if kind == "text":
        return value if isinstance(value, str) else (str(value) if isinstance(value, int) else None)
    pattern = DATE if kind == "date" else DATETIME
    return value if isinstance(value, str) and pattern.match(value) else None


def _within(value, lo, hi, lo_len, hi_len) -> bool:
    if isinstance(value, str):
        return (lo_len is None or len(value) >= lo_len) and (hi_len is None or len(value) <= hi_len)
    return (lo is None or value >= lo) and (hi is None or value <= hi)


def existing_keys(
    session: Session, entity: str, mine: bool = False, tests: list | None = None, memory: SequenceMemory | None = None
) -> list:
    """Keys of existing rows; with `mine`, of the acting user's rows (most tools act on your own
    rows, which a uniform draw from all rows seldom hits); with `tests`, of
    the rows whose fields pass a tool's guards on them: (column, SQL operator, value). With
    `memory`, a query read since the last write is not read again."""
    table, column, user_column = session.env.entity_keys[entity]
    # whose a row is: its `@@owned_by` owner (a path such as `account.owner` too), else its relation to the user
    owner = session.env.owners[entity][2] if entity in session.env.owners else user_column and f'"{user_column}"'
    if mine and owner is None:
        return []
    where = [f'"{c}" {operator} ?' for c, operator, _ in tests or []]
    values = [v for _, _, v in tests or []]
    if mine:
        where.append(f"{owner} IS ?")
        values.append(session.me)
    sql = f'SELECT "{column}" FROM "{table}"' + (f" WHERE {' AND '.join(where)}" if where else "")
    sql += " ORDER BY 1 LIMIT 200"
    rows = memory.query(session, sql, tuple(values)) if memory else session.query(sql, tuple(values))
    return [r[0] for r in rows]


def random_value(rng: random.Random, spec: dict, session: Session, bounds: dict):
    """A value drawn from a parameter's type and bounds alone."""
    kind = spec["kind"]
    lo, hi = bounds.get("range") or [None, None]
    if kind in ("int", "decimal", "float") and rng.randrange(4) == 0:
        edges = [v for v in EDGES[kind] if (lo is None or v >= float(lo)) and (hi is None or v <= float(hi))]
        if edges:
            return rng.choice(edges)
    if kind == "int":
        return rng.randint(int(lo) if lo is not None else -3, int(hi) if hi is not None else 50)
    if kind in ("decimal", "float"):
        low = round(float(lo) if lo is not None else -5.0, 2)
        high = round(float(hi) if hi is not None else 500.0, 2)
        return min(max(round(rng.uniform(low, high), 2), low), high)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "text":
        lo_len, hi_len = bounds.get("length") or [None, None]
        if rng.random() < 0.5:
            text = rng.choice(WORDS)
        else:
            text = "".join(rng.choice(CHARACTERS) for _ in range(rng.randint(0, 12)))
        if lo_len is not None and len(text) < lo_len:
            text = text + "x" * (lo_len - len(text))
        return text[:hi_len] if hi_len is not None else text
    if kind == "enum":
        return rng.choice(spec["members"])
    if kind in ("date", "datetime"):
        # half near the session's clock (bookings, due dates), half anywhere (birth dates)
        start = dt.datetime.strptime(session.start_clock, "%Y-%m-%d %H:%M:%S")
        hours = rng.randint(-24 * 30, 24 * 400) if rng.random() < 0.5 else rng.randint(-24 * 365 * 85, 24 * 365 * 10)
        moment = start + dt.timedelta(hours=hours)
        return moment.date().isoformat() if kind == "date" else moment.strftime("%Y-%m-%d %H:%M:%S")
    return rng.choice([{}, [], 0, "x", None])
