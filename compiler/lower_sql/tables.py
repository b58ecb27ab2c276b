"""The statements of the database itself: the schema (tables, indexes, checks), seed INSERTs, invariant SELECTs."""

from __future__ import annotations

from sqlglot import exp

from .. import nodes as n
from ..types import ClockDefault, EntityInfo, FieldInfo, Model, SeedRef
from .queries import SqlCompiler
from .trees import DIALECT, col, column_sql_type, ident, literal, sql, table, to_storage

# ---- DDL -------------------------------------------------------------------------------------


def schema_statements(model: Model, lowered: dict[str, list[str]] | None = None) -> list[str]:
    """The DDL, table by table (in table-name order); `lowered` holds entities' statements
    already made by this build."""
    names = [e.name for e in sorted(model.entities.values(), key=lambda e: e.table)]
    lowered = lowered or {}
    return [s for name in names for s in lowered.get(name) or table_statements(model, name)]


def table_statements(model: Model, name: str) -> list[str]:
    """CREATE TABLE and CREATE INDEX statements of one entity."""
    entity = model.entities[name]
    out = [sql(create_table(model, entity))]
    for names in indexed_fields(entity):
        cols = [entity.fields[x].column for x in names]
        index = exp.Create(
            kind="INDEX",
            this=exp.Index(
                this=ident(f"ix_{entity.table}_{'_'.join(cols)}"),
                table=exp.Table(this=ident(entity.table)),
                params=exp.IndexParameters(columns=[col(c) for c in cols]),
            ),
        )
        out.append(sql(index))
    return out


def indexed_fields(entity: EntityInfo) -> list[tuple[str, ...]]:
    """The fields of each index: the declared ones, then one for each reference that no
    declared index, key or uniqueness leads with. SQLite does not index foreign keys itself,
    and without one every `customer.accounts`, invariant over it and cascading delete scans
    the whole table."""
    declared = [(f.name,) for f in entity.columns if f.index and not f.unique] + entity.indexes
    led = {names[0] for names in declared + entity.uniques} | {f.name for f in entity.columns if f.unique or f.is_id}
    return declared + [(f.name,) for f in entity.columns if f.is_relation and f.name not in led]


def owner_sql(model: Model, entity: EntityInfo) -> str | None:
    """The owner of a row of `entity` as SQL over its table (unaliased): its `@@owned_by`
    column, or for a path (`account.owner`) a subquery per step. None without an owner."""
    if entity.owner is None:
        return None
    path, _ = entity.owner
    first = entity.fields[path[0]]
    owner: exp.Expression = exp.Column(this=ident(first.column), table=ident(entity.table))
    target = model.entities[first.type.decl_name]
    for depth, name in enumerate(path[1:], 1):
        step, alias = target.fields[name], f"o{depth}"
        lookup = (
            exp.select(col(step.column, alias))
            .from_(table(target, alias))
            .where(exp.EQ(this=col(target.id_field.column, alias), expression=owner))
        )
        owner = exp.Subquery(this=lookup)
        target = model.entities[step.type.decl_name]
    return sql(owner)


def create_table(model: Model, entity: EntityInfo) -> exp.Create:
    columns: list[exp.Expression] = []
    for f in entity.columns:
        constraints = []
        if f.is_id:
            constraints.append(exp.ColumnConstraint(kind=exp.PrimaryKeyColumnConstraint()))
        elif not f.type.optional:
            constraints.append(exp.ColumnConstraint(kind=exp.NotNullColumnConstraint()))
        if f.unique and not f.is_id:
            constraints.append(exp.ColumnConstraint(kind=exp.UniqueColumnConstraint()))
        default = ddl_default(model, f)
        if default is not None:
            constraints.append(exp.ColumnConstraint(kind=exp.DefaultColumnConstraint(this=default)))
        for check in column_checks(model, entity, f):
            constraints.append(exp.ColumnConstraint(kind=exp.CheckColumnConstraint(this=check)))
        if f.is_relation:
            parent = model.entities[f.type.decl_name]
            action = {"cascade": "CASCADE", "set_null": "SET NULL", "restrict": "RESTRICT"}[f.on_delete]
            constraints.append(
                exp.ColumnConstraint(
                    kind=exp.Reference(
                        this=exp.Schema(
                            this=exp.Table(this=ident(parent.table)), expressions=[ident(parent.id_field.column)]
                        ),
                        options=[f"ON DELETE {action}"],
                    )
                )
            )
        columns.append(
            exp.ColumnDef(
                this=ident(f.column),
                kind=exp.DataType.build(column_sql_type(model, f), dialect=DIALECT),
                constraints=constraints,
            )
        )
    for names in entity.uniques:
        columns.append(
            exp.UniqueColumnConstraint(this=exp.Schema(expressions=[ident(entity.fields[x].column) for x in names]))
        )
    return exp.Create(kind="TABLE", this=exp.Schema(this=exp.Table(this=ident(entity.table)), expressions=columns))


