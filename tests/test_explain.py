"""`awmc explain CODE`: every diagnostic code has an example, and each example is real: the
erroneous spec produces that code, and the fixed spec compiles without any diagnostic."""

from __future__ import annotations

from pathlib import Path

import pytest
from awmlang.compiler.build import build_spec
from awmlang.compiler.diagnostic_examples import EXAMPLES, SPEC_NAME
from awmlang.compiler.diagnostics import CODES, render_human

from awmlang.cli import main


def compile_example(code: str, fixed: bool, folder: Path):
    example = EXAMPLES[code]
    folder.mkdir()
    for name, text in example.files_for(fixed).items():
        (folder / name).write_text(text)
    (folder / SPEC_NAME).write_text(example.spec(fixed))
    return build_spec(folder / SPEC_NAME)  # imports and seed files are found beside the spec


def test_every_code_has_an_example():
    assert sorted(EXAMPLES) == sorted(CODES)


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_the_erroneous_example_produces_its_code(code, tmp_path):
    result = compile_example(code, False, tmp_path / "wrong")
    produced = [d for d in result.diagnostics if d.code == code]
    assert produced, render_human(result.diagnostics, result.sources)
    assert all(d.severity == ("warning" if code.startswith("AWM4") else "error") for d in produced)


@pytest.mark.parametrize("code", sorted(EXAMPLES))
def test_the_fixed_example_compiles_cleanly(code, tmp_path):
    result = compile_example(code, True, tmp_path / "fixed")
    assert result.ok and not result.diagnostics, render_human(result.diagnostics, result.sources)


def test_explain_prints_the_explanation_and_the_example(capsys):
    assert main(["explain", "awm4006"]) == 0
    out = capsys.readouterr().out
    title, text = CODES["AWM4006"]
    assert out.startswith(f"AWM4006: {title}\n\n{text}\n\nExample. Each snippet follows the lines\n\n")
    assert '\n      require not slot.taken else fail SlotTaken "the slot is taken"\n' in out
    assert '\n      require not slot.taken else fail slot_taken "the slot is taken"\n' in out


def test_explain_shows_the_files_an_example_needs(capsys):
    assert main(["explain", "AWM0012"]) == 0
    out = capsys.readouterr().out
    assert "with `users.json` beside the spec (`spec.awm`):" in out and "with `users.json` now:" in out
