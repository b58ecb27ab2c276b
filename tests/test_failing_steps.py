"""`tool(...) fails code` in a gold solution: a call that must fail, and what checks it."""

from __future__ import annotations

from awmlang.compiler.build import build_spec

import awmlang
from awmlang.mutate import Budget, audit

NOTES = """env n "Notes" { user User }
entity User { id: int @id  name: text }
entity Note { id: int @id  owner: User  text: text  @@owned_by(owner) }
tool read_note(note: Note) -> Note "Read one of your notes." {
  require note.owner == me else fail forbidden "note {note.id} is not yours"
  return note
}
seed User(id, name) { (1, "a") (2, "b") }
seed Note(id, owner, text) { (1, 1, "mine") (2, 2, "theirs") }
task refuse "Read note 2, then note 1." {
  solution {
    read_note(note: 2) fails forbidden
    let mine = read_note(note: 1)
    answer "Note 2 is not yours; note 1 says {mine.text}."
  }
  expect answer matches "not yours"
  expect answer matches "mine"
}
"""


def _load(tmp_path, text: str):
    spec = tmp_path / "notes.awm"
    spec.write_text(text)
    return awmlang.load(spec)


def test_a_call_that_fails_as_said_lets_the_solution_go_on(tmp_path):
    run = _load(tmp_path, NOTES).session().run_solution("refuse")
    assert run["ok"], run
    assert [c["result"]["ok"] for c in run["calls"]] == [False, True]
    assert run["answer"] == "Note 2 is not yours; note 1 says mine."


def test_a_call_that_succeeds_or_fails_otherwise_stops_the_solution(tmp_path):
    ran = _load(tmp_path, NOTES.replace("read_note(note: 2) fails", "read_note(note: 1) fails")).session()
    assert ran.run_solution("refuse")["error"] == "read_note succeeded, but the solution says it fails with forbidden"
    missing = _load(tmp_path, NOTES.replace("read_note(note: 2) fails", "read_note(note: 9) fails")).session()
    assert missing.run_solution("refuse")["error"] == "read_note failed with not_found, not forbidden: Note 9 not found"


def test_a_failing_call_is_checked_at_compile_time(tmp_path):
    spec = tmp_path / "notes.awm"
    spec.write_text(
        NOTES.replace("    read_note(note: 2) fails forbidden", "    let r = read_note(note: 2) fails forbiden")
    )
    result = build_spec(spec)
    assert [(d.code, d.message) for d in result.errors] == [
        ("AWM2011", "a call that fails returns nothing for `r` to name")
    ]
    assert [(d.code, d.message, d.help) for d in result.diagnostics if d.severity == "warning"] == [
        ("AWM4007", "`read_note` never fails with `forbiden`", "did you mean `forbidden`?")
    ]


def test_fails_is_a_word_only_after_a_call(tmp_path):
    text = NOTES.replace("tool read_note", 'tool fails_twice = get User "Get a user."\ntool read_note').replace(
        "    let mine = read_note(note: 1)", "    fails_twice(user_id: 1)\n    let mine = read_note(note: 1)"
    )
    assert _load(tmp_path, text).session().run_solution("refuse")["ok"]


def test_the_audit_kills_a_read_only_guard_a_task_says_refuses(tmp_path):
    """Nothing in the state shows a dropped guard of a tool that writes nothing; a task whose
    gold run says the call fails does."""
    spec = tmp_path / "notes.awm"
    spec.write_text(NOTES)
    report, _ = audit(spec, Budget(seed=0, max_examples=20, steps=10), kinds={"guard"})
    [mutant] = report["mutation"]["mutants"]
    assert mutant["status"] == "killed" and mutant["killed_by"]["phase"] == "tasks"
    assert "read_note succeeded, but the solution says it fails with forbidden" in mutant["killed_by"]["message"]
