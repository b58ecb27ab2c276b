"""Tests for specs/social.awm: a small social network.

Seed facts used throughout (user ids): 1 maya_lin (the default user), 2 theo_r, 3 priya_k
(friends-only profile), 4 jonas_w, 5 aiko_t (private), 6 sam_okafor, 7 lena_m (friends-only),
8 diego_v, 9 hannah_b, 10 omar_f, 11 grace_h (private), 12 nico_deals.
Maya's friends: 2, 3, 5, 7. Blocks: 1 blocked 12, 6 blocked 12, 10 blocked 3.
"""

from __future__ import annotations

import pytest
from spec_helpers import err, fails, ok, one

SPEC = "social"
TABLES = [
    "user",
    "follow",
    "friend_request",
    "friendship",
    "post",
    "comment",
    "like",
    "hashtag",
    "post_tag",
    "conversation",
    "message",
    "notification",
    "block",
]


# ---- helpers ------------------------------------------------------------------------------


def count(s, sql, params=()):
    return s.query(sql, params)[0][0]


def usernames(users):
    return [u["username"] for u in users]


def ids(rows):
    return [r["id"] for r in rows]


@pytest.fixture
def s(spec_session):
    return spec_session(SPEC)


# ---- seed and coverage ---------------------------------------------------------------------


def test_seed_is_large_and_consistent(s):
    total = sum(count(s, f'SELECT COUNT(*) FROM "{t}"') for t in TABLES)
    assert total >= 150
    assert count(s, 'SELECT COUNT(*) FROM "user"') == 12
    assert count(s, 'SELECT COUNT(*) FROM "post"') == 32
    # the like_count counter matches the likes in every post
    mismatched = s.query(
        'SELECT p.id FROM post p WHERE p.like_count != (SELECT COUNT(*) FROM "like" l WHERE l.post_id = p.id)'
    )
    assert mismatched == []
    # friendships are symmetric
    assert (
        s.query(
            "SELECT owner_id, friend_id FROM friendship f WHERE NOT EXISTS "
            "(SELECT 1 FROM friendship g WHERE g.owner_id = f.friend_id AND g.friend_id = f.owner_id)"
        )
        == []
    )


def test_unknown_tool(s):
    e = fails(s, "delete_everything", {}, "unknown_tool")
    assert "delete_everything" in e["message"]


# ---- profiles --------------------------------------------------------------------------------


def test_update_profile(s):
    r = ok(s.call("update_profile", {"user_id": 1, "bio": "Sketching Porto this month.", "visibility": "friends"}))
    assert r["bio"] == "Sketching Porto this month."
    assert r["visibility"] == "friends"
    assert r["display_name"] == "Maya Lin"  # untouched
    assert one(s, 'SELECT bio, visibility, location FROM "user" WHERE id = 1') == (
        "Sketching Porto this month.",
        "friends",
        "Lisbon",
    )


def test_update_profile_of_someone_else_is_not_found(s):
    fails(s, "update_profile", {"user_id": 2, "bio": "hacked"}, "not_found")


def test_update_profile_too_long_bio(s):
    fails(s, "update_profile", {"user_id": 1, "bio": "x" * 281}, "invalid_arguments")


def test_update_profile_bad_visibility(s):
    fails(s, "update_profile", {"user_id": 1, "visibility": "hidden"}, "invalid_arguments")


def test_view_profile_of_friend(s):
    p = ok(s.call("view_profile", {"user": 3}))
    assert p == {
        "id": 3,
        "username": "priya_k",
        "display_name": "Priya Kapoor",
        "bio": "Product designer. Plants, podcasts, too many notebooks.",
        "location": "London",
        "visibility": "friends",
        "joined_at": "2023-06-07 08:05:00",
        "member_days": 646,
        "followers": 3,
        "following": 3,
        "posts": 3,
        "is_friend": True,
        "you_follow": True,
        "follows_you": True,
    }


def test_view_profile_hides_bio_of_private_stranger(s):
    p = ok(s.call("view_profile", {"user": 11}))
    assert p["username"] == "grace_h"
    assert p["bio"] is None and p["location"] is None
    assert p["is_friend"] is False and p["you_follow"] is False
    assert p["posts"] == 1


def test_view_profile_blocked(spec_session):
    s12 = spec_session(SPEC, user=12)
    fails(s12, "view_profile", {"user": 1}, "blocked", "@maya_lin is not available to you")


def test_view_profile_missing_user(s):
    fails(s, "view_profile", {"user": 99}, "not_found")


def test_search_users(s):
    assert usernames(ok(s.call("search_users", {"query": "TH"}))) == ["theo_r"]
    found = ok(s.call("search_users", {"query": "an", "limit": 3}))
    assert usernames(found) == ["aiko_t", "grace_h", "hannah_b"]


def test_search_users_leaves_out_who_blocked_you(spec_session):
    s3 = spec_session(SPEC, user=3)
    assert ok(s3.call("search_users", {"query": "omar"})) == []
    s12 = spec_session(SPEC, user=12)
    assert ok(s12.call("search_users", {"query": "maya"})) == []
    s2 = spec_session(SPEC, user=2)
    assert usernames(ok(s2.call("search_users", {"query": "maya"}))) == ["maya_lin"]


def test_search_users_query_too_short(s):
    fails(s, "search_users", {"query": " A "}, "query_too_short", 'search for at least 2 characters, got "a"')


def test_account_stats(s):
    assert ok(s.call("account_stats")) == {
        "posts": 5,
        "likes_received": 12,
        "comments_received": 5,
        "followers": 7,
        "following": 7,
        "friends": 4,
        "pending_requests": 2,
        "unread_notifications": 7,
        "member_days": 712,
    }


def test_account_stats_follows_changes(s):
    ok(s.call("like_post", {"post": 16}))  # own like: counts as a like received
    ok(s.call("mark_notifications_read"))
    st = ok(s.call("account_stats"))
    assert st["likes_received"] == 13 and st["unread_notifications"] == 0


def test_account_stats_rejects_arguments(s):
    fails(s, "account_stats", {"verbose": True}, "invalid_arguments")


# ---- following -------------------------------------------------------------------------------


def test_follow_user(s):
    f = ok(s.call("follow_user", {"user": 10}))
    assert f["follower_id"] == 1 and f["followee_id"] == 10
    assert f["created_at"] == "2025-03-14 10:00:01"
    assert one(s, "SELECT COUNT(*) FROM follow WHERE follower_id = 1 AND followee_id = 10") == (1,)
    note = one(
        s, "SELECT kind, actor_id, summary, read FROM notification WHERE recipient_id = 10 ORDER BY id DESC LIMIT 1"
    )
    assert note == ("followed", 1, "@maya_lin started following you", 0)


