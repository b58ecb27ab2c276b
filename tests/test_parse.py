"""The parser: the seed fast path gives exactly the grammar's nodes; positions are kept."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from awmlang.compiler import nodes as n
from awmlang.compiler.diagnostics import Sources
from awmlang.compiler.parse import fast_seed, parse_expression, parse_memo, parse_nodes, parse_source
from awmlang.compiler.parse.files import _pieces
from awmlang.compiler.parse.to_nodes import _ToNodes
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark, Transformer, Tree

ROOT = Path(__file__).resolve().parent.parent
SPEC_FILES = sorted(ROOT.glob("specs/*.awm")) + sorted(ROOT.glob("tests/cases/*/*.awm"))


def same_tree(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if dataclasses.is_dataclass(a):
        return all(same_tree(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same_tree(x, y) for x, y in zip(a, b))
    return a == b


def seed_pieces():
    for path in SPEC_FILES:
        text = path.read_text()
        for start, end in _pieces(text):
            if text[start:end].startswith("seed"):
                yield pytest.param(text[start:end], start, id=f"{path.name}@{start}")


@pytest.mark.parametrize("piece,start", list(seed_pieces()))
def test_seed_fast_path_matches_the_grammar(piece, start):
    by_grammar = parse_nodes(piece, "start", "x.awm", start)[0]
    fast = fast_seed(piece, "x.awm", start)
    if fast is not None:
        assert same_tree(fast, by_grammar)


class _FromLarkTree(Transformer):
    """The reference: Lark's own parse tree with `propagate_positions`, turned into nodes by
    the same _ToNodes methods, each told the range Lark recorded for its rule."""

    def __init__(self):
        super().__init__(visit_tokens=False)
        self.nodes = _ToNodes()
        self.nodes.path = "x.awm"

    def __default__(self, data, children, meta):
        method = getattr(self.nodes, data, None)
        if method is None:
            return Tree(data, children, meta)
        self.nodes.at = None if meta.empty else (meta.start_pos, meta.end_pos)
        return method(children)


def every_piece():
    files = SPEC_FILES + sorted(ROOT.glob("tests/diagnostics/*.awm")) + sorted(ROOT.glob("tests/broken/*.awm"))
    for path in files:
        text = path.read_text()
        for start, end in _pieces(text):
            if text[start:end].strip():
                yield text[start:end]
    for block in re.findall(r"```awm\n(.*?)```", (ROOT / "docs" / "language.md").read_text(), re.DOTALL):
        for start, end in _pieces(block):
            if block[start:end].strip():
                yield block[start:end]


def test_nodes_built_during_the_parse_equal_those_from_lark_s_tree():
    tree_parser = Lark.open_from_package(
        "awmlang.grammar",
        "awm.lark",
        parser="lalr",
        start=["start", "expr"],
        maybe_placeholders=True,
        propagate_positions=True,
    )
    compared = 0
    for piece in every_piece():
        try:
            reference = _FromLarkTree().transform(tree_parser.parse(piece, start="start"))
        except Exception:
            with pytest.raises(Exception):  # bad syntax (a diagnostics case): both reject it
                parse_nodes(piece, "start", "x.awm")
            continue
        assert same_tree(parse_nodes(piece, "start", "x.awm"), reference), piece[:80]
        compared += 1
    assert compared > 500


def test_fast_path_declines_what_it_does_not_know():
    assert fast_seed("seed P(a, b) { (1, now()) }", "x", 0) is None
    assert fast_seed("seed P(a) { (S.a) }", "x", 0) is None
    assert fast_seed('seed P from "p.csv"', "x", 0) is None
    assert fast_seed('seed P(a) { ("{x}") }', "x", 0) is None
    module, diags = parse_source("env e {}\nseed P(a, b) { (1, now() - days(2)) }\n", "x.awm")
    assert not diags and isinstance(module.decls[1].rows[0].values[1], n.Binary)


def test_spans_point_at_the_source():
    text = 'env e {}\ntool f(x: int) "d" { return x + 10 }\n'
    sources = Sources()
    module, _ = parse_source(text, "x.awm", sources)
    ret = module.decls[1].body.stmts[0]

    def source_of(span):
        span = sources.resolve(span)
        assert span.path == "x.awm"
        return text[span.start : span.end]

    assert source_of(ret.span) == "return x + 10"
    assert source_of(ret.value.right.span) == "10"


def test_an_unchanged_declaration_is_reused_wherever_it_moves():
    tool = 'tool f(x: int) "d" { return x + 10 }\n'
    first, _ = parse_source("env e {}\n" + tool, "moved.awm")
    text = 'env e { description "longer now" }\n\n' + tool
    sources = Sources()
    second, _ = parse_source(text, "moved.awm", sources)
    assert second.decls[1] is first.decls[1]  # not parsed again
    assert second.decls[0] is not first.decls[0]
    ret = sources.resolve(second.decls[1].body.stmts[0].span)
    assert text[ret.start : ret.end] == "return x + 10"  # but placed where it is now


def test_repeated_pieces_are_placed_apart():
    text = "env e {}\nenum A { x }\nenum A { x }\n"
    sources = Sources()
    module, _ = parse_source(text, "twice.awm", sources)
    first, second = (sources.resolve(d.span) for d in module.decls[1:])
    assert (first.start, second.start) == (text.index("enum"), text.rindex("enum"))


def test_a_syntax_error_in_a_moved_piece_is_reported_where_it_is():
    bad = "tool f( {\n"
    parse_source("env e {}\n" + bad, "err.awm")
    hits_before = parse_memo.cache_info().hits
    text = "env e {}\n\n\n" + bad
    sources = Sources()
    _, diags = parse_source(text, "err.awm", sources)
    assert parse_memo.cache_info().hits == hits_before + 1  # the tool piece (the env piece gained blank lines)
    assert sources.line_col(diags[0].span) == (4, 9)


def test_keywords_are_contextual():
    expr = parse_expression("Item where limit > 1 order by order desc then list limit limit offset offset")
    assert isinstance(expr, n.Offset) and isinstance(expr.source, n.Limit)
    assert expr.source.source.keys[1].expr.name == "list"


def test_unreadable_import_paths_are_diagnostics(tmp_path):
    from awmlang.compiler.build import check_spec

    for path in ['"\x00"', '"/nonexistent/dir/x.awm"', '"."']:
        result = check_spec(tmp_path / "s.awm", text=f"env e {{}}\nimport {path}\n")
        assert [d.code for d in result.diagnostics] == ["AWM0010"], path


def test_unreadable_seed_files_are_diagnostics(tmp_path):
    from awmlang.compiler.build import build_spec

    for path in ['"\x00.csv"', '"missing.csv"', '"x.txt"']:
        result = build_spec(tmp_path / "s.awm", text=f"env e {{}}\nentity E {{ id: int @id }}\nseed E from {path}\n")
        assert [d.code for d in result.diagnostics] == ["AWM0012"], path


def test_braces_in_seed_strings_defaults_and_checks_agree_on_both_parser_paths():
    import sqlite3

    from awmlang.compiler.build import build_spec

    text = (
        'env e {}\nentity U { id: int @id  name: text = "{{none}}" @check(name != "{{x}}")  at: date? }\n'
        'seed U(id, name) { (1, "a {{b}}") (2, "c \\{d\\}") }\n'
        'seed U(id, name, at) { (3, "e {{f}}", today()) (4, "g \\{h\\}", null) }\n'
    )
    result = build_spec("braces.awm", text=text)
    assert result.ok, [d.message for d in result.diagnostics]
    db = sqlite3.connect(":memory:")
    db.deserialize(result.outputs["initial.db"])
    assert db.execute("SELECT name FROM u ORDER BY id").fetchall() == [("a {b}",), ("c {d}",), ("e {f}",), ("g {h}",)]
    hole = build_spec(
        "hole.awm", text='env e {}\nentity U { id: int @id  name: text }\nseed U(id, name) { (1, "a {name}") }\n'
    )
    assert [d.code for d in hole.errors] == ["AWM3002"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab\n", max_size=40), st.integers(min_value=0, max_value=45))
def test_line_and_column_of_an_offset(text, offset):
    sources = Sources()
    sources.add("f.awm", text)
    offset_in_text = min(offset, len(text))
    line = text.count("\n", 0, offset_in_text) + 1
    column = offset_in_text - (text.rfind("\n", 0, offset_in_text) + 1) + 1
    assert sources.line_col(n.Span("f.awm", offset, offset)) == (line, column)
