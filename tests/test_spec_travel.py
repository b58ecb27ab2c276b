"""Tests for specs/travel.awm: flights, hotels, itineraries, payments, cancellations, loyalty.

The session clock starts at 2025-06-02 09:00:00; user 1 is Maya Chen (silver, 8579 points).
"""

from __future__ import annotations

from conftest import load_spec_env
from spec_helpers import err, ok, state

TABLES = (
    "airport",
    "traveller",
    "flight",
    "flight_fare",
    "hotel",
    "room",
    "itinerary",
    "flight_booking",
    "passenger",
    "hotel_reservation",
    "payment",
    "refund",
    "loyalty_entry",
    "voucher",
    "hotel_review",
)

CARD = {"kind": "card", "number": "4111111111111111", "holder": "Maya Chen", "expiry": "09/27"}
MAYA = {"full_name": "Maya Chen", "birth_date": "1990-04-12", "passport_number": "548812345"}


def one(s, sql, params=()):
    rows = s.query(sql, params)
    assert len(rows) == 1, rows
    return rows[0][0] if len(rows[0]) == 1 else rows[0]


def points(s, traveller=1):
    return one(s, "SELECT points FROM traveller WHERE id = ?", (traveller,))


# ---- coverage -------------------------------------------------------------------------------


def test_seed_row_counts(spec_session):
    s = spec_session("travel")
    counts = {t: one(s, f"SELECT COUNT(*) FROM {t}") for t in TABLES}
    assert counts["airport"] == 15 and counts["flight"] == 32 and counts["flight_fare"] == 57
    assert counts["hotel"] == 12 and counts["room"] == 32
    assert sum(counts.values()) >= 150


# ---- CRUD: airports, flights, hotels --------------------------------------------------------


def test_get_airport(spec_session):
    s = spec_session("travel")
    a = ok(s.call("get_airport", {"airport_code": "DXB"}))
    assert a == {"code": "DXB", "name": "Dubai International", "city": "Dubai", "country": "United Arab Emirates"}
    err(s.call("get_airport", {"airport_code": "XYZ"}), "not_found")
    err(s.call("get_airport", {"airport_id": "DXB"}), "invalid_arguments")


def test_list_airports(spec_session):
    s = spec_session("travel")
    rows = ok(s.call("list_airports", {"country": "Spain"}))
    assert [a["code"] for a in rows] == ["BCN", "MAD"]
    rows = ok(s.call("list_airports", {"limit": 3, "offset": 1}))
    assert [a["code"] for a in rows] == ["BCN", "BOS", "CDG"]
    err(s.call("list_airports", {"limit": 0}), "invalid_arguments")


def test_get_flight(spec_session):
    s = spec_session("travel")
    f = ok(s.call("get_flight", {"flight_id": 13}))
    assert f["number"] == "BA117" and f["origin_id"] == "LHR" and f["destination_id"] == "JFK"
    assert f["departs_at"] == "2025-07-15 08:25:00" and f["duration_minutes"] == 480 and f["status"] == "scheduled"
    err(s.call("get_flight", {"flight_id": 999}), "not_found")


def test_list_flight_fares(spec_session):
    s = spec_session("travel")
    fares = ok(s.call("list_flight_fares", {"flight_id": 3}))
    assert [(f["id"], f["fare_class"], f["price"], f["seats_available"]) for f in fares] == [
        (5, "economy", 98.5, 3),
        (6, "business", 310.0, 0),
    ]
    biz = ok(s.call("list_flight_fares", {"fare_class": "business", "limit": 200}))
    assert len(biz) == 25 and all(f["fare_class"] == "business" for f in biz)
    err(s.call("list_flight_fares", {"fare_class": "first"}), "invalid_arguments")


def test_get_hotel(spec_session):
    s = spec_session("travel")
    h = ok(s.call("get_hotel", {"hotel_id": 12}))
    assert h["name"] == "Marina Pearl Dubai" and h["stars"] == 5 and h["city"] == "Dubai"
    err(s.call("get_hotel", {"hotel_id": 77}), "not_found")


def test_list_rooms(spec_session):
    s = spec_session("travel")
    rooms = ok(s.call("list_rooms", {"hotel_id": 2}))
    assert [(r["id"], r["kind"], r["nightly_rate"], r["inventory"]) for r in rooms] == [
        (4, "single", 89.0, 3),
        (5, "double", 118.0, 2),
        (6, "twin", 112.0, 4),
    ]
    suites = ok(s.call("list_rooms", {"kind": "suite"}))
    assert {r["hotel_id"] for r in suites} == {1, 3, 6, 7, 9, 12}
    err(s.call("list_rooms", {"kind": "penthouse"}), "invalid_arguments")


def test_list_hotel_reviews(spec_session):
    s = spec_session("travel")
    reviews = ok(s.call("list_hotel_reviews", {"hotel_id": 6}))
    assert [(r["traveller_id"], r["stars"]) for r in reviews] == [(1, 5), (3, 4)]
    fives = ok(s.call("list_hotel_reviews", {"stars": 5}))
    assert len(fives) == 5
    err(s.call("list_hotel_reviews", {"stars": "five"}), "invalid_arguments")


# ---- profile ----------------------------------------------------------------------------------


def test_my_profile(spec_session):
    s = spec_session("travel")
    me = ok(s.call("my_profile", {}))
    assert me["name"] == "Maya Chen" and me["tier"] == "silver" and me["points"] == 8579
    assert me["home_airport_id"] == "LHR"
    s5 = spec_session("travel", user=5)
    assert ok(s5.call("my_profile", {}))["tier"] == "gold"
    err(s.call("my_profile", {"id": 2}), "invalid_arguments")


def test_update_profile(spec_session):
    s = spec_session("travel")
    me = ok(s.call("update_profile", {"traveller_id": 1, "phone": "+44 7700 900999", "home_airport_id": "AMS"}))
    assert me["phone"] == "+44 7700 900999" and me["home_airport_id"] == "AMS" and me["name"] == "Maya Chen"
    assert s.query("SELECT phone, home_airport_id FROM traveller WHERE id = 1") == [("+44 7700 900999", "AMS")]


def test_update_profile_failures(spec_session):
    s = spec_session("travel")
    before = state(s)
    err(s.call("update_profile", {"traveller_id": 2, "phone": "000"}), "not_found")
    err(s.call("update_profile", {"traveller_id": 1, "home_airport_id": "ZZZ"}), "not_found")
    err(s.call("update_profile", {"traveller_id": 1, "name": ""}), "invalid_arguments")
    assert state(s) == before


def test_loyalty_history(spec_session):
    s = spec_session("travel")
    entries = ok(s.call("loyalty_history", {}))
    assert len(entries) == 12 and sum(e["points"] for e in entries) == 8579
    assert all(e["traveller_id"] == 1 for e in entries)
    err(s.call("loyalty_history", {"offset": -1}), "invalid_arguments")


def test_list_my_vouchers(spec_session):
    s = spec_session("travel")
    vs = ok(s.call("list_my_vouchers", {}))
    assert [(v["code"], v["balance"]) for v in vs] == [
        ("MAYA-CREDIT", 244.0),
        ("SUMMER-150", 150.0),
        ("WELCOME-50", 50.0),
    ]
    s3 = spec_session("travel", user=3)
    assert [v["code"] for v in ok(s3.call("list_my_vouchers", {}))] == ["SOFIA-GIFT"]
    err(s.call("list_my_vouchers", {"limit": 201}), "invalid_arguments")


def test_list_my_payments(spec_session):
    s = spec_session("travel")
    assert len(ok(s.call("list_my_payments", {}))) == 10
    vouchers = ok(s.call("list_my_payments", {"method": "voucher"}))
    assert [(p["id"], p["amount"], p["voucher_id"]) for p in vouchers] == [(14, 256.0, "MAYA-CREDIT")]
    err(s.call("list_my_payments", {"method": "cash"}), "invalid_arguments")


