"""The explorer behind `awmc check`: what it does with unusual specs, and what it reports."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

from awmlang.runtime.explore import Finding, explore, replay
from awmlang.runtime.explore.arguments import (
    ArgumentDrawer,
    SequenceMemory,
    SpecFacts,
    clock_neighbours,
    random_value,
)
from awmlang.runtime.explore.explorer import Explorer, acting_users, invariant_writers, minimize
from awmlang.runtime.explore.guards import Guard, record_guards, tool_guards
from awmlang.runtime.explore.hints import placeholder_columns
from awmlang.runtime.explore.problems import owned_entities_written

import awmlang
from awmlang.cli import main

NO_TOOLS = """env x "X" { user User }
entity User { id: int @id  name: text }
invariant positive_ids "User ids are positive": all User u: u.id > 0
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


# ---- what the exploration reports --------------------------------------------------------

BROKEN = Path(__file__).parent / "broken"


def test_coverage_counts_every_call_per_tool_and_warns_of_tools_that_never_succeed(tmp_path, capsys):
    spec = tmp_path / "dead.awm"
    spec.write_text(
        'env d "D" { user User }\nentity User { id: int @id  name: text }\n'
        'tool rename = update User(name) "Rename a user."\n'
        'tool never(user: User) "Always refuses." { fail closed "the desk is closed" }\n'
        'seed User(id, name) { (1, "a") (2, "b") }\n'
    )
    assert main(["check", str(spec), "--max-examples", "30", "--save-dir", str(tmp_path / "f"), "--json"]) == 0
    exploration = json.loads(capsys.readouterr().out)[0]["exploration"]
    coverage = exploration["coverage"]
    assert coverage["never"]["successes"] == 0 and coverage["never"]["failures"]["closed"] > 0
    assert coverage["rename"]["successes"] > 0
    for counts in coverage.values():
        assert counts["calls"] == counts["successes"] + sum(counts["failures"].values())
    assert exploration["calls"] == sum(c["calls"] for c in coverage.values())
    assert exploration["tools_never_succeeded"] == ["never"]
    assert exploration["calls_per_second"] > 0
    main(["check", str(spec), "--max-examples", "30", "--save-dir", str(tmp_path / "f")])
    line = [x for x in capsys.readouterr().out.splitlines() if x.startswith("  coverage:")]
    assert line == [
        "  coverage: 1 of 2 tools succeeded at least once; warning: 1 never did (dead, or out of the explorer's reach): never"
    ]


def test_hints_name_what_each_guard_compares_a_parameter_with():
    env = awmlang.load(BROKEN / "pay_into_closed_account.awm")
    hints = SpecFacts(env).hints
    assert hints["pay"].mine == {"from"} and hints["pay"].not_mine == {"to"}
    assert ("account", "balance") in hints["pay"].columns["amount"]  # from.balance >= amount
    assert hints["close_account"].row_tests["account"] == [("status", "IS", "open")]


def test_placeholder_columns_follow_comparisons_updates_and_inserts():
    assert placeholder_columns('SELECT t0."id" FROM "order" AS t0 WHERE (t0."status" IS ?) LIMIT ?') == [
        ("order", "status"),
        None,
    ]
    assert placeholder_columns('UPDATE "account" AS u SET "nickname" = ? WHERE u."id" = ?') == [
        ("account", "nickname"),
        ("account", "id"),
    ]
    assert placeholder_columns('INSERT INTO "a" ("x", "y") VALUES (?, ?) RETURNING "id"') == [("a", "x"), ("a", "y")]


def test_a_sequence_of_two_users_replays_with_each_calls_user(tmp_path, capsys):
    spec = BROKEN / "pay_into_closed_account.awm"
    calls = [
        {"tool": "close_account", "arguments": {"account": 3}, "user": 2},
        {"tool": "pay", "arguments": {"from": 1, "to": 3, "amount": 5.0}, "user": 1},
    ]
    saved = tmp_path / "found.json"
    saved.write_text(json.dumps({"user": 2, "calls": calls}))
    assert main(["replay", str(spec), str(saved)]) == 1
    out = capsys.readouterr().out
    assert "1. user 2: close_account(" in out and "2. user 1: pay(" in out
    assert "invariant_violation: after `pay`, broken: closed_accounts_are_empty" in out
    for call in calls:
        call["user"] = 1  # Ada can neither close Bo's account nor pay into her own
    saved.write_text(json.dumps({"user": 1, "calls": calls}))
    assert main(["replay", str(spec), str(saved)]) == 0


