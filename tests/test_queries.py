"""Queries compiled to SQL, each case a small spec compiled in the test (regressions included)."""
from __future__ import annotations

import pytest

import awmlang

SPEC = '''
env q "Queries" { user U }
enum Prio { low medium high urgent }
enum S { a b c }
entity U { id: int @id  name: text }
entity P { id: int @id  title: text  items: I[] }
entity I {
  id: int @id  p: P @cascade  k: text  pts: int?  done: bool = false  s: S = a  prio: Prio = low
  x: int? @check(x is null or s in [a, b])
}
tool in_list() -> int "Count items whose s is a or b." { return count(I where s in [a, b]) }
tool not_in_param(ss: list<S>) -> int "Count items whose s is not in ss." { return count(I where s not in ss) }
tool group_backref(p: P) -> json "Items of p per key." { return p.items group by k { n: count() } }
tool sum_backref(p: P) -> int "Points of done items, missing points as 0." { return sum(p.items where done, coalesce(pts, 0)) }
tool by_priority() -> list<I> "Items, most urgent first." { return I order by prio desc then id }
tool count_limited(n: int) -> int "Count of the first n items." { return count(I order by id limit n) }
tool sum_limited(n: int, extra: int) -> int "Points of the first n items, plus extra each." {
  return sum(I where id > 0 order by id limit n, coalesce(pts, 0) + extra)
}
tool prefixed(pre: text) -> list<I> "Items whose key starts with pre or ends with it." {
  return I where k starts with pre or k ends with $pre order by id
}
seed U(id, name) { (1, "u") }
seed P(id, title) { (1, "one") (2, "two") }
seed I(p, k, pts, done, s, prio) {
  (1, "x", 5, true, a, high) (1, "x", 3, true, b, urgent) (1, "y", null, true, c, low) (1, "ax", 9, false, a, medium)
  (2, "y", 1, true, a, low)
}
'''


@pytest.fixture(scope="module")
def s(tmp_path_factory):
    path = tmp_path_factory.mktemp("q") / "q.awm"
    path.write_text(SPEC)
    return awmlang.load(path).session()


def call(s, tool, args=None):
    r = s.call(tool, args or {})
    assert r["ok"], r
    return r["result"]


def test_in_with_a_list_literal(s):
    assert call(s, "in_list") == 4


def test_not_in_with_a_list_parameter(s):
    assert call(s, "not_in_param", {"ss": ["a"]}) == 2


def test_in_inside_a_check_constraint(s):
    assert s.call("in_list")["ok"]
    assert s.query("SELECT sql FROM sqlite_master WHERE name = 'i'")[0][0].count("IN ('a', 'b')") == 1


def test_group_by_over_a_back_reference(s):
    assert call(s, "group_backref", {"p": 1}) == [{"k": "ax", "n": 1}, {"k": "x", "n": 2}, {"k": "y", "n": 1}]


def test_sum_binds_parameters_in_sql_order(s):
    assert call(s, "sum_backref", {"p": 1}) == 8
    assert call(s, "sum_limited", {"n": 2, "extra": 10}) == 28


def test_enums_sort_in_declaration_order(s):
    assert [(i["id"], i["prio"]) for i in call(s, "by_priority")][:3] == [(2, "urgent"), (1, "high"), (4, "medium")]


def test_aggregates_over_limited_queries(s):
    assert call(s, "count_limited", {"n": 3}) == 3


def test_starts_and_ends_with(s):
    assert [i["id"] for i in call(s, "prefixed", {"pre": "x"})] == [1, 2, 4]
    assert [i["id"] for i in call(s, "prefixed", {"pre": ""})] == [1, 2, 3, 4, 5]
