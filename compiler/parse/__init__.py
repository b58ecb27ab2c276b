"""Phase 1: text -> syntax tree (compiler.nodes), with syntax errors as diagnostics.

The LALR parser is built once per process from the packaged grammar. A file is cut into
top-level declarations at lines that start with a declaration keyword, and each piece is
parsed on its own, so one syntax error does not hide the errors (or the declarations)
after it. Spans are relative to their piece, so a piece is parsed once per process and
reused wherever an edit moves it (the parse memo, keyed by the piece's text).
"""

from __future__ import annotations

import hashlib
import re
import threading
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.parsers.lalr_analysis import Shift
from lark.parsers.lalr_parser_state import ParseConf, ParserState

from .. import nodes as n
from ..diagnostics import Diagnostic, Label, Sources, display_path

DECL_START = re.compile(r"^(?:env|enum|entity|record|union|tool|seed|import|invariant|task)\b", re.MULTILINE)
MAX_SYNTAX_ERRORS = 20

# What a terminal is called in an error message.
TOKEN_NAMES = {
    "NAME": "a name",
    "STRING": "a string",
    "INT": "a number",
    "DECIMAL": "a number",
    "CMP_OP": "a comparison",
    "ADD_OP": "`+` or `-`",
    "MUL_OP": "`*`, `/` or `%`",
    "CRUD_OP": "get, list, create, update or delete",
    "OPTIONAL": "`?`",
    "$END": "end of file",
}


def _grammar_parser(**options) -> Lark:
    return Lark.open_from_package(
        "awmlang.grammar", "awm.lark", parser="lalr", start=["start", "expr"], maybe_placeholders=True, **options
    )


@lru_cache(maxsize=1)
def parser() -> Lark:
    """The grammar as a plain Lark parser (its terminals name the tokens in error messages)."""
    # cache=True keeps the analysed grammar in a temp file, so a new process starts fast
    return _grammar_parser(cache=True)


def build_strict_parser() -> Lark:
    """The same grammar built with strict=True: fails on any LALR conflict (used by tests)."""
    return _grammar_parser(strict=True)


def _terminal_text(name: str) -> str:
    if name in TOKEN_NAMES:
        return TOKEN_NAMES[name]
    try:
        pattern = parser().get_terminal(name).pattern
        if pattern.type == "str":
            return f"`{pattern.value}`"
    except KeyError:
        pass
    return name.lower()


# Terminals that stand for a larger thing, named as that thing when enough of them are expected.
_EXPECTED_GROUPS = (
    (
        "a declaration (`entity`, `tool`, `enum`, `record`, `seed`, ...)",
        {"ENTITY", "TOOL"},
        {"ENTITY", "ENUM", "ENV", "IMPORT", "INVARIANT", "RECORD", "SEED", "TASK", "TOOL", "UNION"},
    ),
    (
        "a statement (`let`, `if`, `for`, `return`, ...)",
        {"LET", "IF"},
        {
            "LET",
            "IF",
            "FOR",
            "RETURN",
            "REQUIRE",
            "FAIL",
            "UPDATE",
            "DELETE",
            "MATCH",
            "INSERT",
            "UPSERT",
            "ELSE",
            "NAME",
        },
    ),
    (
        "an expression",
        {"INT", "STRING", "LPAR"},
        {
            "NAME",
            "INT",
            "DECIMAL",
            "STRING",
            "LPAR",
            "LSQB",
            "LBRACE",
            "DOLLAR",
            "MINUS",
            "TRUE",
            "FALSE",
            "NULL",
            "ME",
            "NOT",
            "INSERT",
            "UPSERT",
        },
    ),
    (
        "an operator",
        {"CMP_OP", "ADD_OP"},
        {"CMP_OP", "ADD_OP", "MUL_OP", "AND", "OR", "IS", "IN", "NOT", "CONTAINS", "MATCHES", "STARTS", "ENDS", "DOT"},
    ),
    (
        "a query suffix (`where`, `order by`, `limit`)",
        {"WHERE", "ORDER"},
        {"WHERE", "ORDER", "LIMIT", "OFFSET", "GROUP"},
    ),
)


