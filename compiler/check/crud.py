"""CRUD tools: `tool x = get|list|create|update|delete Entity(...)` rewritten into parameters and
a body, which the checker then checks as it checks any tool (`desugar_crud`).

A pass of its own: it reads the one-line declaration (`n.Crud`) and the entities with their
fields resolved, and gives the parameters and the body as nodes, or None when the declaration
cannot make a tool. What is wrong with it goes to `error`, the checker's.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TypeGuard

from ...text import snake
from .. import nodes as n
from ..diagnostics import did_you_mean
from ..types import EntityInfo, FieldInfo
from .state import column_of
from .walk import walk

CRUD_LIMIT_MAX = 200


def desugar_crud(
    crud: n.Crud, entities: dict[str, EntityInfo], error: Callable[..., None]
) -> tuple[list[n.Param], n.Block] | None:
    """The parameters and body of a CRUD tool, or None after reporting why it has none."""
    entity = crud_entity(crud, entities, error)
    if entity is None:
        return None
    fields = []
    for ident in crud.fields or ():
        f = column_of(entity, ident, error)
        if f is None:
            return None
        fields.append(f)
    op = crud.op.name
    if crud.fields and op in ("get", "delete"):
        error("AWM2002", f"`{op}` takes no field list: it looks the row up by its key", crud.entity.span)
    tool = CrudTool(crud, entity, fields, error)
    build = getattr(tool, f"build_{op}", None)
    if build is not None and build() is False:
        return None
    if crud.with_values and op not in ("create", "update"):
        error("AWM2002", f"`with` only applies to create and update, not `{op}`", crud.with_values[0].span)
    return tool.params, n.Block(tuple(tool.stmts), crud.span)


def crud_entity(crud: n.Crud, entities: dict[str, EntityInfo], error) -> EntityInfo | None:
    """The entity the tool works on; None if it is unknown or has no key (reported already)."""
    ename = crud.entity.name
    if ename not in entities:
        error("AWM1006", f"unknown entity `{ename}`", crud.entity.span, help=did_you_mean(ename, entities))
        return None
    entity = entities[ename]
    return entity if entity.key is not None else None


def per_call_default(default: n.Expr | None) -> TypeGuard[n.Call]:
    """A default like `now()` or `today()`: evaluated at each call, so the parameter is optional."""
    return isinstance(default, n.Call)


class CrudTool:
    """The parameters and statements of one CRUD tool, built by the method of its operation
    (`build_get` ... `build_delete`). Every node it makes carries the declaration's span."""

    def __init__(self, crud: n.Crud, entity: EntityInfo, fields: list[FieldInfo], error):
        self.crud, self.entity, self.fields, self.error = crud, entity, fields, error
        self.sp = crud.span
        assert entity.key is not None  # `crud_entity` gives only an entity with a key
        self.key: FieldInfo = entity.key
        self.key_param = f"{snake(entity.name)}_{self.key.name}"
        self.params: list[n.Param] = []
        self.stmts: list = []

    # ---- nodes at the declaration's span
    def ident(self, s: str) -> n.Ident:
        return n.Ident(s, self.sp)

    def name(self, s: str) -> n.Name:
        return n.Name(s, self.sp)

    def outer(self, s: str) -> n.OuterName:
        return n.OuterName(s, self.sp)

    def int_param(self, name: str, default: int, low: int, high: int | None) -> n.Param:
        """`name: int = default @range(low, high)`; a `high` of None is no upper bound."""
        sp = self.sp
        bounds = (n.Literal(low, "int", sp), n.Literal(high, "int" if high is not None else "null", sp))
        return n.Param(
            self.ident(name),
            n.TypeRef("int", sp),
            n.Literal(default, "int", sp),
            (n.Attr(self.ident("range"), bounds, sp),),
            sp,
        )

    # ---- pieces the operations share
    def add_key_param(self):
        """The parameter naming the row by its key: `<entity>_<key>`."""
        self.params.append(
            n.Param(self.ident(self.key_param), n.TypeRef(self.key.type.kind, self.sp), None, (), self.sp)
        )

    def fetch_row(self):
        """`let row = first(the row with the key)`, failing `not_found` without it."""
        sp, ename, key = self.sp, self.entity.name, self.outer(self.key_param)
        row_query = n.Where(self.name(ename), n.Binary("==", self.name(self.key.name), key, sp), sp)
        if self.crud.where is not None:
            row_query = n.Where(row_query, self.crud.where, sp)
        not_found = n.Fail(
            self.ident("not_found"), n.Template((f"{ename} ", self.outer(self.key_param), " not found"), sp), sp
        )
        self.stmts.append(n.Let(self.ident("row"), None, n.Call(self.ident("first"), (row_query,), sp), sp))
        self.stmts.append(n.Require(n.IsNull(self.name("row"), True, sp), not_found, sp))

    def field_param(self, f: FieldInfo, optional: bool) -> n.Param:
        """The parameter that gives a field's value: named by its column, with its bounds."""
        tref = f.declared.type
        typ = n.TypeRef(tref.name, tref.span, tref.args, optional=optional or tref.optional)
        attrs = tuple(a for a in f.declared.attrs if a.name.name in ("range", "length"))
        return n.Param(self.ident(f.column), typ, None, attrs, self.sp)

    def check_values(self, given: list[tuple[FieldInfo, bool]]):
        """A field's @check over itself alone, tested on its parameter before the write, so a
        refused value fails the call by name, not as a constraint violation."""
        sp = self.sp
        for f, optional in given:
            for check in f.checks:
                if f.column != f.name or any(
                    isinstance(x, (n.Name, n.OuterName)) and x.name != f.name for x in walk(check)
                ):
                    continue  # reads other fields: the table's CHECK decides
                fail = n.Fail(
                    self.ident("invalid_arguments"),
                    n.Template((f"`{f.name}` breaks the check on {self.entity.name}.{f.name}",), sp),
                    sp,
                )
                # a copy: the table's CHECK lowers the original, where the name is the field
                test: n.Stmt = n.Require(copy.deepcopy(check), fail, sp)
                if optional:
                    test = n.If(n.IsNull(self.name(f.name), True, sp), n.Block((test,), sp), None, sp)
                self.stmts.append(test)

    # ---- the operations
    def build_get(self):
        self.add_key_param()
        self.fetch_row()
        self.stmts.append(n.Return(self.name("row"), self.sp))

    def build_delete(self):
        sp = self.sp
        self.add_key_param()
        self.fetch_row()
        self.stmts.append(n.Delete(self.name("row"), sp))
        deleted = n.RecordLit((n.FieldValue(self.ident("deleted"), self.outer(self.key_param), sp),), sp)
        self.stmts.append(n.Return(deleted, sp))

    def build_list(self):
        """The rows that match every field given (an omitted one matches any), in key order, a page."""
        sp = self.sp
        cond = self.crud.where
        for f in self.fields:
            self.params.append(self.field_param(f, optional=True))
            test = n.Binary(
                "or",
                n.IsNull(self.outer(f.column), False, sp),
                n.Binary("==", self.name(f.name), self.outer(f.column), sp),
                sp,
            )
            cond = test if cond is None else n.Binary("and", cond, test, sp)
        self.params.append(self.int_param("limit", 50, 1, CRUD_LIMIT_MAX))
        self.params.append(self.int_param("offset", 0, 0, None))
        q: n.Expr = self.name(self.entity.name)
        if cond is not None:
            q = n.Where(q, cond, sp)
        q = n.OrderBy(q, (n.OrderKey(self.name(self.key.name), False, sp),), sp)
        q = n.Offset(n.Limit(q, self.outer("limit"), sp), self.outer("offset"), sp)
        self.stmts.append(n.Return(q, sp))

    def build_create(self):
        sp = self.sp
        values = [self.created_value(f) for f in self.fields]
        values.extend(n.FieldValue(a.name, a.value, a.span) for a in self.crud.with_values)
        if self.crud.where is not None:
            self.error(
                "AWM2002", "`create` takes no `where`; use `with field = value` to set fields", self.crud.where.span
            )
        self.check_values([(f, f.type.optional or per_call_default(f.default)) for f in self.fields])
        self.stmts.append(n.Return(n.Insert(self.crud.entity, tuple(values), sp), sp))

    def created_value(self, f: FieldInfo) -> n.FieldValue:
        """A field's value in `create`: its parameter (added here), or else its default."""
        sp = self.sp
        p = self.field_param(f, optional=f.type.optional or per_call_default(f.default))
        value: n.Expr = self.outer(f.column)
        if per_call_default(f.default):
            value = n.Call(self.ident("coalesce"), (value, f.default), sp)
        elif f.default is not None:
            p = n.Param(p.name, p.type, f.default, p.attrs, sp)
        self.params.append(p)
        return n.FieldValue(self.ident(f.name), value, sp)

    def build_update(self) -> bool:
        """False, after reporting it, if there is nothing to update."""
        sp = self.sp
        self.add_key_param()
        self.fetch_row()
        assigns = []
        for f in self.fields:
            self.params.append(self.field_param(f, optional=True))
            given = n.Call(self.ident("coalesce"), (self.outer(f.column), self.name(f.name)), sp)
            assigns.append(n.Assign(self.ident(f.name), given, sp))
        assigns.extend(self.crud.with_values)
        if not assigns:
            self.error("AWM2002", "`update` needs fields to update: `update Entity(field, ...)`", self.crud.entity.span)
            return False
        self.check_values([(f, True) for f in self.fields])
        self.stmts.append(n.Update(self.name("row"), tuple(assigns), sp))
        self.stmts.append(n.Return(self.name("row"), sp))
        return True
