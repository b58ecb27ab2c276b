"""The transformer: Lark's reductions -> compiler.nodes (strings' `{holes}` too), and parse_nodes, which runs it."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from lark import Token, Transformer
from lark.exceptions import UnexpectedInput

from .. import nodes as n
from .lalr import _NodeParser

# ---- the transformer -------------------------------------------------------------------


@dataclass(frozen=True)
class FieldPath:
    """`a.b.c` in a table attribute, before it becomes the attribute's fields."""

    names: tuple[n.Ident, ...]


class _ToNodes(Transformer):
    """Builds nodes while Lark parses: the parser calls a method at each reduction of its rule.
    `at` is the (start, end) of the text the rule covers, set by _PositionedState just before
    the call; offsets are shifted by `base`."""

    def __init__(self):
        super().__init__(visit_tokens=False)
        self.path = ""
        self.base = 0
        self.at: tuple[int, int] | None = None
        self.passes_through: frozenset = frozenset()  # set by _NodeParser

    def _span(self) -> n.Span:
        if self.at is None:
            return n.Span(self.path, self.base, self.base)
        return n.Span(self.path, self.base + self.at[0], self.base + self.at[1])

    def _tok_span(self, tok: Token) -> n.Span:
        return n.Span(self.path, self.base + tok.start_pos, self.base + tok.end_pos)

    def _ident(self, tok: Token) -> n.Ident:
        return n.Ident(tok.value, self._tok_span(tok))

    def _string(self, tok: Token) -> str:
        return unescape(tok.value[1:-1])

    # top level
    def start(self, items):
        return list(items)

    def import_decl(self, c):
        return n.Import(self._string(c[0]), self._span())

    def env_decl(self, c):
        name, title, *props = c
        return n.EnvDecl(
            self._ident(name), self._string(title) if title is not None else None, tuple(props), self._span()
        )

    def env_prop(self, c):
        key, value = c
        text = self._string(value) if value.type == "STRING" else value.value
        return n.EnvProp(self._ident(key), text, self._tok_span(value), self._span())

    def enum_decl(self, c):
        return n.EnumDecl(self._ident(c[0]), tuple(self._ident(t) for t in c[1:]), self._span())

    def record_decl(self, c):
        return n.RecordDecl(self._ident(c[0]), tuple(c[1:]), self._span())

    def union_decl(self, c):
        return n.UnionDecl(self._ident(c[0]), tuple(c[1:]), self._span())

    def variant(self, c):
        return n.Variant(self._ident(c[0]), tuple(c[1:]), self._span())

    def entity_decl(self, c):
        fields = tuple(x for x in c[1:] if isinstance(x, n.Field))
        attrs = tuple(x for x in c[1:] if isinstance(x, n.TableAttr))
        return n.EntityDecl(self._ident(c[0]), fields, attrs, self._span())

    def table_attr(self, c):
        if isinstance(c[1], FieldPath):
            return n.TableAttr(self._ident(c[0]), c[1].names, self._span(), path=True)
        if isinstance(c[1], tuple):
            return n.TableAttr(self._ident(c[0]), c[1], self._span())
        return n.TableAttr(self._ident(c[0]), (), self._span(), self._string(c[1]))

    def field_path(self, c):
        return FieldPath(tuple(self._ident(t) for t in c))

    def name_list(self, c):
        return tuple(self._ident(t) for t in c)

    def field(self, c):
        name, typ, default, *attrs = c
        return n.Field(self._ident(name), typ, default, tuple(attrs), self._span())

    def default(self, c):
        return c[0]

    def attr(self, c):
        name, *args = c
        return n.Attr(self._ident(name), tuple(a for a in args if a is not None), self._span())

    def named_type(self, c):
        return n.TypeRef(c[0].value, self._span(), optional=c[1] is not None)

    def generic_type(self, c):
        return n.TypeRef(c[0].value, self._span(), args=tuple(c[1:-1]), optional=c[-1] is not None)

    def many_type(self, c):
        via = self._ident(c[1]) if c[1] is not None else None
        return n.TypeRef(c[0].value, self._span(), many=True, via=via)

    # tools
    def tool_full(self, c):
        name, *rest = c
        block = rest[-1]
        description = rest[-2]
        returns = rest[-3]
        params = tuple(p for p in rest[:-3] if p is not None)
        return n.ToolDecl(
            self._ident(name),
            params,
            returns,
            self._string(description) if description is not None else None,
            block,
            None,
            self._span(),
        )

    def returns(self, c):
        return c[0]

    def tool_crud(self, c):
        name, op, entity, fields, where, with_values, description = c
        span = self._span()
        crud = n.Crud(self._ident(op), self._ident(entity), fields, where, with_values or (), span)
        return n.ToolDecl(
            self._ident(name),
            (),
            None,
            self._string(description) if description is not None else None,
            None,
            crud,
            span,
        )

    def crud_fields(self, c):
        return c[0] if c[0] is not None else ()

    def crud_where(self, c):
        return c[0]

    def crud_with(self, c):
        return tuple(c)

    def param(self, c):
        name, typ, default, *attrs = c
        return n.Param(self._ident(name), typ, default, tuple(attrs), self._span())

    # statements
    def block(self, c):
        return n.Block(tuple(c), self._span())

    def let_stmt(self, c):
        return n.Let(self._ident(c[0]), c[1], c[2], self._span())

    def assign_stmt(self, c):
        return n.Reassign(self._ident(c[0]), c[1], self._span())

    def require_stmt(self, c):
        return n.Require(c[0], c[1], self._span())

    def fail_stmt(self, c):
        return n.Fail(self._ident(c[0]), self._string_expr(c[1]), self._span())

    def if_stmt(self, c):
        return n.If(c[0], c[1], c[2], self._span())

    def for_stmt(self, c):
        first, second, iterable, body = c
        if second is None:
            return n.For(None, self._ident(first), iterable, body, self._span())
        return n.For(self._ident(first), self._ident(second), iterable, body, self._span())

    def update_stmt(self, c):
        return n.Update(c[0], tuple(c[1:]), self._span())

    def delete_stmt(self, c):
        return n.Delete(c[0], self._span())

    def expr_stmt(self, c):
        return n.ExprStmt(c[0], self._span())

    def return_stmt(self, c):
        return n.Return(c[0], self._span())

    def match_stmt(self, c):
        return n.Match(c[0], tuple(c[1:]), self._span())

    def match_arm(self, c):
        return n.MatchArm(self._ident(c[0]), self._ident(c[1]), c[2], self._span())

    def assign(self, c):
        return n.Assign(self._ident(c[0]), c[1], self._span())

    def field_value(self, c):
        return n.FieldValue(self._ident(c[0]), c[1], self._span())

    # queries
    def where(self, c):
        return n.Where(c[0], c[1], self._span())

    def order_by(self, c):
        return n.OrderBy(c[0], tuple(c[1:]), self._span())

    def order_asc(self, c):
        return n.OrderKey(c[0], False, self._span())

    def order_desc(self, c):
        return n.OrderKey(c[0], True, self._span())

    def limit(self, c):
        return n.Limit(c[0], c[1], self._span())

    def offset(self, c):
        return n.Offset(c[0], c[1], self._span())

    def group_by(self, c):
        return n.GroupBy(c[0], c[1], tuple(c[2:]), self._span())

    # operators
    def or_op(self, c):
        return n.Binary("or", c[0], c[1], self._span())

    def and_op(self, c):
        return n.Binary("and", c[0], c[1], self._span())

    def not_op(self, c):
        return n.Unary("not", c[0], self._span())

    def compare(self, c):
        return n.Binary(c[1].value, c[0], c[2], self._span())

    def binary(self, c):
        return n.Binary(c[1].value, c[0], c[2], self._span())

    @staticmethod
    def _word_op(op: str):
        def method(self, c):
            return n.Binary(op, c[0], c[1], self._span())

        return method

    contains = _word_op("contains")
    matches = _word_op("matches")
    starts_with = _word_op("starts_with")
    ends_with = _word_op("ends_with")
    in_op = _word_op("in")
    not_in = _word_op("not_in")

    def is_null(self, c):
        return n.IsNull(c[0], False, self._span())

    def is_not_null(self, c):
        return n.IsNull(c[0], True, self._span())

    def neg(self, c):
        return n.Unary("-", c[0], self._span())

    def member(self, c):
        return n.Member(c[0], self._ident(c[1]), self._span())

    def index(self, c):
        return n.Index(c[0], c[1], self._span())

    def lookup_by(self, c):
        return n.LookupBy(c[0], self._ident(c[1]), c[2], self._span())

    # atoms
    def int_lit(self, c):
        return n.Literal(int(c[0].value), "int", self._tok_span(c[0]))

    def decimal_lit(self, c):
        return n.Literal(c[0].value, "decimal", self._tok_span(c[0]))

    def str_lit(self, c):
        return self._string_expr(c[0])

    def true_lit(self, c):
        return n.Literal(True, "bool", self._span())

    def false_lit(self, c):
        return n.Literal(False, "bool", self._span())

    def null_lit(self, c):
        return n.Literal(None, "null", self._span())

    def me(self, c):
        return n.Me(self._span())

    def name(self, c):
        return n.Name(c[0].value, self._tok_span(c[0]))

    def outer_name(self, c):
        return n.OuterName(c[0].value, self._span())

    def call(self, c):
        return n.Call(self._ident(c[0]), tuple(a for a in c[1:] if a is not None), self._span())

    def list_lit(self, c):
        return n.ListLit(tuple(a for a in c if a is not None), self._span())

    def record_lit(self, c):
        return n.RecordLit(tuple(a for a in c if a is not None), self._span())

    def insert(self, c):
        return n.Insert(self._ident(c[0]), tuple(a for a in c[1:] if a is not None), self._span())

    def upsert(self, c):
        entity = self._ident(c[0])
        values = tuple(x for x in c[1:] if isinstance(x, n.FieldValue))
        keys = next(x for x in c[1:] if isinstance(x, tuple))
        on_conflict = tuple(x for x in c[1:] if isinstance(x, n.Assign))
        return n.Upsert(entity, values, keys, on_conflict, self._span())

    # invariants
    def invariant_decl(self, c):
        name, description, body = c
        text = self._string(description) if description is not None else None
        if isinstance(body, tuple):
            entity, var, where, cond = body
            return n.Invariant(self._ident(name), text, entity, var, where, cond, self._span())
        return n.Invariant(self._ident(name), text, None, None, None, body, self._span())

    def forall(self, c):
        entity, var, where, body = c
        return (self._ident(entity), self._ident(var), where, body)

    # tasks
    def task_decl(self, c):
        name, instruction, *items = c
        solutions = [i for i in items if isinstance(i, list)]
        expects = tuple(i for i in items if isinstance(i, n.Expect))
        solution = tuple(solutions[0]) if solutions else None
        return n.Task(self._ident(name), self._string(instruction), solution, expects, self._span())

    def solution(self, c):
        return list(c)

    def step_call(self, c):
        var, tool, *args, fails = c
        return n.SolutionCall(
            self._ident(var) if var is not None else None,
            self._ident(tool),
            tuple(a for a in args if a is not None),
            self._span(),
            self._ident(fails) if fails is not None else None,
        )

    def step_answer(self, c):
        return n.SolutionAnswer(c[0], self._span())

    def expect(self, c):
        cond, weight = c
        return n.Expect(cond, int(weight.value) if weight is not None else 1, "", self._span())

    # seeds
    def seed_rows(self, c):
        return n.SeedDecl(self._ident(c[0]), c[1], tuple(c[2:]), None, self._span())

    def seed_file(self, c):
        return n.SeedDecl(self._ident(c[0]), (), (), self._string(c[1]), self._span())

    def seed_row(self, c):
        return n.SeedRow(tuple(v for v in c if v is not None), self._span())

    # strings with {interpolation}
    def _string_expr(self, tok: Token):
        raw = tok.value[1:-1]
        start = self.base + tok.start_pos
        span = n.Span(self.path, start, start + len(tok.value))
        if "{" not in raw and "}" not in raw:
            return n.Literal(unescape(raw), "text", span)
        return n.Template(tuple(_template_parts(raw, self.path, start + 1)), span)