def _describe_expected(expected: set[str]) -> str:
    """What the parser expected, in words: related terminals as one thing ("an expression"),
    the end of the file only when nothing else would do, and at most six items."""
    rest = set(expected)
    if len(rest) > 1:
        rest.discard("$END")
    groups = []
    for name, markers, members in _EXPECTED_GROUPS:
        if markers <= rest:
            groups.append(name)
            rest -= members
    names = groups + sorted({_terminal_text(e) for e in rest})
    if len(names) > 6:
        return ", ".join(names[:6]) + ", ..."
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)


# ---- the transformer -------------------------------------------------------------------


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
        if isinstance(c[1], tuple):
            return n.TableAttr(self._ident(c[0]), c[1], self._span())
        return n.TableAttr(self._ident(c[0]), (), self._span(), self._string(c[1]))

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
        var, tool, *args = c
        return n.SolutionCall(
            self._ident(var) if var is not None else None,
            self._ident(tool),
            tuple(a for a in args if a is not None),
            self._span(),
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


# ---- parsing with positions, without a parse tree ------------------------------------------
# Lark can call the transformer at each reduction instead of building a tree (much faster),
# but then it keeps no positions. _PositionedState is Lark's LALR state with a stack of
# (start, end) ranges beside the value stack, giving each rule the range Lark's
# `propagate_positions` would: from the first to the last of its children that has one
# (a `?rule` that passes one child through keeps the child's node as it is, but covers the
# whole text it matched, parentheses included, in the range its parent sees).


class _PositionedState(ParserState):
    __slots__ = ("nodes", "ranges")

    def __init__(self, parse_conf, lexer, nodes: _ToNodes):
        super().__init__(parse_conf, lexer)
        self.ranges: list = []
        self.nodes = nodes

    def feed_token(self, token: Token, is_end=False):
        state_stack, value_stack, ranges = self.state_stack, self.value_stack, self.ranges
        states, callbacks = self.parse_conf.states, self.parse_conf.callbacks
        while True:
            try:
                action, arg = states[state_stack[-1]][token.type]
            except KeyError:
                expected = {s for s in states[state_stack[-1]] if s.isupper()}
                raise UnexpectedToken(token, expected, state=self, interactive_parser=None) from None
            if action is Shift:
                state_stack.append(arg)
                value_stack.append(token)
                ranges.append((token.start_pos, token.end_pos))
                return None
            rule, size = arg, len(arg.expansion)
            if rule in self.nodes.passes_through:  # most reductions: a `?rule` with its one child
                state_stack.pop()
                state_stack.append(states[state_stack[-1]][rule.origin.name][1])
                if is_end and state_stack[-1] == self.parse_conf.end_state:
                    return value_stack[-1]
                continue  # the child's value and range stand for the rule
            if size == 1:
                state_stack.pop()
                children, at = [value_stack.pop()], ranges.pop()
            elif size == 0:
                children, at = [], None
            else:
                children, spans = value_stack[-size:], ranges[-size:]
                del state_stack[-size:], value_stack[-size:], ranges[-size:]
                first, last = spans[0], spans[-1]
                at = (first[0], last[1]) if first is not None and last is not None else _covering(spans)
            self.nodes.at = at
            value = callbacks[rule](children)
            if isinstance(value, Token):  # a `?rule` passing a token through: the token's own range
                at = (value.start_pos, value.end_pos)
            state_stack.append(states[state_stack[-1]][rule.origin.name][1])
            value_stack.append(value)
            ranges.append(at)
            if is_end and state_stack[-1] == self.parse_conf.end_state:
                return value


def _covering(spans: list) -> tuple[int, int] | None:
    first = next((s for s in spans if s is not None), None)
    if first is None:
        return None
    last = next(s for s in reversed(spans) if s is not None)
    return first[0], last[1]


class _NodeParser:
    """A Lark LALR parser that builds nodes as it parses. Its transformer keeps per-parse state,
    so every parse (a string's `{holes}` are parsed during the parse of their declaration)
    takes a parser of its own from a pool."""

    def __init__(self):
        self.nodes = _ToNodes()
        self.lark = _grammar_parser(cache=True, transformer=self.nodes)
        lalr = self.lark.parser.parser.parser  # Lark's LALR driver: its table and reduce callbacks
        self.table, self.callbacks = lalr.parse_table, lalr.callbacks
        # rules whose callback would return their only child unchanged: a `?rule` over one
        # (not inlined) rule. Lark's callback for them is skipped.
        self.nodes.passes_through = frozenset(
            rule
            for rule in self.callbacks
            if not isinstance(rule, str)
            and rule.options.expand1
            and not rule.alias
            and len(rule.expansion) == 1
            and not rule.expansion[0].is_term
            and not rule.expansion[0].name.startswith("_")
        )

    def parse(self, text: str, start: str, path: str, base: int):
        self.nodes.path, self.nodes.base, self.nodes.at = path, base, None
        lexer = self.lark.parser._make_lexer_thread(text)
        state = _PositionedState(ParseConf(self.table, self.callbacks, start), lexer, self.nodes)
        token = None
        for token in lexer.lex(state):
            state.feed_token(token)
        end = Token.new_borrow_pos("$END", "", token) if token else Token("$END", "", 0, 1, 1)
        return state.feed_token(end, True)


_free_parsers: list[_NodeParser] = []
_free_parsers_lock = threading.Lock()


def parse_nodes(text: str, start: str, path: str, base: int = 0):
    """Parse `text` from the grammar rule `start` ("start" or "expr") straight into nodes whose
    spans name `path` and are shifted by `base`. Raises Lark's UnexpectedInput on bad syntax."""
    with _free_parsers_lock:
        node_parser = _free_parsers.pop() if _free_parsers else None
    if node_parser is None:
        node_parser = _NodeParser()
    try:
        return node_parser.parse(text, start, path, base)
    finally:
        with _free_parsers_lock:
            _free_parsers.append(node_parser)


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


# ---- parsing a file ---------------------------------------------------------------------


def _pieces(text: str) -> list[tuple[int, int]]:
    starts = [m.start() for m in DECL_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return [(s, e) for s, e in zip(starts, starts[1:] + [len(text)])]


def _syntax_error(exc: Exception, path: str, base: int, text: str) -> Diagnostic:
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        tok = exc.token
        start = base + (tok.start_pos or 0)
        span = n.Span(path, start, start + max(1, len(tok.value)))
        before = text[: tok.start_pos or 0]
        word = _misused_word(tok, before, exc.expected)
        if word is not None:
            at = base + (tok.start_pos if word == tok.value else before.rstrip().rfind(word))
            return Diagnostic(
                "AWM0001", f"`{word}` is not a keyword here", n.Span(path, at, at + len(word)), help=_WORD_HINTS[word]
            )
        message, help = _token_hint(tok, before, exc.expected)
        return Diagnostic("AWM0001", message, span, help=help)
    if isinstance(exc, (UnexpectedToken, UnexpectedEOF)):
        pos = len(text.rstrip())
        unclosed = _unclosed_label(text, path, base)
        what = f": a `{text[unclosed[0].span.start - base]}` is never closed" if unclosed else ""
        return Diagnostic(
            "AWM0002",
            "unexpected end of input" + what,
            n.Span(path, base + pos, base + pos),
            help=f"expected {_describe_expected(set(exc.expected))}",
            labels=unclosed,
        )
    if isinstance(exc, UnexpectedCharacters):
        at = exc.pos_in_stream or 0
        pos = base + at
        rest = text[at : at + 2]
        ch = rest[:1]
        if ch == '"':
            return Diagnostic(
                "AWM0003",
                "unterminated string",
                n.Span(path, pos, pos + 1),
                help='close it with `"` on the same line (a string cannot span lines; write `\\n` for a line break)',
            )
        if rest in _CHARACTER_HINTS or ch in _CHARACTER_HINTS:
            shown = rest if rest in _CHARACTER_HINTS else ch
            return Diagnostic(
                "AWM0003",
                f"unexpected {'character ' if len(shown) == 1 else ''}`{shown}`",
                n.Span(path, pos, pos + len(shown)),
                help=_CHARACTER_HINTS[shown],
            )
        hint = f"expected {_describe_expected(set(exc.allowed))}" if exc.allowed else None
        return Diagnostic("AWM0003", f"unexpected character `{ch}`", n.Span(path, pos, pos + 1), help=hint)
    return Diagnostic("AWM0001", str(exc).splitlines()[0], n.Span(path, base, base))


# Characters (or pairs) from other languages, and what to write instead.
_CHARACTER_HINTS = {
    "'": 'strings use double quotes: "..."',
    ";": "statements need no `;`: remove it",
    "&&": "write `and`",
    "&": "write `and`",
    "||": "write `or`",
    "|": "write `or`",
    "!": "write `not` (`not x`, `x != y`, `x is not null`)",
}

# Words of other languages met where a declaration or statement starts.
_DECLARATIONS = (
    "a spec declares `env`, `import`, `enum`, `record`, `union`, `entity`, `tool`, `seed`, `invariant` and `task`"
)
_WORD_HINTS = {
    **dict.fromkeys(
        ("def", "fn", "func", "function", "fun", "proc", "method"),
        'there are no functions: what an agent calls is a `tool name(p: int) -> int "what it does" { ... }`, '
        "and a value used twice is a `let` inside it; " + _DECLARATIONS,
    ),
    **dict.fromkeys(
        ("class", "struct", "type", "model", "table", "interface"),
        "a stored type is an `entity Name { id: int @id ... }`, a value type a `record Name { ... }`; " + _DECLARATIONS,
    ),
    **dict.fromkeys(("const", "var", "val"), "variables are declared with `let` inside a tool; " + _DECLARATIONS),
    "while": "there is no `while` loop: write `for x in list { ... }` or `for i in range(n) { ... }`",
    "elif": "write `else if`",
    "foreach": "write `for x in list { ... }`",
}
_BLOCK_OPENERS = re.compile(r"(?:^|[{};])\s*(?:\}\s*)?(?:if|else|elif|for|while|match|try)\b[^{};]*$")


_STATEMENT_WORDS = ("while", "elif", "foreach", "var", "const", "val", "def", "fn", "func", "function")


def _misused_word(tok: Token, before: str, expected: set[str]) -> str | None:
    """A word of another language where a declaration or a statement starts: the token itself,
    or (read as the start of an assignment `word = ...`) the word before it."""
    if tok.type == "NAME" and tok.value in _WORD_HINTS and expected & {"ENTITY", "LET"}:
        return tok.value
    previous = re.search(r"(?:^|[\s{}])([A-Za-z_]\w*)\s*$", before)
    if previous and previous.group(1) in _STATEMENT_WORDS and "EQUAL" in expected:
        return previous.group(1)
    return None


def _token_hint(tok: Token, before: str, expected: set[str]) -> tuple[str, str]:
    """The message and help for an unexpected token: what was probably meant, else what fits."""
    if tok.value == ":" and _BLOCK_OPENERS.search(before):
        return (
            "unexpected `:`",
            "a block is written in braces, not with `:` and indentation: `if cond { ... } else { ... }`",
        )
    if tok.value == "=" and "CMP_OP" in expected:
        return "unexpected `=`", "to compare, write `==` (`=` only assigns, in `let`, `set` and field values)"
    if tok.value == "==" and "EQUAL" in expected:
        return "unexpected `==`", "to assign, write `=` (`==` compares)"
    return f"unexpected {_token_desc(tok)}", f"expected {_describe_expected(set(expected))}"


_BRACKET_SCAN = re.compile(r'"(?:[^"\\\n]|\\.)*"|(?:#|//)[^\n]*|[{}()\[\]]')
_CLOSERS = {"}": "{", ")": "(", "]": "["}


def _unclosed_label(text: str, path: str, base: int) -> tuple[Label, ...]:
    """A note on the bracket that is never closed. When a `}` at the start of a line closes a
    `{` opened on a more indented line, that `{` most likely lost its own `}`."""
    stack, suspects = [], []
    for m in _BRACKET_SCAN.finditer(text):
        ch = m.group()
        if ch in "{([":
            stack.append(m.start())
        elif ch in _CLOSERS and stack:
            opener = stack.pop()
            if (
                ch == "}"
                and _indent_of(text, m.start()) == m.start() - _line_start(text, m.start())
                and _indent_of(text, m.start()) < _indent_of(text, opener)
            ):
                suspects.append(opener)
    if not stack:
        return ()
    pos = suspects[0] if suspects else stack[-1]
    return (Label(n.Span(path, base + pos, base + pos + 1), f"this `{text[pos]}` is never closed"),)


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _indent_of(text: str, pos: int) -> int:
    start = _line_start(text, pos)
    line = text[start : text.find("\n", start) if "\n" in text[start:] else len(text)]
    return len(line) - len(line.lstrip(" \t"))


def _token_desc(tok: Token) -> str:
    if tok.type in ("NAME", "STRING", "INT", "DECIMAL"):
        return f"{TOKEN_NAMES[tok.type].split(' ', 1)[1]} `{tok}`"
    return f"`{tok}`"


# ---- a fast path for seed tables ----------------------------------------------------------
# Seed blocks are data, often most of a spec's tokens. This scanner reads the common shape
# (literals, enum members, `Entity[field: literal]`, lists of literals) into exactly the
# nodes the grammar would give; anything else returns None and the piece goes to Lark.

_SEED_TOKEN = re.compile(
    r"""
    (?P<ws>(?:\s+|(?:\#|//)[^\n]*)+)
  | (?P<decimal>[0-9]+\.[0-9]+)
  | (?P<int>[0-9]+)
  | (?P<string>"(?:[^"\\\n{}]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[-()\[\]{},:])
""",
    re.VERBOSE,
)
_KEYWORD_LITERALS = {"true": (True, "bool"), "false": (False, "bool"), "null": (None, "null")}


class _NotFast(Exception):
    pass


def _seed_tokens(piece: str, base: int):
    pos, out = 0, []
    while pos < len(piece):
        m = _SEED_TOKEN.match(piece, pos)
        if m is None:
            raise _NotFast
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group(), base + m.start(), base + m.end()))
        pos = m.end()
    return out