def test_replay_refuses_an_unknown_user_or_task_without_a_traceback(tmp_path, capsys):
    spec = BROKEN / "store.awm"
    saved = tmp_path / "bad.json"
    saved.write_text(json.dumps({"user": 99, "calls": [{"tool": "my_orders", "arguments": {}}]}))
    assert main(["replay", str(spec), str(saved)]) == 2
    assert "no Customer with key 99" in capsys.readouterr().err
    saved.write_text(json.dumps({"start_task": "nope", "calls": []}))
    assert main(["replay", str(spec), str(saved)]) == 2
    assert "has no task 'nope'" in capsys.readouterr().err
    saved.write_text(json.dumps({"calls": [1, 2]}))
    assert main(["replay", str(spec), str(saved)]) == 2
    assert "is not a saved call sequence" in capsys.readouterr().err


def test_sequences_start_after_gold_solutions_too():
    env = awmlang.load(BROKEN / "store.awm")
    explorer = Explorer(env, steps=5)
    assert explorer.start_tasks == ["buy_two_mugs", "cancel_first_order", "mug_price"]
    finding = Finding("invariant_violation", "x", [{"tool": "cancel", "arguments": {"order": 1}, "user": 1}])
    finding.start_task = "cancel_first_order"  # order 1 is cancelled already: cancelling again fails
    results, problem = replay(env, finding.as_json("store", 0)["calls"], 1, finding.start_task)
    assert problem is None and results[0]["error"]["code"] == "not_paid"


def test_minimize_drops_calls_and_a_start_state_the_problem_does_not_need():
    env = awmlang.load(BROKEN / "missing_stock_guard.awm")
    calls = [
        {"tool": "get_product", "arguments": {"product_id": 2}, "user": 1},
        {"tool": "buy", "arguments": {"product": 1, "quantity": 6}, "user": 1},
    ]
    found = minimize(env, Finding("invariant_violation", "x", calls, {}, 1, start_task="mug_price"))
    assert (found.start_task, [c["tool"] for c in found.calls]) == (None, ["buy"])
    assert found.message.startswith("after `buy`, broken: stock_never_negative")


def test_a_focused_exploration_sends_half_of_its_calls_to_the_tool():
    """The mutation audit explores with `focus=` the mutated tool: about half the calls go to it,
    where a uniform draw over store's 8 tools would give it an eighth."""

    env = awmlang.load(BROKEN / "store.awm")
    coverage = explore(env, seed=1, max_examples=40, focus="cancel").coverage.as_json()
    calls = sum(tool["calls"] for tool in coverage.values())
    assert coverage["cancel"]["calls"] >= 0.35 * calls
    unfocused = explore(env, seed=1, max_examples=40).coverage.as_json()
    assert unfocused["cancel"]["calls"] < 0.35 * sum(tool["calls"] for tool in unfocused.values())


# ---- how sequences are drawn --------------------------------------------------------------


def test_invariant_directed_sequences_draw_the_tools_that_write_an_invariants_tables():
    env = awmlang.load(BROKEN / "double_booking.awm")
    # the one invariant reads appointments, which book, reschedule and cancel write
    assert invariant_writers(env) == [frozenset({"book", "cancel", "reschedule"})]
    explorer = Explorer(env, steps=5)
    subsets = [explorer.choose_tools(random.Random(seed)) for seed in range(400)]
    directed = [s for s in subsets if {"book", "cancel", "reschedule"} <= set(s) and len(s) < len(explorer.tools)]
    assert len(directed) > 80  # a quarter of the sequences, and some swarm subsets
    assert sum(s == explorer.tools for s in subsets) > 150  # half the sequences may call every tool


def test_arguments_copy_a_stored_row_of_a_table_the_tool_writes_as_a_whole():
    """`reschedule(appointment, day, hour)` onto the day and hour of one stored appointment:
    the collision a double booking needs, which day and hour drawn apart seldom make."""
    env = awmlang.load(BROKEN / "double_booking.awm")
    facts = SpecFacts(env)
    session = env.session(user=1)
    stored = {(r[0], r[1]) for r in session.query("SELECT day, hour FROM appointment")}
    drawer = ArgumentDrawer(facts, random.Random(0), session, SequenceMemory())
    templates = [drawer.template("reschedule") for _ in range(50)]
    assert {(t["day"], t["hour"]) for t in templates} <= stored and len({t["id"] for t in templates}) > 3
    assert drawer.template("list_doctors") == {}  # writes nothing: no stored row to copy
    params = env.handlers["reschedule"][2].params
    copied = 0
    for seed in range(300):
        args = ArgumentDrawer(facts, random.Random(seed), session, SequenceMemory()).arguments("reschedule", params)
        copied += (args["day"], args["hour"]) in stored
    assert copied > 80  # one time in three, and now and then by chance


