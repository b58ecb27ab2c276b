"""`awmc import awm`: turn the AWM pipeline's JSONL files into `.awm` specs, one per scenario.

The pipeline (Snowflake/AgentWorldModel-1K) writes per scenario: gen_db (table DDL and
indexes), gen_sample (INSERT statements), gen_spec (REST endpoints) and gen_tasks (task
instructions). The importer

1. reads every JSONL line, groups records by scenario (a record's kind follows from its keys)
   and reports malformed lines and unknown fields with file and line;
2. rebuilds the scenario's database the way the pipeline does, in memory with sqlite3: the
   DDL, the indexes, then each INSERT in order, skipping (and reporting) those that fail.
   `'now'`, CURRENT_TIMESTAMP and friends are pinned to the env's fixed clock first, so the
   import is deterministic. A second in-memory database holds the verbatim DDL only: the
   catalog that says exactly what SQLite made of it (columns, declared types, keys, indexes);
3. maps tables to entities (sqlglot parses the DDL for CHECK constraints, defaults and
   AUTOINCREMENT), the rebuilt rows to seeds, endpoints to tools (a real body where the
   meaning follows from method, path and tables, otherwise `fail not_implemented`) and
   tasks to `task` blocks whose placeholder `expect` never holds;
4. writes the spec, compiles it, and compares the compiled seed database with the rebuilt
   one, table by table, so the report says whether the data carried over exactly.

docs/import.md describes what carries over and what is approximated.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sqlite3
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import TokenType

from awmlang.compiler.build import build_spec
from awmlang.compiler.diagnostics import to_json
from awmlang.console import EXIT_OK, EXIT_SPEC, UsageError
from awmlang.text import counted

CLOCK = "2025-01-01 09:00:00"
NEEDS_VERIFIER = 'expect "this task needs a verifier" == ""'
DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# names the language keeps for itself (values, and names the generated code uses)
RESERVED = {"me", "true", "false", "null", "not", "insert", "upsert", "id_", "rt", "args"}
DATE_FUNCTIONS = {"date", "time", "datetime", "julianday", "unixepoch", "strftime", "timediff"}
MAX_SQL_STEPS = 20_000  # progress-handler calls (x 1000 VM steps) before a statement is stopped

KNOWN_FIELDS = {
    "db": {"scenario", "db_schema", "db_path"},
    "db_schema": {"tables"},
    "db_table": {"name", "ddl", "indexes"},
    "sample": {"scenario", "sample_data", "tables_count", "inserts_count"},
    "sample_data": {"tables"},
    "sample_table": {"table_name", "reasoning", "insert_statements"},
    "spec": {"scenario", "api_spec"},
    "api_spec": {"api_groups"},
    "api_group": {"group_name", "endpoints"},
    "endpoint": {
        "path",
        "method",
        "summary",
        "description",
        "operation_id",
        "tags",
        "request_params",
        "response",
        "required_tables",
        "required_fields",
    },
    "param": {"type", "param_type", "required", "description", "example"},
    "tasks": {"scenario", "tasks"},
    "info": {"name", "description"},
}


# ---- problems and sources -------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    file: str
    line: int

    def short(self) -> str:
        return f"{Path(self.file).name}:{self.line}"

    def human(self) -> str:
        """`file:line`, or the file alone for a problem with the whole file (line 0)."""
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass
class Problem:
    level: str  # "error" (bad input; exit 1) or "warning" (approximated or skipped)
    message: str
    where: Where | None = None

    def as_json(self) -> dict:
        return {
            "level": self.level,
            "message": self.message,
            "file": self.where.file if self.where else None,
            "line": self.where.line if self.where else None,
        }

    def human(self) -> str:
        return f"{self.where.human()}: {self.level}: {self.message}" if self.where else f"{self.level}: {self.message}"


class Problems(list):
    def error(self, message: str, where: Where | None = None) -> None:
        self.append(Problem("error", message, where))

    def warn(self, message: str, where: Where | None = None) -> None:
        self.append(Problem("warning", message, where))


# ---- reading the JSONL files ----------------------------------------------------------------


@dataclass
class Record:
    kind: str  # db | sample | spec | tasks | info
    data: dict
    where: Where


@dataclass
class Scenario:
    name: str
    records: dict[str, Record] = field(default_factory=dict)
    problems: Problems = field(default_factory=Problems)


def record_kind(data: dict) -> str | None:
    for key, kind in (("db_schema", "db"), ("sample_data", "sample"), ("api_spec", "spec"), ("tasks", "tasks")):
        if key in data:
            return kind
    if "name" in data and "description" in data:
        return "info"
    return None


IGNORED_KINDS = {"full_code": "gen_envs (generated server code)", "verification": "gen_verifier (verifier code)"}


TOOL_LIST_FILE = re.compile(r"tools\.(.+)\.json")  # MCP tool names per scenario, beside the JSONL files


def find_input_files(paths: list[str]) -> tuple[list[Path], Problems]:
    """The JSONL files named or found (sorted) in folders, and a warning for each JSON file
    that is not read: a folder's `*.json`, or a `tools.<scenario>.json` named directly."""
    files: list[Path] = []
    problems = Problems()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(sorted(x for x in p.rglob("*.jsonl") if x.is_file()))
            for unread in sorted(x for x in p.rglob("*.json") if x.is_file()):
                problems.warn(f"not imported: {unread_reason(unread)}; file skipped", Where(str(unread), 0))
        elif p.is_file() and TOOL_LIST_FILE.fullmatch(p.name):
            problems.warn(f"not imported: {unread_reason(p)}; file skipped", Where(str(p), 0))
        elif p.is_file():
            files.append(p)
        else:
            raise UsageError(f"no such file or directory: {raw}")
    if not files:
        raise UsageError(f"no .jsonl files found in {', '.join(paths)}")
    return list(dict.fromkeys(files)), problems


def unread_reason(path: Path) -> str:
    tools = TOOL_LIST_FILE.fullmatch(path.name)
    if tools:
        return (
            f"it lists the MCP tool names of scenario `{tools.group(1)}`; the importer takes each tool, "
            "with its parameters, from the scenario's api_spec (gen_spec.jsonl)"
        )
    return "only JSONL files (*.jsonl, one record per line) are read"


def read_inputs(files: list[Path]) -> tuple[dict[str, Scenario], Problems]:
    """Scenarios by name, and the problems that belong to no scenario (unreadable lines)."""
    scenarios: dict[str, Scenario] = {}
    problems = Problems()
    for path in files:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            problems.error(f"cannot read the file: {exc}", Where(str(path), 0))
            continue
        for number, line in enumerate(text.split("\n"), 1):  # JSON strings may hold U+2028 and friends
            if line.strip():
                read_line(line, Where(str(path), number), scenarios, problems)
    return scenarios, problems


def read_line(line: str, where: Where, scenarios: dict[str, Scenario], problems: Problems) -> None:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        problems.error(f"not valid JSON ({exc.msg} at column {exc.colno}); line skipped", where)
        return
    if not isinstance(data, dict):
        problems.error(f"a line must hold a JSON object, not {type(data).__name__}; line skipped", where)
        return
    kind = record_kind(data)
    if kind is None:
        ignored = next((what for key, what in IGNORED_KINDS.items() if key in data), None)
        if ignored:
            problems.warn(f"{ignored} is not imported; line skipped", where)
        else:
            problems.error(f"unrecognised record (keys: {', '.join(sorted(data)) or 'none'}); line skipped", where)
        return
    name = data.get("name" if kind == "info" else "scenario")
    if not isinstance(name, str) or not name.strip():
        problems.error(f"{kind} record without a scenario name; line skipped", where)
        return
    scenario = scenarios.setdefault(name, Scenario(name))
    if kind in scenario.records:
        first = scenario.records[kind].where
        scenario.problems.error(
            f"a second {kind} record for `{name}` (the first is at {first.file}:{first.line}); this one is ignored",
            where,
        )
        return
    scenario.records[kind] = Record(kind, data, where)
    unknown_fields(data, "info" if kind == "info" else kind, where, scenario.problems)


def unknown_fields(data, kind: str, where: Where, problems: Problems, context: str = "") -> None:
    if not isinstance(data, dict):
        return
    for key in sorted(set(data) - KNOWN_FIELDS[kind]):
        problems.warn(f"unknown field `{key}` in the {kind.replace('_', ' ')} record{context}; ignored", where)


def get_list(data: dict, key: str, where: Where, problems: Problems, what: str) -> list:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.error(f"`{key}` of {what} must be a list, not {type(value).__name__}; ignored", where)
        return []
    return value


# ---- SQL helpers ------------------------------------------------------------------------------

_TOKENIZER = None


def tokenize(sql: str):
    global _TOKENIZER
    if _TOKENIZER is None:
        _TOKENIZER = Dialect.get_or_raise("sqlite").tokenizer()
    return _TOKENIZER.tokenize(sql)


