"""Phase 2: resolve names and type-check a parsed spec, producing the Model (checked IR).

All errors of the phase are collected; lowering never sees a spec with errors.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ..runtime.support import CLOCK_FORMAT
from ..text import counted
from . import nodes as n
from .constants import NOT_CONST, Constants, const_number
from .diagnostics import Diagnostic, Label, did_you_mean, with_article
from .nodes import children
from .types import (
    ANY,
    BOOL,
    DATE,
    DATETIME,
    DECIMAL,
    DURATION,
    FLOAT,
    INT,
    JSON,
    NULL,
    NUMERIC,
    SCALARS,
    TEXT,
    VOID,
    Binding,
    EntityInfo,
    FieldInfo,
    InvariantInfo,
    Model,
    ParamInfo,
    RecordInfo,
    SeedInfo,
    SeedRef,
    T,
    TaskInfo,
    ToolInfo,
    UnionInfo,
    assignable,
    entity_t,
    is_numeric,
    list_of,
    numeric_join,
    query_of,
)

DEFAULT_CLOCK = "2025-01-01 09:00:00"
RESERVED = {"me", "true", "false", "null", "id_", "rt", "args"}
CRUD_LIMIT_MAX = 200


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


class Checker:
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

    # ---- reporting ------------------------------------------------------------------
    def error(self, code: str, message: str, span: n.Span | None, help: str | None = None, notes=(), labels=()):
        self.diags.append(Diagnostic(code, message, span, "error", help, tuple(notes), tuple(labels)))

    def warn(self, code: str, message: str, span: n.Span | None, help: str | None = None):
        self.diags.append(Diagnostic(code, message, span, "warning", help))

    # ---- entry ----------------------------------------------------------------------
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
            source_files=[m.path for m in modules],
            invariants=self.invariants,
            tasks=self.tasks,
        )

    def first_of_its_name(self, decl, checked: list) -> bool:
        name = decl.name.name
        if any(c.name == name for c in checked):
            kind = "invariant" if isinstance(decl, n.Invariant) else "task"
            self.error("AWM1001", f"{kind} `{name}` is declared twice", decl.name.span)
            return False
        return True

    # ---- pass 1: names ---------------------------------------------------------------
    def collect(self, decls):
        seen: dict[tuple[str, str], n.Ident] = {}
        envs = [d for d in decls if isinstance(d, n.EnvDecl)]
        if not envs:
            first = next((d for d in decls if hasattr(d, "span")), None)
            self.error(
                "AWM1009",
                "the spec has no `env` header",
                first.span if first else None,
                help='start the spec with `env name "Title" { description "..." }`',
            )
        for extra in envs[1:]:
            self.error(
                "AWM1009",
                f"a second `env` header `{extra.name.name}`",
                extra.name.span,
                help="a spec declares exactly one environment",
            )
        if envs:
            self.env = envs[0]
        for d in decls:
            if isinstance(d, (n.EnumDecl, n.RecordDecl, n.UnionDecl, n.EntityDecl)):
                key = ("type", d.name.name)
            elif isinstance(d, n.ToolDecl):
                key = ("tool", d.name.name)
            else:
                continue
            if key in seen:
                self.error(
                    "AWM1001",
                    f"`{d.name.name}` is declared twice",
                    d.name.span,
                    labels=[Label(seen[key].span, "first declared here")],
                )
                continue
            if key[0] == "type" and key[1] in SCALARS + ("list",):
                self.error("AWM1015", f"`{d.name.name}` is a built-in type name", d.name.span)
                continue
            seen[key] = d.name
            self.type_spans[d.name.name] = d.name.span
            if isinstance(d, n.EnumDecl):
                self.collect_enum(d)
            elif isinstance(d, n.EntityDecl):
                self.entities[d.name.name] = EntityInfo(d.name.name, snake(d.name.name), {}, d)
            elif isinstance(d, n.RecordDecl):
                self.records[d.name.name] = RecordInfo(d.name.name, {})
            elif isinstance(d, n.UnionDecl):
                self.unions[d.name.name] = UnionInfo(d.name.name, {})

    def collect_enum(self, d: n.EnumDecl):
        members = []
        for m in d.members:
            if m.name in members:
                self.error("AWM1001", f"enum member `{m.name}` is listed twice in `{d.name.name}`", m.span)
            else:
                members.append(m.name)
        self.enums[d.name.name] = members
        self.enum_decls[d.name.name] = d

    # ---- pass 2: types of fields -------------------------------------------------------
    def resolve_type(self, ref: n.TypeRef, allow_many: bool = False) -> T:
        if ref.many:
            if not allow_many:
                self.error("AWM1002", f"`{ref.name}[]` (rows pointing back) is only allowed on entity fields", ref.span)
                return ANY
            if ref.name not in self.entities:
                self.unknown_type(ref)
                return ANY
            self.used.add(ref.name)
            return query_of(ref.name)
        if ref.args:
            if ref.name == "map":
                self.error(
                    "AWM1002",
                    "there is no `map<K, V>` type",
                    ref.span,
                    help="use `json` for a free-form object, or a list of records: "
                    "`list<Entry>` with `record Entry { key: text  value: decimal }`",
                )
                return ANY
            if ref.name != "list":
                self.error(
                    "AWM1002",
                    f"unknown generic type `{ref.name}<...>`",
                    ref.span,
                    help="the only generic type is `list<T>`",
                )
                return ANY
            if len(ref.args) != 1:
                self.error(
                    "AWM1002", "`list` takes one element type", ref.span, help="write `list<int>` or `list<RecordName>`"
                )
                return ANY
            return T("list", args=(self.resolve_type(ref.args[0]),), optional=ref.optional)
        if ref.name in SCALARS:
            return T(ref.name, optional=ref.optional)
        for kind, table in (
            ("enum", self.enums),
            ("entity", self.entities),
            ("record", self.records),
            ("union", self.unions),
        ):
            if ref.name in table:
                self.used.add(ref.name)
                return T(kind, ref.name, optional=ref.optional)
        if ref.name == "list":
            self.error(
                "AWM1002",
                "`list` needs an element type",
                ref.span,
                help="write `list<int>`, `list<text>` or `list<RecordName>`",
            )
            return ANY
        self.unknown_type(ref)
        return ANY

    def unknown_type(self, ref: n.TypeRef):
        names = list(SCALARS) + list(self.enums) + list(self.entities) + list(self.records) + list(self.unions)
        self.error("AWM1002", f"unknown type `{ref.name}`", ref.span, help=did_you_mean(ref.name, names))

    def resolve_types(self, decls):
        for d in decls:
            if isinstance(d, n.RecordDecl) and d.name.name in self.records:
                self.records[d.name.name].fields = self.plain_fields(d.fields, d.name.name)
            elif isinstance(d, n.UnionDecl) and d.name.name in self.unions:
                variants = {}
                for v in d.variants:
                    if v.name.name in variants:
                        self.error("AWM1001", f"variant `{v.name.name}` is declared twice", v.name.span)
                    variants[v.name.name] = RecordInfo(v.name.name, self.plain_fields(v.fields, v.name.name))
                self.unions[d.name.name].variants = variants
        entity_decls = [
            d
            for d in decls
            if isinstance(d, n.EntityDecl)
            and self.entities.get(d.name.name, None)
            and self.entities[d.name.name].decl is d
        ]
        for d in entity_decls:
            self.resolve_entity_fields(self.entities[d.name.name])
        for d in entity_decls:
            self.resolve_backrefs(self.entities[d.name.name])
        if self.env is not None:
            self.check_env(self.env)

    def plain_fields(self, fields, owner: str) -> dict[str, FieldInfo]:
        out = {}
        for f in fields:
            if f.name.name in out:
                self.error("AWM1001", f"field `{f.name.name}` is declared twice in `{owner}`", f.name.span)
                continue
            t = self.resolve_type(f.type)
            out[f.name.name] = FieldInfo(f.name.name, t, f.name.name, f, default=f.default)
            for a in f.attrs:
                self.error("AWM1008", f"`@{a.name.name}` is not allowed on record fields", a.name.span)
        return out

    def resolve_entity_fields(self, e: EntityInfo):
        for f in e.decl.fields:
            name = f.name.name
            if name in e.fields:
                self.error("AWM1001", f"field `{name}` is declared twice in `{e.name}`", f.name.span)
                continue
            t = self.resolve_type(f.type, allow_many=True)
            if t.kind == "query":
                e.fields[name] = FieldInfo(name, t, name, f, backref=(t.elem.name, ""))
                continue
            if t.kind == "union" or t.kind == "record":
                pass  # stored as JSON text
            column = f"{name}_id" if t.kind == "entity" else name
            info = FieldInfo(name, t, column, f, default=f.default)
            self.apply_field_attrs(e, info, f)
            e.fields[name] = info
        keys = [f for f in e.fields.values() if f.is_id]
        if len(keys) != 1:
            self.error(
                "AWM1012",
                f"entity `{e.name}` has {counted(len(keys), '`@id` field') if keys else 'no `@id` field'}",
                e.decl.name.span,
                help="add `id: int @id` as its first field",
            )
        else:
            e.key = keys[0]
            if e.key.type.kind not in ("int", "text") or e.key.type.optional:
                self.error("AWM1012", f"the `@id` field of `{e.name}` must be `int` or `text`", e.key.decl.type.span)
        columns: dict[str, FieldInfo] = {}
        for f in e.fields.values():
            if f.is_column and f.column in columns:
                self.error(
                    "AWM1015",
                    f"fields `{columns[f.column].name}` and `{f.name}` of `{e.name}` share the column `{f.column}`",
                    f.decl.name.span,
                    help='rename a field, or give it another column with `@column("...")`',
                )
            elif f.is_column:
                columns[f.column] = f
        for ta in e.decl.table_attrs:
            if ta.name.name == "table":
                if ta.text is None or not valid_sql_name(ta.text):
                    self.error(
                        "AWM2011", '`@@table` takes the table\'s name as a string: `@@table("order_items")`', ta.span
                    )
                else:
                    e.table = ta.text
                continue
            if ta.text is not None:
                self.error("AWM2011", f"`@@{ta.name.name}` takes field names, not a string", ta.span)
                continue
            names = []
            for ident in ta.fields:
                if ident.name not in e.fields or not e.fields[ident.name].is_column:
                    self.error(
                        "AWM1003",
                        f"unknown field `{ident.name}` on `{e.name}`",
                        ident.span,
                        help=did_you_mean(ident.name, [f.name for f in e.fields.values() if f.is_column]),
                    )
                else:
                    names.append(ident.name)
            if ta.name.name == "unique":
                e.uniques.append(tuple(names))
            elif ta.name.name == "index":
                e.indexes.append(tuple(names))
            elif ta.name.name == "owned_by":
                if len(ta.fields) != 1:
                    self.error("AWM2002", "`@@owned_by` names one field: the relation to the row's owner", ta.span)
                elif names:
                    e.owner = (names[0], ta)
            else:
                self.error(
                    "AWM1008",
                    f"unknown table attribute `@@{ta.name.name}`",
                    ta.name.span,
                    help=did_you_mean(ta.name.name, ["unique", "index", "owned_by"])
                    or "use `@@unique(a, b)` or `@@index(a, b)`",
                )

    FIELD_ATTRS = ("id", "unique", "index", "check", "range", "length", "cascade", "set_null", "restrict", "column")

    def apply_field_attrs(self, e: EntityInfo, info: FieldInfo, f: n.Field):
        for a in f.attrs:
            name = a.name.name
            if name == "id":
                info.is_id = True
            elif name == "unique":
                info.unique = True
            elif name == "index":
                info.index = True
            elif name == "check":
                if len(a.args) != 1:
                    self.error("AWM2002", "`@check` takes one boolean expression", a.span)
                else:
                    info.checks.append(a.args[0])
            elif name in ("range", "length"):
                bounds = self.const_bounds(a)
                if bounds is not None:
                    setattr(info, name, bounds)
            elif name == "column":
                arg = a.args[0] if len(a.args) == 1 else None
                if not (isinstance(arg, n.Literal) and arg.kind == "text" and valid_sql_name(arg.value)):
                    self.error("AWM2011", '`@column` takes the column\'s name as a string: `@column("owner")`', a.span)
                else:
                    info.column = arg.value
            elif name in ("cascade", "set_null", "restrict"):
                if info.type.kind != "entity":
                    self.error("AWM1008", f"`@{name}` only applies to relation fields", a.name.span)
                elif name == "set_null" and not info.type.optional:
                    self.error(
                        "AWM2011",
                        "`@set_null` needs an optional relation",
                        a.name.span,
                        help=f"write `{f.name.name}: {info.type.name}?`",
                    )
                info.on_delete = name
            else:
                self.error(
                    "AWM1008", f"unknown attribute `@{name}`", a.name.span, help=did_you_mean(name, self.FIELD_ATTRS)
                )

    def const_bounds(self, a: n.Attr):
        if len(a.args) != 2:
            self.error("AWM2002", f"`@{a.name.name}` takes two bounds: `@{a.name.name}(low, high)`", a.span)
            return None
        values = []
        for arg in a.args:
            v = const_number(arg)
            if v is NOT_CONST:
                self.error(
                    "AWM2011", f"`@{a.name.name}` bounds must be numbers or `null`", getattr(arg, "span", a.span)
                )
                return None
            values.append(v)
        return tuple(values)

    def resolve_backrefs(self, e: EntityInfo):
        for info in e.fields.values():
            if info.backref is None:
                continue
            child = self.entities[info.backref[0]]
            pointing = [f for f in child.fields.values() if f.is_relation and f.type.name == e.name]
            via = info.decl.type.via
            unresolved = {f.name for f in child.fields.values() if f.type.kind == "any"}
            if unresolved and (via.name in unresolved if via is not None else len(pointing) < 2):
                continue  # the field meant to point here has an unknown type, reported already
            if via is not None:
                match = [f for f in pointing if f.name == via.name]
                if not match:
                    self.error(
                        "AWM1013",
                        f"`{child.name}` has no field `{via.name}` pointing at `{e.name}`",
                        via.span,
                        help=did_you_mean(via.name, [f.name for f in pointing]),
                    )
                    continue
                info.backref = (child.name, match[0].name)
            elif len(pointing) == 1:
                info.backref = (child.name, pointing[0].name)
            else:
                self.error(
                    "AWM1013",
                    f"`{child.name}` has {counted(len(pointing), 'field') if pointing else 'no fields'} pointing at `{e.name}`",
                    info.decl.type.span,
                    help=f"name one with `{child.name}[] via field`"
                    if pointing
                    else f"add a field `{snake(e.name)}: {e.name}` to `{child.name}`",
                )

    def check_env(self, env: n.EnvDecl):
        for p in env.props:
            key = p.key.name
            if key == "user":
                if p.value not in self.entities:
                    self.user_unresolved = True
                    self.error(
                        "AWM1010",
                        f"`user` names `{p.value}`, which is not an entity",
                        p.value_span,
                        help=did_you_mean(p.value, self.entities),
                    )
                else:
                    self.user_entity = p.value
                    self.used.add(p.value)
            elif key == "clock":
                try:
                    dt.datetime.strptime(p.value, CLOCK_FORMAT)
                    self.clock = p.value
                except ValueError:
                    self.error(
                        "AWM1010", f'`clock` must look like "2025-01-01 09:00:00", got "{p.value}"', p.value_span
                    )
            elif key != "description":
                self.error(
                    "AWM1010",
                    f"unknown env property `{key}`",
                    p.key.span,
                    help=did_you_mean(key, ["description", "user", "clock"]) or "use description, user or clock",
                )

    # ---- entity defaults and checks ---------------------------------------------------
    def check_entity_exprs(self, e: EntityInfo):
        for info in e.fields.values():
            if info.default is not None and info.is_column:
                self.check_default(info.default, info.type, info.name)
                self.note_enum_write(info.type, info.default)
            for c in info.checks:
                self.check_bool_over_row(c, e)
            if info.range and not is_numeric(info.type):
                self.error("AWM2011", "`@range` applies to numeric fields", info.decl.type.span)
            if info.length and info.type.kind != "text":
                self.error("AWM2011", "`@length` applies to text fields", info.decl.type.span)

    def check_owner(self, e: EntityInfo):
        """`@@owned_by(field)`: the field must point at the env's user entity."""
        if e.owner is None:
            return
        name, attr = e.owner
        f = e.fields[name]
        if self.user_unresolved or f.type.kind == "any":
            e.owner = None  # the env's `user` or the field's type is already reported
            return
        if self.user_entity is None or not f.is_relation or f.type.name != self.user_entity:
            self.error(
                "AWM2011",
                f"`@@owned_by({name})` needs `{name}` to be a relation to the user entity"
                f"{' `' + self.user_entity + '`' if self.user_entity else ' (the env header names none)'}",
                attr.span,
            )
            e.owner = None

    def check_bool_over_row(self, expr: n.Expr, e: EntityInfo):
        ctx = Ctx(Scope(), (e.name,))
        t = self.expr(expr, ctx, BOOL)
        if t.kind not in ("bool", "any"):
            self.error("AWM2010", f"`@check` needs a boolean, got `{t}`", expr.span)

    def check_default(self, expr: n.Expr, t: T, name: str):
        if t.kind == "any":
            return  # the field's type is unknown, and reported
        value = self.const_value(expr, t)
        if value is NOT_CONST:
            self.error("AWM2009", f"the default of `{name}` must be a constant, `now()` or `today()`", expr.span)

    # ---- constants (defaults, seeds, bounds) ---------------------------------------------
    def const_value(self, expr: n.Expr, t: T, seed_clock: str | None = None):
        """Evaluate a constant expression against the expected type; NOT_CONST if it is not one."""
        return Constants(self.enums, self.entities, self.records, self.error).value(expr, t, seed_clock)

    # ---- tools --------------------------------------------------------------------------
    def check_tool(self, decl: n.ToolDecl):
        name = decl.name.name
        if not decl.description:
            self.error(
                "AWM1011",
                f"tool `{name}` has no description",
                decl.name.span,
                help='add a string after the signature: tool f(...) "What it does, for the agent" { ... }',
            )
        if decl.crud is not None:
            params, body = self.desugar_crud(decl)
            if params is None:
                return
        else:
            params, body = list(decl.params), decl.body
        tool = ToolInfo(name, decl.description or "", [], VOID, body, decl)
        scope = Scope()
        for p in params:
            info = self.check_param(p)
            if p.name.name in scope.vars:
                self.error("AWM1001", f"parameter `{p.name.name}` is declared twice", p.name.span)
            scope.vars[p.name.name] = Binding("param", info.type, p.name.name)
            tool.params.append(info)
        declared = self.resolve_type(decl.returns) if decl.returns is not None else None
        tool.returns = declared or VOID
        self._returns: list[T] = []
        self._declared_return = declared
        ctx = Ctx(scope, (), tool)
        self.shadowed, self.outer_names = [], set()
        terminates = self.block(body, ctx)
        for name_node, entity in self.shadowed:
            if name_node.name not in self.outer_names:  # the author never wrote `$name`: likely a slip
                self.warn(
                    "AWM4004",
                    f"`{name_node.name}` here is the field of `{entity}`, not the parameter `{name_node.name}`",
                    name_node.span,
                    help=f"write `${name_node.name}` to mean the parameter, "
                    f"or `{entity}.{name_node.name}` to mean the field",
                )
        if declared is not None and declared.kind != "void" and not terminates:
            self.error(
                "AWM2012",
                f"tool `{name}` does not return {with_article(f'`{declared}`')} on every path",
                decl.name.span,
            )
        if declared is None and self._returns:
            tool.returns = self._returns[0]
        tool.writes = writes(body)
        if name not in self.tools:
            self.tools[name] = tool

    def check_param(self, p: n.Param) -> ParamInfo:
        t = self.resolve_type(p.type)
        info = ParamInfo(p.name.name, t, required=not t.optional and p.default is None, default=p.default, decl=p)
        if p.name.name in RESERVED:
            self.error("AWM1015", f"`{p.name.name}` is reserved and cannot name a parameter", p.name.span)
        if p.default is not None:
            v = self.const_value(p.default, t)
            if v is NOT_CONST:
                self.error("AWM2009", f"the default of parameter `{p.name.name}` must be a constant", p.default.span)
        for a in p.attrs:
            if a.name.name in ("range", "length"):
                bounds = self.const_bounds(a)
                elem = t.elem if t.kind == "list" else t
                if a.name.name == "range" and not is_numeric(elem):
                    self.error("AWM2011", "`@range` applies to numeric parameters", a.span)
                elif a.name.name == "length" and elem.kind != "text" and t.kind != "list":
                    self.error("AWM2011", "`@length` applies to text or list parameters", a.span)
                elif (
                    bounds
                    and (a.name.name == "length" or elem.kind == "int")
                    and not all(
                        b is None or (isinstance(b, int) and (b >= 0 or a.name.name == "range")) for b in bounds
                    )
                ):
                    what = "lengths" if a.name.name == "length" else "bounds of an int parameter"
                    self.error(
                        "AWM2011",
                        f"`@{a.name.name}` {what} must be whole numbers"
                        + (" of at least 0" if a.name.name == "length" else ""),
                        a.span,
                    )
                    bounds = None
                setattr(info, a.name.name, bounds)
            else:
                self.error(
                    "AWM1008",
                    f"unknown parameter attribute `@{a.name.name}`",
                    a.name.span,
                    help=did_you_mean(a.name.name, ["range", "length"])
                    or "parameters take `@range(lo, hi)` and `@length(lo, hi)`",
                )
        return info

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

    # ---- statements --------------------------------------------------------------------
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
        if isinstance(s, n.Let):
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
            ctx.scope.vars[s.name.name] = Binding(
                kind, t, s.name.name, mutable=kind == "local", query=s.value, target=s
            )
            return False
        if isinstance(s, n.Reassign):
            b = ctx.scope.lookup(s.name.name)
            if b is None:
                self.error(
                    "AWM1004",
                    f"unknown variable `{s.name.name}`",
                    s.name.span,
                    help=did_you_mean(s.name.name, ctx.scope.names()) or f"declare it first: `let {s.name.name} = ...`",
                )
                self.expr(s.value, ctx)
                return False
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
            return False
        if isinstance(s, n.Require):
            self.expect_bool(s.cond, ctx)
            self.stmt(s.fail, ctx)
            self.narrow(s.cond, ctx.scope)  # after `require x is not null`, x is not null
            return False
        if isinstance(s, n.Fail):
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
        if isinstance(s, n.If):
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
        if isinstance(s, n.For):
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
            return False
        if isinstance(s, n.Update):
            entity = self.target_entity(s.target, ctx, "update")
            if entity is not None:
                self.check_assigns(entity, s.assigns, ctx.with_row(entity.name))
            else:
                self.unchecked(ctx, *(a.value for a in s.assigns))
            return False
        if isinstance(s, n.Delete):
            self.target_entity(s.target, ctx, "delete")
            return False
        if isinstance(s, n.ExprStmt):
            self.expr(s.expr, ctx)
            return False
        if isinstance(s, n.Return):
            expected = self._declared_return
            t = self.expr(s.value, ctx, expected)
            if expected is not None:
                self.expect_assignable(t, expected, s.value)
            self._returns.append(t)
            return True
        if isinstance(s, n.Match):
            return self.match(s, ctx)
        raise AssertionError(f"unknown statement {type(s).__name__}")

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

    def match(self, s: n.Match, ctx: Ctx) -> bool:
        t = self.expr(s.subject, ctx)
        if t.kind == "any":
            return False
        if t.kind != "union":
            self.error("AWM2008", f"`match` needs a union value, got `{t}`", s.subject.span)
            return False
        union = self.unions[t.name]
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
            return self.entities[t.name]
        if t.kind == "query":
            return self.entities[t.elem.name]
        self.error("AWM2006", f"`{what}` needs a row or a query of rows, got `{t}`", target.span)
        return None

    def check_assigns(self, e: EntityInfo, assigns, ctx: Ctx):
        seen = set()
        for a in assigns:
            f = self.column_of(e, a.name)
            if f is None:
                self.expr(a.value, ctx)
                continue
            if f.is_id:
                self.error("AWM2005", f"the key `{f.name}` of `{e.name}` cannot be changed", a.name.span)
            if f.name in seen:
                self.error("AWM1001", f"`{f.name}` is set twice", a.name.span)
            seen.add(f.name)
            t = self.expr(a.value, ctx, f.type)
            self.expect_assignable(t, f.type, a.value)
            self.note_enum_write(f.type, a.value)
            local = ctx.scope.lookup(a.value.name) if isinstance(a.value, n.Name) and a.value.name == f.name else None
            if local is not None and local.kind in ("local", "loop"):  # `set total = total`: a no-op
                self.warn(
                    "AWM4004",
                    f"`set {f.name} = {f.name}` keeps the field as it is: `{f.name}` here is the "
                    f"field of `{e.name}`, not the local variable",
                    a.value.span,
                    help=f"write `${f.name}` to store the local variable",
                )

    # ---- expressions -----------------------------------------------------------------
    def expect_bool(self, e, ctx):
        t = self.expr(e, ctx, BOOL)
        if t.kind not in ("bool", "any"):
            self.error("AWM2001", f"expected a condition (bool), got `{t}`", e.span)

    def expect_assignable(self, t: T, want: T, e):
        if not assignable(t, want):
            help = None
            if t.optional and assignable(t.required(), want):
                help = "the value may be null; use `coalesce(value, fallback)` or test `is not null` first"
            self.error("AWM2001", f"expected `{want}`, found `{t}`", e.span, help=help)
        elif t.optional and not want.optional and t.kind not in ("null", "any") and want.kind != "json":
            self.error(
                "AWM2001",
                f"expected `{want}`, found `{t}` which may be null",
                e.span,
                help="use `coalesce(value, fallback)`, or declare the target optional",
            )
        elif t.kind == "null" and not want.optional and want.kind not in ("json", "any"):
            self.error("AWM2001", f"`null` is not {with_article(f'`{want}`')}", e.span)

    def expr(self, e, ctx: Ctx, expected: T | None = None) -> T:
        t = self._expr(e, ctx, expected)
        self.types[e] = t
        return t

    def mark_row(self, e):
        self.row_dependent.add(id(e))

    def _expr(self, e, ctx: Ctx, expected: T | None) -> T:
        method = getattr(self, "e_" + type(e).__name__)
        t = method(e, ctx, expected)
        if any(id(c) in self.row_dependent for c in children(e)):
            self.mark_row(e)
        return t

    def e_Literal(self, e: n.Literal, ctx, expected):
        if e.kind == "text" and expected is not None and expected.kind == "enum":
            if e.value not in self.enums.get(expected.name, []):
                self.error(
                    "AWM1007",
                    f'"{e.value}" is not a member of enum `{expected.name}`',
                    e.span,
                    help=did_you_mean(e.value, self.enums.get(expected.name, [])),
                )
            return T("enum", expected.name)
        if e.kind == "decimal" and len(e.value.split(".")[1]) > 2:
            return FLOAT  # more than two places cannot be an exact money amount
        return {"int": INT, "decimal": DECIMAL, "text": TEXT, "bool": BOOL, "null": NULL}[e.kind]

    def e_Template(self, e: n.Template, ctx, expected):
        for part in e.parts:
            if not isinstance(part, str):
                self.expr(part, ctx)
        return TEXT

    def resolve_name(self, name: str, ctx: Ctx, outer: bool) -> Binding | None:
        if not outer:
            row_vars = (None,) * (len(ctx.rows) - len(ctx.row_vars)) + ctx.row_vars
            for depth, (entity, var) in enumerate(zip(reversed(ctx.rows), reversed(row_vars))):
                if var == name:
                    self.used.add(entity)
                    return Binding("row", entity_t(entity), name, depth=depth)
                f = self.entities[entity].fields.get(name)
                if f is not None:
                    return Binding("field", f.type, name, depth=depth, target=f)
        b = ctx.scope.lookup(name)
        if b is not None:
            return b
        if name in self.entities:
            self.used.add(name)
            return Binding("entity", query_of(name), name)
        return None

    def e_Name(self, e: n.Name, ctx, expected):
        b = self.resolve_name(e.name, ctx, outer=False)
        wants_member = expected is not None and expected.kind == "enum" and e.name in self.enums.get(expected.name, [])
        if wants_member and (b is None or b.type.kind != "enum" or b.type.name != expected.name):
            b = Binding("enum_member", T("enum", expected.name), e.name)
        if b is None:
            enum_hits = [k for k, members in self.enums.items() if e.name in members]
            if len(enum_hits) == 1 and (expected is None or expected.kind in ("any",)):
                b = Binding("enum_member", T("enum", enum_hits[0]), e.name)
        if b is None:
            candidates = set(ctx.scope.names()) | set(self.entities)
            for entity in ctx.rows:
                candidates |= set(self.entities[entity].fields)
            if expected is not None and expected.kind == "enum":
                candidates |= set(self.enums.get(expected.name, []))
                self.error(
                    "AWM1007",
                    f"`{e.name}` is not a member of enum `{expected.name}`",
                    e.span,
                    help=did_you_mean(e.name, self.enums.get(expected.name, [])) or did_you_mean(e.name, candidates),
                )
            else:
                self.error("AWM1004", f"unknown name `{e.name}`", e.span, help=did_you_mean(e.name, candidates))
            return ANY
        if b.kind == "row":
            self.mark_row(e)
        if b.kind == "field":
            self.mark_row(e)
            shadowed = ctx.scope.lookup(e.name)
            if shadowed is not None and shadowed.kind == "param":
                self.shadowed.append((e, ctx.rows[-1 - b.depth]))
        if b.kind in ("local", "query_let") and b.target is not None:
            self.local_reads.add(id(b.target))
        self.bindings[e] = b
        return b.type

    def e_OuterName(self, e: n.OuterName, ctx, expected):
        self.outer_names.add(e.name)
        b = self.resolve_name(e.name, ctx, outer=True)
        if b is None or b.kind == "entity":
            self.error(
                "AWM1004",
                f"unknown parameter or variable `${e.name}`",
                e.span,
                help=did_you_mean(e.name, ctx.scope.names()),
            )
            return ANY
        if b.kind in ("local", "query_let") and b.target is not None:
            self.local_reads.add(id(b.target))
        self.bindings[e] = b
        return b.type

    def e_Me(self, e: n.Me, ctx, expected):
        if self.user_entity is None:
            if self.user_unresolved:
                return ANY
            self.error(
                "AWM1014",
                "`me` needs the env header to name the acting user's entity",
                e.span,
                help="add `user User` inside `env ... { }`",
            )
            return ANY
        return entity_t(self.user_entity)

    def e_Member(self, e: n.Member, ctx, expected):
        # `Enum.member`
        if isinstance(e.obj, n.Name) and e.obj.name in self.enums and ctx.scope.lookup(e.obj.name) is None:
            if e.name.name not in self.enums[e.obj.name]:
                self.error(
                    "AWM1007",
                    f"`{e.name.name}` is not a member of enum `{e.obj.name}`",
                    e.name.span,
                    help=did_you_mean(e.name.name, self.enums[e.obj.name]),
                )
            self.used.add(e.obj.name)
            self.types[e.obj] = T("enum", e.obj.name)
            return T("enum", e.obj.name)
        t = self.qualified_row(e.obj, ctx) or self.expr(e.obj, ctx)
        if t.kind == "any":
            return ANY
        if t.kind == "json":  # a JSON value (a json column, a solution's call result)
            return JSON
        fields = self.fields_of(t)
        if fields is None:
            self.error("AWM1003", f"`{t}` has no fields (`.{e.name.name}`)", e.name.span)
            return ANY
        f = fields.get(e.name.name)
        if f is None:
            if t.kind == "entity" and e.name.name.endswith("_id") and e.name.name[:-3] in fields:
                f = fields[e.name.name[:-3]]
                if f.is_relation:
                    key = self.entities[f.type.name].key
                    return (key.type if key else INT).opt(t.optional or f.type.optional)
            self.error(
                "AWM1003",
                f"unknown field `{e.name.name}` on `{t.required()}`",
                e.name.span,
                help=did_you_mean(e.name.name, fields),
            )
            return ANY
        ft = f.type
        if t.optional and ft.kind != "query":
            ft = ft.opt(True)
        return ft

    def qualified_row(self, obj, ctx: Ctx) -> T | None:
        """`Ticket.owner` inside a query over `Ticket`: the current row's field, written with the
        entity's name (as SQL's `table.column`), never a parameter or local of that name."""
        if not (
            isinstance(obj, n.Name)
            and obj.name in self.entities
            and obj.name in ctx.rows
            and ctx.scope.lookup(obj.name) is None
        ):
            return None
        depth = ctx.rows[::-1].index(obj.name)
        self.bindings[obj] = Binding("row", entity_t(obj.name), obj.name, depth=depth)
        self.types[obj] = entity_t(obj.name)
        self.mark_row(obj)
        self.used.add(obj.name)
        return entity_t(obj.name)

    def fields_of(self, t: T) -> dict[str, FieldInfo] | None:
        if t.kind == "entity" and t.name in self.entities:
            return self.entities[t.name].fields
        if t.kind == "record" and t.name:
            if t.name in self.records:
                return self.records[t.name].fields
            if "." in t.name:
                union, variant = t.name.split(".", 1)
                return self.unions[union].variants[variant].fields
        if t.kind == "record" and t.fields:
            return {k: FieldInfo(k, v, k, None) for k, v in t.fields}
        if t.kind == "union":
            return {"kind": FieldInfo("kind", TEXT, "kind", None)}
        return None

    def e_Index(self, e: n.Index, ctx, expected):
        t = self.expr(e.obj, ctx)
        if (
            t.kind == "query"
            and isinstance(e.obj, n.Name)
            and self.bindings.get(e.obj, Binding("", ANY, "")).kind == "entity"
        ):
            entity = self.entities[t.elem.name]
            key_t = entity.key.type if entity.key else INT
            it = self.expr(e.index, ctx, key_t)
            if not assignable(it, key_t) and it.kind != "entity":
                self.error("AWM2001", f"the key of `{entity.name}` is `{key_t}`, found `{it}`", e.index.span)
            return entity_t(entity.name)
        it = self.expr(e.index, ctx, INT)
        if t.kind == "any":
            return ANY
        if t.kind in ("list", "query"):  # a query's rows, in its order, are a list
            if it.kind not in ("int", "any"):
                self.error("AWM2001", f"a list index must be an int, found `{it}`", e.index.span)
            return t.elem
        if t.kind == "json":
            return JSON
        self.error(
            "AWM2001",
            f"`{t}` cannot be indexed",
            e.span,
            help="index lists with `xs[i]` and look rows up with `Entity[key]`",
        )
        return ANY

    def e_LookupBy(self, e: n.LookupBy, ctx, expected):
        t = self.expr(e.obj, ctx)
        if t.kind == "any":
            return ANY
        if not (t.kind == "query" and isinstance(e.obj, n.Name)):
            self.error("AWM2003", "`[field: value]` looks up a row of an entity: `User[username: name]`", e.span)
            return ANY
        entity = self.entities[t.elem.name]
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

    def e_ListLit(self, e: n.ListLit, ctx, expected):
        elem_expected = expected.elem if expected is not None and expected.kind == "list" else None
        elem = None
        for item in e.items:
            t = self.expr(item, ctx, elem_expected)
            if elem_expected is not None and t.kind not in ("json", "any") and not assignable(t, elem_expected):
                self.error("AWM2001", f"an item of a `{list_of(elem_expected)}` cannot be `{t}`", item.span)
                continue
            if elem is None or elem.kind == "any":
                elem = t
            elif is_numeric(elem) and is_numeric(t):
                elem = numeric_join(elem, t)
            elif not assignable(t, elem):
                self.error("AWM2001", f"list items must share a type: `{elem}` and `{t}`", item.span)
        return list_of(elem_expected or elem or ANY)

    def e_RecordLit(self, e: n.RecordLit, ctx, expected):
        if expected is not None and expected.kind == "union" and expected.name in self.unions:
            return self.union_literal(e, ctx, expected)
        target_fields = None
        if expected is not None and expected.kind == "record" and expected.name in self.records:
            target_fields = self.records[expected.name].fields
        fields = []
        for fv in e.fields:
            want = target_fields[fv.name.name].type if target_fields and fv.name.name in target_fields else None
            fields.append((fv.name.name, self.expr(fv.value, ctx, want)))
        if target_fields is not None:
            for fname, fv in target_fields.items():
                if fname not in dict(fields) and not fv.type.optional:
                    self.error("AWM2004", f"missing field `{fname}` of `{expected.name}`", e.span)
            return T("record", expected.name)
        return T("record", None, fields=tuple(fields))

    def union_literal(self, e: n.RecordLit, ctx, expected: T) -> T:
        """`{kind: "card", number: "..."}` where a union is expected: checked against the variant."""
        union = self.unions[expected.name]
        kind = next((f.value for f in e.fields if f.name.name == "kind"), None)
        if not (isinstance(kind, n.Literal) and kind.kind == "text" and kind.value in union.variants):
            self.error(
                "AWM2001",
                f"{with_article(f'`{expected.name}`')} value needs `kind:` naming one of its variants "
                f"({', '.join(union.variants)})",
                e.span,
            )
            return ANY
        self.types[kind] = TEXT
        variant = union.variants[kind.value]
        for fv in e.fields:
            if fv.name.name == "kind":
                continue
            f = variant.fields.get(fv.name.name)
            if f is None:
                self.error(
                    "AWM1003",
                    f"variant `{kind.value}` of `{expected.name}` has no field `{fv.name.name}`",
                    fv.name.span,
                    help=did_you_mean(fv.name.name, variant.fields),
                )
                self.expr(fv.value, ctx)
                continue
            self.expect_assignable(self.expr(fv.value, ctx, f.type), f.type, fv.value)
        given = {fv.name.name for fv in e.fields}
        missing = [name for name, f in variant.fields.items() if name not in given and not f.type.optional]
        if missing:
            self.error("AWM2004", f"variant `{kind.value}` needs {', '.join(f'`{m}`' for m in missing)}", e.span)
        return T("union", expected.name)

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

    def note_enum_write(self, t: T, value) -> None:
        """Record which members of an enum a stored value can take (for AWM4005)."""
        if t.kind != "enum":
            return
        member = enum_member_written(value, self.bindings, t.name, self.enums.get(t.name, []))
        if member is None:
            self.enum_writes[t.name] = ALL_MEMBERS  # a parameter or computed value: any member
        elif self.enum_writes.get(t.name) is not ALL_MEMBERS:
            self.enum_writes.setdefault(t.name, set()).add(member)

    def column_of(self, entity: EntityInfo, name: n.Ident) -> FieldInfo | None:
        """The stored field `name` of the entity, or None after reporting it unknown."""
        f = entity.fields.get(name.name)
        if f is None or not f.is_column:
            self.error(
                "AWM1003",
                f"unknown field `{name.name}` on `{entity.name}`",
                name.span,
                help=did_you_mean(name.name, [x.name for x in entity.columns]),
            )
            return None
        return f

    def check_field_values(self, entity: EntityInfo, values, ctx, span, require_all: bool):
        given = set()
        for fv in values:
            f = self.column_of(entity, fv.name)
            if f is None:
                self.expr(fv.value, ctx)
                continue
            if f.name in given:
                self.error("AWM1001", f"`{f.name}` is given twice", fv.name.span)
            given.add(f.name)
            t = self.expr(fv.value, ctx, f.type)
            self.expect_assignable(t, f.type, fv.value)
            self.note_enum_write(f.type, fv.value)
        if require_all:
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

    def e_Unary(self, e: n.Unary, ctx, expected):
        if e.op == "not":
            self.expect_bool(e.operand, ctx)
            return BOOL
        t = self.expr(e.operand, ctx, expected)
        if not is_numeric(t) and t.kind != "any":
            self.error("AWM2001", f"`-` needs a number, got `{t}`", e.operand.span)
            return ANY
        return t

    def e_IsNull(self, e: n.IsNull, ctx, expected):
        self.expr(e.operand, ctx)
        return BOOL

    def operands(self, e: n.Binary, ctx) -> tuple[T, T]:
        """Type both sides, letting a bare enum member on one side take the other's enum type."""
        left_free = isinstance(e.left, n.Name) and self.resolve_name(e.left.name, ctx, False) is None
        if left_free:
            rt = self.expr(e.right, ctx)
            lt = self.expr(e.left, ctx, rt if rt.kind == "enum" else (rt.elem if rt.kind == "list" else None))
        else:
            lt = self.expr(e.left, ctx)
            want = lt.required() if lt.kind == "enum" else None
            if e.op in ("in", "not_in") and lt.kind == "enum":
                want = list_of(lt.required())
            if e.op == "contains" and lt.kind == "list":
                want = lt.elem
            if e.op == "+" and lt.kind == "list" and isinstance(e.right, n.ListLit):  # `prices + [0.5]`
                want = lt.required()
            rt = self.expr(e.right, ctx, want)
        return lt, rt

    def e_Binary(self, e: n.Binary, ctx, expected):
        op = e.op
        if op in ("and", "or"):
            self.expect_bool(e.left, ctx)
            self.expect_bool(e.right, ctx)
            return BOOL
        lt, rt = self.operands(e, ctx)
        if (
            op in ("<", "<=", ">", ">=", "+", "-", "*", "/", "%")
            and "json" in (lt.kind, rt.kind)
            and ctx.tool is not None
        ):
            self.error(
                "AWM2001",
                f"`{op}` on a `json` value, which may hold anything (a list, text, a number)",
                e.span,
                help="convert it first: `int(x)`, `float(x)`, `decimal(x)` or `text(x)`",
            )
            return BOOL if op in ("<", "<=", ">", ">=") else ANY
        if "any" in (lt.kind, rt.kind):
            return (
                BOOL
                if op
                in ("==", "!=", "<", "<=", ">", ">=", "contains", "matches", "starts_with", "ends_with", "in", "not_in")
                else ANY
            )
        if op in ("==", "!="):
            if {lt.kind, rt.kind} == {"date", "datetime"}:  # "2025-01-02" never equals "2025-01-02 10:00:00"
                self.error(
                    "AWM2001",
                    f"`{op}` between a `datetime` and a `date` is never true",
                    e.span,
                    help="compare the datetime's date part: `date(at) == day`",
                )
            elif not comparable(lt, rt):
                self.error("AWM2001", f"cannot compare `{lt}` with `{rt}`", e.span)
            return BOOL
        if op in ("<", "<=", ">", ">="):
            if not (comparable(lt, rt) and lt.kind in NUMERIC + ("text", "date", "datetime")):
                self.error("AWM2001", f"cannot order `{lt}` and `{rt}` with `{op}`", e.span)
            return BOOL
        if op in ("contains", "matches", "starts_with", "ends_with"):
            if op == "contains" and lt.kind == "list":
                return BOOL
            if lt.kind != "text" or rt.kind != "text":
                self.error(
                    "AWM2001", f"`{op.replace('_', ' ')}` needs text on both sides, got `{lt}` and `{rt}`", e.span
                )
            return BOOL
        if op in ("in", "not_in"):
            if rt.kind == "text" and lt.kind == "text":
                return BOOL
            if rt.kind != "list" or not comparable(lt, rt.elem):
                self.error("AWM2001", f"`in` needs a list of `{lt}`, got `{rt}`", e.right.span)
            return BOOL
        if "json" in (lt.kind, rt.kind):
            return JSON  # a JSON value (a call result in a solution) is checked when it runs
        # arithmetic: over a row's fields it runs in SQL, where null simply propagates; elsewhere
        # a null operand would be an error at run time, so the checker asks for coalesce
        in_sql = any(id(side) in self.row_dependent for side in (e.left, e.right))
        nullable = (lt.optional and lt.kind != "null") or (rt.optional and rt.kind != "null")
        if not in_sql:
            for side, t in ((e.left, lt), (e.right, rt)):
                if t.optional and t.kind != "null":
                    self.error(
                        "AWM2001",
                        f"`{op}` on a value that may be null (`{t}`)",
                        side.span,
                        help="use `coalesce(value, 0)` or test `is not null` first",
                    )
        lt, rt = lt.required(), rt.required()
        if is_numeric(lt) and is_numeric(rt):
            if op == "%" and (lt.kind != "int" or rt.kind != "int"):
                self.error("AWM2001", "`%` needs ints", e.span)
            if op == "/" and lt.kind == rt.kind == "int":  # true division: 7 / 2 is 3.5
                return FLOAT.opt(in_sql and nullable)
            return numeric_join(lt, rt).opt(in_sql and nullable)
        if op == "+" and lt.kind == "text" and rt.kind == "text":
            return TEXT
        if op == "+" and lt.kind == "list" and rt.kind == "list":
            joined = joined_items(lt.elem, rt.elem)
            if joined is None:
                self.error(
                    "AWM2001",
                    f"`+` joins lists of one item type, got `{lt}` and `{rt}`",
                    e.span,
                    help="convert the items first, e.g. `[decimal(x)]`",
                )
                return lt
            return T("list", args=(joined,))
        if op in "+-" and lt.kind in ("date", "datetime") and rt.kind == "duration":
            return lt
        self.error(
            "AWM2001",
            f"`{op}` does not apply to `{lt}` and `{rt}`",
            e.span,
            help="dates move by durations: `d + days(3)`" if lt.kind in ("date", "datetime") else None,
        )
        return ANY

    # queries
    def query_entity(self, e, ctx) -> tuple[T, EntityInfo | None]:
        t = self.expr(e, ctx)
        if t.kind == "query":
            return t, self.entities[t.elem.name]
        if t.kind != "any":
            self.error("AWM2003", f"expected a query of rows (like `Product where ...`), got `{t}`", e.span)
        return ANY, None

    def unchecked(self, ctx: Ctx, *exprs) -> T:
        """Skip expressions over a source that already failed to check (its error is the one
        reported), but count the locals they name as read: no "never used" on top of it."""
        for x in walk(*exprs):
            if isinstance(x, (n.Name, n.OuterName)):
                b = ctx.scope.lookup(x.name)
                if b is not None and b.kind in ("local", "query_let") and b.target is not None:
                    self.local_reads.add(id(b.target))
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
                    f.type if not f.is_relation else self.entities[f.type.name].key.type,
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

    # calls
    def e_Call(self, e: n.Call, ctx, expected):
        fname = e.func.name
        handler = getattr(self, "f_" + fname, None)
        if handler is None:
            self.error("AWM1005", f"unknown function `{fname}`", e.func.span, help=did_you_mean(fname, FUNCTIONS))
            for a in e.args:
                self.expr(a, ctx)
            return ANY
        return handler(e, ctx, expected)

    def arity(self, e: n.Call, lo: int, hi: int | None = None) -> bool:
        hi = lo if hi is None else hi
        if not (lo <= len(e.args) <= hi):
            want = counted(hi, "argument") if lo == hi else f"{lo} to {counted(hi, 'argument')}"
            self.error("AWM2002", f"`{e.func.name}` takes {want}, got {len(e.args)}", e.span)
            return False
        return True

    def f_count(self, e, ctx, expected):
        if self.arity(e, 1):
            t = self.expr(e.args[0], ctx)
            if t.kind not in ("query", "list", "any"):
                self.error("AWM2003", f"`count` needs a query or a list, got `{t}`", e.args[0].span)
        return INT

    def f_exists(self, e, ctx, expected):
        if self.arity(e, 1):
            self.query_entity(e.args[0], ctx)
        return BOOL

    def f_first(self, e, ctx, expected):
        if not self.arity(e, 1):
            return ANY
        t = self.expr(e.args[0], ctx)
        if t.kind == "query":
            return t.elem.opt(True)
        if t.kind == "list":
            return t.elem.opt(True)
        if t.kind != "any":
            self.error("AWM2003", f"`first` needs a query or a list, got `{t}`", e.args[0].span)
        return ANY

    def aggregate(self, e, ctx, expected, fname):
        if len(e.args) == 1:
            t = self.expr(e.args[0], ctx)
            if t.kind == "list" and (is_numeric(t.elem) or fname in ("min", "max")):
                if fname == "avg":
                    return FLOAT if t.elem.kind != "decimal" else DECIMAL
                return t.elem if fname == "sum" else t.elem.opt(True)
            if t.kind != "any":
                self.error(
                    "AWM2003",
                    f"`{fname}` takes a list of numbers, or a query and an expression: `{fname}(q, e)`",
                    e.args[0].span,
                )
            return ANY
        if len(e.args) >= 2 and fname in ("min", "max"):
            first = self.expr(e.args[0], ctx)
            if first.kind != "query":
                result = first
                for a, t in zip(e.args, [first] + [self.expr(a, ctx) for a in e.args[1:]]):
                    if t.kind not in NUMERIC + ("text", "date", "datetime", "any", "null"):
                        self.error("AWM2001", f"`{fname}` compares numbers, text or dates, got `{t}`", a.span)
                        return ANY
                    if result.kind == "null":
                        result = t.opt(True)
                    elif is_numeric(result) and is_numeric(t):
                        result = numeric_join(result.required(), t.required()).opt(result.optional and t.optional)
                    elif not comparable(result, t):
                        self.error("AWM2001", f"`{fname}` of `{result}` and `{t}`", a.span)
                    elif t.kind != "null":  # nulls are skipped: null only if every argument is
                        result = result.opt(result.optional and t.optional)
                return result
        elif len(e.args) == 2:
            first = self.expr(e.args[0], ctx)
        else:
            self.arity(e, 1, 2)
            return ANY
        if first.kind != "query":
            if first.kind != "any":
                self.error("AWM2003", f"`{fname}(q, e)` needs a query first, got `{first}`", e.args[0].span)
            return ANY
        if len(e.args) != 2:
            self.arity(e, 2)
            return ANY
        entity = self.entities[first.elem.name]
        t = self.expr(e.args[1], ctx.with_row(entity.name)).required()
        if not is_numeric(t) and not (fname in ("min", "max") and t.kind in ("text", "date", "datetime")):
            self.error("AWM2001", f"`{fname}` needs numbers, got `{t}`", e.args[1].span)
            return ANY
        if fname == "sum":
            return t
        if fname == "avg":
            return (DECIMAL if t.kind == "decimal" else FLOAT).opt(True)
        return t.opt(True)

    def f_sum(self, e, ctx, expected):
        return self.aggregate(e, ctx, expected, "sum")

    def f_avg(self, e, ctx, expected):
        return self.aggregate(e, ctx, expected, "avg")

    def f_min(self, e, ctx, expected):
        return self.aggregate(e, ctx, expected, "min")

    def f_max(self, e, ctx, expected):
        return self.aggregate(e, ctx, expected, "max")

    def _unary_fn(self, e, ctx, accept, result=None, expected=None):
        if not self.arity(e, 1):
            return ANY
        t = self.expr(e.args[0], ctx, expected)
        if t.kind not in accept and t.kind != "any":
            self.error("AWM2001", f"`{e.func.name}` takes {' or '.join(accept)}, got `{t}`", e.args[0].span)
            return ANY
        return (result or t.required()).opt(t.optional)

    def f_len(self, e, ctx, expected):
        return self._unary_fn(e, ctx, ("text", "list", "json", "query"), INT)

    def f_abs(self, e, ctx, expected):
        return self._unary_fn(e, ctx, NUMERIC)

    def f_lower(self, e, ctx, expected):
        return self._unary_fn(e, ctx, ("text",))

    f_upper = f_lower
    f_trim = f_lower

    def f_round(self, e, ctx, expected):
        if not self.arity(e, 1, 2):
            return ANY
        t = self.expr(e.args[0], ctx)
        if len(e.args) == 2:
            nt = self.expr(e.args[1], ctx, INT)
            if nt.kind not in ("int", "any") or nt.optional:
                self.error("AWM2001", "`round(x, places)` needs an int number of places", e.args[1].span)
        if not is_numeric(t) and t.kind != "any":
            self.error("AWM2001", f"`round` needs a number, got `{t}`", e.args[0].span)
            return ANY
        if len(e.args) == 1 and t.kind != "decimal":
            return INT.opt(t.optional)
        return t

    def f_coalesce(self, e, ctx, expected):
        if not self.arity(e, 2, 8):
            return ANY
        first = self.expr(e.args[0], ctx, expected)
        result = first
        for a in e.args[1:]:
            t = self.expr(a, ctx, first.required() if first.kind != "null" else expected)
            if result.kind == "null":
                result = t
            elif t.kind != "null" and (result.kind == "json") != (t.kind == "json"):
                self.error(
                    "AWM2001",
                    f"`coalesce` of `{result}` and `{t}`: a `json` value may hold anything",
                    a.span,
                    help="convert the json value first: `int(x)`, `float(x)`, `decimal(x)` or `text(x)`",
                )
            elif t.kind != "null" and not (assignable(t, result.required()) or assignable(result.required(), t)):
                self.error("AWM2001", f"`coalesce` of `{result}` and `{t}`", a.span)
            elif is_numeric(result) and is_numeric(t):
                result = numeric_join(result.required(), t.required()).opt(result.optional)
            result = result.opt(t.optional) if result.kind != "null" else result
        return result

    def _no_args(self, e, t):
        self.arity(e, 0)
        return t

    def f_now(self, e, ctx, expected):
        return self._no_args(e, DATETIME)

    def f_today(self, e, ctx, expected):
        return self._no_args(e, DATE)

    def _duration(self, e, ctx, expected):
        if self.arity(e, 1):
            t = self.expr(e.args[0], ctx, INT)
            if t.kind not in ("int", "any") or t.optional:
                self.error("AWM2001", f"`{e.func.name}` needs an int, got `{t}`", e.args[0].span)
        return DURATION

    f_days = f_hours = f_minutes = f_seconds = _duration

    def f_date(self, e, ctx, expected):
        arg = e.args[0] if len(e.args) == 1 else None
        if isinstance(arg, n.Literal) and arg.kind == "text":  # date("2025-03-01"): a date written out
            self.types[arg] = TEXT
            Constants(self.enums, self.entities, self.records, self.error).coerce_literal(
                arg, DATE if len(arg.value) <= 10 else DATETIME
            )
            return DATE
        return self._unary_fn(e, ctx, ("datetime", "date", "text"), DATE)  # text is parsed (invalid_value)

    def f_days_between(self, e, ctx, expected):
        optional = False
        if self.arity(e, 2):
            for a in e.args:
                t = self.expr(a, ctx)
                optional = optional or t.optional
                if t.kind not in ("date", "datetime", "any"):
                    self.error("AWM2001", f"`days_between` takes dates, got `{t}`", a.span)
        return INT.opt(optional)

    def f_range(self, e, ctx, expected):
        if self.arity(e, 1, 2):
            for a in e.args:
                t = self.expr(a, ctx, INT)
                if t.kind not in ("int", "any"):
                    self.error("AWM2001", f"`range` takes ints, got `{t}`", a.span)
        return list_of(INT)

    def f_sort(self, e, ctx, expected):
        t = self._unary_fn(e, ctx, ("list",))
        if t.kind == "list" and t.elem.kind not in NUMERIC + ("text", "date", "datetime", "any"):
            self.error("AWM2001", f"`{e.func.name}` sorts lists of numbers, text or dates, got `{t}`", e.args[0].span)
        return t

    def f_reverse(self, e, ctx, expected):
        return self._unary_fn(e, ctx, ("list",))

    def f_text(self, e, ctx, expected):
        return self._unary_fn(e, ctx, SCALARS + ("enum", "entity"), TEXT)

    def f_int(self, e, ctx, expected):
        return self._unary_fn(e, ctx, NUMERIC + ("text", "bool") + ("json",), INT)

    def f_float(self, e, ctx, expected):
        return self._unary_fn(e, ctx, NUMERIC + ("text",) + ("json",), FLOAT)

    def f_decimal(self, e, ctx, expected):
        return self._unary_fn(e, ctx, NUMERIC + ("text",) + ("json",), DECIMAL)

    # ---- invariants ------------------------------------------------------------------------
    def check_invariant(self, decl: n.Invariant):
        name = decl.name.name
        if not decl.description:
            self.error(
                "AWM1011",
                f"invariant `{name}` has no description",
                decl.name.span,
                help=f'say what must hold: invariant {name} "Stock is never negative": ...',
            )
        ctx = Ctx(Scope(), (), None)
        entity = None
        if decl.entity is not None:
            e = self.entity_named(decl.entity)
            if e is None:
                return
            entity = e.name
            ctx = ctx.with_row(entity, decl.var.name)
            if decl.where is not None:
                self.expect_bool(decl.where, ctx)
        self.expect_bool(decl.body, ctx)
        for node in walk(decl.body, decl.where):
            if isinstance(node, n.Me) or isinstance(node, n.Call) and node.func.name in ("now", "today"):
                self.error(
                    "AWM2013",
                    "an invariant must hold for every user at every time: "
                    f"`{'me' if isinstance(node, n.Me) else node.func.name + '()'}` is not allowed in it",
                    node.span,
                )
        self.invariants.append(InvariantInfo(name, decl.description or "", entity, decl))

    # ---- tasks -------------------------------------------------------------------------------
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
        if step.var is not None:
            scope.vars[step.var.name] = Binding("result", JSON, step.var.name)

    def f_before(self, e, ctx, expected):
        if not self.in_task:
            self.error("AWM1005", "`before(...)` is only available in a task's `expect`", e.func.span)
        if not self.arity(e, 1):
            return ANY
        return self.expr(e.args[0], ctx, expected)

    def f_contains_number(self, e, ctx, expected):
        if self.arity(e, 2):
            t = self.expr(e.args[0], ctx, TEXT)
            if t.kind not in ("text", "any"):
                self.error("AWM2001", f"`contains_number(text, number)` needs text first, got `{t}`", e.args[0].span)
            nt = self.expr(e.args[1], ctx)
            if not is_numeric(nt) and nt.kind != "any":
                self.error("AWM2001", f"`contains_number` needs a number second, got `{nt}`", e.args[1].span)
        return BOOL

    # ---- seeds -----------------------------------------------------------------------------
    def check_seed(self, decl: n.SeedDecl):
        entity = self.entity_named(decl.entity)
        if entity is None:
            return
        if decl.file is not None:
            self.load_seed_file(decl, entity)
            return
        fields = []
        for c in decl.columns:
            f = self.column_of(entity, c)
            if f is None:
                return
            fields.append(f)
        seed = SeedInfo(entity.name, [f.name for f in fields], [], decl)
        for row in decl.rows:
            if len(row.values) != len(fields):
                self.error(
                    "AWM3001",
                    f"this row has {counted(len(row.values), 'value')}, "
                    f"but the seed lists {counted(len(fields), 'column')}",
                    row.span,
                    help=f"columns: ({', '.join(f.name for f in fields)})",
                )
                continue
            values = [self.seed_value(v, f) for v, f in zip(row.values, fields)]
            seed.rows.append((row.span, values))
        self.seeds.append(seed)

    def seed_value(self, expr: n.Expr, f: FieldInfo):
        if f.type.kind == "any":
            return None  # the field's type is unknown, and reported
        if f.is_relation and isinstance(expr, n.LookupBy) and isinstance(expr.obj, n.Name):
            target = self.entities.get(expr.obj.name)
            if target is None or expr.obj.name != f.type.name:
                self.error("AWM3002", f"`{f.name}` refers to `{f.type.name}`, not `{expr.obj.name}`", expr.obj.span)
                return None
            tf = target.fields.get(expr.field.name)
            if tf is None or not (tf.unique or tf.is_id):
                self.error(
                    "AWM3002",
                    f"`{expr.field.name}` is not a unique field of `{target.name}`",
                    expr.field.span,
                    help=did_you_mean(expr.field.name, [x.name for x in target.columns if x.unique or x.is_id]),
                )
                return None
            return SeedRef(target.name, tf.column, self.seed_value(expr.value, tf))
        value = self.const_value(expr, f.type, seed_clock=self.clock)
        if value is NOT_CONST:
            self.error("AWM3002", f"a seed value must be a constant (for `{f.name}: {f.type}`)", expr.span)
            return None
        if f.type.kind == "enum" and isinstance(value, str) and self.enum_writes.get(f.type.name) is not ALL_MEMBERS:
            self.enum_writes.setdefault(f.type.name, set()).add(value)
        return value

    def load_seed_file(self, decl: n.SeedDecl, entity: EntityInfo):
        from .seedfile import read_seed_file

        rows, error = read_seed_file(self.file_of[decl], decl.file)
        if error:
            self.error("AWM0012", error, decl.span)
            return
        columns = sorted({k for r in rows for k in r})
        for c in columns:
            if c not in entity.fields and not any(f.column == c for f in entity.columns):
                self.error(
                    "AWM1003",
                    f"`{decl.file}` has a column `{c}` that `{entity.name}` does not have",
                    decl.span,
                    help=did_you_mean(c, [x.name for x in entity.columns]),
                )
                return
        by_name = {f.name: f for f in entity.columns} | {f.column: f for f in entity.columns}
        seed = SeedInfo(entity.name, [by_name[c].name for c in columns], [], decl)
        for row in rows:
            values = []
            for c in columns:
                v = row.get(c)
                values.append(self.file_value(v, by_name[c], decl))
            seed.rows.append((decl.span, values))
        self.seeds.append(seed)

    def file_value(self, v, f: FieldInfo, decl):
        if v is None or v == "" and f.type.optional:
            return None
        kind = f.type.kind if f.type.kind != "entity" else self.entities[f.type.name].key.type.kind
        try:
            if kind == "int":
                return int(v)
            if kind == "float":
                return float(v)
            if kind == "decimal":
                return Decimal(str(v))
            if kind == "bool":
                return v if isinstance(v, bool) else str(v).lower() in ("1", "true", "yes")
            if kind in ("json", "list", "record", "union") and isinstance(v, str):
                return json.loads(v)
            if kind == "enum" and v in self.enums[f.type.name] and self.enum_writes.get(f.type.name) is not ALL_MEMBERS:
                self.enum_writes.setdefault(f.type.name, set()).add(v)
            if kind == "enum" and v not in self.enums[f.type.name]:
                self.error(
                    "AWM3002",
                    f"`{v}` is not a member of `{f.type.name}` (column `{f.name}` in `{decl.file}`)",
                    decl.span,
                )
            return v
        except (ValueError, InvalidOperation):  # json.JSONDecodeError is a ValueError
            self.error("AWM3002", f"`{v}` is not a valid {kind} (column `{f.name}` in `{decl.file}`)", decl.span)
            return None

    # ---- warnings -----------------------------------------------------------------------------
    def report_unused(self):
        """Warnings about the whole spec. A declaration with errors was checked only in part, so
        on a spec with errors they would count as unused what its broken parts use or write."""
        if any(d.is_error for d in self.diags):
            return
        for name, d in self.enum_decls.items():
            if name not in self.used:
                self.warn("AWM4001", f"enum `{name}` is never used", d.name.span)
        stored = {f.type.name for e in self.entities.values() for f in e.columns if f.type.kind == "enum"}
        for name in sorted(stored):
            written = self.enum_writes.get(name, set())
            if written is ALL_MEMBERS:
                continue
            for member in self.enum_decls[name].members:
                if member.name not in written:
                    self.warn(
                        "AWM4005",
                        f"no tool, default or seed row ever sets `{name}.{member.name}`",
                        member.span,
                        help="add the tool that reaches this state, or remove the member",
                    )
        for kind, names in (("record", self.records), ("union", self.unions)):
            for name in names:
                if name not in self.used:
                    self.warn("AWM4001", f"{kind} `{name}` is never used", self.type_spans[name])


