"""The public API as the README shows it, on the bundled shop spec."""

from __future__ import annotations

from pathlib import Path

import awmlang

SHOP = Path(__file__).resolve().parent.parent / "specs" / "shop.awm"


def test_readme_walkthrough():
    env = awmlang.load(SHOP)
    names = {t["function"]["name"] for t in env.tools}
    assert {"add_to_cart", "get_product", "search_products"} <= names
    assert {t["name"] for t in env.mcp_tools} == names
    s = env.session()
    before = s.snapshot()
    r = s.call("add_to_cart", {"product": 1, "quantity": 2})
    assert r["ok"] and r["result"]["quantity"] >= 2
    snap = s.snapshot()
    s.reset()
    assert list(s.db.iterdump()) == list(env.session().db.iterdump())
    s.restore(snap)
    assert s.query("SELECT COUNT(*) FROM cart_item WHERE product_id = 1 AND customer_id = 1")[0][0] == 1
    s.restore(before)
    assert s.call("add_to_cart", {"product": 10**6})["error"]["code"] == "not_found"


def test_load_reports_spec_errors(tmp_path):
    bad = tmp_path / "bad.awm"
    bad.write_text('env b "B" {}\nentity P { id: int @id  x: nmber }\n')
    try:
        awmlang.load(bad)
    except awmlang.SpecError as exc:
        assert [d.code for d in exc.diagnostics] == ["AWM1002"]
        assert "bad.awm:2:28" in str(exc)
    else:
        raise AssertionError("expected a SpecError")
