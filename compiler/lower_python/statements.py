"""Statements in handlers: blocks, let, require, if, for, match, update and delete."""

from __future__ import annotations

from sqlglot import exp

from .. import nodes as n
from ..lower_sql import col, ident, table
from .expressions import Expressions
from .snippets import coerce_code, negated


class Emitter(Expressions):
    """Writes one generated function: statements here, expressions, builtin calls and the
    plumbing in the classes below it (expressions.py, calls.py, core.py)."""

    def block(self, block: n.Block, depth: int):
        start = len(self.lines)
        for s in block.stmts:
            self.stmt(s, depth)
        if len(self.lines) == start:
            self.emit(depth, "pass")

    def stmt(self, s, depth: int):
        sp = s.span
        if isinstance(s, n.Let):
            if s.type is None and self.t(s.value).kind == "query":
                return  # a query let is inlined where it is used
            value = self.expr(s.value)
            if s.type is not None:
                value = coerce_code(value, self.t(s.value), self.model.types[s])
            self.emit(depth, f"v_{s.name.name} = {value}", sp)
        elif isinstance(s, n.Reassign):
            b = self.model.bindings[s]
            self.emit(depth, f"v_{s.name.name} = {coerce_code(self.expr(s.value), self.t(s.value), b.type)}", sp)
        elif isinstance(s, n.Require):
            self.emit(depth, f"if {negated(self.expr(s.cond))}:", sp)
            self.stmt(s.fail, depth + 1)
        elif isinstance(s, n.Fail):
            self.emit(depth, f"raise Fail({s.code.name!r}, {self.expr(s.message)})", sp)
        elif isinstance(s, n.If):
            self.if_chain(s, depth, "if")
        elif isinstance(s, n.For):
            iterable = self.loop_keys(s.iterable)
            if s.index is not None:
                self.emit(depth, f"for v_{s.index.name}, v_{s.var.name} in enumerate({iterable}):", sp)
            else:
                self.emit(depth, f"for v_{s.var.name} in {iterable}:", sp)
            self.block(s.body, depth + 1)
        elif isinstance(s, n.Update):
            self.update(s, depth)
        elif isinstance(s, n.Delete):
            self.delete(s, depth)
        elif isinstance(s, n.ExprStmt):
            self.emit(depth, self.expr(s.expr), sp)
        elif isinstance(s, n.Return):
            self.emit(depth, f"return {self.output(s.value)}", sp)
        elif isinstance(s, n.Match):
            subject = self.fresh("m")
            self.emit(depth, f"{subject} = {self.expr(s.subject)}", sp)
            for i, arm in enumerate(s.arms):
                kw = "if" if i == 0 else "elif"
                self.emit(depth, f"{kw} {subject}.get('kind') == {arm.variant.name!r}:", arm.span)
                self.emit(depth + 1, f"v_{arm.var.name} = {subject}", arm.span)
                self.block(arm.body, depth + 1)
        else:
            raise AssertionError(type(s).__name__)

    def if_chain(self, s: n.If, depth: int, kw: str):
        self.emit(depth, f"{kw} {self.expr(s.cond)}:", s.span)
        self.block(s.then, depth + 1)
        if isinstance(s.orelse, n.If):
            self.if_chain(s.orelse, depth, "elif")
        elif s.orelse is not None:
            self.emit(depth, "else:", s.orelse.span)
            self.block(s.orelse, depth + 1)

    def target_keys(self, target: n.Expr) -> tuple[bool, str, exp.Expression | None, list[str]]:
        """(single, key code or '', key subquery, params) for an update/delete target."""
        t = self.t(target)
        if t.kind == "entity":
            return True, self.expr(target), None, []
        c = self.compiler()
        select = c.select(target, "keys")
        return False, "", select, c.params

    def update(self, s: n.Update, depth: int):
        t = self.t(s.target)
        entity = self.model.entities[t.decl_name if t.kind == "entity" else t.elem.decl_name]
        single, key, subquery, sub_params = self.target_keys(s.target)
        if single:
            const, params = self.update_by_key(entity, s.assigns, key)
            self.emit(depth, f"execute(db, {const}, {params})", s.span)
            return
        c = self.compiler()
        fields = [entity.fields[a.name.name] for a in s.assigns]
        sets = [
            exp.EQ(this=col(f.column), expression=c.assigned(a.value, f.type, ["u"], [entity.name]))
            for f, a in zip(fields, s.assigns)
        ]
        statement = exp.Update(
            this=table(entity, "u"),
            expressions=sets,
            where=exp.Where(this=exp.In(this=col(entity.id_field.column, "u"), query=exp.Subquery(this=subquery))),
        )
        const, params = self.run_sql(statement, c.params + sub_params)
        self.emit(depth, f"execute(db, {const}, {params})", s.span)

    def delete(self, s: n.Delete, depth: int):
        t = self.t(s.target)
        entity = self.model.entities[t.decl_name if t.kind == "entity" else t.elem.decl_name]
        single, key, subquery, params = self.target_keys(s.target)
        condition = (
            exp.EQ(this=col(entity.id_field.column), expression=exp.Placeholder())
            if single
            else exp.In(this=col(entity.id_field.column), query=exp.Subquery(this=subquery))
        )
        statement = exp.Delete(this=exp.Table(this=ident(entity.table)), where=exp.Where(this=condition))
        const, args = self.run_sql(statement, [key] if single else params)
        self.emit(depth, f"execute(db, {const}, {args})", s.span)
