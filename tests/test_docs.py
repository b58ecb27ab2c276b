"""Every ```awm block in docs/ and the README is a complete spec that compiles without errors or warnings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from awmlang.compiler.build import build_spec
from awmlang.compiler.diagnostics import render_human

DOCS = Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(r"^```awm\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks():
    for doc in sorted(DOCS.glob("*.md")) + [DOCS.parent / "README.md"]:
        text = doc.read_text()
        for m in BLOCK.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            yield pytest.param(m.group(1), id=f"{doc.name}:{line}")


BLOCKS = list(_blocks())


def test_language_reference_has_examples():
    assert len(BLOCKS) >= 10


@pytest.mark.parametrize("source", BLOCKS)
def test_doc_example_compiles(source, tmp_path):
    spec = tmp_path / "example.awm"
    spec.write_text(source)
    result = build_spec(spec)
    assert not result.diagnostics, render_human(result.diagnostics, result.sources)
