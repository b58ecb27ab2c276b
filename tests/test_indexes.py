"""Every reference is indexed: SQLite does not index foreign keys itself, and a lookup of a
parent's rows (`customer.accounts`), an invariant over them or a cascading delete would scan
the whole child table."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import awmlang

SPECS = sorted((Path(__file__).parent.parent / "specs").glob("*.awm"))


def _leading_columns(db: sqlite3.Connection, table: str) -> list[str]:
    """The first column of each index of `table` (those of UNIQUE constraints included)."""
    names = [row[1] for row in db.execute(f'PRAGMA index_list("{table}")')]
    return [db.execute(f'PRAGMA index_info("{name}")').fetchone()[2] for name in names]


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_every_foreign_key_leads_an_index_and_none_is_made_twice(spec):
    env = awmlang.load(spec)
    tables = list(env.tables)  # (reads the seeded database itself: not inside seeded_db below)
    with env.seeded_db() as db:
        for table in tables:
            leading = _leading_columns(db, table)
            for fk in db.execute(f'PRAGMA foreign_key_list("{table}")'):
                assert fk[3] in leading, f"{table}.{fk[3]} has no index"
            indexes = [
                tuple(r[2] for r in db.execute(f'PRAGMA index_info("{i[1]}")'))
                for i in db.execute(f'PRAGMA index_list("{table}")')
            ]
            assert len(indexes) == len(set(indexes)), f"{table} has an index twice: {indexes}"


def test_a_reference_that_a_declared_index_or_key_leads_gets_no_second_index(tmp_path):
    spec = tmp_path / "indexed.awm"
    spec.write_text(
        'env x "X" {}\n'
        "entity A { id: int @id }\n"
        "entity B { id: int @id  a: A @index  other: A  third: A  fourth: A @unique  @@index(other, id)  @@unique(third, id) }\n"
        "entity C { id: int @id  a: A }\n"
    )
    schema = (awmlang.load(spec).build_dir / "schema.sql").read_text()
    indexes = [line for line in schema.splitlines() if line.startswith("CREATE INDEX")]
    assert indexes == [
        'CREATE INDEX "ix_b_a_id" ON "b"("a_id");',
        'CREATE INDEX "ix_b_other_id_id" ON "b"("other_id", "id");',
        'CREATE INDEX "ix_c_a_id" ON "c"("a_id");',
    ]


def test_an_invariant_over_a_parent_and_its_children_stays_fast_on_a_large_seed():
    """at_most_six_open_accounts counts each customer's accounts: with no index on the owner it
    read every account for every customer (0.23 s on 2,500 of each)."""
    env = awmlang.load(Path(__file__).parent.parent / "specs" / "bank.awm")
    with env.seeded_db() as db:
        plan = db.execute("EXPLAIN QUERY PLAN " + env.invariants["at_most_six_open_accounts"][2]).fetchall()
    details = " / ".join(row[3] for row in plan)
    assert "USING INDEX ix_account_owner_id" in details, details
