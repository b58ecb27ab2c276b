"""One table of hostile inputs for every public entry point: the Python API (`Session.call`),
episodes (`Episode.step`), `awmc call`/`awmc verify`, and MCP over HTTP and stdio.

Each row says what is sent and what the refusal must say: `expect` is a regular expression
searched in `described(error)` (the message and each problem as `argument: problem`), so it
names both the argument and the problem. Every row is refused before anything runs, so the
state after it must equal the state before it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SPEC = Path(__file__).resolve().parent.parent / "specs" / "shop.awm"
OTHER_SPEC = SPEC.with_name("bank.awm")  # its database is not one of shop's


@dataclass(frozen=True)
class BadCall:
    id: str
    tool: object
    arguments: object
    code: str
    expect: str


CARD = {"kind": "card", "holder": "Ann", "expires": "2030-01-01"}
ADDRESS = {
    "label": "Home",
    "recipient": "Ann",
    "street": "1 Main St",
    "city": "Oslo",
    "postcode": "0150",
    "country": "NO",
}

BAD_CALLS = [
    BadCall(
        "lone-surrogate",
        "search_products",
        {"query": "\ud800"},
        "invalid_arguments",
        r"query: is not valid Unicode text: a lone surrogate U\+D800 at character 0",
    ),
    BadCall(
        "truncated-emoji",
        "search_products",
        {"query": "lamp \ud83d"},
        "invalid_arguments",
        r"query: .*lone surrogate U\+D83D at character 5",
    ),
    BadCall(
        "surrogate-in-a-write",
        "add_address",
        {**ADDRESS, "city": "Os\udc00lo"},
        "invalid_arguments",
        r"city: .*lone surrogate U\+DC00",
    ),
    BadCall(
        "surrogate-in-a-union-field",
        "pay_order",
        {"order": 1, "payment": {**CARD, "number": "4\ud800"}},
        "invalid_arguments",
        r"payment: field `number` is not valid Unicode text",
    ),
    BadCall(
        "surrogate-key-in-a-list-of-records",
        "buy_now",
        {"lines": [{"product": 1, "quantity": 1, "\ud800": 1}], "address": 1},
        "invalid_arguments",
        r"lines: item 0 has an unknown field `\\ud800`",
    ),
    BadCall(
        "surrogate-argument-name",
        "search_products",
        {"qu\ud800ery": "x"},
        "invalid_arguments",
        r"qu\\ud800ery: unknown argument",
    ),
    BadCall("nul", "search_products", {"query": "lamp\x00"}, "invalid_arguments", r"query: must not contain NUL"),
    BadCall(
        "nul-in-a-write",
        "add_address",
        {**ADDRESS, "label": "Ho\x00me"},
        "invalid_arguments",
        r"label: must not contain NUL",
    ),
    BadCall("arguments-a-list", "search_products", [1], "invalid_arguments", r"must be a JSON object"),
    BadCall("arguments-a-string", "search_products", "lamp", "invalid_arguments", r"must be a JSON object"),
    BadCall("arguments-a-number", "get_product", 5, "invalid_arguments", r"must be a JSON object"),
    BadCall(
        "text-for-an-integer",
        "get_product",
        {"product_id": "two"},
        "invalid_arguments",
        r"product_id: must be an integer, got a string",
    ),
    BadCall(
        "object-for-text",
        "search_products",
        {"query": {"$ne": ""}},
        "invalid_arguments",
        r"query: must be a string, got an object",
    ),
    BadCall(
        "huge-integer",
        "get_product",
        {"product_id": 2**80},
        "invalid_arguments",
        r"product_id: is out of the 64-bit integer range",
    ),
    BadCall(
        "huge-float-for-an-integer",
        "search_products",
        {"max_results": 1e300},
        "invalid_arguments",
        r"max_results: is out of the 64-bit integer range",
    ),
    BadCall(
        "list-as-union-kind",
        "pay_order",
        {"order": 1, "payment": {"kind": ["card"]}},
        "invalid_arguments",
        r"payment: must be an object with \"kind\" one of",
    ),
    BadCall("unknown-tool", "serch_products", {}, "unknown_tool", r"no tool named `serch_products`"),
    BadCall("unknown-tool-with-a-surrogate", "search\ud800", {}, "unknown_tool", r"no tool named `search\\ud800`"),
]

# (user as given to the Python API, as given to `awmc --user`, what the refusal says)
BAD_USERS = [
    ("abc", "abc", r"no Customer with key 'abc' to act as: Customer keys run from 1 to 10"),
    (99999, "99999", r"no Customer with key 99999 to act as: Customer keys run from 1 to 10"),
    (-1, "-1", r"no Customer with key '?-1'? to act as"),
    ("\ud800", "\ud800", r"no Customer with key '\\ud800' to act as"),
]

BAD_TASKS = [
    ("nope", r"`shop` has no task 'nope'; its tasks: add_product_refused, add_speakers_to_cart, "),
    ("cheapest_lamp", r"`shop` has no task 'cheapest_lamp'; did you mean 'cheapest_lamp_in_stock'\?"),
    ("\ud800", r"`shop` has no task '\\ud800'"),
]

# (id, the bytes of a database file, what the refusal says); "other-spec" is filled by
# `bad_images`, since it needs the other spec built
BAD_IMAGE_BYTES = [
    ("not-sqlite", b"this is not a database\n" * 50, r"not a SQLite database"),
    ("empty", b"", r"empty"),
]
OTHER_SPEC_REFUSAL = r"not a database of `shop` \(missing tables: address, .*unknown tables: account, "


def bad_images(other_image: bytes) -> list[tuple[str, bytes, str]]:
    return [("other-spec", other_image, OTHER_SPEC_REFUSAL), *BAD_IMAGE_BYTES]


def described(error: dict) -> str:
    """An error result's message and each of its problems as `argument: problem`, one a line."""
    problems = error.get("details", {}).get("problems", [])
    return "\n".join([error["message"], *(f"{p['argument']}: {p['problem']}" for p in problems)])


def assert_refused(result: dict, bad: BadCall) -> None:
    assert result["ok"] is False, result
    assert result["error"]["code"] == bad.code, result
    assert re.search(bad.expect, described(result["error"])), described(result["error"])
