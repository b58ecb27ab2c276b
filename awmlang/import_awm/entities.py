"""Planning one entity per imported table: its fields and their types, the key, defaults and indexes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlglot import exp

from awmlang.import_awm.catalog import AwmColumn, AwmTable
from awmlang.import_awm.literals import DATE_RE, DATETIME_RE, constant_literal
from awmlang.import_awm.naming import field_name, unique_name
from awmlang.import_awm.problems import Problems
from awmlang.import_awm.sql import affinity, parse_expression, sql_constant, stored_as, unwrap

AWM_AFFINITY = {"int": "INTEGER", "float": "REAL", "text": "TEXT", "datetime": "TEXT", "date": "TEXT"}


@dataclass(eq=False)
class FieldPlan:
    """A field the importer writes for one column (or the key it adds)."""

    name: str
    column: str | None  # None: a key added by the importer (no original column)
    type: str  # int | float | text | datetime | date | an entity name
    optional: bool
    is_id: bool = False
    relation: EntityPlan | None = None
    on_delete: str = "restrict"
    default: str | None = None
    unique: bool = False
    index: bool = False
    checks: list[str] = field(default_factory=list)
    source: AwmColumn | None = None

    @property
    def scalar(self) -> str:
        """The stored type: a relation stores its parent's key."""
        return self.relation.key.scalar if self.relation is not None else self.type

    @property
    def key_column(self) -> str:
        return self.column or self.name

    def default_column(self) -> str:
        return f"{self.name}_id" if self.relation is not None else self.name


@dataclass(eq=False)
class EntityPlan:
    """The entity the importer writes for one AwmTable."""

    name: str
    table: AwmTable
    fields: list[FieldPlan]
    key: FieldPlan
    uniques: list[tuple[FieldPlan, ...]] = field(default_factory=list)  # @@unique (fields, named when rendered)
    indexes: list[tuple[FieldPlan, ...]] = field(default_factory=list)  # @@index
    notes: list[str] = field(default_factory=list)
    owner: FieldPlan | None = None  # a required relation to the env's user entity

    def by_column(self, column: str) -> FieldPlan | None:
        return next((f for f in self.fields if f.column == column), None)


@dataclass
class SchemaPlan:
    """A scenario's entities as the importer writes them, and the env's user entity."""

    scenario: str
    entities: list[EntityPlan]
    user: EntityPlan | None = None
    problems: Problems = field(default_factory=Problems)
    seed_order: list[EntityPlan] = field(default_factory=list)  # parents before children

    def entity_of_table(self, table: str) -> EntityPlan | None:
        return next((e for e in self.entities if e.table.name == table), None)


def note(entity: EntityPlan, problems: Problems, message: str) -> None:
    """An approximation: a comment above the entity and a warning in the report."""
    entity.notes.append(message)
    problems.warn(f"table {entity.table.name}: {message}", entity.table.where)


def plan_entity(name: str, table: AwmTable, problems: Problems) -> EntityPlan:
    fields = plan_fields(table)
    entity = EntityPlan(name, table, fields, fields[0] if fields else None)  # the key is chosen below
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


def plan_fields(table: AwmTable) -> list[FieldPlan]:
    """A field per stored column, typed by its declaration and its values."""
    taken: set[str] = set()
    fields = []
    for i, col in enumerate(c for c in table.columns if not c.generated):
        fname = field_name(col.name, taken)
        taken.add(fname)
        ftype = scalar_type(col, [row[i] for row in table.rows])
        optional = not col.notnull and not (col.pk and len(table.pk) == 1)  # a lone primary key is never NULL
        fields.append(FieldPlan(fname, col.name, ftype, optional=optional, source=col))
    return fields


def scalar_type(col: AwmColumn, values: list) -> str:
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


def temporal_type(col: AwmColumn, values: list) -> str:
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


def choose_key(entity: EntityPlan, problems: Problems) -> None:
    """Every entity needs one `int` or `text` @id. A single-column primary key of that type is
    kept. Otherwise a NOT NULL UNIQUE column serves, or a key column is added (its values are
    the original rowids)."""
    if not keep_primary_key(entity) and not use_unique_column(entity, problems):
        add_rowid_key(entity, problems)


def keep_primary_key(entity: EntityPlan) -> bool:
    pk = entity.table.pk
    if len(pk) == 1:
        f = entity.by_column(pk[0])
        if f is not None and f.type in ("int", "text"):
            f.is_id, f.optional = True, False
            entity.key = f
            return True
    return False


def use_unique_column(entity: EntityPlan, problems: Problems) -> bool:
    """Without a primary key, the first single-column unique index on a NOT NULL column."""
    table = entity.table
    if table.pk:
        return False
    for ix in table.indexes:
        if ix.unique and len(ix.columns) == 1 and not ix.partial and ix.columns[0] is not None:
            column = ix.columns[0]
            f = entity.by_column(column)
            if f is not None and f.type in ("int", "text") and not f.optional:
                f.is_id = True
                entity.key = f
                note(entity, problems, f"no primary key: the unique NOT NULL column `{column}` serves as the key")
                return True
    return False


def add_rowid_key(entity: EntityPlan, problems: Problems) -> None:
    """An extra int key; the original primary key, if any, stays unique."""
    pk = entity.table.pk
    name = unique_name("id", {f.name for f in entity.fields}) if any(f.name == "id" for f in entity.fields) else "id"
    key = FieldPlan(name, None, "int", optional=False, is_id=True)
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


def awm_default(entity: EntityPlan, f: FieldPlan, problems: Problems) -> str | None:
    col = f.source
    if col.default is None or f.is_id and f.type == "int":
        return None  # an int key's default is the next id
    node = parse_expression(col.default)
    if node is None:
        note(entity, problems, f"column `{col.name}`: DEFAULT {col.default} does not parse; dropped")
        return None
    node = unwrap(node)
    if isinstance(node, exp.Null):
        return None
    literal = default_literal(node, f)
    if literal is None:
        note(
            entity,
            problems,
            f"column `{col.name}`: DEFAULT {col.default} cannot be written in awm; dropped (inserts must give a value)",
        )
    return literal


def default_literal(node: exp.Expression, f: FieldPlan) -> str | None:
    """A DEFAULT as awm text (`now()`, `today()` or a constant of the field's type), or None."""
    if isinstance(node, exp.CurrentTimestamp) or is_now_call(node, "datetime"):
        return "now()" if f.type in ("datetime", "text") else None
    if isinstance(node, exp.CurrentDate) or is_now_call(node, "date"):
        return "today()" if f.type in ("date", "datetime", "text") else None
    try:
        value = sql_constant(node)
    except ValueError:
        return None
    return constant_literal(stored_as(value, AWM_AFFINITY[f.scalar]), f.scalar)


def is_now_call(node: exp.Expression, name: str) -> bool:
    """`datetime('now')` / `date('now')` (sqlglot parses them as functions of one argument)."""
    if node.key.lower() == name or (isinstance(node, exp.Anonymous) and str(node.this).lower() == name):
        args = [a for a in node.args.values() if isinstance(a, exp.Expression)] + list(node.expressions)
        return len(args) == 1 and isinstance(args[0], exp.Literal) and args[0].this.lower() == "now"
    return False


def plan_indexes(entity: EntityPlan, problems: Problems) -> None:
    seen: set[tuple[bool, tuple[FieldPlan, ...]]] = set()
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
