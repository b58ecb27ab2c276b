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
    description, entity, _sql = env.invariants["stock_never_negative"]
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
