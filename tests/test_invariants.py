"""Invariants: compiled to SQL that returns counterexamples; off / enforce / check sessions."""

from __future__ import annotations

from pathlib import Path

import pytest

import awmlang

SPEC = Path(__file__).parent / "cases" / "invariants" / "spec.awm"


@pytest.fixture(scope="module")
def env():
    return awmlang.load(SPEC)


def test_invariants_compile_to_queries_of_violating_rows(env):
    assert set(env.invariants) == {"stock_never_negative", "order_totals", "one_cart", "someone"}
    description, entity, _sql, _tables = env.invariants["stock_never_negative"]
    assert (description, entity) == ("Stock never goes negative", "Product")
    s = env.session()
    assert s.check_invariants() == []
    s.db.execute("UPDATE product SET stock = -2")
    s.db.execute("PRAGMA foreign_keys = OFF")
    s.db.execute("DELETE FROM user")
    assert s.check_invariants() == [
        {
            "invariant": "stock_never_negative",
            "description": "Stock never goes negative",
            "entity": "Product",
            "rows": [1],
            "count": 1,
        },
        {"invariant": "someone", "description": "There is at least one user", "entity": None, "rows": [], "count": 1},
    ]


def test_off_lets_a_call_break_an_invariant(env):
    s = env.session()
    assert s.call("sell", {"product": 1, "n": 5})["ok"]
    assert s.query("SELECT stock FROM product") == [(-2,)]
    assert s.violations == []


def test_enforce_rolls_back_and_names_the_invariant_and_rows(env):
    s = env.session(invariants="enforce")
    r = s.call("sell", {"product": 1, "n": 5})
    assert r["error"]["code"] == "invariant_violation"
    assert r["error"]["details"]["violations"] == [
        {
            "invariant": "stock_never_negative",
            "description": "Stock never goes negative",
            "entity": "Product",
            "rows": [1],
            "count": 1,
        }
    ]
    assert s.query("SELECT stock FROM product") == [(3,)]
    assert s.call("sell", {"product": 1, "n": 2})["ok"]
    assert s.query("SELECT stock FROM product") == [(1,)]


def test_check_records_violations_and_keeps_the_call(env):
    s = env.session(invariants="check")
    assert s.call("fix_total", {"order": 1, "total": 9})["ok"]
    assert s.query('SELECT total FROM "order"') == [(900,)]
    assert s.violations == [
        {
            "tool": "fix_total",
            "arguments": {"order": 1, "total": 9},
            "violations": [
                {
                    "invariant": "order_totals",
                    "description": "Order totals match their items",
                    "entity": "Order",
                    "rows": [1],
                    "count": 1,
                }
            ],
        }
    ]


def test_where_clause_limits_the_rows_an_invariant_covers(env):
    s = env.session()
    s.db.execute("UPDATE \"order\" SET total = 1, status = 'cancelled'")
    assert s.check_invariants() == []


def test_unknown_mode_is_rejected(env):
    with pytest.raises(ValueError, match="invariants must be one of off, enforce, check"):
        env.session(invariants="strict")


SPECS = sorted((Path(__file__).parent.parent / "specs").glob("*.awm")) + [
    Path(__file__).parent / "cases" / "features" / "spec.awm"
]


def _table_contents(session) -> dict[str, list]:
    tables = [r[0] for r in session.query("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {t: session.query(f'SELECT * FROM "{t}" ORDER BY rowid') for t in tables}


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.parent.name if p.stem == "spec" else p.stem)
def test_a_call_changes_only_the_tables_its_tool_declares(spec):
    """The invariants run after a call are those reading a table the tool may change, so that
    set (the handlers' TOOLS) must hold every table a call changes: gold solutions and 400
    random calls, each compared with the database before it."""
    from awmlang.bench_mcp import plan_calls

    env = awmlang.load(spec)
    session = env.session()
    calls = []
    for task in env.tasks:
        calls += [(c["tool"], c["arguments"]) for c in session.run_solution(task)["calls"]]
        session.reset()
    calls += plan_calls(env, seed=7, n=400)
    seen_writes = 0
    for tool, arguments in calls:
        before = _table_contents(session)
        result = session.call(tool, arguments)
        after = _table_contents(session)
        changed = {t for t in after if after[t] != before.get(t)}
        if result["ok"]:
            assert changed <= set(env.handlers[tool][1]), (tool, arguments, changed)
            seen_writes += bool(changed)
        else:
            assert not changed, (tool, result)
    assert seen_writes >= 5


CASCADE = """env shelf "Shelf" {}
entity Box { id: int @id  label: text }
entity Item { id: int @id  box: Box @cascade  weight: int }
entity Tag { id: int @id  item: Item? @set_null  name: text }
entity Note { id: int @id  text: text }
invariant light "Every box holds at most 10 kg": all Box b: sum(Item where box == b, weight) <= 10
invariant named_tags "Every tag has a name": all Tag t: len(t.name) > 0
invariant short_notes "Notes are short": all Note n: len(n.text) < 100
seed Box(id, label) { (1, "a") }
seed Item(id, box, weight) { (1, 1, 4) }
tool drop_box(box: Box) -> bool "Delete a box." { delete box  return true }
tool add_item(box: Box, weight: int) -> Item "Add an item." { return insert Item(box: box, weight: weight) }
tool add_note(text: text) -> Note "Add a note." { return insert Note(text: text) }
tool count_boxes() -> int "Count the boxes." { return count(Box) }
"""


def test_the_invariants_after_a_call_follow_writes_and_foreign_key_actions(tmp_path):
    spec = tmp_path / "shelf.awm"
    spec.write_text(CASCADE)
    env = awmlang.load(spec)
    tables = {tool: writes for tool, (_, writes, _) in env.handlers.items()}
    assert tables["drop_box"] == ("box", "item", "tag")  # its delete reaches items, and their tags
    assert tables["add_item"] == ("item",) and tables["count_boxes"] == ()
    assert env.invariants_after["drop_box"] == ("light", "named_tags")
    assert env.invariants_after["add_item"] == ("light",)
    assert env.invariants_after["add_note"] == ("short_notes",)
    s = env.session(invariants="enforce")
    assert s.call("add_item", {"box": 1, "weight": 7})["error"]["code"] == "invariant_violation"
    assert s.call("add_note", {"text": "x" * 200})["error"]["code"] == "invariant_violation"


@pytest.mark.parametrize("spec", SPECS[:-1] + [SPEC], ids=lambda p: p.parent.name if p.stem == "spec" else p.stem)
def test_an_invariant_declares_every_table_its_query_reads(spec):
    """The tables the checker says an invariant reads (what decides when it runs) cover every
    table its SELECT names."""
    from sqlglot import exp, parse_one

    env = awmlang.load(spec)
    assert env.invariants
    for name, (_, _, sql, tables) in env.invariants.items():
        named = {t.name for t in parse_one(sql, read="sqlite").find_all(exp.Table)}
        assert named <= set(tables), (name, named - set(tables))
