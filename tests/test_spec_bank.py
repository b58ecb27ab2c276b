"""Tests of specs/bank.awm: every tool on a happy path and a failure path.

Seeded user 1 is Maya Patel: CHK-100001 (id 1, USD, overdraft 500, balance 4881.22), SAV-100002
(id 2, USD, 9414.17), SAV-100003 (id 3, EUR, 1551.85) and the closed CHK-100004 (id 4). Other
customers' rows are used for ownership failures; user 2 (Daniel) owns the frozen SAV-100006 and
user 6 (Kenji) the overdrawn CHK-100012 (-244.40, overdraft 1000).
"""

from __future__ import annotations

import pytest
from spec_helpers import err, fails, ok

SPEC = "bank"
TABLES = ("customer", "account", "card", "transaction", "payee", "scheduled_payment", "loan", "repayment", "statement")


def balance(s, account_id):
    return s.query("SELECT balance FROM account WHERE id = ?", (account_id,))[0][0] / 100


@pytest.fixture
def s(spec_session):
    return spec_session(SPEC)


# ---- coverage and seed integrity ---------------------------------------------------------------


def test_seed_running_balances_are_consistent(s):
    total = sum(s.query(f'SELECT COUNT(*) FROM "{t}"')[0][0] for t in TABLES)
    assert total >= 150
    for acc_id, bal in s.query("SELECT id, balance FROM account"):
        rows = s.query(
            'SELECT kind, amount, balance_after FROM "transaction" WHERE account_id = ? ORDER BY posted_at, id',
            (acc_id,),
        )
        running = 0
        for kind, amount, after in rows:
            running += amount if kind in ("deposit", "transfer_in", "interest") else -amount
            assert running == after
        assert running == bal


# ---- profile ---------------------------------------------------------------------------------------


def test_my_profile(s, spec_session):
    me = ok(s.call("my_profile"))
    assert me["id"] == 1 and me["full_name"] == "Maya Patel" and me["email"] == "maya.patel@example.com"
    s2 = spec_session(SPEC, user=2)
    assert ok(s2.call("my_profile"))["full_name"] == "Daniel Okafor"


def test_my_profile_rejects_arguments(s):
    e = fails(s, "my_profile", {"customer_id": 2}, "invalid_arguments")
    assert e["details"]["problems"][0]["problem"] == "unknown argument"


def test_update_profile(s):
    row = ok(s.call("update_profile", {"customer_id": 1, "city": "Oakland"}))
    assert row["city"] == "Oakland" and row["phone"] == "+1-415-555-0142"
    assert s.query("SELECT city, phone FROM customer WHERE id = 1") == [("Oakland", "+1-415-555-0142")]


def test_update_profile_failures(s):
    fails(s, "update_profile", {"customer_id": 2, "city": "Oakland"}, "not_found")
    e = fails(s, "update_profile", {"customer_id": 1, "phone": "12"}, "invalid_arguments")
    assert e["details"]["problems"] == [{"argument": "phone", "problem": "must have at least 7 characters"}]


# ---- accounts -----------------------------------------------------------------------------------------


def test_list_accounts(s):
    assert [a["number"] for a in ok(s.call("list_accounts"))] == [
        "CHK-100001",
        "SAV-100002",
        "SAV-100003",
        "CHK-100004",
    ]
    savings = ok(s.call("list_accounts", {"kind": "savings", "currency": "EUR"}))
    assert [(a["id"], a["balance"]) for a in savings] == [(3, 1551.85)]
    assert [a["id"] for a in ok(s.call("list_accounts", {"status": "closed"}))] == [4]


def test_list_accounts_bad_filter(s):
    e = fails(s, "list_accounts", {"kind": "brokerage", "limit": 0}, "invalid_arguments")
    assert len(e["details"]["problems"]) == 2


def test_get_account(s):
    a = ok(s.call("get_account", {"account_id": 1}))
    assert a["number"] == "CHK-100001" and a["balance"] == 4881.22 and a["overdraft_limit"] == 500
    assert a["owner_id"] == 1 and a["status"] == "open"


def test_get_account_of_someone_else_is_not_found(s):
    fails(s, "get_account", {"account_id": 5}, "not_found")


def test_rename_account(s):
    assert ok(s.call("rename_account", {"account_id": 3, "nickname": "Porto trip"}))["nickname"] == "Porto trip"
    assert s.query("SELECT nickname FROM account WHERE id = 3") == [("Porto trip",)]


def test_rename_account_closed_or_foreign(s):
    fails(s, "rename_account", {"account_id": 4, "nickname": "x"}, "not_found")
    fails(s, "rename_account", {"account_id": 5, "nickname": "x"}, "not_found")


def test_balances_by_currency(s):
    assert ok(s.call("balances_by_currency")) == [
        {"currency": "EUR", "total": 1551.85, "accounts": 1},
        {"currency": "USD", "total": 14295.39, "accounts": 2},
    ]
    ok(s.call("deposit", {"account": 3, "amount": 48.15}))
    assert ok(s.call("balances_by_currency"))[0] == {"currency": "EUR", "total": 1600.00, "accounts": 1}


def test_balances_by_currency_rejects_arguments(s):
    fails(s, "balances_by_currency", {"currency": "USD"}, "invalid_arguments")


def test_open_account(s):
    a = ok(s.call("open_account", {"kind": "savings", "currency": "GBP", "nickname": "London fund"}))
    assert a == {
        "id": 17,
        "owner_id": 1,
        "number": "SAV-100017",
        "kind": "savings",
        "currency": "GBP",
        "balance": 0,
        "overdraft_limit": 0,
        "status": "open",
        "nickname": "London fund",
        "opened_on": "2025-03-15",
    }
    c = ok(s.call("open_account", {"kind": "checking"}))
    assert c["number"] == "CHK-100018" and c["currency"] == "USD"
    assert s.query("SELECT owner_id, kind FROM account WHERE id IN (17, 18) ORDER BY id") == [
        (1, "savings"),
        (1, "checking"),
    ]


def test_open_account_limit(s):
    for _ in range(3):
        ok(s.call("open_account", {"kind": "savings"}))
    fails(
        s,
        "open_account",
        {"kind": "checking"},
        "too_many_accounts",
        "you already hold 6 accounts that are not closed (the maximum is 6)",
    )
    fails(s, "open_account", {"kind": "checking", "currency": "JPY"}, "invalid_arguments")


def test_close_account_cancels_cards(s):
    acc = ok(s.call("open_account", {"kind": "checking", "currency": "EUR"}))
    card = ok(s.call("order_card", {"account": acc["id"]}))
    closed = ok(s.call("close_account", {"account": acc["id"]}))
    assert closed["status"] == "closed"
    assert s.query("SELECT status FROM card WHERE id = ?", (card["id"],)) == [("cancelled",)]


