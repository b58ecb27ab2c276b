"""`Entity.field` names the current row's field inside a query over that entity: the way to
mean the field where a parameter has the same name (and so to silence AWM4004)."""

from __future__ import annotations

from awmlang.compiler.build import build_spec

import awmlang

SPEC = """
env t "T" { user User }
entity User { id: int @id  name: text }
entity Ticket { id: int @id  owner: User  score: int }
tool above(score: int) -> list<Ticket> "Tickets scoring above the given score, best first." {
  return Ticket where Ticket.score > $score order by Ticket.score desc
}
tool top(score: int) -> list<Ticket> "The `score` best tickets scoring over 2." {
  return Ticket where Ticket.score > 2 order by Ticket.score desc limit score
}
tool bump_below(score: int) -> int "Add 1 to each ticket below the score; returns how many." {
  let n = count(Ticket where Ticket.score < $score)
  update Ticket where Ticket.score < $score set score = Ticket.score + 1
  return n
}
tool beaten() -> list<Ticket> "Every ticket, if one of yours scores over 4 (a nested query over the same entity)." {
  return Ticket where exists(Ticket where Ticket.score > 4 and owner == me)
}
seed User(id, name) { (1, "ann") }
seed Ticket(id, owner, score) { (1, 1, 1) (2, 1, 3) (3, 1, 5) }
"""


def _session(tmp_path, text=SPEC):
    path = tmp_path / "t.awm"
    path.write_text(text)
    return awmlang.load(path).session()


def test_qualified_field_reads_the_row_not_the_parameter(tmp_path):
    s = _session(tmp_path)
    assert s.call("above", {"score": 2})["result"] == [
        {"id": 3, "owner_id": 1, "score": 5},
        {"id": 2, "owner_id": 1, "score": 3},
    ]
    assert [t["id"] for t in s.call("top", {"score": 1})["result"]] == [3]
    assert s.call("bump_below", {"score": 4})["result"] == 2
    assert [t["score"] for t in s.call("above", {"score": 0})["result"]] == [5, 4, 2]
    assert [t["id"] for t in s.call("beaten")["result"]] == [1, 2, 3]


def test_qualified_field_silences_the_shadowing_warning(tmp_path):
    path = tmp_path / "t.awm"
    path.write_text(SPEC)
    assert build_spec(path).diagnostics == []
    path.write_text(SPEC.replace("Ticket where Ticket.score > 2", "Ticket where score > 2"))
    (warning,) = build_spec(path).diagnostics
    assert warning.code == "AWM4004"
    assert warning.help == "write `$score` to mean the parameter, or `Ticket.score` to mean the field"
