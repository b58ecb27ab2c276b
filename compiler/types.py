"""The checker's types, and the model (the checked IR) that the lowering phases consume."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from . import nodes as n

SCALARS = ("int", "float", "decimal", "bool", "text", "date", "datetime", "json")
NUMERIC = ("int", "decimal", "float")


@dataclass(frozen=True)
class T:
    """A type. `name` names the enum/entity/record/union; `args` holds list/query elements."""

    kind: str
    name: str | None = None
    args: tuple[T, ...] = ()
    optional: bool = False
    fields: tuple[tuple[str, T], ...] = ()  # anonymous records (record literals, group by)

    def __str__(self) -> str:
        if self.kind in ("enum", "entity", "record", "union") and self.name:
            base = self.name
        elif self.kind == "list":
            base = f"list<{self.args[0]}>"
        elif self.kind == "query":
            base = f"query<{self.args[0]}>"
        elif self.kind == "record":
            base = "{" + ", ".join(f"{k}: {v}" for k, v in self.fields) + "}"
        else:
            base = self.kind
        return base + ("?" if self.optional and self.kind != "null" else "")

    @property
    def elem(self) -> T:
        return self.args[0]

    @property
    def decl_name(self) -> str:
        """`name`, of a type that has one: an enum, entity or union (or a declared record)."""
        assert self.name is not None, f"`{self}` names no declared type"
        return self.name

    def opt(self, optional: bool = True) -> T:
        return replace(self, optional=optional) if self.optional != optional else self

    def required(self) -> T:
        return self.opt(False)


INT, FLOAT, DECIMAL, BOOL, TEXT = T("int"), T("float"), T("decimal"), T("bool"), T("text")
DURATION_SECONDS = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}  # duration builtins
DATE, DATETIME, JSON, NULL, VOID = T("date"), T("datetime"), T("json"), T("null", optional=True), T("void")
DURATION = T("duration")
ANY = T("any")  # the type of an expression that already failed to check


def list_of(t: T) -> T:
    return T("list", args=(t,))


def query_of(entity: str) -> T:
    return T("query", args=(T("entity", entity),))


def entity_t(name: str, optional: bool = False) -> T:
    return T("entity", name, optional=optional)


def is_numeric(t: T) -> bool:
    return t.kind in NUMERIC


def numeric_join(a: T, b: T) -> T:
    """int < decimal < float: the result of arithmetic on the two."""
    order = {"int": 0, "decimal": 1, "float": 2}
    return a if order[a.kind] >= order[b.kind] else b


def assignable(src: T, dst: T) -> bool:
    """May a value of type `src` be stored where `dst` is expected?"""
    if src.kind == "any" or dst.kind == "any":
        return True
    if src.kind == "null":
        return dst.optional or dst.kind == "json"
    if dst.kind == "json":
        return True
    if src.kind == dst.kind:
        if src.kind in ("list", "query"):
            return assignable(src.elem, dst.elem) or src.elem.kind == "any"
        if src.kind == "record" and dst.name and not src.name:
            return True  # a record literal checked field by field elsewhere
        return src.name == dst.name
    if is_numeric(src) and is_numeric(dst):
        return src.kind == "int" or (src.kind == "decimal" and dst.kind == "float") or dst.kind == "decimal"
    if src.kind == "datetime" and dst.kind == "date":
        return False
    if src.kind == "query" and dst.kind == "list":
        return assignable(src.elem, dst.elem)
    if src.kind == "text" and dst.kind in ("date", "datetime", "enum"):
        return True  # checked at run time (and by the seed checker for literals)
    if dst.kind == "entity" and src.kind in ("int", "text"):
        return True  # a key
    return False


# ---- the model ---------------------------------------------------------------------------


@dataclass
class FieldInfo:
    name: str
    type: T  # entity fields: entity_t(target) for relations
    column: str  # SQL column name (relations get `_id`)
    decl: n.Field | None
    is_id: bool = False
    unique: bool = False
    index: bool = False
    default: n.Expr | None = None
    default_value: Any = None  # the default's value, as the checker evaluated it (a ClockDefault for now()/today())
    checks: list[n.Expr] = field(default_factory=list)
    on_delete: str = "restrict"  # restrict | cascade | set_null
    range: tuple[Any, Any] | None = None
    length: tuple[int | None, int | None] | None = None
    backref: tuple[str, str] | None = None  # (child entity, child field) for `Child[]`

    @property
    def declared(self) -> n.Field:
        """`decl`, of a field declared in an entity or record (only the fields the checker makes
        up for a record literal or a union's `kind` have none)."""
        assert self.decl is not None, f"field `{self.name}` has no declaration"
        return self.decl

    @property
    def is_column(self) -> bool:
        return self.backref is None

    @property
    def is_relation(self) -> bool:
        return self.type.kind == "entity" and self.backref is None

    @property
    def json_name(self) -> str:
        return self.column


@dataclass
class EntityInfo:
    name: str
    table: str
    fields: dict[str, FieldInfo]
    decl: n.EntityDecl
    key: FieldInfo | None = None
    uniques: list[tuple[str, ...]] = field(default_factory=list)
    indexes: list[tuple[str, ...]] = field(default_factory=list)
    # `@@owned_by(field)` or `@@owned_by(a.b)`: (the path of relation fields to the user, its declaration)
    owner: tuple[tuple[str, ...], Any] | None = None

    @property
    def id_field(self) -> FieldInfo:
        """`key`, of an entity that has an `@id` field (every entity of a spec without errors:
        the checker reports one without, AWM1012)."""
        assert self.key is not None, f"entity `{self.name}` has no `@id` field"
        return self.key

    @property
    def columns(self) -> list[FieldInfo]:
        return [f for f in self.fields.values() if f.is_column]


@dataclass
class RecordInfo:
    name: str
    fields: dict[str, FieldInfo]


@dataclass
class UnionInfo:
    name: str
    variants: dict[str, RecordInfo]


@dataclass
class ParamInfo:
    name: str
    type: T
    required: bool
    default: n.Expr | None
    default_value: Any = None  # the default's value, as the checker evaluated it
    range: tuple[Any, Any] | None = None
    length: tuple[int | None, int | None] | None = None
    decl: n.Param | None = None


@dataclass
class ToolInfo:
    name: str
    description: str
    params: list[ParamInfo]
    returns: T
    body: n.Block
    decl: n.ToolDecl
    writes: bool = False
    written: tuple[str, ...] = ()  # the entities a call may change rows of (foreign-key actions included)
    fail_codes: list[str] = field(default_factory=list)


@dataclass
class SeedInfo:
    entity: str
    columns: list[str]
    rows: list[tuple[n.Span, list[Any]]]  # values already evaluated to Python constants
    decl: n.SeedDecl | None = None


@dataclass
class InvariantInfo:
    name: str
    description: str
    entity: str | None  # `all Entity v: ...`; None for a condition over the whole state
    decl: n.Invariant
    reads: tuple[str, ...] = ()  # the entities its condition reads rows of


@dataclass
class TaskInfo:
    name: str
    instruction: str
    decl: n.Task


@dataclass
class Binding:
    """What a name refers to."""

    kind: str  # param | local | loop | field | row | enum_member | entity | query_let | result | answer
    type: T
    name: str
    depth: int = 0  # for fields: which row scope (0 = innermost query)
    mutable: bool = False
    query: n.Expr | None = None  # for query_let: the query it stands for
    target: Any = None


@dataclass
class Model:
    """Everything the lowering phases need, all names resolved and all expressions typed."""

    name: str
    title: str
    description: str
    user_entity: str | None
    clock: str
    enums: dict[str, list[str]]
    records: dict[str, RecordInfo]
    unions: dict[str, UnionInfo]
    entities: dict[str, EntityInfo]
    tools: dict[str, ToolInfo]
    seeds: list[SeedInfo]
    types: dict[Any, T]  # expression node -> type
    bindings: dict[Any, Binding]  # Name/OuterName node -> binding
    row_dependent: set[int]  # ids of expression nodes that read a query's row
    constants: dict[Any, Any]  # expression node of a `@check` or invariant -> its value, where constant
    source_files: list[str]
    invariants: list[InvariantInfo] = field(default_factory=list)
    tasks: list[TaskInfo] = field(default_factory=list)

    def tables_of(self, entities: tuple[str, ...]) -> tuple[str, ...]:
        """The SQL tables of these entities, sorted."""
        return tuple(sorted(self.entities[name].table for name in entities))


@dataclass(frozen=True)
class ClockDefault:
    """The value of `now()` or `today()` as a constant (a default): the clock when it is used."""

    unit: str  # "now" | "today"

    def at(self, clock: str) -> str:
        """The value at a clock reading (`YYYY-MM-DD HH:MM:SS`)."""
        return clock if self.unit == "now" else clock[:10]


@dataclass(frozen=True)
class SeedRef:
    """A seed value that names another row by a unique field: `User[username: "alice"]`."""

    entity: str
    field: str
    value: Any