def test_follow_private_friend_is_allowed(s):
    ok(s.call("follow_user", {"user": 5}))
    assert "maya_lin" in usernames(ok(s.call("list_followers", {"user": 5})))


def test_follow_user_failures(s, spec_session):
    fails(s, "follow_user", {"user": 1}, "cannot_follow_self", "you cannot follow yourself")
    fails(s, "follow_user", {"user": 12}, "blocked", "you blocked @nico_deals; unblock them first")
    fails(s, "follow_user", {"user": 2}, "already_following", "you already follow @theo_r")
    fails(s, "follow_user", {"user": 11}, "private_account", "@grace_h only accepts followers who are friends")
    fails(s, "follow_user", {"user": 404}, "not_found")
    s12 = spec_session(SPEC, user=12)
    fails(s12, "follow_user", {"user": 6}, "blocked", "@sam_okafor has blocked you")


def test_unfollow_user(s):
    assert ok(s.call("unfollow_user", {"user": 2})) == "you no longer follow @theo_r"
    assert count(s, "SELECT COUNT(*) FROM follow WHERE follower_id = 1 AND followee_id = 2") == 0
    assert 2 not in [p["author_id"] for p in ok(s.call("home_feed", {"limit": 100})) if p["visibility"] == "public"]


def test_unfollow_user_not_following(s):
    fails(s, "unfollow_user", {"user": 10}, "not_following", "you do not follow @omar_f")


def test_list_followers(s):
    assert usernames(ok(s.call("list_followers", {"user": 1}))) == [
        "aiko_t",
        "diego_v",
        "jonas_w",
        "lena_m",
        "omar_f",
        "priya_k",
        "theo_r",
    ]
    assert usernames(ok(s.call("list_followers", {"user": 1, "limit": 2}))) == ["aiko_t", "diego_v"]
    # a friends-only profile is open to its friends
    assert usernames(ok(s.call("list_followers", {"user": 7}))) == ["hannah_b", "maya_lin", "priya_k"]


def test_list_followers_private(s, spec_session):
    fails(s, "list_followers", {"user": 11}, "private_account", "@grace_h keeps their followers private")
    s4 = spec_session(SPEC, user=4)
    fails(s4, "list_followers", {"user": 7}, "private_account", "@lena_m keeps their followers private")


def test_list_following(s):
    assert usernames(ok(s.call("list_following", {"user": 2}))) == ["hannah_b", "jonas_w", "maya_lin", "sam_okafor"]


def test_list_following_private(s):
    fails(s, "list_following", {"user": 11}, "private_account", "@grace_h keeps their follows private")
    fails(s, "list_following", {"user": 2, "limit": 0}, "invalid_arguments")


# ---- friends ---------------------------------------------------------------------------------


def test_send_friend_request(s):
    r = ok(s.call("send_friend_request", {"user": 4, "note": "Running buddies?"}))
    assert (r["sender_id"], r["receiver_id"], r["status"], r["note"]) == (1, 4, "pending", "Running buddies?")
    assert one(s, "SELECT status FROM friend_request WHERE sender_id = 1 AND receiver_id = 4") == ("pending",)
    note = one(s, "SELECT kind, actor_id, summary FROM notification WHERE recipient_id = 4 ORDER BY id DESC LIMIT 1")
    assert note == ("friend_request", 1, "@maya_lin sent you a friend request")


def test_send_friend_request_again_after_decline_reuses_the_row(spec_session):
    s4 = spec_session(SPEC, user=4)
    assert one(s4, "SELECT status FROM friend_request WHERE id = 16") == ("declined",)
    r = ok(s4.call("send_friend_request", {"user": 7, "note": "Second try: pottery swap?"}))
    assert r["id"] == 16 and r["status"] == "pending" and r["responded_at"] is None
    assert r["note"] == "Second try: pottery swap?" and r["created_at"] == "2025-03-14 10:00:01"
    assert count(s4, "SELECT COUNT(*) FROM friend_request WHERE sender_id = 4 AND receiver_id = 7") == 1


def test_send_friend_request_failures(s):
    fails(s, "send_friend_request", {"user": 1}, "cannot_friend_self", "you cannot send a friend request to yourself")
    fails(s, "send_friend_request", {"user": 12}, "blocked", "you cannot send a friend request to @nico_deals")
    fails(s, "send_friend_request", {"user": 2}, "already_friends", "you and @theo_r are already friends")
    fails(
        s,
        "send_friend_request",
        {"user": 8},
        "request_pending",
        "@diego_v already sent you friend request 11; answer it instead",
    )
    fails(
        s,
        "send_friend_request",
        {"user": 9},
        "already_requested",
        "you already have a pending friend request to @hannah_b",
    )
    fails(s, "send_friend_request", {"user": 6, "note": "x" * 281}, "invalid_arguments")


def test_respond_to_friend_request_accept(s):
    r = ok(s.call("respond_to_friend_request", {"friend_request": 11, "accept": True}))
    assert r["status"] == "accepted" and r["responded_at"] == "2025-03-14 10:00:01"
    assert s.query(
        "SELECT owner_id, friend_id FROM friendship WHERE 8 IN (owner_id, friend_id) AND 1 IN (owner_id, friend_id) "
        "ORDER BY owner_id"
    ) == [(1, 8), (8, 1)]
    note = one(s, "SELECT kind, actor_id, summary FROM notification WHERE recipient_id = 8 ORDER BY id DESC LIMIT 1")
    assert note == ("friend_accepted", 1, "@maya_lin accepted your friend request")
    assert "diego_v" in usernames(ok(s.call("list_friends")))


def test_respond_to_friend_request_decline(s):
    r = ok(s.call("respond_to_friend_request", {"friend_request": 12, "accept": False}))
    assert r["status"] == "declined"
    assert count(s, "SELECT COUNT(*) FROM friendship WHERE owner_id = 1 AND friend_id = 10") == 0


def test_respond_to_friend_request_failures(s):
    fails(
        s,
        "respond_to_friend_request",
        {"friend_request": 13, "accept": True},
        "forbidden",
        "friend request 13 was not sent to you",
    )
    fails(
        s,
        "respond_to_friend_request",
        {"friend_request": 14, "accept": True},
        "not_pending",
        "friend request 14 is already declined",
    )
    fails(s, "respond_to_friend_request", {"friend_request": 77, "accept": True}, "not_found")


