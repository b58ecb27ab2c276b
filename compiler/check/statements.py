"""Statements of a tool's body: blocks, bindings, control flow, writes."""

from __future__ import annotations

from ...text import snake
from .. import nodes as n
from ..diagnostics import did_you_mean, with_article
from ..types import ANY, INT, TEXT, Binding, EntityInfo, FieldInfo, T
from .state import BINDING_KINDS, RESERVED, SNAKE_CASE, CheckerState, Ctx, Scope


class StatementsMixin(CheckerState):
    """`block` and `stmt` (an `s_<Node>` method per kind): each says whether every path through it ends."""

    def block(self, block: n.Block, ctx: Ctx) -> bool:
        """Check a block in a new scope. Returns True if every path through it ends (return/fail)."""
        scope = ctx.scope.child()
        inner = ctx.with_scope(scope)
        terminated = False
        warned = False
        for stmt in block.stmts:
            if terminated and not warned:
                self.warn(
                    "AWM4003",
                    "this statement can never run",
                    stmt.span,
                    help="it follows a `return` or `fail` in the same block",
                )
                warned = True
            terminated = self.stmt(stmt, inner) or terminated
        self.warn_unused_lets(block, scope)
        return terminated

    def warn_unused_lets(self, block: n.Block, scope: Scope):
        for stmt in block.stmts:
            if isinstance(stmt, n.Let) and id(stmt) not in self.local_reads and not stmt.name.name.startswith("_"):
                self.warn(
                    "AWM4002",
                    f"`{stmt.name.name}` is never used",
                    stmt.name.span,
                    help=f"remove it, or name it `_{stmt.name.name}`",
                )

    def stmt(self, s, ctx: Ctx) -> bool:
        """Check a statement (`s_<kind>`). Returns True if it ends every path (return/fail)."""
        method = getattr(self, "s_" + type(s).__name__, None)
        if method is None:
            raise AssertionError(f"unknown statement {type(s).__name__}")
        return bool(method(s, ctx))

    def s_Let(self, s: n.Let, ctx: Ctx):
        declared = self.resolve_type(s.type) if s.type is not None else None
        t = self.expr(s.value, ctx, declared)
        if declared is not None:
            self.expect_assignable(t, declared, s.value)
            t = declared
            self.types[s] = declared  # lowering converts the value to the declared type
        if t.kind == "void":
            self.error("AWM2001", "this expression gives no value to bind", s.value.span)
        if s.name.name in RESERVED:
            self.error("AWM1015", f"`{s.name.name}` is reserved", s.name.span)
        kind = "query_let" if t.kind == "query" else "local"
        ctx.scope.vars[s.name.name] = Binding(kind, t, s.name.name, mutable=kind == "local", query=s.value, target=s)

    def s_Reassign(self, s: n.Reassign, ctx: Ctx):
        b = ctx.scope.lookup(s.name.name)
        if b is None:
            self.error(
                "AWM1004",
                f"unknown variable `{s.name.name}`",
                s.name.span,
                help=did_you_mean(s.name.name, ctx.scope.names()) or f"declare it first: `let {s.name.name} = ...`",
            )
            self.expr(s.value, ctx)
            return
        if not b.mutable:
            self.error(
                "AWM2005",
                f"`{s.name.name}` is {with_article(BINDING_KINDS.get(b.kind, b.kind))} and cannot be reassigned",
                s.name.span,
                help=self.reassign_help(s.name.name, b),
            )
        t = self.expr(s.value, ctx, b.type)
        self.expect_assignable(t, b.type, s.value)
        self.bindings[s] = b

    def s_Require(self, s: n.Require, ctx: Ctx):
        self.expect_bool(s.cond, ctx)
        self.stmt(s.fail, ctx)
        self.narrow(s.cond, ctx.scope)  # after `require x is not null`, x is not null

    def s_Fail(self, s: n.Fail, ctx: Ctx) -> bool:
        t = self.expr(s.message, ctx, TEXT)
        if not SNAKE_CASE.fullmatch(s.code.name):
            self.warn(
                "AWM4006",
                f"fail code `{s.code.name}` is not snake_case",
                s.code.span,
                help=f"write `{snake(s.code.name)}`: agents and tasks see fail codes in snake_case",
            )
        if ctx.tool is not None and s.code.name not in ctx.tool.fail_codes:
            ctx.tool.fail_codes.append(s.code.name)
        if t.kind not in ("text", "any"):
            self.error("AWM2001", "a fail message must be text", s.message.span)
        return True

    def s_If(self, s: n.If, ctx: Ctx) -> bool:
        self.expect_bool(s.cond, ctx)
        then_scope = ctx.scope.child()
        self.narrow(s.cond, then_scope)
        a = self.block(s.then, ctx.with_scope(then_scope))
        if s.orelse is None:
            return False
        if isinstance(s.orelse, n.If):
            b = self.stmt(s.orelse, ctx)
        else:
            b = self.block(s.orelse, ctx)
        return a and b

    def s_For(self, s: n.For, ctx: Ctx):
        t = self.expr(s.iterable, ctx)
        if t.kind in ("list", "query"):
            elem = t.elem
        elif t.kind == "any":
            elem = ANY
        else:
            self.error("AWM2001", f"`for` needs a list or a query, got `{t}`", s.iterable.span)
            elem = ANY
        scope = ctx.scope.child()
        scope.vars[s.var.name] = Binding("loop", elem, s.var.name)
        if s.index is not None:
            scope.vars[s.index.name] = Binding("loop", INT, s.index.name)
        self.block(s.body, ctx.with_scope(scope))

    def s_Update(self, s: n.Update, ctx: Ctx):
        entity = self.target_entity(s.target, ctx, "update")
        if entity is not None:
            self.check_assigns(entity, s.assigns, ctx.with_row(entity.name))
        else:
            self.unchecked(ctx, *(a.value for a in s.assigns))

    def s_Delete(self, s: n.Delete, ctx: Ctx):
        self.target_entity(s.target, ctx, "delete")

    def s_ExprStmt(self, s: n.ExprStmt, ctx: Ctx):
        self.expr(s.expr, ctx)

    def s_Return(self, s: n.Return, ctx: Ctx) -> bool:
        expected = self._declared_return
        t = self.expr(s.value, ctx, expected)
        if expected is not None:
            self.expect_assignable(t, expected, s.value)
        self._returns.append(t)
        return True

    @staticmethod
    def reassign_help(name: str, b: Binding) -> str:
        if b.kind == "query_let" and b.type.kind == "query":
            entity = b.type.elem.name
            return (
                f"`let {name} = <query>` names the query itself; to choose a query in `if` branches, give the "
                f"variable a list type (it holds the rows): `let {name}: list<{entity}> = {entity} where ...`, "
                f"then `{name} = {entity} where ...` in a branch"
            )
        return f"copy it into a variable first: `let {name}2 = {name}`, then change `{name}2`"

    def narrow(self, cond, scope: Scope):
        """Record in `scope` that the variables `cond` tests with `is not null` are not null."""
        if isinstance(cond, n.Binary) and cond.op == "and":
            self.narrow(cond.left, scope)
            self.narrow(cond.right, scope)
        elif isinstance(cond, n.IsNull) and cond.negated and isinstance(cond.operand, (n.Name, n.OuterName)):
            b = self.bindings.get(cond.operand)
            if b is not None and b.kind in ("param", "local", "loop") and b.type.optional:
                scope.vars[b.name] = Binding(b.kind, b.type.required(), b.name, mutable=b.mutable, target=b.target)

    def s_Match(self, s: n.Match, ctx: Ctx) -> bool:
        t = self.expr(s.subject, ctx)
        if t.kind == "any":
            return False
        if t.kind != "union":
            self.error("AWM2008", f"`match` needs a union value, got `{t}`", s.subject.span)
            return False
        union = self.unions[t.decl_name]
        seen = set()
        all_end = True
        for arm in s.arms:
            v = arm.variant.name
            if v not in union.variants:
                self.error(
                    "AWM2008",
                    f"`{v}` is not a variant of `{t.name}`",
                    arm.variant.span,
                    help=did_you_mean(v, union.variants),
                )
                continue
            if v in seen:
                self.error("AWM2008", f"variant `{v}` is matched twice", arm.variant.span)
            seen.add(v)
            scope = ctx.scope.child()
            scope.vars[arm.var.name] = Binding(
                "loop", T("record", f"{t.name}.{v}"), arm.var.name, target=union.variants[v]
            )
            all_end = self.block(arm.body, ctx.with_scope(scope)) and all_end
        missing = [v for v in union.variants if v not in seen]
        if missing:
            self.error(
                "AWM2008",
                f"`match` does not handle {', '.join(f'`{m}`' for m in missing)}",
                s.span,
                help="add an arm for each variant",
            )
        return all_end and not missing

    def target_entity(self, target: n.Expr, ctx: Ctx, what: str) -> EntityInfo | None:
        t = self.expr(target, ctx)
        if t.kind == "any":
            return None
        if t.kind == "entity":
            return self.entities[t.decl_name]
        if t.kind == "query":
            return self.entities[t.elem.decl_name]
        self.error("AWM2006", f"`{what}` needs a row or a query of rows, got `{t}`", target.span)
        return None

    def check_assigns(self, e: EntityInfo, assigns: tuple[n.Assign, ...], ctx: Ctx) -> None:
        seen = set()
        for a in assigns:
            f = self.written_field(e, a.name, a.value, ctx)
            if f is None:
                continue
            if f.is_id:
                self.error("AWM2005", f"the key `{f.name}` of `{e.name}` cannot be changed", a.name.span)
            if f.name in seen:
                self.error("AWM1001", f"`{f.name}` is set twice", a.name.span)
            seen.add(f.name)
            self.stored_value(f, a.value, ctx)
            self.warn_field_kept(e, f, a.value, ctx)

    def warn_field_kept(self, e: EntityInfo, f: FieldInfo, value: n.Expr, ctx: Ctx):
        """`set total = total` where a local `total` exists: the field's own name reads the field."""
        local = ctx.scope.lookup(value.name) if isinstance(value, n.Name) and value.name == f.name else None
        if local is not None and local.kind in ("local", "loop"):
            self.warn(
                "AWM4004",
                f"`set {f.name} = {f.name}` keeps the field as it is: `{f.name}` here is the "
                f"field of `{e.name}`, not the local variable",
                value.span,
                help=f"write `${f.name}` to store the local variable",
            )