def test_list_my_refunds(spec_session):
    s = spec_session("travel")
    refunds = ok(s.call("list_my_refunds", {}))
    assert [(r["payment_id"], r["amount"], r["fee"]) for r in refunds] == [(12, 71.25, 23.75)]
    s2 = spec_session("travel", user=2)
    assert ok(s2.call("list_my_refunds", {})) == []
    err(s.call("list_my_refunds", {"limit": "ten"}), "invalid_arguments")


def test_my_spending(spec_session):
    s = spec_session("travel")
    groups = ok(s.call("my_spending", {}))
    assert groups == [
        {"method": "card", "payments": 8, "total": 5378.0, "latest": "2025-05-28 08:02:00"},
        {"method": "points", "payments": 1, "total": 39.99, "latest": "2025-05-28 08:05:00"},
        {"method": "voucher", "payments": 1, "total": 256.0, "latest": "2025-05-25 20:05:00"},
    ]
    s4 = spec_session("travel", user=4)
    assert ok(s4.call("my_spending", {})) == [
        {"method": "card", "payments": 1, "total": 354.0, "latest": "2025-05-11 09:43:00"}
    ]
    err(s.call("my_spending", {"method": "card"}), "invalid_arguments")


# ---- search -------------------------------------------------------------------------------------


def test_find_airports(spec_session):
    s = spec_session("travel")
    assert [a["code"] for a in ok(s.call("find_airports", {"query": "LH"}))] == ["LHR"]
    assert [a["code"] for a in ok(s.call("find_airports", {"query": "new york"}))] == ["JFK"]
    assert [a["code"] for a in ok(s.call("find_airports", {"query": "heathrow"}))] == ["LHR"]
    assert ok(s.call("find_airports", {"query": "zzz"})) == []
    err(s.call("find_airports", {"query": ""}), "invalid_arguments")


def test_search_flights_sorting(spec_session):
    s = spec_session("travel")
    args = {"origin": "LHR", "destination": "CDG", "date": "2025-06-20"}
    by_price = ok(s.call("search_flights", args))
    assert [o["fare_id"] for o in by_price] == [5, 3, 1]
    assert [o["price"] for o in by_price] == [98.5, 129.0, 142.0]
    assert by_price[0]["number"] == "BA318" and by_price[0]["flight_id"] == 3 and by_price[0]["duration_minutes"] == 75
    by_duration = ok(s.call("search_flights", {**args, "sort_by": "duration"}))
    assert [o["fare_id"] for o in by_duration] == [5, 1, 3]
    by_departure = ok(s.call("search_flights", {**args, "sort_by": "departure"}))
    assert [o["departs_at"] for o in by_departure] == [
        "2025-06-20 07:30:00",
        "2025-06-20 10:15:00",
        "2025-06-20 18:05:00",
    ]


def test_search_flights_filters(spec_session):
    s = spec_session("travel")
    args = {"origin": "LHR", "destination": "CDG", "date": "2025-06-20"}
    four = ok(s.call("search_flights", {**args, "passengers": 4}))
    assert [o["fare_id"] for o in four] == [3, 1]
    assert [o["total"] for o in four] == [516.0, 568.0]
    cheap = ok(s.call("search_flights", {**args, "max_price": 130}))
    assert [o["fare_id"] for o in cheap] == [5, 3]
    biz = ok(
        s.call(
            "search_flights",
            {"origin": "LHR", "destination": "JFK", "date": "2025-07-15", "fare_class": "business", "passengers": 3},
        )
    )
    assert [(o["number"], o["total"]) for o in biz] == [("VS3", 7950.0), ("BA117", 8670.0)]
    # an airline-cancelled flight is not offered
    assert ok(s.call("search_flights", {"origin": "DUB", "destination": "LHR", "date": "2025-06-08"})) == []
    # today's delayed flight is still offered
    today = ok(s.call("search_flights", {"origin": "LHR", "destination": "CDG", "date": "2025-06-02"}))
    assert [o["number"] for o in today] == ["BA306"]


def test_search_flights_failures(spec_session):
    s = spec_session("travel")
    err(
        s.call("search_flights", {"origin": "LHR", "destination": "LHR", "date": "2025-06-20"}),
        "same_airport",
        "origin and destination are both LHR",
    )
    err(
        s.call("search_flights", {"origin": "LHR", "destination": "CDG", "date": "2025-05-18"}),
        "date_in_past",
        "2025-05-18 is in the past; today is 2025-06-02",
    )
    err(s.call("search_flights", {"origin": "LHR", "destination": "XXX", "date": "2025-06-20"}), "not_found")
    err(
        s.call("search_flights", {"origin": "LHR", "destination": "CDG", "date": "2025-06-20", "passengers": 10}),
        "invalid_arguments",
    )


def test_search_hotels(spec_session):
    s = spec_session("travel")
    offers = ok(
        s.call(
            "search_hotels",
            {"city": "paris", "check_in": "2025-06-21", "check_out": "2025-06-24", "guests": 2, "max_rate": 300},
        )
    )
    # Le Petit Montmartre's 2 double rooms are both taken on 22-24 June
    assert [(o["room_id"], o["hotel_name"], o["kind"], o["total"], o["rooms_left"]) for o in offers] == [
        (6, "Le Petit Montmartre", "twin", 336.0, 4),
        (2, "Hotel Lumiere Saint-Germain", "double", 630.0, 10),
    ]
    assert offers[0]["nights"] == 3 and offers[0]["hotel_id"] == 2 and offers[0]["stars"] == 3
    later = ok(
        s.call(
            "search_hotels",
            {"city": "Paris", "check_in": "2025-06-28", "check_out": "2025-06-30", "guests": 2, "max_rate": 130},
        )
    )
    assert [(o["room_id"], o["rooms_left"]) for o in later] == [(6, 4), (5, 2)]
    luxury = ok(
        s.call("search_hotels", {"city": "Paris", "check_in": "2025-07-01", "check_out": "2025-07-02", "min_stars": 5})
    )
    assert [o["room_id"] for o in luxury] == [29, 7, 8]


def test_search_hotels_failures(spec_session):
    s = spec_session("travel")
    err(
        s.call("search_hotels", {"city": "Paris", "check_in": "2025-06-01", "check_out": "2025-06-03"}),
        "date_in_past",
        "check-in 2025-06-01 is in the past; today is 2025-06-02",
    )
    err(
        s.call("search_hotels", {"city": "Paris", "check_in": "2025-07-03", "check_out": "2025-07-01"}),
        "bad_dates",
        "check-out 2025-07-01 must be after check-in 2025-07-03",
    )
    err(
        s.call("search_hotels", {"city": "Paris", "check_in": "2025-07-01", "check_out": "2025-08-01"}),
        "stay_too_long",
        "a stay is at most 30 nights, not 31",
    )
    err(
        s.call("search_hotels", {"city": "Paris", "check_in": "2025-07-01", "check_out": "2025-07-02", "guests": 9}),
        "invalid_arguments",
    )


def test_departures_by_destination(spec_session):
    s = spec_session("travel")
    groups = ok(s.call("departures_by_destination", {"origin": "LHR"}))
    by_dest = {g["destination_id"]: g for g in groups}
    assert len(groups) == 13
    assert by_dest["CDG"] == {
        "destination_id": "CDG",
        "flights": 4,
        "shortest_minutes": 75,
        "first_departure": "2025-06-02 10:00:00",
    }
    assert by_dest["DXB"]["flights"] == 2 and by_dest["DXB"]["shortest_minutes"] == 410
    # Dublin: the cancelled Ryanair flight does not count
    assert ok(s.call("departures_by_destination", {"origin": "DUB"})) == [
        {"destination_id": "LHR", "flights": 1, "shortest_minutes": 75, "first_departure": "2025-06-09 18:30:00"}
    ]
    err(s.call("departures_by_destination", {"origin": "ABC"}), "not_found")


