"""`@@owned_by`: a row's owner, named by a relation to the user or by a path of relations
(`@@owned_by(account.owner)`), and what `awmc check` does with it."""

from __future__ import annotations

from awmlang.compiler.build import build_spec
from awmlang.runtime.explore import explore
from awmlang.runtime.explore.arguments import existing_keys
from awmlang.runtime.explore.problems import call_and_check

import awmlang

HEADER = """env o "O" { user User }
entity User { id: int @id  name: text }
entity Account { id: int @id  owner: User  balance: int = 0 }
"""

CARDS = (
    HEADER
    + """entity Card { id: int @id  account: Account  status: text = "active"  @@owned_by(account.owner) }
tool freeze(card: Card) -> Card "Freeze a card (it forgets to check whose card it is)." {
  update card set status = "frozen"
  return card
}
seed User(id, name) { (1, "a") (2, "b") }
seed Account(id, owner) { (1, 1) (2, 2) (3, 2) }
seed Card(id, account) { (1, 1) (2, 2) (3, 3) }
"""
)


def _errors(tmp_path, text: str) -> list[tuple[str, str]]:
    spec = tmp_path / "o.awm"
    spec.write_text(text)
    return [(d.code, d.message) for d in build_spec(spec).errors]


def test_a_path_must_follow_relations_to_the_user_entity(tmp_path):
    cases = {
        "@@owned_by(account.nope)": ("AWM1003", "`Account` has no field `nope`"),
        "@@owned_by(account.balance)": (
            "AWM2011",
            "`@@owned_by(account.balance)` needs `account.balance` to be a relation to the user entity `User`",
        ),
        "@@owned_by(account)": (
            "AWM2011",
            "`@@owned_by(account)` needs `account` to be a relation to the user entity `User`",
        ),
        "@@owned_by(note.owner)": ("AWM1003", "`Thing` has no field `note`"),
        "@@unique(account.owner)": ("AWM2011", "`@@unique` takes field names, not a path"),
    }
    for attribute, expected in cases.items():
        text = HEADER + f"entity Thing {{ id: int @id  account: Account  {attribute} }}\n"
        assert _errors(tmp_path, text) == [expected], attribute


def test_the_owner_of_a_path_is_a_subquery_over_the_rows_table(tmp_path):
    spec = tmp_path / "cards.awm"
    spec.write_text(CARDS)
    env = awmlang.load(spec)
    table, key, owner = env.owners["Card"]
    assert (table, key) == ("card", "id")
    assert owner == '(SELECT o1."owner_id" FROM "account" AS o1 WHERE o1."id" = "card"."account_id")'
    session = env.session(user=2)
    assert existing_keys(session, "Card", mine=True) == [2, 3]  # the explorer draws the user's own cards


def test_a_call_that_changes_a_row_owned_through_its_parent_is_reported(tmp_path):
    spec = tmp_path / "cards.awm"
    spec.write_text(CARDS)
    env = awmlang.load(spec)
    result, problem = call_and_check(env.session(user=1), "freeze", {"card": 2})
    assert result["ok"] and problem[0] == "ownership_violation"
    assert "changed Card rows of other users: [2]" in problem[1]
    assert call_and_check(env.session(user=1), "freeze", {"card": 1})[1] is None  # your own card
    finding = explore(env, seed=0, max_examples=50).finding
    assert finding is not None and finding.kind == "ownership_violation"
