"""Layout of generated Python: lines longer than LIMIT are broken inside their brackets (at the
commas of the widest bracket, else before the operators that bind least), and long string
literals are cut into adjacent literals. Only newlines, indentation, trailing commas after
two or more items and the cutting of strings change: the module's syntax tree stays the same
(tests compare the trees of every bundled spec's handlers with and without the layout)."""

from __future__ import annotations

import ast
import functools
import re
import tokenize
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

LIMIT = 120
INDENT = "    "

# operators a bracket's single expression is broken before, the loosest first
SPLIT_LEVELS = (
    ("for", "if", "else"),
    ("or",),
    ("and",),
    ("==", "!=", "<", "<=", ">", ">=", "in", "is"),
    ("+", "-"),
    ("*", "/", "%"),
)
OPENERS, CLOSERS = "([{", ")]}"
SHORT = 40  # the items of a bracket fill its lines when none is longer


@dataclass(frozen=True)
class Tok:
    kind: int
    text: str
    start: int
    end: int

    def is_op(self, *texts: str) -> bool:
        return self.kind in (tokenize.OP, tokenize.NAME) and self.text in texts


TOKEN = re.compile(
    r"""[ ]*(?:
      (?P<string>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
    | (?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?[jJ]?|\.\d+(?:[eE][-+]?\d+)?)
    | (?P<name>[^\W\d]\w*)
    | (?P<op>\*\*=?|//=?|->|:=|==|!=|<=|>=|<<=?|>>=?|[-+*/%@&|^]=|[()\[\]{},:;.~<>=+\-*/%@&|^])
    )""",
    re.VERBOSE,
)
KINDS = {"string": tokenize.STRING, "number": tokenize.NUMBER, "name": tokenize.NAME, "op": tokenize.OP}


def tokens(code: str) -> list[Tok] | None:
    """The tokens of one line of generated code (None if it has anything else: a comment, a
    prefixed or unclosed string, a line continuation). Python's tokenize would do, ten times slower."""
    out = []
    pos, n = 0, len(code.rstrip(" "))
    while pos < n:
        m = TOKEN.match(code, pos)
        if m is None:
            return None
        kind = m.lastgroup
        assert kind is not None  # each of TOKEN's alternatives is a named group
        out.append(Tok(KINDS[kind], m.group(kind), m.start(kind), m.end()))
        pos = m.end()
    if any(
        t.kind == tokenize.STRING and out[i - 1].kind == tokenize.NAME and out[i - 1].end == t.start
        for i, t in enumerate(out)
        if i
    ):
        return None  # b'...', r'...', f'...'
    return out


@functools.lru_cache(maxsize=1 << 16)
def wrap_line(line: str, nested: bool = False, limit: int = LIMIT) -> tuple[str, ...]:
    """One physical line as lines of at most `limit` characters where it can be broken.
    `nested`: the line is inside brackets opened on an earlier line (so it may break anywhere)."""
    if len(line) <= limit:
        return (line,)
    code = line.lstrip(" ")
    toks = tokens(code)
    if not toks:
        return (line,)
    return tuple(_layout(code, toks, line[: len(line) - len(code)], "", nested, limit))


def _text(code: str, toks: list[Tok]) -> str:
    return code[toks[0].start : toks[-1].end]


