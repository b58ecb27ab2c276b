"""Syntax errors as diagnostics: Lark's UnexpectedInput -> a message, what was expected in words, what was meant."""

from __future__ import annotations

import re

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from .. import nodes as n
from ..diagnostics import Diagnostic, Label
from .lalr import parser

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
