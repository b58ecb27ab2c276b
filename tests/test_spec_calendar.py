"""Tests for specs/calendar.awm: a team calendar with sharing, RSVPs, room bookings and reminders.

The session clock starts at 2025-03-10 09:00:00 (a Monday) and advances one second per call.
User 1 is Maya Chen: she owns calendars 1 (Work), 2 (Personal) and 3 (Platform Team), has write
access to calendar 10 (Tom's On-call) and read access to calendars 4, 5, 7, 13, 14, 17 and 18.
"""

from __future__ import annotations

import pytest
from spec_helpers import fails

TABLES = ["user", "calendar", "calendar_share", "event", "attendee", "room", "room_booking", "reminder"]


@pytest.fixture
def s(spec_session):
    return spec_session("calendar")


def ok(sess, tool, args=None):
    r = sess.call(tool, args or {})
    assert r["ok"], r
    return r["result"]


def ids(rows):
    return [row["id"] for row in rows]


# ---- coverage ---------------------------------------------------------------------------------


def test_seed_sizes(s):
    counts = {t: s.query(f'SELECT count(*) FROM "{t}"')[0][0] for t in TABLES}
    assert counts == {
        "user": 12,
        "calendar": 18,
        "calendar_share": 29,
        "event": 40,
        "attendee": 134,
        "room": 10,
        "room_booking": 26,
        "reminder": 22,
    }
    assert sum(counts.values()) >= 150


# ---- people and rooms -------------------------------------------------------------------------


def test_get_user(s):
    u = ok(s, "get_user", {"user_id": 3})
    assert u == {
        "id": 3,
        "email": "priya.raman@northwind.io",
        "name": "Priya Raman",
        "department": "Product",
        "timezone": "Europe/Berlin",
    }
    fails(s, "get_user", {"user_id": 99}, "not_found")


def test_list_users(s):
    eng = ok(s, "list_users", {"department": "Engineering"})
    assert [u["name"] for u in eng] == ["Maya Chen", "Jonas Weber", "Tom Becker", "Hiro Tanaka"]
    assert ids(ok(s, "list_users", {"limit": 3, "offset": 3})) == [4, 5, 6]
    fails(s, "list_users", {"limit": 0}, "invalid_arguments")


def test_get_room(s):
    room = ok(s, "get_room", {"room_id": 3})
    assert room == {
        "id": 3,
        "code": "HQ-2-LYRA",
        "name": "Lyra",
        "building": "HQ",
        "floor": 2,
        "capacity": 4,
        "has_video": True,
    }
    fails(s, "get_room", {"room_id": 42}, "not_found")


def test_list_rooms(s):
    rooms = ok(s, "list_rooms", {"building": "Annex", "has_video": True})
    assert [r["name"] for r in rooms] == ["Maple", "Cedar"]
    assert len(ok(s, "list_rooms")) == 10
    fails(s, "list_rooms", {"has_video": "yes please"}, "invalid_arguments")


def test_rooms_by_code(s):
    rooms = ok(s, "rooms_by_code", {"prefix": "HQ-3"})
    assert [r["code"] for r in rooms] == ["HQ-3-ATLAS", "HQ-3-VEGA"]
    assert ids(ok(s, "rooms_by_code", {"prefix": "ANX-2"})) == [9, 10]
    assert ok(s, "rooms_by_code", {"prefix": "hq-3"}) == []  # case-sensitive
    fails(s, "rooms_by_code", {"prefix": ""}, "invalid_arguments")


def test_building_summary(s):
    assert (
        ok(s, "building_summary", {"building": "HQ"})
        == "HQ: 6 rooms, 74 seats (largest 40), 4 with video, 3 bookings today"
    )
    assert (
        ok(s, "building_summary", {"building": "Annex"})
        == "Annex: 4 rooms, 31 seats (largest 16), 2 with video, 1 bookings today"
    )
    fails(
        s, "building_summary", {"building": "Tower"}, "unknown_building", "there are no meeting rooms in building Tower"
    )


# ---- calendars and sharing ----------------------------------------------------------------------


def test_my_calendars(s):
    cals = ok(s, "my_calendars")
    assert [(c["id"], c["name"]) for c in cals] == [(1, "Work"), (2, "Personal"), (3, "Platform Team")]
    assert all(c["owner_id"] == 1 for c in cals)
    fails(s, "my_calendars", {"limit": 500}, "invalid_arguments")


def test_create_calendar(s):
    cal = ok(s, "create_calendar", {"name": "Reading group", "color": "#123456", "description": "Monthly book club"})
    assert cal["id"] == 19 and cal["owner_id"] == 1 and cal["color"] == "#123456"
    assert cal["created_at"] == "2025-03-10 09:00:01"
    assert s.query("SELECT owner_id, name, description FROM calendar WHERE id = 19") == [
        (1, "Reading group", "Monthly book club")
    ]
    default = ok(s, "create_calendar", {"name": "Side projects"})
    assert default["color"] == "#4285f4" and default["description"] is None
    # the name must be new among your calendars (other people's names do not count)
    fails(s, "create_calendar", {"name": "Work"}, "duplicate_calendar", "you already have a calendar named Work")
    fails(
        s,
        "create_calendar",
        {"name": "Reading group"},
        "duplicate_calendar",
        "you already have a calendar named Reading group",
    )
    assert ok(s, "create_calendar", {"name": "Campaigns"})["owner_id"] == 1  # Sofia's calendar name is fine
    fails(s, "create_calendar", {"name": "Blue", "color": "blue"}, "invalid_arguments")


