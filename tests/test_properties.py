"""Property tests: hostile tool arguments and random parser input never cause tracebacks."""

from __future__ import annotations

import string
from pathlib import Path

from awmlang.compiler.build import check_spec
from awmlang.compiler.parse.lalr import _grammar_parser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

import awmlang

SPEC = Path(__file__).parent / "cases" / "mini_shop" / "spec.awm"
HOSTILE = st.one_of(
    st.text(max_size=200),
    st.sampled_from(
        [
            "'",
            '"',
            "'; DROP TABLE product; --",
            "%",
            "_",
            "\\",
            "\x00",
            "' OR '1'='1",
            "Robert'); DELETE FROM user;--",
            "😀" * 50,
            "ß",
            "İ",
            "\u202e",
            "{x}",
            "NULL",
        ]
    ),
    st.text(alphabet=string.printable, min_size=1000, max_size=5000),
)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _env():
    return awmlang.load(SPEC)


def _counts(s):
    return {
        t: s.query(f'SELECT COUNT(*) FROM "{t}"')[0][0] for t in ("user", "product", "cart_item", "order", "order_item")
    }


@FAST
@given(name=HOSTILE, category=HOSTILE)
def test_hostile_text_in_create_is_stored_verbatim(name, category):
    s = _env().session()
    before = _counts(s)
    r = s.call("create_product", {"name": name, "category": category, "price": 1})
    if "\x00" in name or "\x00" in category:
        assert r["error"]["code"] == "invalid_arguments"
        assert _counts(s) == before
        return
    assert r["ok"], r
    row = s.query("SELECT name, category FROM product WHERE id = ?", (r["result"]["id"],))
    assert row == [(name, category)]
    after = _counts(s)
    assert after == {**before, "product": before["product"] + 1}


@FAST
@given(query=HOSTILE)
def test_hostile_text_in_search_only_reads_matching_rows(query):
    s = _env().session()
    r = s.call("search_products", {"query": query, "limit": 50})
    if "\x00" in query:
        assert r["error"]["code"] == "invalid_arguments"
        return
    assert r["ok"], r
    lowered = query.translate(str.maketrans(string.ascii_uppercase, string.ascii_lowercase))
    expected = [
        name
        for (name,) in s.query("SELECT name FROM product ORDER BY price, id")
        if lowered in name.translate(str.maketrans(string.ascii_uppercase, string.ascii_lowercase))
    ]
    assert [p["name"] for p in r["result"]] == expected


@FAST
@given(
    args=st.dictionaries(
        st.text(max_size=12),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(),
            st.text(max_size=30),
            st.lists(st.integers(), max_size=3),
        ),
        max_size=4,
    ),
    tool=st.sampled_from(
        [
            "add_to_cart",
            "checkout",
            "get_product",
            "update_product",
            "search_products",
            "create_product",
            "delete_product",
            "my_orders",
        ]
    ),
)
def test_random_arguments_never_cause_internal_errors(args, tool):
    s = _env().session()
    r = s.call(tool, args)
    assert r["ok"] or r["error"]["code"] != "internal_error", r


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(text=st.text(max_size=300))
def test_random_text_gives_diagnostics_not_tracebacks(text):
    result = check_spec("fuzz.awm", text=text)
    assert all(d.code.startswith("AWM") for d in result.diagnostics)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    text=from_lark(_grammar_parser(), start="start")
)  # a parser not loaded from the cache: from_lark reads its grammar
def test_grammatical_nonsense_is_checked_without_tracebacks(text):
    result = check_spec("fuzz.awm", text=text)
    assert all(d.code.startswith("AWM") for d in result.diagnostics)
