"""The bundled specs: sizes the project promises, and a test file that calls every tool."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from awmlang.compiler.build import build_spec

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.awm"))
CALL = re.compile(r'(?:\.call|fails|ok)\(\s*(?:\w+,\s*)?"(\w+)"')


@pytest.fixture(scope="module")
def builds():
    return {p.stem: build_spec(p) for p in SPECS}


def test_there_are_six_specs_and_one_has_at_least_35_tools(builds):
    assert len(SPECS) >= 6
    assert max(len(b.model.tools) for b in builds.values()) >= 35


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_spec_is_clean_and_large_enough(spec, builds):
    result = builds[spec.stem]
    assert result.ok and not result.diagnostics, [d.message for d in result.diagnostics]
    counts = json.loads(result.outputs["manifest.json"])["counts"]
    assert counts["entities"] >= 6 and counts["tools"] >= 25 and counts["seed_rows"] >= 150


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_every_tool_is_called_by_its_test_file(spec, builds):
    test_file = ROOT / "tests" / f"test_spec_{spec.stem}.py"
    called = set(CALL.findall(test_file.read_text()))
    missing = sorted(set(builds[spec.stem].model.tools) - called)
    assert missing == []


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_awmc_check_passes(spec, builds, tmp_path, capsys):
    """Every bundled spec has real invariants and tasks, and `awmc check` finds no problem."""
    from awmlang.cli import main

    model = builds[spec.stem].model
    assert len(model.invariants) >= 4 and len(model.tasks) >= 10
    code = main(["check", str(spec), "--json", "--save-dir", str(tmp_path)])
    report = json.loads(capsys.readouterr().out)[0]
    assert (code, report["problems"]) == (0, [])
    assert report["tasks"] == {"total": len(model.tasks), "ok": len(model.tasks)}