def test_update_calendar(s):
    cal = ok(s, "update_calendar", {"calendar_id": 2, "color": "#654321"})
    assert cal["name"] == "Personal" and cal["color"] == "#654321"
    assert s.query("SELECT name, color FROM calendar WHERE id = 2") == [("Personal", "#654321")]
    # calendar 5 belongs to Priya
    fails(s, "update_calendar", {"calendar_id": 5, "name": "Mine now"}, "not_found")
    fails(
        s,
        "update_calendar",
        {"calendar_id": 1, "name": "Personal"},
        "duplicate_calendar",
        "you already have a calendar named Personal",
    )
    fails(s, "update_calendar", {"calendar_id": 99, "color": "#000000"}, "not_found")
    fails(s, "update_calendar", {"calendar_id": 1, "color": "red"}, "invalid_arguments")
    # keeping its own name is not a duplicate
    assert (
        ok(s, "update_calendar", {"calendar_id": 1, "name": "Work", "description": "Meetings only"})["description"]
        == "Meetings only"
    )


def test_delete_calendar_cascades(s):
    assert ok(s, "delete_calendar", {"calendar_id": 3}) == {"deleted": 3}
    assert s.query("SELECT count(*) FROM calendar WHERE id = 3") == [(0,)]
    assert s.query("SELECT count(*) FROM event WHERE calendar_id = 3") == [(0,)]
    assert s.query("SELECT count(*) FROM calendar_share WHERE calendar_id = 3") == [(0,)]
    # events 1, 2, 3, 11, 27, 29 are gone with their attendees, bookings and reminders
    assert s.query("SELECT count(*) FROM attendee WHERE event_id IN (1, 2, 3, 11, 27, 29)") == [(0,)]
    assert s.query("SELECT count(*) FROM room_booking") == [(26 - 5,)]
    assert s.query("SELECT count(*) FROM reminder WHERE event_id IN (1, 2, 3, 27)") == [(0,)]
    fails(s, "delete_calendar", {"calendar_id": 18}, "not_found")


def test_share_calendar_and_change_permission(s):
    share = ok(s, "share_calendar", {"calendar": 2, "user": 3, "permission": "write"})
    assert share["calendar_id"] == 2 and share["user_id"] == 3 and share["permission"] == "write"
    again = ok(s, "share_calendar", {"calendar": 2, "user": 3})
    assert again["id"] == share["id"] and again["permission"] == "read"
    assert again["shared_at"] == "2025-03-10 09:00:02"
    assert s.query("SELECT permission FROM calendar_share WHERE calendar_id = 2 AND user_id = 3") == [("read",)]


def test_share_calendar_failures(s):
    fails(
        s,
        "share_calendar",
        {"calendar": 5, "user": 4},
        "forbidden",
        "only the owner of calendar Product Roadmap can share it",
    )
    fails(
        s,
        "share_calendar",
        {"calendar": 2, "user": 1},
        "invalid_share",
        "you own calendar Personal; share it with someone else",
    )
    fails(s, "share_calendar", {"calendar": 2, "user": 3, "permission": "admin"}, "invalid_arguments")
    fails(s, "share_calendar", {"calendar": 2, "user": 77}, "not_found")


def test_unshare_calendar(s):
    assert ok(s, "unshare_calendar", {"calendar": 3, "user": 10}) == 1
    assert s.query("SELECT count(*) FROM calendar_share WHERE calendar_id = 3 AND user_id = 10") == [(0,)]
    fails(
        s,
        "unshare_calendar",
        {"calendar": 3, "user": 10},
        "not_shared",
        "calendar Platform Team is not shared with Hiro Tanaka",
    )
    fails(
        s,
        "unshare_calendar",
        {"calendar": 18, "user": 1},
        "forbidden",
        "only the owner of calendar Company Events can change its sharing",
    )


def test_calendars_shared_with_me(s):
    shares = ok(s, "calendars_shared_with_me")
    assert [x["calendar_id"] for x in shares] == [4, 5, 7, 10, 13, 14, 17, 18]
    writable = ok(s, "calendars_shared_with_me", {"permission": "write"})
    assert [(x["calendar_id"], x["permission"]) for x in writable] == [(10, "write")]
    fails(s, "calendars_shared_with_me", {"permission": "owner"}, "invalid_arguments")


def test_calendar_sharing(s):
    shares = ok(s, "calendar_sharing", {"calendar": 3})
    assert [(x["user_id"], x["permission"]) for x in shares] == [(2, "write"), (6, "write"), (10, "read")]
    fails(
        s,
        "calendar_sharing",
        {"calendar": 5},
        "forbidden",
        "only the owner of calendar Product Roadmap can see its sharing",
    )


# ---- events -----------------------------------------------------------------------------------


def test_create_event_with_invitees_and_reminders(s):
    ev = ok(
        s,
        "create_event",
        {
            "calendar": 1,
            "title": "Hiring sync",
            "start_at": "2025-03-12 16:00:00",
            "end_at": "2025-03-12 16:30:00",
            "location": "HQ-2 Lyra",
            "invitees": [2, 9, 1, 2],
            "reminders": [{"minutes_before": 10, "method": "popup"}, {"minutes_before": 60, "method": "email"}],
        },
    )
    assert ev["id"] == 41 and ev["calendar_id"] == 1 and ev["created_by_id"] == 1
    assert ev["status"] == "confirmed" and ev["recurrence"] == "none" and ev["created_at"] == "2025-03-10 09:00:01"
    # organizer accepted, duplicates and yourself skipped
    assert s.query(
        "SELECT user_id, rsvp, is_organizer, responded_at FROM attendee WHERE event_id = 41 ORDER BY id"
    ) == [(1, "accepted", 1, "2025-03-10 09:00:01"), (2, "invited", 0, None), (9, "invited", 0, None)]
    assert s.query("SELECT user_id, minutes_before, method FROM reminder WHERE event_id = 41 ORDER BY id") == [
        (1, 10, "popup"),
        (1, 60, "email"),
    ]


def test_create_event_on_calendar_shared_with_write(s):
    ev = ok(
        s,
        "create_event",
        {
            "calendar": 10,
            "title": "Pager drill",
            "start_at": "2025-03-12 16:00:00",
            "end_at": "2025-03-12 17:00:00",
            "recurrence": "weekly",
            "recurrence_until": "2025-04-01",
        },
    )
    assert ev["calendar_id"] == 10 and ev["recurrence"] == "weekly" and ev["recurrence_until"] == "2025-04-01"
    assert s.query("SELECT title FROM event WHERE calendar_id = 10 ORDER BY id") == [
        ("On-call handover",),
        ("Pager drill",),
    ]


