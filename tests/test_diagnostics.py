"""Broken specs under tests/diagnostics/: each names the diagnostic it must produce.

The first line of each case is `# expect: CODE [FILE:]LINE:COL message excerpt` (files named
`_*` are helpers that cases import). The full rendered
output is also compared with `<case>.stderr` (regenerate with AWM_UPDATE_GOLDEN=1).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from awmlang.compiler.build import build_spec
from awmlang.compiler.diagnostics import CODES, render_human, render_json

CASES = sorted(p for p in (Path(__file__).parent / "diagnostics").glob("*.awm") if not p.name.startswith("_"))
EXPECT = re.compile(r"^# expect: (AWM\d{4}) (?:(\S+\.awm):)?(\d+):(\d+) (.+)$")


def _expectation(path: Path):
    first = path.read_text().splitlines()[0]
    m = EXPECT.match(first)
    assert m, f"{path.name} must start with `# expect: CODE LINE:COL message`"
    return m.group(1), m.group(2) or path.name, int(m.group(3)), int(m.group(4)), m.group(5)


def _build(path: Path):
    cwd = os.getcwd()
    os.chdir(path.parent)  # diagnostics then name the file relative to its folder
    try:
        return build_spec(path.name)
    finally:
        os.chdir(cwd)


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_diagnostic(path: Path):
    code, file, line, col, message = _expectation(path)
    result = _build(path)
    matches = [d for d in result.diagnostics if d.code == code]
    assert matches, f"expected {code}, got {[(d.code, d.message) for d in result.diagnostics]}"
    d = matches[0]
    assert d.code in CODES
    assert d.span is not None
    assert result.sources.line_col(d.span) == (line, col), d.message
    assert message in d.message
    if code.startswith("AWM4"):
        assert d.severity == "warning" and result.ok
    else:
        assert d.severity == "error" and not result.ok and not result.outputs

    rendered = render_human(result.diagnostics, result.sources)
    golden = path.with_suffix(".stderr")
    if os.environ.get("AWM_UPDATE_GOLDEN"):
        golden.write_text(rendered)
    assert golden.exists(), f"{golden.name} is missing: regenerate goldens with AWM_UPDATE_GOLDEN=1"
    assert rendered == golden.read_text()

    as_json = json.loads(render_json(result.diagnostics, result.sources))
    entry = as_json[result.diagnostics.index(d)]
    assert entry["message"] == d.message and entry["severity"] == d.severity
    assert (entry["code"], entry["line"], entry["column"], entry["file"]) == (code, line, col, file)


def test_all_errors_reported_at_once():
    """Two broken declarations give two diagnostics, not just the first."""
    result = _build(Path(__file__).parent / "diagnostics" / "syntax_two_errors.awm")
    assert [d.code for d in result.diagnostics].count("AWM0001") == 2


def test_did_you_mean_for_misspelt_field():
    result = _build(Path(__file__).parent / "diagnostics" / "unknown_field_member.awm")
    assert result.diagnostics[0].help == "did you mean `stock`?"


def test_article_follows_the_sound_of_the_name():
    from awmlang.compiler.diagnostics import with_article

    assert [with_article(w) for w in ("`Invoice`", "`User`", "int", "enum", "union", "`Order`", "decimal")] == [
        "an `Invoice`",
        "a `User`",
        "an int",
        "an enum",
        "a union",
        "an `Order`",
        "a decimal",
    ]


def test_query_errors_come_with_the_checkers_errors():
    """A type error does not hide a query that cannot be lowered (AWM2007): one build, both."""
    result = _build(Path(__file__).parent / "diagnostics" / "query_error_with_type_error.awm")
    assert [d.code for d in result.diagnostics] == ["AWM2001", "AWM2007"]


def test_every_query_error_of_a_clean_spec_at_once():
    result = _build(Path(__file__).parent / "diagnostics" / "query_not_sql.awm")
    assert [d.code for d in result.diagnostics] == ["AWM2007"] * 5
    assert all(d.help for d in result.diagnostics)


def test_unclosed_brace_is_located_in_json_too():
    result = _build(Path(__file__).parent / "diagnostics" / "syntax_unclosed_block.awm")
    (entry,) = json.loads(render_json(result.diagnostics, result.sources))
    assert entry["labels"] == [
        {"message": "this `{` is never closed", "file": "syntax_unclosed_block.awm", "line": 5, "column": 12}
    ]
