"""The syntax tree of an .awm spec: frozen nodes, each carrying its source span.

Nodes compare by identity (``eq=False``) so the checker can key side tables (types,
resolved names) on them without two equal-looking expressions colliding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union, dataclass_transform


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range ``[start, end)`` in the file named ``path``."""

    path: str
    start: int
    end: int


@dataclass_transform(frozen_default=True, eq_default=False)  # so type checkers see the fields
def node(cls):
    return dataclass(frozen=True, slots=True, eq=False)(cls)


@node
class Ident:
    name: str
    span: Span


# ---- types as written --------------------------------------------------------------


@node
class TypeRef:
    name: str
    span: Span
    args: tuple[TypeRef, ...] = ()
    optional: bool = False
    many: bool = False  # `Child[]`: the rows of Child that point back here
    via: Ident | None = None  # `Child[] via field`


# ---- expressions -------------------------------------------------------------------


@node
class Literal:
    value: Any  # int, str (decimal literals keep their text), bool or None
    kind: str  # "int" | "decimal" | "text" | "bool" | "null"
    span: Span


@node
class Template:
    """A string with `{expr}` holes: literal text parts alternate with expressions."""

    parts: tuple[str | Expr, ...]
    span: Span


@node
class Name:
    name: str
    span: Span


@node
class OuterName:
    """`$name`: a parameter or local, skipping the row's fields in a query."""

    name: str
    span: Span


@node
class Me:
    span: Span


@node
class Member:
    obj: Expr
    name: Ident
    span: Span


@node
class Index:
    obj: Expr
    index: Expr
    span: Span


@node
class LookupBy:
    """`Entity[field: value]`: the row whose unique field has that value."""

    obj: Expr
    field: Ident
    value: Expr
    span: Span


@node
class Call:
    func: Ident
    args: tuple[Expr, ...]
    span: Span


@node
class ListLit:
    items: tuple[Expr, ...]
    span: Span


@node
class FieldValue:
    name: Ident
    value: Expr
    span: Span


@node
class RecordLit:
    fields: tuple[FieldValue, ...]
    span: Span


@node
class Insert:
    entity: Ident
    values: tuple[FieldValue, ...]
    span: Span


@node
class Assign:
    name: Ident
    value: Expr
    span: Span


@node
class Upsert:
    entity: Ident
    values: tuple[FieldValue, ...]
    keys: tuple[Ident, ...]
    on_conflict: tuple[Assign, ...]
    span: Span


@node
class Unary:
    op: str  # "-" | "not"
    operand: Expr
    span: Span


@node
class Binary:
    # arithmetic + - * / %, comparison == != < <= > >=, and/or,
    # contains, matches, starts_with, ends_with, in, not_in
    op: str
    left: Expr
    right: Expr
    span: Span


@node
class IsNull:
    operand: Expr
    negated: bool
    span: Span


@node
class Where:
    source: Expr
    cond: Expr
    span: Span


@node
class OrderKey:
    expr: Expr
    descending: bool
    span: Span


@node
class OrderBy:
    source: Expr
    keys: tuple[OrderKey, ...]
    span: Span


@node
class Limit:
    source: Expr
    count: Expr
    span: Span


@node
class Offset:
    source: Expr
    count: Expr
    span: Span


@node
class GroupBy:
    source: Expr
    keys: tuple[Ident, ...]
    aggregates: tuple[FieldValue, ...]
    span: Span


Expr = Union[
    Literal,
    Template,
    Name,
    OuterName,
    Me,
    Member,
    Index,
    LookupBy,
    Call,
    ListLit,
    RecordLit,
    Insert,
    Upsert,
    Unary,
    Binary,
    IsNull,
    Where,
    OrderBy,
    Limit,
    Offset,
    GroupBy,
]

QUERY_NODES = (Where, OrderBy, Limit, Offset)


# ---- statements ----------------------------------------------------------------------


@node
class Block:
    stmts: tuple[Stmt, ...]
    span: Span


@node
class Let:
    name: Ident
    type: TypeRef | None
    value: Expr
    span: Span


@node
class Reassign:
    name: Ident
    value: Expr
    span: Span


@node
class Fail:
    code: Ident
    message: Expr  # Literal or Template
    span: Span


@node
class Require:
    cond: Expr
    fail: Fail
    span: Span


@node
class If:
    cond: Expr
    then: Block
    orelse: Block | If | None
    span: Span


@node
class For:
    index: Ident | None
    var: Ident
    iterable: Expr
    body: Block
    span: Span


@node
class Update:
    target: Expr
    assigns: tuple[Assign, ...]
    span: Span


@node
class Delete:
    target: Expr
    span: Span


@node
class ExprStmt:
    expr: Expr
    span: Span


@node
class Return:
    value: Expr
    span: Span


@node
class MatchArm:
    variant: Ident
    var: Ident
    body: Block
    span: Span