def test_list_friend_requests(s):
    assert ids(ok(s.call("list_friend_requests", {"status": "pending"}))) == [11, 12]
    all_mine = ok(s.call("list_friend_requests"))
    assert ids(all_mine) == [11, 12, 14]
    assert all(r["receiver_id"] == 1 for r in all_mine)


def test_list_friend_requests_bad_status(s):
    fails(s, "list_friend_requests", {"status": "maybe"}, "invalid_arguments")


def test_list_sent_friend_requests(s):
    assert ids(ok(s.call("list_sent_friend_requests", {"status": "pending"}))) == [13]
    sent = ok(s.call("list_sent_friend_requests"))
    assert ids(sent) == [1, 2, 3, 4, 13]
    assert all(r["sender_id"] == 1 for r in sent)
    assert ids(ok(s.call("list_sent_friend_requests", {"status": "declined"}))) == []


def test_list_sent_friend_requests_bad_status(s):
    fails(s, "list_sent_friend_requests", {"status": "ignored"}, "invalid_arguments")


def test_cancel_friend_request(s):
    assert ok(s.call("cancel_friend_request", {"friend_request_id": 13})) == {"deleted": 13}
    assert count(s, "SELECT COUNT(*) FROM friend_request WHERE id = 13") == 0


def test_cancel_friend_request_not_mine_or_not_pending(s):
    fails(s, "cancel_friend_request", {"friend_request_id": 11}, "not_found")  # sent to me, not by me
    fails(s, "cancel_friend_request", {"friend_request_id": 1}, "not_found")  # mine but accepted


def test_list_friends(s):
    assert usernames(ok(s.call("list_friends"))) == ["aiko_t", "lena_m", "priya_k", "theo_r"]
    assert usernames(ok(s.call("list_friends", {"limit": 1}))) == ["aiko_t"]


def test_list_friends_bad_limit(s):
    fails(s, "list_friends", {"limit": 0}, "invalid_arguments")


def test_unfriend(s):
    assert ok(s.call("unfriend", {"user": 2})) == "you and @theo_r are no longer friends"
    assert (
        count(s, "SELECT COUNT(*) FROM friendship WHERE 2 IN (owner_id, friend_id) AND 1 IN (owner_id, friend_id)") == 0
    )
    # Theo's friends-only post is no longer visible
    fails(s, "get_post", {"post": 22}, "not_visible", "post 22 is not visible to you")


def test_unfriend_not_friends(s):
    fails(s, "unfriend", {"user": 4}, "not_friends", "you and @jonas_w are not friends")


# ---- posts -----------------------------------------------------------------------------------


def test_create_post_with_tags_and_poll(s):
    hashtags_before = count(s, "SELECT COUNT(*) FROM hashtag")
    p = ok(
        s.call(
            "create_post",
            {
                "body": "Which sketchbook next?",
                "visibility": "friends",
                "tags": ["Lisbon", " Sketchbooks ", "lisbon"],
                "attachment": {"kind": "poll", "question": "Paper?", "options": ["toned", "white", "black"]},
            },
        )
    )
    assert p["id"] == 33 and p["author_id"] == 1 and p["visibility"] == "friends"
    assert p["attachment"] == {"kind": "poll", "question": "Paper?", "options": ["toned", "white", "black"]}
    assert p["like_count"] == 0 and p["created_at"] == "2025-03-14 10:00:01"
    tags = s.query(
        "SELECT h.name FROM post_tag pt JOIN hashtag h ON h.id = pt.hashtag_id WHERE pt.post_id = 33 ORDER BY h.name"
    )
    assert tags == [("lisbon",), ("sketchbooks",)]
    assert count(s, "SELECT COUNT(*) FROM hashtag") == hashtags_before + 1  # lisbon was reused
    view = ok(s.call("get_post", {"post": 33}))
    assert view["tags"] == ["lisbon", "sketchbooks"]


def test_create_post_with_link_and_defaults(s):
    p = ok(
        s.call(
            "create_post",
            {
                "body": "Reading this",
                "attachment": {"kind": "link", "url": "https://example.org/tiles", "title": "Azulejo history"},
            },
        )
    )
    assert p["visibility"] == "public"
    assert p["attachment"]["kind"] == "link"
    assert count(s, "SELECT COUNT(*) FROM post_tag WHERE post_id = ?", (p["id"],)) == 0


def test_create_post_failures(s):
    fails(s, "create_post", {"body": "   "}, "empty_post", "a post needs some text")
    fails(
        s,
        "create_post",
        {"body": "tags", "tags": ["a1", "b2", "c3", "d4", "e5", "f6"]},
        "too_many_tags",
        "a post can have at most 5 hashtags, got 6",
    )
    fails(
        s,
        "create_post",
        {"body": "tags", "tags": ["fine", "#bad"]},
        "invalid_hashtag",
        'write hashtags without # or spaces, got "#bad"',
    )
    fails(
        s, "create_post", {"body": "tags", "tags": ["x"]}, "invalid_hashtag", 'hashtag "x" must be 2 to 30 characters'
    )
    fails(
        s,
        "create_post",
        {"body": "poll", "attachment": {"kind": "poll", "question": "?", "options": ["only"]}},
        "invalid_attachment",
        "a poll needs 2 to 4 options, got 1",
    )
    fails(
        s,
        "create_post",
        {"body": "link", "attachment": {"kind": "link", "url": "http://x.org", "title": "X"}},
        "invalid_attachment",
        "link URL must start with https://, got http://x.org",
    )
    fails(
        s,
        "create_post",
        {"body": "pic", "attachment": {"kind": "photo", "url": "https://x.org/a.jpg", "alt_text": " "}},
        "invalid_attachment",
        "a photo needs alt text",
    )
    fails(s, "create_post", {"body": "video", "attachment": {"kind": "video", "url": "https://x"}}, "invalid_arguments")
    fails(s, "create_post", {"body": "x" * 501}, "post_too_long", "a post can have at most 500 characters, got 501")
    assert ok(s.call("create_post", {"body": "x" * 500}))["body"] == "x" * 500  # the limit itself is fine


def test_edit_post(s):
    p = ok(
        s.call(
            "edit_post", {"post": 16, "new_body": "New sketchbook day! Toned grey paper.", "new_visibility": "friends"}
        )
    )
    assert p["body"] == "New sketchbook day! Toned grey paper." and p["visibility"] == "friends"
    assert p["edited_at"] == "2025-03-14 10:00:01"
    p = ok(s.call("edit_post", {"post": 16, "new_visibility": "public"}))
    assert p["body"] == "New sketchbook day! Toned grey paper." and p["visibility"] == "public"
    assert one(s, "SELECT body, visibility FROM post WHERE id = 16") == (
        "New sketchbook day! Toned grey paper.",
        "public",
    )


