"""Tests for specs/shop.awm: every tool has a happy path and a failure path.

Seeded actors: customer 1 is Alice (cart: 2x Wireless Mouse #7, 1x Pour-Over Coffee Set #17;
store credit 12.50; addresses 1 (default) and 2), customer 9 is Sam, the only staff member.
The session clock starts at 2025-03-10 10:00:00.
"""

from __future__ import annotations

import pytest
from spec_helpers import fails, ok, one

ALICE, BOB, CHEN, FATIMA, GRETA, HIROSHI, STAFF = 1, 2, 3, 6, 7, 8, 9
CARD = {"kind": "card", "number": "4242424242424242", "holder": "Alice Moreau", "expires": "2027-01-31"}


# ---- helpers ---------------------------------------------------------------------------


def stock(s, product_id):
    return one(s, "SELECT stock FROM product WHERE id = ?", (product_id,))[0]


def credit(s, customer_id):
    return one(s, "SELECT store_credit FROM customer WHERE id = ?", (customer_id,))[0]


@pytest.fixture
def s(spec_session):
    return spec_session("shop")


def as_user(s, user):
    s.me = user
    return s


# ---- coverage --------------------------------------------------------------------------


def test_seed_data_is_loaded(s):
    counts = {
        t: one(s, f'SELECT count(*) FROM "{t}"')[0]
        for t in [
            "customer",
            "address",
            "category",
            "product",
            "coupon",
            "gift_card",
            "voucher",
            "cart_item",
            "wishlist_item",
            "order",
            "order_item",
            "payment_record",
            "return_request",
            "review",
        ]
    }
    assert sum(counts.values()) >= 150
    assert counts["product"] == 40 and counts["order"] == 22 and counts["review"] == 30


def test_unknown_tool(s):
    e = fails(s, "checkuot", {}, "unknown_tool")
    assert "checkout" in str(e)


# ---- catalog ---------------------------------------------------------------------------


def test_list_categories(s):
    rows = ok(s.call("list_categories", {"parent_id": 4}))
    assert [(c["id"], c["slug"]) for c in rows] == [(5, "cookware"), (6, "lighting"), (10, "garden")]
    top = ok(s.call("list_categories", {"limit": 3}))
    assert [c["name"] for c in top] == ["Electronics", "Audio", "Computer Accessories"]
    fails(s, "list_categories", {"limit": 0}, "invalid_arguments")


def test_get_category(s):
    c = ok(s.call("get_category", {"category_id": 2}))
    assert c == {"id": 2, "slug": "audio", "name": "Audio", "parent_id": 1}
    fails(s, "get_category", {"category_id": 99}, "not_found")


def test_get_product(s):
    p = ok(s.call("get_product", {"product_id": 1}))
    assert p["sku"] == "EL-1001" and p["price"] == 149.0 and p["stock"] == 18
    assert p["rating"] == 4.0 and p["review_count"] == 3 and p["category_id"] == 2
    fails(s, "get_product", {"product_id": 999}, "not_found")
    fails(s, "get_product", {"product_id": "abc"}, "invalid_arguments")


def test_list_products(s):
    rows = ok(s.call("list_products", {"category_id": 7, "active": False}))
    assert [p["name"] for p in rows] == ["Learning SQL"]
    books = ok(s.call("list_products", {"category_id": 7}))
    assert [p["id"] for p in books] == [23, 24, 25, 26, 27]
    page = ok(s.call("list_products", {"limit": 2, "offset": 38}))
    assert [p["id"] for p in page] == [39, 40]
    fails(s, "list_products", {"category_id": 999}, "not_found")
    fails(s, "list_products", {"limit": 500}, "invalid_arguments")


def test_search_products_query_and_default_sort(s):
    rows = ok(s.call("search_products", {"query": "usb"}))
    # name or description, case-insensitive, cheapest first
    assert [p["name"] for p in rows] == ["USB-C Cable 2m", "LED Desk Lamp", "USB-C Hub 7-in-1"]


def test_search_products_filters_and_sorts(s):
    # category 1 includes its subcategories (audio, computer accessories); inactive webcam excluded
    rated = ok(s.call("search_products", {"category": 1, "sort": "rating", "max_results": 4}))
    assert [p["id"] for p in rated] == [3, 11, 5, 6]
    lamps = ok(s.call("search_products", {"query": "LAMP", "sort": "price_desc", "in_stock_only": True}))
    assert [(p["name"], p["price"]) for p in lamps] == [("Floor Lamp Arc", 139.0), ("LED Desk Lamp", 29.99)]
    mid = ok(s.call("search_products", {"min_price": 100, "max_price": 120, "sort": "name"}))
    assert [p["name"] for p in mid] == ["Dutch Oven 5L", "E-Reader 6 inch", "Trail Running Shoes"]
    newest = ok(s.call("search_products", {"sort": "newest", "max_results": 2}))
    assert [p["id"] for p in newest] == [36, 12]
    stocked = ok(s.call("search_products", {"category": 6}))
    assert 22 in [p["id"] for p in stocked]
    stocked = ok(s.call("search_products", {"category": 6, "in_stock_only": True}))
    assert [p["id"] for p in stocked] == [20, 21]
    assert ok(s.call("search_products", {"query": "zeppelin"})) == []
    garden = ok(s.call("search_products", {"sku_prefix": "GD-", "sort": "name"}))
    assert [p["sku"] for p in garden] == ["GD-1002", "GD-1001", "GD-1003", "GD-1004"]
    assert ok(s.call("search_products", {"sku_prefix": "gd-"})) == []  # case-sensitive


def test_search_products_failures(s):
    fails(
        s,
        "search_products",
        {"min_price": 50, "max_price": 10},
        "bad_price_range",
        "min_price 50.00 is above max_price 10.00",
    )
    fails(s, "search_products", {"sort": "popularity"}, "invalid_arguments")
    fails(s, "search_products", {"category": 77}, "not_found")


def test_create_product(s):
    as_user(s, STAFF)
    p = ok(
        s.call(
            "create_product",
            {
                "sku": "EL-3003",
                "name": "Tablet 10 inch",
                "category": 1,
                "price": 299.0,
                "stock": 5,
                "description": "10 inch tablet",
            },
        )
    )
    assert p["id"] == 41 and p["active"] is True and p["rating"] == 0.0 and p["created_at"] == "2025-03-10 10:00:01"
    assert one(s, "SELECT sku, price, stock, category_id FROM product WHERE id = 41") == ("EL-3003", 29900, 5, 1)


def test_create_product_failures(s):
    args = {"sku": "EL-1001", "name": "Copy", "category": 1, "price": 10}
    fails(s, "create_product", args, "forbidden", "only staff can change the catalog")
    as_user(s, STAFF)
    fails(s, "create_product", args, "duplicate_sku", "a product with sku EL-1001 already exists")
    fails(s, "create_product", dict(args, sku="EL-9999", category=99), "not_found")
    fails(s, "create_product", dict(args, sku="EL-9999", price=0), "invalid_arguments")


def test_update_product(s):
    as_user(s, STAFF)
    p = ok(s.call("update_product", {"product": 3, "price": 34.5, "active": False}))
    assert (p["price"], p["active"], p["name"], p["stock"]) == (34.5, False, "Bluetooth Speaker", 3)
    assert one(s, "SELECT price, active FROM product WHERE id = 3") == (3450, 0)
    # orders keep their prices
    assert one(s, "SELECT unit_price FROM order_item WHERE id = 34") == (3950,)


def test_update_product_failures(s):
    fails(s, "update_product", {"product": 3, "price": 1}, "forbidden", "only staff can change the catalog")
    as_user(s, STAFF)
    fails(s, "update_product", {"product": 3, "price": -1}, "invalid_arguments")
    fails(s, "update_product", {"product": 3, "name": "X"}, "invalid_arguments")


def test_restock_product(s):
    as_user(s, STAFF)
    p = ok(s.call("restock_product", {"product": 4, "amount": 10}))
    assert p["stock"] == 10 and stock(s, 4) == 10


