"""The checker's shared state (one place: `CheckerState`), scopes, and the names and helpers every pass uses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import nodes as n
from ..diagnostics import Diagnostic, did_you_mean
from ..types import (
    ANY,
    Binding,
    EntityInfo,
    FieldInfo,
    InvariantInfo,
    RecordInfo,
    SeedInfo,
    T,
    TaskInfo,
    ToolInfo,
    UnionInfo,
)

if TYPE_CHECKING:
    from ..constants import Constants

DEFAULT_CLOCK = "2025-01-01 09:00:00"


RESERVED = {"me", "true", "false", "null", "id_", "rt", "args"}


BINDING_KINDS = {"param": "parameter", "loop": "loop variable", "query_let": "query", "row": "row"}  # in messages


def valid_sql_name(name: str) -> bool:
    """A table or column name we can always quote: printable, no quotes or NUL."""
    return bool(name) and len(name) <= 128 and name.isprintable() and '"' not in name


SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def column_of(entity: EntityInfo, name: n.Ident, error) -> FieldInfo | None:
    """The stored field `name` of the entity, or None after reporting it unknown to `error`."""
    f = entity.fields.get(name.name)
    if f is None or not f.is_column:
        error(
            "AWM1003",
            f"unknown field `{name.name}` on `{entity.name}`",
            name.span,
            help=did_you_mean(name.name, [x.name for x in entity.columns]),
        )
        return None
    return f


@dataclass
class Scope:
    vars: dict[str, Binding] = field(default_factory=dict)
    parent: Scope | None = None

    def lookup(self, name: str) -> Binding | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.vars:
                return scope.vars[name]
            scope = scope.parent
        return None

    def child(self) -> Scope:
        return Scope(parent=self)

    def names(self) -> set[str]:
        out = set()
        scope: Scope | None = self
        while scope is not None:
            out |= set(scope.vars)
            scope = scope.parent
        return out


@dataclass(frozen=True)
class Ctx:
    scope: Scope
    rows: tuple[str, ...] = ()  # entity of each enclosing query row, innermost last
    tool: ToolInfo | None = None
    row_vars: tuple[str | None, ...] = ()  # the name bound to each row (`all Product p`), if any

    def with_row(self, entity: str, var: str | None = None) -> Ctx:
        return Ctx(self.scope, self.rows + (entity,), self.tool, self.row_vars + (var,))

    def with_scope(self, scope: Scope) -> Ctx:
        return Ctx(scope, self.rows, self.tool, self.row_vars)


class CheckerState:
    """Everything the checker knows, shared by all of its mixins (none keeps state of its own).

    The Model is made of the tables, filled in pass order: `collect` names the types and tools,
    `resolve_types` gives fields their types, then tools, seeds, invariants and tasks are checked."""

    def __init__(self) -> None:
        self.diags: list[Diagnostic] = []  # every diagnostic of the phase, in the order found
        self.file_of: dict[Any, str] = {}  # top-level declaration -> the file it is in
        # the declarations, as the Model holds them
        self.env: n.EnvDecl | None = None  # the first `env` header
        self.enums: dict[str, list[str]] = {}  # enum -> its members, in order
        self.enum_decls: dict[str, n.EnumDecl] = {}
        self.type_spans: dict[str, n.Span] = {}  # type or tool name -> where it is declared
        self.records: dict[str, RecordInfo] = {}
        self.unions: dict[str, UnionInfo] = {}
        self.entities: dict[str, EntityInfo] = {}
        self.tools: dict[str, ToolInfo] = {}
        self.seeds: list[SeedInfo] = []
        self.invariants: list[InvariantInfo] = []
        self.tasks: list[TaskInfo] = []
        self.user_entity: str | None = None  # the env's `user`
        self.user_unresolved = False  # `user` names no entity: already reported, so `me` stays silent
        self.clock = DEFAULT_CLOCK  # the env's `clock`: what now() is in seeds
        # what each expression is, for lowering
        self.types: dict[Any, T] = {}  # expression (or a typed `let`) -> its type
        self.bindings: dict[Any, Binding] = {}  # name -> what it refers to
        self.row_dependent: set[int] = set()  # id() of the expressions that read a query's row
        self.constants: dict[Any, Any] = {}  # constant sub-expression of a `@check`/invariant -> value
        # for the warnings
        self.used: set[str] = set()  # types named anywhere (AWM4001)
        self.enum_writes: dict[str, set[str] | object] = {}  # enum -> members stored, or ALL_MEMBERS (AWM4005)
        self.local_reads: set[int] = set()  # id() of the `let`s read (AWM4002)
        # while checking one tool
        self.shadowed: list = []  # (name, entity): a field read where a parameter has its name (AWM4004)
        self.outer_names: set[str] = set()  # the names written `$name`
        self._returns: list[T] = []  # the type of each `return`: the tool's, without a declared one
        self._declared_return: T | None = None
        self.in_task = False  # checking a task's `expect` (where `before(...)` is allowed)

    if TYPE_CHECKING:
        # The methods one part calls on another, declared here for the type checker (which
        # checks each part's definition against its declaration): the mixins inherit
        # `CheckerState`, so each sees the state and these, and nothing else of the others.
        def block(self, block: n.Block, ctx: Ctx) -> bool: ...  # statements
        def check_assigns(self, e: EntityInfo, assigns: tuple[n.Assign, ...], ctx: Ctx) -> None: ...
        def written_field(self, entity: EntityInfo, name: n.Ident, value: n.Expr, ctx: Ctx) -> FieldInfo | None: ...
        def expr(self, e: n.Expr, ctx: Ctx, expected: T | None = None) -> T: ...  # expressions
        def expect_bool(self, e: n.Expr, ctx: Ctx) -> None: ...
        def expect_assignable(self, t: T, want: T, e: n.Expr) -> None: ...
        def note_read(self, b: Binding | None) -> None: ...
        def entity_named(self, ident: n.Ident) -> EntityInfo | None: ...  # queries
        def column_of(self, entity: EntityInfo, name: n.Ident) -> FieldInfo | None: ...
        def query_entity(self, e: n.Expr, ctx: Ctx) -> tuple[T, EntityInfo | None]: ...
        def stored_value(self, f: FieldInfo, value: n.Expr, ctx: Ctx) -> None: ...
        def unchecked(self, ctx: Ctx, *exprs: n.Expr | None) -> T: ...
        def resolve_type(self, ref: n.TypeRef, allow_many: bool = False) -> T: ...  # declarations
        def check_default(self, expr: n.Expr, t: T, name: str) -> Any: ...  # constants
        def const_value(self, expr: n.Expr, t: T, seed_clock: str | None = None) -> Any: ...
        def const_bounds(self, a: n.Attr) -> tuple[Any, ...] | None: ...
        def evaluator(self) -> Constants: ...
        def record_constants(self, *exprs: n.Expr | None) -> None: ...
        def note_enum_write(self, t: T, value: n.Expr) -> None: ...  # usage
        def note_member_stored(self, enum: str, member: str) -> None: ...

    def error(self, code: str, message: str, span: n.Span | None, help: str | None = None, notes=(), labels=()):
        self.diags.append(Diagnostic(code, message, span, "error", help, tuple(notes), tuple(labels)))

    def warn(self, code: str, message: str, span: n.Span | None, help: str | None = None):
        self.diags.append(Diagnostic(code, message, span, "warning", help))

    def key_type(self, entity: str) -> T:
        """The type of the entity's key; ANY if it has none (reported: AWM1012)."""
        key = self.entities[entity].key
        return key.type if key is not None else ANY

    def check_description(self, kind: str, decl, help: str):
        """A tool or invariant says what it is for: the agent, and whoever reads a failure, sees it."""
        if not decl.description:
            self.error("AWM1011", f"{kind} `{decl.name.name}` has no description", decl.name.span, help=help)