def test_hotel_rating(spec_session):
    s = spec_session("travel")
    assert ok(s.call("hotel_rating", {"hotel": 6})) == {
        "hotel_id": 6,
        "name": "Canal House Amsterdam",
        "reviews": 2,
        "average_stars": 4.5,
        "latest_comment": "Lovely canal view, spotless room and a great breakfast.",
    }
    r7 = ok(s.call("hotel_rating", {"hotel": 7}))
    assert r7["average_stars"] == 3.5 and r7["latest_comment"] == "Elevators were slow at breakfast time."
    assert ok(s.call("hotel_rating", {"hotel": 5})) == {
        "hotel_id": 5,
        "name": "Camden Lock Inn",
        "reviews": 0,
        "average_stars": None,
        "latest_comment": None,
    }
    err(s.call("hotel_rating", {"hotel": 999}), "not_found")


# ---- itineraries --------------------------------------------------------------------------------


def test_create_and_list_itineraries(spec_session):
    s = spec_session("travel")
    it = ok(s.call("create_itinerary", {"title": "Lisbon in July", "notes": "Fado night"}))
    assert it["id"] == 7 and it["traveller_id"] == 1 and it["created_at"] == "2025-06-02 09:00:01"
    mine = ok(s.call("list_my_itineraries", {}))
    assert [i["title"] for i in mine] == ["Paris weekend", "New York summer", "Dublin day trip", "Lisbon in July"]
    s2 = spec_session("travel", user=2)
    assert [i["id"] for i in ok(s2.call("list_my_itineraries", {}))] == [4]
    err(s.call("list_my_itineraries", {"offset": -5}), "invalid_arguments")


def test_create_itinerary_failures(spec_session):
    s = spec_session("travel")
    before = state(s)
    err(
        s.call("create_itinerary", {"title": "Paris weekend"}),
        "duplicate_itinerary",
        "you already have an itinerary called Paris weekend",
    )
    err(s.call("create_itinerary", {"title": ""}), "invalid_arguments")
    err(s.call("create_itinerary", {"title": "x" * 81}), "invalid_arguments")
    assert state(s) == before
    # another traveller may reuse the title
    s2 = spec_session("travel", user=2)
    assert ok(s2.call("create_itinerary", {"title": "Paris weekend"}))["traveller_id"] == 2


def test_rename_itinerary(spec_session):
    s = spec_session("travel")
    it = ok(s.call("rename_itinerary", {"itinerary_id": 2, "title": "NYC & Boston"}))
    assert it["title"] == "NYC & Boston" and it["notes"] is None
    assert one(s, "SELECT title FROM itinerary WHERE id = 2") == "NYC & Boston"
    before = state(s)
    err(s.call("rename_itinerary", {"itinerary_id": 4, "title": "Mine now"}), "not_found", "Itinerary 4 not found")
    err(s.call("rename_itinerary", {"itinerary_id": 40, "title": "Nowhere"}), "not_found")
    err(
        s.call("rename_itinerary", {"itinerary_id": 2, "title": "Paris weekend"}),
        "duplicate_itinerary",
        "you already have an itinerary called Paris weekend",
    )
    err(s.call("rename_itinerary", {"itinerary_id": 2, "title": ""}), "invalid_arguments")
    assert state(s) == before
    # keeping its own title, or changing only the notes, is fine
    same = ok(s.call("rename_itinerary", {"itinerary_id": 2, "title": "NYC & Boston", "notes": "Red Sox game"}))
    assert same["title"] == "NYC & Boston" and same["notes"] == "Red Sox game"
    notes = ok(s.call("rename_itinerary", {"itinerary_id": 1, "notes": "Book the Seine cruise"}))
    assert notes["title"] == "Paris weekend" and notes["notes"] == "Book the Seine cruise"
    # another traveller may use a title Maya has
    s2 = spec_session("travel", user=2)
    assert ok(s2.call("rename_itinerary", {"itinerary_id": 4, "title": "Paris weekend"}))["title"] == "Paris weekend"


def test_delete_itinerary(spec_session):
    s = spec_session("travel")
    assert ok(s.call("delete_itinerary", {"itinerary_id": 3})) == {"deleted": 3}
    assert s.query("SELECT id FROM itinerary WHERE id = 3") == []
    # bookings survive, ungrouped
    assert s.query("SELECT id, itinerary_id FROM flight_booking WHERE id IN (3, 11) ORDER BY id") == [
        (3, None),
        (11, None),
    ]
    before = state(s)
    err(s.call("delete_itinerary", {"itinerary_id": 4}), "not_found")
    err(s.call("delete_itinerary", {"itinerary_id": 3}), "not_found")
    assert state(s) == before


def test_itinerary_summary(spec_session):
    s = spec_session("travel")
    assert ok(s.call("itinerary_summary", {"itinerary": 1})) == {
        "itinerary_id": 1,
        "title": "Paris weekend",
        "flights": 2,
        "passengers": 4,
        "hotel_stays": 1,
        "hotel_nights": 7,
        "total_cost": 1320.0,
        "paid": 1084.0,
        "outstanding": 236.0,
        "first_departure": "2025-06-20 10:15:00",
    }
    dublin = ok(s.call("itinerary_summary", {"itinerary": 3}))
    assert dublin["total_cost"] == 123.99 and dublin["outstanding"] == 0 and dublin["hotel_stays"] == 0
    new = ok(s.call("create_itinerary", {"title": "Someday"}))
    empty = ok(s.call("itinerary_summary", {"itinerary": new["id"]}))
    assert empty["flights"] == 0 and empty["total_cost"] == 0 and empty["first_departure"] is None
    err(s.call("itinerary_summary", {"itinerary": 4}), "forbidden", "itinerary 4 is not yours")
    err(s.call("itinerary_summary", {"itinerary": 40}), "not_found")


def test_add_to_itinerary(spec_session):
    s = spec_session("travel")
    summary = ok(s.call("add_to_itinerary", {"itinerary": 2, "flight_bookings": [3], "hotel_reservations": [8]}))
    assert summary == {
        "itinerary_id": 2,
        "title": "New York summer",
        "flights": 2,
        "passengers": 2,
        "hotel_stays": 2,
        "hotel_nights": 12,
        "total_cost": 6520.0,
        "paid": 3230.0,
        "outstanding": 3290.0,
        "first_departure": "2025-06-05 08:00:00",
    }
    assert one(s, "SELECT itinerary_id FROM flight_booking WHERE id = 3") == 2
    assert one(s, "SELECT itinerary_id FROM hotel_reservation WHERE id = 8") == 2


def test_add_to_itinerary_failures(spec_session):
    s = spec_session("travel")
    before = state(s)
    # booking 3 would be moved before booking 6 fails: the whole call is undone
    err(
        s.call("add_to_itinerary", {"itinerary": 2, "flight_bookings": [3, 6]}),
        "forbidden",
        "flight booking 6 is not yours",
    )
    err(
        s.call("add_to_itinerary", {"itinerary": 2, "hotel_reservations": [4]}),
        "forbidden",
        "hotel reservation 4 is not yours",
    )
    err(s.call("add_to_itinerary", {"itinerary": 4, "flight_bookings": [3]}), "forbidden", "itinerary 4 is not yours")
    err(s.call("add_to_itinerary", {"itinerary": 2}), "nothing_to_add", "give at least one booking or reservation")
    assert state(s) == before
    assert one(s, "SELECT itinerary_id FROM flight_booking WHERE id = 3") == 3


# ---- flight bookings ------------------------------------------------------------------------------


