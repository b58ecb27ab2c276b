"""`awmc check` finds each bug planted in tests/broken/ (one per file), and passes the correct spec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import awmlang
from awmlang.cli import main

BROKEN = Path(__file__).parent / "broken"
# file -> (kind of problem, words its message must contain)
EXPECTED = {
    "missing_stock_guard": ("invariant_violation", "after `buy`, broken: stock_never_negative (Product ["),
    "wrong_total": ("invariant_violation", "after `buy`, broken: totals_match_items"),
    "orphaning_delete": ("constraint_violation", "`delete_order` let a write reach a database constraint"),
    "ignores_me": ("ownership_violation", "changed Address rows of other users"),
    "account_cap": ("invariant_violation", "after `open_account`, broken: at_most_six_open_accounts"),
    "double_booking": ("invariant_violation", "after `reschedule`, broken: no_double_booking"),
    "refund_after_shipping": ("invariant_violation", "after `refund`, broken: only_unshipped_orders_are_refunded"),
    "pay_into_closed_account": ("invariant_violation", "after `pay`, broken: closed_accounts_are_empty"),
    "vacuous_verifier": ("task", "the verifier passes on the untouched initial state (vacuous)"),
    "failing_gold": ("task", "the gold solution fails: buy failed: out_of_stock: only 10 of Mug left"),
    "seed_breaks_invariant": ("spec_errors", "Product rows 1 break invariant `stock_never_negative`"),
    "unreachable_enum_value": (
        "unreachable_enum_value",
        "no tool, default or seed row ever sets `OrderStatus.refunded`",
    ),
}


# bugs only a sequence of calls shows, which the explorer before directed exploration missed
# (seeds of 10 that found them with default settings: account_cap 1, double_booking 0,
# refund_after_shipping 1-2, pay_into_closed_account 0). tests/explore_seeds.py measures the
# seeds of 10 that find each now; these tests run seed 0 and a few others.
MULTI_STEP = {"account_cap", "double_booking", "refund_after_shipping", "pay_into_closed_account"}
# file -> (text of the planted bug, its fix): the fixed spec must pass every check
FIXES = {
    "account_cap": (
        "  return insert Account(owner: me, nickname: nickname)",
        '  require count(me.accounts where status == open) < 6 else fail too_many_accounts "you hold 6 open accounts"\n'
        "  return insert Account(owner: me, nickname: nickname)",
    ),
    "double_booking": (
        "  update appointment set day = $day, hour = $hour",
        "  require not exists(Appointment where doctor == appointment.doctor and day == $day and hour == $hour\n"
        '    and status == booked and id != appointment.id) else fail taken "the doctor is booked then"\n'
        "  update appointment set day = $day, hour = $hour",
    ),
    "refund_after_shipping": ("order.status != open and order.status != refunded", "order.status == paid"),
    "pay_into_closed_account": (
        "  update to set balance = balance + amount",
        '  require to.status == open else fail closed "account {to.id} is closed"\n'
        "  update to set balance = balance + amount",
    ),
}


def check(path: Path, tmp_path, capsys, *options: str) -> tuple[int, list[dict]]:
    """`awmc check` of one spec: its exit code and problems. One-call bugs need fewer sequences
    than the default; multi-step bugs (and their fixes) get the default settings."""
    budget = [] if path.stem in MULTI_STEP else ["--max-examples", "60"]
    code = main(["check", str(path), "--json", "--save-dir", str(tmp_path), *budget, *options])
    return code, json.loads(capsys.readouterr().out)[0]["problems"]


def test_every_planted_bug_has_a_file():
    assert sorted(p.stem for p in BROKEN.glob("*.awm")) == sorted([*EXPECTED, "store"])


def test_the_correct_spec_passes(tmp_path, capsys):
    assert check(BROKEN / "store.awm", tmp_path, capsys) == (0, [])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_planted_bug_is_found(name, tmp_path, capsys):
    kind, words = EXPECTED[name]
    code, problems = check(BROKEN / f"{name}.awm", tmp_path, capsys)
    assert code == 1
    assert problems[0]["kind"] == kind
    text = problems[0].get("message") or problems[0]["diagnostics"][0]["message"]
    assert words in text, text


@pytest.mark.parametrize("seed", [3, 7])
@pytest.mark.parametrize("name", sorted(MULTI_STEP))
def test_multi_step_bug_is_found_with_other_seeds(name, seed, tmp_path, capsys):
    kind, words = EXPECTED[name]
    code, problems = check(BROKEN / f"{name}.awm", tmp_path, capsys, "--seed", str(seed))
    assert code == 1 and problems[0]["kind"] == kind and words in problems[0]["message"], problems


@pytest.mark.parametrize("name", sorted(FIXES))
def test_the_fixed_spec_passes(name, tmp_path, capsys):
    bug, fix = FIXES[name]
    text = (BROKEN / f"{name}.awm").read_text()
    assert text.count(bug) == 1
    fixed = tmp_path / f"{name}.awm"
    fixed.write_text(text.replace(bug, fix))
    assert check(fixed, tmp_path, capsys) == (0, [])


def test_a_saved_failure_replays(tmp_path, capsys):
    _code, problems = check(BROKEN / "missing_stock_guard.awm", tmp_path, capsys)
    saved = json.loads(Path(problems[0]["saved"]).read_text())
    assert [c["tool"] for c in saved["calls"]] == ["buy"]  # shrunk to one call
    assert main(["replay", str(BROKEN / "missing_stock_guard.awm"), problems[0]["saved"]]) == 1
    assert "invariant_violation: after `buy`" in capsys.readouterr().out
    assert main(["replay", str(BROKEN / "store.awm"), problems[0]["saved"]]) == 0


def test_exploration_is_deterministic_for_a_seed():
    from awmlang.runtime.explore import explore

    import awmlang

    env = awmlang.load(BROKEN / "wrong_total.awm")
    runs = [explore(env, seed=7, max_examples=40, steps=8).finding for _ in range(2)]
    assert runs[0] is not None
    assert runs[0].as_json("x", 7) == runs[1].as_json("x", 7)


def test_saved_failures_of_different_bugs_keep_their_own_files(tmp_path, capsys):
    """A file is named by spec, kind, failing tool and a hash of the sequence: two specs' bugs of
    one kind (or two runs finding different sequences) never overwrite each other."""
    from awmlang.cli import finding_file_name

    first = check(BROKEN / "missing_stock_guard.awm", tmp_path, capsys)[1][0]
    second = check(BROKEN / "wrong_total.awm", tmp_path, capsys)[1][0]
    assert first["kind"] == second["kind"] == "invariant_violation"
    assert Path(first["saved"]).name.startswith("missing_stock_guard-invariant_violation-buy-")
    assert Path(first["saved"]).exists() and Path(second["saved"]).exists()
    other = {**first, "calls": [*first["calls"], first["calls"][-1]]}
    spec = BROKEN / "missing_stock_guard.awm"
    assert finding_file_name(spec, other) != finding_file_name(spec, first)
    assert finding_file_name(spec, dict(first)) == Path(first["saved"]).name  # the same sequence, the same name


@pytest.mark.parametrize("name", sorted(MULTI_STEP))
def test_a_shrunk_sequence_needs_every_call_it_keeps(name):
    """Dropping any one call of the reported sequence makes the problem go away (1-minimal)."""
    from awmlang.runtime.explore import explore, replay

    env = awmlang.load(BROKEN / f"{name}.awm")
    finding = explore(env, seed=0).finding
    assert finding is not None and finding.kind == EXPECTED[name][0]
    calls = [{k: c[k] for k in ("tool", "arguments", "user")} for c in finding.calls]
    assert replay(env, calls, finding.user, finding.start_task)[1][0] == finding.kind
    for i in range(len(calls)):
        _, problem = replay(env, calls[:i] + calls[i + 1 :], finding.user, finding.start_task)
        assert problem is None or problem[0] != finding.kind, (i, calls)