def test_close_account_failures(s):
    fails(
        s,
        "close_account",
        {"account": 3},
        "balance_not_zero",
        "account SAV-100003 still holds 1551.85 EUR; move it out before closing",
    )
    fails(s, "close_account", {"account": 4}, "account_closed", "account CHK-100004 is already closed")
    fails(s, "close_account", {"account": 5}, "forbidden", "account CHK-100005 is not yours")
    acc = ok(s.call("open_account", {"kind": "checking"}))
    ok(s.call("schedule_payment", {"account": acc["id"], "payee": 2, "amount": 10, "first_run": "2025-04-01"}))
    fails(
        s,
        "close_account",
        {"account": acc["id"]},
        "has_scheduled_payments",
        f"account {acc['number']} has 1 active or paused scheduled payments; cancel them first",
    )


def test_set_overdraft_limit(s):
    a = ok(s.call("set_overdraft_limit", {"account": 1, "limit": 1250.5}))
    assert a["overdraft_limit"] == 1250.5
    assert s.query("SELECT overdraft_limit FROM account WHERE id = 1") == [(125050,)]


def test_set_overdraft_limit_failures(s, spec_session):
    fails(
        s,
        "set_overdraft_limit",
        {"account": 2, "limit": 100},
        "not_checking",
        "account SAV-100002 is a savings account; only checking accounts can have an overdraft",
    )
    e = fails(s, "set_overdraft_limit", {"account": 1, "limit": 10.001}, "invalid_arguments")  # decimals have 2 places
    assert e["details"]["problems"] == [
        {"argument": "limit", "problem": "must have at most 2 decimal places, got 10.001"}
    ]
    fails(s, "set_overdraft_limit", {"account": 1, "limit": 6000}, "invalid_arguments")
    k = spec_session(SPEC, user=6)
    fails(
        k,
        "set_overdraft_limit",
        {"account": 12, "limit": 100},
        "limit_below_debt",
        "account CHK-100012 is overdrawn by 244.40 USD; the limit must be at least that",
    )
    assert ok(k.call("set_overdraft_limit", {"account": 12, "limit": 244.40}))["overdraft_limit"] == 244.4


# ---- money movement -------------------------------------------------------------------------------------


def test_deposit(s, spec_session):
    t = ok(s.call("deposit", {"account": 1, "amount": 100.25}))
    assert (t["kind"], t["category"], t["amount"], t["balance_after"], t["description"]) == (
        "deposit",
        "income",
        100.25,
        4981.47,
        "Cash deposit",
    )
    assert t["posted_at"] == "2025-03-15 10:00:01"
    assert balance(s, 1) == 4981.47
    d = spec_session(SPEC, user=2)  # a frozen account can still receive money
    assert ok(d.call("deposit", {"account": 6, "amount": 10, "description": "Birthday"}))["balance_after"] == 5214.10


def test_deposit_failures(s):
    fails(s, "deposit", {"account": 1, "amount": 100.005}, "invalid_arguments")
    fails(s, "deposit", {"account": 1, "amount": -5}, "invalid_amount", "amount must be positive, got -5.00")
    fails(s, "deposit", {"account": 1, "amount": 0}, "invalid_amount")
    fails(
        s,
        "deposit",
        {"account": 1, "amount": 10000.01},
        "deposit_limit",
        "a single deposit is limited to 10000 USD, got 10000.01",
    )
    fails(s, "deposit", {"account": 4, "amount": 5}, "account_closed", "account CHK-100004 is closed")
    fails(s, "deposit", {"account": 5, "amount": 5}, "forbidden", "account CHK-100005 is not yours")
    fails(s, "deposit", {"account": 99, "amount": 5}, "not_found")


def test_withdraw(s):
    t = ok(s.call("withdraw", {"account": 1, "amount": 900}))
    assert (t["kind"], t["category"], t["amount"], t["balance_after"]) == ("withdrawal", "cash", 900, 3981.22)
    assert balance(s, 1) == 3981.22


def test_withdraw_failures(s, spec_session):
    ok(s.call("withdraw", {"account": 1, "amount": 900}))
    fails(
        s,
        "withdraw",
        {"account": 1, "amount": 200},
        "daily_cash_limit",
        "you already withdrew 900.00 USD from CHK-100001 today; the daily cash limit is 1000",
    )
    fails(s, "withdraw", {"account": 1, "amount": 1.999}, "invalid_arguments")
    k = spec_session(SPEC, user=6)
    fails(
        k,
        "withdraw",
        {"account": 12, "amount": 800},
        "insufficient_funds",
        "account CHK-100012 has 755.60 USD available (balance plus overdraft), 800.00 requested",
    )
    assert ok(k.call("withdraw", {"account": 12, "amount": 755.60}))["balance_after"] == -1000
    d = spec_session(SPEC, user=2)
    fails(d, "withdraw", {"account": 6, "amount": 50}, "account_not_open", "account SAV-100006 is frozen")


def test_transfer(s):
    out, inc = ok(s.call("transfer", {"from_account": 1, "to_account": 2, "amount": 250, "memo": "Top up savings"}))
    assert (out["id"], out["kind"], out["account_id"], out["balance_after"], out["counterparty"]) == (
        129,
        "transfer_out",
        1,
        4631.22,
        "SAV-100002",
    )
    assert (inc["id"], inc["kind"], inc["account_id"], inc["balance_after"], inc["counterparty"]) == (
        130,
        "transfer_in",
        2,
        9664.17,
        "CHK-100001",
    )
    assert out["transfer_ref"] == inc["transfer_ref"] == "TRF-129"
    assert (balance(s, 1), balance(s, 2)) == (4631.22, 9664.17)
    # the source may go into its arranged overdraft
    out, _ = ok(s.call("transfer", {"from_account": 1, "to_account": 2, "amount": 5000}))
    assert out["balance_after"] == -368.78


def test_transfer_failures(s, spec_session):
    fails(
        s,
        "transfer",
        {"from_account": 1, "to_account": 3, "amount": 10},
        "currency_mismatch",
        "CHK-100001 is in USD but SAV-100003 is in EUR",
    )
    fails(
        s,
        "transfer",
        {"from_account": 1, "to_account": 5, "amount": 10},
        "forbidden",
        "account CHK-100005 is not yours; use send_money to pay another customer",
    )
    fails(s, "transfer", {"from_account": 1, "to_account": 1, "amount": 10}, "same_account")
    fails(
        s,
        "transfer",
        {"from_account": 1, "to_account": 4, "amount": 10},
        "account_closed",
        "account CHK-100004 is closed",
    )
    fails(
        s,
        "transfer",
        {"from_account": 1, "to_account": 2, "amount": 5381.23},
        "insufficient_funds",
        "account CHK-100001 has 5381.22 USD available (balance plus overdraft), 5381.23 requested",
    )
    fails(s, "transfer", {"from_account": 2, "to_account": 1, "amount": 0.001}, "invalid_arguments")
    d = spec_session(SPEC, user=2)
    fails(
        d,
        "transfer",
        {"from_account": 6, "to_account": 5, "amount": 10},
        "account_not_open",
        "account SAV-100006 is frozen",
    )