def fast_seed(piece: str, path: str, base: int) -> n.SeedDecl | None:
    """The SeedDecl for a plain tabular seed block, or None to let the grammar parse it."""
    try:
        toks = _seed_tokens(piece, base)
        return _SeedReader(toks, path).decl()
    except (_NotFast, IndexError):
        return None


class _SeedReader:
    def __init__(self, toks, path):
        self.toks, self.i, self.path = toks, 0, path

    def peek(self):
        return self.toks[self.i]

    def take(self, kind=None, text=None):
        tok = self.toks[self.i]
        if (kind and tok[0] != kind) or (text and tok[1] != text):
            raise _NotFast
        self.i += 1
        return tok

    def span(self, start, end):
        return n.Span(self.path, start, end)

    def ident(self, tok):
        return n.Ident(tok[1], self.span(tok[2], tok[3]))

    def decl(self):
        start = self.take("name", "seed")
        entity = self.ident(self.take("name"))
        self.take("punct", "(")
        columns = [self.ident(self.take("name"))]
        while self.peek()[1] == ",":
            self.take()
            columns.append(self.ident(self.take("name")))
        self.take("punct", ")")
        self.take("punct", "{")
        rows = []
        while self.peek()[1] == "(":
            rows.append(self.row())
        end = self.take("punct", "}")
        if self.i != len(self.toks) or entity.name in ("from",):
            raise _NotFast
        return n.SeedDecl(entity, tuple(columns), tuple(rows), None, self.span(start[2], end[3]))

    def row(self):
        start = self.take("punct", "(")
        values = []
        if self.peek()[1] != ")":
            values.append(self.value())
            while self.peek()[1] == ",":
                self.take()
                values.append(self.value())
        end = self.take("punct", ")")
        return n.SeedRow(tuple(values), self.span(start[2], end[3]))

    def value(self):
        kind, text, s, e = self.peek()
        if text == "-":
            self.take()
            lit = self.literal()
            if lit.kind not in ("int", "decimal"):
                raise _NotFast
            return n.Unary("-", lit, self.span(s, lit.span.end))
        if text == "[":
            self.take()
            items = []
            if self.peek()[1] != "]":
                items.append(self.value())
                while self.peek()[1] == ",":
                    self.take()
                    items.append(self.value())
            end = self.take("punct", "]")
            return n.ListLit(tuple(items), self.span(s, end[3]))
        if kind == "name" and text not in _KEYWORD_LITERALS:
            self.take()
            name = n.Name(text, self.span(s, e))
            if self.peek()[1] == "[":
                self.take()
                field = self.ident(self.take("name"))
                self.take("punct", ":")
                value = self.value()
                end = self.take("punct", "]")
                return n.LookupBy(name, field, value, self.span(s, end[3]))
            if self.peek()[1] in ("(", "."):
                raise _NotFast  # a call or a qualified name: leave it to the grammar
            return name
        return self.literal()

    def literal(self):
        kind, text, s, e = self.take()
        span = self.span(s, e)
        if kind == "int":
            return n.Literal(int(text), "int", span)
        if kind == "decimal":
            return n.Literal(text, "decimal", span)
        if kind == "string":
            return n.Literal(unescape(text[1:-1]), "text", span)
        if kind == "name" and text in _KEYWORD_LITERALS:
            value, lit_kind = _KEYWORD_LITERALS[text]
            return n.Literal(value, lit_kind, span)
        raise _NotFast