def test_edit_post_failures(s):
    fails(s, "edit_post", {"post": 2, "new_body": "mine now"}, "forbidden", "post 2 belongs to @theo_r")
    fails(s, "edit_post", {"post": 16}, "nothing_to_change", "give new_body or new_visibility")
    fails(s, "edit_post", {"post": 16, "new_body": ""}, "empty_post", "a post needs some text")
    fails(s, "edit_post", {"post": 16, "new_body": "  \n "}, "empty_post", "a post needs some text")
    fails(
        s,
        "edit_post",
        {"post": 16, "new_body": "y" * 501, "new_visibility": "public"},
        "post_too_long",
        "a post can have at most 500 characters, got 501",
    )


def test_delete_post_cascades(s):
    assert ok(s.call("delete_post", {"post_id": 1})) == {"deleted": 1}
    assert count(s, "SELECT COUNT(*) FROM post WHERE id = 1") == 0
    assert count(s, "SELECT COUNT(*) FROM comment WHERE post_id = 1") == 0
    assert count(s, 'SELECT COUNT(*) FROM "like" WHERE post_id = 1') == 0
    assert count(s, "SELECT COUNT(*) FROM post_tag WHERE post_id = 1") == 0
    # notifications about the post stay, without the post
    assert s.query("SELECT post_id FROM notification WHERE id IN (1, 2, 3)") == [(None,), (None,), (None,)]


def test_delete_post_of_someone_else(s):
    fails(s, "delete_post", {"post_id": 2}, "not_found")


def test_list_my_posts(s):
    assert ids(ok(s.call("list_my_posts"))) == [1, 11, 16, 26, 30]
    assert ids(ok(s.call("list_my_posts", {"visibility": "public"}))) == [1, 16, 30]
    assert ids(ok(s.call("list_my_posts", {"limit": 2, "offset": 1}))) == [11, 16]


def test_list_my_posts_bad_visibility(s):
    fails(s, "list_my_posts", {"visibility": "secret"}, "invalid_arguments")


def test_get_post(s):
    v = ok(s.call("get_post", {"post": 10}))
    assert v == {
        "id": 10,
        "author": "omar_f",
        "body": "Released v2.0 of my open source budget tracker. Feedback welcome!",
        "visibility": "public",
        "attachment": {
            "kind": "link",
            "url": "https://github.com/omarf/budget-tracker",
            "title": "budget-tracker v2.0 release notes",
        },
        "likes": 4,
        "comments": 3,
        "tags": ["coding", "opensource"],
        "liked_by_you": True,
        "created_at": "2025-03-09 16:00:00",
        "edited_at": None,
    }
    assert ok(s.call("get_post", {"post": 3}))["visibility"] == "friends"  # friend's friends-only post
    assert ok(s.call("get_post", {"post": 26}))["liked_by_you"] is False  # own private post


def test_get_post_failures(s):
    fails(s, "get_post", {"post": 31}, "not_visible", "post 31 is not visible to you")
    fails(s, "get_post", {"post": 5}, "not_visible", "post 5 is not visible to you")
    fails(s, "get_post", {"post": 13}, "blocked", "post 13 is by @nico_deals, and one of you blocked the other")
    fails(s, "get_post", {"post": 999}, "not_found")


def test_home_feed(s):
    assert ids(ok(s.call("home_feed", {"limit": 10}))) == [32, 2, 1, 4, 3, 6, 7, 8, 9, 12]
    older = ok(s.call("home_feed", {"limit": 3, "before": "2025-03-08 20:30:00"}))
    assert ids(older) == [11, 14, 15]
    full = ids(ok(s.call("home_feed", {"limit": 100})))
    assert 31 not in full and 10 not in full  # omar_f is not followed
    assert 18 not in full and 25 not in full  # friends-only posts of non-friends
    assert 26 in full  # your own private post


def test_home_feed_after_blocking(s):
    ok(s.call("block_user", {"user": 2}))
    assert all(p["author_id"] != 2 for p in ok(s.call("home_feed", {"limit": 100})))


def test_home_feed_bad_arguments(s):
    fails(s, "home_feed", {"limit": 0}, "invalid_arguments")
    fails(s, "home_feed", {"before": "yesterday"}, "invalid_arguments")


def test_search_posts(s, spec_session):
    assert ids(ok(s.call("search_posts", {"query": "sketch"}))) == [1, 11, 16, 30]
    assert ids(ok(s.call("search_posts", {"query": "TACO"}))) == [8]
    assert ids(ok(s.call("search_posts", {"query": "job"}))) == [32, 3]
    assert ids(ok(s.call("search_posts", {"query": "job", "author": 1}))) == []
    s4 = spec_session(SPEC, user=4)  # not a friend of priya_k
    assert ids(ok(s4.call("search_posts", {"query": "job"}))) == [32]
    assert ids(ok(s.call("search_posts", {"query": "sneakers"}))) == []  # nico_deals is blocked


def test_search_posts_bad_arguments(s):
    fails(s, "search_posts", {"query": "a"}, "invalid_arguments")
    fails(s, "search_posts", {"query": "bread", "author": 999}, "not_found")


def test_posts_with_hashtag(s, spec_session):
    assert ids(ok(s.call("posts_with_hashtag", {"tag": " Running "}))) == [4, 9, 14]
    assert ids(ok(s.call("posts_with_hashtag", {"tag": "running", "limit": 1}))) == [4]
    s2 = spec_session(SPEC, user=2)  # a friend of jonas_w
    assert ids(ok(s2.call("posts_with_hashtag", {"tag": "running"}))) == [4, 9, 14, 25]


def test_posts_with_unknown_hashtag(s):
    fails(s, "posts_with_hashtag", {"tag": "unicorns"}, "not_found")