def test_batch_transfer(s):
    legs = ok(
        s.call(
            "batch_transfer",
            {
                "transfers": [
                    {"from_account": 1, "to_account": 2, "amount": 400, "memo": "Savings"},
                    {"from_account": 2, "to_account": 1, "amount": 120.5},
                ]
            },
        )
    )
    assert [(t["kind"], t["account_id"], t["amount"], t["balance_after"]) for t in legs] == [
        ("transfer_out", 1, 400, 4481.22),
        ("transfer_in", 2, 400, 9814.17),
        ("transfer_out", 2, 120.5, 9693.67),
        ("transfer_in", 1, 120.5, 4601.72),
    ]
    assert [t["transfer_ref"] for t in legs] == ["TRF-129", "TRF-129", "TRF-131", "TRF-131"]
    assert legs[2]["description"] == "Batch transfer" and legs[0]["description"] == "Savings"
    assert (balance(s, 1), balance(s, 2)) == (4601.72, 9693.67)


def test_batch_transfer_is_atomic(s):
    # line 1 alone would succeed, line 2 then overdraws: nothing of the batch is kept
    fails(
        s,
        "batch_transfer",
        {
            "transfers": [
                {"from_account": 1, "to_account": 2, "amount": 5000},
                {"from_account": 1, "to_account": 2, "amount": 400},
            ]
        },
        "insufficient_funds",
        "line 2: account CHK-100001 has 381.22 USD available, 400.00 requested",
    )
    assert balance(s, 1) == 4881.22
    fails(
        s, "batch_transfer", {"transfers": [{"from_account": 2, "to_account": 1, "amount": 1.234}]}, "invalid_arguments"
    )
    fails(
        s,
        "batch_transfer",
        {
            "transfers": [
                {"from_account": 2, "to_account": 1, "amount": 1},
                {"from_account": 5, "to_account": 1, "amount": 1},
            ]
        },
        "forbidden",
        "line 2: account CHK-100005 is not yours",
    )
    fails(
        s,
        "batch_transfer",
        {
            "transfers": [
                {"from_account": 2, "to_account": 1, "amount": 1},
                {"from_account": 2, "to_account": 99, "amount": 1},
            ]
        },
        "not_found",
        "Account 99 not found",
    )
    fails(s, "batch_transfer", {"transfers": []}, "invalid_arguments")
    fails(  # found by `awmc check`: an empty memo reached the description's length constraint
        s,
        "batch_transfer",
        {"transfers": [{"from_account": 1, "to_account": 2, "amount": 0.01, "memo": ""}]},
        "invalid_memo",
        "line 1: a memo has 1 to 140 characters",
    )
    fails(s, "batch_transfer", {"transfers": [{"from_account": 1, "amount": 5}]}, "invalid_arguments")


def test_send_money_to_payee(s):
    t = ok(
        s.call(
            "send_money",
            {"from_account": 1, "recipient": {"kind": "payee", "payee": 2}, "amount": 104.66, "memo": "PG&E March"},
        )
    )
    assert (t["kind"], t["category"], t["counterparty"], t["balance_after"], t["transfer_ref"]) == (
        "bill_payment",
        "utilities",
        "Pacific Gas & Electric",
        4776.56,
        None,
    )
    assert balance(s, 1) == 4776.56


def test_send_money_to_customer_records_both_legs(s):
    out = ok(
        s.call(
            "send_money",
            {
                "from_account": 1,
                "recipient": {"kind": "customer_account", "number": "CHK-100005"},
                "amount": 35.5,
                "memo": "Pizza night",
                "category": "dining",
            },
        )
    )
    assert (out["kind"], out["category"], out["counterparty"], out["balance_after"]) == (
        "transfer_out",
        "dining",
        "Daniel Okafor",
        4845.72,
    )
    legs = s.query(
        'SELECT account_id, kind, amount, balance_after, counterparty FROM "transaction" WHERE transfer_ref = ? ORDER BY id',
        (out["transfer_ref"],),
    )
    assert legs == [(1, "transfer_out", 3550, 484572, "Daniel Okafor"), (5, "transfer_in", 3550, 277288, "Maya Patel")]
    assert balance(s, 5) == 2772.88


def test_send_money_failures(s):
    fails(
        s,
        "send_money",
        {"from_account": 1, "recipient": {"kind": "customer_account", "number": "CHK-999999"}, "amount": 20},
        "unknown_account",
        "no account with number CHK-999999 exists at this bank",
    )
    fails(
        s,
        "send_money",
        {"from_account": 1, "recipient": {"kind": "customer_account", "number": "CHK-100007"}, "amount": 20},
        "currency_mismatch",
        "CHK-100001 is in USD but CHK-100007 is in EUR",
    )
    fails(
        s,
        "send_money",
        {"from_account": 1, "recipient": {"kind": "customer_account", "number": "CHK-100004"}, "amount": 20},
        "account_closed",
        "account CHK-100004 is closed and cannot receive money",
    )
    fails(
        s,
        "send_money",
        {"from_account": 1, "recipient": {"kind": "payee", "payee": 7}, "amount": 20},
        "forbidden",
        "payee 7 is not one of your payees",
    )
    fails(
        s,
        "send_money",
        {"from_account": 1, "recipient": {"kind": "payee", "payee": 2}, "amount": 6000},
        "insufficient_funds",
    )
    fails(
        s,
        "send_money",
        {"from_account": 1, "recipient": {"kind": "iban", "iban": "X"}, "amount": 5},
        "invalid_arguments",
    )


# ---- transactions and summaries ----------------------------------------------------------------------------


def test_account_history(s):
    rows = ok(s.call("account_history", {"account": 1, "limit": 3}))
    assert [(t["id"], t["counterparty"], t["balance_after"]) for t in rows] == [
        (128, "Apple Store", 4881.22),
        (127, "Lyft", 5730.22),
        (125, "Blue Bottle Coffee", 5782.52),
    ]
    fees = ok(s.call("account_history", {"account": 1, "kind": "fee", "since": "2025-02-01", "until": "2025-03-01"}))
    assert [(t["posted_at"], t["amount"]) for t in fees] == [("2025-03-01 00:10:00", 5), ("2025-02-01 00:10:00", 5)]
    assert ok(s.call("account_history", {"account": 1, "kind": "fee", "until": "2025-01-31"})) == []


def test_account_history_failures(s):
    fails(s, "account_history", {"account": 5}, "forbidden", "account CHK-100005 is not yours")
    fails(s, "account_history", {"account": 1, "limit": 101, "since": "March"}, "invalid_arguments")


def test_search_transactions(s):
    rows = ok(s.call("search_transactions", {"query": "whole FOODS"}))
    assert [(t["id"], t["amount"]) for t in rows] == [(74, 96.15), (22, 86.43)]
    rent = ok(s.call("search_transactions", {"query": "rent", "min_amount": 2000, "max_amount": 2100}))
    assert {t["account_id"] for t in rent} == {1} and len(rent) == 3  # Daniel's and Kenji's rents are not yours
    assert ok(s.call("search_transactions", {"query": "bay property", "limit": 1}))[0]["description"] == "Rent March"