def test_restock_product_failures(s):
    fails(s, "restock_product", {"product": 4, "amount": 10}, "forbidden", "only staff can restock products")
    as_user(s, STAFF)
    fails(s, "restock_product", {"product": 4, "amount": 0}, "invalid_arguments")
    fails(s, "restock_product", {"product": 404, "amount": 5}, "not_found")


def test_restock_product_stock_limit(s):
    as_user(s, STAFF)
    for _ in range(9):
        ok(s.call("restock_product", {"product": 5, "amount": 10000}))
    assert stock(s, 5) == 90250
    fails(
        s,
        "restock_product",
        {"product": 5, "amount": 10000},
        "stock_limit",
        "USB-C Cable 2m has 90250 units; restocking 10000 would exceed the 100000 limit",
    )
    assert ok(s.call("restock_product", {"product": 5, "amount": 9750}))["stock"] == 100000


def test_low_stock_products(s):
    as_user(s, STAFF)
    rows = ok(s.call("low_stock_products", {"threshold": 0}))
    assert [p["name"] for p in rows] == ["Smart Bulb 4-pack", "Solar Path Lights (6 pack)", "Studio Monitor Speakers"]
    rows = ok(s.call("low_stock_products", {}))
    assert [(p["id"], p["stock"]) for p in rows][:5] == [(22, 0), (40, 0), (4, 0), (36, 1), (16, 2)]
    assert [p["id"] for p in rows][5:] == [3, 32, 8, 21]  # stock 3, 4 (Camping Tent), 4 (USB-C Hub), 5


def test_low_stock_products_forbidden(s):
    fails(s, "low_stock_products", {}, "forbidden", "only staff can see stock reports")


# ---- account ---------------------------------------------------------------------------


def test_get_my_profile(s):
    me = ok(s.call("get_my_profile", {}))
    assert me["name"] == "Alice Moreau" and me["store_credit"] == 12.5 and me["is_staff"] is False
    me = ok(as_user(s, STAFF).call("get_my_profile", {}))
    assert me["email"] == "sam.ortiz@shop.example.com" and me["is_staff"] is True
    fails(s, "get_my_profile", {"id": 2}, "invalid_arguments")


def test_update_my_profile(s):
    me = ok(s.call("update_my_profile", {"phone": "+33 7 00 00 00 00", "name": "Alice M. Moreau"}))
    assert (me["name"], me["phone"], me["email"]) == (
        "Alice M. Moreau",
        "+33 7 00 00 00 00",
        "alice.moreau@example.com",
    )
    me = ok(s.call("update_my_profile", {"email": "alice@moreau.fr"}))
    assert one(s, "SELECT name, email FROM customer WHERE id = 1") == ("Alice M. Moreau", "alice@moreau.fr")


def test_update_my_profile_failures(s):
    fails(
        s,
        "update_my_profile",
        {"email": "bob.okafor@example.com"},
        "email_taken",
        "the email bob.okafor@example.com belongs to another account",
    )
    fails(s, "update_my_profile", {"name": ""}, "invalid_arguments")


def test_list_my_addresses(s):
    rows = ok(s.call("list_my_addresses", {}))
    assert [(a["id"], a["label"], a["is_default"]) for a in rows] == [(1, "Home", True), (2, "Work", False)]
    assert ok(s.call("list_my_addresses", {"country": "GB"})) == []
    rows = ok(as_user(s, CHEN).call("list_my_addresses", {"country": "AU"}))
    assert [a["city"] for a in rows] == ["Sydney", "Melbourne"]
    fails(s, "list_my_addresses", {"offset": "x"}, "invalid_arguments")


def test_add_address(s):
    a = ok(
        s.call(
            "add_address",
            {
                "label": "Cabin",
                "recipient": "Alice Moreau",
                "street": "3 Chemin du Lac",
                "city": "Annecy",
                "postcode": "74000",
                "country": "fr",
                "make_default": True,
            },
        )
    )
    assert a["id"] == 14 and a["country"] == "FR" and a["is_default"] is True and a["customer_id"] == 1
    assert s.query("SELECT id FROM address WHERE customer_id = 1 AND is_default = 1") == [(14,)]
    b = ok(
        s.call(
            "add_address",
            {
                "label": "Gym",
                "recipient": "Alice",
                "street": "9 Rue Garibaldi",
                "city": "Lyon",
                "postcode": "69006",
                "country": "FR",
            },
        )
    )
    assert b["is_default"] is False


def test_add_address_first_one_becomes_default(s):
    as_user(s, STAFF)
    ok(s.call("delete_address", {"address_id": 12}))
    a = ok(
        s.call(
            "add_address",
            {
                "label": "Depot",
                "recipient": "Sam Ortiz",
                "street": "2 Dock St",
                "city": "Portland",
                "postcode": "97209",
                "country": "US",
            },
        )
    )
    assert a["is_default"] is True


def test_add_address_failures(s):
    base = {"label": "Cabin", "recipient": "Alice", "street": "3 Chemin du Lac", "city": "Annecy", "postcode": "74000"}
    fails(s, "add_address", dict(base, country="FRA"), "invalid_arguments")
    fails(s, "add_address", base, "invalid_arguments")


def test_update_address(s):
    a = ok(s.call("update_address", {"address_id": 2, "street": "42 Quai Perrache"}))
    assert (a["street"], a["city"], a["label"]) == ("42 Quai Perrache", "Lyon", "Work")
    assert one(s, "SELECT street FROM address WHERE id = 2") == ("42 Quai Perrache",)


def test_update_address_failures(s):
    fails(s, "update_address", {"address_id": 3, "street": "1 Somewhere Rd"}, "not_found")  # Bob's
    fails(s, "update_address", {"address_id": 2, "postcode": "1"}, "invalid_arguments")


def test_delete_address(s):
    assert ok(s.call("delete_address", {"address_id": 2})) == {"deleted": 2}
    assert s.query("SELECT id FROM address WHERE customer_id = 1") == [(1,)]


def test_delete_default_address_promotes_the_oldest_other_one(s):
    a = ok(
        s.call(
            "add_address",
            {
                "label": "Cabin",
                "recipient": "Alice Moreau",
                "street": "3 Chemin du Lac",
                "city": "Annecy",
                "postcode": "74000",
                "country": "FR",
                "make_default": True,
            },
        )
    )
    assert ok(s.call("delete_address", {"address_id": a["id"]})) == {"deleted": a["id"]}
    assert s.query("SELECT id, is_default FROM address WHERE customer_id = 1 ORDER BY id") == [(1, 1), (2, 0)]
    as_user(s, STAFF)  # Sam's only address: nothing left to promote
    assert ok(s.call("delete_address", {"address_id": 12})) == {"deleted": 12}
    assert s.query("SELECT count(*) FROM address WHERE customer_id = 9") == [(0,)]


def test_delete_address_failures(s):
    # orders were placed with it: refused with a declared code, not a database constraint
    fails(
        s,
        "delete_address",
        {"address_id": 1},
        "address_in_use",
        "address 1 is on 6 of your orders and cannot be deleted; edit it instead",
    )
    fails(s, "delete_address", {"address_id": 3}, "forbidden", "address 3 is not yours")  # Bob's address
    fails(s, "delete_address", {"address_id": 300}, "not_found")


def test_set_default_address(s):
    a = ok(s.call("set_default_address", {"address": 2}))
    assert a["is_default"] is True
    assert s.query("SELECT id, is_default FROM address WHERE customer_id = 1 ORDER BY id") == [(1, 0), (2, 1)]


def test_set_default_address_failures(s):
    fails(s, "set_default_address", {"address": 3}, "forbidden", "address 3 is not yours")
    fails(s, "set_default_address", {"address": 300}, "not_found")


def test_my_spending(s):
    # orders 1 (168.98), 2 (60.29), 3 (90.50), 4 (63.50); order 5 is pending and 6 cancelled
    assert ok(s.call("my_spending", {})) == 383.27
    assert ok(s.call("my_spending", {"period_days": 30})) == 322.98
    assert ok(as_user(s, 10).call("my_spending", {})) == 34.98
    fails(s, "my_spending", {"period_days": 0}, "invalid_arguments")