def test_trending_hashtags(s):
    week = {g["hashtag_id"]: g for g in ok(s.call("trending_hashtags"))}
    assert week[5]["uses"] == 3 and week[7]["uses"] == 3  # running, coding
    assert week[1] == {
        "hashtag_id": 1,
        "uses": 1,
        "latest": "2025-03-13 18:20:00",
    }  # the friends-only use is not counted
    assert ok(s.call("trending_hashtags", {"window_days": 1})) == [
        {"hashtag_id": 1, "uses": 1, "latest": "2025-03-13 18:20:00"},
        {"hashtag_id": 2, "uses": 1, "latest": "2025-03-13 18:20:00"},
        {"hashtag_id": 3, "uses": 1, "latest": "2025-03-13 21:05:00"},
        {"hashtag_id": 4, "uses": 1, "latest": "2025-03-13 21:05:00"},
        {"hashtag_id": 15, "uses": 1, "latest": "2025-03-14 08:05:00"},
    ]


def test_trending_hashtags_bad_window(s):
    fails(s, "trending_hashtags", {"window_days": 0}, "invalid_arguments")


def test_top_hashtags(s):
    assert ok(s.call("top_hashtags")) == [
        {"tag": "coding", "uses": 3},
        {"tag": "running", "uses": 3},
        {"tag": "baking", "uses": 2},
        {"tag": "career", "uses": 1},
        {"tag": "cats", "uses": 1},
    ]
    ok(s.call("create_post", {"body": "More drawing", "tags": ["sketching"]}))
    ok(s.call("create_post", {"body": "Even more drawing", "tags": ["sketching"]}))
    ok(s.call("create_post", {"body": "Drawing again", "tags": ["sketching"]}))
    assert ok(s.call("top_hashtags", {"limit": 2})) == [{"tag": "sketching", "uses": 4}, {"tag": "coding", "uses": 3}]


def test_top_hashtags_bad_limit(s):
    fails(s, "top_hashtags", {"limit": 21}, "invalid_arguments")


# ---- comments and likes ------------------------------------------------------------------


def test_comment_on_post(s):
    c = ok(s.call("comment_on_post", {"post": 4, "body": "Rest well, Jonas!"}))
    assert (c["post_id"], c["author_id"], c["body"]) == (4, 1, "Rest well, Jonas!")
    note = one(
        s, "SELECT kind, actor_id, post_id, summary FROM notification WHERE recipient_id = 4 ORDER BY id DESC LIMIT 1"
    )
    assert note == ("commented", 1, 4, "@maya_lin commented on your post")
    n_before = count(s, "SELECT COUNT(*) FROM notification")
    ok(s.call("comment_on_post", {"post": 1, "body": "Print is ready!"}))  # own post: no notification
    assert count(s, "SELECT COUNT(*) FROM notification") == n_before
    assert ok(s.call("get_post", {"post": 1}))["comments"] == 4


def test_comment_on_post_failures(s):
    fails(s, "comment_on_post", {"post": 31, "body": "Looks tasty"}, "not_visible", "post 31 is not visible to you")
    fails(
        s, "comment_on_post", {"post": 13, "body": "No thanks"}, "blocked", "you cannot comment on posts of @nico_deals"
    )
    fails(s, "comment_on_post", {"post": 4, "body": ""}, "invalid_arguments")


def test_edit_comment(s):
    c = ok(s.call("edit_comment", {"comment_id": 3, "body": "Thanks both! The print is on Etsy."}))
    assert c["body"] == "Thanks both! The print is on Etsy." and c["edited_at"] == "2025-03-14 10:00:01"
    assert one(s, "SELECT body FROM comment WHERE id = 3") == ("Thanks both! The print is on Etsy.",)


def test_edit_comment_of_someone_else(s):
    fails(s, "edit_comment", {"comment_id": 1, "body": "changed"}, "not_found")


def test_delete_comment(s):
    assert ok(s.call("delete_comment", {"comment": 3})) == "deleted comment 3 from post 1"
    # a comment by someone else under your own post
    assert ok(s.call("delete_comment", {"comment": 1})) == "deleted comment 1 from post 1"
    assert s.query("SELECT id FROM comment WHERE post_id = 1") == [(2,)]


def test_delete_comment_forbidden(s):
    fails(s, "delete_comment", {"comment": 4}, "forbidden", "comment 4 is by @jonas_w on a post you do not own")


def test_list_comments(s):
    assert ids(ok(s.call("list_comments", {"post": 1}))) == [1, 2, 3]
    assert ids(ok(s.call("list_comments", {"post": 6, "limit": 2}))) == [8, 9]
    ok(s.call("block_user", {"user": 7}))
    assert ids(ok(s.call("list_comments", {"post": 1}))) == [1, 3]


def test_list_comments_not_visible(s):
    fails(s, "list_comments", {"post": 5}, "not_visible", "post 5 is not visible to you")


def test_like_post(s):
    like = ok(s.call("like_post", {"post": 4}))
    assert (like["post_id"], like["liker_id"]) == (4, 1)
    assert one(s, "SELECT like_count FROM post WHERE id = 4") == (4,)
    again = ok(s.call("like_post", {"post": 4}))  # liking again changes nothing
    assert again["id"] == like["id"]
    assert one(s, "SELECT like_count FROM post WHERE id = 4") == (4,)
    assert count(s, 'SELECT COUNT(*) FROM "like" WHERE post_id = 4 AND liker_id = 1') == 1
    assert s.query("SELECT kind, summary FROM notification WHERE recipient_id = 4") == [
        ("liked", "@maya_lin liked your post")
    ]


def test_like_post_failures(s, spec_session):
    fails(s, "like_post", {"post": 5}, "not_visible", "post 5 is not visible to you")
    s3 = spec_session(SPEC, user=3)
    fails(s3, "like_post", {"post": 10}, "blocked", "you cannot like posts of @omar_f")


def test_unlike_post(s):
    p = ok(s.call("unlike_post", {"post": 2}))
    assert p["id"] == 2 and p["like_count"] == 2
    assert count(s, 'SELECT COUNT(*) FROM "like" WHERE post_id = 2 AND liker_id = 1') == 0


def test_unlike_post_not_liked(s):
    fails(s, "unlike_post", {"post": 4}, "not_liked", "you have not liked post 4")


def test_react_to_posts(s):
    changed = ok(
        s.call(
            "react_to_posts",
            {
                "reactions": [
                    {"post": 4, "like": True},
                    {"post": 2, "like": False},
                    {"post": 6, "like": True},
                    {"post": 10, "like": True},  # already liked: skipped
                    {"post": 9, "like": False},  # not liked: skipped
                ]
            },
        )
    )
    assert changed == 3
    assert s.query("SELECT id, like_count FROM post WHERE id IN (2, 4, 6, 10) ORDER BY id") == [
        (2, 2),
        (4, 4),
        (6, 5),
        (10, 4),
    ]
    assert s.query('SELECT post_id FROM "like" WHERE liker_id = 1 AND post_id IN (2, 4, 6) ORDER BY post_id') == [
        (4,),
        (6,),
    ]
    assert ok(s.call("react_to_posts", {"reactions": []})) == 0


