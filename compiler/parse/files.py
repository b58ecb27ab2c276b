"""A file's text -> its declarations, one piece per declaration (the parse memo), and a spec with its imports."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

from lark.exceptions import UnexpectedInput

from .. import nodes as n
from ..diagnostics import Diagnostic, Sources, display_path
from .seed_scanner import fast_seed
from .syntax_errors import _syntax_error
from .to_nodes import TemplateError, parse_nodes

DECL_START = re.compile(r"^(?:env|enum|entity|record|union|tool|seed|import|invariant|task)\b", re.MULTILINE)
MAX_SYNTAX_ERRORS = 20


# ---- parsing a file ---------------------------------------------------------------------


def _pieces(text: str) -> list[tuple[int, int]]:
    starts = [m.start() for m in DECL_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return [(s, e) for s, e in zip(starts, starts[1:] + [len(text)])]


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
