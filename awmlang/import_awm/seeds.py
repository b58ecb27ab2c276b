"""Seed data: the order tables and rows are seeded in, and the rebuilt rows as awm seed literals."""

from __future__ import annotations

from collections import Counter

from awmlang.import_awm.entities import EntityPlan, FieldPlan, SchemaPlan, note
from awmlang.import_awm.literals import awm_number, awm_text, comment, not_finite
from awmlang.import_awm.naming import field_name
from awmlang.import_awm.problems import Problems
from awmlang.import_awm.sql import sqlite_text, stored_as
from awmlang.text import counted


def seed_order(schema: SchemaPlan, problems: Problems) -> list[EntityPlan]:
    """Parents seed before their children (awm checks foreign keys row by row); the
    declarations keep the tables' order. A cycle between tables is broken by keeping one of
    its foreign keys as a plain column."""
    remaining = list(schema.entities)
    ordered: list[EntityPlan] = []
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


def unlink(f: FieldPlan) -> None:
    f.type = f.relation.key.type
    f.relation = None
    f.on_delete = "restrict"
    f.name = field_name(f.column, set())


def order_rows_by_parent(entity: EntityPlan, problems: Problems) -> None:
    """A table that refers to itself: parents first, when the key is the rowid (so `ORDER BY
    rowid` is unchanged)."""
    selfref = [f for f in entity.fields if f.relation is entity]
    if not selfref or not entity.table.rows:
        return
    columns = entity.table.stored_names
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


def seed_value(value, f: FieldPlan, coerced: Counter) -> str:
    """A stored value as an awm seed literal of the field's type; a value that does not fit is
    converted (and counted in `coerced`, reported per column)."""
    if value is None:
        return "null"
    if isinstance(value, bytes):
        coerced["blob"] += 1
        value = value.hex()
    if f.scalar in ("text", "datetime", "date"):
        return text_seed(value, coerced)
    return number_seed(value, f.scalar, coerced)


def text_seed(value, coerced: Counter) -> str:
    if not isinstance(value, str):
        coerced["number"] += 1
        value = sqlite_text(value)
    if "\0" in value:
        coerced["nul"] += 1
        value = value.replace("\0", "")
    return awm_text(value, braces="escape")


def number_seed(value, kind: str, coerced: Counter) -> str:
    """An int or float seed literal."""
    if isinstance(value, str):
        coerced["text"] += 1
        value = stored_as(value, "NUMERIC")
        if isinstance(value, str):
            return "0" if kind == "int" else "0.0"
    if kind == "int":
        if isinstance(value, float):
            coerced["real"] += 1
            if not_finite(value):
                return "0"  # an infinite or NaN REAL in an INTEGER column has no integer value
            value = round(value)
        return str(value)
    if isinstance(value, int):
        coerced["integer"] += 1
    text = awm_number(value)
    if text is None:
        coerced["infinite"] += 1
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


def render_seeds(schema: SchemaPlan) -> list[str]:
    out = []
    for entity in schema.seed_order:
        if entity.table.rows:
            out += render_seed(entity, schema.problems) + [""]
    return out


def render_seed(entity: EntityPlan, problems: Problems) -> list[str]:
    """One table's `seed` block; the values it had to convert are reported per column."""
    rows = entity.table.rows
    index = {name: i for i, name in enumerate(entity.table.stored_names)}
    coerced: dict[str, Counter] = {}
    lines = []
    for rowid, row in enumerate(rows, 1):
        values = []
        for f in entity.fields:
            counts = coerced.setdefault(f.key_column, Counter())
            values.append(str(rowid) if f.column is None else seed_value(row[index[f.column]], f, counts))
        lines.append(f"  ({', '.join(values)})")
    for column, counts in sorted(coerced.items()):
        for what, n in sorted(counts.items()):
            problems.warn(
                f"table {entity.table.name}, column {column}: {counted(n, 'value')}: {COERCION_TEXT[what]}",
                entity.table.where,
            )
    return [
        comment(f"table {entity.table.name}: {counted(len(rows), 'row')}"),
        f"seed {entity.name}({', '.join(f.name for f in entity.fields)}) {{",
        *lines,
        "}",
    ]
