"""Invariants and tasks (their solutions and expects)."""

from __future__ import annotations

from .. import nodes as n
from ..diagnostics import did_you_mean
from ..types import JSON, TEXT, Binding, InvariantInfo, TaskInfo, ToolInfo
from .state import CheckerState, Ctx, Scope
from .walk import walk

# what any tool can fail with besides its own `fail` codes: a key that does not exist,
# arguments of the wrong shape
RUNTIME_FAIL_CODES = ("not_found", "invalid_arguments")


class TasksMixin(CheckerState):
    """Invariants (conditions over rows that hold for every user at every time) and tasks."""

    def first_of_its_name(self, decl, checked: list) -> bool:
        name = decl.name.name
        if any(c.name == name for c in checked):
            kind = "invariant" if isinstance(decl, n.Invariant) else "task"
            self.error("AWM1001", f"{kind} `{name}` is declared twice", decl.name.span)
            return False
        return True

    def check_invariant(self, decl: n.Invariant):
        name = decl.name.name
        self.check_description(
            "invariant", decl, f'say what must hold: invariant {name} "Stock is never negative": ...'
        )
        ctx = Ctx(Scope(), (), None)
        entity = None
        if decl.entity is not None:
            e = self.entity_named(decl.entity)
            if e is None:
                return
            entity = e.name
            ctx = ctx.with_row(entity, decl.var.name if decl.var is not None else None)  # set with `entity`
            if decl.where is not None:
                self.expect_bool(decl.where, ctx)
        self.expect_bool(decl.body, ctx)
        self.record_constants(decl.body, decl.where)
        for node in walk(decl.body, decl.where):
            if isinstance(node, n.Me) or isinstance(node, n.Call) and node.func.name in ("now", "today"):
                self.error(
                    "AWM2013",
                    "an invariant must hold for every user at every time: "
                    f"`{'me' if isinstance(node, n.Me) else node.func.name + '()'}` is not allowed in it",
                    node.span,
                )
        reads = self.entities_read(decl.body, decl.where) | ({entity} if entity else set())
        self.invariants.append(InvariantInfo(name, decl.description or "", entity, decl, tuple(sorted(reads))))

    def entities_read(self, *exprs: n.Expr | None) -> set[str]:
        """The entities whose rows these checked expressions read: every row, query or list of
        rows among their nodes (a related row, `order.items`, `Product where ...`)."""
        read = set()
        for node in walk(*exprs):
            t = self.types.get(node)
            while t is not None and t.kind in ("query", "list"):
                t = t.elem
            if t is not None and t.kind == "entity":
                read.add(t.decl_name)
        return read

    def check_task(self, decl: n.Task):
        name = decl.name.name
        scope = Scope()
        for step in decl.solution or ():
            if isinstance(step, n.SolutionAnswer):
                self.expr(step.value, Ctx(scope))
                continue
            self.check_solution_call(step, scope)
        if not decl.expects:
            self.error(
                "AWM2014",
                f"task `{name}` has no `expect`, so any run would pass it",
                decl.name.span,
                help="add `expect <condition>` lines that only a correct run makes true",
            )
        expect_scope = Scope()
        expect_scope.vars["answer"] = Binding("answer", TEXT, "answer")
        self.in_task = True
        for e in decl.expects:
            self.expect_bool(e.cond, Ctx(expect_scope))
            if e.weight < 1:
                self.error("AWM2011", "an expect's weight must be at least 1", e.span)
        self.in_task = False
        self.tasks.append(TaskInfo(name, decl.instruction, decl))

    def check_solution_call(self, step: n.SolutionCall, scope: Scope):
        tool = self.tools.get(step.tool.name)
        if tool is None:
            self.error(
                "AWM1016",
                f"unknown tool `{step.tool.name}`",
                step.tool.span,
                help=did_you_mean(step.tool.name, self.tools),
            )
            return
        params = {p.name: p for p in tool.params}
        given = set()
        for arg in step.args:
            p = params.get(arg.name.name)
            if p is None:
                self.error(
                    "AWM1003",
                    f"`{tool.name}` has no parameter `{arg.name.name}`",
                    arg.name.span,
                    help=did_you_mean(arg.name.name, params),
                )
                self.expr(arg.value, Ctx(scope))
                continue
            given.add(p.name)
            t = self.expr(arg.value, Ctx(scope), p.type)
            if t.kind != "json":  # earlier results are JSON: checked when the call runs
                self.expect_assignable(t, p.type, arg.value)
        missing = [p.name for p in tool.params if p.required and p.name not in given]
        if missing:
            self.error("AWM2004", f"`{tool.name}` needs {', '.join(f'`{m}`' for m in missing)}", step.span)
        if step.fails is not None:
            self.check_failing_call(step, tool)
        elif step.var is not None:
            scope.vars[step.var.name] = Binding("result", JSON, step.var.name)

    def check_failing_call(self, step: n.SolutionCall, tool: ToolInfo):
        """`tool(...) fails code`: a code the tool can fail with, and no result to name."""
        assert step.fails is not None
        if step.var is not None:
            self.error(
                "AWM2011",
                f"a call that fails returns nothing for `{step.var.name}` to name",
                step.var.span,
                help=f"drop `let {step.var.name} =`",
            )
        codes = [*tool.fail_codes, *RUNTIME_FAIL_CODES]
        if step.fails.name not in codes:  # a warning: a mutant that drops the guard still compiles
            self.warn(
                "AWM4007",
                f"`{tool.name}` never fails with `{step.fails.name}`",
                step.fails.span,
                help=did_you_mean(step.fails.name, codes) or f"its codes: {', '.join(f'`{c}`' for c in codes)}",
            )
