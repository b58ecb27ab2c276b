"""SQLite and sqlglot helpers: splitting and parsing statements, pinning `'now'` to the env's fixed
clock, running untrusted SQL in a sandboxed in-memory database, and SQLite's affinity rules."""

from __future__ import annotations

import logging
import re
import sqlite3
from contextlib import contextmanager

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import TokenType

CLOCK = "2025-01-01 09:00:00"


DATE_FUNCTIONS = {"date", "time", "datetime", "julianday", "unixepoch", "strftime", "timediff"}


MAX_SQL_STEPS = 20_000  # progress-handler calls (x 1000 VM steps) before a statement is stopped


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
    for start, end, text in sorted(clock_edits(tokens, clock), reverse=True):
        sql = sql[:start] + text + sql[end:]
    return sql


def clock_edits(tokens: list, clock: str) -> list[tuple[int, int, str]]:
    """(start, end, replacement) of each token that reads the current time."""
    literal = {
        TokenType.CURRENT_TIMESTAMP: clock,
        TokenType.CURRENT_DATE: clock[:10],
        TokenType.CURRENT_TIME: clock[11:],
    }
    edits: list[tuple[int, int, str]] = []
    calls: list[str | None] = []  # the function of each open parenthesis, innermost last
    for i, tok in enumerate(tokens):
        if tok.token_type == TokenType.L_PAREN:
            name = tokens[i - 1].text.lower() if i else None
            calls.append(name)
            if (
                name in DATE_FUNCTIONS - {"strftime", "timediff"}
                and i + 1 < len(tokens)
                and tokens[i + 1].token_type == TokenType.R_PAREN
            ):
                edits.append((tok.end + 1, tok.end + 1, f"'{clock}'"))  # `datetime()` means 'now'
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
    return edits


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


def short_sql(sql: str, limit: int = 80) -> str:
    one = re.sub(r"\s+", " ", sql).strip()
    return one if len(one) <= limit else one[: limit - 3] + "..."


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