# ---- cart ------------------------------------------------------------------------------


def test_view_cart(s):
    rows = ok(s.call("view_cart", {}))
    assert [(c["product_id"], c["quantity"]) for c in rows] == [(7, 2), (17, 1)]
    assert ok(as_user(s, 4).call("view_cart", {})) == []
    fails(s, "view_cart", {"all": True}, "invalid_arguments")


def test_add_to_cart(s):
    item = ok(s.call("add_to_cart", {"product": 3, "quantity": 2}))
    assert (item["id"], item["product_id"], item["quantity"], item["customer_id"]) == (10, 3, 2, 1)
    item = ok(s.call("add_to_cart", {"product": 3}))
    assert item["id"] == 10 and item["quantity"] == 3
    item = ok(s.call("add_to_cart", {"product": 7, "quantity": 5}))
    assert item["quantity"] == 7
    assert s.query("SELECT product_id, quantity FROM cart_item WHERE customer_id = 1 ORDER BY id") == [
        (7, 7),
        (17, 1),
        (3, 3),
    ]


def test_add_to_cart_failures(s):
    ok(s.call("add_to_cart", {"product": 3, "quantity": 2}))
    fails(
        s,
        "add_to_cart",
        {"product": 3, "quantity": 2},
        "out_of_stock",
        "only 3 of Bluetooth Speaker in stock, you asked for 4",
    )
    fails(s, "add_to_cart", {"product": 10}, "product_unavailable", "Webcam 1080p is no longer sold")
    fails(s, "add_to_cart", {"product": 999}, "not_found")
    fails(s, "add_to_cart", {"product": 1, "quantity": 100}, "invalid_arguments")


def test_add_to_cart_line_limit(s):
    # 250 cables in stock, but a cart line holds at most 99 units
    ok(s.call("add_to_cart", {"product": 5, "quantity": 60}))
    fails(
        s,
        "add_to_cart",
        {"product": 5, "quantity": 40},
        "cart_line_limit",
        "a cart line holds at most 99 units; you already have 60 of USB-C Cable 2m",
    )
    assert ok(s.call("add_to_cart", {"product": 5, "quantity": 39}))["quantity"] == 99


def test_update_cart_item(s):
    item = ok(s.call("update_cart_item", {"cart_item": 1, "quantity": 5}))
    assert item["quantity"] == 5 and one(s, "SELECT quantity FROM cart_item WHERE id = 1") == (5,)
    assert ok(s.call("update_cart_item", {"cart_item": 1, "quantity": 0})) is None
    assert s.query("SELECT id FROM cart_item WHERE customer_id = 1") == [(2,)]


def test_update_cart_item_failures(s):
    fails(s, "update_cart_item", {"cart_item": 3, "quantity": 1}, "forbidden", "cart item 3 is not yours")
    fails(s, "update_cart_item", {"cart_item": 1, "quantity": 61}, "out_of_stock", "only 60 of Wireless Mouse in stock")
    fails(s, "update_cart_item", {"cart_item": 1, "quantity": -1}, "invalid_arguments")
    fails(s, "update_cart_item", {"cart_item": 99, "quantity": 1}, "not_found")


def test_remove_from_cart(s):
    assert ok(s.call("remove_from_cart", {"cart_item_id": 2})) == {"deleted": 2}
    assert s.query("SELECT id FROM cart_item WHERE customer_id = 1") == [(1,)]


def test_remove_from_cart_failures(s):
    fails(s, "remove_from_cart", {"cart_item_id": 3}, "not_found")  # Bob's item
    fails(s, "remove_from_cart", {}, "invalid_arguments")


def test_clear_cart(s):
    assert ok(s.call("clear_cart", {})) == 2
    assert s.query("SELECT count(*) FROM cart_item WHERE customer_id = 1") == [(0,)]
    assert s.query("SELECT count(*) FROM cart_item") == [(7,)]
    assert ok(s.call("clear_cart", {})) == 0


def test_clear_cart_failure(s):
    fails(s, "clear_cart", {"customer": 2}, "invalid_arguments")


def test_quote_cart(s):
    q = ok(s.call("quote_cart", {}))
    assert q == {"lines": 2, "units": 3, "subtotal": 81.98, "discount": 0.0, "shipping": 0.0, "total": 81.98}
    q = ok(s.call("quote_cart", {"coupon_code": "spring15"}))
    assert q["discount"] == 12.3 and q["total"] == 69.68  # 15% of 81.98 = 12.297
    q = ok(s.call("quote_cart", {"coupon_code": "FIVEOFF"}))
    assert q["discount"] == 5.0 and q["total"] == 76.98
    q = ok(as_user(s, 10).call("quote_cart", {"coupon_code": "welcome10"}))
    assert q == {"lines": 1, "units": 1, "subtotal": 59.99, "discount": 6.0, "shipping": 0.0, "total": 53.99}


def test_quote_cart_shipping_below_50(s):
    ok(s.call("update_cart_item", {"cart_item": 1, "quantity": 0}))
    q = ok(s.call("quote_cart", {}))
    assert q == {"lines": 1, "units": 1, "subtotal": 32.0, "discount": 0.0, "shipping": 4.99, "total": 36.99}


def test_quote_cart_failures(s):
    fails(s, "quote_cart", {"coupon_code": "WELCOME10"}, "coupon_already_used", "you already used coupon WELCOME10")
    fails(s, "quote_cart", {"coupon_code": "FLASH25"}, "invalid_coupon", "coupon FLASH25 has been used up")
    fails(s, "quote_cart", {"coupon_code": "WINTER20"}, "invalid_coupon", "coupon WINTER20 is not valid today")
    fails(s, "quote_cart", {"coupon_code": "EASTER10"}, "invalid_coupon", "coupon EASTER10 is not valid today")
    fails(s, "quote_cart", {"coupon_code": "STAFF50"}, "invalid_coupon", "coupon STAFF50 is not valid today")
    fails(s, "quote_cart", {"coupon_code": "nope"}, "invalid_coupon", "there is no coupon nope")
    as_user(s, 10)
    fails(
        s,
        "quote_cart",
        {"coupon_code": "SPRING15"},
        "coupon_minimum",
        "coupon SPRING15 needs a subtotal of at least 60.00, your cart is 59.99",
    )
    as_user(s, 4)
    fails(s, "quote_cart", {}, "empty_cart", "your cart is empty")


# ---- wishlist --------------------------------------------------------------------------


def test_add_to_wishlist(s):
    w = ok(s.call("add_to_wishlist", {"product": 36, "note": "gift"}))
    assert (w["id"], w["product_id"], w["note"], w["added_at"]) == (12, 36, "gift", "2025-03-10 10:00:01")
    w = ok(s.call("add_to_wishlist", {"product": 21, "note": "living room, maybe"}))
    assert w["id"] == 1 and w["note"] == "living room, maybe"
    assert s.query("SELECT count(*) FROM wishlist_item WHERE customer_id = 1") == [(4,)]


def test_add_to_wishlist_failures(s):
    fails(s, "add_to_wishlist", {"product": 404}, "not_found")
    fails(s, "add_to_wishlist", {"product": 1, "note": "x" * 201}, "invalid_arguments")


def test_my_wishlist(s):
    rows = ok(s.call("my_wishlist", {}))
    assert [(w["id"], w["product_id"]) for w in rows] == [(1, 21), (2, 4), (3, 32)]
    rows = ok(s.call("my_wishlist", {"product_id": 32}))
    assert [w["note"] for w in rows] == ["summer trip"]
    fails(s, "my_wishlist", {"product_id": 999}, "not_found")


def test_remove_from_wishlist(s):
    assert ok(s.call("remove_from_wishlist", {"wishlist_item_id": 1})) == {"deleted": 1}
    assert s.query("SELECT id FROM wishlist_item WHERE customer_id = 1 ORDER BY id") == [(2,), (3,)]


