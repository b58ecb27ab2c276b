"""The `Checker`, composed of one mixin per pass, and `check`, the phase's entry point."""

from __future__ import annotations

from .. import nodes as n
from ..diagnostics import Diagnostic
from ..types import Model
from .builtins import BuiltinsMixin
from .const import ConstantsMixin
from .declarations import DeclarationsMixin
from .expressions import ExpressionsMixin
from .queries import QueriesMixin
from .seeds import SeedsMixin
from .state import CheckerState
from .statements import StatementsMixin
from .tasks import TasksMixin
from .tools import ToolsMixin
from .usage import UsageMixin


class Checker(
    DeclarationsMixin,
    ConstantsMixin,
    ToolsMixin,
    StatementsMixin,
    ExpressionsMixin,
    QueriesMixin,
    BuiltinsMixin,
    TasksMixin,
    SeedsMixin,
    UsageMixin,
    CheckerState,
):
    def run(self, modules: list[n.Module]) -> Model | None:
        """Check the declarations of `modules`: first the types (env, enums, entities, records,
        unions), then each tool, seed, invariant and task against them, in declaration order."""
        decls = [d for m in modules for d in m.decls]
        self.file_of = {d: m.path for m in modules for d in m.decls}
        self.collect(decls)
        self.resolve_types(decls)
        for entity in self.entities.values():
            self.check_entity_exprs(entity)
            self.check_owner(entity)
        for decl in decls:
            if isinstance(decl, n.ToolDecl):
                self.check_tool(decl)
        for decl in decls:
            if isinstance(decl, n.SeedDecl):
                self.check_seed(decl)
        for decl in decls:
            if isinstance(decl, n.Invariant) and self.first_of_its_name(decl, self.invariants):
                self.check_invariant(decl)
        for decl in decls:
            if isinstance(decl, n.Task) and self.first_of_its_name(decl, self.tasks):
                self.check_task(decl)
        self.report_unused()
        if any(d.is_error for d in self.diags):
            return None
        return self.model(modules)

    def model(self, modules: list[n.Module]) -> Model | None:
        """The checked declarations as a Model. After `run` found errors this is a partial model
        (None without an env header): only for finding the lowering errors of the declarations
        that checked cleanly, in the same pass."""
        env = self.env
        if env is None:
            return None
        props = {p.key.name: p.value for p in env.props}
        return Model(
            name=env.name.name,
            title=env.title or env.name.name,
            description=props.get("description", ""),
            user_entity=self.user_entity,
            clock=self.clock,
            enums=self.enums,
            records=self.records,
            unions=self.unions,
            entities=self.entities,
            tools=self.tools,
            seeds=self.seeds,
            types=self.types,
            bindings=self.bindings,
            row_dependent=self.row_dependent,
            constants=self.constants,
            source_files=[m.path for m in modules],
            invariants=self.invariants,
            tasks=self.tasks,
        )


def check(modules: list[n.Module], partial: bool = False) -> tuple[Model | None, list[Diagnostic]]:
    """The Model and the diagnostics; with errors the model is None, or with `partial` the
    partial model (see `Checker.model`)."""
    checker = Checker()
    model = checker.run(modules)
    if model is None and partial:
        model = checker.model(modules)
    return model, checker.diags