def ddl_default(model: Model, f: FieldInfo) -> exp.Expression | None:
    if f.default is None:
        return None
    if isinstance(f.default_value, ClockDefault):
        return exp.var("CURRENT_TIMESTAMP" if f.default_value.unit == "now" else "CURRENT_DATE")
    return literal(to_storage(f.default_value, f.type))


def column_checks(model: Model, entity: EntityInfo, f: FieldInfo) -> list[exp.Expression]:
    c = col(f.column)
    checks: list[exp.Expression] = []
    if f.type.kind == "enum":
        checks.append(exp.In(this=c, expressions=[exp.Literal.string(m) for m in model.enums[f.type.decl_name]]))
    if f.type.kind == "bool":
        checks.append(exp.In(this=c, expressions=[exp.Literal.number(0), exp.Literal.number(1)]))
    if f.range:
        lo, hi = f.range
        scale = 100 if f.type.kind == "decimal" else 1
        if lo is not None:
            checks.append(exp.GTE(this=c, expression=literal(lo * scale)))
        if hi is not None:
            checks.append(exp.LTE(this=c, expression=literal(hi * scale)))
    if f.length:
        lo, hi = f.length
        length = exp.Length(this=c)
        if lo is not None:
            checks.append(exp.GTE(this=length, expression=literal(lo)))
        if hi is not None:
            checks.append(exp.LTE(this=length, expression=literal(hi)))
    for check in f.checks:
        compiler = SqlCompiler(model, python=None)
        checks.append(compiler.value(check, [None], [entity.name]))
    return checks


# ---- seed --------------------------------------------------------------------------------------


def seed_rows_statements(model: Model, seed) -> list[tuple[n.Span, str]]:
    """One INSERT per row of a seed declaration, with the row's span for error reports. A
    reference to another seed row is a subquery, so the statements depend on no other seed."""
    entity = model.entities[seed.entity]
    fields = [entity.fields[c] for c in seed.columns]
    given = set(seed.columns)
    extra = [f for f in entity.columns if f.name not in given and f.default is not None]
    out = []
    for span, values in seed.rows:
        row = [seed_value(model, v, f) for v, f in zip(values, fields)]
        for f in extra:
            row.append(seed_default(model, f))
        insert = exp.Insert(
            this=exp.Schema(
                this=exp.Table(this=ident(entity.table)), expressions=[ident(f.column) for f in fields + extra]
            ),
            expression=exp.Values(expressions=[exp.Tuple(expressions=row)]),
        )
        out.append((span, sql(insert)))
    return out


def seed_default(model: Model, f: FieldInfo) -> exp.Expression:
    assert f.default is not None  # seed_statements asks only for the fields that have a default
    value = f.default_value
    if isinstance(value, ClockDefault):
        value = value.at(model.clock)
    return literal(to_storage(value, f.type))


def seed_value(model: Model, value, f: FieldInfo) -> exp.Expression:
    if isinstance(value, SeedRef):
        target = model.entities[value.entity]
        lookup = (
            exp.select(col(target.id_field.column))
            .from_(exp.Table(this=ident(target.table)), copy=False)
            .where(
                exp.EQ(
                    this=col(value.field),
                    expression=literal(
                        to_storage(
                            value.value,
                            target.fields[value.field].type
                            if value.field in target.fields
                            else next(x.type for x in target.columns if x.column == value.field),
                        )
                    ),
                ),
                copy=False,
            )
        )
        return exp.Subquery(this=lookup)
    return literal(
        to_storage(value, f.type if f.type.kind != "entity" else model.entities[f.type.decl_name].id_field.type)
    )


# ---- invariants -------------------------------------------------------------------------------


def invariant_statement(model: Model, inv) -> str:
    """A constant SELECT that returns the keys of the rows breaking the invariant (a global
    invariant returns one row when it is broken). A condition that is null breaks nothing."""
    c = SqlCompiler(model, python=None)
    decl = inv.decl
    if inv.entity is None:
        return sql(
            exp.select(exp.Literal.number(1)).where(
                exp.Not(this=exp.Paren(this=c.value(decl.body, [], []))), copy=False
            )
        )
    entity = model.entities[inv.entity]
    alias = c.new_alias()
    select = exp.select(col(entity.id_field.column, alias)).from_(table(entity, alias), copy=False)
    if decl.where is not None:
        select = select.where(c.value(decl.where, [alias], [entity.name]), copy=False)
    select = select.where(exp.Not(this=exp.Paren(this=c.value(decl.body, [alias], [entity.name]))), copy=False)
    return sql(select.order_by(col(entity.id_field.column, alias), copy=False))