def test_remove_from_wishlist_failure(s):
    fails(s, "remove_from_wishlist", {"wishlist_item_id": 4}, "not_found")  # Bob's


def test_move_wishlist_to_cart(s):
    ok(s.call("add_to_wishlist", {"product": 7}))  # already in the cart with 2 units
    assert ok(s.call("move_wishlist_to_cart", {})) == 3  # floor lamp, tent, mouse; monitors are out of stock
    assert s.query("SELECT product_id FROM wishlist_item WHERE customer_id = 1") == [(4,)]
    assert s.query("SELECT product_id, quantity FROM cart_item WHERE customer_id = 1 ORDER BY id") == [
        (7, 2),
        (17, 1),
        (21, 1),
        (32, 1),
    ]


def test_move_wishlist_to_cart_nothing(s):
    ok(s.call("move_wishlist_to_cart", {}))
    fails(s, "move_wishlist_to_cart", {}, "nothing_to_move", "none of your wishlist items is available right now")


# ---- coupons and gift cards ------------------------------------------------------------


def test_get_coupon(s):
    c = ok(s.call("get_coupon", {"coupon_code": "SPRING15"}))
    assert (c["percent_off"], c["amount_off"], c["min_subtotal"], c["expires_on"], c["times_used"]) == (
        15,
        None,
        60.0,
        "2025-03-31",
        37,
    )
    c = ok(s.call("get_coupon", {"coupon_code": "FIVEOFF"}))
    assert c["amount_off"] == 5.0 and c["percent_off"] is None


def test_get_coupon_failures(s):
    fails(s, "get_coupon", {"coupon_code": "STAFF50"}, "not_found")  # inactive
    fails(s, "get_coupon", {"coupon_code": "NOPE"}, "not_found")


def test_get_gift_card(s):
    g = ok(s.call("get_gift_card", {"gift_card_code": "GC-ALICE-0001"}))
    assert g == {"code": "GC-ALICE-0001", "balance": 40.0, "expires_on": "2026-12-31", "issued_to_id": 1}
    fails(s, "get_gift_card", {"gift_card_code": "GC-NOPE-0000"}, "not_found")


# ---- checkout and buying -----------------------------------------------------------------


def test_checkout_with_coupon(s):
    o = ok(s.call("checkout", {"address": 2, "coupon_code": "spring15"}))
    assert (o["id"], o["status"], o["address_id"], o["coupon_id"]) == (23, "pending", 2, "SPRING15")
    assert (o["subtotal"], o["discount"], o["shipping"], o["total"]) == (81.98, 12.3, 0.0, 69.68)
    assert o["placed_at"] == "2025-03-10 10:00:01"
    assert s.query(
        "SELECT product_id, quantity, unit_price FROM order_item WHERE order_id = 23 ORDER BY product_id"
    ) == [(7, 2, 2499), (17, 1, 3200)]
    assert (stock(s, 7), stock(s, 17)) == (58, 39)
    assert s.query("SELECT count(*) FROM cart_item WHERE customer_id = 1") == [(0,)]
    assert one(s, "SELECT times_used FROM coupon WHERE code = 'SPRING15'") == (38,)
    # the coupon is now used by Alice
    ok(s.call("add_to_cart", {"product": 1}))
    fails(s, "checkout", {"address": 1, "coupon_code": "SPRING15"}, "coupon_already_used")


def test_checkout_small_order_pays_shipping(s):
    ok(s.call("update_cart_item", {"cart_item": 1, "quantity": 0}))
    o = ok(s.call("checkout", {"address": 1}))
    assert (o["subtotal"], o["shipping"], o["total"], o["coupon_id"]) == (32.0, 4.99, 36.99, None)


def test_checkout_failures(s):
    fails(s, "checkout", {"address": 3}, "forbidden", "address 3 is not yours")
    fails(s, "checkout", {"address": 1, "coupon_code": "FLASH25"}, "invalid_coupon", "coupon FLASH25 has been used up")
    # Bob buys 1 of the 3 Bluetooth speakers; Alice has 3 in her cart
    ok(s.call("add_to_cart", {"product": 3, "quantity": 3}))
    as_user(s, BOB)
    ok(s.call("buy_now", {"lines": [{"product": 3, "quantity": 1}], "address": 3}))
    as_user(s, ALICE)
    fails(s, "checkout", {"address": 1}, "out_of_stock", "only 2 of Bluetooth Speaker in stock, your cart has 3")
    ok(s.call("remove_from_cart", {"cart_item_id": 10}))
    as_user(s, STAFF)
    ok(s.call("update_product", {"product": 17, "active": False}))
    as_user(s, ALICE)
    fails(s, "checkout", {"address": 1}, "product_unavailable", "Pour-Over Coffee Set is no longer sold")
    ok(s.call("clear_cart", {}))
    fails(s, "checkout", {"address": 1}, "empty_cart", "your cart is empty")
    as_user(s, 10)
    fails(
        s,
        "checkout",
        {"address": 13, "coupon_code": "SPRING15"},
        "coupon_minimum",
        "coupon SPRING15 needs a subtotal of at least 60.00, your cart is 59.99",
    )


def test_buy_now(s):
    o = ok(s.call("buy_now", {"lines": [{"product": 20, "quantity": 1}, {"product": 36, "quantity": 1}], "address": 2}))
    assert (o["id"], o["status"], o["subtotal"], o["shipping"], o["total"]) == (23, "pending", 98.99, 0.0, 98.99)
    assert s.query("SELECT product_id, quantity, unit_price FROM order_item WHERE order_id = 23 ORDER BY id") == [
        (20, 1, 2999),
        (36, 1, 6900),
    ]
    assert (stock(s, 20), stock(s, 36)) == (32, 0)
    # the cart is untouched
    assert s.query("SELECT count(*) FROM cart_item WHERE customer_id = 1") == [(2,)]
    o = ok(s.call("buy_now", {"lines": [{"product": 5, "quantity": 3}], "address": 1}))
    assert (o["subtotal"], o["shipping"], o["total"]) == (29.97, 4.99, 34.96)


def test_buy_now_failures(s):
    fails(s, "buy_now", {"lines": [], "address": 1}, "empty_order", "an order needs at least one line")
    fails(
        s, "buy_now", {"lines": [{"product": 20, "quantity": 1}], "address": 3}, "forbidden", "address 3 is not yours"
    )
    fails(
        s,
        "buy_now",
        {"lines": [{"product": 20, "quantity": 1}, {"product": 20, "quantity": 2}], "address": 1},
        "duplicate_line",
        "LED Desk Lamp appears twice; use one line with the total quantity",
    )
    fails(
        s,
        "buy_now",
        {"lines": [{"product": 20, "quantity": 0}], "address": 1},
        "bad_quantity",
        "quantity 0 of LED Desk Lamp is not between 1 and 99",
    )
    fails(
        s,
        "buy_now",
        {"lines": [{"product": 20, "quantity": 1}, {"product": 36, "quantity": 2}], "address": 1},
        "out_of_stock",
        "only 1 of Remote Control Car in stock, you asked for 2",
    )
    fails(
        s,
        "buy_now",
        {"lines": [{"product": 27, "quantity": 1}], "address": 1},
        "product_unavailable",
        "Learning SQL is no longer sold",
    )
    fails(s, "buy_now", {"lines": [{"product": 999, "quantity": 1}], "address": 1}, "not_found")
    fails(s, "buy_now", {"lines": [{"product": 20}], "address": 1}, "invalid_arguments")


# ---- payment ---------------------------------------------------------------------------


def test_pay_order_by_card(s):
    o = ok(s.call("pay_order", {"order": 5, "payment": CARD}))
    assert (o["status"], o["paid_at"]) == ("paid", "2025-03-10 10:00:01")
    assert s.query("SELECT method, reference, amount, refunded_amount FROM payment_record WHERE order_id = 5") == [
        ("card", "Alice Moreau", 6999, 0)
    ]