def _layout(code: str, toks: list[Tok], indent: str, suffix: str, nested: bool, limit: int) -> list[str]:
    text = _text(code, toks)
    if len(indent) + len(text) + len(suffix) <= limit:
        return [indent + text + suffix]
    pair = _widest_pair(toks)
    if pair is not None:
        o, c = pair
        inner = indent + INDENT
        body = toks[o + 1 : c]
        lines = [indent + code[toks[0].start : toks[o].end]]
        items = _split(body, lambda t: t.is_op(","))
        if len(inner) + len(_text(code, body)) <= limit:  # the inside on a line of its own
            lines.append(inner + _text(code, body))
        elif (
            toks[o].text != "{"
            and (len(items) > 1 or body[-1].is_op(","))
            and all(len(_text(code, item)) <= SHORT for item in items)
        ):  # short items of a call, tuple or list fill lines (a dict keeps an entry a line)
            current = inner
            for item in items:
                piece = _text(code, item) + ","
                if current != inner and len(current) + 1 + len(piece) > limit:
                    lines.append(current)
                    current = inner
                current += (" " if current != inner else "") + piece
            lines.append(current)
        elif len(items) > 1 or body[-1].is_op(","):  # one item a line (`(x, )` keeps its comma)
            for item in items:
                if item:
                    lines += _layout(code, item, inner, ",", True, limit)
        else:
            lines += _layout_expression(code, body, inner, "", limit)
        return lines + _layout(code, toks[c:], indent, suffix, nested, limit)
    if nested:
        return _layout_expression(code, toks, indent, suffix, limit)
    return [indent + text + suffix]


def _layout_expression(code: str, toks: list[Tok], indent: str, suffix: str, limit: int) -> list[str]:
    """An expression inside brackets: broken before its loosest operators, or a string cut up."""
    if len(indent) + len(_text(code, toks)) + len(suffix) <= limit:
        return [indent + _text(code, toks) + suffix]
    if len(toks) == 1 and toks[0].kind == tokenize.STRING and toks[0].text[:1] in "'\"":
        return [indent + part for part in cut_string(eval_string(toks[0].text), limit - len(indent), suffix)]
    if len(toks) == 3 and toks[1].is_op(":") and toks[2].kind == tokenize.STRING and toks[2].text[:1] in "'\"":
        # a dict entry whose value is a long string: the value cut up inside parentheses
        parts = cut_string(eval_string(toks[2].text), limit - len(indent) - len(INDENT))
        return [indent + _text(code, toks[:2]) + " (", *[indent + INDENT + p for p in parts], indent + ")" + suffix]
    if toks[0].is_op("for", "if") and _widest_pair(toks) is not None:  # `for k in f(...)`: `in` stays
        return _layout(code, toks, indent, suffix, True, limit)
    for level in SPLIT_LEVELS:
        pieces = _split_before(toks, level)
        if len(pieces) > 1:
            lines = []
            for i, piece in enumerate(pieces):
                lines += _layout_expression(code, piece, indent, suffix if i == len(pieces) - 1 else "", limit)
            return lines
    if _widest_pair(toks) is not None:
        return _layout(code, toks, indent, suffix, True, limit)
    return [indent + _text(code, toks) + suffix]


def _widest_pair(toks: list[Tok]) -> tuple[int, int] | None:
    """The outermost bracket pair with the most text inside (the first of equals)."""
    best, depth, start = None, 0, 0
    for i, t in enumerate(toks):
        if t.kind == tokenize.OP and t.text in OPENERS:
            if depth == 0:
                start = i
            depth += 1
        elif t.kind == tokenize.OP and t.text in CLOSERS:
            depth -= 1
            if depth == 0 and i > start + 1:
                width = t.start - toks[start].end
                if best is None or width > best[0]:
                    best = (width, start, i)
    return None if best is None else (best[1], best[2])


def _depths(toks: list[Tok]) -> list[int]:
    out, depth = [], 0
    for t in toks:
        if t.kind == tokenize.OP and t.text in CLOSERS:
            depth -= 1
        out.append(depth)
        if t.kind == tokenize.OP and t.text in OPENERS:
            depth += 1
    return out


def _split(toks: list[Tok], is_separator) -> list[list[Tok]]:
    """Split at top-level separators (dropped)."""
    pieces: list[list[Tok]] = [[]]
    for t, depth in zip(toks, _depths(toks)):
        if depth == 0 and is_separator(t):
            pieces.append([])
        else:
            pieces[-1].append(t)
    if not pieces[-1]:
        pieces.pop()
    return pieces