def test_search_transactions_failures(s):
    fails(s, "search_transactions", {"query": "a"}, "invalid_arguments")
    fails(s, "search_transactions", {"query": "rent", "min_amount": "lots"}, "invalid_arguments")


def test_spending_by_category(s):
    rows = ok(s.call("spending_by_category", {"account": 1, "from": "2025-02-01", "to": "2025-02-28"}))
    by = {r["category"]: (r["total"], r["count"]) for r in rows}
    assert by == {
        "cash": (100, 1),
        "dining": (202.2, 2),
        "entertainment": (15.99, 1),
        "fees": (5, 1),
        "groceries": (96.15, 1),
        "health": (38.75, 1),
        "loan": (420, 1),
        "rent": (2100, 1),
        "travel": (210, 1),
        "utilities": (211.01, 2),
    }
    # a transfer to your own savings is not spending; money sent to a person is
    march = {
        r["category"]: r["total"]
        for r in ok(s.call("spending_by_category", {"account": 1, "from": "2025-03-11", "to": "2025-03-11"}))
    }
    assert march == {"entertainment": 60}


def test_spending_by_category_failures(s):
    fails(
        s,
        "spending_by_category",
        {"account": 1, "from": "2025-03-01", "to": "2025-02-01"},
        "bad_period",
        "from 2025-03-01 is after to 2025-02-01",
    )
    fails(s, "spending_by_category", {"account": 5, "from": "2025-01-01", "to": "2025-02-01"}, "forbidden")


def test_monthly_totals(s):
    rows = ok(s.call("monthly_totals", {"account": 1, "year": 2025}))
    assert rows == [
        {"month": "2025-01", "money_in": 11620.45, "money_out": 3748.18, "net": 7872.27, "transactions": 14},
        {"month": "2025-02", "money_in": 4250.00, "money_out": 3899.10, "net": 350.90, "transactions": 14},
        {"month": "2025-03", "money_in": 0, "money_out": 3341.95, "net": -3341.95, "transactions": 10},
    ]
    assert len(ok(s.call("monthly_totals", {"account": 2, "year": 2024}))) == 12


def test_monthly_totals_failures(s):
    fails(s, "monthly_totals", {"account": 1, "year": 2026}, "bad_period", "2026 has not started yet")
    fails(s, "monthly_totals", {"account": 7, "year": 2025}, "forbidden", "account CHK-100007 is not yours")


def test_generate_statement(s):
    st = ok(s.call("generate_statement", {"account": 1, "year": 2025, "month": 3}))
    assert (
        st["id"],
        st["period"],
        st["opening_balance"],
        st["closing_balance"],
        st["total_in"],
        st["total_out"],
        st["transaction_count"],
    ) == (6, "2025-03", 8223.17, 4881.22, 0, 3341.95, 10)
    # regenerating an existing month updates it in place (the seeded February figures are right)
    feb = ok(s.call("generate_statement", {"account": 1, "year": 2025, "month": 2}))
    assert (feb["id"], feb["opening_balance"], feb["closing_balance"], feb["transaction_count"]) == (
        2,
        7872.27,
        8223.17,
        14,
    )
    assert feb["generated_at"] == "2025-03-15 10:00:02"
    ok(s.call("deposit", {"account": 1, "amount": 19.78}))
    again = ok(s.call("generate_statement", {"account": 1, "year": 2025, "month": 3}))
    assert (again["id"], again["closing_balance"], again["total_in"], again["transaction_count"]) == (
        6,
        4901.00,
        19.78,
        11,
    )
    assert s.query("SELECT COUNT(*) FROM statement WHERE account_id = 1") == [(3,)]


def test_generate_statement_failures(s):
    fails(
        s, "generate_statement", {"account": 1, "year": 2025, "month": 4}, "bad_period", "2025-04 has not started yet"
    )
    fails(s, "generate_statement", {"account": 5, "year": 2025, "month": 1}, "forbidden")
    fails(s, "generate_statement", {"account": 1, "year": 2025, "month": 13}, "invalid_arguments")


def test_list_statements(s):
    assert [(x["account_id"], x["period"]) for x in ok(s.call("list_statements"))] == [
        (1, "2025-01"),
        (1, "2025-02"),
        (2, "2025-01"),
    ]
    assert [x["closing_balance"] for x in ok(s.call("list_statements", {"account_id": 1}))] == [7872.27, 8223.17]
    assert ok(s.call("list_statements", {"account_id": 5})) == []


def test_list_statements_bad_limit(s):
    fails(s, "list_statements", {"limit": 500}, "invalid_arguments")


# ---- cards -------------------------------------------------------------------------------------------------------


def test_list_cards(s):
    assert [(c["id"], c["last4"], c["status"]) for c in ok(s.call("list_cards", {"account_id": 1}))] == [
        (1, "4821", "active"),
        (2, "7730", "frozen"),
        (4, "3357", "active"),
    ]
    assert [c["id"] for c in ok(s.call("list_cards", {"status": "cancelled"}))] == [3]


def test_list_cards_bad_status(s):
    fails(s, "list_cards", {"status": "lost"}, "invalid_arguments")


def test_order_card(s):
    acc = ok(s.call("open_account", {"kind": "checking"}))
    card = ok(s.call("order_card", {"account": acc["id"], "network": "mastercard", "daily_limit": 250}))
    assert card == {
        "id": 12,
        "account_id": 17,
        "network": "mastercard",
        "last4": "6028",
        "status": "active",
        "daily_limit": 250,
        "expires_on": "2029-03-15",
        "issued_on": "2025-03-15",
    }
    assert s.query("SELECT account_id, status FROM card WHERE id = 12") == [(17, "active")]


def test_order_card_failures(s):
    fails(
        s,
        "order_card",
        {"account": 1},
        "too_many_cards",
        "account CHK-100001 already has 3 cards that are not cancelled (the maximum is 3)",
    )
    fails(
        s,
        "order_card",
        {"account": 2},
        "not_checking",
        "cards can only be issued on checking accounts; SAV-100002 is a savings account",
    )
    fails(s, "order_card", {"account": 4}, "account_not_open", "account CHK-100004 is closed")
    fails(s, "order_card", {"account": 5}, "forbidden")


def test_set_card_status(s):
    assert ok(s.call("set_card_status", {"card": 1, "status": "frozen"}))["status"] == "frozen"
    fails(
        s,
        "card_payment",
        {"card": 1, "amount": 10, "merchant": "Cafe"},
        "card_not_active",
        "card ending 4821 is frozen and cannot pay",
    )
    assert ok(s.call("set_card_status", {"card": 2, "status": "active"}))["status"] == "active"
    assert ok(s.call("set_card_status", {"card": 1, "status": "cancelled"}))["status"] == "cancelled"
    assert s.query("SELECT id, status FROM card WHERE id IN (1, 2) ORDER BY id") == [(1, "cancelled"), (2, "active")]