def test_book_flight(spec_session):
    s = spec_session("travel")
    booking = ok(
        s.call(
            "book_flight",
            {
                "fare": 3,
                "itinerary": 1,
                "passengers": [{**MAYA, "meal": "vegan"}, {"full_name": "  Lily Chen ", "birth_date": "2019-02-01"}],
            },
        )
    )
    assert booking["id"] == 13 and booking["seats"] == 2 and booking["unit_price"] == 129.0
    assert booking["total"] == 258.0 and booking["status"] == "held" and booking["itinerary_id"] == 1
    assert one(s, "SELECT seats_available FROM flight_fare WHERE id = 3") == 22
    assert s.query(
        "SELECT full_name, birth_date, passport_number, meal FROM passenger WHERE booking_id = 13 ORDER BY id"
    ) == [("Maya Chen", "1990-04-12", "548812345", "vegan"), ("Lily Chen", "2019-02-01", None, "standard")]
    assert one(s, "SELECT total FROM flight_booking WHERE id = 13") == 25800
    got = ok(s.call("get_flight_booking", {"flight_booking_id": 13}))
    assert got == booking


def test_book_flight_failures(spec_session):
    s = spec_session("travel")
    before = state(s)
    four = [MAYA] + [{"full_name": f"Guest {i}", "birth_date": "1980-01-01"} for i in range(3)]
    err(
        s.call("book_flight", {"fare": 5, "passengers": four}),
        "no_seats",
        "only 3 economy seats left on BA318, asked for 4",
    )
    err(
        s.call("book_flight", {"fare": 3, "passengers": [{"full_name": "Lily Chen", "birth_date": "2019-02-01"}]}),
        "no_adult",
        "at least one passenger must be 18 or older",
    )
    err(
        s.call("book_flight", {"fare": 3, "passengers": [MAYA, {**MAYA, "full_name": "maya chen "}]}),
        "bad_passengers",
        "maya chen is listed twice",
    )
    err(
        s.call(
            "book_flight", {"fare": 3, "passengers": [MAYA, {"full_name": "Baby Chen", "birth_date": "2025-07-01"}]}
        ),
        "bad_passengers",
        "Baby Chen has a birth date in the future: 2025-07-01",
    )
    err(
        s.call("book_flight", {"fare": 3, "passengers": []}), "bad_passengers", "a booking has 1 to 9 passengers, not 0"
    )
    err(
        s.call("book_flight", {"fare": 50, "passengers": [MAYA]}),
        "flight_cancelled",
        "flight FR202 on 2025-06-08 16:00:00 is cancelled",
    )
    err(
        s.call("book_flight", {"fare": 49, "passengers": [MAYA]}),
        "already_departed",
        "flight BA306 departed at 2025-05-18 09:00:00",
    )
    err(
        s.call("book_flight", {"fare": 3, "passengers": [MAYA], "itinerary": 4}),
        "forbidden",
        "itinerary 4 is not yours",
    )
    err(s.call("book_flight", {"fare": 999, "passengers": [MAYA]}), "not_found")
    err(s.call("book_flight", {"fare": 3, "passengers": [{"full_name": "No Birthday"}]}), "invalid_arguments")
    assert state(s) == before


def test_book_flight_checks_names_and_passports(spec_session):
    s = spec_session("travel")
    before = state(s)
    # these used to reach the database's length constraints
    err(
        s.call("book_flight", {"fare": 3, "passengers": [MAYA, {"full_name": " X ", "birth_date": "2019-02-01"}]}),
        "bad_passengers",
        'a passenger\'s full name has 2 to 100 characters, not 1: "X"',
    )
    err(
        s.call("book_flight", {"fare": 3, "passengers": [{**MAYA, "full_name": "M" * 101}]}),
        "bad_passengers",
        "a passenger's full name has 2 to 100 characters, not 101: \"" + "M" * 101 + '"',
    )
    err(
        s.call("book_flight", {"fare": 3, "passengers": [{**MAYA, "passport_number": "123"}]}),
        "bad_passport",
        "Maya Chen's passport number must have 6 to 12 characters, not 3",
    )
    err(
        s.call("book_flight", {"fare": 3, "passengers": [{**MAYA, "passport_number": "X" * 13}]}),
        "bad_passport",
        "Maya Chen's passport number must have 6 to 12 characters, not 13",
    )
    assert state(s) == before
    ok(s.call("book_flight", {"fare": 3, "passengers": [{**MAYA, "passport_number": "X" * 12}]}))


def test_book_flight_refuses_departed_flights(spec_session):
    s = spec_session("travel")
    # a departed status counts even before the scheduled time
    s.db.execute("UPDATE flight SET status = 'departed' WHERE id = 1")
    before = state(s)
    err(
        s.call("book_flight", {"fare": 1, "passengers": [MAYA]}),
        "already_departed",
        "flight BA304 departed at 2025-06-20 07:30:00",
    )
    assert state(s) == before


def test_get_flight_booking(spec_session):
    s = spec_session("travel")
    b = ok(s.call("get_flight_booking", {"flight_booking_id": 5}))
    assert b["fare_id"] == 24 and b["total"] == 2890.0 and b["status"] == "confirmed"
    err(s.call("get_flight_booking", {"flight_booking_id": 6}), "not_found")


def test_list_my_flight_bookings(spec_session):
    s = spec_session("travel")
    confirmed = ok(s.call("list_my_flight_bookings", {"status": "confirmed"}))
    assert [b["id"] for b in confirmed] == [1, 3, 4, 5, 11]
    paris = ok(s.call("list_my_flight_bookings", {"itinerary_id": 1}))
    assert [(b["id"], b["status"]) for b in paris] == [(1, "confirmed"), (2, "held")]
    s2 = spec_session("travel", user=2)
    assert [b["id"] for b in ok(s2.call("list_my_flight_bookings", {}))] == [6, 8]
    err(s.call("list_my_flight_bookings", {"status": "paid"}), "invalid_arguments")


def test_update_passenger(spec_session):
    s = spec_session("travel")
    p = ok(s.call("update_passenger", {"passenger_id": 7, "passport_number": "548899999", "meal": "vegan"}))
    assert p["passport_number"] == "548899999" and p["meal"] == "vegan" and p["full_name"] == "Maya Chen"
    assert s.query("SELECT passport_number, meal FROM passenger WHERE id = 7") == [("548899999", "vegan")]
    before = state(s)
    err(s.call("update_passenger", {"passenger_id": 8, "meal": "vegan"}), "not_found")
    err(s.call("update_passenger", {"passenger_id": 7, "passport_number": "123"}), "invalid_arguments")
    assert state(s) == before


def test_change_fare_class(spec_session):
    s = spec_session("travel")
    b = ok(s.call("change_fare_class", {"booking": 2, "fare_class": "business"}))
    assert b["fare_id"] == 8 and b["unit_price"] == 340.0 and b["total"] == 680.0 and b["status"] == "held"
    assert s.query("SELECT id, seats_available FROM flight_fare WHERE id IN (7, 8) ORDER BY id") == [(7, 43), (8, 8)]
    back = ok(s.call("change_fare_class", {"booking": 2, "fare_class": "economy"}))
    assert back["fare_id"] == 7 and back["total"] == 236.0
    assert s.query("SELECT id, seats_available FROM flight_fare WHERE id IN (7, 8) ORDER BY id") == [(7, 41), (8, 10)]


def test_change_fare_class_failures(spec_session):
    s = spec_session("travel")
    vueling = ok(s.call("book_flight", {"fare": 16, "passengers": [MAYA]}))
    ba318 = ok(s.call("book_flight", {"fare": 5, "passengers": [MAYA]}))
    before = state(s)
    err(
        s.call("change_fare_class", {"booking": 1, "fare_class": "business"}),
        "not_held",
        "booking 1 is confirmed; only held bookings can change fare class",
    )
    err(
        s.call("change_fare_class", {"booking": 2, "fare_class": "economy"}),
        "same_fare_class",
        "booking 2 is already economy",
    )
    err(
        s.call("change_fare_class", {"booking": vueling["id"], "fare_class": "business"}),
        "no_such_fare",
        "flight VY7823 has no business fare",
    )
    err(
        s.call("change_fare_class", {"booking": ba318["id"], "fare_class": "business"}),
        "no_seats",
        "only 0 business seats left on BA318, need 1",
    )
    err(s.call("change_fare_class", {"booking": 8, "fare_class": "business"}), "forbidden", "booking 8 is not yours")
    assert state(s) == before


