"""The pipeline's tables as SQLite made them (columns, keys, indexes, CHECKs, rows), read from the
rebuilt databases: the imported AWM data the entities are planned from."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

from sqlglot import exp

from awmlang.import_awm.problems import Problems, Where
from awmlang.import_awm.rebuild import Rebuilt, TableSource
from awmlang.import_awm.sql import quote_ident


@dataclass
class AwmColumn:
    """A column of a pipeline table, as `PRAGMA table_xinfo` reports it."""

    name: str
    decl: str  # declared type, as written
    notnull: bool
    default: str | None  # the default's SQL text
    pk: int  # position in the primary key, 0 if not in it
    generated: bool


@dataclass
class AwmForeignKey:
    """A foreign key of a pipeline table (`PRAGMA foreign_key_list`)."""

    columns: list[str]
    parent: str
    parent_columns: list[str | None]
    on_delete: str
    on_update: str


@dataclass
class AwmIndex:
    """An index of a pipeline table (`PRAGMA index_list` / `index_xinfo`)."""

    name: str
    unique: bool
    origin: str  # c (CREATE INDEX), u (UNIQUE constraint), pk
    partial: bool
    columns: list[str | None]  # None: an expression
    ordered: bool  # DESC or a collation other than BINARY


@dataclass
class AwmTable:
    """A table of the pipeline's database as SQLite made it, with its rows as stored."""

    name: str
    where: Where
    columns: list[AwmColumn]
    fks: list[AwmForeignKey]
    indexes: list[AwmIndex]
    checks: list[tuple[str | None, exp.Expression]]  # (column or None for table-level, condition)
    autoincrement: bool
    without_rowid: bool
    collations: dict[str, str]
    rows: list[tuple] = field(default_factory=list)  # as stored, in rowid order

    def column(self, name: str) -> AwmColumn | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def stored_names(self) -> list[str]:
        """The columns that hold values (not generated), in order: the order of `rows`."""
        return [c.name for c in self.columns if not c.generated]

    @property
    def pk(self) -> list[str]:
        return [c.name for c in sorted((c for c in self.columns if c.pk), key=lambda c: c.pk)]


def read_tables(rebuilt: Rebuilt, problems: Problems) -> list[AwmTable]:
    tables = []
    for source in rebuilt.tables:
        if table_sql(rebuilt.catalog, source.name) is None:
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


def table_sql(db: sqlite3.Connection, name: str) -> str | None:
    """The CREATE TABLE text SQLite keeps for a table of the main database ("" if none), or None if
    there is no such table."""
    row = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
    return None if row is None else row[0] or ""


def read_table(rebuilt: Rebuilt, source: TableSource) -> AwmTable:
    db = rebuilt.catalog
    tree = source.tree
    sql = table_sql(db, source.name)
    table = AwmTable(
        source.name,
        source.where,
        read_columns(db, source.name),
        read_foreign_keys(db, source.name),
        read_indexes(db, source.name),
        checks_of(tree) if tree is not None else [],
        autoincrement_of(tree, sql),
        bool(re.search(r"\)\s*WITHOUT\s+ROWID\s*$", sql, re.IGNORECASE)),
        collations_of(tree) if tree is not None else {},
    )
    table.rows = read_rows(rebuilt.data, table)
    return table


def read_columns(db: sqlite3.Connection, table: str) -> list[AwmColumn]:
    return [
        AwmColumn(r[1], r[2] or "", bool(r[3]), r[4], r[5], r[6] in (2, 3))  # hidden 2, 3: generated columns
        for r in db.execute(f"PRAGMA table_xinfo({quote_ident(table)})")
    ]


def read_foreign_keys(db: sqlite3.Connection, table: str) -> list[AwmForeignKey]:
    fks: dict[int, AwmForeignKey] = {}
    for r in db.execute(f"PRAGMA foreign_key_list({quote_ident(table)})"):  # one row per column of a key
        fk = fks.setdefault(r[0], AwmForeignKey([], r[2], [], r[6].upper(), r[5].upper()))
        fk.columns.append(r[3])
        fk.parent_columns.append(r[4])
    return list(fks.values())


def read_indexes(db: sqlite3.Connection, table: str) -> list[AwmIndex]:
    indexes = []
    for r in db.execute(f"PRAGMA index_list({quote_ident(table)})"):
        keys = [x for x in db.execute(f"PRAGMA index_xinfo({quote_ident(r[1])})") if x[5]]  # key columns, not rowid
        indexes.append(
            AwmIndex(
                r[1],
                bool(r[2]),
                r[3],
                bool(r[4]),
                [x[2] for x in keys],
                any(x[3] or (x[4] or "BINARY").upper() != "BINARY" for x in keys),
            )
        )
    return sorted(indexes, key=lambda x: x.name)


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


def read_rows(db: sqlite3.Connection, table: AwmTable) -> list[tuple]:
    """The table's rows as stored, stored columns only, in rowid (insertion) order."""
    select = f"SELECT {', '.join(quote_ident(c) for c in table.stored_names)} FROM {quote_ident(table.name)}"
    order = "rowid" if not table.without_rowid else ", ".join(quote_ident(c) for c in table.pk) or "1"
    try:
        return list(db.execute(f"{select} ORDER BY {order}"))
    except sqlite3.Error:
        return []