def test_set_card_status_failures(s):
    fails(
        s,
        "set_card_status",
        {"card": 3, "status": "active"},
        "card_cancelled",
        "card ending 1102 is cancelled; order a new card",
    )
    fails(s, "set_card_status", {"card": 1, "status": "active"}, "no_change", "card ending 4821 is already active")
    ok(s.call("set_card_status", {"card": 4, "status": "frozen"}))
    fails(
        s, "set_card_status", {"card": 4, "status": "active"}, "card_expired", "card ending 3357 expired on 2025-02-28"
    )
    fails(s, "set_card_status", {"card": 5, "status": "frozen"}, "forbidden", "card 5 is not yours")
    fails(s, "set_card_status", {"card": 1, "status": "lost"}, "invalid_arguments")


def test_freeze_cards(s):
    cards = ok(s.call("freeze_cards", {"cards": [1, 2]}))
    assert [(c["id"], c["status"]) for c in cards] == [(1, "frozen"), (2, "frozen")]
    assert s.query("SELECT id, status FROM card WHERE id IN (1, 2, 4) ORDER BY id") == [
        (1, "frozen"),
        (2, "frozen"),
        (4, "active"),
    ]
    fails(s, "card_payment", {"card": 1, "amount": 5, "merchant": "Muni"}, "card_not_active")


def test_freeze_cards_all_or_nothing(s):
    fails(s, "freeze_cards", {"cards": [1, 3]}, "card_cancelled", "card ending 1102 is cancelled")
    fails(s, "freeze_cards", {"cards": [1, 5]}, "forbidden", "card 5 is not yours")
    fails(s, "freeze_cards", {"cards": [1, 99]}, "not_found", "Card 99 not found")
    fails(s, "freeze_cards", {"cards": []}, "invalid_arguments")
    assert s.query("SELECT status FROM card WHERE id = 1") == [("active",)]


def test_set_card_limit(s):
    assert ok(s.call("set_card_limit", {"card": 2, "daily_limit": 1500}))["daily_limit"] == 1500
    assert s.query("SELECT daily_limit FROM card WHERE id = 2") == [(150000,)]


def test_set_card_limit_failures(s):
    fails(s, "set_card_limit", {"card": 3, "daily_limit": 100}, "card_cancelled", "card ending 1102 is cancelled")
    fails(s, "set_card_limit", {"card": 1, "daily_limit": 10001}, "invalid_arguments")
    fails(s, "set_card_limit", {"card": 1, "daily_limit": 99.999}, "invalid_arguments")
    fails(s, "set_card_limit", {"card": 9, "daily_limit": 100}, "forbidden")


def test_card_payment(s):
    t = ok(s.call("card_payment", {"card": 1, "amount": 151, "merchant": "Zuni Cafe", "category": "dining"}))
    assert (t["kind"], t["category"], t["card_id"], t["counterparty"], t["balance_after"]) == (
        "card_payment",
        "dining",
        1,
        "Zuni Cafe",
        4730.22,
    )
    assert balance(s, 1) == 4730.22
    # 849 + 151 used the whole 1000 daily limit
    fails(
        s,
        "card_payment",
        {"card": 1, "amount": 0.01, "merchant": "Zuni Cafe"},
        "daily_limit_exceeded",
        "card ending 4821 has spent 1000.00 of its 1000.00 daily limit today; 0.01 more is over the limit",
    )


def test_card_payment_failures(s):
    fails(
        s,
        "card_payment",
        {"card": 1, "amount": 151.01, "merchant": "Zuni Cafe"},
        "daily_limit_exceeded",
        "card ending 4821 has spent 849.00 of its 1000.00 daily limit today; 151.01 more is over the limit",
    )
    fails(
        s,
        "card_payment",
        {"card": 2, "amount": 5, "merchant": "Muni"},
        "card_not_active",
        "card ending 7730 is frozen and cannot pay",
    )
    fails(
        s,
        "card_payment",
        {"card": 3, "amount": 5, "merchant": "Muni"},
        "card_not_active",
        "card ending 1102 is cancelled and cannot pay",
    )
    fails(
        s,
        "card_payment",
        {"card": 4, "amount": 5, "merchant": "Muni"},
        "card_expired",
        "card ending 3357 expired on 2025-02-28",
    )
    fails(s, "card_payment", {"card": 5, "amount": 5, "merchant": "Muni"}, "forbidden")
    fails(s, "card_payment", {"card": 1, "amount": -5, "merchant": "Muni"}, "invalid_amount")
    ok(s.call("set_card_limit", {"card": 1, "daily_limit": 10000}))
    fails(
        s,
        "card_payment",
        {"card": 1, "amount": 5381.23, "merchant": "Tesla"},
        "insufficient_funds",
        "account CHK-100001 has 5381.22 USD available (balance plus overdraft), 5381.23 requested",
    )


# ---- payees ---------------------------------------------------------------------------------------------------------


def test_list_payees(s):
    assert [p["name"] for p in ok(s.call("list_payees", {"category": "utilities"}))] == [
        "Pacific Gas & Electric",
        "Comcast Xfinity",
    ]
    assert len(ok(s.call("list_payees"))) == 6


def test_list_payees_bad_category(s):
    fails(s, "list_payees", {"category": "gambling"}, "invalid_arguments")


def test_find_payees(s):
    assert [p["id"] for p in ok(s.call("find_payees", {"query": "GAS"}))] == [2]
    assert [p["name"] for p in ok(s.call("find_payees", {"query": "US"}))] == [
        "Bay Property Management",
        "City Gym",
        "Comcast Xfinity",
        "Jordan Lee",
        "Pacific Gas & Electric",
    ]
    assert [p["id"] for p in ok(s.call("find_payees", {"query": "US4"}))] == [3]
    assert ok(s.call("find_payees", {"query": "us4"})) == []  # account numbers match case-sensitively
    assert ok(s.call("find_payees", {"query": "ComEd"})) == []  # Daniel's payee


def test_find_payees_empty_query(s):
    fails(s, "find_payees", {"query": ""}, "invalid_arguments")


def test_add_payee(s):
    p = ok(s.call("add_payee", {"name": "SF Muni", "account_number": "US55MUN1100220", "category": "transport"}))
    assert (p["id"], p["owner_id"], p["bank_name"], p["category"], p["created_at"]) == (
        19,
        1,
        None,
        "transport",
        "2025-03-15 10:00:01",
    )
    assert s.query("SELECT name FROM payee WHERE id = 19") == [("SF Muni",)]


def test_add_payee_failures(s, spec_session):
    fails(
        s,
        "add_payee",
        {"name": "City Gym", "account_number": "US1234567"},
        "duplicate_payee",
        "you already have a payee named City Gym",
    )
    fails(s, "add_payee", {"name": "Muni", "account_number": "US1"}, "invalid_arguments")
    # payee names are unique per customer only
    d = spec_session(SPEC, user=2)
    assert ok(d.call("add_payee", {"name": "City Gym", "account_number": "US1234567"}))["owner_id"] == 2