def test_change_fare_class_after_departure_or_cancellation(spec_session):
    # AF1381 (booking 2, held) leaves on 27 June at 17:40
    s = load_spec_env("travel").session(user=1, clock="2025-06-27 18:00:00")
    try:
        before = state(s)
        err(
            s.call("change_fare_class", {"booking": 2, "fare_class": "business"}),
            "already_departed",
            "flight AF1381 departed at 2025-06-27 17:40:00",
        )
        assert state(s) == before
    finally:
        s.close()
    s = spec_session("travel")
    s.db.execute("UPDATE flight SET status = 'cancelled' WHERE id = 4")
    before = state(s)
    err(
        s.call("change_fare_class", {"booking": 2, "fare_class": "business"}),
        "flight_cancelled",
        "flight AF1381 on 2025-06-27 17:40:00 is cancelled",
    )
    assert state(s) == before


# ---- hotel reservations ---------------------------------------------------------------------------


def test_book_hotel(spec_session):
    s = spec_session("travel")
    r = ok(s.call("book_hotel", {"room": 22, "check_in": "2025-07-12", "check_out": "2025-07-15", "guests": 2}))
    assert r["id"] == 10 and r["nights"] == 3 and r["rooms"] == 1 and r["total"] == 384.0 and r["status"] == "held"
    two = ok(
        s.call(
            "book_hotel",
            {
                "room": 2,
                "check_in": "2025-06-20",
                "check_out": "2025-06-22",
                "guests": 4,
                "room_count": 2,
                "itinerary": 1,
            },
        )
    )
    assert two["rooms"] == 2 and two["total"] == 840.0 and two["itinerary_id"] == 1
    assert one(s, "SELECT total FROM hotel_reservation WHERE id = ?", (two["id"],)) == 84000
    # the last free double at Le Petit Montmartre after 27 June
    ok(s.call("book_hotel", {"room": 5, "check_in": "2025-06-27", "check_out": "2025-06-29", "guests": 2}))
    ok(s.call("book_hotel", {"room": 5, "check_in": "2025-06-28", "check_out": "2025-06-30", "guests": 1}))
    err(
        s.call("book_hotel", {"room": 5, "check_in": "2025-06-28", "check_out": "2025-06-29", "guests": 1}),
        "no_availability",
        "only 0 double room(s) free at Le Petit Montmartre for those nights",
    )


def test_book_hotel_failures(spec_session):
    s = spec_session("travel")
    before = state(s)
    err(
        s.call("book_hotel", {"room": 5, "check_in": "2025-06-23", "check_out": "2025-06-24", "guests": 2}),
        "no_availability",
        "only 0 double room(s) free at Le Petit Montmartre for those nights",
    )
    err(
        s.call("book_hotel", {"room": 5, "check_in": "2025-06-28", "check_out": "2025-06-30", "guests": 5}),
        "too_many_guests",
        "1 double room(s) sleep at most 2 guests, not 5",
    )
    err(
        s.call("book_hotel", {"room": 22, "check_in": "2025-07-01", "check_out": "2025-07-01", "guests": 1}),
        "bad_dates",
        "check-out 2025-07-01 must be after check-in 2025-07-01",
    )
    err(
        s.call("book_hotel", {"room": 22, "check_in": "2025-06-01", "check_out": "2025-06-03", "guests": 1}),
        "date_in_past",
        "check-in 2025-06-01 is in the past; today is 2025-06-02",
    )
    err(
        s.call("book_hotel", {"room": 22, "check_in": "2025-07-01", "check_out": "2025-08-01", "guests": 1}),
        "stay_too_long",
        "a stay is at most 30 nights, not 31",
    )
    err(
        s.call(
            "book_hotel", {"room": 22, "check_in": "2025-07-01", "check_out": "2025-07-03", "guests": 1, "itinerary": 5}
        ),
        "forbidden",
        "itinerary 5 is not yours",
    )
    err(
        s.call(
            "book_hotel",
            {"room": 22, "check_in": "2025-07-01", "check_out": "2025-07-03", "guests": 1, "room_count": 6},
        ),
        "invalid_arguments",
    )
    err(
        s.call("book_hotel", {"room": 404, "check_in": "2025-07-01", "check_out": "2025-07-03", "guests": 1}),
        "not_found",
    )
    assert state(s) == before


def test_list_my_hotel_reservations(spec_session):
    s = spec_session("travel")
    assert [r["id"] for r in ok(s.call("list_my_hotel_reservations", {"status": "held"}))] == [2]
    assert [r["id"] for r in ok(s.call("list_my_hotel_reservations", {"status": "confirmed"}))] == [1, 3, 8, 9]
    assert [r["id"] for r in ok(s.call("list_my_hotel_reservations", {"itinerary_id": 2}))] == [2]
    err(s.call("list_my_hotel_reservations", {"status": "booked"}), "invalid_arguments")


def test_extend_stay(spec_session):
    s = spec_session("travel")
    r = ok(s.call("book_hotel", {"room": 5, "check_in": "2025-06-18", "check_out": "2025-06-20", "guests": 2}))
    before = state(s)
    # 22 June is fully booked (reservations 1 and 6)
    err(
        s.call("extend_stay", {"reservation": r["id"], "extra_nights": 3}),
        "no_availability",
        "Le Petit Montmartre has no double room free until 2025-06-23",
    )
    assert state(s) == before
    longer = ok(s.call("extend_stay", {"reservation": r["id"], "extra_nights": 2}))
    assert longer["check_out"] == "2025-06-22" and longer["nights"] == 4 and longer["total"] == 472.0
    assert s.query("SELECT check_out, nights, total FROM hotel_reservation WHERE id = ?", (r["id"],)) == [
        ("2025-06-22", 4, 47200)
    ]


def test_extend_stay_failures(spec_session):
    s = spec_session("travel")
    long_stay = ok(s.call("book_hotel", {"room": 15, "check_in": "2025-07-01", "check_out": "2025-07-30", "guests": 1}))
    before = state(s)
    err(
        s.call("extend_stay", {"reservation": long_stay["id"], "extra_nights": 2}),
        "stay_too_long",
        "a stay is at most 30 nights, not 31",
    )
    err(
        s.call("extend_stay", {"reservation": 1, "extra_nights": 1}),
        "not_held",
        "reservation 1 is confirmed; only held reservations can be extended",
    )
    err(s.call("extend_stay", {"reservation": 7, "extra_nights": 1}), "forbidden", "reservation 7 is not yours")
    err(s.call("extend_stay", {"reservation": 2, "extra_nights": 15}), "invalid_arguments")
    assert state(s) == before


# ---- payments --------------------------------------------------------------------------------------


def test_pay_flight_booking_by_card(spec_session):
    s = spec_session("travel")
    p = ok(s.call("pay_flight_booking", {"booking": 2, "method": CARD}))
    assert p["id"] == 17 and p["amount"] == 236.0 and p["method"] == "card" and p["reference"] == "card of Maya Chen"
    assert p["flight_booking_id"] == 2 and p["hotel_reservation_id"] is None and p["paid_at"] == "2025-06-02 09:00:01"
    assert one(s, "SELECT status FROM flight_booking WHERE id = 2") == "confirmed"
    # silver earns 2 points per whole 1.00
    assert points(s) == 8579 + 472
    assert s.query("SELECT points, reason FROM loyalty_entry ORDER BY id DESC LIMIT 1") == [(472, "flight booking 2")]
    assert one(s, "SELECT tier FROM traveller WHERE id = 1") == "silver"


