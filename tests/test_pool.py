"""Pooled connections: a session runs in one outer transaction over the seeded database and
gives its connection back at close. Nothing a session does may reach the next one."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

import awmlang

CASE = Path(__file__).parent / "cases" / "features" / "spec.awm"
INVARIANTS = Path(__file__).parent / "cases" / "invariants" / "spec.awm"
CARD = {"kind": "card", "number": "1234567812345678", "expiry": "12/27"}


@pytest.fixture
def env():
    return awmlang.Environment(awmlang.load(CASE).build_dir)  # its own pool, empty


def ok(r):
    assert r["ok"], r
    return r["result"]


def title(s, item=1):
    return ok(s.call("by_sku", {"item_id": item}))["title"]


def seeded(s) -> bool:
    """The session sees exactly the seeded database."""
    return (
        title(s) == "Anvil"
        and s.query("SELECT COUNT(*) FROM purchase") == [(0,)]
        and s.query("SELECT key, body FROM note") == [("welcome", "hello")]
    )


def notes(s):
    """The notes sessions write (the seeded one left out)."""
    return s.query("SELECT key, body FROM note WHERE key != 'welcome' ORDER BY key")


def dirty(s):
    ok(s.call("rename_item", {"item_id": 1, "title": "Changed"}))
    ok(s.call("set_note", {"key": "k", "body": "written"}))
    ok(s.call("buy", {"lines": [{"item": 1, "quantity": 1}], "payment": CARD}))


def test_the_next_session_gets_the_connection_and_the_seeded_data(env):
    a = env.session()
    conn = a._db
    dirty(a)
    a.close()
    b = env.session()
    assert b._db is conn  # reused, not a new copy
    assert seeded(b)
    dirty(b)  # the same writes work again (no leftover rows, keys start where they did)
    b.close()


def test_a_closed_session_cannot_reach_the_next_one(env):
    a = env.session()
    a.close()
    b = env.session()
    with pytest.raises(sqlite3.ProgrammingError):
        a.query("SELECT 1")
    with pytest.raises(sqlite3.ProgrammingError):
        a.call("rename_item", {"item_id": 1, "title": "late"})
    assert seeded(b)
    a.close()  # twice: no second return to the pool
    b.close()
    assert len(env._pool) == 1


def test_reset_rolls_back_and_the_session_goes_on(env):
    s = env.session()
    dirty(s)
    s.reset()
    assert seeded(s) and s.ticks == 1
    dirty(s)
    assert title(s) == "Changed"
    s.close()
    assert seeded(env.session())


def test_a_failed_call_undoes_only_itself(env):
    s = env.session()
    ok(s.call("set_note", {"key": "k", "body": "kept"}))
    assert s.call("explode")["error"]["code"] == "boom"  # writes, then fails
    assert not s.call("buy", {"lines": [{"item": 1, "quantity": 0}], "payment": CARD})["ok"]
    assert notes(s) == [("k", "kept")]
    assert s.query("SELECT COUNT(*) FROM purchase") == [(0,)]
    s.close()
    assert seeded(env.session())


def test_invariant_rollbacks_inside_the_outer_transaction():
    env = awmlang.Environment(awmlang.load(INVARIANTS).build_dir)
    s = env.session(invariants="enforce")
    ok(s.call("restock", {"product": 1, "n": 4}))
    assert s.call("sell", {"product": 1, "n": 100})["error"]["code"] == "invariant_violation"
    assert s.query("SELECT stock FROM product WHERE id = 1") == [(7,)]  # the restock stands
    s.close()
    assert env.session().query("SELECT stock FROM product WHERE id = 1") == [(3,)]


def test_snapshot_save_and_restore_see_the_sessions_writes(env, tmp_path):
    s = env.session()
    dirty(s)
    image, ticks = snap = s.snapshot()
    copy = sqlite3.connect(":memory:")
    copy.deserialize(image)
    assert copy.execute("SELECT title FROM item WHERE id = 1").fetchall() == [("Changed",)]
    s.save(tmp_path / "saved.db")
    saved = sqlite3.connect(tmp_path / "saved.db")
    assert saved.execute("SELECT body FROM note WHERE key = 'k'").fetchall() == [("written",)]
    saved.close()
    assert title(s) == "Changed"  # saving left the session as it was
    s.reset()
    assert seeded(s)
    s.restore(snap)
    assert title(s) == "Changed" and notes(s) == [("k", "written")] and s.ticks == ticks + 1
    ok(s.call("set_note", {"key": "k2", "body": "after restore"}))
    s.reset()  # back to the start, not to the snapshot
    assert seeded(s)
    s.restore(snap)
    s.close()  # its database was replaced: the connection is not kept
    assert env._pool == []
    assert seeded(env.session())


def test_a_session_from_another_image_resets_to_it_and_is_not_pooled(env):
    a = env.session()
    dirty(a)
    image, _ = a.snapshot()
    a.close()
    pooled = list(env._pool)
    b = env.session(image=image)
    assert b._db not in pooled
    ok(b.call("rename_item", {"item_id": 1, "title": "Again"}))
    b.reset()
    assert title(b) == "Changed" and notes(b) == [("k", "written")]
    b.close()
    assert env._pool == pooled
    assert seeded(env.session())


def test_a_connection_handed_out_behaves_as_before_and_is_not_pooled(env):
    s = env.session()
    db = s.db
    db.execute("PRAGMA foreign_keys = OFF")  # takes effect: no transaction is open
    assert db.execute("PRAGMA foreign_keys").fetchall() == [(0,)]
    db.execute("UPDATE item SET title = 'Direct' WHERE id = 1")
    assert title(s) == "Direct"
    s.reset()
    assert seeded(s)
    s.close()
    assert env._pool == []
    fresh = env.session()
    assert fresh.query("PRAGMA foreign_keys") == [(1,)]
    fresh.query("PRAGMA ignore_check_constraints = ON")  # not a SELECT: the connection is handed out
    fresh.close()
    assert env._pool == []
    assert env.session().query("PRAGMA ignore_check_constraints") == [(0,)]


def test_verify_reads_the_starting_database_from_the_pool():
    env = awmlang.Environment(awmlang.load(INVARIANTS).build_dir)
    s = env.session()
    run = s.run_solution("restock_lamp")
    assert s.verify("restock_lamp", answer=run["answer"])["passed"]
    assert len(env._pool) == 1  # the before-database went back
    assert s.verify("restock_lamp", answer=run["answer"])["passed"]  # and again, from the pool
    before, _ = env.session().snapshot()
    assert s.verify("restock_lamp", answer=run["answer"], before=before)["passed"]
    s.close()
    other = env.session()
    assert other.query("SELECT stock FROM product WHERE id = 1") == [(3,)]
    assert not other.verify("restock_lamp", answer="no idea")["passed"]


def test_sessions_on_threads_never_see_each_other(env):
    failures = []
    start = threading.Barrier(8)

    def worker(n):
        start.wait()
        for i in range(25):
            s = env.session()
            try:
                if not seeded(s):
                    failures.append((n, i, "not seeded"))
                ok(s.call("set_note", {"key": f"t{n}", "body": str(i)}))
                ok(s.call("rename_item", {"item_id": 1, "title": f"T{n}"}))
                if notes(s) != [(f"t{n}", str(i))] or title(s) != f"T{n}":
                    failures.append((n, i, "sees another session"))
                if i % 5 == 0:
                    s.reset()
                    if not seeded(s):
                        failures.append((n, i, "reset"))
            finally:
                s.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert 1 <= len(env._pool) <= 8
    assert all(seeded(s) for s in [env.session() for _ in range(len(env._pool) + 1)])


def test_a_pooled_connection_keeps_every_statement_of_the_bundled_specs_prepared():
    """Python keeps 128 prepared statements a connection by default: fewer than most bundled
    specs run, so a pooled connection would prepare statements again. Ours keeps them all."""
    from awmlang.runtime.support import STATEMENTS_KEPT

    counts = {}
    for spec in sorted((Path(__file__).parent.parent / "specs").glob("*.awm")):
        env = awmlang.load(spec)
        statements = {value for name, value in vars(env.module).items() if name.startswith("SQL_")}
        counts[spec.stem] = len(statements | {inv[2] for inv in env.invariants.values()})
    assert max(counts.values()) > 128, counts
    assert max(counts.values()) <= STATEMENTS_KEPT, counts
