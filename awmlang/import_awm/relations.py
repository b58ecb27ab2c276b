"""Foreign keys become relation fields where awm can keep them exactly; the others stay plain columns."""

from __future__ import annotations

from awmlang.import_awm.catalog import AwmForeignKey, AwmTable
from awmlang.import_awm.entities import EntityPlan, FieldPlan, SchemaPlan, note
from awmlang.import_awm.naming import field_name, unique_name
from awmlang.import_awm.problems import Problems


def link_relations(schema: SchemaPlan, entity: EntityPlan, problems: Problems) -> None:
    """Foreign keys become relation fields where awm can keep them exactly."""
    table = entity.table
    broken = dangling_foreign_keys(table, schema)
    for fk in table.fks:
        reason = relation_problem(schema, entity, fk, broken)
        if reason is not None:
            note(
                entity,
                problems,
                f"foreign key ({', '.join(fk.columns)}) -> {fk.parent} is kept as a plain column: {reason}",
            )
            continue
        f = entity.by_column(fk.columns[0])
        parent = schema.entity_of_table(fk.parent)
        f.relation, f.type = parent, parent.name
        f.name = relation_field_name(entity, f)
        f.on_delete = relation_on_delete(entity, f, fk, problems)
        if fk.on_update not in ("NO ACTION", "RESTRICT"):
            note(entity, problems, f"ON UPDATE {fk.on_update} of `{f.column}` is dropped (awm keys do not change)")
    if schema.user is not None:
        owners = [f for f in entity.fields if f.relation is schema.user and not f.optional]
        entity.owner = owners[0] if len(owners) == 1 and entity is not schema.user else None


def relation_problem(
    schema: SchemaPlan, entity: EntityPlan, fk: AwmForeignKey, broken: set[tuple[str, ...]]
) -> str | None:
    if len(fk.columns) != 1:
        return "composite foreign keys are not relations in awm"
    parent = schema.entity_of_table(fk.parent)
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


def dangling_foreign_keys(table: AwmTable, schema: SchemaPlan) -> set[tuple[str, ...]]:
    """Foreign keys that the sample rows break, found by comparing values the way SQLite does."""
    out = set()
    for fk in table.fks:
        parent = schema.entity_of_table(fk.parent)
        if parent is None or len(fk.columns) != 1:
            continue
        i = table.stored_names.index(fk.columns[0])
        target = fk.parent_columns[0] or (parent.table.pk[0] if parent.table.pk else None)
        if target is None or parent.table.column(target) is None:
            continue
        j = parent.table.stored_names.index(target)
        keys = {row[j] for row in parent.table.rows}
        if any(row[i] is not None and row[i] not in keys for row in table.rows):
            out.add(tuple(fk.columns))
    return out


def relation_field_name(entity: EntityPlan, f: FieldPlan) -> str:
    column = f.column
    base = column[:-3] if column.endswith("_id") and len(column) > 3 else column
    base = field_name(base, set())
    taken = {x.name for x in entity.fields if x is not f} | {x.column for x in entity.fields if x is not f and x.column}
    taken |= {f"{x.name}_id" for x in entity.fields if x is not f and x.relation is not None}
    return base if base not in taken else unique_name(base + "_ref", taken)


def relation_on_delete(entity: EntityPlan, f: FieldPlan, fk: AwmForeignKey, problems: Problems) -> str:
    if fk.on_delete == "CASCADE":
        return "cascade"
    if fk.on_delete == "SET NULL":
        if f.optional:
            return "set_null"
        note(entity, problems, f"ON DELETE SET NULL on the NOT NULL column `{f.column}` is kept as restrict")
    elif fk.on_delete == "SET DEFAULT":
        note(entity, problems, f"ON DELETE SET DEFAULT of `{f.column}` is approximated as restrict")
    return "restrict"