def test_pay_order_by_gift_card(s):
    as_user(s, FATIMA)
    o = ok(s.call("checkout", {"address": 8}))
    assert o["total"] == 238.0
    o = ok(s.call("pay_order", {"order": o["id"], "payment": {"kind": "gift_card", "code": "gc-fatima-0006"}}))
    assert o["status"] == "paid"
    assert one(s, "SELECT balance FROM gift_card WHERE code = 'GC-FATIMA-0006'") == (1200,)
    assert one(s, "SELECT method, reference, amount FROM payment_record WHERE order_id = 23") == (
        "gift_card",
        "GC-FATIMA-0006",
        23800,
    )


def test_pay_order_by_voucher_surplus_becomes_credit(s):
    o = ok(s.call("pay_order", {"order": 5, "payment": {"kind": "voucher", "code": "VCH-2025-CCCC"}}))
    assert o["status"] == "paid"
    assert credit(s, 1) == 1250 + 10000 - 6999
    assert one(s, "SELECT redeemed_by_id, redeemed_at FROM voucher WHERE code = 'VCH-2025-CCCC'") == (
        1,
        "2025-03-10 10:00:01",
    )
    assert ok(s.call("get_my_profile", {}))["store_credit"] == 42.51


def test_pay_order_card_failures(s):
    fails(
        s,
        "pay_order",
        {"order": 5, "payment": dict(CARD, number="4242")},
        "card_invalid",
        "a card number has 16 digits, got 4",
    )
    fails(
        s,
        "pay_order",
        {"order": 5, "payment": dict(CARD, expires="2025-02-28")},
        "card_expired",
        "the card expired on 2025-02-28",
    )
    fails(
        s,
        "pay_order",
        {"order": 5, "payment": dict(CARD, number="4000000000000002")},
        "card_declined",
        "the bank declined the card",
    )
    fails(s, "pay_order", {"order": 5, "payment": {"kind": "bitcoin", "code": "x"}}, "invalid_arguments")
    fails(s, "pay_order", {"order": 5, "payment": {"kind": "card", "number": "4242424242424242"}}, "invalid_arguments")


def test_pay_order_gift_card_and_voucher_failures(s):
    fails(
        s,
        "pay_order",
        {"order": 5, "payment": {"kind": "gift_card", "code": "GC-ALICE-0001"}},
        "insufficient_balance",
        "gift card GC-ALICE-0001 has 40.00, the order needs 69.99",
    )
    fails(
        s,
        "pay_order",
        {"order": 5, "payment": {"kind": "gift_card", "code": "GC-OLD-0003"}},
        "gift_card_expired",
        "gift card GC-OLD-0003 expired on 2025-01-31",
    )
    fails(s, "pay_order", {"order": 5, "payment": {"kind": "gift_card", "code": "GC-NONE-9999"}}, "not_found")
    fails(
        s,
        "pay_order",
        {"order": 5, "payment": {"kind": "voucher", "code": "VCH-2025-BBBB"}},
        "voucher_too_small",
        "voucher VCH-2025-BBBB is worth 50.00, the order needs 69.99",
    )
    fails(
        s,
        "pay_order",
        {"order": 5, "payment": {"kind": "voucher", "code": "VCH-2025-EEEE"}},
        "voucher_redeemed",
        "voucher VCH-2025-EEEE was already redeemed on 2025-02-10 10:01:00",
    )
    fails(
        s,
        "pay_order",
        {"order": 5, "payment": {"kind": "voucher", "code": "VCH-2024-DDDD"}},
        "voucher_expired",
        "voucher VCH-2024-DDDD expired on 2024-12-31",
    )


def test_pay_order_status_and_owner_failures(s):
    fails(
        s, "pay_order", {"order": 4, "payment": CARD}, "not_payable", "order 4 is paid, only pending orders can be paid"
    )
    fails(s, "pay_order", {"order": 9, "payment": CARD}, "forbidden", "order 9 is not yours")
    fails(s, "pay_order", {"order": 404, "payment": CARD}, "not_found")


def test_apply_store_credit_partial(s):
    as_user(s, CHEN)
    o = ok(s.call("apply_store_credit", {"order": 22}))
    assert (o["status"], o["credit_applied"], o["total"]) == ("pending", 16.0, 41.99)
    assert credit(s, CHEN) == 0
    # the card pays only what is still due
    ok(s.call("pay_order", {"order": 22, "payment": dict(CARD, holder="Chen Wei")}))
    assert one(s, "SELECT amount FROM payment_record WHERE order_id = 22") == (2599,)


def test_apply_store_credit_covers_everything(s):
    as_user(s, FATIMA)
    o = ok(s.call("buy_now", {"lines": [{"product": 35, "quantity": 1}], "address": 8}))
    assert o["total"] == 24.98
    o = ok(s.call("apply_store_credit", {"order": o["id"]}))
    assert (o["status"], o["credit_applied"], o["paid_at"]) == ("paid", 24.98, "2025-03-10 10:00:02")
    assert credit(s, FATIMA) == 2


def test_apply_store_credit_failures(s):
    fails(s, "apply_store_credit", {"order": 4}, "not_payable", "order 4 is paid, only pending orders can be paid")
    fails(s, "apply_store_credit", {"order": 22}, "forbidden", "order 22 is not yours")
    as_user(s, BOB)
    fails(s, "apply_store_credit", {"order": 9}, "no_credit", "you have no store credit")


# ---- cancellation ----------------------------------------------------------------------


def test_cancel_pending_order_restocks(s):
    o = ok(s.call("cancel_order", {"order": 5}))
    assert (o["status"], o["cancelled_at"]) == ("cancelled", "2025-03-10 10:00:01")
    assert (stock(s, 9), stock(s, 7)) == (16, 61)
    assert credit(s, ALICE) == 1250


def test_cancel_paid_order_refunds_card_and_coupon(s):
    o = ok(s.call("checkout", {"address": 1, "coupon_code": "FIVEOFF"}))
    assert (o["total"], one(s, "SELECT times_used FROM coupon WHERE code = 'FIVEOFF'")) == (76.98, (2,))
    ok(s.call("pay_order", {"order": o["id"], "payment": CARD}))
    ok(s.call("cancel_order", {"order": o["id"]}))
    assert one(s, "SELECT amount, refunded_amount FROM payment_record WHERE order_id = ?", (o["id"],)) == (7698, 7698)
    assert one(s, "SELECT times_used FROM coupon WHERE code = 'FIVEOFF'") == (1,)
    assert (stock(s, 7), stock(s, 17)) == (60, 40)
    assert credit(s, ALICE) == 1250


def test_cancel_refunds_gift_card_voucher_and_credit(s):
    as_user(s, FATIMA)
    o = ok(s.call("checkout", {"address": 8}))
    ok(s.call("pay_order", {"order": o["id"], "payment": {"kind": "gift_card", "code": "GC-FATIMA-0006"}}))
    assert stock(s, 16) == 0
    ok(s.call("cancel_order", {"order": o["id"]}))
    assert one(s, "SELECT balance FROM gift_card WHERE code = 'GC-FATIMA-0006'") == (25000,)
    assert stock(s, 16) == 2
    # voucher payment + applied store credit both come back as store credit
    as_user(s, CHEN)
    ok(s.call("apply_store_credit", {"order": 22}))
    ok(s.call("pay_order", {"order": 22, "payment": {"kind": "voucher", "code": "VCH-2025-BBBB"}}))
    assert credit(s, CHEN) == 5000 - 2599
    ok(s.call("cancel_order", {"order": 22}))
    assert credit(s, CHEN) == 5000 + 1600
    assert one(s, "SELECT refunded_amount FROM payment_record WHERE order_id = 22") == (2599,)


def test_cancel_order_failures(s):
    fails(s, "cancel_order", {"order": 3}, "not_cancellable", "order 3 is shipped and can no longer be cancelled")
    fails(s, "cancel_order", {"order": 6}, "not_cancellable", "order 6 is cancelled and can no longer be cancelled")
    fails(s, "cancel_order", {"order": 9}, "forbidden", "order 9 is not yours")