def test_create_event_failures(s):
    base = {"calendar": 1, "title": "Planning", "start_at": "2025-03-12 16:00:00", "end_at": "2025-03-12 17:00:00"}
    fails(
        s,
        "create_event",
        {**base, "calendar": 5},
        "forbidden",
        "you cannot add events to calendar Product Roadmap: you need to own it or have write access",
    )
    fails(
        s,
        "create_event",
        {**base, "end_at": "2025-03-12 16:00:00"},
        "invalid_time",
        "an event must end after it starts (2025-03-12 16:00:00 is not after 2025-03-12 16:00:00)",
    )
    fails(
        s,
        "create_event",
        {**base, "recurrence_until": "2025-04-01"},
        "invalid_recurrence",
        "recurrence_until needs a recurrence (daily, weekly or monthly)",
    )
    fails(
        s,
        "create_event",
        {**base, "recurrence": "weekly", "recurrence_until": "2025-03-01"},
        "invalid_recurrence",
        "the recurrence cannot end (2025-03-01) before the first occurrence (2025-03-12)",
    )
    fails(s, "create_event", {**base, "invitees": [2, 99]}, "not_found")
    fails(
        s,
        "create_event",
        {**base, "reminders": [{"minutes_before": 10, "method": "popup"}, {"minutes_before": -5, "method": "popup"}]},
        "invalid_reminder",
        "a reminder is 0 to 40320 minutes (4 weeks) before the event, got -5",
    )
    fails(
        s,
        "create_event",
        {**base, "reminders": [{"minutes_before": 40321, "method": "email"}]},
        "invalid_reminder",
        "a reminder is 0 to 40320 minutes (4 weeks) before the event, got 40321",
    )
    fails(s, "create_event", {**base, "title": ""}, "invalid_arguments")


def test_read_only_share_cannot_create_events(spec_session):
    priya = spec_session("calendar", user=3)  # Priya can read Maya's Work calendar
    fails(
        priya,
        "create_event",
        {"calendar": 1, "title": "Sneaky", "start_at": "2025-03-12 16:00:00", "end_at": "2025-03-12 17:00:00"},
        "forbidden",
        "you cannot add events to calendar Work: you need to own it or have write access",
    )


def test_get_event(s):
    assert ok(s, "get_event", {"event": 7})["title"] == "Q2 roadmap review"  # shared calendar
    ev = ok(s, "get_event", {"event": 9})  # not shared, but Maya is invited
    assert ev["title"] == "Spring campaign kickoff" and ev["calendar_id"] == 8
    fails(s, "get_event", {"event": 13}, "forbidden", "you cannot see event 13")
    fails(s, "get_event", {"event": 999}, "not_found")


def test_list_calendar_events(s):
    evs = ok(s, "list_calendar_events", {"calendar": 3, "from_date": "2025-03-10", "to_date": "2025-03-11"})
    assert ids(evs) == [1, 2, 3]
    assert [e["start_at"] for e in evs] == ["2025-03-10 09:30:00", "2025-03-10 14:00:00", "2025-03-11 11:00:00"]
    assert 37 not in ids(ok(s, "list_calendar_events", {"calendar": 1}))
    assert ids(ok(s, "list_calendar_events", {"calendar": 1, "include_cancelled": True})) == [28, 4, 5, 37, 26]
    assert ids(ok(s, "list_calendar_events", {"calendar": 10})) == [12]  # shared with write access
    fails(s, "list_calendar_events", {"calendar": 11}, "forbidden", "calendar Client Meetings is not shared with you")


def test_search_events(s):
    assert ids(ok(s, "search_events", {"query": "SPRINT"})) == [11, 2]
    assert ids(ok(s, "search_events", {"query": "zoom"})) == [28]  # location; Acme's Zoom call is not visible
    assert ok(s, "search_events", {"query": "acme"}) == []
    assert ids(ok(s, "search_events", {"query": "budget"})) == []
    assert ids(ok(s, "search_events", {"query": "budget", "include_cancelled": True})) == [37]
    assert ids(ok(s, "search_events", {"query": "e", "limit": 3})) == [34, 27, 11]  # 35 and 36 are not visible
    fails(s, "search_events", {"query": ""}, "invalid_arguments")


def test_search_events_as_another_user(spec_session):
    aisha = spec_session("calendar", user=7)
    assert ids(ok(aisha, "search_events", {"query": "acme"})) == [13]


def test_update_event_moves_room_bookings(s):
    ev = ok(
        s,
        "update_event",
        {
            "event": 2,
            "title": "Sprint 14 planning (moved)",
            "new_start_at": "2025-03-11 10:30:00",
            "new_end_at": "2025-03-11 11:30:00",
        },
    )
    assert ev["title"] == "Sprint 14 planning (moved)"
    assert (ev["start_at"], ev["end_at"]) == ("2025-03-11 10:30:00", "2025-03-11 11:30:00")
    assert ev["location"] == "HQ-3 Atlas"  # kept
    assert s.query("SELECT room_id, start_at, end_at FROM room_booking WHERE event_id = 2") == [
        (4, "2025-03-11 10:30:00", "2025-03-11 11:30:00")
    ]


def test_update_event_by_writer(spec_session):
    jonas = spec_session("calendar", user=2)  # write access to Platform Team
    ev = ok(jonas, "update_event", {"event": 11, "location": "HQ-2 Orion", "description": "Bring one win, one pain"})
    assert ev["location"] == "HQ-2 Orion" and ev["description"] == "Bring one win, one pain"
    assert ev["start_at"] == "2025-03-21 14:00:00"
    assert jonas.query("SELECT location FROM event WHERE id = 11") == [("HQ-2 Orion",)]


