"""Queries compiled to SQL, each case a small spec compiled in the test (regressions included)."""

from __future__ import annotations

import sqlite3

import pytest

import awmlang

SPEC = """
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
"""


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


SPEC2 = """
env r "Rows" { user U }
record Pick { item: I  n: int }
entity U { id: int @id  name: text  items: I[] via owner }
entity I { id: int @id  owner: U  n: int  due: date  at: datetime = now()  note: text? }
tool busy_users() -> list<U> "Users with an item over 5." { return U where exists(items where n > 5) order by id }
tool by_load() -> list<U> "Users by average n, highest first." { return U order by avg(items, n) desc then id }
tool postpone(item: I, d: int) -> I "Move the due date by d days." { update item set due = due + days(d), at = at - hours(1)  return item }
tool late(days_ahead: int) -> list<I> "Items due within some days of their creation." {
  return I where due <= date(at + days(days_ahead)) order by id
}
tool all_items() -> list<I> "Every item, through a list variable." { let xs: list<I> = I  return xs }
tool picks(ps: list<Pick>) -> int "Sum of n over picked items." {
  let total = 0
  for p in ps { total = total + p.item.n * p.n }
  return total
}
tool firsts(items: list<I>) -> list<int> "The n of each item." {
  let out: list<int> = []
  for i in items { out = out + [i.n] }
  return out
}
tool note_length(item: I) -> int "Length of the item's note, or 0." {
  let note = item.note
  if note is not null { return len(note) }
  require note is not null else fail no_note "item {item.id} has no note"
  return len(note)
}
seed U(id, name) { (1, "a") (2, "b") (3, "c") }
seed I(owner, n, due, note) { (1, 9, "2025-01-05", "hello") (1, 1, "2025-01-01", null) (2, 4, "2025-02-01", null) (3, 2, "2024-12-31", null) }
"""


@pytest.fixture(scope="module")
def s2(tmp_path_factory):
    path = tmp_path_factory.mktemp("r") / "r.awm"
    path.write_text(SPEC2)
    return awmlang.load(path)


def test_back_references_inside_queries(s2):
    s = s2.session()
    assert [u["id"] for u in call(s, "busy_users")] == [1]
    assert [u["id"] for u in call(s, "by_load")] == [1, 2, 3]


def test_date_arithmetic_on_fields_inside_queries(s2):
    s = s2.session()
    item = call(s, "postpone", {"item": 2, "d": 3})
    assert (item["due"], item["at"]) == ("2025-01-04", "2025-01-01 08:00:00")
    assert [i["id"] for i in call(s, "late", {"days_ahead": 3})] == [2, 4]


def test_list_variable_from_a_query(s2):
    assert [i["id"] for i in call(s2.session(), "all_items")] == [1, 2, 3, 4]


def test_keys_inside_lists_and_records_are_checked(s2):
    s = s2.session()
    assert call(s, "picks", {"ps": [{"item": 1, "n": 2}, {"item": 3, "n": 1}]}) == 22
    r = s.call("picks", {"ps": [{"item": 1, "n": 2}, {"item": 99, "n": 1}]})
    assert r["error"]["code"] == "not_found" and r["error"]["message"] == "I 99 not found"
    assert call(s, "firsts", {"items": [3, 1]}) == [4, 9]
    assert s.call("firsts", {"items": [1, 42]})["error"]["code"] == "not_found"


def test_null_tests_narrow_types(s2):
    s = s2.session()
    assert call(s, "note_length", {"item": 1}) == 5
    assert s.call("note_length", {"item": 2})["error"]["message"] == "item 2 has no note"


SPEC3 = """
env n "Nested" { user U }
entity U { id: int @id  name: text @unique }
entity F { id: int @id  a: U  b: U }
entity B { id: int @id  room: text  nights: int }
tool fans() -> list<U> "Users who follow someone (the outer row's name, read in the inner query)." {
  return U where exists(F where a.name == name) order by id
}
tool first_two() -> json "Nights of the first two bookings per room." {
  return B order by id limit 2 group by room { nights: sum(nights) }
}
seed U(id, name) { (1, "ann") (2, "bob") (3, "cy") }
seed F(a, b) { (1, 2) (3, 1) }
seed B(room, nights) { ("A1", 2) ("B2", 3) ("A1", 1) }
"""


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    path = tmp_path_factory.mktemp("n") / "n.awm"
    path.write_text(SPEC3)
    return awmlang.load(path).session()