BINDING_KINDS = {"param": "parameter", "loop": "loop variable", "query_let": "query", "row": "row"}  # in messages
GROUP_AGGREGATES = ("count", "sum", "avg", "min", "max")
FUNCTIONS = sorted(name[2:] for name in dir(Checker) if name.startswith("f_"))


def comparable(a: T, b: T) -> bool:
    if "any" in (a.kind, b.kind) or "null" in (a.kind, b.kind):
        return True
    if is_numeric(a) and is_numeric(b):
        return True
    if a.kind == b.kind:
        return a.name == b.name or a.kind not in ("entity", "enum", "record")
    if {a.kind, b.kind} == {"enum", "text"}:
        return True
    if {a.kind, b.kind} <= {"date", "datetime", "text"}:
        return True
    if a.kind == "entity" and b.kind in ("int", "text") or b.kind == "entity" and a.kind in ("int", "text"):
        return True
    return "json" in (a.kind, b.kind)


def joined_items(a: T, b: T) -> T | None:
    """The item type of two lists joined with `+`: the same type, or ints with another number
    (an int is exact as either); None if they do not join."""
    if a.required() == b.required() or b.kind in ("any", "null"):
        return a.opt(a.optional or b.optional)
    if a.kind in ("any", "null"):
        return b.opt(a.optional or b.optional)
    if {a.kind, b.kind} in ({"int", "float"}, {"int", "decimal"}):
        return (a if a.kind != "int" else b).opt(a.optional or b.optional)
    return None