def test_update_event_failures(s):
    fails(
        s,
        "update_event",
        {"event": 7, "title": "Mine"},
        "forbidden",
        "you need write access to calendar Product Roadmap to edit Q2 roadmap review",
    )
    fails(
        s,
        "update_event",
        {"event": 2, "new_start_at": "2025-03-12 10:30:00", "new_end_at": "2025-03-12 11:30:00"},
        "room_conflict",
        "room Atlas is already booked between 2025-03-12 10:30:00 and 2025-03-12 11:30:00",
    )
    fails(
        s,
        "update_event",
        {"event": 5, "new_end_at": "2025-03-12 09:00:00"},
        "invalid_time",
        "an event must end after it starts (2025-03-12 09:00:00 is not after 2025-03-12 10:00:00)",
    )
    fails(s, "update_event", {"event": 37, "title": "Budget"}, "event_cancelled", "event Budget check-in is cancelled")
    # the weekly 1:1 repeats until 2025-05-27: it cannot be moved past that
    fails(
        s,
        "update_event",
        {"event": 4, "new_start_at": "2025-06-03 15:00:00", "new_end_at": "2025-06-03 15:30:00"},
        "invalid_recurrence",
        "1:1 Maya / Priya repeats only until 2025-05-27; it cannot start on 2025-06-03",
    )
    # the last occurrence day itself is fine
    assert (
        ok(s, "update_event", {"event": 4, "new_start_at": "2025-05-27 15:00:00", "new_end_at": "2025-05-27 15:30:00"})[
            "start_at"
        ]
        == "2025-05-27 15:00:00"
    )


def test_cancel_event_releases_rooms(s):
    ev = ok(s, "cancel_event", {"event": 5})
    assert ev["status"] == "cancelled"
    assert s.query("SELECT status FROM event WHERE id = 5") == [("cancelled",)]
    assert s.query("SELECT count(*) FROM room_booking WHERE event_id = 5") == [(0,)]
    assert s.query("SELECT count(*) FROM attendee WHERE event_id = 5") == [(5,)]
    # Atlas is free again on Wednesday 10:00
    assert 4 in ids(ok(s, "find_free_rooms", {"start_at": "2025-03-12 10:00:00", "end_at": "2025-03-12 11:00:00"}))


def test_cancel_event_failures(s):
    fails(s, "cancel_event", {"event": 37}, "already_cancelled", "event Budget check-in is already cancelled")
    fails(
        s,
        "cancel_event",
        {"event": 7},
        "forbidden",
        "you need write access to calendar Product Roadmap to cancel Q2 roadmap review",
    )


def test_delete_event_cascades(s):
    assert ok(s, "delete_event", {"event_id": 26}) == {"deleted": 26}
    assert s.query("SELECT count(*) FROM event WHERE id = 26") == [(0,)]
    assert s.query("SELECT count(*) FROM attendee WHERE event_id = 26") == [(0,)]
    assert s.query("SELECT count(*) FROM room_booking WHERE event_id = 26") == [(0,)]
    assert s.query("SELECT count(*) FROM reminder WHERE event_id = 26") == [(0,)]
    # event 12 is on Tom's On-call calendar: write access is not enough to delete
    fails(s, "delete_event", {"event_id": 12}, "not_found")


def test_event_summary(s):
    assert ok(s, "event_summary", {"event": 7}) == (
        "Q2 roadmap review (confirmed) starts 2025-03-13 13:00:00, in 3 days, at HQ-5 Summit Hall: "
        "4 accepted, 1 tentative, 2 not answered"
    )
    assert ok(s, "event_summary", {"event": 4}) == (
        "1:1 Maya / Priya (confirmed) starts 2025-03-11 15:00:00, tomorrow, at HQ-2 Lyra: "
        "2 accepted, 0 tentative, 0 not answered"
    )
    assert ok(s, "event_summary", {"event": 1}).startswith(
        "Platform standup (confirmed) starts 2025-03-10 09:30:00, today,"
    )
    assert ok(s, "event_summary", {"event": 29}).startswith(
        "Postmortem: cache outage (confirmed) starts 2025-03-05 14:00:00, 5 days ago, at HQ-3 Vega"
    )
    assert ok(s, "event_summary", {"event": 12}) == (
        "On-call handover (confirmed) starts 2025-03-17 09:00:00, in 7 days, at no location: "
        "3 accepted, 0 tentative, 0 not answered"
    )
    fails(s, "event_summary", {"event": 13}, "forbidden", "you cannot see event 13")


# ---- attendees and RSVPs ------------------------------------------------------------------------


def test_invite_attendees(s):
    attendees = ok(s, "invite_attendees", {"event": 4, "users": [2, 6, 3]})
    assert [(a["user_id"], a["rsvp"]) for a in attendees] == [
        (1, "accepted"),
        (3, "accepted"),
        (2, "invited"),
        (6, "invited"),
    ]
    assert s.query("SELECT count(*) FROM attendee WHERE event_id = 4") == [(4,)]


def test_invite_attendees_failures(s):
    # Lyra holds 4 people: the 1:1 already has 2, three more would be 5
    fails(
        s,
        "invite_attendees",
        {"event": 4, "users": [2, 6, 8]},
        "over_capacity",
        "room Lyra holds 4 people but 1:1 Maya / Priya would have 5",
    )
    fails(s, "invite_attendees", {"event": 4, "users": []}, "no_invitees", "name at least one person to invite")
    fails(
        s,
        "invite_attendees",
        {"event": 7, "users": [2]},
        "forbidden",
        "you need write access to calendar Product Roadmap to invite people to Q2 roadmap review",
    )
    fails(s, "invite_attendees", {"event": 37, "users": [2]}, "event_cancelled", "event Budget check-in is cancelled")
    fails(s, "invite_attendees", {"event": 4, "users": [99]}, "not_found")


