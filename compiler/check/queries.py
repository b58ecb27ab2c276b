"""Expressions over rows: queries (where, order by, limit, group by), lookups, inserts and upserts."""

from __future__ import annotations

from .. import nodes as n
from ..diagnostics import did_you_mean
from ..types import ANY, BOOL, FLOAT, INT, NUMERIC, EntityInfo, FieldInfo, T, entity_t, is_numeric, list_of
from .state import CheckerState, Ctx, column_of
from .walk import walk


class QueriesMixin(CheckerState):
    """The `e_<Node>` methods of expressions over rows, and the checks of the values a row is given."""

    def e_LookupBy(self, e: n.LookupBy, ctx, expected):
        t = self.expr(e.obj, ctx)
        if t.kind == "any":
            return ANY
        if not (t.kind == "query" and isinstance(e.obj, n.Name)):
            self.error("AWM2003", "`[field: value]` looks up a row of an entity: `User[username: name]`", e.span)
            return ANY
        entity = self.entities[t.elem.decl_name]
        f = self.column_of(entity, e.field)
        if f is None:
            return ANY
        if not (f.unique or f.is_id):
            self.error(
                "AWM2001",
                f"`{entity.name}.{f.name}` is not `@unique`, so it may match several rows",
                e.field.span,
                help=f"mark the field `@unique`, or use `first({entity.name} where {f.name} == value)`",
            )
        vt = self.expr(e.value, ctx, f.type)
        self.expect_assignable(vt, f.type.required(), e.value)
        return entity_t(entity.name)

    def e_Insert(self, e: n.Insert, ctx, expected):
        entity = self.entity_named(e.entity)
        if entity is None:
            for fv in e.values:
                self.expr(fv.value, ctx)
            return ANY
        self.check_field_values(entity, e.values, ctx, e.span, require_all=True)
        return entity_t(entity.name)

    def e_Upsert(self, e: n.Upsert, ctx, expected):
        entity = self.entity_named(e.entity)
        if entity is None:
            return ANY
        self.check_field_values(entity, e.values, ctx, e.span, require_all=True)
        given = {fv.name.name for fv in e.values}
        keys = [k.name for k in e.keys]
        for k in e.keys:
            if k.name not in given:
                self.error("AWM2004", f"upsert key `{k.name}` must be given a value", k.span)
        if tuple(keys) not in entity.uniques and not (
            len(keys) == 1
            and entity.fields.get(keys[0])
            and (entity.fields[keys[0]].unique or entity.fields[keys[0]].is_id)
        ):
            self.error(
                "AWM2001",
                f"upsert keys ({', '.join(keys)}) must be `@unique` or a `@@unique` of `{entity.name}`",
                e.keys[0].span if e.keys else e.span,
                help=f"add `@@unique({', '.join(keys)})` to `{entity.name}`",
            )
        self.check_assigns(entity, e.on_conflict, ctx.with_row(entity.name))
        return entity_t(entity.name)

    def entity_named(self, ident: n.Ident) -> EntityInfo | None:
        if ident.name not in self.entities:
            self.error(
                "AWM1006", f"unknown entity `{ident.name}`", ident.span, help=did_you_mean(ident.name, self.entities)
            )
            return None
        self.used.add(ident.name)
        return self.entities[ident.name]

    def column_of(self, entity: EntityInfo, name: n.Ident) -> FieldInfo | None:
        """The stored field `name` of the entity, or None after reporting it unknown."""
        return column_of(entity, name, self.error)

    def check_field_values(self, entity: EntityInfo, values, ctx, span, require_all: bool):
        given = set()
        for fv in values:
            f = self.written_field(entity, fv.name, fv.value, ctx)
            if f is None:
                continue
            if f.name in given:
                self.error("AWM1001", f"`{f.name}` is given twice", fv.name.span)
            given.add(f.name)
            self.stored_value(f, fv.value, ctx)
        if require_all:
            self.check_all_given(entity, given, span)

    def written_field(self, entity: EntityInfo, name: n.Ident, value: n.Expr, ctx: Ctx) -> FieldInfo | None:
        """The stored field `name`, which `value` is written to; None if it is unknown (reported,
        and the value checked all the same, for its own errors)."""
        f = self.column_of(entity, name)
        if f is None:
            self.expr(value, ctx)
        return f

    def stored_value(self, f: FieldInfo, value: n.Expr, ctx: Ctx) -> None:
        """A value written to the field `f`: of its type (the enum member it stores is noted)."""
        t = self.expr(value, ctx, f.type)
        self.expect_assignable(t, f.type, value)
        self.note_enum_write(f.type, value)

    def check_all_given(self, entity: EntityInfo, given: set[str], span):
        """A new row has a value for each field without a default (or an optional or int key)."""
        missing = [
            f.name
            for f in entity.columns
            if f.name not in given
            and f.default is None
            and not f.type.optional
            and not (f.is_id and f.type.kind == "int")
        ]
        if missing:
            self.error(
                "AWM2004",
                f"`{entity.name}` needs {', '.join(f'`{m}`' for m in missing)}",
                span,
                help="give a value for each field that has no default and is not optional",
            )

    def query_entity(self, e: n.Expr, ctx: Ctx) -> tuple[T, EntityInfo | None]:
        t = self.expr(e, ctx)
        if t.kind == "query":
            return t, self.entities[t.elem.decl_name]
        if t.kind != "any":
            self.error("AWM2003", f"expected a query of rows (like `Product where ...`), got `{t}`", e.span)
        return ANY, None

    def unchecked(self, ctx: Ctx, *exprs: n.Expr | None) -> T:
        """Skip expressions over a source that already failed to check (its error is the one
        reported), but count the locals they name as read: no "never used" on top of it."""
        for x in walk(*exprs):
            if isinstance(x, (n.Name, n.OuterName)):
                self.note_read(ctx.scope.lookup(x.name))
        return ANY

    def e_Where(self, e: n.Where, ctx, expected):
        t, entity = self.query_entity(e.source, ctx)
        if entity is None:
            return self.unchecked(ctx, e.cond)
        row_ctx = ctx.with_row(entity.name)
        ct = self.expr(e.cond, row_ctx, BOOL)
        if ct.kind not in ("bool", "any"):
            self.error("AWM2001", f"`where` needs a condition (bool), got `{ct}`", e.cond.span)
        return t

    def e_OrderBy(self, e: n.OrderBy, ctx, expected):
        t, entity = self.query_entity(e.source, ctx)
        if entity is None:
            return self.unchecked(ctx, *(k.expr for k in e.keys))
        for key in e.keys:
            kt = self.expr(key.expr, ctx.with_row(entity.name))
            if kt.kind not in NUMERIC + ("text", "date", "datetime", "bool", "enum", "entity", "any"):
                self.error("AWM2001", f"cannot order by `{kt}`", key.expr.span)
        return t

    def e_Limit(self, e: n.Limit, ctx, expected):
        t, _entity = self.query_entity(e.source, ctx)
        ct = self.expr(e.count, ctx, INT)
        if ct.kind not in ("int", "any"):
            self.error("AWM2001", f"`limit` needs an int, got `{ct}`", e.count.span)
        return t

    e_Offset = e_Limit

    def e_GroupBy(self, e: n.GroupBy, ctx, expected):
        _t, entity = self.query_entity(e.source, ctx)
        if entity is None:
            return self.unchecked(ctx, *(a.value for a in e.aggregates))
        row_ctx = ctx.with_row(entity.name)
        fields = []
        for k in e.keys:
            f = self.column_of(entity, k)
            if f is None:
                continue
            fields.append(
                (
                    f.column if f.is_relation else f.name,
                    f.type if not f.is_relation else self.key_type(f.type.decl_name),
                )
            )
        for agg in e.aggregates:
            value = agg.value
            if not (isinstance(value, n.Call) and value.func.name in GROUP_AGGREGATES):
                self.error(
                    "AWM2001",
                    "each group field must be an aggregate: count(), sum(e), avg(e), min(e) or max(e)",
                    value.span,
                )
                continue
            fields.append((agg.name.name, self.group_aggregate(value, row_ctx)))
        return list_of(T("record", None, fields=tuple(fields)))

    def group_aggregate(self, call: n.Call, row_ctx: Ctx) -> T:
        fname = call.func.name
        if fname == "count":
            if call.args:
                self.error("AWM2002", "`count()` in a group takes no arguments", call.span)
            self.types[call] = INT
            return INT
        if len(call.args) != 1:
            self.error("AWM2002", f"`{fname}(e)` in a group takes one expression", call.span)
            return ANY
        t = self.expr(call.args[0], row_ctx).required()
        result = FLOAT if fname == "avg" and t.kind != "decimal" else t
        if not is_numeric(t) and not (fname in ("min", "max") and t.kind in ("text", "date", "datetime")):
            self.error("AWM2001", f"`{fname}` needs numbers, got `{t}`", call.args[0].span)
        result = result.opt(fname != "count")
        self.types[call] = result
        return result


GROUP_AGGREGATES = ("count", "sum", "avg", "min", "max")