def test_dates_are_suggested_around_the_sessions_clock():
    assert clock_neighbours("2025-05-01 10:00:00", "date") == ["2025-05-01", "2025-05-02"]
    assert clock_neighbours("2025-05-01 23:30:00", "datetime") == [
        "2025-05-01 23:30:00",
        "2025-05-02 00:30:00",
        "2025-05-02 23:30:00",
    ]


def test_only_a_tool_that_writes_an_owned_table_is_checked_for_changing_other_users_rows():
    env = awmlang.load(BROKEN / "missing_stock_guard.awm")
    session = env.session(user=1)
    assert owned_entities_written(session, "rename_address") == ["Address"]
    assert owned_entities_written(session, "get_product") == []
    assert set(owned_entities_written(session, "buy")) == {"Order"}
    assert owned_entities_written(session, "no_such_tool") == []


def test_a_seeds_exploration_does_not_depend_on_what_else_the_process_imported(tmp_path):
    """Hypothesis mixes the integer constants of the modules a process imported (outside
    site-packages) into its draws: a process that imported a module full of them explores
    the same as one that did not."""
    (tmp_path / "many_constants.py").write_text(f"VALUES = {[i * 7919 for i in range(500)]}\n")
    script = (
        "import json, sys, awmlang\n"
        "from awmlang.runtime.explore import explore\n"
        "if sys.argv[1] == 'yes': import many_constants\n"
        f"env = awmlang.load({str(BROKEN / 'double_booking.awm')!r})\n"
        "print(json.dumps(explore(env, seed=3, max_examples=80).coverage.as_json()))\n"
    )

    def coverage(imports: str) -> dict:
        run = subprocess.run([sys.executable, "-c", script, imports], capture_output=True, text=True, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout)

    assert coverage("yes") == coverage("no")


# ---- guards and invariants in the coverage ----------------------------------------------------


def test_guards_are_read_from_the_handlers_with_their_spec_lines():
    env = awmlang.load(BROKEN / "double_booking.awm")
    facts = SpecFacts(env)
    guards = tool_guards(facts.handlers_tree, facts.handlers_lines)
    assert [(g.code, g.where, g.top_level) for g in guards["reschedule"]] == [
        ("not_yours", "double_booking.awm:30", True),
        ("not_booked", "double_booking.awm:31", True),
        ("in_the_past", "double_booking.awm:32", True),
    ]
    assert [g.code for g in guards["book"]] == ["in_the_past", "taken"]
    assert guards["list_doctors"] == [] and guards["get_doctor"] == []  # a lookup's not_found is no guard


def test_a_calls_result_tells_which_ways_it_took_the_guards():
    guards = [Guard("a", "x:1", True), Guard("b", "x:2", True), Guard("c", "x:3", False), Guard("b", "x:4", True)]
    record_guards(guards, {"ok": True, "result": None})
    record_guards(guards, {"ok": False, "error": {"code": "b"}})  # failed x:2 or x:4, passed x:1
    record_guards(guards, {"ok": False, "error": {"code": "c"}})  # the nested one failed, passed x:1, x:2
    record_guards(guards, {"ok": False, "error": {"code": "not_found"}})  # no guard's: nothing known
    assert [(g.failed, g.passed) for g in guards] == [(0, 3), (1, 2), (1, None), (1, 1)]


GUARDED = """env g "G" { user User }
entity User { id: int @id  name: text  notes: Note[] }
entity Note { id: int @id  owner: User  text: text }
invariant positive_ids "User ids are positive": all User u: u.id > 0
invariant short_notes "Notes are short": all Note n: len(n.text) < 100
tool rename = update User(name) "Rename a user."
tool add_note(body: text) -> Note "Add a note: only a user called nobody may." {
  require me.name == "nobody" else fail not_allowed "only nobody may add notes"
  if len(body) > 50 {
    require body != "" else fail empty "never true here"
  }
  return insert Note(owner: me, text: body)
}
seed User(id, name) { (1, "a") (2, "b") }
"""