def test_remove_attendee(s):
    assert ok(s, "remove_attendee", {"event": 2, "user": 3}) == 1
    assert s.query("SELECT user_id FROM attendee WHERE event_id = 2 ORDER BY id") == [(1,), (2,), (6,), (10,)]


def test_remove_attendee_deletes_their_reminders(spec_session):
    priya = spec_session("calendar", user=3)  # Priya owns the Product Roadmap calendar
    assert priya.query("SELECT id, user_id FROM reminder WHERE event_id = 7 ORDER BY id") == [(5, 1), (12, 3), (13, 4)]
    assert ok(priya, "remove_attendee", {"event": 7, "user": 4}) == 1
    assert priya.query("SELECT count(*) FROM attendee WHERE event_id = 7 AND user_id = 4") == [(0,)]
    assert priya.query("SELECT id, user_id FROM reminder WHERE event_id = 7 ORDER BY id") == [(5, 1), (12, 3)]


def test_remove_attendee_failures(s):
    fails(
        s,
        "remove_attendee",
        {"event": 2, "user": 11},
        "not_invited",
        "Fatima Haddad is not on the attendee list of Sprint 14 planning",
    )
    fails(
        s,
        "remove_attendee",
        {"event": 3, "user": 2},
        "organizer",
        "Jonas Weber organizes Incident review: payment timeouts and cannot be removed",
    )
    fails(
        s,
        "remove_attendee",
        {"event": 7, "user": 4},
        "forbidden",
        "you need write access to calendar Product Roadmap to change the attendees of Q2 roadmap review",
    )


def test_event_attendees(s):
    declined = ok(s, "event_attendees", {"event": 10, "rsvp": "declined"})
    assert [(a["user_id"], a["comment"]) for a in declined] == [(10, "Night time in Tokyo")]
    everyone = ok(s, "event_attendees", {"event": 2})
    assert [a["user_id"] for a in everyone] == [1, 2, 6, 10, 3]
    assert everyone[0]["is_organizer"] is True
    organizer_first = ok(s, "event_attendees", {"event": 3})
    assert organizer_first[0]["user_id"] == 2 and organizer_first[0]["is_organizer"] is True
    fails(s, "event_attendees", {"event": 13}, "forbidden", "you cannot see event 13")


def test_respond_to_invitation(s):
    a = ok(
        s, "respond_to_invitation", {"event": 7, "response": "accepted", "comment": "Will present the platform bets"}
    )
    assert a["id"] == 23 and a["rsvp"] == "accepted" and a["responded_at"] == "2025-03-10 09:00:01"
    assert a["comment"] == "Will present the platform bets"
    assert s.query("SELECT rsvp, comment FROM attendee WHERE id = 23") == [
        ("accepted", "Will present the platform bets")
    ]
    # changing your mind is allowed
    assert ok(s, "respond_to_invitation", {"event": 7, "response": "tentative"})["rsvp"] == "tentative"
    # accepting after declining when the room still has space
    assert ok(s, "respond_to_invitation", {"event": 16, "response": "accepted"})["rsvp"] == "accepted"


def test_respond_to_invitation_failures(s):
    fails(
        s,
        "respond_to_invitation",
        {"event": 7, "response": "invited"},
        "invalid_response",
        "respond with accepted, declined or tentative",
    )
    fails(
        s,
        "respond_to_invitation",
        {"event": 37, "response": "accepted"},
        "event_cancelled",
        "event Budget check-in is cancelled",
    )
    fails(
        s,
        "respond_to_invitation",
        {"event": 30, "response": "accepted"},
        "event_over",
        "event Feature prioritization ended at 2025-03-04 11:00:00",
    )
    fails(
        s,
        "respond_to_invitation",
        {"event": 13, "response": "accepted"},
        "not_invited",
        "you are not invited to Acme Corp renewal call",
    )
    # Elm holds 2 and the Tokyo sync already has Hiro and Tom
    fails(
        s,
        "respond_to_invitation",
        {"event": 22, "response": "accepted"},
        "over_capacity",
        "room Elm is full (2 people)",
    )
    fails(s, "respond_to_invitation", {"event": 7, "response": "maybe"}, "invalid_arguments")
    # the organizer cannot decline their own event (but may say tentative)
    fails(
        s,
        "respond_to_invitation",
        {"event": 1, "response": "declined"},
        "organizer",
        "you organize Platform standup: cancel it instead of declining",
    )
    assert ok(s, "respond_to_invitation", {"event": 1, "response": "tentative"})["rsvp"] == "tentative"


def test_pending_invitations(s):
    pending = ok(s, "pending_invitations")
    assert [p["event_id"] for p in pending] == [7, 9, 21, 33, 34]
    assert all(p["rsvp"] == "invited" and p["user_id"] == 1 for p in pending)
    assert [p["event_id"] for p in ok(s, "pending_invitations", {"limit": 2})] == [7, 9]
    ok(s, "respond_to_invitation", {"event": 9, "response": "declined"})
    assert [p["event_id"] for p in ok(s, "pending_invitations")] == [7, 21, 33, 34]
    fails(s, "pending_invitations", {"limit": 0}, "invalid_arguments")


def test_my_rsvp_summary(s):
    summary = ok(s, "my_rsvp_summary")
    assert summary == [
        {"rsvp": "accepted", "events": 14},
        {"rsvp": "declined", "events": 2},
        {"rsvp": "invited", "events": 5},
        {"rsvp": "tentative", "events": 2},
    ]
    expected = s.query(
        "SELECT a.rsvp, count(*) FROM attendee a JOIN event e ON e.id = a.event_id WHERE a.user_id = 1 "
        "AND e.status = 'confirmed' AND e.start_at >= '2025-03-10 09:00:02' AND e.start_at < '2025-04-09 09:00:02' "
        "GROUP BY a.rsvp ORDER BY a.rsvp"
    )
    assert [(x["rsvp"], x["events"]) for x in summary] == expected
    week = ok(s, "my_rsvp_summary", {"days_ahead": 3})
    assert week == [{"rsvp": "accepted", "events": 7}, {"rsvp": "declined", "events": 2}]
    fails(s, "my_rsvp_summary", {"days_ahead": 0}, "invalid_arguments")