@node
class Match:
    subject: Expr
    arms: tuple[MatchArm, ...]
    span: Span


Stmt = Union[Let, Reassign, Require, Fail, If, For, Update, Delete, ExprStmt, Return, Match]


# ---- declarations --------------------------------------------------------------------


@node
class Attr:
    name: Ident
    args: tuple[Expr, ...]
    span: Span


@node
class Field:
    name: Ident
    type: TypeRef
    default: Expr | None
    attrs: tuple[Attr, ...]
    span: Span


@node
class TableAttr:
    name: Ident
    fields: tuple[Ident, ...]
    span: Span
    text: str | None = None  # `@@table("name")` takes a string
    path: bool = False  # `fields` are one path, `a.b.c` (`@@owned_by(account.owner)`), not a list


@node
class Import:
    path: str
    span: Span


@node
class EnvProp:
    key: Ident
    value: str
    value_span: Span
    span: Span


@node
class EnvDecl:
    name: Ident
    title: str | None
    props: tuple[EnvProp, ...]
    span: Span


@node
class EnumDecl:
    name: Ident
    members: tuple[Ident, ...]
    span: Span


@node
class RecordDecl:
    name: Ident
    fields: tuple[Field, ...]
    span: Span


@node
class Variant:
    name: Ident
    fields: tuple[Field, ...]
    span: Span


@node
class UnionDecl:
    name: Ident
    variants: tuple[Variant, ...]
    span: Span


@node
class EntityDecl:
    name: Ident
    fields: tuple[Field, ...]
    table_attrs: tuple[TableAttr, ...]
    span: Span


@node
class Param:
    name: Ident
    type: TypeRef
    default: Expr | None
    attrs: tuple[Attr, ...]
    span: Span


@node
class Crud:
    """The one-line form `tool name = <op> Entity(fields) [where ...] [with ...]`."""

    op: Ident  # get | list | create | update | delete
    entity: Ident
    fields: tuple[Ident, ...] | None
    where: Expr | None
    with_values: tuple[Assign, ...]
    span: Span


@node
class ToolDecl:
    name: Ident
    params: tuple[Param, ...]
    returns: TypeRef | None
    description: str | None
    body: Block | None
    crud: Crud | None
    span: Span


@node
class SeedRow:
    values: tuple[Expr, ...]
    span: Span


@node
class SeedDecl:
    entity: Ident
    columns: tuple[Ident, ...]
    rows: tuple[SeedRow, ...]
    file: str | None
    span: Span


@node
class Invariant:
    """`invariant name "description": all Entity v [where cond]: body`, or a plain condition."""

    name: Ident
    description: str | None
    entity: Ident | None
    var: Ident | None
    where: Expr | None
    body: Expr
    span: Span


@node
class SolutionCall:
    """`[let v =] tool(arg: value, ...)` in a task's gold solution, or `tool(...) fails code`:
    a call that must fail with that code (what the agent must not be able to do)."""

    var: Ident | None
    tool: Ident
    args: tuple[FieldValue, ...]
    span: Span
    fails: Ident | None = None


@node
class SolutionAnswer:
    """`answer "text {value}"`: the gold final answer."""

    value: Expr
    span: Span


@node
class Expect:
    cond: Expr
    weight: int
    source: str  # the condition as written, for reports
    span: Span


@node
class Task:
    name: Ident
    instruction: str
    solution: tuple[SolutionCall | SolutionAnswer, ...] | None
    expects: tuple[Expect, ...]
    span: Span


Decl = Union[Import, EnvDecl, EnumDecl, RecordDecl, UnionDecl, EntityDecl, ToolDecl, SeedDecl, Invariant, Task]


@node
class Module:
    """One parsed file."""

    path: str
    decls: tuple[Decl, ...]


def children(e) -> list:
    """The direct sub-expressions of an expression node (not nested query bodies' statements)."""
    if isinstance(e, (Literal, Name, OuterName, Me)):
        return []
    if isinstance(e, Template):
        return [p for p in e.parts if not isinstance(p, str)]
    if isinstance(e, Member):
        return [e.obj]
    if isinstance(e, Index):
        return [e.obj, e.index]
    if isinstance(e, LookupBy):
        return [e.obj, e.value]
    if isinstance(e, Call):
        return list(e.args)
    if isinstance(e, ListLit):
        return list(e.items)
    if isinstance(e, (RecordLit, Insert)):
        return [f.value for f in (e.fields if isinstance(e, RecordLit) else e.values)]
    if isinstance(e, Upsert):
        return [f.value for f in e.values]
    if isinstance(e, Unary):
        return [e.operand]
    if isinstance(e, Binary):
        return [e.left, e.right]
    if isinstance(e, IsNull):
        return [e.operand]
    if isinstance(e, (Where, OrderBy, GroupBy)):
        return [e.source]  # the condition reads the inner row, not the outer one
    if isinstance(e, (Limit, Offset)):
        return [e.source, e.count]
    return []