def test_react_to_posts_is_all_or_nothing(s):
    fails(
        s,
        "react_to_posts",
        {"reactions": [{"post": 4, "like": True}, {"post": 5, "like": True}]},
        "not_visible",
        "post 5 is not visible to you",
    )
    fails(
        s,
        "react_to_posts",
        {"reactions": [{"post": 4, "like": True}, {"post": 13, "like": True}]},
        "blocked",
        "you cannot react to posts of @nico_deals",
    )
    fails(s, "react_to_posts", {"reactions": [{"post": 4, "like": True}, {"post": 999, "like": True}]}, "not_found")
    fails(
        s,
        "react_to_posts",
        {"reactions": [{"post": 4, "like": True}] * 21},
        "too_many_reactions",
        "at most 20 reactions at once, got 21",
    )
    fails(s, "react_to_posts", {"reactions": [{"post": 4}]}, "invalid_arguments")


# ---- blocking ---------------------------------------------------------------------------------


def test_block_user_cuts_all_ties(s):
    b = ok(s.call("block_user", {"user": 2, "reason": "Too many bread photos"}))
    assert (b["blocker_id"], b["blocked_id"], b["reason"]) == (1, 2, "Too many bread photos")
    assert (
        count(
            s, "SELECT COUNT(*) FROM follow WHERE 1 IN (follower_id, followee_id) AND 2 IN (follower_id, followee_id)"
        )
        == 0
    )
    assert (
        count(s, "SELECT COUNT(*) FROM friendship WHERE 1 IN (owner_id, friend_id) AND 2 IN (owner_id, friend_id)") == 0
    )
    fails(
        s, "send_message", {"user": 2, "body": "sorry"}, "blocked", "you blocked @theo_r; unblock them to send messages"
    )


def test_block_user_removes_pending_requests(s):
    ok(s.call("block_user", {"user": 8}))
    assert count(s, "SELECT COUNT(*) FROM friend_request WHERE id = 11") == 0
    s.me = 8  # the same network, seen by diego_v
    fails(s, "follow_user", {"user": 1}, "blocked", "@maya_lin has blocked you")
    fails(s, "send_message", {"user": 1, "body": "hey?"}, "blocked", "@maya_lin has blocked you")
    fails(s, "send_friend_request", {"user": 1}, "blocked", "you cannot send a friend request to @maya_lin")
    fails(s, "get_post", {"post": 16}, "blocked", "post 16 is by @maya_lin, and one of you blocked the other")


def test_block_user_failures(s):
    fails(s, "block_user", {"user": 1}, "cannot_block_self", "you cannot block yourself")
    fails(s, "block_user", {"user": 12}, "already_blocked", "you already blocked @nico_deals")


def test_unblock_user(s):
    assert ok(s.call("unblock_user", {"user": 12})) == "you unblocked @nico_deals"
    assert count(s, "SELECT COUNT(*) FROM block WHERE blocker_id = 1") == 0
    ok(s.call("follow_user", {"user": 12}))


def test_unblock_user_not_blocked(s):
    fails(s, "unblock_user", {"user": 2}, "not_blocked", "you have not blocked @theo_r")


def test_list_blocked_users(s):
    blocks = ok(s.call("list_blocked_users"))
    assert [(b["blocked_id"], b["reason"]) for b in blocks] == [(12, "Spam messages about sneakers")]
    ok(s.call("block_user", {"user": 9}))
    assert [b["blocked_id"] for b in ok(s.call("list_blocked_users"))] == [12, 9]


def test_list_blocked_users_bad_limit(s):
    fails(s, "list_blocked_users", {"limit": 500}, "invalid_arguments")


# ---- messages ---------------------------------------------------------------------------------


def test_send_message_starts_a_conversation(s):
    m = ok(s.call("send_message", {"user": 4, "body": "Good luck with week 7!"}))
    assert (m["sender_id"], m["body"], m["read_at"]) == (1, "Good luck with week 7!", None)
    conv = one(
        s, "SELECT id, user_a_id, user_b_id, last_message_at FROM conversation WHERE id = ?", (m["conversation_id"],)
    )
    assert conv == (7, 1, 4, "2025-03-14 10:00:01")
    note = one(s, "SELECT kind, actor_id, summary FROM notification WHERE recipient_id = 4 ORDER BY id DESC LIMIT 1")
    assert note == ("messaged", 1, "@maya_lin sent you a message")


def test_send_message_reuses_the_conversation(s, spec_session):
    m = ok(s.call("send_message", {"user": 2, "body": "See you at 10!"}))
    assert m["conversation_id"] == 1
    assert one(s, "SELECT last_message_at FROM conversation WHERE id = 1") == ("2025-03-14 10:00:01",)
    s3 = spec_session(SPEC, user=3)  # lower id on the other side
    m3 = ok(s3.call("send_message", {"user": 1, "body": "Brushes packed."}))
    assert m3["conversation_id"] == 2
    assert count(s3, "SELECT COUNT(*) FROM conversation") == 6


def test_send_message_failures(s, spec_session):
    fails(s, "send_message", {"user": 1, "body": "hi me"}, "cannot_message_self", "you cannot message yourself")
    fails(
        s,
        "send_message",
        {"user": 12, "body": "stop"},
        "blocked",
        "you blocked @nico_deals; unblock them to send messages",
    )
    fails(
        s,
        "send_message",
        {"user": 11, "body": "Hi Grace"},
        "messages_restricted",
        "@grace_h only accepts messages from friends",
    )
    fails(s, "send_message", {"user": 4, "body": "x" * 1001}, "invalid_arguments")
    s12 = spec_session(SPEC, user=12)
    fails(s12, "send_message", {"user": 6, "body": "deals!"}, "blocked", "@sam_okafor has blocked you")


def test_list_conversations(s):
    convs = ok(s.call("list_conversations"))
    assert [(c["conversation_id"], c["with_username"], c["unread"]) for c in convs] == [
        (1, "theo_r", 1),
        (2, "priya_k", 1),
        (3, "lena_m", 0),
        (6, "nico_deals", 0),
    ]
    assert convs[0]["last_message"] == "Perfect. I'll bring the tote bags."
    assert convs[0]["last_message_at"] == "2025-03-13 20:00:00"
    ok(s.call("send_message", {"user": 7, "body": "Still want the watercolors?"}))
    first = ok(s.call("list_conversations"))[0]
    assert (first["conversation_id"], first["last_message"]) == (3, "Still want the watercolors?")


