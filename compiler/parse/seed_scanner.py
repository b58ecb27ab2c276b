"""A fast path for plain seed tables: a small scanner that builds exactly the nodes the grammar would, or declines."""

from __future__ import annotations

import re

from .. import nodes as n
from .to_nodes import unescape

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
