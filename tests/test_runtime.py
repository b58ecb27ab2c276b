"""Runtime behaviour on tests/cases/features: values, atomicity, isolation, errors, determinism."""

from __future__ import annotations

from pathlib import Path

import pytest

import awmlang

CASE = Path(__file__).parent / "cases" / "features" / "spec.awm"
CARD = {"kind": "card", "number": "1234567812345678", "expiry": "12/27"}


@pytest.fixture
def s():
    session = awmlang.load(CASE).session()
    yield session
    session.close()


def ok(r):
    assert r["ok"], r
    return r["result"]


def err(r, code):
    assert not r["ok"] and r["error"]["code"] == code, r
    return r["error"]


def test_decimal_arithmetic_is_exact(s):
    assert ok(s.call("sum_money", {"a": 0.1, "b": 0.2})) == 0.3
    assert ok(s.call("running_total", {"amounts": [0.1, 0.2, 0.3]})) == [0.1, 0.3, 0.6]
    math = ok(s.call("money_math", {"x": 10, "rate": 0.333}))
    assert math == {
        "rounded": 4.29,
        "half_up": 2.68,
        "as_float": 3.33,
        "absolute": 90.0,
        "smaller": 5.0,
        "larger": 10.0,
    }


def test_lists_by_position_and_exact_messages(s):
    assert ok(s.call("pair_up", {"names": ["b", "a"], "scores": [1, 2]})) == ["a=2", "b=1"]
    assert (
        err(s.call("pair_up", {"names": ["b"], "scores": [1, 2]}), "length_mismatch")["message"]
        == "1 names but 2 scores"
    )


def test_records_unions_and_child_rows(s):
    voucher = {"kind": "voucher", "code": "X", "percent": 10}
    p = ok(s.call("buy", {"lines": [{"item": 1, "quantity": 2}, {"item": 2, "quantity": 1}], "payment": voucher}))
    assert (p["total"], p["paid_with"], p["due"], p["created"]) == (
        40.03,
        "voucher X",
        "2025-04-09",
        "2025-03-10 12:00:01",
    )
    assert s.query("SELECT position, item_id, quantity FROM order_line ORDER BY position") == [(1, 1, 2), (2, 2, 1)]
    summary = ok(s.call("purchase_summary", {"purchase": p["id"]}))
    assert summary == {"lines": 2, "units": 3, "value": 44.48, "first_item": "Anvil", "days_left": 30}
    assert (
        err(s.call("buy", {"lines": [{"item": 3, "quantity": 1}], "payment": CARD}), "inactive")["message"]
        == "Crate is not for sale"
    )
    assert err(s.call("buy", {"lines": [{"item": 1, "quantity": 1}], "payment": {**CARD, "number": "12"}}), "bad_card")
    bad = err(s.call("buy", {"lines": [{"item": 1}], "payment": {"kind": "cash"}}), "invalid_arguments")
    assert [p["argument"] for p in bad["details"]["problems"]] == ["lines", "payment"]


def test_query_features(s):
    assert [i["sku"] for i in ok(s.call("items_by_tag", {"tag": "tools"}))] == ["ABC-1", "ABC-2"]
    assert [i["sku"] for i in ok(s.call("find_items", {"prefix": "XYZ"}))] == ["XYZ-7"]
    assert [i["sku"] for i in ok(s.call("find_items", {"prefix": "XYZ", "level": "gold"}))] == ["XYZ-7", "XYZ-9"]
    assert [i["sku"] for i in ok(s.call("find_items", {"min_price": 4.5}))] == ["ABC-1", "ABC-2"]
    assert ok(s.call("level_of", {"points": 150})) == "silver"
    assert ok(s.call("level_of", {"points": 5})) == "bronze"


def test_group_by_upsert_and_set_null(s):
    ok(s.call("buy", {"lines": [{"item": 1, "quantity": 1}], "payment": CARD}))
    ok(s.call("buy", {"lines": [{"item": 2, "quantity": 2}], "payment": CARD}))
    assert ok(s.call("spend_by_member")) == [{"member_id": 1, "purchases": 2, "spent": 28.99, "biggest": 19.99}]
    assert ok(s.call("set_note", {"key": "mine", "body": "a"}))["member_id"] == 1
    assert ok(s.call("set_note", {"key": "mine", "body": "b"}))["body"] == "b"
    assert s.query("SELECT COUNT(*) FROM note WHERE key = 'mine'") == [(1,)]
    assert ok(s.call("forget_member", {"who": 2})) == 1  # Bo's note survives, unowned
    assert s.query("SELECT member_id FROM note WHERE key = 'welcome'") == [(None,)]


def test_update_over_a_query(s):
    assert ok(s.call("reprice", {"percent": 10})) == 27.26
    assert s.query("SELECT sku, price FROM item ORDER BY id") == [
        ("ABC-1", 2199),
        ("ABC-2", 495),
        ("XYZ-9", 10),
        ("XYZ-7", 22),
    ]


