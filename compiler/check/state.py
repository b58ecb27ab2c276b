"""The checker's shared state (one place: `CheckerState`), scopes and the names every pass uses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .. import nodes as n
from ..diagnostics import Diagnostic
from ..types import (
    Binding,
    EntityInfo,
    InvariantInfo,
    RecordInfo,
    SeedInfo,
    T,
    TaskInfo,
    ToolInfo,
    UnionInfo,
)

DEFAULT_CLOCK = "2025-01-01 09:00:00"


RESERVED = {"me", "true", "false", "null", "id_", "rt", "args"}


BINDING_KINDS = {"param": "parameter", "loop": "loop variable", "query_let": "query", "row": "row"}  # in messages


def valid_sql_name(name: str) -> bool:
    """A table or column name we can always quote: printable, no quotes or NUL."""
    return bool(name) and len(name) <= 128 and name.isprintable() and '"' not in name


SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


@dataclass
class Scope:
    vars: dict[str, Binding] = field(default_factory=dict)
    parent: Scope | None = None

    def lookup(self, name: str) -> Binding | None:
        scope = self
        while scope is not None:
            if name in scope.vars:
                return scope.vars[name]
            scope = scope.parent
        return None

    def child(self) -> Scope:
        return Scope(parent=self)

    def names(self) -> set[str]:
        out = set()
        scope = self
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
    def __init__(self):
        self.diags: list[Diagnostic] = []
        self.types: dict[Any, T] = {}
        self.bindings: dict[Any, Binding] = {}
        self.row_dependent: set[int] = set()
        self.env: n.EnvDecl | None = None
        self.enums: dict[str, list[str]] = {}
        self.enum_decls: dict[str, n.EnumDecl] = {}
        self.type_spans: dict[str, n.Span] = {}
        self.records: dict[str, RecordInfo] = {}
        self.unions: dict[str, UnionInfo] = {}
        self.entities: dict[str, EntityInfo] = {}
        self.tools: dict[str, ToolInfo] = {}
        self.seeds: list[SeedInfo] = []
        self.used: set[str] = set()
        self.user_entity: str | None = None
        self.user_unresolved = False  # `user` names no entity: already reported, so `me` stays silent
        self.clock = DEFAULT_CLOCK
        self.local_reads: set[int] = set()
        self.shadowed: list = []
        self.outer_names: set[str] = set()
        self.invariants: list[InvariantInfo] = []
        self.tasks: list[TaskInfo] = []
        self.in_task = False
        self.enum_writes: dict[str, set[str] | object] = {}
        self.file_of: dict[Any, str] = {}  # top-level declaration -> the file it is in

    def error(self, code: str, message: str, span: n.Span | None, help: str | None = None, notes=(), labels=()):
        self.diags.append(Diagnostic(code, message, span, "error", help, tuple(notes), tuple(labels)))

    def warn(self, code: str, message: str, span: n.Span | None, help: str | None = None):
        self.diags.append(Diagnostic(code, message, span, "warning", help))
