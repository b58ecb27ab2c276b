"""CRUD tools: `tool x = get|list|create|update|delete Entity(...)` rewritten into params and a body."""

from __future__ import annotations

import copy

from .. import nodes as n
from ..diagnostics import did_you_mean
from ..types import (
    FieldInfo,
)
from .state import snake
from .walk import walk

CRUD_LIMIT_MAX = 200


class CrudMixin:
    def desugar_crud(self, decl: n.ToolDecl):
        """Rewrite `tool x = get|list|create|update|delete Entity(...)` into params and a body."""
        crud = decl.crud
        sp = crud.span
        ename = crud.entity.name
        if ename not in self.entities:
            self.error(
                "AWM1006", f"unknown entity `{ename}`", crud.entity.span, help=did_you_mean(ename, self.entities)
            )
            return None, None
        self.used.add(ename)
        e = self.entities[ename]
        if e.key is None:
            return None, None
        op = crud.op.name
        fields = []
        for ident in crud.fields or ():
            f = e.fields.get(ident.name)
            if f is None or not f.is_column:
                self.error(
                    "AWM1003",
                    f"unknown field `{ident.name}` on `{ename}`",
                    ident.span,
                    help=did_you_mean(ident.name, [x.name for x in e.columns]),
                )
                return None, None
            fields.append((ident, f))
        if crud.fields and op in ("get", "delete"):
            self.error("AWM2002", f"`{op}` takes no field list: it looks the row up by its key", crud.entity.span)
        key_param = f"{snake(ename)}_{e.key.name}"
        key_ref = n.TypeRef(e.key.type.kind, sp)
        ident = lambda s: n.Ident(s, sp)
        name = lambda s: n.Name(s, sp)
        outer = lambda s: n.OuterName(s, sp)
        row_query = n.Where(name(ename), n.Binary("==", name(e.key.name), outer(key_param), sp), sp)
        if crud.where is not None:
            row_query = n.Where(row_query, crud.where, sp)
        not_found = n.Fail(ident("not_found"), n.Template((f"{ename} ", outer(key_param), " not found"), sp), sp)
        params: list[n.Param] = []
        stmts: list = []

        def fetch_row():
            stmts.append(n.Let(ident("row"), None, n.Call(ident("first"), (row_query,), sp), sp))
            stmts.append(n.Require(n.IsNull(name("row"), True, sp), not_found, sp))

        def field_param(f: FieldInfo, optional: bool):
            tref = f.decl.type
            pname = f.column
            typ = n.TypeRef(tref.name, tref.span, tref.args, optional=optional or tref.optional)
            attrs = tuple(a for a in f.decl.attrs if a.name.name in ("range", "length"))
            return n.Param(ident(pname), typ, None, attrs, sp)

        def check_values(given: list[tuple[FieldInfo, bool]]):
            """A field's @check over itself alone, tested on its parameter before the write, so a
            refused value fails the call by name, not as a constraint violation."""
            for f, optional in given:
                for check in f.checks:
                    if f.column != f.name or any(
                        isinstance(x, (n.Name, n.OuterName)) and x.name != f.name for x in walk(check)
                    ):
                        continue  # reads other fields: the table's CHECK decides
                    fail = n.Fail(
                        ident("invalid_arguments"),
                        n.Template((f"`{f.name}` breaks the check on {ename}.{f.name}",), sp),
                        sp,
                    )
                    # a copy: the table's CHECK lowers the original, where the name is the field
                    test: n.Stmt = n.Require(copy.deepcopy(check), fail, sp)
                    if optional:
                        test = n.If(n.IsNull(name(f.name), True, sp), n.Block((test,), sp), None, sp)
                    stmts.append(test)

        if op == "get":
            params.append(n.Param(ident(key_param), key_ref, None, (), sp))
            fetch_row()
            stmts.append(n.Return(name("row"), sp))
        elif op == "delete":
            params.append(n.Param(ident(key_param), key_ref, None, (), sp))
            fetch_row()
            stmts.append(n.Delete(name("row"), sp))
            stmts.append(n.Return(n.RecordLit((n.FieldValue(ident("deleted"), outer(key_param), sp),), sp), sp))
        elif op == "list":
            cond = crud.where
            for _, f in fields:
                params.append(field_param(f, optional=True))
                test = n.Binary(
                    "or", n.IsNull(outer(f.column), False, sp), n.Binary("==", name(f.name), outer(f.column), sp), sp
                )
                cond = test if cond is None else n.Binary("and", cond, test, sp)
            params.append(
                n.Param(
                    ident("limit"),
                    n.TypeRef("int", sp),
                    n.Literal(50, "int", sp),
                    (n.Attr(ident("range"), (n.Literal(1, "int", sp), n.Literal(CRUD_LIMIT_MAX, "int", sp)), sp),),
                    sp,
                )
            )
            params.append(
                n.Param(
                    ident("offset"),
                    n.TypeRef("int", sp),
                    n.Literal(0, "int", sp),
                    (n.Attr(ident("range"), (n.Literal(0, "int", sp), n.Literal(None, "null", sp)), sp),),
                    sp,
                )
            )
            q: n.Expr = name(ename)
            if cond is not None:
                q = n.Where(q, cond, sp)
            q = n.OrderBy(q, (n.OrderKey(name(e.key.name), False, sp),), sp)
            q = n.Offset(n.Limit(q, outer("limit"), sp), outer("offset"), sp)
            stmts.append(n.Return(q, sp))
        elif op == "create":
            values = []
            for _, f in fields:
                optional = f.type.optional or isinstance(f.default, n.Call)
                p = field_param(f, optional=optional)
                value: n.Expr = outer(f.column)
                if isinstance(f.default, n.Call):  # now()/today(): evaluated per call
                    value = n.Call(ident("coalesce"), (value, f.default), sp)
                elif f.default is not None:
                    p = n.Param(p.name, p.type, f.default, p.attrs, sp)
                params.append(p)
                values.append(n.FieldValue(ident(f.name), value, sp))
            for a in crud.with_values:
                values.append(n.FieldValue(a.name, a.value, a.span))
            if crud.where is not None:
                self.error(
                    "AWM2002", "`create` takes no `where`; use `with field = value` to set fields", crud.where.span
                )
            check_values([(f, f.type.optional or isinstance(f.default, n.Call)) for _, f in fields])
            stmts.append(n.Return(n.Insert(crud.entity, tuple(values), sp), sp))
        elif op == "update":
            params.append(n.Param(ident(key_param), key_ref, None, (), sp))
            fetch_row()
            assigns = []
            for _, f in fields:
                params.append(field_param(f, optional=True))
                assigns.append(
                    n.Assign(ident(f.name), n.Call(ident("coalesce"), (outer(f.column), name(f.name)), sp), sp)
                )
            assigns.extend(crud.with_values)
            if not assigns:
                self.error("AWM2002", "`update` needs fields to update: `update Entity(field, ...)`", crud.entity.span)
                return None, None
            check_values([(f, True) for _, f in fields])
            stmts.append(n.Update(name("row"), tuple(assigns), sp))
            stmts.append(n.Return(name("row"), sp))
        if crud.with_values and op not in ("create", "update"):
            self.error("AWM2002", f"`with` only applies to create and update, not `{op}`", crud.with_values[0].span)
        return params, n.Block(tuple(stmts), sp)
