"""`awmc check --mutate`: the mutants made from a spec, what kills them, the report and its JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from awmlang.compiler.build import build_spec

from awmlang.cli import main
from awmlang.mutate import Budget, audit, choose, make_mutants

HERE = Path(__file__).parent
BOXES = HERE / "mutate" / "boxes.awm"
COVERED = HERE / "mutate" / "covered.awm"
SMALL = Budget(seed=0, max_examples=20, steps=10)
FAST = ["--mutate-examples", "20", "--steps", "10"]

# (line, column, kind, the text replaced, its replacement) of every mutant of boxes.awm
BOXES_MUTANTS = [
    (11, 3, "guard", 'require box.n + k <= 10 else fail full "box {box.id} holds {box.n}"', ""),
    (11, 21, "comparison", "<=", "<"),
    (12, 3, "write", "update box set n = n + k", ""),
    (12, 24, "sign", "+", "-"),
    (17, 3, "guard", 'require box.n >= k else fail not_enough "box {box.id} holds {box.n}"', ""),
    (17, 17, "comparison", ">=", ">"),
    (18, 3, "write", "update box set n = n - k", ""),
    (18, 24, "sign", "-", "+"),
    (23, 3, "guard", 'require label is not null else fail no_label "give a label"', ""),
    (24, 3, "write", "update box set label = $label", ""),
    (30, 10, "expect", "Box[1].n == before(Box[1].n) + 2", "true"),
]


@pytest.fixture(scope="module")
def boxes_audit():
    report, result = audit(BOXES, SMALL)
    assert result.ok and report["problems"] == []
    return report["mutation"]


def test_the_mutants_of_a_small_spec():
    result = build_spec(BOXES)
    mutants = make_mutants(result, str(BOXES))
    assert [(m.line, m.col, m.kind, m.original, m.replacement) for m in mutants] == BOXES_MUTANTS
    assert {m.file for m in mutants} == {result.modules[0].path}
    assert {m.where for m in mutants} == {"tool add", "tool take", "tool relabel", "task fill"}
    text = BOXES.read_text()
    assert mutants[1].apply(text).count("box.n + k < 10") == 1  # one edit, at its place


def test_which_mutants_compile(boxes_audit):
    status = {(m["line"], m["column"]): m["status"] for m in boxes_audit["mutants"]}
    assert status[(23, 3)] == "not_compiling"  # without the guard, `label` may be null
    assert [m["error"] for m in boxes_audit["mutants"] if m["status"] == "not_compiling"] == [
        "AWM2001: expected `text`, found `text?` which may be null"
    ]
    assert boxes_audit["compiling"] == len(BOXES_MUTANTS) - 1


def test_a_missing_invariant_leaves_a_surviving_guard(boxes_audit):
    survivors = {(m["line"], m["column"], m["kind"]) for m in boxes_audit["mutants"] if m["status"] == "survived"}
    assert (11, 3, "guard") in survivors  # nothing says a box holds at most 10
    assert (17, 3, "guard") not in survivors  # never_negative kills it
    killed = {m["kind"]: m for m in boxes_audit["mutants"] if m["status"] == "killed"}
    assert killed["expect"]["killed_by"]["message"] == "the verifier passes on the untouched initial state (vacuous)"
    assert boxes_audit["by_kind"]["guard"] == {"mutants": 3, "compiling": 2, "killed": 1, "survived": 1, "score": 0.5}


def test_a_well_covered_spec_scores_everything(capsys):
    assert main(["check", str(COVERED), "--mutate", *FAST]) == 0
    out = capsys.readouterr().out
    assert "14 mutants, 13 compile: 13 killed, 0 survived (100%)" in out
    assert "survivors" not in out
    assert "Some mutants are equivalent" in out


def test_the_text_report_lists_survivors_with_their_place(capsys):
    assert main(["check", str(BOXES), "--mutate", "--mutate-kinds", "guard,sign", *FAST]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == f"[1/1] {BOXES}"
    assert lines[1].startswith("  mutation audit: 5 mutants, 4 compile: 2 killed, 2 survived (50%) in ")
    assert any(line.split() == ["guard", "3", "2", "1", "50%"] for line in lines)
    place = f"{build_spec(BOXES).modules[0].path}:11:3: guard in tool add: dropped `require box.n + k <= 10"
    assert any(line.strip().startswith(place) for line in lines)
    assert "mutants 5/5: 2 killed, 2 survived, 1 not compiling" in captured.err  # progress


def test_json_gives_everything(capsys):
    assert main(["check", str(BOXES), "--mutate", "--json", "--mutate-kinds", "sign,expect", *FAST]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # quiet under --json
    [report] = json.loads(captured.out)
    assert report["spec"] == str(BOXES) and report["problems"] == []
    mutation = report["mutation"]
    assert {"seed", "max_examples", "steps", "made", "run", "compiling", "killed", "survived", "score"} <= set(mutation)
    assert (mutation["made"], mutation["run"], mutation["seed"], mutation["max_examples"]) == (11, 3, 0, 20)
    assert set(mutation["by_kind"]) == {"sign", "expect"}
    assert mutation["killed_by"] == {"compile": 0, "tasks": 2, "exploration": 0}
    assert "equivalent" in mutation["note"]
    first = mutation["mutants"][0]
    assert set(first) >= {"kind", "where", "file", "line", "column", "original", "replacement", "status", "seconds"}
    assert first["killed_by"]["phase"] == "tasks"
    survivor = next(m for m in mutation["mutants"] if m["status"] == "survived")
    assert (survivor["line"], survivor["kind"], survivor["hint"]) == (
        18,
        "sign",
        "no invariant or task check depends on the direction of this change",
    )


def test_a_spec_with_errors_gives_diagnostics(tmp_path, capsys):
    spec = tmp_path / "bad.awm"
    spec.write_text(BOXES.read_text().replace("box.n + k <= 10", "box.n + k <= nothing"))
    assert main(["check", str(spec), "--mutate"]) == 1
    captured = capsys.readouterr()
    assert "error[AWM1004]" in captured.err and "Traceback" not in captured.err
    assert "not mutated: 1 error" in captured.out
    assert main(["check", str(spec), "--mutate", "--json"]) == 1
    [report] = json.loads(capsys.readouterr().out)
    assert report["problems"][0]["kind"] == "spec_errors"
    assert report["problems"][0]["diagnostics"][0]["line"] == 11


def test_a_spec_that_fails_check_is_not_mutated(capsys):
    assert main(["check", str(HERE / "broken" / "missing_stock_guard.awm"), "--mutate", *FAST]) == 1
    assert "not mutated: the spec itself fails check (invariant_violation: after `buy`" in capsys.readouterr().out


def test_bad_options_are_usage_errors(capsys):
    assert main(["check", str(BOXES), "--mutate", "--mutate-kinds", "guard,typo"]) == 2
    assert "--mutate-kinds takes" in capsys.readouterr().err
    assert main(["check", str(BOXES), "--mutate", "--mutate-limit", "0"]) == 2


def test_a_limit_samples_the_same_mutants_for_a_seed():
    mutants = make_mutants(build_spec(BOXES), str(BOXES))
    picked = choose(mutants, None, 4, seed=3)
    assert len(picked) == 4 and picked == choose(mutants, None, 4, seed=3)
    assert picked == sorted(picked, key=lambda m: m.start)
    assert [m.kind for m in choose(mutants, {"guard"}, None, 0)] == ["guard"] * 3


def test_travel_owns_its_bookings_so_a_dropped_owner_guard_is_noticed():
    """The audit found that no check noticed `rename_itinerary` without its owner guard: travel's
    entities now say whose rows they are (@@owned_by), and the exploration's ownership check sees it."""
    from awmlang.runtime.explore.problems import call_and_check

    from awmlang.mutate import _Loaded

    spec = HERE.parent / "specs" / "travel.awm"
    result = build_spec(spec)
    [guard] = [
        m
        for m in make_mutants(result, str(spec))
        if m.where == "tool rename_itinerary"
        and m.kind == "guard"
        and m.original.startswith("require itinerary_id.traveller == me")
    ]
    mutant = build_spec(spec, text=guard.apply(result.sources.texts[result.modules[0].path]))
    with _Loaded(mutant) as env:
        session = env.session(user=2)
        theirs = session.query("SELECT id FROM itinerary WHERE traveller_id = 1 LIMIT 1")[0][0]
        call, problem = call_and_check(session, "rename_itinerary", {"itinerary_id": theirs, "title": "Mine now"})
        assert call["ok"]
        assert problem[0] == "ownership_violation"
