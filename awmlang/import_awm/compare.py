"""Comparing the compiled spec's seed database with the rebuilt one, table by table."""

from __future__ import annotations

import sqlite3

from awmlang.import_awm.entities import SchemaPlan
from awmlang.import_awm.sql import affinity, quote_ident
from awmlang.text import counted


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


def compare_databases(original: sqlite3.Connection, image: bytes, schema: SchemaPlan) -> dict:
    """Whether the spec's seed database holds exactly the pipeline's tables, columns and rows."""
    seeded = sqlite3.connect(":memory:")
    seeded.deserialize(image)
    differences: list[str] = []
    changed: list[str] = []
    try:
        for entity in schema.entities:
            compare_table(original, seeded, entity.table.name, differences, changed)
        imported = {e.table.name for e in schema.entities}
        for name in user_tables(original):
            if name not in imported:
                differences.append(f"{name}: not imported")
    finally:
        seeded.close()
    for d in differences:
        schema.problems.warn(f"the seeded database differs from the pipeline's: {d}")
    if changed:
        schema.problems.warn(
            f"NUMERIC affinity (DATETIME, DATE, BOOLEAN, DECIMAL, ...) in {counted(len(changed), 'column')}: "
            "stored with the affinity of the awm type; the values are the same (see `database.affinity`)"
        )
    return {"equal": not differences, "differences": differences, "affinity": changed}


def compare_table(
    original: sqlite3.Connection, seeded: sqlite3.Connection, name: str, differences: list[str], changed: list[str]
) -> None:
    """One table's columns and rows; what differs is added to `differences`, columns whose
    affinity changed to `changed`."""
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