def piece_ids(text: str, path: str) -> list[tuple[str, int, str]]:
    """(piece id, start offset, piece text) for each non-blank declaration piece of a file.
    The id names the file and the text's digest; a repeated piece gets `~k` appended.
    Spans inside a piece are relative to it, so a parsed piece can be reused wherever it moves."""
    out: list[tuple[str, int, str]] = []
    seen: dict[str, int] = {}
    for start, end in _pieces(text):
        piece = text[start:end]
        if not piece.strip():
            continue
        key = f"{path}#{hashlib.blake2b(piece.encode(), digest_size=8).hexdigest()}"
        seen[key] = seen.get(key, 0) + 1
        out.append((key if seen[key] == 1 else f"{key}~{seen[key]}", start, piece))
    return out


PARSE_MEMO_SIZE = 8192  # pieces: about 20 large specs


def parse_piece(piece: str, piece_id: str, memo: bool = True) -> tuple[tuple, tuple[Diagnostic, ...]]:
    """The declarations in one piece and its syntax errors, spans relative to the piece. With
    `memo`, a piece this process parsed before is not parsed again (nodes are frozen: shared)."""
    return parse_memo(piece, piece_id) if memo else _parse_piece(piece, piece_id)


def _parse_piece(piece: str, piece_id: str) -> tuple[tuple, tuple[Diagnostic, ...]]:
    if piece.startswith("seed"):
        seed = fast_seed(piece, piece_id, 0)
        if seed is not None:
            return (seed,), ()
    try:
        return tuple(_with_expect_sources(d, piece) for d in parse_nodes(piece, "start", piece_id)), ()
    except UnexpectedInput as exc:
        return (), (_syntax_error(exc, piece_id, 0, piece),)
    except TemplateError as exc:
        return (), (Diagnostic("AWM0004", str(exc), n.Span(piece_id, exc.offset, exc.offset + 1)),)