def test_upcoming_events(s):
    assert ids(ok(s, "upcoming_events", {"days_ahead": 1})) == [1, 18, 2]
    ok(s, "respond_to_invitation", {"event": 18, "response": "declined"})
    assert ids(ok(s, "upcoming_events", {"days_ahead": 1})) == [1, 2]
    week = ok(s, "upcoming_events")
    assert ids(week) == [1, 2, 3, 4, 5, 6, 8, 7, 25, 9, 10, 24, 12]  # declined (16, 22) and cancelled (37) left out
    assert all(e["status"] == "confirmed" for e in week)
    fails(s, "upcoming_events", {"days_ahead": 91}, "invalid_arguments")


# ---- rooms --------------------------------------------------------------------------------------


def test_book_room(s):
    b = ok(s, "book_room", {"event": 6, "room": 5})
    assert b["room_id"] == 5 and b["event_id"] == 6 and b["booked_by_id"] == 1
    assert (b["start_at"], b["end_at"]) == ("2025-03-12 17:30:00", "2025-03-12 18:15:00")
    assert s.query("SELECT room_id FROM room_booking WHERE event_id = 6") == [(5,)]
    assert ids(ok(s, "room_schedule", {"room": 5, "day": "2025-03-12"})) == [15, b["id"]]


def test_book_room_rejects_overlapping_booking(s):
    ev = ok(
        s,
        "create_event",
        {"calendar": 1, "title": "Design pairing", "start_at": "2025-03-13 10:30:00", "end_at": "2025-03-13 11:30:00"},
    )
    fails(
        s,
        "book_room",
        {"event": ev["id"], "room": 7},
        "room_conflict",
        "room Maple is already booked from 2025-03-13 10:00:00 on; pick another room or time",
    )
    # back to back is fine: Maple is free from 11:00, so a meeting from 11:30 gets it
    ok(
        s,
        "update_event",
        {"event": ev["id"], "new_start_at": "2025-03-13 11:00:00", "new_end_at": "2025-03-13 12:00:00"},
    )
    assert ok(s, "book_room", {"event": ev["id"], "room": 7})["start_at"] == "2025-03-13 11:00:00"


def test_book_room_failures(s):
    fails(
        s,
        "book_room",
        {"event": 2, "room": 8},
        "over_capacity",
        "room Birch holds 3 people but Sprint 14 planning has 5 attendees",
    )
    fails(s, "book_room", {"event": 2, "room": 4}, "already_booked", "Atlas is already booked for Sprint 14 planning")
    fails(
        s,
        "book_room",
        {"event": 7, "room": 2},
        "forbidden",
        "you need write access to calendar Product Roadmap to book rooms for Q2 roadmap review",
    )
    fails(s, "book_room", {"event": 37, "room": 10}, "event_cancelled", "event Budget check-in is cancelled")
    fails(s, "book_room", {"event": 6, "room": 11}, "not_found")


def test_release_room(s):
    assert ok(s, "release_room", {"room_booking_id": 2}) == {"deleted": 2}
    assert s.query("SELECT count(*) FROM room_booking WHERE id = 2") == [(0,)]
    # booking 3 was made by Jonas for an event on Maya's Platform Team calendar
    assert ok(s, "release_room", {"room_booking_id": 3}) == {"deleted": 3}
    assert s.query("SELECT count(*) FROM event WHERE id IN (2, 3)") == [(2,)]
    fails(s, "release_room", {"room_booking_id": 8}, "not_found")


def test_room_schedule(s):
    sched = ok(s, "room_schedule", {"room": 4, "day": "2025-03-12"})
    assert [(b["id"], b["event_id"], b["start_at"]) for b in sched] == [(5, 5, "2025-03-12 10:00:00")]
    assert ok(s, "room_schedule", {"room": 4, "day": "2025-03-15"}) == []
    fails(s, "room_schedule", {"room": 99, "day": "2025-03-12"}, "not_found")


def test_find_free_rooms(s):
    free = ok(
        s,
        "find_free_rooms",
        {"start_at": "2025-03-12 10:00:00", "end_at": "2025-03-12 11:00:00", "min_capacity": 5, "building": "HQ"},
    )
    assert [r["name"] for r in free] == ["Vega", "Orion", "Summit Hall"]
    video = ok(
        s,
        "find_free_rooms",
        {"start_at": "2025-03-13 10:30:00", "end_at": "2025-03-13 11:00:00", "min_capacity": 8, "needs_video": True},
    )
    assert [r["name"] for r in video] == ["Orion", "Atlas", "Cedar", "Summit Hall"]  # Maple is booked
    fails(
        s,
        "find_free_rooms",
        {"start_at": "2025-03-12 11:00:00", "end_at": "2025-03-12 10:00:00"},
        "invalid_time",
        "the window must end after it starts",
    )


def test_room_usage(s):
    usage = ok(s, "room_usage", {"day": "2025-03-12"})
    assert usage == [
        {"room_id": 3, "bookings": 1, "first_start": "2025-03-12 13:00:00", "last_end": "2025-03-12 14:00:00"},
        {"room_id": 4, "bookings": 1, "first_start": "2025-03-12 10:00:00", "last_end": "2025-03-12 11:00:00"},
        {"room_id": 5, "bookings": 1, "first_start": "2025-03-12 14:00:00", "last_end": "2025-03-12 16:00:00"},
        {"room_id": 8, "bookings": 1, "first_start": "2025-03-12 09:00:00", "last_end": "2025-03-12 10:00:00"},
    ]
    ok(s, "book_room", {"event": 6, "room": 4})
    atlas = [u for u in ok(s, "room_usage", {"day": "2025-03-12"}) if u["room_id"] == 4]
    assert atlas == [
        {"room_id": 4, "bookings": 2, "first_start": "2025-03-12 10:00:00", "last_end": "2025-03-12 18:15:00"}
    ]
    fails(s, "room_usage", {"day": "not a date"}, "invalid_arguments")