def test_update_payee(s):
    p = ok(s.call("update_payee", {"payee_id": 5, "category": "entertainment"}))
    assert (p["name"], p["category"], p["bank_name"]) == ("Jordan Lee", "entertainment", "Chase")
    t = ok(s.call("send_money", {"from_account": 1, "recipient": {"kind": "payee", "payee": 5}, "amount": 12}))
    assert t["category"] == "entertainment"


def test_update_payee_failures(s):
    fails(s, "update_payee", {"payee_id": 7, "name": "Mine now"}, "not_found", "Payee 7 not found")
    fails(s, "update_payee", {"payee_id": 99, "name": "Nobody"}, "not_found")
    fails(
        s,
        "update_payee",
        {"payee_id": 5, "name": "City Gym"},
        "duplicate_payee",
        "you already have another payee named City Gym",
    )
    fails(s, "update_payee", {"payee_id": 5, "name": "J"}, "invalid_arguments")


def test_update_payee_keeps_its_own_name_and_other_fields(s, spec_session):
    p = ok(s.call("update_payee", {"payee_id": 5, "name": "Jordan Lee", "bank_name": "Ally Bank"}))
    assert (p["name"], p["bank_name"], p["category"], p["account_number"]) == (
        "Jordan Lee",
        "Ally Bank",
        "other",
        "US71JLE3309172",
    )
    renamed = ok(s.call("update_payee", {"payee_id": 4, "name": "Equinox"}))
    assert (renamed["name"], renamed["bank_name"], renamed["category"]) == ("Equinox", "Chase", "health")
    # the old name is free again, and other customers' payee names never clash with yours
    assert ok(s.call("add_payee", {"name": "City Gym", "account_number": "US02CGY5521001"}))["id"] == 19
    d = spec_session(SPEC, user=2)
    assert ok(d.call("update_payee", {"payee_id": 9, "name": "Equinox"}))["name"] == "Equinox"


def test_delete_payee_cascades_to_its_schedules(s):
    assert ok(s.call("delete_payee", {"payee_id": 6})) == {"deleted": 6}
    assert s.query("SELECT COUNT(*) FROM payee WHERE id = 6") == [(0,)]
    assert s.query("SELECT COUNT(*) FROM scheduled_payment WHERE id = 5") == [(0,)]


def test_delete_payee_of_someone_else(s):
    fails(s, "delete_payee", {"payee_id": 7}, "not_found")


# ---- scheduled payments ----------------------------------------------------------------------------------------------


def test_list_scheduled_payments(s):
    assert [p["id"] for p in ok(s.call("list_scheduled_payments", {"status": "active"}))] == [1, 2, 4, 5]
    assert [p["memo"] for p in ok(s.call("list_scheduled_payments", {"account_id": 3}))] == ["Lisbon apartment deposit"]


def test_list_scheduled_payments_bad_status(s):
    fails(s, "list_scheduled_payments", {"status": "done"}, "invalid_arguments")


def test_update_scheduled_payment(s):
    p = ok(s.call("update_scheduled_payment", {"scheduled_payment_id": 2, "amount": 84.99}))
    assert (p["amount"], p["memo"], p["next_run"]) == (84.99, "Internet", "2025-03-24")
    assert s.query("SELECT amount FROM scheduled_payment WHERE id = 2") == [(8499,)]


def test_update_scheduled_payment_failures(s):
    fails(
        s,
        "update_scheduled_payment",
        {"scheduled_payment_id": 3, "amount": 50},
        "not_active",
        "scheduled payment 3 is paused; only active scheduled payments can be changed",
    )
    fails(
        s,
        "update_scheduled_payment",
        {"scheduled_payment_id": 6, "amount": 50},
        "not_found",
        "ScheduledPayment 6 not found",
    )  # Daniel's
    fails(s, "update_scheduled_payment", {"scheduled_payment_id": 99, "amount": 50}, "not_found")
    fails(
        s,
        "update_scheduled_payment",
        {"scheduled_payment_id": 1, "amount": -5},
        "invalid_amount",
        "amount must be positive, got -5.00",
    )
    fails(s, "update_scheduled_payment", {"scheduled_payment_id": 1, "amount": 0}, "invalid_amount")
    fails(s, "update_scheduled_payment", {"scheduled_payment_id": 1, "amount": 10.005}, "invalid_arguments")
    fails(s, "update_scheduled_payment", {"scheduled_payment_id": 1, "memo": ""}, "invalid_arguments")


def test_update_scheduled_payment_memo_only(s):
    p = ok(s.call("update_scheduled_payment", {"scheduled_payment_id": 1, "memo": "Rent (Bay Property)"}))
    assert (p["amount"], p["memo"], p["status"]) == (2100, "Rent (Bay Property)", "active")


def test_schedule_payment(s):
    p = ok(
        s.call(
            "schedule_payment",
            {
                "account": 1,
                "payee": 2,
                "amount": 110,
                "first_run": "2025-03-20",
                "frequency": "weekly",
                "memo": "Energy",
            },
        )
    )
    assert (p["id"], p["status"], p["runs"], p["next_run"], p["frequency"]) == (12, "active", 0, "2025-03-20", "weekly")
    assert s.query("SELECT account_id, payee_id, amount FROM scheduled_payment WHERE id = 12") == [(1, 2, 11000)]


def test_schedule_payment_failures(s):
    fails(
        s,
        "schedule_payment",
        {"account": 1, "payee": 2, "amount": 10, "first_run": "2025-03-14"},
        "bad_date",
        "first_run 2025-03-14 must be between today and 365 days ahead",
    )
    fails(s, "schedule_payment", {"account": 1, "payee": 2, "amount": 10, "first_run": "2026-03-16"}, "bad_date")
    fails(
        s,
        "schedule_payment",
        {"account": 1, "payee": 7, "amount": 10, "first_run": "2025-04-01"},
        "forbidden",
        "payee 7 is not one of your payees",
    )
    fails(
        s, "schedule_payment", {"account": 4, "payee": 2, "amount": 10, "first_run": "2025-04-01"}, "account_not_open"
    )
    fails(s, "schedule_payment", {"account": 1, "payee": 2, "amount": 0, "first_run": "2025-04-01"}, "invalid_amount")


def test_cancel_scheduled_payment(s):
    assert ok(s.call("cancel_scheduled_payment", {"scheduled_payment": 3}))["status"] == "cancelled"
    assert s.query("SELECT status FROM scheduled_payment WHERE id = 3") == [("cancelled",)]


def test_cancel_scheduled_payment_failures(s):
    ok(s.call("cancel_scheduled_payment", {"scheduled_payment": 2}))
    fails(
        s, "cancel_scheduled_payment", {"scheduled_payment": 2}, "not_cancellable", "scheduled payment 2 is cancelled"
    )
    fails(s, "cancel_scheduled_payment", {"scheduled_payment": 6}, "forbidden", "scheduled payment 6 is not yours")
    fails(s, "cancel_scheduled_payment", {"scheduled_payment": 99}, "not_found")