# the parse memo: nodes are frozen, so a piece's parse is shared by every build that reads it
parse_memo = lru_cache(maxsize=PARSE_MEMO_SIZE)(_parse_piece)


def forget_parsed_pieces() -> None:
    """Empty the parse memo (to measure a build from nothing)."""
    parse_memo.cache_clear()


def parse_source(
    text: str, path: str, sources: Sources | None = None, memo: bool = True
) -> tuple[n.Module, list[Diagnostic]]:
    """Parse one file's text. Returns the declarations that parsed and the syntax errors.
    Spans are relative to their declaration's piece: `sources.resolve` places them in the file.
    With `memo`, a piece parsed before (same file, same text) is not parsed again."""
    sources = sources if sources is not None else Sources()
    sources.add(path, text)
    decls: list = []
    diags: list[Diagnostic] = []
    for piece_id, start, piece in piece_ids(text, path):
        if len(diags) >= MAX_SYNTAX_ERRORS:
            break
        sources.add_piece(piece_id, path, start)
        piece_decls, piece_diags = parse_piece(piece, piece_id, memo)
        decls.extend(piece_decls)
        diags.extend(piece_diags)
    return n.Module(path, tuple(decls)), diags


def _with_expect_sources(decl, piece: str):
    """Tasks keep each `expect` condition's source text, to name the check in reports."""
    if not isinstance(decl, n.Task):
        return decl
    expects = tuple(
        n.Expect(e.cond, e.weight, " ".join(piece[e.cond.span.start : e.cond.span.end].split()), e.span)
        for e in decl.expects
    )
    return n.Task(decl.name, decl.instruction, decl.solution, expects, decl.span)