# ---- availability -----------------------------------------------------------------------------


def test_free_busy(s):
    monday = ok(
        s,
        "free_busy",
        {"user": 1, "window": {"kind": "between", "start_at": "2025-03-10 00:00:00", "end_at": "2025-03-11 00:00:00"}},
    )
    assert monday == [
        {"start_at": "2025-03-10 09:30:00", "end_at": "2025-03-10 09:45:00", "rsvp": "accepted"},
        {"start_at": "2025-03-10 11:00:00", "end_at": "2025-03-10 12:00:00", "rsvp": "accepted"},
        {"start_at": "2025-03-10 14:00:00", "end_at": "2025-03-10 15:30:00", "rsvp": "accepted"},
    ]
    assert ok(s, "free_busy", {"user": 1, "window": {"kind": "next_hours", "hours": 8}}) == monday
    hiro = ok(s, "free_busy", {"user": 10, "window": {"kind": "next_days", "days": 1}})
    assert hiro == [
        {"start_at": "2025-03-10 09:30:00", "end_at": "2025-03-10 09:45:00", "rsvp": "tentative"},
        {"start_at": "2025-03-10 14:00:00", "end_at": "2025-03-10 15:30:00", "rsvp": "accepted"},
        {"start_at": "2025-03-11 08:00:00", "end_at": "2025-03-11 08:45:00", "rsvp": "accepted"},
    ]


def test_free_busy_failures(s):
    fails(
        s,
        "free_busy",
        {"user": 1, "window": {"kind": "next_days", "days": 100}},
        "invalid_window",
        "next_days takes 1 to 60 days, got 100",
    )
    fails(
        s,
        "free_busy",
        {"user": 1, "window": {"kind": "next_hours", "hours": 0}},
        "invalid_window",
        "next_hours takes 1 to 72 hours, got 0",
    )
    fails(
        s,
        "free_busy",
        {"user": 1, "window": {"kind": "between", "start_at": "2025-03-12 00:00:00", "end_at": "2025-03-11 00:00:00"}},
        "invalid_window",
        "the window must end after it starts",
    )
    fails(s, "free_busy", {"user": 1, "window": {"kind": "weeks", "n": 1}}, "invalid_arguments")
    fails(s, "free_busy", {"user": 99, "window": {"kind": "next_days", "days": 1}}, "not_found")


def test_suggest_meeting_time(s):
    assert (
        ok(
            s,
            "suggest_meeting_time",
            {"users": [2], "earliest": "2025-03-10 09:00:00", "latest": "2025-03-10 18:00:00", "duration_minutes": 60},
        )
        == "2025-03-10 10:00:00"
    )
    # back to back with the standup is fine
    assert (
        ok(
            s,
            "suggest_meeting_time",
            {"users": [2], "earliest": "2025-03-10 09:00:00", "latest": "2025-03-10 09:40:00"},
        )
        == "2025-03-10 09:00:00"
    )
    # Tom is in the sprint planning until 15:30; Oliver has the pipeline review 15:00-16:00
    assert (
        ok(
            s,
            "suggest_meeting_time",
            {
                "users": [6, 12],
                "earliest": "2025-03-10 13:00:00",
                "latest": "2025-03-10 18:00:00",
                "duration_minutes": 90,
            },
        )
        == "2025-03-10 16:00:00"
    )


def test_suggest_meeting_time_failures(s):
    fails(
        s,
        "suggest_meeting_time",
        {"users": [2], "earliest": "2025-03-10 09:30:00", "latest": "2025-03-10 09:45:00"},
        "no_slot",
        "no common free 30-minute slot between 2025-03-10 09:30:00 and 2025-03-10 09:45:00",
    )
    fails(
        s,
        "suggest_meeting_time",
        {"users": [2], "earliest": "2025-03-10 12:00:00", "latest": "2025-03-10 12:00:00"},
        "invalid_time",
        "latest must be after earliest",
    )
    fails(
        s,
        "suggest_meeting_time",
        {"users": [2], "earliest": "2025-03-10 09:00:00", "latest": "2025-03-10 18:00:00", "duration_minutes": 5},
        "invalid_arguments",
    )


# ---- reminders ----------------------------------------------------------------------------------


def test_add_reminder_upserts(s):
    r = ok(s, "add_reminder", {"event": 9, "minutes_before": 30})
    assert (r["event_id"], r["user_id"], r["minutes_before"], r["method"]) == (9, 1, 30, "popup")
    again = ok(s, "add_reminder", {"event": 9, "minutes_before": 30, "method": "email"})
    assert again["id"] == r["id"] and again["method"] == "email"
    assert s.query("SELECT minutes_before, method FROM reminder WHERE event_id = 9 AND user_id = 1") == [(30, "email")]


def test_add_reminder_failures(s):
    fails(s, "add_reminder", {"event": 13, "minutes_before": 30}, "forbidden", "you cannot see event 13")
    fails(
        s, "add_reminder", {"event": 37, "minutes_before": 30}, "event_cancelled", "event Budget check-in is cancelled"
    )
    fails(s, "add_reminder", {"event": 9, "minutes_before": 50000}, "invalid_arguments")


def test_my_reminders(s):
    mine = ok(s, "my_reminders")
    assert ids(mine) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 22]
    assert [(r["minutes_before"], r["method"]) for r in ok(s, "my_reminders", {"event_id": 6})] == [
        (60, "email"),
        (1440, "email"),
    ]
    assert ids(ok(s, "my_reminders", {"method": "email"})) == [3, 4, 7, 8]
    fails(s, "my_reminders", {"method": "sms"}, "invalid_arguments")