# ---- fulfilment ------------------------------------------------------------------------


def test_ship_and_deliver(s):
    as_user(s, STAFF)
    o = ok(s.call("ship_order", {"order": 4, "carrier": "dhl", "tracking_number": "JD0146000099"}))
    assert (o["status"], o["carrier"], o["tracking_number"], o["shipped_at"]) == (
        "shipped",
        "dhl",
        "JD0146000099",
        "2025-03-10 10:00:01",
    )
    o = ok(s.call("mark_delivered", {"order": 4}))
    assert (o["status"], o["delivered_at"]) == ("delivered", "2025-03-10 10:00:02")
    assert one(s, 'SELECT status FROM "order" WHERE id = 4') == ("delivered",)


def test_ship_order_failures(s):
    args = {"order": 4, "carrier": "ups", "tracking_number": "1Z999AA1"}
    fails(s, "ship_order", args, "forbidden", "only staff can ship orders")
    as_user(s, STAFF)
    fails(s, "ship_order", dict(args, order=5), "not_shippable", "order 5 is pending, only paid orders can be shipped")
    fails(s, "ship_order", dict(args, carrier="pigeon"), "invalid_arguments")
    fails(s, "ship_order", dict(args, tracking_number="1Z"), "invalid_arguments")


def test_mark_delivered_failures(s):
    fails(s, "mark_delivered", {"order": 3}, "forbidden", "only staff can update deliveries")
    as_user(s, STAFF)
    fails(s, "mark_delivered", {"order": 4}, "not_shipped", "order 4 is paid, not shipped")


def test_my_orders(s):
    rows = ok(s.call("my_orders", {}))
    assert [o["id"] for o in rows] == [1, 2, 3, 4, 5, 6]
    rows = ok(s.call("my_orders", {"status": "delivered"}))
    assert [(o["id"], o["total"]) for o in rows] == [(1, 168.98), (2, 60.29)]
    fails(s, "my_orders", {"status": "lost"}, "invalid_arguments")


def test_get_order(s):
    o = ok(s.call("get_order", {"order_id": 2}))
    assert (o["coupon_id"], o["subtotal"], o["discount"], o["total"], o["carrier"]) == (
        "WELCOME10",
        66.99,
        6.7,
        60.29,
        "ups",
    )
    fails(s, "get_order", {"order_id": 7}, "not_found")  # Bob's order


def test_order_items(s):
    rows = ok(s.call("order_items", {"order": 1}))
    assert [(i["product_id"], i["quantity"], i["unit_price"]) for i in rows] == [(1, 1, 149.0), (5, 2, 9.99)]
    rows = ok(as_user(s, STAFF).call("order_items", {"order": 7}))
    assert [i["product_id"] for i in rows] == [6, 23]


def test_order_items_failures(s):
    fails(s, "order_items", {"order": 7}, "forbidden", "order 7 is not yours")
    fails(s, "order_items", {"order": 700}, "not_found")


# ---- returns ---------------------------------------------------------------------------


def test_request_return(s):
    r = ok(s.call("request_return", {"order_item": 1, "units": 1, "reason": "damaged", "comment": "cracked headband"}))
    assert (r["id"], r["status"], r["quantity"], r["customer_id"], r["refund_amount"]) == (7, "requested", 1, 1, 0.0)
    assert one(s, "SELECT reason, comment FROM return_request WHERE id = 7") == ("damaged", "cracked headband")


def test_request_return_failures(s):
    # item 2: 2 cables, 1 already requested
    fails(
        s,
        "request_return",
        {"order_item": 2, "units": 2, "reason": "damaged"},
        "too_many",
        "only 1 of USB-C Cable 2m can still be returned",
    )
    fails(
        s,
        "request_return",
        {"order_item": 3, "units": 1, "reason": "damaged"},
        "return_window_closed",
        "order 2 was delivered 55 days ago; returns close after 30 days",
    )
    fails(
        s,
        "request_return",
        {"order_item": 5, "units": 1, "reason": "damaged"},
        "not_returnable",
        "order 3 is shipped; only delivered orders can be returned",
    )
    fails(s, "request_return", {"order_item": 12, "units": 1, "reason": "damaged"}, "forbidden", "order 7 is not yours")
    fails(s, "request_return", {"order_item": 1, "units": 1, "reason": "changed_mind"}, "invalid_arguments")


def test_process_return_approve_with_discount_share(s):
    as_user(s, STAFF)
    r = ok(s.call("process_return", {"return_request": 6, "approve": True}))
    # 64.00 minus its share of the 8.40 discount on an 83.98 subtotal (6.40)
    assert (r["status"], r["refund_amount"], r["resolved_at"]) == ("approved", 57.6, "2025-03-10 10:00:01")
    assert credit(s, HIROSHI) == 5760
    assert stock(s, 15) == 10
    assert one(s, "SELECT returned_quantity FROM order_item WHERE id = 33") == (1,)
    assert one(s, 'SELECT status FROM "order" WHERE id = 19') == ("delivered",)


def test_process_return_full_return_marks_order_returned(s):
    as_user(s, GRETA)
    r = ok(s.call("request_return", {"order_item": 30, "units": 1, "reason": "not_as_described"}))
    as_user(s, STAFF)
    ok(s.call("process_return", {"return_request": r["id"], "approve": True}))
    assert one(s, 'SELECT status FROM "order" WHERE id = 17') == ("returned",)
    assert credit(s, GRETA) == 11995
    assert stock(s, 30) == 14


def test_process_return_reject(s):
    as_user(s, STAFF)
    r = ok(s.call("process_return", {"return_request": 5, "approve": False}))
    assert (r["status"], r["refund_amount"]) == ("rejected", 0.0)
    assert credit(s, FATIMA) == 2500 and stock(s, 2) == 42


def test_process_return_failures(s):
    fails(s, "process_return", {"return_request": 4, "approve": True}, "forbidden", "only staff can process returns")
    as_user(s, STAFF)
    fails(
        s, "process_return", {"return_request": 1, "approve": True}, "already_processed", "return 1 is already approved"
    )
    fails(
        s,
        "process_return",
        {"return_request": 3, "approve": False},
        "already_processed",
        "return 3 is already rejected",
    )
    fails(s, "process_return", {"return_request": 99, "approve": True}, "not_found")


def test_my_returns(s):
    rows = ok(s.call("my_returns", {}))
    assert [(r["id"], r["status"]) for r in rows] == [(4, "requested")]
    rows = ok(as_user(s, CHEN).call("my_returns", {"status": "approved"}))
    assert [(r["id"], r["refund_amount"]) for r in rows] == [(1, 89.0)]
    fails(s, "my_returns", {"status": "lost"}, "invalid_arguments")


# ---- reviews ---------------------------------------------------------------------------


def test_write_review(s):
    r = ok(s.call("write_review", {"product": 24, "stars": 4, "title": "Great read", "body": "Long but worth it"}))
    assert (r["id"], r["rating"], r["verified"], r["customer_id"]) == (31, 4, False, 1)  # order 3 is not delivered
    assert one(s, "SELECT rating, review_count FROM product WHERE id = 24") == (4.33, 3)
    assert one(s, "SELECT title, body, created_at FROM review WHERE id = 31") == (
        "Great read",
        "Long but worth it",
        "2025-03-10 10:00:01",
    )


def test_write_review_verified_purchase(s):
    as_user(s, STAFF)
    ok(s.call("ship_order", {"order": 4, "carrier": "ups", "tracking_number": "1Z999AA10123456799"}))
    ok(s.call("mark_delivered", {"order": 4}))
    as_user(s, ALICE)
    r = ok(s.call("write_review", {"product": 19, "stars": 5, "title": "Soft and absorbent"}))
    assert (r["verified"], r["body"]) == (True, "")
    assert one(s, "SELECT rating, review_count FROM product WHERE id = 19") == (5.0, 1)