def test_a_failed_call_leaves_no_trace(s):
    before = list(s.db.iterdump())
    err(s.call("explode"), "boom")
    assert s.query("SELECT COUNT(*) FROM purchase") == [(0,)]
    assert list(s.db.iterdump()) == before


def test_constraint_violation_is_rolled_back(s):
    r = s.call("rename_item", {"item_id": 1, "title": "x"})
    assert ok(r)["title"] == "x"
    err(s.call("set_note", {"key": "", "body": "b"}), "invalid_arguments")
    assert err(s.call("buy", {"lines": [{"item": 1, "quantity": 0}], "payment": CARD}), "constraint_violation")
    assert s.query("SELECT COUNT(*) FROM purchase") == [(0,)]


def test_internal_errors_are_contained_and_located(s, monkeypatch):
    _handler, _writes, validator = s.env.handlers["explode"]

    def broken(rt, db, args):
        db.execute("INSERT INTO purchase (member_id, total, paid_with, created) VALUES (1, 1, 'x', 'now')")
        return 1 / 0

    monkeypatch.setitem(s.env.handlers, "explode", (broken, True, validator))
    e = err(s.call("explode"), "internal_error")
    assert e["details"]["error"] == "ZeroDivisionError"
    assert s.query("SELECT COUNT(*) FROM purchase") == [(0,)]
    assert ok(s.call("level_of", {"points": 1})) == "bronze"  # the session still works


def test_internal_error_names_the_spec_line(s, monkeypatch):
    module = s.env.module
    monkeypatch.setattr(module, "to_text", lambda v: 1 / 0)
    e = err(s.call("pair_up", {"names": ["a"], "scores": [1, 2]}), "internal_error")
    line = (
        CASE.read_text()
        .splitlines()
        .index(
            '  require len(names) == len(scores) else fail length_mismatch "{len(names)} names but {len(scores)} scores"'
        )
        + 1
    )
    assert e["details"]["at"].endswith(f"spec.awm:{line}")


def test_unknown_tool_and_argument_errors(s):
    e = err(s.call("by_skus", {}), "unknown_tool")
    assert e["details"]["did_you_mean"][0] == "by_sku"
    e = err(s.call("find_items", {"prefix": 3, "level": "platinum", "min_price": "x", "extra": 1}), "invalid_arguments")
    assert {p["argument"]: p["problem"] for p in e["details"]["problems"]} == {
        "extra": "unknown argument",
        "prefix": "must be a string, got a number",
        "level": "must be one of bronze, silver, gold",
        "min_price": "must be a decimal number",
    }
    err(s.call("by_sku", {"item_id": 99}), "not_found")
    err(s.call("purchase_summary", {"purchase": 99}), "not_found")
    err(s.call("by_sku", "not an object"), "invalid_arguments")


def test_sessions_are_isolated_and_resettable():
    env = awmlang.load(CASE)
    a, b = env.session(), env.session()
    ok(a.call("rename_item", {"item_id": 1, "title": "Changed"}))
    assert ok(b.call("by_sku", {"item_id": 1}))["title"] == "Anvil"
    snap = a.snapshot()
    ok(a.call("rename_item", {"item_id": 1, "title": "Again"}))
    a.restore(snap)
    assert ok(a.call("by_sku", {"item_id": 1}))["title"] == "Changed"
    a.reset()
    assert ok(a.call("by_sku", {"item_id": 1}))["title"] == "Anvil"
    many = [env.session(user=2) for _ in range(2000)]
    ok(many[0].call("set_note", {"key": "k", "body": "only here"}))
    assert all(m.query("SELECT COUNT(*) FROM note WHERE key = 'k'") == [(0,)] for m in many[1:])


def test_replaying_calls_gives_byte_identical_state():
    env = awmlang.load(CASE)
    calls = [
        ("buy", {"lines": [{"item": 1, "quantity": 2}], "payment": CARD}),
        ("set_note", {"key": "a", "body": "b"}),
        ("reprice", {"percent": -5}),
        ("explode", {}),
        ("rename_item", {"item_id": 2, "title": "Pail"}),
    ]
    images = []
    for _ in range(2):
        s = env.session()
        results = [s.call(t, a) for t, a in calls]
        images.append((s.snapshot()[0], results))
    assert images[0] == images[1]
    other_clock = env.session(clock="2030-01-01 00:00:00")
    assert ok(other_clock.call(*calls[0]))["created"] == "2030-01-01 00:00:01"


def test_a_build_folder_of_another_build_format_is_refused_with_a_clear_message(tmp_path):
    """A folder built by an older awmlang holds tables of another shape: say so, and how to fix
    it, rather than fail somewhere inside."""
    import json
    import shutil

    from awmlang.runtime.errors import SessionError
    from awmlang.runtime.session import Environment

    built = awmlang.load(Path(__file__).parent / "cases" / "mini_shop" / "spec.awm").build_dir
    old = tmp_path / "old"
    shutil.copytree(built, old)
    manifest = json.loads((old / "manifest.json").read_text())
    del manifest["format"]
    (old / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(SessionError, match=r"build format 1, this one reads \d+\): build its spec again"):
        Environment(old)
    assert Environment(built).name == manifest["env"]
