"""docs/diagnostics.md lists every diagnostic code with its explanation, as `awmc explain` does."""

from __future__ import annotations

import os
from pathlib import Path

from awmlang.compiler.diagnostics import CODES, codes_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "diagnostics.md"


def test_diagnostics_page_matches_the_code_table():
    if os.environ.get("AWM_UPDATE_GOLDEN"):
        DOC.write_text(codes_markdown())
    assert DOC.read_text() == codes_markdown()


def test_every_code_has_a_diagnostic_case():
    cases = Path(__file__).parent / "diagnostics"
    produced = {p.read_text().split()[2] for p in cases.glob("*.awm") if not p.name.startswith("_")}
    assert sorted(set(CODES) - produced) == []