def test_set_scheduled_payment_paused(s):
    assert ok(s.call("set_scheduled_payment_paused", {"scheduled_payment": 1, "paused": True}))["status"] == "paused"
    resumed = ok(s.call("set_scheduled_payment_paused", {"scheduled_payment": 3, "paused": False}))
    assert (resumed["status"], resumed["next_run"]) == ("active", "2025-04-04")
    ok(s.call("set_scheduled_payment_paused", {"scheduled_payment": 4, "paused": True}))
    overdue = ok(s.call("set_scheduled_payment_paused", {"scheduled_payment": 4, "paused": False}))
    assert (overdue["status"], overdue["next_run"]) == ("active", "2025-03-15")
    assert s.query("SELECT id, status FROM scheduled_payment WHERE id IN (1, 3) ORDER BY id") == [
        (1, "paused"),
        (3, "active"),
    ]


def test_set_scheduled_payment_paused_failures(s):
    fails(
        s,
        "set_scheduled_payment_paused",
        {"scheduled_payment": 1, "paused": False},
        "bad_status",
        "scheduled payment 1 is active, only paused payments can be resumed",
    )
    fails(
        s,
        "set_scheduled_payment_paused",
        {"scheduled_payment": 3, "paused": True},
        "bad_status",
        "scheduled payment 3 is paused, only active payments can be paused",
    )
    fails(s, "set_scheduled_payment_paused", {"scheduled_payment": 7, "paused": True}, "forbidden")


def test_clear_finished_scheduled_payments(s, spec_session):
    ok(s.call("cancel_scheduled_payment", {"scheduled_payment": 2}))
    ok(s.call("run_due_payments"))  # completes the one-off payment 4
    assert ok(s.call("clear_finished_scheduled_payments")) == 2
    assert s.query("SELECT id FROM scheduled_payment WHERE id IN (1, 2, 3, 4, 5) ORDER BY id") == [(1,), (3,), (5,)]
    a = spec_session(SPEC, user=7)  # Amara's cancelled payment is hers alone to clear
    assert ok(a.call("clear_finished_scheduled_payments")) == 1
    assert s.query("SELECT COUNT(*) FROM scheduled_payment WHERE id = 10") == [(1,)]


def test_clear_finished_scheduled_payments_nothing_to_clear(s):
    fails(
        s,
        "clear_finished_scheduled_payments",
        {},
        "nothing_to_clear",
        "you have no completed or cancelled scheduled payments",
    )


def test_upcoming_payments(s):
    assert [(p["id"], p["next_run"]) for p in ok(s.call("upcoming_payments", {"days_ahead": 10}))] == [
        (5, "2025-03-10"),
        (4, "2025-03-14"),
        (2, "2025-03-24"),
    ]
    assert [p["id"] for p in ok(s.call("upcoming_payments", {"days_ahead": 0}))] == [5, 4]
    assert [p["id"] for p in ok(s.call("upcoming_payments"))] == [5, 4, 2, 1]


def test_upcoming_payments_bad_days(s):
    fails(s, "upcoming_payments", {"days_ahead": -1}, "invalid_arguments")


def test_run_due_payments(s):
    ok(
        s.call(
            "schedule_payment",
            {"account": 2, "payee": 5, "amount": 25, "first_run": "2025-03-15", "frequency": "weekly"},
        )
    )
    runs = ok(s.call("run_due_payments"))
    assert [(r["scheduled_payment"]["id"], r["outcome"]) for r in runs] == [(5, "skipped"), (4, "paid"), (12, "paid")]
    assert runs[0]["message"] == "insufficient funds: 1551.85 EUR available, 2000.00 needed"
    assert runs[0]["transaction"] is None
    assert runs[1]["message"] == "paid 150.00 USD to Jordan Lee"
    assert (
        runs[1]["transaction"]["kind"],
        runs[1]["transaction"]["balance_after"],
        runs[1]["transaction"]["description"],
    ) == ("bill_payment", 4731.22, "Ski cabin share")
    assert s.query("SELECT id, status, runs, next_run FROM scheduled_payment WHERE id IN (4, 5, 12) ORDER BY id") == [
        (4, "completed", 1, "2025-03-14"),
        (5, "active", 0, "2025-03-10"),
        (12, "active", 1, "2025-03-22"),
    ]
    assert (balance(s, 1), balance(s, 2), balance(s, 3)) == (4731.22, 9389.17, 1551.85)
    # running again: only the underfunded payment is still due
    assert [(r["scheduled_payment"]["id"], r["outcome"]) for r in ok(s.call("run_due_payments"))] == [(5, "skipped")]


def test_run_due_payments_rejects_arguments(s):
    fails(s, "run_due_payments", {"dry_run": True}, "invalid_arguments")


# ---- loans ----------------------------------------------------------------------------------------------------------------


def test_list_loans(s):
    assert [(l["id"], l["status"]) for l in ok(s.call("list_loans"))] == [(1, "active"), (2, "paid_off")]
    assert [l["outstanding"] for l in ok(s.call("list_loans", {"status": "active"}))] == [11680]


def test_list_loans_bad_status(s):
    fails(s, "list_loans", {"status": "defaulted"}, "invalid_arguments")


def test_get_loan(s):
    loan = ok(s.call("get_loan", {"loan_id": 1}))
    assert (loan["purpose"], loan["principal"], loan["outstanding"], loan["annual_rate"], loan["monthly_payment"]) == (
        "Car loan - 2022 Toyota RAV4",
        24000,
        11680,
        6.4,
        420,
    )


def test_get_loan_of_someone_else(s):
    fails(s, "get_loan", {"loan_id": 3}, "not_found")


def test_repay_loan(s):
    rep = ok(s.call("repay_loan", {"loan": 1, "from_account": 1, "amount": 420}))
    assert (rep["id"], rep["loan_id"], rep["account_id"], rep["amount"], rep["outstanding_after"]) == (
        11,
        1,
        1,
        420,
        11260,
    )
    assert balance(s, 1) == 4461.22
    assert s.query('SELECT kind, category, amount, counterparty FROM "transaction" WHERE id = 129') == [
        ("loan_repayment", "loan", 42000, "Loan #1")
    ]
    # paying off the rest closes the loan
    ok(s.call("transfer", {"from_account": 2, "to_account": 1, "amount": 7000}))
    last = ok(s.call("repay_loan", {"loan": 1, "from_account": 1, "amount": 11260}))
    assert last["outstanding_after"] == 0
    assert s.query("SELECT status, outstanding FROM loan WHERE id = 1") == [("paid_off", 0)]


