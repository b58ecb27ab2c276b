"""Rebuilding the pipeline's database as the pipeline does: each table's DDL and indexes, then each
INSERT in order, skipping (and reporting) those that fail."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from sqlglot import exp

from awmlang.import_awm.problems import Problems, Where
from awmlang.import_awm.read import AwmRecord, get_list, record_items, unknown_fields
from awmlang.import_awm.sql import (
    first_keyword,
    new_connection,
    parse_sql,
    pin_now,
    run_statement,
    short_sql,
    split_statements,
)


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


def rebuild(db_record: AwmRecord, sample_record: AwmRecord | None, problems: Problems, clock: str) -> Rebuilt:
    rebuilt = Rebuilt(new_connection(), new_connection(), [])
    where = db_record.where
    tables = record_items(db_record, "db_schema", "tables", "db_schema table", problems)
    if tables is None:
        return rebuilt
    for i, table in tables:
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


def run_inserts(rebuilt: Rebuilt, record: AwmRecord, problems: Problems, clock: str) -> None:
    where = record.where
    for i, table in record_items(record, "sample_data", "tables", "sample_data table", problems) or []:
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