def test_inner_query_reads_the_outer_row(s3):
    assert [u["id"] for u in call(s3, "fans")] == [1, 3]


def test_group_by_respects_the_limit_of_its_source(s3):
    assert call(s3, "first_two") == [{"room": "A1", "nights": 2}, {"room": "B2", "nights": 3}]


SPEC4 = """
env u "Unions and aggregates" {}
union Target { account { number: text } card { last4: text  limit: decimal? } }
entity O { id: int @id  total: decimal  items: I[] }
entity I { id: int @id  o: O  price: decimal  at: int }
invariant total_is_sum "Totals are the sum of item prices": all O o: o.total == sum(o.items, price)
invariant latest_positive "The latest item of an order has a positive price":
  all O o where exists(o.items): first(o.items order by at desc).price > 0
tool pay(t: Target) -> text "Describe a target." {
  match t { account a { return "account {a.number}" } card c { return "card {c.last4}" } }
}
task pay_card "Pay by card." { solution { pay(t: {kind: "card", last4: "1234"}) }  expect count(O) == 3 }
seed O(id, total) { (1, 0) (2, 5.00) (3, 1.00) }
seed I(o, price, at) { (2, 2.00, 1) (2, 3.00, 2) (3, 1.00, 1) }
"""


def test_sum_of_no_rows_is_zero_in_sql_and_first_in_queries(tmp_path):
    path = tmp_path / "u.awm"
    path.write_text(SPEC4)
    env = awmlang.load(path)  # the seed satisfies both invariants
    s = env.session()
    assert s.check_invariants() == []
    s.db.execute("UPDATE i SET price = 0 WHERE at = 2")
    assert [v["invariant"] for v in s.check_invariants()] == ["total_is_sum", "latest_positive"]


def test_union_literals_in_solutions(tmp_path):
    path = tmp_path / "u.awm"
    path.write_text(SPEC4)
    s = awmlang.load(path).session()
    run = s.run_solution("pay_card")
    assert run["ok"] and run["calls"][0]["result"]["result"] == "card 1234"


SPEC5 = """
env p "Precision" {}
entity P { id: int @id  rating: float  price: decimal  a: int?  b: int? }
invariant near "Ratings are within a thousandth of 4.5 or above 1": all P p: abs(p.rating - 4.5) < 0.001 or p.rating > 1
invariant both_or_neither "a and b are set together": all P p: (p.a is null) == (p.b is null)
tool close_to(x: float) -> list<P> "Rows whose rating is within 0.001 of x." { return P where abs(rating - $x) < 0.001 }
tool paired() -> list<P> "Rows with a and b both set or both unset." { return P where (a is null) == (b is null) }
tool tiny() -> float "A small constant." { let x: float = 0.001  return x }
seed P(id, rating, price, a, b) { (1, 4.5, 1.00, null, null) (2, 4.7, 2.00, 1, 2) }
"""


def test_literals_with_more_places_and_parenthesised_null_tests(tmp_path):
    path = tmp_path / "p.awm"
    path.write_text(SPEC5)
    s = awmlang.load(path).session()  # the seed satisfies both invariants
    assert [p["id"] for p in call(s, "close_to", {"x": 4.5})] == [1]
    assert [p["id"] for p in call(s, "paired")] == [1, 2]
    assert call(s, "tiny") == 0.001
    s.db.execute("UPDATE p SET b = NULL WHERE id = 2")
    assert [v["invariant"] for v in s.check_invariants()] == ["both_or_neither"]


SPEC6 = """
env c "Checks" {}
entity P { id: int @id  price: float?  discount: float? @check(discount <= price - 1)  t: int @check(t > 1 * -2) }
tool cheap() -> list<P> "Rows whose price minus discount is under 10 (null prices never match)." {
  return P where price - discount < 10 order by id
}
seed P(id, price, discount, t) { (1, 20, 15, 0) (2, null, null, 1) (3, 30, 5, 2) }
"""


def test_nullable_arithmetic_over_fields_runs_in_sql_and_constants_fold(tmp_path):
    path = tmp_path / "c.awm"
    path.write_text(SPEC6)
    s = awmlang.load(path).session()
    assert [p["id"] for p in call(s, "cheap")] == [1]
    ddl = s.query("SELECT sql FROM sqlite_master WHERE name = 'p'")[0][0]
    assert '"t" > -2' in ddl
    with pytest.raises(sqlite3.IntegrityError):
        s.db.execute("INSERT INTO p (id, price, discount, t) VALUES (9, 5, 5, 0)")
