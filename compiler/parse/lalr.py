"""The grammar's LALR parser, built once from the packaged grammar and driven by hand to keep each rule's text range."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from lark import Lark, Token
from lark.exceptions import UnexpectedToken
from lark.parsers.lalr_analysis import Shift
from lark.parsers.lalr_parser_state import ParseConf, ParserState

if TYPE_CHECKING:
    from .to_nodes import _ToNodes


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
    takes a parser of its own from a pool (to_nodes.parse_nodes, which makes the transformer)."""

    def __init__(self, nodes):
        self.nodes = nodes
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