def test_pay_flight_booking_with_points(spec_session):
    s = spec_session("travel")
    b = ok(s.call("book_flight", {"fare": 16, "passengers": [MAYA]}))
    before = state(s)
    err(
        s.call("pay_flight_booking", {"booking": b["id"], "method": {"kind": "points", "max_points": 5000}}),
        "points_limit",
        "paying 72.99 takes 7299 points, more than your limit of 5000",
    )
    assert state(s) == before
    p = ok(s.call("pay_flight_booking", {"booking": b["id"], "method": {"kind": "points", "max_points": 10000}}))
    assert p["method"] == "points" and p["reference"] == "7299 points" and p["amount"] == 72.99
    assert points(s) == 8579 - 7299
    # paying with points earns nothing
    assert s.query("SELECT points, reason FROM loyalty_entry WHERE traveller_id = 1 ORDER BY id DESC LIMIT 1") == [
        (-7299, f"paid flight booking {b['id']}")
    ]


def test_pay_flight_booking_with_voucher(spec_session):
    s = spec_session("travel")
    b = ok(s.call("book_flight", {"fare": 16, "passengers": [MAYA]}))
    p = ok(s.call("pay_flight_booking", {"booking": b["id"], "method": {"kind": "voucher", "code": "SUMMER-150"}}))
    assert p["method"] == "voucher" and p["voucher_id"] == "SUMMER-150" and p["reference"] == "voucher SUMMER-150"
    assert one(s, "SELECT balance FROM voucher WHERE code = 'SUMMER-150'") == 7701
    assert points(s) == 8579 + 144


def test_pay_flight_booking_failures(spec_session):
    s = spec_session("travel")
    before = state(s)
    err(
        s.call("pay_flight_booking", {"booking": 2, "method": {"kind": "points", "max_points": 50000}}),
        "insufficient_points",
        "paying 236.00 takes 23600 points; you have 8579",
    )
    err(
        s.call("pay_flight_booking", {"booking": 2, "method": {"kind": "voucher", "code": "WELCOME-50"}}),
        "voucher_expired",
        "voucher WELCOME-50 expired on 2025-05-01",
    )
    err(
        s.call("pay_flight_booking", {"booking": 2, "method": {"kind": "voucher", "code": "SUMMER-150"}}),
        "insufficient_balance",
        "voucher SUMMER-150 has 150.00, the booking costs 236.00",
    )
    err(
        s.call("pay_flight_booking", {"booking": 2, "method": {"kind": "voucher", "code": "GIFT-DAN300"}}),
        "forbidden",
        "voucher GIFT-DAN300 is not yours",
    )
    err(s.call("pay_flight_booking", {"booking": 2, "method": {"kind": "voucher", "code": "NOPE"}}), "not_found")
    err(
        s.call("pay_flight_booking", {"booking": 2, "method": {**CARD, "number": "4111"}}),
        "card_declined",
        "a card number has 16 digits, got 4",
    )
    err(
        s.call("pay_flight_booking", {"booking": 2, "method": {**CARD, "expiry": "2027-09"}}),
        "card_declined",
        "expiry must be MM/YY",
    )
    err(s.call("pay_flight_booking", {"booking": 1, "method": CARD}), "not_payable", "booking 1 is confirmed")
    err(s.call("pay_flight_booking", {"booking": 8, "method": CARD}), "forbidden", "booking 8 is not yours")
    err(s.call("pay_flight_booking", {"booking": 2, "method": {"kind": "cash"}}), "invalid_arguments")
    assert state(s) == before


def test_pay_hotel_reservation_upgrades_tier(spec_session):
    s = spec_session("travel")
    p = ok(s.call("pay_hotel_reservation", {"reservation": 2, "method": CARD}))
    assert p["hotel_reservation_id"] == 2 and p["flight_booking_id"] is None and p["amount"] == 3290.0
    assert one(s, "SELECT status FROM hotel_reservation WHERE id = 2") == "confirmed"
    assert s.query("SELECT points, tier FROM traveller WHERE id = 1") == [(8579 + 6580, "gold")]
    assert s.query("SELECT points, reason FROM loyalty_entry ORDER BY id DESC LIMIT 1") == [
        (6580, "hotel reservation 2")
    ]


def test_basic_traveller_reaches_silver(spec_session):
    s = spec_session("travel", user=2)
    ok(s.call("pay_flight_booking", {"booking": 8, "method": {**CARD, "holder": "Daniel Okafor"}}))
    assert s.query("SELECT points, tier FROM traveller WHERE id = 2") == [(2655, "basic")]
    err(
        s.call("pay_hotel_reservation", {"reservation": 7, "method": {"kind": "voucher", "code": "GIFT-DAN300"}}),
        "insufficient_balance",
        "voucher GIFT-DAN300 has 300.00, the reservation costs 840.00",
    )
    ok(s.call("pay_hotel_reservation", {"reservation": 7, "method": CARD}))
    assert s.query("SELECT points, tier FROM traveller WHERE id = 2") == [(3495, "silver")]


def test_pay_hotel_reservation_failures(spec_session):
    s = spec_session("travel")
    before = state(s)
    err(s.call("pay_hotel_reservation", {"reservation": 7, "method": CARD}), "forbidden", "reservation 7 is not yours")
    err(
        s.call("pay_hotel_reservation", {"reservation": 1, "method": CARD}), "not_payable", "reservation 1 is confirmed"
    )
    err(
        s.call("pay_hotel_reservation", {"reservation": 2, "method": {"kind": "points", "max_points": 400000}}),
        "insufficient_points",
        "paying 3290.00 takes 329000 points; you have 8579",
    )
    err(
        s.call("pay_hotel_reservation", {"reservation": 2, "method": {"kind": "voucher", "code": "MAYA-CREDIT"}}),
        "insufficient_balance",
        "voucher MAYA-CREDIT has 244.00, the reservation costs 3290.00",
    )
    err(s.call("pay_hotel_reservation", {"reservation": 99, "method": CARD}), "not_found")
    assert state(s) == before


def test_payment_options(spec_session):
    s = spec_session("travel")
    # 72.99: Maya's 8579 points cover it, and both unexpired vouchers; WELCOME-50 has expired
    opts = ok(s.call("payment_options", {"amount": 72.99}))
    assert opts == [
        {"label": "7299 of your 8579 loyalty points", "method": {"kind": "points", "max_points": 7299}},
        {
            "label": "voucher SUMMER-150 (150.00 left, expires 2025-09-30)",
            "method": {"kind": "voucher", "code": "SUMMER-150"},
        },
        {
            "label": "voucher MAYA-CREDIT (244.00 left, expires 2025-12-31)",
            "method": {"kind": "voucher", "code": "MAYA-CREDIT"},
        },
    ]
    assert [o["method"]["code"] for o in ok(s.call("payment_options", {"amount": 236}))] == ["MAYA-CREDIT"]
    assert ok(s.call("payment_options", {"amount": 5000})) == []
    # Sofia's 1840 points do not cover 20.00 (2000 points); her voucher does
    s3 = spec_session("travel", user=3)
    assert [o["label"] for o in ok(s3.call("payment_options", {"amount": 20}))] == [
        "voucher SOFIA-GIFT (70.00 left, expires 2026-03-31)"
    ]
    err(s.call("payment_options", {"amount": 0}), "invalid_arguments")
    err(s.call("payment_options", {}), "invalid_arguments")


def test_payment_options_can_be_passed_to_pay(spec_session):
    s = spec_session("travel")
    b = ok(s.call("book_flight", {"fare": 16, "passengers": [MAYA]}))
    opts = ok(s.call("payment_options", {"amount": b["total"]}))
    p = ok(s.call("pay_flight_booking", {"booking": b["id"], "method": opts[0]["method"]}))
    assert p["method"] == "points" and p["reference"] == "7299 points" and points(s) == 8579 - 7299
    opts = ok(s.call("payment_options", {"amount": 118}))
    assert [o["method"]["kind"] for o in opts] == ["voucher", "voucher"]


