"""Handlers read a row once while they write nothing (support.cached_row), read the rows of a
returned or looped-over query in one statement, and output a returned record literal in place:
a nested read runs one statement per level. Every write makes the next read of a row fresh."""

from __future__ import annotations

from pathlib import Path

import pytest

import awmlang

ROOT = Path(__file__).resolve().parent.parent
ORDER_DETAILS = """
record OrderDetails { order: Order  items: list<OrderItem>  payments: list<PaymentRecord> }
tool order_details(order: Order) -> OrderDetails "An order with its items and payments." {
  require order.customer == me else fail forbidden "order {order.id} is not yours"
  return {order: order, items: order.items order by id, payments: order.payments order by id}
}
tool order_lines(order: Order) -> list<OrderItem> "The lines of an order, by a loop." {
  let out: list<OrderItem> = []
  for i in order.items order by id {
    require i.quantity > 0 else fail bad "line {i.id} of {i.product.name} has {i.quantity} units"
    out = out + [i]
  }
  return out
}
"""

SPEC = """
env t "Row reads" {}
entity Box { id: int @id  name: text  n: int = 0  parts: Part[] }
entity Part { id: int @id  box: Box? @set_null  label: text }

tool bump(box: Box) -> int "Read, write, read again." {
  let before = box.n
  update box set n = n + 1
  return box.n - before
}
tool rename_twice(box: Box, a: text, b: text) -> text "Two writes between reads." {
  update box set name = a
  let first = box.name
  update box set name = b
  return first + "/" + box.name
}
tool orphan(part: Part) -> bool "A foreign key action changes a row the call has read." {
  let had = part.box is not null
  delete part.box
  return had and part.box is null
}
tool add_part(box: Box, label: text) -> int "An insert inside a loop over rows." {
  for p in box.parts order by id { update p set label = p.label + "!" }
  let q = insert Part(box: box, label: label)
  return count(box.parts)
}
tool box_with_parts(box: Box) -> json "A record literal whose field writes is computed in order." {
  return {box: box, made: insert Part(box: box, label: "new"), parts: box.parts order by id}
}

seed Box(id, name, n) { (1, "a", 5) (2, "b", 0) }
seed Part(id, box, label) { (1, 1, "x") (2, 1, "y") }
"""


def selects(session, tool, args) -> tuple[dict, list[str]]:
    statements: list[str] = []
    session.db.set_trace_callback(statements.append)
    result = session.call(tool, args)
    session.db.set_trace_callback(None)
    return result, [s for s in statements if s.startswith("SELECT")]


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    path = tmp_path_factory.mktemp("shop") / "shop.awm"
    path.write_text((ROOT / "specs" / "shop.awm").read_text() + ORDER_DETAILS)
    return awmlang.load(path)


def test_a_nested_read_runs_one_statement_per_level(shop):
    s = shop.session(user=1)
    result, statements = selects(s, "order_details", {"order": 1})
    assert result["ok"], result
    assert len(statements) == 3, statements  # the order (checked, tested, output), its items, its payments
    details = result["result"]
    assert details["order"] == s.call("get_order", {"order_id": 1})["result"]
    assert details["items"] == s.call("order_items", {"order": 1})["result"]
    payments = s.query("SELECT id FROM payment_record WHERE order_id = 1 ORDER BY id")
    assert [p["id"] for p in details["payments"]] == [p[0] for p in payments]
    assert s.call("order_details", {"order": 10})["error"]["code"] == "forbidden"
    assert s.call("order_details", {"order": 999})["error"]["code"] == "not_found"


def test_a_loop_reads_its_rows_in_one_statement(shop):
    s = shop.session(user=1)
    result, statements = selects(s, "order_lines", {"order": 1})
    assert result["ok"], result
    assert [x["id"] for x in result["result"]] == [x["id"] for x in s.call("order_items", {"order": 1})["result"]]
    assert len(result["result"]) > 1
    # the order (must) and the items' rows: the loop's field reads and the output rows are read already
    assert len(statements) == 2, statements


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    path = tmp_path_factory.mktemp("rows") / "spec.awm"
    path.write_text(SPEC)
    return awmlang.load(path)


def ok(r):
    assert r["ok"], r
    return r["result"]


def test_a_write_makes_the_next_read_fresh(env):
    s = env.session()
    assert ok(s.call("bump", {"box": 1})) == 1
    assert ok(s.call("rename_twice", {"box": 1, "a": "p", "b": "q"})) == "p/q"


def test_a_foreign_key_action_makes_the_next_read_fresh(env):
    s = env.session()
    assert ok(s.call("orphan", {"part": 1})) is True
    assert s.query("SELECT box_id FROM part WHERE id = 1") == [(None,)]


def test_writes_inside_loops_and_record_literals(env):
    s = env.session()
    assert ok(s.call("add_part", {"box": 1, "label": "z"})) == 3
    assert s.query("SELECT label FROM part ORDER BY id") == [("x!",), ("y!",), ("z",)]
    result = ok(s.call("box_with_parts", {"box": 2}))
    assert result["box"]["id"] == 2 and [p["label"] for p in result["parts"]] == ["new"]