def test_list_conversations_rejects_arguments(s):
    fails(s, "list_conversations", {"user": 2}, "invalid_arguments")


def test_read_conversation(s):
    msgs = ok(s.call("read_conversation", {"conversation": 1, "limit": 2}))
    assert ids(msgs) == [3, 2]
    assert msgs[0]["read_at"] == "2025-03-14 10:00:01"
    assert msgs[1]["read_at"] == "2025-03-13 19:20:00"  # already read earlier
    assert ok(s.call("list_conversations"))[0]["unread"] == 0


def test_read_conversation_not_yours(s):
    fails(s, "read_conversation", {"conversation": 4}, "forbidden", "conversation 4 is not yours")
    fails(s, "read_conversation", {"conversation": 40}, "not_found")


def test_delete_message(s):
    assert ok(s.call("delete_message", {"message_id": 2})) == {"deleted": 2}
    assert s.query("SELECT id FROM message WHERE conversation_id = 1 ORDER BY id") == [(1,), (3,)]


def test_delete_message_of_someone_else(s):
    fails(s, "delete_message", {"message_id": 1}, "not_found")


# ---- notifications -----------------------------------------------------------------------


def test_list_notifications(s):
    assert ids(ok(s.call("list_notifications", {"read": False}))) == [1, 2, 3, 4, 5, 6, 7]
    assert ids(ok(s.call("list_notifications", {"kind": "messaged"}))) == [6, 7]
    assert ids(ok(s.call("list_notifications", {"read": True}))) == [8, 9, 10]


def test_list_notifications_bad_kind(s):
    fails(s, "list_notifications", {"kind": "poked"}, "invalid_arguments")


def test_get_notification(s):
    n = ok(s.call("get_notification", {"notification_id": 8}))
    assert (n["kind"], n["actor_id"], n["read"], n["summary"]) == (
        "followed",
        10,
        True,
        "@omar_f started following you",
    )


def test_get_notification_of_someone_else(s):
    fails(s, "get_notification", {"notification_id": 11}, "not_found")


def test_mark_notifications_read(s):
    assert ok(s.call("mark_notifications_read", {"notifications": [1, 2, 8]})) == 2  # 8 was already read
    assert s.query("SELECT id FROM notification WHERE recipient_id = 1 AND read = 0 ORDER BY id") == [
        (3,),
        (4,),
        (5,),
        (6,),
        (7,),
    ]
    assert ok(s.call("mark_notifications_read")) == 5
    assert count(s, "SELECT COUNT(*) FROM notification WHERE recipient_id = 1 AND read = 0") == 0
    assert count(s, "SELECT COUNT(*) FROM notification WHERE recipient_id = 2 AND read = 0") == 3  # others untouched
    assert ok(s.call("mark_notifications_read", {"notifications": [1]})) == 0


def test_mark_notifications_read_failures(s):
    fails(s, "mark_notifications_read", {"notifications": [1, 11]}, "forbidden", "notification 11 is not yours")
    fails(s, "mark_notifications_read", {"notifications": [999]}, "not_found")


def test_delete_notification(s):
    assert ok(s.call("delete_notification", {"notification_id": 1})) == {"deleted": 1}
    assert count(s, "SELECT COUNT(*) FROM notification WHERE id = 1") == 0


def test_delete_notification_of_someone_else(s):
    fails(s, "delete_notification", {"notification_id": 11}, "not_found")


# ---- invariants ---------------------------------------------------------------------------------

INVARIANTS = {
    "no_self_follow",
    "like_count_matches_likes",
    "friendships_symmetric",
    "no_follow_across_block",
    "no_friendship_across_block",
    "no_message_after_block",
    "no_comment_after_block",
    "no_like_after_block",
    "one_pending_request_per_pair",
    "no_pending_request_between_friends",
    "no_pending_request_across_block",
    "friendship_has_accepted_request",
    "responded_iff_answered",
    "message_sender_in_conversation",
    "conversation_pair_ordered",
    "conversation_last_message_time",
    "no_self_notification",
    "hashtags_lowercase",
    "posts_have_text",
    "at_most_five_tags",
}


def _env():
    from conftest import load_spec_env

    return load_spec_env(SPEC)


def enforcing(user=1, **kwargs):
    return _env().session(user=user, invariants="enforce", **kwargs)


def broken(s):
    return {v["invariant"]: v["rows"] for v in s.check_invariants()}


def test_invariants_hold_on_the_seed(s):
    assert set(s.env.invariants) == INVARIANTS
    assert s.check_invariants() == []


# A write no tool can make (straight into the database) that each invariant must catch.
PLANTED = [
    ("like_count_matches_likes", "UPDATE post SET like_count = like_count + 1 WHERE id = 3", [3]),
    ("friendships_symmetric", "DELETE FROM friendship WHERE owner_id = 2 AND friend_id = 1", [1]),
    (
        "no_follow_across_block",
        "INSERT INTO block (id, blocker_id, blocked_id, created_at) VALUES (99, 9, 10, '2025-03-14 09:00:00')",
        [30, 33],
    ),
    (
        "no_friendship_across_block",
        "INSERT INTO block (id, blocker_id, blocked_id, created_at) VALUES (99, 5, 3, '2025-03-14 09:00:00')",
        [11, 12],
    ),
    (
        "no_message_after_block",
        "INSERT INTO block (id, blocker_id, blocked_id, created_at) VALUES (99, 4, 2, '2025-01-01 00:00:00')",
        [9, 10],
    ),
    (
        "one_pending_request_per_pair",
        "INSERT INTO friend_request (id, sender_id, receiver_id, status, created_at) "
        "VALUES (99, 1, 8, 'pending', '2025-03-13 00:00:00')",
        [11, 99],
    ),
    (
        "no_pending_request_between_friends",
        "INSERT INTO friend_request (id, sender_id, receiver_id, status, created_at) "
        "VALUES (99, 2, 1, 'pending', '2025-03-13 00:00:00')",
        [99],
    ),
    (
        "no_pending_request_across_block",
        "INSERT INTO friend_request (id, sender_id, receiver_id, status, created_at) "
        "VALUES (99, 10, 3, 'pending', '2025-03-13 00:00:00')",
        [99],
    ),
    ("friendship_has_accepted_request", "UPDATE friend_request SET status = 'declined' WHERE id = 10", [19, 20]),
    ("responded_iff_answered", "UPDATE friend_request SET responded_at = NULL WHERE id = 10", [10]),
    ("message_sender_in_conversation", "UPDATE message SET sender_id = 5 WHERE id = 1", [1]),
    ("conversation_pair_ordered", "UPDATE conversation SET user_a_id = 8, user_b_id = 6 WHERE id = 5", [5]),
    (
        "conversation_last_message_time",
        "UPDATE conversation SET last_message_at = '2025-03-13 19:10:00' WHERE id = 1",
        [2, 3],
    ),
    ("no_self_notification", "UPDATE notification SET actor_id = 1 WHERE id = 1", [1]),
    ("hashtags_lowercase", "UPDATE hashtag SET name = 'Rust' WHERE id = 17", [17]),
]