# ---- cancellation -------------------------------------------------------------------------------------


def test_quote_flight_cancellation_fee_rules(spec_session):
    s = spec_session("travel")
    q = lambda b: ok(s.call("quote_flight_cancellation", {"booking": b}))
    assert q(5) == {"days_before": 43, "fee_percent": 0, "paid": 2890.0, "fee": 0.0, "refund": 2890.0}
    assert q(1) == {"days_before": 18, "fee_percent": 10, "paid": 258.0, "fee": 25.8, "refund": 232.2}
    assert q(3) == {"days_before": 3, "fee_percent": 25, "paid": 84.0, "fee": 21.0, "refund": 63.0}
    # held: nothing paid, nothing charged
    assert q(2) == {"days_before": 25, "fee_percent": 10, "paid": 0.0, "fee": 0.0, "refund": 0.0}
    # the airline cancelled FR202: full refund
    assert q(11) == {"days_before": 6, "fee_percent": 0, "paid": 39.99, "fee": 0.0, "refund": 39.99}
    same_day = ok(s.call("book_flight", {"fare": 56, "passengers": [MAYA]}))
    ok(s.call("pay_flight_booking", {"booking": same_day["id"], "method": CARD}))
    before = state(s)
    assert q(same_day["id"]) == {"days_before": 0, "fee_percent": 50, "paid": 115.0, "fee": 57.5, "refund": 57.5}
    assert state(s) == before


def test_quote_flight_cancellation_failures(spec_session):
    s = spec_session("travel")
    err(s.call("quote_flight_cancellation", {"booking": 9}), "already_cancelled", "booking 9 is already cancelled")
    err(
        s.call("quote_flight_cancellation", {"booking": 4}),
        "already_departed",
        "flight AF1080 departed at 2025-05-20 07:00:00",
    )
    err(s.call("quote_flight_cancellation", {"booking": 6}), "forbidden", "booking 6 is not yours")


def test_cancel_paid_flight_booking(spec_session):
    s = spec_session("travel")
    r = ok(s.call("cancel_flight_booking", {"booking": 1}))
    assert r == {"days_before": 18, "fee_percent": 10, "paid": 258.0, "fee": 25.8, "refund": 232.2}
    assert one(s, "SELECT status FROM flight_booking WHERE id = 1") == "cancelled"
    assert one(s, "SELECT seats_available FROM flight_fare WHERE id = 3") == 26
    assert s.query("SELECT payment_id, amount, fee, reason FROM refund ORDER BY id DESC LIMIT 1") == [
        (1, 23220, 2580, "flight booking 1 cancelled 18 days before departure")
    ]
    # the 516 points earned on booking 1 are taken back
    assert points(s) == 8579 - 516
    refunds = ok(s.call("list_my_refunds", {}))
    assert [x["amount"] for x in refunds] == [71.25, 232.2]


def test_cancel_flight_booking_refund_methods(spec_session):
    s = spec_session("travel")
    # points payment on an airline-cancelled flight: all points come back
    r = ok(s.call("cancel_flight_booking", {"booking": 11}))
    assert r["refund"] == 39.99 and r["fee"] == 0
    assert points(s) == 8579 + 3999
    assert one(s, "SELECT seats_available FROM flight_fare WHERE id = 50") == 81
    # voucher payment: the refund goes back on the voucher, earned points are reversed
    b = ok(s.call("book_flight", {"fare": 16, "passengers": [MAYA]}))
    ok(s.call("pay_flight_booking", {"booking": b["id"], "method": {"kind": "voucher", "code": "SUMMER-150"}}))
    assert one(s, "SELECT balance FROM voucher WHERE code = 'SUMMER-150'") == 7701
    r = ok(s.call("cancel_flight_booking", {"booking": b["id"]}))
    assert r == {"days_before": 32, "fee_percent": 0, "paid": 72.99, "fee": 0.0, "refund": 72.99}
    assert one(s, "SELECT balance FROM voucher WHERE code = 'SUMMER-150'") == 15000
    assert points(s) == 8579 + 3999
    assert one(s, "SELECT seats_available FROM flight_fare WHERE id = 16") == 60


def test_cancel_held_flight_booking(spec_session):
    s = spec_session("travel")
    refunds_before = one(s, "SELECT COUNT(*) FROM refund")
    r = ok(s.call("cancel_flight_booking", {"booking": 2}))
    assert r["paid"] == 0 and r["refund"] == 0 and r["fee"] == 0
    assert one(s, "SELECT seats_available FROM flight_fare WHERE id = 7") == 43
    assert one(s, "SELECT COUNT(*) FROM refund") == refunds_before
    assert points(s) == 8579


def test_cancel_flight_booking_failures(spec_session):
    s = spec_session("travel")
    before = state(s)
    err(s.call("cancel_flight_booking", {"booking": 9}), "already_cancelled", "booking 9 is already cancelled")
    err(
        s.call("cancel_flight_booking", {"booking": 4}),
        "already_departed",
        "flight AF1080 departed at 2025-05-20 07:00:00",
    )
    err(s.call("cancel_flight_booking", {"booking": 7}), "forbidden", "booking 7 is not yours")
    err(s.call("cancel_flight_booking", {"booking": 70}), "not_found")
    assert state(s) == before


def test_cancel_hotel_reservation_late_fee(spec_session):
    s = spec_session("travel")
    r = ok(s.call("cancel_hotel_reservation", {"reservation": 8}))
    assert r == {"days_before": 2, "fee_percent": 50, "paid": 256.0, "fee": 128.0, "refund": 128.0}
    assert one(s, "SELECT status FROM hotel_reservation WHERE id = 8") == "cancelled"
    assert one(s, "SELECT balance FROM voucher WHERE code = 'MAYA-CREDIT'") == 37200
    assert s.query("SELECT payment_id, amount, fee FROM refund ORDER BY id DESC LIMIT 1") == [(14, 12800, 12800)]
    assert points(s) == 8579 - 512
    err(
        s.call("cancel_hotel_reservation", {"reservation": 8}),
        "already_cancelled",
        "reservation 8 is already cancelled",
    )


def test_cancel_hotel_reservation_free(spec_session):
    s = spec_session("travel")
    r = ok(s.call("cancel_hotel_reservation", {"reservation": 1}))
    assert r == {"days_before": 18, "fee_percent": 0, "paid": 826.0, "fee": 0.0, "refund": 826.0}
    assert points(s) == 8579 - 1652
    # the freed room is bookable again
    ok(s.call("book_hotel", {"room": 5, "check_in": "2025-06-23", "check_out": "2025-06-24", "guests": 2}))
    held = ok(s.call("cancel_hotel_reservation", {"reservation": 2}))
    assert held["paid"] == 0 and held["refund"] == 0
    assert one(s, "SELECT COUNT(*) FROM refund") == 2


def test_cancel_hotel_reservation_failures(spec_session):
    s = spec_session("travel")
    before = state(s)
    err(
        s.call("cancel_hotel_reservation", {"reservation": 3}),
        "already_started",
        "the stay started on 2025-05-10; it can no longer be cancelled",
    )
    err(s.call("cancel_hotel_reservation", {"reservation": 4}), "forbidden", "reservation 4 is not yours")
    err(s.call("cancel_hotel_reservation", {"reservation": 44}), "not_found")
    assert state(s) == before


# ---- reviews ---------------------------------------------------------------------------------------------


