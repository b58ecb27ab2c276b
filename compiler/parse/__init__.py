"""Phase 1: text -> syntax tree (compiler.nodes), with syntax errors as diagnostics.

The LALR parser is built once per process from the packaged grammar. A file is cut into
top-level declarations at lines that start with a declaration keyword, and each piece is
parsed on its own, so one syntax error does not hide the errors (or the declarations)
after it. Spans are relative to their piece, so a piece is parsed once per process and
reused wherever an edit moves it (the parse memo, keyed by the piece's text).

The modules, each importing only those above it (lalr names the transformer's type only for mypy):
- lalr: the grammar's Lark parser, and the LALR driver that gives each rule the range of text it covers
- to_nodes: the transformer (a method per grammar rule, called at each reduction), parse_nodes and
  its pool of parsers, strings with `{holes}`
- seed_scanner: the fast path for plain seed tables (exactly the grammar's nodes, or None)
- syntax_errors: Lark's errors as diagnostics, in words, with what was probably meant
- files: a file cut into pieces, each parsed once per process (the parse memo); a spec with its imports
"""

from __future__ import annotations

from .files import (
    DECL_START,
    MAX_SYNTAX_ERRORS,
    PARSE_MEMO_SIZE,
    forget_parsed_pieces,
    load_modules,
    parse_memo,
    parse_piece,
    parse_source,
    piece_ids,
)
from .lalr import build_strict_parser, parser
from .seed_scanner import fast_seed
from .syntax_errors import TOKEN_NAMES
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