@pytest.mark.parametrize("name, sql, rows", PLANTED, ids=[p[0] for p in PLANTED])
def test_invariant_catches_a_planted_violation(s, name, sql, rows):
    s.db.execute(sql)
    assert broken(s)[name] == rows


def test_self_follow_is_stopped_by_the_tool_and_the_table(s):
    fails(s, "follow_user", {"user": 1}, "cannot_follow_self", "you cannot follow yourself")
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError):
        s.db.execute(
            "INSERT INTO follow (id, follower_id, followee_id, created_at) VALUES (99, 1, 1, '2025-03-14 09:00:00')"
        )


def test_enforced_invariants_hold_through_a_busy_day():
    """No tool can break an invariant: a realistic multi-member sequence passes in enforce mode."""
    s = enforcing()
    try:
        steps = [
            (1, "respond_to_friend_request", {"friend_request": 11, "accept": True}),  # diego_v
            (1, "respond_to_friend_request", {"friend_request": 12, "accept": False}),  # omar_f
            (1, "follow_user", {"user": 10}),
            (1, "like_post", {"post": 6}),
            (1, "like_post", {"post": 6}),  # a no-op
            (
                1,
                "react_to_posts",
                {"reactions": [{"post": 24, "like": True}, {"post": 15, "like": False}, {"post": 24, "like": False}]},
            ),
            (1, "unlike_post", {"post": 2}),
            (
                1,
                "create_post",
                {"body": "Sunday sketch meetup!", "visibility": "friends", "tags": ["Sketching", "meetups"]},
            ),
            (1, "send_message", {"user": 8, "body": "Welcome aboard, friend!"}),
            (8, "send_message", {"user": 1, "body": "Thanks Maya!"}),
            (1, "read_conversation", {"conversation": 7}),
            (1, "block_user", {"user": 2, "reason": "testing"}),  # friend, follows, chat
            (2, "follow_user", {"user": 1}),  # refused: blocked
            (1, "unblock_user", {"user": 2}),
            (1, "send_friend_request", {"user": 2, "note": "Sorry about that!"}),
            (2, "send_friend_request", {"user": 1}),  # refused: pending
            (2, "respond_to_friend_request", {"friend_request": 1, "accept": True}),  # the reused row
            (1, "unfriend", {"user": 3}),
            (3, "send_friend_request", {"user": 1}),
            (1, "respond_to_friend_request", {"friend_request": 17, "accept": True}),
            (9, "respond_to_friend_request", {"friend_request": 13, "accept": True}),
            (1, "delete_post", {"post_id": 1}),
            (1, "mark_notifications_read", {}),
        ]
        refused = {(2, "follow_user"): "blocked", (2, "send_friend_request"): "request_pending"}
        for user, tool, args in steps:
            s.me = user
            r = s.call(tool, args)
            if (user, tool) in refused:
                err(r, refused[(user, tool)])
            else:
                assert r["ok"], (tool, args, r)
        s.me = 1
        assert s.check_invariants() == []
        assert count(s, "SELECT COUNT(*) FROM friendship WHERE owner_id = 1") == 6  # 2, 3, 5, 7 + 8, 9
    finally:
        s.close()


def test_enforce_mode_rolls_back_a_write_that_breaks_an_invariant():
    """The one way to break an invariant through a tool: a session whose clock starts before the
    seeded messages, comments and likes, so a block is dated before messages already sent between
    the two members (and before comments and likes of each other's posts)."""
    s = enforcing(clock="2025-01-01 09:00:00")
    try:
        e = err(s.call("block_user", {"user": 2}), "invariant_violation")
        assert [v["invariant"] for v in e["details"]["violations"]] == [
            "no_message_after_block",
            "no_comment_after_block",
            "no_like_after_block",
        ]
        assert count(s, "SELECT COUNT(*) FROM block WHERE blocker_id = 1") == 1  # rolled back
        assert count(s, "SELECT COUNT(*) FROM friendship WHERE owner_id = 1 AND friend_id = 2") == 1
        assert s.check_invariants() == []
    finally:
        s.close()


# ---- tasks --------------------------------------------------------------------------------------

TASKS = sorted(_env().tasks)


def test_question_answers_are_checked_against_the_data(spec_session):
    s = spec_session(SPEC)
    assert s.run_solution("unread_notification_count")["answer"] == "You have 7 unread notifications."
    assert s.verify("unread_notification_count", answer="You have 6 unread notifications.")["passed"] is False
    s = spec_session(SPEC)
    assert s.run_solution("top_coding_post")["answer"] == "The most liked #coding post is by @sam_okafor, with 5 likes."
    assert s.verify("top_coding_post", answer="@omar_f, with 4 likes")["reward"] == 0.0
    s = spec_session(SPEC)
    assert s.run_solution("public_post_likes")["answer"] == "Your 3 public posts have 10 likes in total."
    # the verifier follows the data: one more like on a public post changes the right answer
    s = spec_session(SPEC)
    s.me = 4  # jonas_w likes one of Maya's public posts
    ok(s.call("like_post", {"post": 16}))
    s.me = 1
    assert s.verify("public_post_likes", answer="10 likes")["passed"] is False
    assert s.verify("public_post_likes", answer="11 likes")["passed"] is True


def test_write_task_partial_credit(spec_session):
    s = spec_session(SPEC)
    ok(s.call("respond_to_friend_request", {"friend_request": 11, "accept": True}))  # only half the job
    report = s.verify("answer_friend_requests")
    assert report["passed"] is False and 0 < report["reward"] < 1
    s = spec_session(SPEC)
    ok(s.call("unfollow_user", {"user": 6}))
    ok(s.call("unfollow_user", {"user": 2}))  # theo follows back
    assert s.verify("unfollow_non_followers")["passed"] is False