def test_the_report_names_guards_never_taken_and_invariants_no_call_could_break(tmp_path, capsys):
    spec = tmp_path / "guarded.awm"
    spec.write_text(GUARDED)
    assert main(["check", str(spec), "--max-examples", "40", "--save-dir", str(tmp_path / "f"), "--json"]) == 0
    exploration = json.loads(capsys.readouterr().out)[0]["exploration"]
    assert [(g["tool"], g["code"], g["where"]) for g in exploration["guards_never_passed"]] == [
        ("add_note", "not_allowed", "guarded.awm:8")
    ]
    never_failed = {(g["tool"], g["code"]) for g in exploration["guards_never_failed"]}
    assert never_failed == {("add_note", "empty")}
    assert exploration["coverage"]["add_note"]["guards"][1]["passed"] is None  # inside an `if`
    assert exploration["invariants_unexercised"] == ["short_notes"]  # only add_note writes notes
    main(["check", str(spec), "--max-examples", "40", "--save-dir", str(tmp_path / "f")])
    [line] = [x for x in capsys.readouterr().out.splitlines() if x.startswith("  coverage:")]
    assert "1 of 2 tools succeeded at least once, 0 of 2 guards failed and passed, 1 invariant never exercised" in line


def test_users_of_each_role_act_beside_the_first_few():
    env = awmlang.load(BROKEN.parent.parent / "specs" / "shop.awm")
    users = acting_users(env)
    staff = [k for (k,) in env.session().query('SELECT id FROM "customer" WHERE is_staff ORDER BY id')]
    assert users[:4] == [1, 2, 3, 4] and staff[0] in users and staff[0] > 4


def test_numbers_are_now_and_then_the_edges_a_dropped_guard_lets_through():
    session = awmlang.load(BROKEN / "store.awm").session()
    rng = random.Random(0)
    free = [random_value(rng, {"kind": "decimal"}, session, {}) for _ in range(400)]
    assert free.count(0.0) > 10 and free.count(-0.01) > 10  # `require amount > 0` shows when dropped
    bounded = [random_value(rng, {"kind": "int"}, session, {"range": [1, 100]}) for _ in range(400)]
    cents = [random_value(rng, {"kind": "decimal"}, session, {"range": ["0.01", "5000"]}) for _ in range(400)]
    assert all(0.01 <= v <= 5000 for v in cents) and cents.count(0.01) > 20  # decimal bounds come as text
    assert all(1 <= v <= 100 for v in bounded) and bounded.count(1) > 20


def test_the_fields_of_a_record_argument_are_drawn_by_their_names():
    """`book_flight(passengers: list<PassengerInfo>)`: a passenger's `birth_date` and `full_name`
    come from the stored ones now and then, so an adult is on the list and the booking succeeds."""
    env = awmlang.load(BROKEN.parent.parent / "specs" / "travel.awm")
    session = env.session(user=1)
    stored = {r[0] for r in session.query("SELECT birth_date FROM passenger")}
    drawer = ArgumentDrawer(SpecFacts(env), random.Random(0), session, SequenceMemory())
    params = env.handlers["book_flight"][2].params
    drawn = [p["birth_date"] for _ in range(100) for p in drawer.arguments("book_flight", params)["passengers"]]
    assert sum(d in stored for d in drawn) > len(drawn) // 4


def test_a_guard_on_a_texts_length_suggests_text_of_that_length():
    """`let digits = trim(c.number)  require len(digits) == 16`, inside a `match` on a union
    parameter: the union's `number` field is sometimes drawn 16 characters long."""
    env = awmlang.load(BROKEN.parent.parent / "specs" / "travel.awm")
    facts = SpecFacts(env)
    assert facts.hints["pay_flight_booking"].lengths == {"number": [16], "expiry": [5]}
    session = env.session(user=1)
    drawer = ArgumentDrawer(facts, random.Random(0), session, SequenceMemory())
    params = env.handlers["pay_flight_booking"][2].params
    methods = [drawer.arguments("pay_flight_booking", params)["method"] for _ in range(300)]
    cards = [m for m in methods if m["kind"] == "card"]
    assert sum(len(m["number"]) == 16 for m in cards) > len(cards) // 10


def test_a_row_a_guard_wants_to_be_yours_is_yours_even_when_none_passes_the_other_guards():
    """Bo's only booked appointment is cancelled: `reschedule` then gets one of his cancelled ones
    (failing `not_booked`, past `not_yours`), not Ada's booked one."""
    env = awmlang.load(BROKEN / "double_booking.awm")
    session = env.session(user=2)
    assert session.call("cancel", {"appointment": 2})["ok"]
    own = {k for (k,) in session.query("SELECT id FROM appointment WHERE patient_id = 2")}
    facts = SpecFacts(env)
    params = env.handlers["reschedule"][2].params
    drawn = [
        ArgumentDrawer(facts, random.Random(seed), session, SequenceMemory()).arguments("reschedule", params)
        for seed in range(200)
    ]
    assert sum(a["appointment"] in own for a in drawn) > 120  # the rest: any row, or one that does not exist