def test_write_review_failures(s):
    fails(
        s,
        "write_review",
        {"product": 1, "stars": 4, "title": "again"},
        "already_reviewed",
        "you already reviewed Noise Cancelling Headphones; use update_review",
    )
    fails(s, "write_review", {"product": 2, "stars": 6, "title": "wow"}, "invalid_arguments")
    fails(s, "write_review", {"product": 2, "stars": 5, "title": ""}, "invalid_arguments")


def test_update_review(s):
    r = ok(s.call("update_review", {"review": 1, "stars": 3}))
    assert (r["rating"], r["title"]) == (3, "Best headphones I have owned")
    assert one(s, "SELECT rating, review_count FROM product WHERE id = 1") == (3.33, 3)
    r = ok(s.call("update_review", {"review": 1, "title": "Good headphones", "body": "Clamp force is high."}))
    assert (r["rating"], r["title"], r["body"]) == (3, "Good headphones", "Clamp force is high.")


def test_update_review_failures(s):
    fails(s, "update_review", {"review": 2, "stars": 1}, "forbidden", "review 2 is not yours")
    fails(s, "update_review", {"review": 1, "stars": 0}, "invalid_arguments")


def test_delete_review(s):
    assert ok(s.call("delete_review", {"review": 7})) == 2
    assert one(s, "SELECT rating, review_count FROM product WHERE id = 5") == (4.5, 2)
    assert s.query("SELECT id FROM review WHERE id = 7") == []
    as_user(s, CHEN)
    assert ok(s.call("delete_review", {"review": 18})) == 0
    assert one(s, "SELECT rating, review_count FROM product WHERE id = 18") == (0.0, 0)


def test_delete_review_failures(s):
    fails(s, "delete_review", {"review": 2}, "forbidden", "review 2 is not yours")
    fails(s, "delete_review", {"review": 200}, "not_found")


def test_product_reviews(s):
    rows = ok(s.call("product_reviews", {"product": 1}))
    assert [r["id"] for r in rows] == [1, 2, 3]  # newest first
    rows = ok(s.call("product_reviews", {"product": 1, "sort": "lowest"}))
    assert [r["rating"] for r in rows] == [3, 4, 5]
    rows = ok(s.call("product_reviews", {"product": 2, "sort": "highest"}))
    assert [(r["id"], r["rating"]) for r in rows] == [(4, 4), (5, 2)]
    rows = ok(s.call("product_reviews", {"product": 1, "min_rating": 4, "verified_only": True}))
    assert [r["customer_id"] for r in rows] == [1, 2]
    rows = ok(s.call("product_reviews", {"product": 1, "max_results": 1, "sort": "lowest"}))
    assert [r["id"] for r in rows] == [3]
    fails(s, "product_reviews", {"product": 404}, "not_found")
    fails(s, "product_reviews", {"product": 1, "min_rating": 0}, "invalid_arguments")


def test_rating_summary(s):
    r = ok(s.call("rating_summary", {"product": 5}))
    assert (r["reviews"], r["average"], r["verified"], r["product"]["id"]) == (3, 4.67, 3, 5)
    r = ok(s.call("rating_summary", {"product": 4}))
    assert (r["reviews"], r["average"], r["verified"]) == (0, 0.0, 0)
    fails(s, "rating_summary", {"product": 404}, "not_found")


def test_rating_breakdown(s):
    rows = ok(s.call("rating_breakdown", {"product": 1}))
    assert rows == [{"rating": 3, "reviews": 1}, {"rating": 4, "reviews": 1}, {"rating": 5, "reviews": 1}]
    assert ok(s.call("rating_breakdown", {"product": 4})) == []
    fails(s, "rating_breakdown", {"product": 404}, "not_found")


# ---- reports ---------------------------------------------------------------------------


def test_sales_by_status(s):
    as_user(s, STAFF)
    rows = ok(s.call("sales_by_status", {"from_date": "2025-03-01", "to_date": "2025-03-10"}))
    assert rows == [
        {"status": "cancelled", "orders": 1, "value": 179.0},
        {"status": "paid", "orders": 3, "value": 182.63},
        {"status": "pending", "orders": 3, "value": 161.92},
        {"status": "shipped", "orders": 2, "value": 190.5},
    ]
    rows = ok(s.call("sales_by_status", {"from_date": "2025-02-01", "to_date": "2025-02-01"}))
    assert rows == [{"status": "cancelled", "orders": 1, "value": 119.95}]


def test_sales_by_status_failures(s):
    fails(
        s,
        "sales_by_status",
        {"from_date": "2025-03-01", "to_date": "2025-03-10"},
        "forbidden",
        "only staff can see sales reports",
    )
    as_user(s, STAFF)
    fails(
        s,
        "sales_by_status",
        {"from_date": "2025-03-10", "to_date": "2025-03-01"},
        "bad_period",
        "from_date 2025-03-10 is after to_date 2025-03-01",
    )
    fails(s, "sales_by_status", {"from_date": "March", "to_date": "2025-03-01"}, "invalid_arguments")


def test_best_sellers(s):
    as_user(s, STAFF)
    rows = ok(s.call("best_sellers", {"category_slug": "audio"}))
    assert rows == [
        {"product_id": 1, "units": 2, "revenue": 298.0},
        {"product_id": 2, "units": 2, "revenue": 119.98},
        {"product_id": 3, "units": 2, "revenue": 79.0},
    ]
    everything = {r["product_id"]: r for r in ok(s.call("best_sellers", {}))}
    assert everything[5]["units"] == 7 and everything[5]["revenue"] == 69.93
    assert everything[6]["units"] == 1  # Chen's keyboard (order 11) was returned
    assert 30 in everything and everything[30]["units"] == 1
    assert 32 not in everything  # only order was cancelled


def test_best_sellers_failures(s):
    fails(s, "best_sellers", {}, "forbidden", "only staff can see sales reports")
    as_user(s, STAFF)
    fails(s, "best_sellers", {"category_slug": "weapons"}, "not_found")


# ---- invariants ------------------------------------------------------------------------


def test_seed_satisfies_every_invariant(s):
    assert len(s.env.invariants) >= 20
    assert s.check_invariants() == []