def test_repay_loan_failures(s):
    fails(
        s,
        "repay_loan",
        {"loan": 1, "from_account": 2, "amount": 11680.01},
        "overpayment",
        "loan 1 has only 11680.00 USD outstanding, 11680.01 offered",
    )
    fails(s, "repay_loan", {"loan": 2, "from_account": 1, "amount": 10}, "loan_not_active", "loan 2 is paid_off")
    fails(
        s,
        "repay_loan",
        {"loan": 1, "from_account": 3, "amount": 10},
        "currency_mismatch",
        "loan 1 is in USD but SAV-100003 is in EUR",
    )
    fails(s, "repay_loan", {"loan": 3, "from_account": 1, "amount": 10}, "forbidden", "loan 3 is not yours")
    fails(s, "repay_loan", {"loan": 1, "from_account": 1, "amount": 6000}, "insufficient_funds")
    fails(s, "repay_loan", {"loan": 1, "from_account": 1, "amount": 10.555}, "invalid_arguments")


def test_loan_summary(s):
    summary = ok(s.call("loan_summary", {"loan": 1}))
    assert summary["loan"]["id"] == 1
    assert {k: v for k, v in summary.items() if k != "loan"} == {
        "repaid_total": 840,
        "repayment_count": 2,
        "last_paid_at": "2025-02-15 07:00:00",
        "payments_left": 28,
        "days_to_end": 900,
    }
    paid = ok(s.call("loan_summary", {"loan": 2}))
    assert (paid["payments_left"], paid["repaid_total"], paid["days_to_end"]) == (0, 150, -95)


def test_loan_summary_of_someone_else(s):
    fails(s, "loan_summary", {"loan": 5}, "forbidden", "loan 5 is not yours")


# ---- invariants ---------------------------------------------------------------------------------------------------------

INVARIANTS = {
    "within_overdraft",
    "balance_is_sum_of_transactions",
    "balance_matches_latest_transaction",
    "transfer_out_has_incoming_leg",
    "transfer_in_has_outgoing_leg",
    "transfer_ref_has_two_legs",
    "loan_status_matches_outstanding",
    "loan_outstanding_matches_repayments",
    "repayment_in_loan_currency",
    "card_payment_from_card_account",
    "cards_on_checking_only",
    "closed_account_is_empty",
    "at_most_three_live_cards",
    "at_most_six_open_accounts",
    "schedule_pays_own_payee",
    "statement_adds_up",
    "statement_month_has_started",
    "deposit_at_most_10000",
    "daily_cash_limit",
    "no_money_out_of_frozen_accounts",
    "transfer_legs_on_two_accounts",
    "transfer_legs_in_one_currency",
    "card_pays_until_expiry",
    "closed_account_has_no_live_schedules",
    "schedule_never_runs_before_creation",
    "completed_means_one_off_paid_once",
}


def enforcing(**kwargs):
    from conftest import load_spec_env

    return load_spec_env(SPEC).session(invariants="enforce", **kwargs)


def test_seed_satisfies_every_invariant(s):
    assert set(s.env.invariants) == INVARIANTS
    assert s.check_invariants() == []


def test_invariants_hold_through_a_realistic_day_of_banking():
    s = enforcing()
    try:
        acc = ok(s.call("open_account", {"kind": "checking", "currency": "USD", "nickname": "Bills"}))
        ok(s.call("transfer", {"from_account": 2, "to_account": acc["id"], "amount": 800}))
        ok(
            s.call(
                "batch_transfer",
                {
                    "transfers": [
                        {"from_account": 1, "to_account": 2, "amount": 5000},
                        {"from_account": acc["id"], "to_account": 1, "amount": 300},
                    ]
                },
            )
        )
        ok(
            s.call(
                "send_money",
                {"from_account": 1, "recipient": {"kind": "customer_account", "number": "CHK-100005"}, "amount": 75},
            )
        )
        ok(
            s.call(
                "send_money", {"from_account": acc["id"], "recipient": {"kind": "payee", "payee": 2}, "amount": 104.66}
            )
        )
        card = ok(s.call("order_card", {"account": acc["id"], "daily_limit": 300}))
        ok(s.call("card_payment", {"card": card["id"], "amount": 42.5, "merchant": "Safeway", "category": "groceries"}))
        ok(s.call("withdraw", {"account": 1, "amount": 120}))
        ok(s.call("deposit", {"account": 3, "amount": 250}))
        ok(s.call("repay_loan", {"loan": 1, "from_account": 2, "amount": 11680}))
        ok(s.call("run_due_payments"))
        ok(s.call("generate_statement", {"account": 1, "year": 2025, "month": 3}))
        assert balance(s, 1) == -163.78
        ok(s.call("set_overdraft_limit", {"account": 1, "limit": 1000}))
        # empty the new account and close it: its card is cancelled with it
        left = balance(s, acc["id"])
        ok(s.call("transfer", {"from_account": acc["id"], "to_account": 2, "amount": left}))
        ok(s.call("close_account", {"account": acc["id"]}))
        assert s.query("SELECT status FROM card WHERE id = ?", (card["id"],)) == [("cancelled",)]
        assert s.query("SELECT status, outstanding FROM loan WHERE id = 1") == [("paid_off", 0)]
        assert s.check_invariants() == []
    finally:
        s.close()


def test_enforce_rejects_a_backdated_transaction():
    # A session whose clock starts before the seeded history would post a deposit that is not the
    # account's latest transaction, so the latest one no longer carries the balance: enforce refuses it.
    s = enforcing(clock="2024-12-31 09:00:00")
    try:
        e = err(s.call("deposit", {"account": 1, "amount": 10}), "invariant_violation")
        assert [(v["invariant"], v["rows"]) for v in e["details"]["violations"]] == [
            ("balance_matches_latest_transaction", [128])
        ]
        assert balance(s, 1) == 4881.22
        assert s.query('SELECT COUNT(*) FROM "transaction"') == [(128,)]
        # a call that writes nothing wrong still goes through
        assert ok(s.call("rename_account", {"account_id": 1, "nickname": "Daily"}))["nickname"] == "Daily"
    finally:
        s.close()


# ---- tasks --------------------------------------------------------------------------------------------------------------


def test_question_tasks_reject_wrong_answers(spec_session):
    s = spec_session(SPEC)
    assert s.verify("february_dining", answer="You spent 202.20 USD on dining.")["passed"] is True
    assert s.verify("february_dining", answer="You spent 256.40 USD on dining.")["passed"] is False
    assert s.verify("usd_open_total", answer="14,295.39")["passed"] is True
    assert s.verify("usd_open_total", answer="15,846.24")["passed"] is False  # would wrongly include the EUR account
    assert s.verify("largest_card_payment", answer="849.00 at Best Buy")["passed"] is False


def test_write_tasks_score_partial_runs(spec_session):
    s = spec_session(SPEC)
    ok(s.call("transfer", {"from_account": 2, "to_account": 1, "amount": 1000}))  # the top-up but not the repayment
    report = s.verify("top_up_and_repay_car_loan")
    assert report["passed"] is False and 0 < report["reward"] < 1
    s2 = spec_session(SPEC)
    ok(s2.call("set_card_status", {"card": 1, "status": "frozen"}))  # freezes 4821 but leaves 3357 uncancelled
    lost = s2.verify("lost_wallet")
    assert lost["passed"] is False
    assert [c["passed"] for c in lost["checks"]] == [False, False, True, True]
