"""The checked Model carries every constant's value: defaults, bounds and the constants of
`@check`s and invariants. Lowering reads those values; it does not evaluate expressions again."""

from __future__ import annotations

from decimal import Decimal

from awmlang.compiler import nodes as n
from awmlang.compiler.build import check_spec
from awmlang.compiler.lower_python import tool_params
from awmlang.compiler.lower_sql import ddl_default, invariant_statement, seed_default
from awmlang.compiler.types import ClockDefault

SPEC = """env shop "Shop" { clock "2026-03-04 05:06:07" }
enum Status { open closed }
entity Item {
  id: int @id
  price: decimal = 2.50 @range(0, 1000)
  status: Status = open
  added: datetime = now()
  day: date = today()
  qty: int @check(qty <= 40 + 2)
}
invariant cheap "Prices stay under the cap": all Item i: i.price <= 999.5
tool add(qty: int = 3 @range(1, 9), note: text = "none") -> Item "Add an item." {
  return insert Item(qty: qty)
}
"""


def model(tmp_path):
    spec = tmp_path / "shop.awm"
    spec.write_text(SPEC)
    result = check_spec(spec, memo=False)
    assert result.ok, result.diagnostics
    return result.model


def test_field_defaults_are_typed_values(tmp_path):
    fields = model(tmp_path).entities["Item"].fields
    assert fields["price"].default_value == Decimal("2.50") and isinstance(fields["price"].default_value, Decimal)
    assert fields["status"].default_value == "open"
    assert fields["added"].default_value == ClockDefault("now")
    assert fields["day"].default_value == ClockDefault("today")
    assert fields["price"].range == (0, 1000)


def test_parameter_defaults_are_typed_values(tmp_path):
    params = {p.name: p for p in model(tmp_path).tools["add"].params}
    assert params["qty"].default_value == 3 and params["qty"].range == (1, 9)
    assert params["note"].default_value == "none"


def test_constants_of_checks_and_invariants_are_kept(tmp_path):
    m = model(tmp_path)
    check = m.entities["Item"].fields["qty"].checks[0]
    assert isinstance(check, n.Binary) and m.constants[check.right] == 42  # `40 + 2`, folded
    cap = next(node for node in m.constants if isinstance(node, n.Literal) and node.value == "999.5")
    assert m.constants[cap] == Decimal("999.5")
    assert check.left not in m.constants  # `qty` reads the row: not a constant


def test_a_clock_default_is_the_session_clock_in_seeds_and_sql(tmp_path):
    m = model(tmp_path)
    fields = m.entities["Item"].fields
    assert seed_default(m, fields["added"]).sql() == "'2026-03-04 05:06:07'"
    assert seed_default(m, fields["day"]).sql() == "'2026-03-04'"
    assert ddl_default(m, fields["added"]).sql() == "CURRENT_TIMESTAMP"


def test_lowering_reads_the_stored_values(tmp_path):
    """Change a value in the Model, and the lowered code follows: nothing is evaluated again."""
    m = model(tmp_path)
    fields = m.entities["Item"].fields
    fields["price"].default_value = Decimal("7.25")
    assert ddl_default(m, fields["price"]).sql() == "725"  # stored in cents
    qty = m.tools["add"].params[0]
    qty.default_value = 5
    assert tool_params(m, m.tools["add"])[0]["default"] == 5
    cap = next(node for node in m.constants if isinstance(node, n.Literal) and node.value == "999.5")
    m.constants[cap] = Decimal("12.5")
    assert "1250" in invariant_statement(m, m.invariants[0])