# One direct database change per invariant (bypassing the tools): the invariant must name it.
CORRUPTIONS = {
    "stock_not_negative": ("UPDATE product SET stock = -1 WHERE id = 1", [1]),
    "cart_quantity_in_range": ("UPDATE cart_item SET quantity = 0 WHERE id = 1", [1]),
    "gift_card_balance_not_negative": (
        "UPDATE gift_card SET balance = -100 WHERE code = 'GC-ALICE-0001'",
        ["GC-ALICE-0001"],
    ),
    "store_credit_not_negative": ("UPDATE customer SET store_credit = -1 WHERE id = 2", [2]),
    "order_subtotal_is_sum_of_items": ("UPDATE order_item SET quantity = 3 WHERE id = 1", [1]),
    "order_total_rule": ('UPDATE "order" SET total = total + 10000 WHERE id = 5', [5]),
    "shipping_rule": ('UPDATE "order" SET shipping = 499, total = total + 499 WHERE id = 5', [5]),
    "paid_orders_fully_paid": ("UPDATE payment_record SET amount = 10000 WHERE id = 1", [1]),
    "pending_orders_unpaid": (
        "INSERT INTO payment_record (id, order_id, method, reference, amount, paid_at, refunded_amount) "
        "VALUES (99, 5, 'card', 'x', 6999, '2025-03-10 10:00:00', 0)",
        [5],
    ),
    "cancelled_orders_refunded": ("UPDATE payment_record SET refunded_amount = 0 WHERE id = 15", [15]),
    "returned_orders_fully_returned": ("UPDATE \"order\" SET status = 'returned' WHERE id = 1", [1]),
    "shipped_orders_tracked": ('UPDATE "order" SET tracking_number = NULL WHERE id = 3', [3]),
    "returned_quantity_is_sum_of_approved_returns": ("UPDATE order_item SET returned_quantity = 1 WHERE id = 1", [1]),
    "returns_within_ordered_units": ("UPDATE return_request SET quantity = 2 WHERE id = 5", [27]),
    "review_count_matches_reviews": ("UPDATE product SET review_count = 5 WHERE id = 1", [1]),
    "rating_is_average_of_reviews": ("UPDATE product SET rating = 4.1 WHERE id = 1", [1]),
    "verified_reviews_are_purchases": ("UPDATE review SET verified = 1 WHERE id = 3", [3]),
    "one_default_address": ("UPDATE address SET is_default = 1 WHERE id = 2", [1]),
    "coupon_uses_counted": ("UPDATE coupon SET times_used = 1 WHERE code = 'WELCOME10'", ["WELCOME10"]),
    "voucher_redemption_complete": (
        "UPDATE voucher SET redeemed_at = NULL WHERE code = 'VCH-2025-EEEE'",
        ["VCH-2025-EEEE"],
    ),
    "orders_ship_to_own_address": ('UPDATE "order" SET address_id = 3 WHERE id = 5', [5]),
    "orders_have_items": (
        'INSERT INTO "order" (id, customer_id, address_id, status, subtotal, discount, shipping, total, '
        "credit_applied, placed_at) VALUES (99, 1, 1, 'pending', 0, 0, 499, 499, 0, '2025-03-10 10:00:00')",
        [99],
    ),
    # WINTER20 ended on 2025-02-28; order 5 was placed on 2025-03-10
    "coupon_valid_when_ordered": ("UPDATE \"order\" SET coupon_id = 'WINTER20' WHERE id = 5", [5]),
    "coupon_minimum_met": ("UPDATE coupon SET min_subtotal = 10000 WHERE code = 'FIVEOFF'", [12]),
    # Alice already used WELCOME10 on order 2
    "coupon_once_per_customer": ("UPDATE \"order\" SET coupon_id = 'WELCOME10' WHERE id = 1", [1, 2]),
    "stock_within_limit": ("UPDATE product SET stock = 100001 WHERE id = 4", [4]),
    "returns_by_order_customer": ("UPDATE return_request SET customer_id = 2 WHERE id = 4", [4]),
    # order item 9 is on Alice's pending order 5
    "returns_of_delivered_orders": ("UPDATE return_request SET order_item_id = 9 WHERE id = 4", [4]),
    # order 1 was delivered on 2025-02-22
    "returns_within_window": ("UPDATE return_request SET created_at = '2025-04-01 09:00:00' WHERE id = 4", [4]),
    # a second (refunded) payment with the voucher that paid order 4, on Alice's cancelled order 6
    "voucher_single_use": (
        "INSERT INTO payment_record (id, order_id, method, reference, amount, paid_at, refunded_amount) "
        "VALUES (99, 6, 'voucher', 'VCH-2025-GGGG', 1000, '2025-03-09 19:21:30', 1000)",
        ["VCH-2025-GGGG"],
    ),
    "voucher_payments_valid": ("UPDATE voucher SET redeemed_by_id = 2 WHERE code = 'VCH-2025-GGGG'", [4]),
    "gift_card_payments_before_expiry": (
        "UPDATE gift_card SET expires_on = '2025-01-01' WHERE code = 'GC-ALICE-0001'",
        [2],
    ),
}


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_each_invariant_catches_a_direct_corruption(s, name):
    statement, rows = CORRUPTIONS[name]
    s.db.execute("PRAGMA ignore_check_constraints = ON")
    s.db.execute(statement)
    broken = s.check_invariants()
    assert [(v["invariant"], v["rows"]) for v in broken] == [(name, rows)]


def test_every_invariant_is_exercised():
    # one_review_per_customer_and_product is also a @@unique, so no direct write can break it
    from conftest import load_spec_env

    assert set(load_spec_env("shop").invariants) == set(CORRUPTIONS) | {"one_review_per_customer_and_product"}


@pytest.fixture
def enforcing(spec_session):
    """A fresh shop session (user 1) that rolls back any call breaking an invariant."""
    s = spec_session("shop").env.session(user=ALICE, invariants="enforce")
    yield s
    s.close()


def test_enforced_invariants_hold_through_a_realistic_day(enforcing):
    # The tools refuse every write that would break an invariant, so an enforcing session runs a
    # day of shopping, payment, cancellation, fulfilment, returns and reviews without a rollback.
    s = enforcing
    assert ok(s.call("add_to_cart", {"product": 3, "quantity": 2}))["quantity"] == 2
    o = ok(s.call("checkout", {"address": 2, "coupon_code": "FIVEOFF"}))
    ok(s.call("apply_store_credit", {"order": o["id"]}))
    ok(s.call("pay_order", {"order": o["id"], "payment": CARD}))
    ok(s.call("pay_order", {"order": 5, "payment": {"kind": "voucher", "code": "VCH-2025-CCCC"}}))
    ok(s.call("cancel_order", {"order": 4}))
    b = ok(s.call("buy_now", {"lines": [{"product": 19, "quantity": 2}], "address": 1}))
    ok(s.call("apply_store_credit", {"order": b["id"]}))
    ok(s.call("write_review", {"product": 24, "stars": 2, "title": "Too long"}))
    ok(s.call("update_review", {"review": 1, "stars": 1}))
    ok(s.call("delete_review", {"review": 7}))
    r = ok(s.call("request_return", {"order_item": 1, "units": 1, "reason": "damaged"}))
    r2 = ok(s.call("request_return", {"order_item": 2, "units": 1, "reason": "no_longer_needed"}))
    ok(s.call("set_default_address", {"address": 2}))
    ok(s.call("move_wishlist_to_cart", {}))
    s.me = STAFF
    ok(s.call("process_return", {"return_request": r["id"], "approve": True}))
    ok(s.call("process_return", {"return_request": 4, "approve": True}))
    ok(s.call("process_return", {"return_request": r2["id"], "approve": True}))
    ok(s.call("ship_order", {"order": o["id"], "carrier": "dhl", "tracking_number": "JD0146000777"}))
    ok(s.call("mark_delivered", {"order": o["id"]}))
    ok(s.call("restock_product", {"product": 4, "amount": 5}))
    assert s.check_invariants() == []
    assert one(s, 'SELECT status FROM "order" WHERE id = 1') == ("returned",)  # both lines now returned


def test_enforce_mode_rejects_a_write_that_would_break_an_invariant(enforcing):
    # No tool lets one through, so the state is corrupted first (a review count off by 9):
    # a write to a table the invariant reads that leaves the corruption in place is rolled back.
    s = enforcing
    s.db.execute("UPDATE product SET review_count = 9 WHERE id = 4")
    r = s.call("write_review", {"product": 24, "stars": 4, "title": "Great read"})
    assert r["ok"] is False and r["error"]["code"] == "invariant_violation"
    assert [v["invariant"] for v in r["error"]["details"]["violations"]] == ["review_count_matches_reviews"]
    assert s.query("SELECT count(*) FROM review WHERE product_id = 24 AND customer_id = 1") == [(0,)]
    # a call runs only the invariants it may break: adding to the cart reads no review count
    assert s.call("add_to_cart", {"product": 1})["ok"]
    assert s.query("SELECT count(*) FROM cart_item WHERE customer_id = 1") == [(3,)]


# ---- tasks -----------------------------------------------------------------------------


def test_a_wrong_answer_fails_the_question_tasks(spec_session):
    s = spec_session("shop")
    assert s.verify("store_credit_balance", answer="You have 13.50 in store credit.")["passed"] is False
    assert s.verify("store_credit_balance", answer="You have 12.50 in store credit.")["passed"] is True
    assert s.verify("shipped_order_tracking", answer="UPS has it: 1Z999AA10123456784")["passed"] is False
    assert s.verify("cheapest_lamp_in_stock", answer="The Floor Lamp Arc at 139.00")["passed"] is False


def test_a_partial_run_earns_partial_reward(spec_session):
    s = spec_session("shop")
    ok(s.call("cancel_order", {"order": 4}))  # but never re-orders the towels
    report = s.verify("cancel_and_reorder_towels")
    assert report["passed"] is False and 0 < report["reward"] < 1