@contextmanager
def quiet_sqlglot():
    """sqlglot logs a warning when it falls back to an opaque Command; we report it ourselves."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def parse_sql(sql: str) -> tuple[exp.Expression | None, str | None]:
    """One statement parsed with sqlglot (SQLite dialect), or the reason it does not parse."""
    try:
        with quiet_sqlglot():
            tree = sqlglot.parse_one(sql, read="sqlite")
    except Exception as exc:  # noqa: BLE001 - sqlglot raises several error types
        return None, str(exc).splitlines()[0]
    if isinstance(tree, exp.Command):
        return None, "unsupported syntax (sqlglot keeps it as an opaque command)"
    return tree, None


def split_statements(sql: str) -> list[str]:
    """Statements in a text, split where SQLite would end them (triggers keep their inner `;`)."""
    out, buf = [], ""
    pieces = sql.split(";")
    for i, piece in enumerate(pieces):
        buf += piece + (";" if i < len(pieces) - 1 else "")
        if sqlite3.complete_statement(buf) or (i == len(pieces) - 1 and buf.strip()):
            statement = buf.strip().rstrip(";").strip()
            if statement and not _only_comments(statement):
                out.append(statement)
            buf = ""
    return out


def _only_comments(sql: str) -> bool:
    return not re.sub(r"--[^\n]*|/\*.*?\*/", "", sql, flags=re.DOTALL).strip()


def first_keyword(sql: str) -> str:
    m = re.match(r"\s*(?:(?:--[^\n]*\n)|(?:/\*.*?\*/)|\s)*([A-Za-z]+)", sql, re.DOTALL)
    return m.group(1).upper() if m else ""


def pin_now(sql: str, clock: str) -> str:
    """`sql` with every reading of the current time replaced by the fixed clock: `'now'` (and
    `datetime()` without arguments) inside SQLite's date functions, CURRENT_TIMESTAMP,
    CURRENT_DATE and CURRENT_TIME. The 'localtime' and 'utc' modifiers become no-ops (the clock is
    the only time zone). Everything else is kept byte for byte."""
    try:
        tokens = tokenize(sql)
    except Exception:  # noqa: BLE001 - SQLite will report what is wrong with the text
        return sql
    literal = {
        TokenType.CURRENT_TIMESTAMP: clock,
        TokenType.CURRENT_DATE: clock[:10],
        TokenType.CURRENT_TIME: clock[11:],
    }
    edits: list[tuple[int, int, str]] = []
    calls: list[str | None] = []
    for i, tok in enumerate(tokens):
        if tok.token_type == TokenType.L_PAREN:
            name = tokens[i - 1].text.lower() if i else None
            calls.append(name)
            if (
                name in DATE_FUNCTIONS - {"strftime", "timediff"}
                and i + 1 < len(tokens)
                and tokens[i + 1].token_type == TokenType.R_PAREN
            ):
                edits.append((tok.end + 1, tok.end + 1, f"'{clock}'"))
        elif tok.token_type == TokenType.R_PAREN:
            if calls:
                calls.pop()
        elif tok.token_type in literal:
            edits.append((tok.start, tok.end + 1, f"'{literal[tok.token_type]}'"))
        elif tok.token_type in (TokenType.STRING, TokenType.IDENTIFIER) and calls and calls[-1] in DATE_FUNCTIONS:
            word = tok.text.strip().lower()
            if word == "now":
                edits.append((tok.start, tok.end + 1, f"'{clock}'"))
            elif word in ("localtime", "utc"):
                edits.append((tok.start, tok.end + 1, "'+0 seconds'"))
    for start, end, text in sorted(edits, reverse=True):
        sql = sql[:start] + text + sql[end:]
    return sql


def new_connection() -> sqlite3.Connection:
    """An in-memory database that runs untrusted pipeline SQL: no ATTACH (no files), no
    runaway statements."""
    db = sqlite3.connect(":memory:", isolation_level=None)

    def authorizer(action, *_):
        return sqlite3.SQLITE_DENY if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH) else sqlite3.SQLITE_OK

    db.set_authorizer(authorizer)
    return db


def run_statement(db: sqlite3.Connection, sql: str) -> str | None:
    """Execute one statement; the SQLite error message if it fails."""
    steps = [0]

    def progress():
        steps[0] += 1
        return 1 if steps[0] > MAX_SQL_STEPS else 0

    db.set_progress_handler(progress, 1000)
    try:
        db.execute(sql)
        return None
    except sqlite3.Error as exc:
        return "the statement runs too long (stopped)" if steps[0] > MAX_SQL_STEPS else str(exc)
    except (ValueError, OverflowError) as exc:
        return str(exc)
    finally:
        db.set_progress_handler(None, 0)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---- rebuilding the pipeline's database ---------------------------------------------------------


@dataclass
class TableSource:
    name: str  # the table SQLite created
    tree: exp.Create | None  # the sqlglot parse, None if it does not parse
    where: Where


@dataclass
class Rebuilt:
    catalog: sqlite3.Connection  # verbatim DDL and indexes, no rows
    data: sqlite3.Connection  # clock-pinned DDL, indexes and the INSERTs that succeeded
    tables: list[TableSource]
    inserts: int = 0
    failed_inserts: int = 0


def rebuild(db_record: Record, sample_record: Record | None, problems: Problems, clock: str) -> Rebuilt:
    rebuilt = Rebuilt(new_connection(), new_connection(), [])
    schema = db_record.data.get("db_schema")
    where = db_record.where
    if not isinstance(schema, dict):
        problems.error("`db_schema` must be an object with `tables`", where)
        return rebuilt
    unknown_fields(schema, "db_schema", where, problems)
    for i, table in enumerate(get_list(schema, "tables", where, problems, "db_schema"), 1):
        if not isinstance(table, dict):
            problems.error(f"db_schema table #{i} is not an object; skipped", where)
            continue
        unknown_fields(table, "db_table", where, problems, f" (table #{i})")
        create_table(rebuilt, table, i, where, problems, clock)
    if sample_record is not None:
        run_inserts(rebuilt, sample_record, problems, clock)
    return rebuilt


def create_table(rebuilt: Rebuilt, table: dict, number: int, where: Where, problems: Problems, clock: str) -> None:
    label = table.get("name") if isinstance(table.get("name"), str) else f"#{number}"
    ddl = table.get("ddl")
    if not isinstance(ddl, str) or not ddl.strip():
        problems.error(f"table {label}: no `ddl` text; skipped", where)
        return
    indexes = table.get("indexes") or []
    if not isinstance(indexes, list):
        problems.error(f"table {label}: `indexes` must be a list; ignored", where)
        indexes = []
    statements = split_statements(ddl) + [s for x in indexes if isinstance(x, str) for s in split_statements(x)]
    if any(not isinstance(x, str) for x in indexes):
        problems.error(f"table {label}: an index that is not a string; ignored", where)
    for sql in statements:
        run_schema_statement(rebuilt, sql, label, where, problems, clock)


def run_schema_statement(rebuilt: Rebuilt, sql: str, label: str, where: Where, problems: Problems, clock: str) -> None:
    keyword = first_keyword(sql)
    if keyword != "CREATE":
        problems.warn(
            f"table {label}: `{keyword or sql[:20]}` statement in the schema is not imported: {short_sql(sql)}", where
        )
        return
    error = run_statement(rebuilt.catalog, sql)
    if error is not None:
        problems.error(f"table {label}: the DDL fails in SQLite ({error}); skipped: {short_sql(sql)}", where)
        return
    run_statement(rebuilt.data, pin_now(sql, clock))
    tree, reason = parse_sql(sql)
    kind = schema_object_kind(sql)
    if kind == "table":
        name = table_name_of(tree) if tree is not None else created_name(sql)
        rebuilt.tables.append(TableSource(name, tree, where))
        if name != label and not label.startswith("#"):
            problems.warn(f"table {label}: its DDL creates `{name}`; the DDL's name is used", where)
    elif kind in ("virtual table", "trigger", "view"):
        name = created_name(sql)
        problems.warn(f"table {label}: {kind} `{name}` is not imported (awm has no {kind}s)", where)
    elif kind == "index" and reason is not None:
        problems.warn(f"table {label}: index does not parse with sqlglot ({reason}); SQLite's catalog is used", where)


def schema_object_kind(sql: str) -> str:
    head = re.sub(r"\s+", " ", sql[:200].upper())
    for kind in ("VIRTUAL TABLE", "TRIGGER", "VIEW", "INDEX", "TABLE"):
        if re.match(rf"\s*CREATE (TEMP |TEMPORARY |UNIQUE )?{kind}\b", head):
            return kind.lower()
    return "other"


def table_name_of(tree: exp.Expression) -> str:
    target = tree.this
    table = target.this if isinstance(target, exp.Schema) else target
    return table.name


def created_name(sql: str) -> str:
    """The name a CREATE statement gives its object (for statements sqlglot does not parse)."""
    m = re.match(
        r"""\s*CREATE\s+(?:(?:TEMP|TEMPORARY|UNIQUE|VIRTUAL)\s+)*(?:TABLE|TRIGGER|VIEW|INDEX)\s+
                     (?:IF\s+NOT\s+EXISTS\s+)?(?:[\w"`\[\]]+\.)?("(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|\w+)""",
        sql,
        re.IGNORECASE | re.VERBOSE,
    )
    if m is None:
        return "?"
    name = m.group(1)
    return name[1:-1].replace('""', '"') if name[0] in '"`[' else name


def short_sql(sql: str, limit: int = 80) -> str:
    one = re.sub(r"\s+", " ", sql).strip()
    return one if len(one) <= limit else one[: limit - 3] + "..."


def run_inserts(rebuilt: Rebuilt, record: Record, problems: Problems, clock: str) -> None:
    where = record.where
    sample = record.data.get("sample_data")
    if not isinstance(sample, dict):
        problems.error("`sample_data` must be an object with `tables`", where)
        return
    unknown_fields(sample, "sample_data", where, problems)
    for i, table in enumerate(get_list(sample, "tables", where, problems, "sample_data"), 1):
        if not isinstance(table, dict):
            problems.error(f"sample_data table #{i} is not an object; skipped", where)
            continue
        label = table.get("table_name") if isinstance(table.get("table_name"), str) else f"#{i}"
        unknown_fields(table, "sample_table", where, problems, f" (table {label})")
        for j, statement in enumerate(get_list(table, "insert_statements", where, problems, f"table {label}"), 1):
            if not isinstance(statement, str):
                problems.error(f"sample table {label}, statement {j}: not a string; skipped", where)
                continue
            for sql in split_statements(statement):
                run_insert(rebuilt, sql, f"sample table {label}, statement {j}", where, problems, clock)


def run_insert(rebuilt: Rebuilt, sql: str, label: str, where: Where, problems: Problems, clock: str) -> None:
    keyword = first_keyword(sql)
    if keyword not in ("INSERT", "REPLACE", "UPDATE", "DELETE", "WITH"):
        problems.error(f"{label}: not an INSERT (`{keyword or '?'}`); skipped: {short_sql(sql)}", where)
        return
    rebuilt.inserts += 1
    tree, reason = parse_sql(sql)
    if tree is None:
        problems.warn(f"{label}: does not parse with sqlglot ({reason}); SQLite runs it as the pipeline did", where)
    error = run_statement(rebuilt.data, pin_now(sql, clock))
    if error is not None:
        rebuilt.failed_inserts += 1
        problems.error(
            f"{label}: fails in SQLite ({error}); skipped, as the pipeline skipped it: {short_sql(sql)}", where
        )


# ---- the schema as SQLite sees it --------------------------------------------------------------


@dataclass
class Column:
    name: str
    decl: str  # declared type, as written
    notnull: bool
    default: str | None  # the default's SQL text
    pk: int  # position in the primary key, 0 if not in it
    generated: bool


@dataclass
class ForeignKey:
    columns: list[str]
    parent: str
    parent_columns: list[str | None]
    on_delete: str
    on_update: str


@dataclass
class Index:
    name: str
    unique: bool
    origin: str  # c (CREATE INDEX), u (UNIQUE constraint), pk
    partial: bool
    columns: list[str | None]  # None: an expression
    ordered: bool  # DESC or a collation other than BINARY


@dataclass
class Table:
    name: str
    where: Where
    columns: list[Column]
    fks: list[ForeignKey]
    indexes: list[Index]
    checks: list[tuple[str | None, exp.Expression]]  # (column or None for table-level, condition)
    autoincrement: bool
    without_rowid: bool
    collations: dict[str, str]
    rows: list[tuple] = field(default_factory=list)  # as stored, in rowid order

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def pk(self) -> list[str]:
        return [c.name for c in sorted((c for c in self.columns if c.pk), key=lambda c: c.pk)]


def read_tables(rebuilt: Rebuilt, problems: Problems) -> list[Table]:
    tables = []
    for source in rebuilt.tables:
        if (
            rebuilt.catalog.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (source.name,)
            ).fetchone()
            is None
        ):
            problems.warn(
                f"table {source.name}: not a table of the main database (a TEMP table?); not imported", source.where
            )
            continue
        if source.tree is None:
            problems.warn(
                f"table {source.name}: the DDL does not parse with sqlglot; imported from SQLite's catalog, "
                "without CHECK constraints",
                source.where,
            )
        tables.append(read_table(rebuilt, source))
    return tables


def read_table(rebuilt: Rebuilt, source: TableSource) -> Table:
    db = rebuilt.catalog
    q = quote_ident(source.name)
    columns = [
        Column(r[1], r[2] or "", bool(r[3]), r[4], r[5], r[6] in (2, 3)) for r in db.execute(f"PRAGMA table_xinfo({q})")
    ]
    fks: dict[int, ForeignKey] = {}
    for r in db.execute(f"PRAGMA foreign_key_list({q})"):
        fk = fks.setdefault(r[0], ForeignKey([], r[2], [], r[6].upper(), r[5].upper()))
        fk.columns.append(r[3])
        fk.parent_columns.append(r[4])
    indexes = []
    for r in db.execute(f"PRAGMA index_list({q})"):
        info = list(db.execute(f"PRAGMA index_xinfo({quote_ident(r[1])})"))
        keys = [x for x in info if x[5]]
        indexes.append(
            Index(
                r[1],
                bool(r[2]),
                r[3],
                bool(r[4]),
                [x[2] for x in keys],
                any(x[3] or (x[4] or "BINARY").upper() != "BINARY" for x in keys),
            )
        )
    indexes.sort(key=lambda x: x.name)
    tree = source.tree
    sql = (
        db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (source.name,)).fetchone()[0]
        or ""
    )
    table = Table(
        source.name,
        source.where,
        columns,
        list(fks.values()),
        indexes,
        checks_of(tree) if tree is not None else [],
        autoincrement_of(tree, sql),
        bool(re.search(r"\)\s*WITHOUT\s+ROWID\s*$", sql, re.IGNORECASE)),
        collations_of(tree) if tree is not None else {},
    )
    table.rows = read_rows(rebuilt.data, table)
    return table


def checks_of(tree: exp.Create) -> list[tuple[str | None, exp.Expression]]:
    out: list[tuple[str | None, exp.Expression]] = []
    schema = tree.this
    for item in schema.expressions if isinstance(schema, exp.Schema) else []:
        if isinstance(item, exp.ColumnDef):
            for c in item.args.get("constraints") or []:
                if isinstance(c.args.get("kind"), exp.CheckColumnConstraint):
                    out.append((item.name, c.args["kind"].this))
        elif isinstance(item, exp.CheckColumnConstraint):
            out.append((None, item.this))
        elif isinstance(item, exp.Constraint):
            out.extend((None, x.this) for x in item.expressions if isinstance(x, exp.CheckColumnConstraint))
    return out


def autoincrement_of(tree: exp.Create | None, sql: str) -> bool:
    if tree is not None:
        return tree.find(exp.AutoIncrementColumnConstraint) is not None
    return bool(re.search(r"\bAUTOINCREMENT\b", sql, re.IGNORECASE))


def collations_of(tree: exp.Create) -> dict[str, str]:
    out = {}
    for coldef in tree.find_all(exp.ColumnDef):
        for c in coldef.args.get("constraints") or []:
            kind = c.args.get("kind")
            if isinstance(kind, exp.CollateColumnConstraint) and kind.this.name.upper() != "BINARY":
                out[coldef.name] = kind.this.name.upper()
    return out


def read_rows(db: sqlite3.Connection, table: Table) -> list[tuple]:
    """The table's rows as stored, stored columns only, in rowid (insertion) order."""
    columns = [c for c in table.columns if not c.generated]
    select = f"SELECT {', '.join(quote_ident(c.name) for c in columns)} FROM {quote_ident(table.name)}"
    order = "rowid" if not table.without_rowid else ", ".join(quote_ident(c) for c in table.pk) or "1"
    try:
        return list(db.execute(f"{select} ORDER BY {order}"))
    except sqlite3.Error:
        return []


# ---- naming -------------------------------------------------------------------------------------


def words(name: str) -> list[str]:
    return [w for w in re.split(r"[^A-Za-z0-9]+", name) if w]


def singular(word: str) -> str:
    lower = word.lower()
    if len(word) <= 3 or lower.endswith(("ss", "us", "is", "news")):
        return word
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh"), ("uses", "us")):
        if lower.endswith(suffix):
            return word[: -len(suffix)] + repl
    return word[:-1] if lower.endswith("s") else word


def pascal(parts: list[str]) -> str:
    name = "".join(p[:1].upper() + p[1:] for p in parts) or "Table"
    return name if not name[0].isdigit() else "T" + name


def entity_names(tables: list[str]) -> dict[str, str]:
    """Table -> entity name: the PascalCase singular (`order_items` -> `OrderItem`), unique."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for table in tables:
        parts = words(table)
        candidates = [pascal(parts[:-1] + [singular(parts[-1])]) if parts else "Table", pascal(parts)]
        name = next((c for c in candidates if c not in taken), None) or unique_name(candidates[0], taken)
        taken.add(name)
        out[table] = name
    return out


def unique_name(base: str, taken: set[str]) -> str:
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def valid_name(name: str) -> bool:
    return bool(NAME_RE.fullmatch(name)) and name not in RESERVED


def field_name(column: str, taken: set[str]) -> str:
    base = column if valid_name(column) else "_".join(words(column)).lower() or "column"
    if base[0].isdigit() or base in RESERVED:
        base = f"c_{base}" if base[0].isdigit() else f"{base}_"
    return base if base not in taken else unique_name(base + "_", taken)


# ---- SQL -> awm text --------------------------------------------------------------------------


def awm_text(value: str, braces: str = "literal") -> str:
    """A double-quoted awm string. braces: "literal" (descriptions, task instructions),
    "escape" (seed values: `\\{`) or "double" (messages inside expressions: `{{`)."""
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    if braces == "escape":
        out = out.replace("{", "\\{").replace("}", "\\}")
    elif braces == "double":
        out = out.replace("{", "{{").replace("}", "}}")
    return f'"{out}"'


def awm_number(value: float) -> str | None:
    """An awm number literal (no exponents; `9.99`), or None for inf/nan."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return str(value)
    if value != value or value in (float("inf"), float("-inf")):
        return None
    text = format(Decimal(repr(value)), "f")
    if "." not in text:
        text += ".0"
    return text


def affinity(decl: str) -> str:
    """SQLite's column affinity for a declared type (https://sqlite.org/datatype3.html, 3.1)."""
    d = decl.upper()
    if "INT" in d:
        return "INTEGER"
    if any(s in d for s in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in d or not d.strip():
        return "BLOB"
    if any(s in d for s in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


AWM_AFFINITY = {"int": "INTEGER", "float": "REAL", "text": "TEXT", "datetime": "TEXT", "date": "TEXT"}


def parse_expression(sql: str) -> exp.Expression | None:
    try:
        with quiet_sqlglot():
            return sqlglot.parse_one(sql, read="sqlite")
    except Exception:  # noqa: BLE001
        return None


def unwrap(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def sql_constant(node: exp.Expression):
    """The value of a constant SQL expression (number, string, TRUE/FALSE, NULL), or raise."""
    node = unwrap(node)
    if isinstance(node, exp.Neg):
        value = sql_constant(node.this)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
        raise ValueError("not a number")
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        text = node.this
        try:
            return int(text) if re.fullmatch(r"[0-9]+", text) else float(text)
        except ValueError:
            raise ValueError(f"unknown number {text}") from None
    if isinstance(node, exp.Boolean):
        return int(node.this)
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Column) and node.this.args.get("quoted") and not node.table:
        return node.name  # SQLite reads a "double-quoted" default as a string
    raise ValueError("not a constant")


def stored_as(value, aff: str):
    """A constant converted the way a column of this affinity stores it."""
    if value is None or aff == "BLOB":
        return value
    if aff == "TEXT":
        return value if isinstance(value, str) else sqlite_text(value)
    if isinstance(value, str) and aff in ("INTEGER", "REAL", "NUMERIC"):
        try:
            value = int(value) if re.fullmatch(r"\s*[-+]?[0-9]+\s*", value) else float(value)
        except ValueError:
            return value
    if aff == "REAL" and isinstance(value, int):
        return float(value)
    if aff in ("INTEGER", "NUMERIC") and isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


def sqlite_text(value) -> str:
    db = sqlite3.connect(":memory:")
    try:
        return db.execute("SELECT CAST(? AS TEXT)", (value,)).fetchone()[0]
    finally:
        db.close()


# ---- entities -------------------------------------------------------------------------------


@dataclass(eq=False)
class Field:
    name: str
    column: str | None  # None: a key added by the importer (no original column)
    type: str  # int | float | text | datetime | date | an entity name
    optional: bool
    is_id: bool = False
    relation: Entity | None = None
    on_delete: str = "restrict"
    default: str | None = None
    unique: bool = False
    index: bool = False
    checks: list[str] = field(default_factory=list)
    source: Column | None = None

    @property
    def scalar(self) -> str:
        """The stored type: a relation stores its parent's key."""
        return self.relation.key.scalar if self.relation is not None else self.type

    @property
    def key_column(self) -> str:
        return self.column or self.name

    def default_column(self) -> str:
        return f"{self.name}_id" if self.relation is not None else self.name

    def render(self) -> str:
        parts = [f"{self.name}: {self.type}{'?' if self.optional else ''}"]
        if self.default is not None:
            parts.append(f"= {self.default}")
        parts += ["@id"] * self.is_id + ["@unique"] * self.unique + ["@index"] * self.index
        parts += [f"@check({c})" for c in self.checks]
        if self.on_delete in ("cascade", "set_null"):
            parts.append(f"@{self.on_delete}")
        if self.column is not None and self.column != self.default_column():
            parts.append(f"@column({awm_text(self.column)})")
        return " ".join(parts)


@dataclass(eq=False)
class Entity:
    name: str
    table: Table
    fields: list[Field]
    key: Field
    uniques: list[tuple[Field, ...]] = field(default_factory=list)  # @@unique (fields, named when rendered)
    indexes: list[tuple[Field, ...]] = field(default_factory=list)  # @@index
    notes: list[str] = field(default_factory=list)
    owner: Field | None = None  # a required relation to the env's user entity

    def by_column(self, column: str) -> Field | None:
        return next((f for f in self.fields if f.column == column), None)


@dataclass
class Model:
    scenario: str
    entities: list[Entity]
    user: Entity | None = None
    problems: Problems = field(default_factory=Problems)
    seed_order: list[Entity] = field(default_factory=list)  # parents before children

    def entity_of_table(self, table: str) -> Entity | None:
        return next((e for e in self.entities if e.table.name == table), None)


def build_model(scenario: str, tables: list[Table], problems: Problems) -> Model:
    names = entity_names([t.name for t in tables])
    model = Model(scenario, [], None, problems)
    for table in tables:
        model.entities.append(plan_entity(names[table.name], table, problems))
    user = model.entity_of_table("users") or model.entity_of_table("user")
    model.user = user if user is not None and user.key.type == "int" else None
    for entity in model.entities:
        link_relations(model, entity, problems)
    model.seed_order = seed_order(model, problems)
    for entity in model.entities:
        plan_constraints(entity, problems)
        order_rows_by_parent(entity, problems)
    return model


def note(entity: Entity, problems: Problems, message: str) -> None:
    """An approximation: a comment above the entity and a warning in the report."""
    entity.notes.append(message)
    problems.warn(f"table {entity.table.name}: {message}", entity.table.where)


def plan_entity(name: str, table: Table, problems: Problems) -> Entity:
    taken: set[str] = set()
    fields = []
    stored = [c for c in table.columns if not c.generated]
    for i, col in enumerate(stored):
        values = [row[i] for row in table.rows]
        fname = field_name(col.name, taken)
        taken.add(fname)
        ftype = scalar_type(col, values)
        fields.append(
            Field(fname, col.name, ftype, optional=not col.notnull and not (col.pk and len(table.pk) == 1), source=col)
        )
    entity = Entity(name, table, fields, fields[0] if fields else None)  # the key is chosen below
    for col in table.columns:
        if col.generated:
            note(entity, problems, f"generated column `{col.name}` is not imported (awm has no computed columns)")
    choose_key(entity, problems)
    for f in entity.fields:
        if f.source is not None:
            f.default = awm_default(entity, f, problems)
    if table.autoincrement:
        note(
            entity,
            problems,
            "AUTOINCREMENT is dropped: awm assigns max(id)+1, which can reuse the id of a deleted last row",
        )
    for col, coll in sorted(table.collations.items()):
        note(
            entity,
            problems,
            f"column `{col}` COLLATE {coll} is dropped: comparisons use the default (binary) collation",
        )
    return entity


def scalar_type(col: Column, values: list) -> str:
    d = col.decl.upper()
    aff = affinity(col.decl)
    kinds = {type(v) for v in values if v is not None}
    if aff == "INTEGER":
        return "int"
    if aff == "REAL":
        return "float"
    temporal = ("DATE" in d or "TIME" in d) and aff in ("TEXT", "NUMERIC")
    if temporal and not (kinds and kinds <= {int}):
        return temporal_type(col, values)
    if aff == "TEXT":
        return "text"
    if aff == "NUMERIC":
        return "int" if "BOOL" in d or (kinds and kinds <= {int} and temporal) else "float"
    if kinds and kinds <= {int}:
        return "int"
    return "float" if kinds and kinds <= {int, float} else "text"


def temporal_type(col: Column, values: list) -> str:
    d = col.decl.upper()
    want = "datetime" if ("DATETIME" in d or "TIMESTAMP" in d) else "date" if "DATE" in d and "TIME" not in d else None
    if want is None:
        return "text"
    pattern = DATETIME_RE if want == "datetime" else DATE_RE
    samples = [v for v in values if v is not None]
    default = parse_expression(col.default) if col.default else None
    if default is not None:
        default = unwrap(default)
        if isinstance(default, exp.Literal) and default.is_string:
            samples.append(default.this)
        elif (
            isinstance(default, exp.CurrentTimestamp)
            and want == "date"
            or not (
                isinstance(default, (exp.CurrentTimestamp, exp.CurrentDate, exp.Literal, exp.Null))
                or is_now_call(default, want)
            )
        ):
            return "text"
    return want if all(isinstance(v, str) and pattern.fullmatch(v) and valid_time(v, want) for v in samples) else "text"


def valid_time(value: str, kind: str) -> bool:
    try:
        dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S" if kind == "datetime" else "%Y-%m-%d")
        return True
    except ValueError:
        return False


def choose_key(entity: Entity, problems: Problems) -> None:
    """Every entity needs one `int` or `text` @id. A single-column primary key of that type is
    kept. Otherwise a NOT NULL UNIQUE column serves, or a key column is added (its values are
    the original rowids)."""
    table = entity.table
    pk = table.pk
    if len(pk) == 1:
        f = entity.by_column(pk[0])
        if f is not None and f.type in ("int", "text"):
            f.is_id, f.optional = True, False
            entity.key = f
            return
    unique_single = [
        ix.columns[0]
        for ix in table.indexes
        if ix.unique and len(ix.columns) == 1 and not ix.partial and ix.columns[0] is not None
    ]
    if not pk:
        for column in unique_single:
            f = entity.by_column(column)
            if f is not None and f.type in ("int", "text") and not f.optional:
                f.is_id = True
                entity.key = f
                note(entity, problems, f"no primary key: the unique NOT NULL column `{column}` serves as the key")
                return
    name = unique_name("id", {f.name for f in entity.fields}) if any(f.name == "id" for f in entity.fields) else "id"
    key = Field(name, None, "int", optional=False, is_id=True)
    entity.fields.insert(0, key)
    entity.key = key
    why = (
        f"composite primary key ({', '.join(pk)}) is kept as @@unique"
        if len(pk) > 1
        else f"primary key `{pk[0]}` of type {entity.by_column(pk[0]).type} cannot be an awm @id"
        if pk
        else "no primary key"
    )
    note(
        entity,
        problems,
        f"{why}; an extra key column `{name}` (the original rowid) is added, so the table has one "
        "column more than the original",
    )
    if len(pk) > 1:
        entity.uniques.append(tuple(entity.by_column(c) for c in pk))
    elif pk:
        entity.by_column(pk[0]).unique = True


def awm_default(entity: Entity, f: Field, problems: Problems) -> str | None:
    col = f.source
    if col.default is None or f.is_id and f.type == "int":
        return None
    node = parse_expression(col.default)
    if node is None:
        note(entity, problems, f"column `{col.name}`: DEFAULT {col.default} does not parse; dropped")
        return None
    node = unwrap(node)
    if isinstance(node, exp.CurrentTimestamp) or is_now_call(node, "datetime"):
        if f.type in ("datetime", "text"):
            return "now()"
    elif isinstance(node, exp.CurrentDate) or is_now_call(node, "date"):
        if f.type in ("date", "datetime", "text"):
            return "today()"
    else:
        try:
            value = sql_constant(node)
        except ValueError:
            value = ...
        if value is None:
            return None
        if value is not ...:
            literal = constant_literal(stored_as(value, AWM_AFFINITY[f.scalar]), f.scalar)
            if literal is not None:
                return literal
    note(
        entity,
        problems,
        f"column `{col.name}`: DEFAULT {col.default} cannot be written in awm; dropped (inserts must give a value)",
    )
    return None


def is_now_call(node: exp.Expression, name: str) -> bool:
    """`datetime('now')` / `date('now')` (sqlglot parses them as functions of one argument)."""
    if node.key.lower() == name or (isinstance(node, exp.Anonymous) and str(node.this).lower() == name):
        args = [a for a in node.args.values() if isinstance(a, exp.Expression)] + list(node.expressions)
        return len(args) == 1 and isinstance(args[0], exp.Literal) and args[0].this.lower() == "now"
    return False


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


def link_relations(model: Model, entity: Entity, problems: Problems) -> None:
    """Foreign keys become relation fields where awm can keep them exactly."""
    table = entity.table
    broken = dangling_foreign_keys(table, model)
    for fk in table.fks:
        reason = relation_problem(model, entity, fk, broken)
        if reason is not None:
            note(
                entity,
                problems,
                f"foreign key ({', '.join(fk.columns)}) -> {fk.parent} is kept as a plain column: {reason}",
            )
            continue
        f = entity.by_column(fk.columns[0])
        parent = model.entity_of_table(fk.parent)
        f.relation, f.type = parent, parent.name
        f.name = relation_field_name(entity, f)
        f.on_delete = relation_on_delete(entity, f, fk, problems)
        if fk.on_update not in ("NO ACTION", "RESTRICT"):
            note(entity, problems, f"ON UPDATE {fk.on_update} of `{f.column}` is dropped (awm keys do not change)")
    if model.user is not None:
        owners = [f for f in entity.fields if f.relation is model.user and not f.optional]
        entity.owner = owners[0] if len(owners) == 1 and entity is not model.user else None


def relation_problem(model: Model, entity: Entity, fk: ForeignKey, broken: set[tuple[str, ...]]) -> str | None:
    if len(fk.columns) != 1:
        return "composite foreign keys are not relations in awm"
    parent = model.entity_of_table(fk.parent)
    if parent is None:
        return f"table {fk.parent} is not imported"
    f = entity.by_column(fk.columns[0])
    if f is None:
        return f"column {fk.columns[0]} is not imported"
    if f.is_id:
        return "the column is also the primary key (an awm @id cannot be a relation); the parent is not checked"
    target = fk.parent_columns[0] or (parent.table.pk[0] if len(parent.table.pk) == 1 else None)
    if parent.key.column is None or target != parent.key.column:
        return f"it refers to `{target}`, not to the key of {fk.parent}"
    if f.type != parent.key.type:
        return f"the column is {f.type} but the key of {fk.parent} is {parent.key.type}"
    if tuple(fk.columns) in broken:
        return "the sample data has rows that refer to missing parents (the pipeline does not enforce foreign keys)"
    return None


def dangling_foreign_keys(table: Table, model: Model) -> set[tuple[str, ...]]:
    """Foreign keys that the sample rows break, found by comparing values the way SQLite does."""
    out = set()
    for fk in table.fks:
        parent = model.entity_of_table(fk.parent)
        if parent is None or len(fk.columns) != 1:
            continue
        i = [c.name for c in table.columns if not c.generated].index(fk.columns[0])
        target = fk.parent_columns[0] or (parent.table.pk[0] if parent.table.pk else None)
        if target is None or parent.table.column(target) is None:
            continue
        j = [c.name for c in parent.table.columns if not c.generated].index(target)
        keys = {row[j] for row in parent.table.rows}
        if any(row[i] is not None and row[i] not in keys for row in table.rows):
            out.add(tuple(fk.columns))
    return out


def relation_field_name(entity: Entity, f: Field) -> str:
    column = f.column
    base = column[:-3] if column.endswith("_id") and len(column) > 3 else column
    base = field_name(base, set())
    taken = {x.name for x in entity.fields if x is not f} | {x.column for x in entity.fields if x is not f and x.column}
    taken |= {f"{x.name}_id" for x in entity.fields if x is not f and x.relation is not None}
    return base if base not in taken else unique_name(base + "_ref", taken)


def relation_on_delete(entity: Entity, f: Field, fk: ForeignKey, problems: Problems) -> str:
    if fk.on_delete == "CASCADE":
        return "cascade"
    if fk.on_delete == "SET NULL":
        if f.optional:
            return "set_null"
        note(entity, problems, f"ON DELETE SET NULL on the NOT NULL column `{f.column}` is kept as restrict")
    elif fk.on_delete == "SET DEFAULT":
        note(entity, problems, f"ON DELETE SET DEFAULT of `{f.column}` is approximated as restrict")
    return "restrict"


def plan_constraints(entity: Entity, problems: Problems) -> None:
    plan_indexes(entity, problems)
    for column, cond in entity.table.checks:
        plan_check(entity, column, cond, problems)


def plan_indexes(entity: Entity, problems: Problems) -> None:
    seen: set[tuple[bool, tuple[Field, ...]]] = set()
    key = (entity.key.column,)
    for ix in entity.table.indexes:
        if ix.origin == "pk":
            continue
        name = ix.name if ix.origin == "c" else f"UNIQUE({', '.join(map(str, ix.columns))})"
        what = f"{'unique ' if ix.unique else ''}index {name}"
        if ix.partial or None in ix.columns:
            kind = "partial" if ix.partial else "expression"
            note(entity, problems, f"{what} is dropped: {kind} indexes cannot be written in awm")
            continue
        fields = [entity.by_column(c) for c in ix.columns]
        if any(f is None for f in fields):
            continue
        if ix.ordered:
            note(entity, problems, f"{what}: the DESC order or collation of its columns is dropped")
        names = tuple(fields)
        if (ix.unique, names) in seen or tuple(ix.columns) == key or (not ix.unique and (True, names) in seen):
            continue
        seen.add((ix.unique, names))
        if len(fields) == 1:
            if ix.unique:
                fields[0].unique, fields[0].index = True, False
            elif not fields[0].unique:
                fields[0].index = True
        elif names not in entity.uniques:
            (entity.uniques if ix.unique else entity.indexes).append(names)


# ---- CHECK constraints -------------------------------------------------------------------------


class NotExpressible(Exception):
    pass


@dataclass
class Term:
    text: str
    kind: str  # num | text | datetime | date | bool | null
    nullable: bool = False
    field: Field | None = None


def plan_check(entity: Entity, column: str | None, cond: exp.Expression, problems: Problems) -> None:
    sql = cond.sql("sqlite")
    try:
        term = CheckTranslator(entity).translate(cond)
        if term.kind != "bool":
            raise NotExpressible("it is not a condition")
    except NotExpressible as exc:
        note(entity, problems, f"CHECK ({sql}) is not imported: {exc}")
        return
    target = entity.by_column(column) if column else None
    if target is None or target.relation is not None:
        target = next((f for f in CheckTranslator(entity).fields_in(cond) if f.relation is None), None)
    if target is None:
        note(entity, problems, f"CHECK ({sql}) is not imported: it reads no column")
        return
    target.checks.append(strip_parens(term.text))


def strip_parens(text: str) -> str:
    """`(a or b)` -> `a or b` when the outer parentheses enclose the whole text."""
    if not (text.startswith("(") and text.endswith(")")):
        return text
    depth, quoted, i = 0, False, 0
    while i < len(text):
        ch = text[i]
        if quoted and ch == "\\":
            i += 1
        elif ch == '"':
            quoted = not quoted
        elif not quoted and ch in "()":
            depth += 1 if ch == "(" else -1
            if depth == 0 and i < len(text) - 1:
                return text
        i += 1
    return text[1:-1]


class CheckTranslator:
    """SQL CHECK conditions -> awm expressions with the same meaning, NULL included: SQL `=`
    and `<>` on a nullable side are written `a >= b and a <= b` / `a < b or a > b`, because awm's
    `==` is null-safe and a CHECK that is NULL passes."""

    COMPARE = {exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<="}
    ARITH = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Mod: "%"}
    FUNCS = {exp.Length: "len", exp.Lower: "lower", exp.Upper: "upper", exp.Abs: "abs", exp.Trim: "trim"}

    def __init__(self, entity: Entity):
        self.entity = entity

    def fields_in(self, cond: exp.Expression) -> list[Field]:
        """The fields a condition reads, in the order they appear."""
        found = [self.entity.by_column(c.name) for c in cond.dfs() if isinstance(c, exp.Column)]
        return list(dict.fromkeys(f for f in found if f is not None))

    def translate(self, node: exp.Expression) -> Term:
        method = getattr(self, f"t_{type(node).__name__}", None)
        if method is None:
            raise NotExpressible(f"`{node.sql('sqlite')}` has no awm equivalent")
        return method(node)

    def t_Paren(self, node):
        inner = self.translate(node.this)
        return Term(f"({inner.text})", inner.kind, inner.nullable, inner.field)

    def t_Column(self, node):
        f = self.entity.by_column(node.name)
        if f is None or node.table:
            raise NotExpressible(f"`{node.sql('sqlite')}` is not a column of this table")
        if f.relation is not None:
            raise NotExpressible(f"`{node.name}` is a relation (compare it in a tool instead)")
        kind = {"int": "num", "float": "num"}.get(f.type, f.type)
        return Term(f.name, kind, f.optional, f)

    def t_Literal(self, node):
        if node.is_string:
            if "{" in node.this or "}" in node.this:
                raise NotExpressible("a string with braces is not a constant in awm")
            return Term(awm_text(node.this), "text")
        value = sql_constant(node)
        text = awm_number(value)
        if text is None:
            raise NotExpressible("the number cannot be written in awm")
        return Term(text, "num")

    def t_Neg(self, node):
        inner = self.translate(node.this)
        if inner.kind != "num":
            raise NotExpressible("`-` needs a number")
        return Term(f"-{inner.text}", "num", inner.nullable)

    def t_Null(self, node):
        return Term("null", "null", True)

    def t_And(self, node):
        return self.logical(node, "and")

    def t_Or(self, node):
        return self.logical(node, "or")

    def logical(self, node, op):
        a, b = self.translate(node.this), self.translate(node.expression)
        if a.kind != "bool" or b.kind != "bool":
            raise NotExpressible(f"`{op}` needs conditions")
        return Term(f"{a.text} {op} {b.text}" if op == "and" else f"({a.text} or {b.text})", "bool")

    def t_Not(self, node):
        inner = node.this
        if isinstance(inner, exp.Is):
            return self.is_null(inner, negated=True)
        if isinstance(inner, exp.In):
            return self.in_list(inner, negated=True)
        term = self.translate(inner)
        if term.kind != "bool":
            raise NotExpressible("`not` needs a condition")
        return Term(f"not ({term.text})", "bool")

    def t_Is(self, node):
        return self.is_null(node, negated=False)

    def is_null(self, node, negated):
        if not isinstance(node.expression, exp.Null):
            raise NotExpressible("`IS` with a value")
        term = self.translate(node.this)
        return Term(f"{term.text} is {'not ' if negated else ''}null", "bool")

    def comparable(self, a: Term, b: Term) -> None:
        if a.kind == "null" or b.kind == "null":
            raise NotExpressible("a comparison with NULL is never true")
        if a.kind == b.kind:
            return
        for t, other in ((a, b), (b, a)):
            if t.kind in ("datetime", "date") and other.kind == "text" and other.field is None:
                value = json.loads(other.text) if other.text.startswith('"') else None
                pattern = DATETIME_RE if t.kind == "datetime" else DATE_RE
                if isinstance(value, str) and pattern.fullmatch(value):
                    return
        raise NotExpressible(f"it compares {a.kind} with {b.kind}")

    def t_EQ(self, node):
        a, b = self.translate(node.this), self.translate(node.expression)
        self.comparable(a, b)
        if a.nullable or b.nullable:
            return Term(f"({a.text} >= {b.text} and {a.text} <= {b.text})", "bool")
        return Term(f"{a.text} == {b.text}", "bool")

    def t_NEQ(self, node):
        a, b = self.translate(node.this), self.translate(node.expression)
        self.comparable(a, b)
        if a.nullable or b.nullable:
            return Term(f"({a.text} < {b.text} or {a.text} > {b.text})", "bool")
        return Term(f"{a.text} != {b.text}", "bool")

    def compare(self, node):
        a, b = self.translate(node.this), self.translate(node.expression)
        self.comparable(a, b)
        return Term(f"{a.text} {self.COMPARE[type(node)]} {b.text}", "bool")

    t_GT = t_GTE = t_LT = t_LTE = compare

    def t_Between(self, node):
        x, lo, hi = self.translate(node.this), self.translate(node.args["low"]), self.translate(node.args["high"])
        self.comparable(x, lo)
        self.comparable(x, hi)
        return Term(f"({x.text} >= {lo.text} and {x.text} <= {hi.text})", "bool")

    def t_In(self, node):
        return self.in_list(node, negated=False)

    def in_list(self, node, negated):
        if node.args.get("query") is not None or not node.expressions:
            raise NotExpressible("IN needs a list of values")
        x = self.translate(node.this)
        items = [self.translate(e) for e in node.expressions]
        for item in items:
            if item.field is not None:
                raise NotExpressible("IN lists of columns")
            self.comparable(x, item)
        return Term(f"{x.text} {'not in' if negated else 'in'} [{', '.join(i.text for i in items)}]", "bool")

    def arith(self, node):
        a, b = self.translate(node.this), self.translate(node.expression)
        if a.kind != "num" or b.kind != "num":
            raise NotExpressible("arithmetic needs numbers")
        if isinstance(node, exp.Mod) and "float" in (getattr(a.field, "type", None), getattr(b.field, "type", None)):
            raise NotExpressible("`%` of floats")
        return Term(f"({a.text} {self.ARITH[type(node)]} {b.text})", "num", a.nullable or b.nullable)

    t_Add = t_Sub = t_Mul = t_Mod = arith

    def function(self, node):
        arg = self.translate(node.this)
        name = self.FUNCS[type(node)]
        if name == "len" and arg.kind not in ("text", "datetime", "date"):
            raise NotExpressible("length() of a number")
        if name in ("lower", "upper", "trim") and arg.kind != "text":
            raise NotExpressible(f"{name}() of a {arg.kind}")
        if name == "abs" and arg.kind != "num":
            raise NotExpressible("abs() of text")
        if isinstance(node, exp.Trim) and (node.args.get("expression") or node.args.get("position")):
            raise NotExpressible("trim() with characters")
        return Term(f"{name}({arg.text})", "num" if name in ("len", "abs") else "text", arg.nullable)

    t_Length = t_Lower = t_Upper = t_Abs = t_Trim = function


# ---- seeds ---------------------------------------------------------------------------------------


def seed_order(model: Model, problems: Problems) -> list[Entity]:
    """Parents seed before their children (awm checks foreign keys row by row); the
    declarations keep the tables' order. A cycle between tables is broken by keeping one of
    its foreign keys as a plain column."""
    remaining = list(model.entities)
    ordered: list[Entity] = []
    while remaining:
        ready = [e for e in remaining if all(f.relation is e or f.relation not in remaining for f in e.fields)]
        if not ready:
            entity = remaining[0]
            for f in entity.fields:
                if f.relation is not None and f.relation is not entity and f.relation in remaining:
                    note(
                        entity,
                        problems,
                        f"foreign key `{f.column}` -> {f.relation.table.name} is kept as a plain column: "
                        "the tables refer to each other, so no seed order satisfies both",
                    )
                    unlink(f)
            continue
        ordered.append(ready[0])
        remaining.remove(ready[0])
    return ordered


def unlink(f: Field) -> None:
    f.type = f.relation.key.type
    f.relation = None
    f.on_delete = "restrict"
    f.name = field_name(f.column, set())


def order_rows_by_parent(entity: Entity, problems: Problems) -> None:
    """A table that refers to itself: parents first, when the key is the rowid (so `ORDER BY
    rowid` is unchanged)."""
    selfref = [f for f in entity.fields if f.relation is entity]
    if not selfref or not entity.table.rows:
        return
    columns = [c.name for c in entity.table.columns if not c.generated]
    key_i = columns.index(entity.key.column)
    ref_i = [columns.index(f.column) for f in selfref]
    placed: set = set()
    pending = list(entity.table.rows)
    ordered = []
    while pending:
        ready = [r for r in pending if all(r[i] is None or r[i] in placed or r[i] == r[key_i] for i in ref_i)]
        if not ready:
            break
        placed.update(r[key_i] for r in ready)
        ordered += ready
        pending = [r for r in pending if r[key_i] not in placed]
    if ordered + pending == entity.table.rows:
        return
    if entity.table.column(entity.key.column).decl.upper() != "INTEGER":  # not the rowid: the order shows
        note(entity, problems, "rows refer to later rows of the same table; their seed order differs from the original")
    entity.table.rows[:] = ordered + pending


def seed_value(value, f: Field, coerced: dict[str, int]) -> str:
    """A stored value as an awm seed literal of the field's type; a value that does not fit is
    converted (and counted in `coerced`, reported per column)."""
    kind = f.scalar
    if value is None:
        return "null"
    if isinstance(value, bytes):
        coerced["blob"] = coerced.get("blob", 0) + 1
        value = value.hex()
    if kind in ("text", "datetime", "date"):
        if not isinstance(value, str):
            coerced["number"] = coerced.get("number", 0) + 1
            value = sqlite_text(value)
        if "\0" in value:
            coerced["nul"] = coerced.get("nul", 0) + 1
            value = value.replace("\0", "")
        return awm_text(value, braces="escape")
    if isinstance(value, str):
        coerced["text"] = coerced.get("text", 0) + 1
        value = stored_as(value, "NUMERIC")
        if isinstance(value, str):
            return "0" if kind == "int" else "0.0"
    if kind == "int":
        if isinstance(value, float):
            coerced["real"] = coerced.get("real", 0) + 1
            if value != value or value in (float("inf"), float("-inf")):
                return "0"  # an infinite or NaN REAL in an INTEGER column has no integer value
            value = round(value)
        return str(value)
    if isinstance(value, int):
        coerced["integer"] = coerced.get("integer", 0) + 1
    text = awm_number(value)
    if text is None:
        coerced["infinite"] = coerced.get("infinite", 0) + 1
        return "0.0"
    return text


COERCION_TEXT = {
    "integer": "whole numbers the original stores as INTEGER (its column has NUMERIC affinity) are REAL here",
    "real": "fractional numbers in an integer column are rounded",
    "text": "text values in a numeric column are converted",
    "number": "numbers in a text column are stored as text",
    "blob": "BLOB values are stored as their hex digits, as text",
    "nul": "NUL characters are removed (SQL text cannot carry them)",
    "infinite": "infinite or NaN values are stored as 0.0",
}


# ---- tools ----------------------------------------------------------------------------------------

VERBS = {
    "get": {"get", "fetch", "read", "show", "retrieve", "view", "describe", "lookup", "find"},
    "list": {"list", "get", "fetch", "find", "search", "browse", "show", "retrieve", "view"},
    "create": {"create", "add", "new", "register", "post", "insert", "make", "open"},
    "update": {"update", "edit", "set", "modify", "change", "patch", "rename"},
    "delete": {"delete", "remove", "drop", "destroy"},
}
SPEC_TYPES = {
    "integer": "int",
    "int": "int",
    "number": "float",
    "float": "float",
    "double": "float",
    "decimal": "float",
    "string": "text",
    "str": "text",
    "boolean": "bool",
    "bool": "bool",
    "array": "json",
    "object": "json",
}


@dataclass
class Param:
    name: str  # the awm name (the spec's name when it is valid)
    spec_name: str
    type: str  # awm type from the spec's type
    location: str
    required: bool
    description: str
    example: Any = None
    has_example: bool = False


@dataclass
class Endpoint:
    name: str
    method: str
    path: str
    summary: str
    description: str
    group: str
    params: list[Param]
    tables: list[str]
    where: Where


def read_endpoints(record: Record, problems: Problems) -> list[Endpoint]:
    where = record.where
    api = record.data.get("api_spec")
    if not isinstance(api, dict):
        problems.error("`api_spec` must be an object with `api_groups`", where)
        return []
    unknown_fields(api, "api_spec", where, problems)
    out, names = [], set()
    for g, group in enumerate(get_list(api, "api_groups", where, problems, "api_spec"), 1):
        if not isinstance(group, dict):
            problems.error(f"api group #{g} is not an object; skipped", where)
            continue
        unknown_fields(group, "api_group", where, problems, f" (group #{g})")
        gname = str(group.get("group_name") or f"#{g}")
        for i, raw in enumerate(get_list(group, "endpoints", where, problems, f"group {gname}"), 1):
            endpoint = read_endpoint(raw, gname, i, where, problems, names)
            if endpoint is not None:
                out.append(endpoint)
    return out


def read_endpoint(raw, group: str, number: int, where: Where, problems: Problems, names: set[str]) -> Endpoint | None:
    label = f"group {group}, endpoint #{number}"
    if not isinstance(raw, dict):
        problems.error(f"{label} is not an object; skipped", where)
        return None
    op = raw.get("operation_id")
    if not isinstance(op, str) or not op.strip():
        problems.error(f"{label} has no `operation_id`; skipped", where)
        return None
    label = f"endpoint {op}"
    unknown_fields(raw, "endpoint", where, problems, f" ({label})")
    name = op if valid_name(op) else field_name(op, set())
    if name != op:
        problems.warn(f"{label}: `{op}` is not a valid awm name; the tool is named `{name}`", where)
    if name in names:
        problems.error(f"{label}: a second endpoint with this operation_id; skipped", where)
        return None
    names.add(name)
    path = str(raw.get("path") or "")
    params = read_params(raw.get("request_params"), path, label, where, problems)
    tables = [t for t in raw.get("required_tables") or [] if isinstance(t, str)]
    return Endpoint(
        name,
        str(raw.get("method") or "").upper(),
        path,
        text_of(raw.get("summary")),
        text_of(raw.get("description")),
        group,
        params,
        tables,
        where,
    )


def text_of(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def read_params(raw, path: str, label: str, where: Where, problems: Problems) -> list[Param]:
    if isinstance(raw, list):  # a variant: a list of {name, ...}
        raw = {p.get("name"): p for p in raw if isinstance(p, dict) and isinstance(p.get("name"), str)}
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        problems.error(f"{label}: `request_params` must be an object; ignored", where)
        raw = {}
    params = []
    taken = {name for name in raw if isinstance(name, str) and valid_name(name)}  # valid names keep theirs
    for spec_name, p in raw.items():
        if not isinstance(p, dict):
            problems.error(f"{label}: parameter `{spec_name}` is not an object; skipped", where)
            continue
        unknown_fields(p, "param", where, problems, f" ({label}, parameter {spec_name})")
        name = spec_name if valid_name(spec_name) else field_name(spec_name, taken)
        if name != spec_name:
            problems.warn(f"{label}: parameter `{spec_name}` is not a valid awm name; it is named `{name}`", where)
        taken.add(name)
        spec_type = str(p.get("type") or "string").lower()
        if spec_type not in SPEC_TYPES:
            problems.warn(
                f"{label}: parameter `{spec_name}` has the unknown type `{spec_type}`; it takes any JSON", where
            )
        params.append(
            Param(
                name,
                spec_name,
                SPEC_TYPES.get(spec_type, "json"),
                str(p.get("param_type") or "query"),
                bool(p.get("required")),
                text_of(p.get("description")),
                p.get("example"),
                "example" in p,
            )
        )
    for placeholder in re.findall(r"\{([^}]+)\}", path):
        if placeholder not in {p.spec_name for p in params} | {p.name for p in params} and valid_name(placeholder):
            problems.warn(f"{label}: path parameter `{placeholder}` is not in request_params; added as required", where)
            params.append(
                Param(placeholder, placeholder, "int" if placeholder.endswith("id") else "text", "path", True, "")
            )
    return params


@dataclass
class Binding:
    param: Param
    field: Field
    awm_type: str  # the parameter's awm type
    bool_to_int: bool = False  # a boolean parameter for an int column

    def value(self) -> str:
        return f"int(${self.param.name})" if self.bool_to_int else f"${self.param.name}"


@dataclass
class ToolPlan:
    op: str  # get | list | create | update | delete
    entity: Entity
    key: Param | None = None
    bindings: list[Binding] = field(default_factory=list)
    limit: Param | None = None
    offset: Param | None = None
    scoped: bool = False  # rows of the acting user only (`user == me`)


def derive_tool(endpoint: Endpoint, model: Model) -> tuple[ToolPlan | None, str]:
    """The CRUD meaning of an endpoint, or why it has none."""
    op = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}.get(endpoint.method)
    if op is None:
        return None, f"method {endpoint.method or '?'}"
    last = endpoint.path.rstrip("/").rsplit("/", 1)[-1]
    by_key = bool(re.fullmatch(r"\{[^}]+\}", last))
    if op == "get" and not by_key:
        op = "list"
    if op in ("update", "delete") and not by_key or op == "create" and by_key:
        return None, f"{endpoint.method} {endpoint.path} is not a plain {op}"
    verb = endpoint.name.split("_")
    if verb[0] not in VERBS[op] or len(verb) > 1 and verb[1] == "or":
        return None, f"its name does not say {op} ({endpoint.method} {endpoint.path})"
    if len(endpoint.tables) != 1:
        return (
            None,
            f"it reads several tables ({', '.join(endpoint.tables)})" if endpoint.tables else "it names no table",
        )
    entity = model.entity_of_table(endpoint.tables[0])
    if entity is None:
        return None, f"table {endpoint.tables[0]} is not imported"
    return plan_for(op, entity, endpoint, last[1:-1] if by_key else None)


def plan_for(op: str, entity: Entity, endpoint: Endpoint, key_name: str | None) -> tuple[ToolPlan | None, str]:
    """The plan of a CRUD endpoint on one entity: every parameter is its key, a column or
    limit/offset."""
    plan = ToolPlan(op, entity)
    for p in endpoint.params:
        if p.spec_name == key_name and op in ("get", "update", "delete"):
            if not refers_to_key(p, entity):
                return None, f"`{p.name}` is not the key of {entity.table.name}"
            plan.key = p
            continue
        if op == "list" and p.name in ("limit", "offset") and p.type == "int":
            setattr(plan, p.name, p)
            continue
        if op in ("get", "delete"):
            return None, f"`{p.name}` is more than the key"
        binding = bind(p, entity)
        if binding is None:
            return None, f"`{p.name}` is not a column of {entity.table.name}"
        plan.bindings.append(binding)
    owner = entity.owner
    gives_owner = owner is not None and any(b.field is owner for b in plan.bindings)
    parent_filter = any(b.field.relation is not None and b.param.required for b in plan.bindings)
    plan.scoped = owner is not None and not gives_owner and not (op == "list" and parent_filter)
    if op == "create":
        return check_create(plan)
    if op == "update" and not plan.bindings:
        return None, "it updates no column"
    return plan, ""


def refers_to_key(p: Param, entity: Entity) -> bool:
    key = entity.key
    if key.column is None or p.type != key.type:
        return False
    crud_name = f"{snake(entity.name)}_{key.name}"
    tail = p.name[: -len(key.name) - 1] if p.name.endswith(f"_{key.name}") else None
    return p.name in (crud_name, key.column) or (
        tail is not None and (snake(entity.name) == tail or snake(entity.name).endswith("_" + tail))
    )


def bind(p: Param, entity: Entity) -> Binding | None:
    f = entity.by_column(p.spec_name)
    if f is None or f.is_id and f.type == "int":
        return None
    if f.relation is not None:
        return Binding(p, f, f.type) if p.type == f.relation.key.type else None
    if p.type == f.type or (p.type, f.type) in (("int", "float"), ("text", "datetime"), ("text", "date")):
        return Binding(p, f, f.type)
    if p.type == "bool" and f.type == "int":
        return Binding(p, f, "bool", bool_to_int=True)
    return None


def check_create(plan: ToolPlan) -> tuple[ToolPlan | None, str]:
    given = {b.field.name for b in plan.bindings}
    for f in plan.entity.fields:
        needed = not f.optional and f.default is None and not (f.is_id and f.type == "int")
        if needed and f.name not in given and not (plan.scoped and f is plan.entity.owner):
            return None, f"it does not set the required column `{f.key_column}`"
    for b in plan.bindings:
        if not b.param.required and not b.field.optional and b.field.default is None:
            return None, f"the optional `{b.param.name}` sets a required column"
        if b.bool_to_int and not b.param.required and b.field.default not in (None, "0", "1"):
            return None, f"`{b.param.name}` is a boolean but its column's default is {b.field.default}"
    return plan, ""


def param_decl(name: str, awm_type: str, required: bool) -> str:
    return f"{name}: {awm_type}{'' if required else '?'}"


def crud_line(plan: ToolPlan, endpoint: Endpoint) -> str | None:
    """The one-line CRUD form, if it has exactly the endpoint's parameters."""
    e = plan.entity
    crud_key = f"{snake(e.name)}_{e.key.name}"
    if plan.key is not None and plan.key.name != crud_key:
        return None
    if any(b.bool_to_int or b.param.name != b.field.column or b.awm_type != b.field.type for b in plan.bindings):
        return None
    scope = f" where {e.owner.name} == me" if plan.scoped else ""
    fields = f"({', '.join(b.field.name for b in plan.bindings)})" if plan.bindings else ""
    if plan.op in ("get", "delete"):
        return f"{plan.op} {e.name}{scope}"
    if plan.op == "list":
        if (
            not (plan.limit and plan.offset)
            or plan.limit.required
            or plan.offset.required
            or any(b.param.required for b in plan.bindings)
        ):
            return None
        return f"list {e.name}{fields}{scope}"
    if plan.op == "create":
        if any(b.param.required != (not b.field.optional and b.field.default is None) for b in plan.bindings):
            return None
        owner = f" with {e.owner.name} = me" if plan.scoped else ""
        return f"create {e.name}{fields}{owner}"
    if any(b.param.required for b in plan.bindings):
        return None
    stamp = updated_at(plan)
    return f"update {e.name}{fields}{scope}{' with ' + stamp.name + ' = now()' if stamp else ''}"


def updated_at(plan: ToolPlan) -> Field | None:
    f = next((x for x in plan.entity.fields if x.column == "updated_at" and x.type in ("datetime", "text")), None)
    return f if f is not None and f.default == "now()" and all(b.field is not f for b in plan.bindings) else None


def tool_params(plan: ToolPlan, endpoint: Endpoint) -> list[str]:
    out = []
    for p in endpoint.params:
        if p is plan.key:
            out.append(f"{p.name}: {plan.entity.name}")
        elif p is plan.limit:
            out.append("limit: int" + (" @range(1, 200)" if p.required else " = 50 @range(1, 200)"))
        elif p is plan.offset:
            out.append("offset: int" + (" @range(0, null)" if p.required else " = 0 @range(0, null)"))
        else:
            b = next(b for b in plan.bindings if b.param is p)
            out.append(param_decl(p.name, b.awm_type, p.required))
    return out


def tool_body(plan: ToolPlan) -> tuple[str, list[str]]:
    """(return type, statements) of the full-tool form."""
    e = plan.entity
    guard = []
    if plan.scoped and plan.key is not None:
        k = plan.key.name
        guard = [f"require {k}.{e.owner.name} == me else fail not_found {awm_text(e.name + ' not found', 'double')}"]
    if plan.op == "get":
        return e.name, guard + [f"return {plan.key.name}"]
    if plan.op == "delete":
        k = plan.key.name
        return "json", guard + [f"let deleted = {k}.{e.key.name}", f"delete {k}", "return {deleted: deleted}"]
    if plan.op == "list":
        conds = [f"{e.owner.name} == me"] if plan.scoped else []
        for b in plan.bindings:
            test = f"{b.field.name} == {b.value()}"
            conds.append(test if b.param.required else f"(${b.param.name} is null or {test})")
        query = e.name + (f" where {' and '.join(conds)}" if conds else "") + f" order by {e.key.name}"
        query += " limit $limit" if plan.limit else ""
        query += " offset $offset" if plan.offset else ""
        return f"list<{e.name}>", [f"return {query}"]
    if plan.op == "create":
        values = [f"{e.owner.name}: me"] if plan.scoped else []
        values += [f"{b.field.name}: {create_value(b)}" for b in plan.bindings]
        return e.name, [f"return insert {e.name}({', '.join(values)})"]
    sets = [
        f"{b.field.name} = " + (b.value() if b.param.required else f"coalesce({b.value()}, {b.field.name})")
        for b in plan.bindings
    ]
    stamp = updated_at(plan)
    if stamp:
        sets.append(f"{stamp.name} = now()")
    k = plan.key.name
    return e.name, guard + [f"update {k} set {', '.join(sets)}", f"return {k}"]


def create_value(b: Binding) -> str:
    if b.param.required or b.field.default is None:
        return b.value()
    if b.bool_to_int:
        return f"int(coalesce(${b.param.name}, {'true' if b.field.default == '1' else 'false'}))"
    return f"coalesce(${b.param.name}, {b.field.default})"


def tool_description(endpoint: Endpoint) -> str:
    text = endpoint.summary
    if endpoint.description and endpoint.description != endpoint.summary:
        text = f"{text.rstrip('.')}. {endpoint.description}" if text else endpoint.description
    docs = []
    for p in endpoint.params:
        doc = p.description
        if p.has_example and p.example is not None:
            doc = f"{doc.rstrip('.')}{'. ' if doc else ''}Example: {json.dumps(p.example, ensure_ascii=False)}."
        if doc:
            docs.append(f"{p.name}: {doc}")
    if docs:
        text = f"{text.rstrip()} Parameters: " + " ".join(d if d.endswith(".") else d + "." for d in docs)
    return text or f"{endpoint.method} {endpoint.path}"


@dataclass
class ToolText:
    text: str
    complete: bool


LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def comment(text: str) -> str:
    """A `#` comment line. Input names and paths may hold line breaks: those would end the
    comment and let the rest of the text run as spec code, so they become spaces."""
    return "# " + LINE_BREAKS.sub(" ", text)


def render_tool(endpoint: Endpoint, model: Model) -> ToolText:
    plan, why = derive_tool(endpoint, model)
    where = f"{endpoint.method} {endpoint.path}".strip()
    params = ", ".join(f"{p.spec_name} ({p.location}{', required' if p.required else ''})" for p in endpoint.params)
    head = [comment(f"{where} (group {endpoint.group}; tables: {', '.join(endpoint.tables) or '-'})")]
    if params:
        head.append(comment(f"params: {params}"))
    desc = awm_text(tool_description(endpoint))
    if plan is not None:
        line = crud_line(plan, endpoint)
        if line is not None:
            return ToolText("\n".join(head + [f"tool {endpoint.name} = {line}", f"  {desc}"]), True)
        returns, body = tool_body(plan)
        sig = f"tool {endpoint.name}({', '.join(tool_params(plan, endpoint))}) -> {returns}"
        return ToolText("\n".join(head + [sig, f"  {desc} {{"] + [f"  {s}" for s in body] + ["}"]), True)
    sig_params = ", ".join(param_decl(p.name, p.type, p.required) for p in endpoint.params)
    message = awm_text(f"{endpoint.name} is not implemented yet ({where})", braces="double")
    head.insert(0, comment(f"SIGNATURE ONLY ({why}): complete the body"))
    return ToolText(
        "\n".join(
            head
            + [f"tool {endpoint.name}({sig_params}) -> json", f"  {desc} {{", f"  fail not_implemented {message}", "}"]
        ),
        False,
    )


# ---- tasks ---------------------------------------------------------------------------------------------


def read_tasks(record: Record, problems: Problems) -> list[str]:
    tasks = []
    for i, task in enumerate(get_list(record.data, "tasks", record.where, problems, "the tasks record"), 1):
        if isinstance(task, dict):
            task = task.get("task") or task.get("instruction")
        if not isinstance(task, str) or not task.strip():
            problems.error(f"task #{i} is not a non-empty string; skipped", record.where)
            continue
        tasks.append(task.strip())
    return tasks


def render_tasks(tasks: list[str], where: Where) -> list[str]:
    out = [
        comment(f"---- tasks ({where.short()}) ----"),
        "# NEEDS VERIFIER: the pipeline's tasks come without checks. Each task's placeholder",
        f"# `{NEEDS_VERIFIER}` never holds (reward 0, so no run passes by accident);",
        "# replace it with `expect` lines over the final state, and add a `solution`.",
        "",
    ]
    width = len(str(len(tasks)))
    for i, task in enumerate(tasks, 1):
        out += [f"task task_{i:0{width}d} {awm_text(task)} {{", f"  {NEEDS_VERIFIER}", "}", ""]
    return out


# ---- the spec text ----------------------------------------------------------------------------------


@dataclass
class Result:
    """One scenario's import: the spec text and the report."""

    scenario: str
    text: str = ""
    output: str | None = None
    counts: dict = field(default_factory=dict)
    problems: Problems = field(default_factory=Problems)
    compiled: bool | None = None
    database: dict = field(default_factory=dict)
    rebuilt: Rebuilt | None = None
    model: Model | None = None

    @property
    def ok(self) -> bool:
        return self.compiled is not False and not any(p.level == "error" for p in self.problems)

    @property
    def status(self) -> str:
        if not self.text:
            return "failed" if any(p.level == "error" for p in self.problems) else "skipped"
        return "failed" if self.compiled is False else "imported"

    def as_json(self) -> dict:
        return {
            "scenario": self.scenario,
            "status": self.status,
            "output": self.output,
            "compiled": self.compiled,
            **self.counts,
            "database": self.database,
            "errors": [p.as_json() for p in self.problems if p.level == "error"],
            "warnings": [p.as_json() for p in self.problems if p.level == "warning"],
        }


def env_name(scenario: str) -> str:
    name = "_".join(words(scenario)).lower() or "scenario"
    return name if not name[0].isdigit() else f"s_{name}"


def render_spec(scenario: Scenario, model: Model, tools: list[ToolText], tasks: list[str], description: str) -> str:
    sources = ", ".join(f"{r.kind}: {r.where.short()}" for r in sorted(scenario.records.values(), key=lambda r: r.kind))
    out = [
        comment(f"Imported from the AWM pipeline by `awmc import awm` (scenario {scenario.name})."),
        comment(f"Sources: {sources}."),
        "# docs/import.md says what carries over exactly, what is approximated and what is left to complete.",
        "",
    ]
    props = [f"  description {awm_text(description)}"] if description else []
    if model.user is not None:
        props.append(f"  user {model.user.name}")
    props.append(f'  clock "{CLOCK}"')
    out += [f"env {env_name(scenario.name)} {awm_text(scenario.name)} {{"] + props + ["}", ""]
    if model.entities:
        out += ["# ---- entities: one per table ----", ""]
    for entity in model.entities:
        out += render_entity(entity) + [""]
    if tools:
        complete = sum(t.complete for t in tools)
        out += [f"# ---- tools: {complete} complete, {len(tools) - complete} signature only ----", ""]
        for t in tools:
            out += [t.text, ""]
    if tasks:
        out += render_tasks(tasks, scenario.records["tasks"].where)
    seeds = render_seeds(model)
    if seeds:
        out += ["# ---- seed data: the rows of the pipeline's database, as SQLite stored them ----", ""] + seeds
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def render_entity(entity: Entity) -> list[str]:
    table = entity.table
    out = [comment(f"table {table.name} ({table.where.short()})")] + [
        comment(f"approximated: {n}") for n in entity.notes
    ]
    out.append(f"entity {entity.name} {{")
    if table.name != snake(entity.name):
        out.append(f"  @@table({awm_text(table.name)})")
    out += [f"  {f.render()}" for f in entity.fields]
    out += [f"  @@unique({', '.join(f.name for f in u)})" for u in entity.uniques]
    out += [f"  @@index({', '.join(f.name for f in i)})" for i in entity.indexes]
    return out + ["}"]


def render_seeds(model: Model) -> list[str]:
    out = []
    for entity in model.seed_order:
        rows = entity.table.rows
        if not rows:
            continue
        columns = [c.name for c in entity.table.columns if not c.generated]
        index = {name: i for i, name in enumerate(columns)}
        coerced: dict[str, dict[str, int]] = {}
        lines = []
        for rowid, row in enumerate(rows, 1):
            values = []
            for f in entity.fields:
                counts = coerced.setdefault(f.key_column, {})
                values.append(str(rowid) if f.column is None else seed_value(row[index[f.column]], f, counts))
            lines.append(f"  ({', '.join(values)})")
        out += (
            [
                comment(f"table {entity.table.name}: {counted(len(rows), 'row')}"),
                f"seed {entity.name}({', '.join(f.name for f in entity.fields)}) {{",
            ]
            + lines
            + ["}", ""]
        )
        for column, counts in sorted(coerced.items()):
            for what, n in sorted(counts.items()):
                model.problems.warn(
                    f"table {entity.table.name}, column {column}: {counted(n, 'value')}: {COERCION_TEXT[what]}",
                    entity.table.where,
                )
    return out


# ---- one scenario ----------------------------------------------------------------------------------


def import_scenario(scenario: Scenario, target: Path | None) -> Result:
    """Import one scenario into the spec file `target`; never raises (a crash is reported as an
    error of this scenario)."""
    result = Result(scenario.name, problems=scenario.problems)
    try:
        convert(scenario, result)
        if target is not None and result.text:
            write_and_check(result, target)
    except Exception as exc:  # noqa: BLE001 - one scenario's failure must not stop the others
        result.problems.error(f"internal error while importing: {type(exc).__name__}: {exc}")
        result.compiled = False if result.compiled is None else result.compiled
    return result


def convert(scenario: Scenario, result: Result) -> None:
    problems = result.problems
    db = scenario.records.get("db")
    if db is None:
        kinds = ", ".join(sorted(scenario.records))
        problems.warn(f"no gen_db record (only {kinds}), so no tables: scenario skipped")
        return
    rebuilt = rebuild(db, scenario.records.get("sample"), problems, CLOCK)
    tables = read_tables(rebuilt, problems)
    model = build_model(scenario.name, tables, problems)
    endpoints = read_endpoints(scenario.records["spec"], problems) if "spec" in scenario.records else []
    tools = [render_tool(e, model) for e in endpoints]
    tasks = read_tasks(scenario.records["tasks"], problems) if "tasks" in scenario.records else []
    info = scenario.records.get("info")
    description = text_of(info.data.get("description")) if info else ""
    result.text = render_spec(scenario, model, tools, tasks, description)
    result.counts = {
        "tables": len(model.entities),
        "columns": sum(len([c for c in e.table.columns]) for e in model.entities),
        "rows": sum(len(e.table.rows) for e in model.entities),
        "inserts": {"total": rebuilt.inserts, "failed": rebuilt.failed_inserts},
        "tools": {
            "total": len(tools),
            "complete": sum(t.complete for t in tools),
            "signature_only": sum(not t.complete for t in tools),
        },
        "tasks": {"total": len(tasks), "needs_verifier": len(tasks)},
    }
    result.rebuilt, result.model = rebuilt, model


def write_and_check(result: Result, target: Path) -> None:
    write_atomic(target, result.text)
    result.output = str(target)
    built = build_spec(target)
    result.compiled = built.ok
    for d in built.diagnostics:
        info = to_json(d, built.sources)
        text = f"{d.code} {d.message} ({Path(info.get('file') or target).name}:{info.get('line')})"
        if d.is_error:
            result.problems.error(f"the generated spec does not compile: {text}")
        else:
            result.problems.warn(f"the compiler warns: {text}")
    if built.ok:
        result.database = compare_databases(result.rebuilt.data, built.outputs["initial.db"], result.model)


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8", errors="replace")  # lone surrogates from JSON escapes
    tmp.replace(path)


# ---- comparing the seeded database with the pipeline's ----------------------------------------------


def table_columns(db: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    """(name, affinity) of each column, as SQLite reports them."""
    return [(r[1], affinity(r[2] or "")) for r in db.execute(f"PRAGMA table_info({quote_ident(table)})")]


def table_rows(db: sqlite3.Connection, table: str, columns: list[str]) -> list[tuple]:
    """The rows' values with their storage classes, in rowid order (key order without a rowid)."""
    select = f"SELECT {', '.join(quote_ident(c) for c in columns)} FROM {quote_ident(table)}"
    try:
        rows = db.execute(f"{select} ORDER BY rowid").fetchall()
    except sqlite3.Error:
        rows = db.execute(select).fetchall()
    return [tuple((type(v).__name__, v) for v in row) for row in rows]


def user_tables(db: sqlite3.Connection) -> list[str]:
    """Tables and virtual tables, without SQLite's own and the shadow tables of virtual tables."""
    rows = db.execute("PRAGMA table_list").fetchall()
    return sorted(
        r[1] for r in rows if r[0] == "main" and r[2] in ("table", "virtual") and not r[1].startswith("sqlite_")
    )


def compare_databases(original: sqlite3.Connection, image: bytes, model: Model) -> dict:
    """Whether the spec's seed database holds exactly the pipeline's tables, columns and rows."""
    seeded = sqlite3.connect(":memory:")
    seeded.deserialize(image)
    differences: list[str] = []
    changed: list[str] = []
    try:
        for entity in model.entities:
            name = entity.table.name
            cols_a, cols_b = table_columns(original, name), dict(table_columns(seeded, name))
            names_a = [c for c, _ in cols_a]
            extra = [c for c in cols_b if c not in names_a]
            missing = [c for c in names_a if c not in cols_b]
            if extra:
                differences.append(f"{name}: extra column {', '.join(extra)}")
            if missing:
                differences.append(f"{name}: missing column {', '.join(missing)}")
            common = [c for c in names_a if c in cols_b]
            changed += [f"{name}.{c}: {a} -> {cols_b[c]}" for c, a in cols_a if c in cols_b and a != cols_b[c]]
            rows_a, rows_b = table_rows(original, name, common), table_rows(seeded, name, common)
            if rows_a != rows_b:
                bad = sum(a != b for a, b in zip(rows_a, rows_b)) + abs(len(rows_a) - len(rows_b))
                differences.append(f"{name}: {bad} of {counted(len(rows_a), 'row')} different")
        imported = {e.table.name for e in model.entities}
        for name in user_tables(original):
            if name not in imported:
                differences.append(f"{name}: not imported")
    finally:
        seeded.close()
    for d in differences:
        model.problems.warn(f"the seeded database differs from the pipeline's: {d}")
    if changed:
        model.problems.warn(
            f"NUMERIC affinity (DATETIME, DATE, BOOLEAN, DECIMAL, ...) in {counted(len(changed), 'column')}: "
            "stored with the affinity of the awm type; the values are the same (see `database.affinity`)"
        )
    return {"equal": not differences, "differences": differences, "affinity": changed}


# ---- command line ---------------------------------------------------------------------------------------


def register(subparsers) -> None:
    """Add `awmc import awm ...` to awmc's argument parser."""
    imp = subparsers.add_parser("import", help="import environments from other formats into .awm specs")
    formats = imp.add_subparsers(dest="format", required=True)
    a = formats.add_parser(
        "awm", help="import the AWM pipeline's JSONL files (gen_db, gen_sample, gen_spec, gen_tasks)"
    )
    a.add_argument("paths", nargs="+", help="JSONL files, or folders searched for *.jsonl")
    a.add_argument("-o", "--output", default="specs/imported", help="output folder")
    a.add_argument("--scenario", action="append", metavar="NAME", help="import only this scenario (repeatable)")
    a.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    a.set_defaults(fn=cmd_import_awm)


@dataclass
class ImportReport:
    files: list[Path]
    problems: Problems  # lines that belong to no scenario
    results: list[Result]

    @property
    def ok(self) -> bool:
        return not any(p.level == "error" for p in self.problems) and all(r.ok for r in self.results)

    def as_json(self) -> dict:
        return {
            "files": [str(f) for f in self.files],
            "problems": [p.as_json() for p in self.problems],
            "scenarios": [r.as_json() for r in self.results],
        }


def import_awm(paths: list[str], output: str | Path | None, scenarios: list[str] | None = None) -> ImportReport:
    """Import the scenarios of the given files/folders into `output`, sorted by name. With
    `output` None the specs are only generated (`Result.text`), not written or compiled."""
    files, problems = find_input_files(paths)
    found, line_problems = read_inputs(files)
    problems.extend(line_problems)
    names = sorted(found)
    if scenarios:
        missing = [s for s in scenarios if s not in found]
        if missing:
            raise UsageError(f"no scenario {', '.join(missing)} in the input (found: {', '.join(names) or 'none'})")
        names = [n for n in names if n in set(scenarios)]
    out_dir = Path(output) if output is not None else None
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create the output folder {out_dir}: {exc.strerror}")
    targets = spec_paths(names, out_dir)
    return ImportReport(files, problems, [import_scenario(found[n], targets.get(n)) for n in names])


def spec_paths(names: list[str], out_dir: Path | None) -> dict[str, Path]:
    """`<out_dir>/<scenario>.awm`; scenarios whose names give the same file name get a suffix."""
    if out_dir is None:
        return {}
    taken: set[str] = set()
    out = {}
    for name in names:
        stem = env_name(name)
        stem = stem if stem not in taken else unique_name(stem + "_", taken)
        taken.add(stem)
        out[name] = out_dir / f"{stem}.awm"
    return out


def cmd_import_awm(args) -> int:
    start = time.perf_counter()
    report = import_awm(args.paths, args.output, args.scenario)
    if args.json:
        print(json.dumps(report.as_json(), indent=2, sort_keys=True))  # ASCII escapes survive any input
    else:
        sys.stdout.write(human_report(report, time.perf_counter() - start))
    return EXIT_OK if report.ok else EXIT_SPEC


def aggregated(problems: list[Problem]) -> list[str]:
    """One line per distinct problem: a message repeated on many lines (every line of a
    gen_verifier file, say) is said once, with how many and where the first is."""
    groups: dict[tuple[str, str], list[Problem]] = {}
    for p in problems:
        groups.setdefault((p.level, p.message), []).append(p)
    lines = []
    for (level, message), group in groups.items():
        first = group[0]
        if len(group) == 1:
            lines.append(first.human())
            continue
        at = f"first at {first.where.human()}" if first.where else None
        if message.endswith("; line skipped") and first.where:
            lines.append(f"{level}: {len(group)} lines skipped: {message.removesuffix('; line skipped')} ({at})")
        else:
            lines.append(f"{level}: {message} ({len(group)} times{'; ' + at if at else ''})")
    return lines


def human_report(report: ImportReport, seconds: float) -> str:
    results = report.results
    lines = aggregated(report.problems)
    for r in results:
        lines.append(f"{r.scenario}: {r.status}" + (f" -> {r.output}" if r.output else ""))
        c = r.counts
        if c:
            lines.append(
                f"  tables {c['tables']}, columns {c['columns']}, rows {c['rows']}"
                f" ({counted(c['inserts']['total'], 'statement')}, {c['inserts']['failed']} failed and skipped)"
            )
            lines.append(
                f"  tools {c['tools']['total']}: {c['tools']['complete']} complete, "
                f"{c['tools']['signature_only']} signature only (fail not_implemented)"
            )
            needing = c["tasks"]["needs_verifier"]
            lines.append(f"  tasks {c['tasks']['total']}: {needing} {'needs' if needing == 1 else 'need'} a verifier")
        if r.compiled is not None:
            db = r.database
            same = "" if not db else "; seeded database equal to the pipeline's: " + ("yes" if db["equal"] else "no")
            lines.append(f"  compiles: {'yes' if r.compiled else 'no'}{same}")
        errors = [p for p in r.problems if p.level == "error"]
        warnings = [p for p in r.problems if p.level == "warning"]
        for title, group in (("errors", errors), ("warnings", warnings)):
            if group:
                lines.append(f"  {title} ({len(group)}):")
                lines += [f"    {line}" for line in aggregated(group)]
    counts = {s: sum(r.status == s for r in results) for s in ("imported", "failed", "skipped")}
    with_errors = sum(r.status == "imported" and not r.ok for r in results)
    lines.append(
        f"{counts['imported']} imported ({with_errors} with input errors), {counts['failed']} failed, "
        f"{counts['skipped']} skipped in {seconds:.1f} s"
    )
    return "\n".join(lines) + "\n"