def test_review_hotel(spec_session):
    s = spec_session("travel")
    new = ok(s.call("review_hotel", {"hotel": 4, "stars": 5, "comment": "Great river views"}))
    assert new["id"] == 13 and new["hotel_id"] == 4 and new["traveller_id"] == 1 and new["stars"] == 5
    assert one(s, "SELECT COUNT(*) FROM hotel_review WHERE hotel_id = 4") == 2
    # reviewing again replaces the earlier review
    again = ok(s.call("review_hotel", {"hotel": 6, "stars": 3, "comment": "  Stairs got steeper. "}))
    assert again["id"] == 1 and again["stars"] == 3 and again["comment"] == "Stairs got steeper."
    assert again["updated_at"] == "2025-06-02 09:00:02"
    assert s.query("SELECT stars, comment FROM hotel_review WHERE hotel_id = 6 AND traveller_id = 1") == [
        (3, "Stairs got steeper.")
    ]
    assert ok(s.call("hotel_rating", {"hotel": 6}))["average_stars"] == 3.5


def test_review_hotel_failures(spec_session):
    s = spec_session("travel")
    before = state(s)
    err(
        s.call("review_hotel", {"hotel": 7, "stars": 4}),
        "no_completed_stay",
        "you have no completed stay at Midtown Skyline Hotel to review",
    )
    # a booked but future stay does not count either
    err(
        s.call("review_hotel", {"hotel": 2, "stars": 4}),
        "no_completed_stay",
        "you have no completed stay at Le Petit Montmartre to review",
    )
    err(s.call("review_hotel", {"hotel": 6, "stars": 6}), "invalid_arguments")
    assert state(s) == before


def test_withdraw_review(spec_session):
    s = spec_session("travel")
    assert ok(s.call("withdraw_review", {"hotel": 6})) == 1
    assert s.query("SELECT traveller_id FROM hotel_review WHERE hotel_id = 6") == [(3,)]
    assert ok(s.call("hotel_rating", {"hotel": 6}))["reviews"] == 1
    before = state(s)
    err(s.call("withdraw_review", {"hotel": 6}), "no_review", "you have not reviewed Canal House Amsterdam")
    err(s.call("withdraw_review", {"hotel": 1}), "no_review", "you have not reviewed Hotel Lumiere Saint-Germain")
    err(s.call("withdraw_review", {"hotel": 100}), "not_found")
    assert state(s) == before


# ---- invariants --------------------------------------------------------------------------------------------

INVARIANTS = {
    "seats_within_capacity",
    "booked_seats_fit_capacity",
    "passengers_match_seats",
    "flight_booking_total",
    "stay_nights_match_dates",
    "reservation_total",
    "guests_fit_rooms",
    "no_overbooked_nights",
    "points_match_ledger",
    "refunds_within_payment",
    "payment_has_one_target",
    "flight_payment_matches_status",
    "hotel_payment_matches_status",
    "itinerary_items_are_own",
    "itinerary_stays_are_own",
    "voucher_payments_use_own_voucher",
    "booking_has_an_adult",
    "passengers_born_before_booking",
    "passenger_names_distinct",
    "flights_booked_before_departure",
    "held_bookings_on_open_flights",
    "stays_booked_before_check_in",
    "paid_before_the_trip",
    "vouchers_used_before_expiry",
    "refunds_before_the_trip",
}


def test_seed_satisfies_the_invariants(spec_session):
    s = spec_session("travel")
    assert set(s.env.invariants) == INVARIANTS
    assert s.check_invariants() == []


def broken(s):
    return {v["invariant"]: v["rows"] for v in s.check_invariants()}


def test_invariants_name_the_rows_of_a_broken_state(spec_session):
    s = spec_session("travel")
    s.db.execute("UPDATE flight_fare SET seats_available = 181 WHERE id = 1")  # economy has 180 seats
    s.db.execute("UPDATE flight_fare SET seats_available = 180 WHERE id = 3")  # 2 seats are booked on it
    s.db.execute("DELETE FROM passenger WHERE booking_id = 7 AND full_name = 'Marco Rossi'")
    s.db.execute("UPDATE hotel_reservation SET check_out = '2025-06-28' WHERE id = 1")  # nights still 7
    s.db.execute("UPDATE hotel_reservation SET rooms = 2, total = 70800 WHERE id = 6")  # 3 doubles of 2 on 22 June
    s.db.execute("UPDATE traveller SET points = points + 1 WHERE id = 4")
    s.db.execute(
        "INSERT INTO refund (payment_id, amount, fee, reason, created_at) VALUES (2, 8000, 500, 'x', '2025-06-02')"
    )
    s.db.execute("UPDATE flight_booking SET status = 'held' WHERE id = 3")
    got = broken(s)
    assert got["seats_within_capacity"] == [1]
    assert got["booked_seats_fit_capacity"] == [1, 3]
    assert got["passengers_match_seats"] == [7]
    assert got["stay_nights_match_dates"] == [1]
    assert got["no_overbooked_nights"] == [6]
    assert got["points_match_ledger"] == [4]
    assert got["refunds_within_payment"] == [2]
    assert got["flight_payment_matches_status"] == [3]
    assert got["hotel_payment_matches_status"] == [6]  # paid 354.00, now costs 708.00
    assert set(got) == {
        "seats_within_capacity",
        "booked_seats_fit_capacity",
        "passengers_match_seats",
        "stay_nights_match_dates",
        "no_overbooked_nights",
        "points_match_ledger",
        "refunds_within_payment",
        "flight_payment_matches_status",
        "hotel_payment_matches_status",
    }


def test_enforced_invariants_hold_through_a_realistic_trip(spec_session):
    s = load_spec_env("travel").session(user=1, invariants="enforce")
    try:
        trip = ok(s.call("create_itinerary", {"title": "Lisbon in July"}))
        b = ok(
            s.call(
                "book_flight",
                {
                    "fare": 19,
                    "itinerary": trip["id"],
                    "passengers": [MAYA, {"full_name": "Tom Chen", "birth_date": "1988-11-03", "meal": "vegan"}],
                },
            )
        )
        ok(s.call("change_fare_class", {"booking": b["id"], "fare_class": "business"}))
        ok(s.call("change_fare_class", {"booking": b["id"], "fare_class": "economy"}))
        ok(s.call("pay_flight_booking", {"booking": b["id"], "method": CARD}))
        r = ok(
            s.call(
                "book_hotel",
                {"room": 23, "check_in": "2025-07-12", "check_out": "2025-07-13", "guests": 1, "itinerary": trip["id"]},
            )
        )
        ok(s.call("extend_stay", {"reservation": r["id"], "extra_nights": 1}))
        ok(
            s.call(
                "pay_hotel_reservation", {"reservation": r["id"], "method": {"kind": "voucher", "code": "MAYA-CREDIT"}}
            )
        )
        cheap = ok(s.call("book_flight", {"fare": 16, "passengers": [MAYA]}))
        ok(s.call("pay_flight_booking", {"booking": cheap["id"], "method": {"kind": "points", "max_points": 8000}}))
        ok(s.call("cancel_flight_booking", {"booking": cheap["id"]}))
        ok(s.call("cancel_flight_booking", {"booking": 1}))
        ok(s.call("cancel_hotel_reservation", {"reservation": 8}))
        ok(s.call("cancel_hotel_reservation", {"reservation": 2}))
        ok(s.call("add_to_itinerary", {"itinerary": trip["id"], "flight_bookings": [2, 5], "hotel_reservations": [1]}))
        ok(s.call("review_hotel", {"hotel": 4, "stars": 4}))
        ok(s.call("delete_itinerary", {"itinerary_id": 3}))
        assert s.check_invariants() == []
        assert s.violations == []
    finally:
        s.close()


# ---- tasks ---------------------------------------------------------------------------------------------------


def test_question_tasks_reject_wrong_answers(spec_session):
    s = spec_session("travel")
    assert s.verify("cheapest_paris_flight", answer="AF1081 at 129.00")["passed"] is False
    assert s.verify("cheapest_paris_flight", answer="BA318 at 98.50")["passed"] is True
    assert s.verify("points_and_tier", answer="8579 points, gold")["passed"] is False
    assert s.verify("usable_voucher_credit", answer="444.00")["passed"] is False
    assert s.verify("best_paris_hotel", answer="Hotel Lumiere Saint-Germain, 4.5")["passed"] is False