def test_update_reminder(s):
    r = ok(s, "update_reminder", {"reminder_id": 3, "minutes_before": 120})
    assert (r["minutes_before"], r["method"]) == (120, "email")
    assert s.query("SELECT minutes_before, method FROM reminder WHERE id = 3") == [(120, "email")]
    fails(s, "update_reminder", {"reminder_id": 10, "minutes_before": 120}, "not_found")  # Jonas's reminder
    fails(
        s,
        "update_reminder",
        {"reminder_id": 3, "minutes_before": 1440},
        "duplicate_reminder",
        "you already have a reminder 1440 minutes before Dentist",
    )  # reminder 4 has that lead time
    fails(s, "update_reminder", {"reminder_id": 3, "minutes_before": -1}, "invalid_arguments")
    # the same lead time on another event is fine, and so is only changing the method
    assert ok(s, "update_reminder", {"reminder_id": 2, "minutes_before": 1440})["minutes_before"] == 1440
    assert ok(s, "update_reminder", {"reminder_id": 4, "method": "popup"})["minutes_before"] == 1440


def test_delete_reminder(s):
    assert ok(s, "delete_reminder", {"reminder_id": 4}) == {"deleted": 4}
    assert s.query("SELECT id FROM reminder WHERE event_id = 6") == [(3,)]
    fails(s, "delete_reminder", {"reminder_id": 10}, "not_found")


def test_due_reminders(s):
    assert ids(ok(s, "due_reminders")) == [9]  # the standup at 09:30, 5 minutes before
    assert ids(ok(s, "due_reminders", {"within_minutes": 300})) == [9, 1]
    # the dentist reminder a day ahead fires on Tuesday 17:30
    assert 4 in ids(ok(s, "due_reminders", {"within_minutes": 2000}))
    assert 4 not in ids(ok(s, "due_reminders", {"within_minutes": 1900}))
    fails(s, "due_reminders", {"within_minutes": 0}, "invalid_arguments")


# ---- misc -------------------------------------------------------------------------------------


def test_unknown_tool(s):
    r = s.call("book_a_room", {})
    assert r["error"]["code"] == "unknown_tool"


def test_clock_advances_per_call(s):
    ok(s, "get_user", {"user_id": 1})
    ok(s, "get_user", {"user_id": 1})
    c = ok(s, "create_calendar", {"name": "Clock check"})
    assert c["created_at"] == "2025-03-10 09:00:03"


# ---- invariants -------------------------------------------------------------------------------

INVARIANTS = {
    "events_end_after_start",
    "no_double_booking",
    "booking_matches_event",
    "room_holds_attendees",
    "cancelled_events_hold_no_rooms",
    "one_organizer",
    "one_attendee_row",
    "rsvp_timestamps",
    "not_shared_with_owner",
    "recurrence_consistent",
}


def test_invariants_hold_on_the_seed(s):
    assert set(s.env.invariants) >= INVARIANTS
    assert s.check_invariants() == []


def test_invariants_hold_after_a_realistic_day_of_writes(spec_session, request):
    s = spec_session("calendar")
    s2 = s.env.session(user=1, invariants="enforce")  # the spec_session fixture has no invariants option
    request.addfinalizer(s2.close)
    for sess in (s, s2):
        ev = ok(
            sess,
            "create_event",
            {
                "calendar": 3,
                "title": "Capacity planning",
                "start_at": "2025-03-14 14:00:00",
                "end_at": "2025-03-14 15:00:00",
                "invitees": [2, 6, 10],
                "reminders": [{"minutes_before": 15, "method": "popup"}],
            },
        )
        ok(sess, "book_room", {"event": ev["id"], "room": 3})
        ok(
            sess,
            "update_event",
            {"event": ev["id"], "new_start_at": "2025-03-14 15:00:00", "new_end_at": "2025-03-14 16:00:00"},
        )
        ok(sess, "respond_to_invitation", {"event": 16, "response": "accepted"})
        ok(sess, "respond_to_invitation", {"event": 7, "response": "declined", "comment": "Conflict"})
        ok(sess, "invite_attendees", {"event": 2, "users": [3, 8]})
        ok(sess, "remove_attendee", {"event": 2, "user": 3})
        ok(sess, "cancel_event", {"event": 5})
        ok(sess, "release_room", {"room_booking_id": 10})
        ok(sess, "book_room", {"event": 11, "room": 2})
        ok(sess, "share_calendar", {"calendar": 2, "user": 3, "permission": "write"})
        ok(sess, "create_calendar", {"name": "Hiring"})
        ok(sess, "update_reminder", {"reminder_id": 3, "minutes_before": 90})
        ok(sess, "delete_event", {"event_id": 26})
        assert sess.check_invariants() == []
    # the tools refuse every write that would break an invariant before it reaches the checker
    assert s2.violations == []
    fails(
        s2,
        "respond_to_invitation",
        {"event": 2, "response": "declined"},
        "organizer",
        "you organize Sprint 14 planning: cancel it instead of declining",
    )
    fails(
        s2,
        "update_event",
        {"event": 2, "new_start_at": "2025-03-19 11:30:00", "new_end_at": "2025-03-19 12:30:00"},
        "room_conflict",
        "room Atlas is already booked between 2025-03-19 11:30:00 and 2025-03-19 12:30:00",
    )
    fails(
        s2,
        "invite_attendees",
        {"event": 4, "users": [2, 6, 8]},
        "over_capacity",
        "room Lyra holds 4 people but 1:1 Maya / Priya would have 5",
    )
    assert s2.check_invariants() == [] and s2.violations == []


def test_invariants_catch_a_corrupted_state(s):
    # no tool can do this; written straight to the database to show the invariants notice it
    s.db.execute(
        "UPDATE room_booking SET start_at = '2025-03-10 14:30:00', end_at = '2025-03-10 15:00:00' WHERE id = 10"
    )
    s.db.execute("UPDATE attendee SET rsvp = 'declined' WHERE id = 1")
    broken = {v["invariant"]: v["rows"] for v in s.check_invariants()}
    assert broken == {"no_double_booking": [2, 10], "booking_matches_event": [10], "one_organizer": [1]}


# ---- tasks --------------------------------------------------------------------------------------
