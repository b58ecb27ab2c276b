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
from functools import lru_cache
from pathlib import Path

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .. import nodes as n
from ..diagnostics import Diagnostic, Label, Sources, display_path
from .lalr import build_strict_parser, parser
from .seed_scanner import fast_seed
from .to_nodes import TemplateError, parse_expression, parse_nodes, unescape

__all__ = [
    "DECL_START",
    "MAX_SYNTAX_ERRORS",
    "PARSE_MEMO_SIZE",
    "TOKEN_NAMES",
    "TemplateError",
    "build_strict_parser",
    "fast_seed",
    "forget_parsed_pieces",
    "load_modules",
    "parse_expression",
    "parse_memo",
    "parse_nodes",
    "parse_piece",
    "parse_source",
    "parser",
    "piece_ids",
    "unescape",
]

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