# ---- parsing into nodes ------------------------------------------------------------------

_free_parsers: list[_NodeParser] = []
_free_parsers_lock = threading.Lock()


def parse_nodes(text: str, start: str, path: str, base: int = 0):
    """Parse `text` from the grammar rule `start` ("start" or "expr") straight into nodes whose
    spans name `path` and are shifted by `base`. Raises Lark's UnexpectedInput on bad syntax."""
    with _free_parsers_lock:
        node_parser = _free_parsers.pop() if _free_parsers else None
    if node_parser is None:
        node_parser = _NodeParser(_ToNodes())
    try:
        return node_parser.parse(text, start, path, base)
    finally:
        with _free_parsers_lock:
            _free_parsers.append(node_parser)


def parse_expression(text: str, path: str = "<expr>") -> n.Expr:
    """Parse a single expression (used for docs and tests)."""
    return parse_nodes(text, "expr", path)


class TemplateError(Exception):
    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


def _template_parts(raw: str, path: str, base: int) -> list:
    """Split `a {expr} b` into ["a ", Expr, " b"]; `{{`/`}}` are literal braces."""
    parts: list = []
    text = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            text.append(raw[i : i + 2])
            i += 2
        elif raw.startswith("{{", i) or raw.startswith("}}", i):
            text.append(ch)
            i += 2
        elif ch == "{":
            close = raw.find("}", i)
            if close < 0:
                raise TemplateError("unclosed `{` in string (write `{{` for a literal brace)", base + i)
            source = raw[i + 1 : close]
            if text:
                parts.append(unescape("".join(text)))
                text = []
            try:
                parts.append(parse_nodes(source, "expr", path, base + i + 1))
            except UnexpectedInput as exc:
                raise TemplateError(f"`{{{source}}}` is not a valid expression", base + i) from exc
            i = close + 1
        elif ch == "}":
            raise TemplateError("unmatched `}` in string (write `}}` for a literal brace)", base + i)
        else:
            text.append(ch)
            i += 1
    if text:
        parts.append(unescape("".join(text)))
    return parts


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def unescape(raw: str) -> str:
    if "\\" not in raw:
        return raw
    out = []
    i = 0
    while i < len(raw):
        if raw[i] == "\\" and i + 1 < len(raw):
            out.append(_ESCAPES.get(raw[i + 1], raw[i + 1]))
            i += 2
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)