def _split_before(toks: list[Tok], ops: tuple[str, ...]) -> list[list[Tok]]:
    """Split before top-level binary operators of one level (each piece but the first starts
    with its operator). `not in` and `is not` stay whole; a unary minus is not a split point."""
    pieces: list[list[Tok]] = [[]]
    depths = _depths(toks)
    for i, t in enumerate(toks):
        prev = toks[i - 1] if i else None
        binary = prev is not None and not (prev.kind == tokenize.OP and prev.text not in CLOSERS)
        binary = binary and not (prev is not None and prev.is_op("not", "and", "or", "in", "is", "if", "else"))
        if depths[i] == 0 and i and t.is_op(*ops) and binary and pieces[-1]:
            pieces.append([])
        elif depths[i] == 0 and t.is_op("in") and prev is not None and prev.is_op("not") and "in" in ops:
            if len(pieces[-1]) > 1:  # `not in`: move the `not` to the new piece
                pieces[-1].pop()
                pieces.append([prev])
        pieces[-1].append(t)
    return pieces


def eval_string(literal: str) -> str:
    """The value of a plain string literal."""
    value = ast.literal_eval(literal)
    assert isinstance(value, str)
    return value


BREAK = re.compile(r"(?<= )")


def cut_string(value: str, width: int, suffix: str = "", breaks: re.Pattern = BREAK) -> list[str]:
    """Adjacent literals (repr) that together hold `value`, each at most `width` characters
    where a break point allows (after spaces, or at `breaks`); `suffix` ends the last."""
    segments = [s for s in breaks.split(value) if s]
    words = [w for s in segments for w in (BREAK.split(s) if len(repr(s)) > width else [s]) if w]
    chunks: list[list[str]] = [[]]
    for w in words:
        if chunks[-1] and len(repr("".join(chunks[-1]) + w)) > width:
            chunks.append([])
        chunks[-1].append(w)
    if len(chunks[-1]) > 1 and len(repr("".join(chunks[-1]))) + len(suffix) > width:
        tail = [chunks[-1].pop()]  # the suffix must fit too
        while len(chunks[-1]) > 1 and len(repr("".join(chunks[-1]))) + len(suffix) > width:
            tail.insert(0, chunks[-1].pop())
        chunks.append(tail)
    lines = [repr("".join(chunk)) for chunk in chunks]
    lines[-1] += suffix
    return lines


def wrap_module(text: str, limit: int = LIMIT, frozen: AbstractSet[int] = frozenset()) -> str:
    """Every long line of a module broken (but those whose indexes are `frozen`: whole
    statements, broken already), knowing which lines are inside brackets opened on an earlier
    line. The module starts with a docstring; it holds no other multi-line string."""
    lines = text.split("\n")
    out = []
    depth = 0
    in_docstring = text.startswith('"""')
    for i, line in enumerate(lines):
        if in_docstring:
            out.append(line)
            in_docstring = not (line.endswith('"""') and (i > 0 or len(line) > 5))
            continue
        if i in frozen:  # whole statements: their brackets balance
            out.append(line)
            continue
        out += wrap_line(line, nested=depth > 0, limit=limit) if len(line) > limit else [line]
        depth = max(0, depth + _bracket_balance(line))
    return "\n".join(out)


STRINGS = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|#.*""")


def _bracket_balance(line: str) -> int:
    """Openers minus closers on a line of code (outside its string literals and comment)."""
    if "'" in line or '"' in line or "#" in line:
        line = STRINGS.sub("", line)
    return sum(map(line.count, OPENERS)) - sum(map(line.count, CLOSERS))


def _string_end(code: str, i: int) -> int:
    quote = code[i]
    i += 1
    while i < len(code) and code[i] != quote:
        i += 2 if code[i] == "\\" else 1
    return i + 1


def parenthesized(code: str) -> bool:
    """Is code one bracketed expression `( ... )` (its first parenthesis closes at its end)?"""
    if not code.startswith("(") or not code.endswith(")"):
        return False
    depth, i = 0, 0
    while i < len(code):
        ch = code[i]
        if ch in "'\"":
            i = _string_end(code, i)
            continue
        if ch in OPENERS:
            depth += 1
        elif ch in CLOSERS:
            depth -= 1
            if depth == 0:
                return i == len(code) - 1
        i += 1
    return False