ALL_MEMBERS = object()  # marks an enum whose stored values come from parameters or computations


def enum_member_written(value, bindings, enum: str, members: list[str]) -> str | None:
    """The member a value expression always stores, or None if it can be any."""
    if isinstance(value, n.Name):
        b = bindings.get(value)
        if b is not None and b.kind == "enum_member" or b is None and value.name in members:
            return value.name  # (defaults are evaluated as constants, without a binding)
        return None
    if isinstance(value, n.Member) and isinstance(value.obj, n.Name) and value.obj.name == enum:
        return value.name.name
    if isinstance(value, n.Literal) and value.kind == "text":
        return value.value
    return None


def walk(*exprs):
    """Every expression node below the given ones (None is skipped)."""
    stack = [e for e in exprs if e is not None]
    while stack:
        e = stack.pop()
        yield e
        stack.extend(children(e))
        if isinstance(e, n.Where):
            stack.append(e.cond)
        elif isinstance(e, n.OrderBy):
            stack.extend(k.expr for k in e.keys)
        elif isinstance(e, n.GroupBy):
            stack.extend(a.value for a in e.aggregates)


def writes(block: n.Block) -> bool:
    """Does any statement or expression in the block change the database?"""
    stack: list = [block]
    while stack:
        x = stack.pop()
        if isinstance(x, (n.Update, n.Delete, n.Insert, n.Upsert)):
            return True
        if isinstance(x, n.Block):
            stack.extend(x.stmts)
        elif isinstance(x, (n.Let, n.Reassign, n.Return)):
            stack.append(x.value)
        elif isinstance(x, n.Require):
            stack.append(x.cond)
        elif isinstance(x, n.If):
            stack.extend([x.cond, x.then] + ([x.orelse] if x.orelse else []))
        elif isinstance(x, n.For):
            stack.extend([x.iterable, x.body])
        elif isinstance(x, n.ExprStmt):
            stack.append(x.expr)
        elif isinstance(x, n.Match):
            stack.extend([x.subject] + [a.body for a in x.arms])
        else:
            stack.extend(children(x))
    return False


def check(modules: list[n.Module], partial: bool = False) -> tuple[Model | None, list[Diagnostic]]:
    """The Model and the diagnostics; with errors the model is None, or with `partial` the
    partial model (see `Checker.model`)."""
    checker = Checker()
    model = checker.run(modules)
    if model is None and partial:
        model = checker.model(modules)
    return model, checker.diags
