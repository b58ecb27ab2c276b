"""The explorer behind `awmc check`: what it does with unusual specs, and what it reports."""

from __future__ import annotations

import json

from awmlang.cli import main

NO_TOOLS = """env x "X" { user User }
entity User { id: int @id  name: text }
invariant named "Users have names": all User u: u.name != ""
seed User(id, name) { (1, "ada") }
task count_users "How many users?" {
  solution { answer "1" }
  expect contains_number(answer, count(User))
}
task vacuous "Do nothing." { solution { answer "" }  expect count(User) == 1 }
"""


def test_a_spec_without_tools_has_nothing_to_explore_and_its_tasks_are_checked(tmp_path, capsys):
    spec = tmp_path / "no_tools.awm"
    spec.write_text(NO_TOOLS)
    assert main(["check", str(spec), "--save-dir", str(tmp_path / "f")]) == 1  # the vacuous task
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines()[2:5] == [
        "  explored: nothing to explore: the spec has no tools",
        "  task vacuous: the verifier passes on the untouched initial state (vacuous)",
        "  tasks: 1 of 2 ok",
    ]
    assert main(["check", str(spec), "--json", "--save-dir", str(tmp_path / "f")]) == 1
    report = json.loads(capsys.readouterr().out)[0]
    assert report["exploration"]["tools"] == 0
    assert [p["task"] for p in report["problems"]] == ["vacuous"]


def test_a_bare_spec_without_tools_or_tasks_passes(tmp_path, capsys):
    spec = tmp_path / "bare.awm"
    spec.write_text('env x "X" {}\nentity Thing { id: int @id  name: text }\n')
    assert main(["check", str(spec), "--save-dir", str(tmp_path / "f")]) == 0
    out = capsys.readouterr().out
    assert "  explored: nothing to explore: the spec has no tools" in out.splitlines()
    assert out.splitlines()[-1] == "1 of 1 spec passed every check"
