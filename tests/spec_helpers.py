"""Assertions shared by the example-spec tests (tests/test_spec_*.py)."""

from __future__ import annotations


def ok(r):
    """The result of a call that must succeed."""
    assert r["ok"] is True, r
    return r["result"]


def err(r, code, message=None):
    """The error of a call that must fail with `code` (and exactly `message`, if given)."""
    assert r["ok"] is False, r
    assert r["error"]["code"] == code, r
    if message is not None:
        assert r["error"]["message"] == message, r
    return r["error"]


def state(s) -> dict:
    """Every row of every table, to check that a failed call changed nothing."""
    tables = [
        t
        for (t,) in s.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {t: sorted(s.query(f'SELECT * FROM "{t}"'), key=repr) for t in tables}


def fails(s, tool, args, code, message=None):
    """Call a tool that must fail with `code` (and `message`), and check it changed nothing."""
    before = state(s)
    e = err(s.call(tool, args), code, message)
    assert state(s) == before
    return e


def one(s, sql, params=()):
    """The only row a query returns."""
    rows = s.query(sql, params)
    assert len(rows) == 1, rows
    return rows[0]