def parse_expression(text: str, path: str = "<expr>") -> n.Expr:
    """Parse a single expression (used for docs and tests)."""
    return parse_nodes(text, "expr", path)


# ---- a spec with its imports --------------------------------------------------------------


def load_modules(
    path: str | Path, sources: Sources, text: str | None = None, memo: bool = True
) -> tuple[list[n.Module], list[Diagnostic]]:
    """Parse a spec file and, depth first, every file it imports (each once)."""
    modules: list[n.Module] = []
    diags: list[Diagnostic] = []
    seen: set[str] = set()
    names: dict[str, str] = {}

    def visit(file: Path, display: str, content: str | None, via: n.Import | None, stack: tuple[str, ...]):
        try:
            key = str(file.resolve())
        except (OSError, ValueError):  # e.g. a NUL byte in an import path
            diags.append(Diagnostic("AWM0010", f"cannot read `{display}`: not a valid path", via.span if via else None))
            return
        if key in stack:
            chain = [names[k] for k in stack[stack.index(key) :]] + [display]
            diags.append(
                Diagnostic(
                    "AWM0011",
                    f"import cycle: {' -> '.join(chain)}",
                    via.span if via else None,
                    help="move what both files need into a third file that both import",
                )
            )
            return
        if key in seen:
            return
        seen.add(key)
        names[key] = display
        if content is None:
            try:
                content = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
                diags.append(Diagnostic("AWM0010", f"cannot read `{display}`: {reason}", via.span if via else None))
                return
        module, errors = parse_source(content, display, sources, memo)
        diags.extend(errors)
        for decl in module.decls:
            if isinstance(decl, n.Import):
                target = file.parent / decl.path
                visit(target, display_path(target), None, decl, stack + (key,))
        modules.append(module)

    root = Path(path)
    visit(root, display_path(root), text, None, ())
    return modules, diags
