"""Hostile input at every public entry point: hostile text in every text argument of every
tool of every bundled spec, and the shared table of bad inputs (tests/hostile_inputs.py) through
the Python API, episodes and `awmc call`/`awmc verify`. Never an internal_error or a traceback,
a message naming the problem, and a refused request leaves the state exactly as it was."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from awmlang.runtime.errors import SessionError
from awmlang.runtime.validate import MAX_JSON_DEPTH, convert
from hostile_inputs import BAD_CALLS, BAD_TASKS, BAD_USERS, OTHER_SPEC, SPEC, assert_refused, bad_images
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import awmlang
from awmlang.cli import main

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "'",
            '"',
            "'; DROP TABLE account; --",
            "%",
            "_%_",
            "\\",
            "' OR '1'='1",
            "\u202e",
            "😀" * 30,
            "{x}",
            "null",
            "NaN",
            "2025-13-45",
            "x" * 5000,
            "\ud800",
            "caf\u00e9 \ud83d",
            "a\udfffb",
            "nul\x00",
        ]
    ),
)


def _plain_value(spec: dict, session):
    """A valid-looking value for a non-text parameter, so the call reaches the tool body."""
    kind = spec["kind"]
    if kind == "entity":
        return 1 if spec["key"] == "int" else "x"
    return {
        "int": 1,
        "float": 1.0,
        "decimal": 1.5,
        "bool": True,
        "date": "2025-06-01",
        "datetime": "2025-06-01 10:00:00",
        "json": {},
        "list": [],
    }.get(kind, (spec.get("members") or [None])[0])


def _cases():
    for spec in sorted((ROOT / "specs").glob("*.awm")):
        env = awmlang.load(spec)
        for name in env.tool_names:
            params = env.handlers[name][2].params
            texts = [p["name"] for p in params if p["type"]["kind"] == "text"]
            if texts and all(p["type"]["kind"] not in ("record", "union") or not p["required"] for p in params):
                yield pytest.param(spec, name, id=f"{spec.stem}.{name}")


@pytest.mark.parametrize("spec,tool", list(_cases()))
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_hostile_text_arguments(spec, tool, data):
    env = awmlang.load(spec)
    s = env.session()
    params = env.handlers[tool][2].params
    args = {}
    for p in params:
        if p["type"]["kind"] == "text":
            args[p["name"]] = data.draw(HOSTILE)
        elif p["required"]:
            args[p["name"]] = _plain_value(p["type"], s)
    before = list(s.db.iterdump())
    r = s.call(tool, args)
    assert r["ok"] or r["error"]["code"] != "internal_error", r
    if not r["ok"]:
        assert list(s.db.iterdump()) == before
    s.close()


# ---- the shared table, through each entry point ---------------------------------------------


@pytest.fixture(scope="module")
def shop():
    return awmlang.load(SPEC)


@pytest.fixture(scope="module")
def other_image():
    return awmlang.load(OTHER_SPEC).initial_image


def transport_safe(result: dict) -> None:
    """Every result can be sent as UTF-8 JSON (no lone surrogate echoed back)."""
    json.dumps(result, ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("bad", BAD_CALLS, ids=lambda b: b.id)
def test_the_python_api_refuses_each_bad_call(shop, bad):
    s = shop.session()
    before = s.snapshot()
    result = s.call(bad.tool, bad.arguments)
    assert_refused(result, bad)
    transport_safe(result)
    assert s.snapshot() == before


@pytest.mark.parametrize("as_json_text", [False, True], ids=["dict", "openai-json-string"])
@pytest.mark.parametrize("bad", BAD_CALLS, ids=lambda b: b.id)
def test_episode_step_refuses_each_bad_call(shop, bad, as_json_text):
    episode = shop.episode(task="cheapest_lamp_in_stock")
    before = episode.session.snapshot()
    arguments = json.dumps(bad.arguments) if as_json_text else bad.arguments
    if isinstance(bad.arguments, dict) or as_json_text:
        assert_refused(episode.step({"name": bad.tool, "arguments": arguments}), bad)
    else:  # the episode refuses a non-object itself (a string is read as JSON text)
        result = episode.step({"name": bad.tool, "arguments": arguments})
        assert result["error"]["code"] == "invalid_arguments"
        assert result["error"]["message"] in (
            "the arguments must be a JSON object",
            "the arguments are not valid JSON: Expecting value at column 1",
        )
    assert episode.session.snapshot() == before
    assert episode.finish(answer="\ud83d")["reward"] == 0.0  # the answer is read, not a crash


def no_crash(captured) -> None:
    assert "Traceback" not in captured.err and "internal error" not in captured.err, captured.err
    assert "internal_error" not in captured.out, captured.out


@pytest.mark.parametrize("bad", BAD_CALLS, ids=lambda b: b.id)
def test_awmc_call_refuses_each_bad_call(shop, bad, tmp_path, capsys):
    db = tmp_path / "state.db"
    db.write_bytes(shop.initial_image)
    assert main(["call", str(SPEC), bad.tool, json.dumps(bad.arguments), "--db", str(db)]) == 1
    captured = capsys.readouterr()
    no_crash(captured)
    assert_refused(json.loads(captured.out), bad)
    assert db.read_bytes() == shop.initial_image


def test_a_tool_name_that_is_not_text_is_an_unknown_tool(shop):
    s = shop.session()
    for name in (["search_products"], None, 5):
        result = s.call(name, {})
        assert (result["error"]["code"], result["error"]["message"]) == ("unknown_tool", f"no tool named `{name}`")


@pytest.mark.parametrize("user,argv_user,refusal", BAD_USERS, ids=["text", "too-large", "negative", "surrogate"])
def test_unknown_users_are_refused_up_front(shop, user, argv_user, refusal, tmp_path, capsys):
    with pytest.raises(SessionError, match=refusal):
        shop.session(user=user)
    with pytest.raises(SessionError, match=refusal):
        shop.episode(task="cheapest_lamp_in_stock", user=user)
    db = tmp_path / "state.db"
    db.write_bytes(shop.initial_image)
    for argv in (
        ["call", str(SPEC), "add_to_cart", '{"product": 1}', "--db", str(db), "--user", argv_user],
        ["verify", str(SPEC), "--task", "cheapest_lamp_in_stock", "--db", str(db), "--user", argv_user],
    ):
        assert main(argv) == 2
        captured = capsys.readouterr()
        no_crash(captured)
        assert re.search("awmc: error: " + refusal, captured.err), captured.err
    assert db.read_bytes() == shop.initial_image


def test_a_user_key_given_as_text_acts_as_the_stored_key(shop):
    s = shop.session(user="3")
    assert s.me == 3  # so handlers comparing owner keys with `me` see 3, not "3"
    assert s.call("get_my_profile", {})["result"]["id"] == 3


@pytest.mark.parametrize("user", [True, 1.0, [1]])
def test_a_user_that_is_not_a_key_is_refused(shop, user):
    with pytest.raises(SessionError, match="the user must be the key of a Customer"):
        shop.session(user=user)


@pytest.mark.parametrize("task,refusal", BAD_TASKS, ids=["unknown", "misspelt", "surrogate"])
def test_unknown_tasks_are_refused_up_front(shop, task, refusal, tmp_path, capsys):
    with pytest.raises(SessionError, match=refusal):
        shop.episode(task=task)
    with pytest.raises(SessionError, match=refusal):
        shop.session().verify(task)
    db = tmp_path / "state.db"
    db.write_bytes(shop.initial_image)
    assert main(["verify", str(SPEC), "--task", task, "--db", str(db)]) == 2
    captured = capsys.readouterr()
    no_crash(captured)
    assert re.search("awmc: error: " + refusal, captured.err), captured.err


@pytest.fixture(params=["other-spec", "not-sqlite", "empty"])
def bad_image(request, other_image):
    return next(row for row in bad_images(other_image) if row[0] == request.param)


def test_a_database_that_is_not_this_specs_is_refused_by_the_api(shop, bad_image):
    _, image, refusal = bad_image
    with pytest.raises(SessionError, match="the database is " + refusal):
        shop.session(image=image)
    with pytest.raises(SessionError, match="the starting database is " + refusal):
        shop.session().verify("cheapest_lamp_in_stock", before=image)


def test_a_database_that_is_not_this_specs_is_a_usage_error(shop, bad_image, tmp_path, capsys):
    _, image, refusal = bad_image
    bad, good = tmp_path / "bad.db", tmp_path / "good.db"
    bad.write_bytes(image)
    good.write_bytes(shop.initial_image)
    task = ["verify", str(SPEC), "--task", "cheapest_lamp_in_stock"]
    for argv in (
        ["call", str(SPEC), "add_to_cart", '{"product": 1}', "--db", str(bad)],
        [*task, "--db", str(bad)],
        [*task, "--db", str(good), "--before", str(bad)],
    ):
        assert main(argv) == 2
        captured = capsys.readouterr()
        no_crash(captured)
        assert captured.out == ""
        assert re.search(f"awmc: error: {re.escape(str(bad))} is {refusal}", captured.err), captured.err
    assert bad.read_bytes() == image


# ---- task answers ------------------------------------------------------------------------------


def test_a_lone_surrogate_in_an_answer_is_read_as_a_replacement_character(shop):
    s = shop.session()
    lamp = s.run_solution("cheapest_lamp_in_stock")["answer"]
    assert s.verify("cheapest_lamp_in_stock", answer=lamp + " \ud83d")["passed"]
    report = s.verify("cheapest_lamp_in_stock", answer="\ud800")
    assert report["reward"] == 0.0
    transport_safe(report)


@pytest.mark.parametrize("answer", [5, ["x"], {"answer": "x"}])
def test_an_answer_that_is_not_text_is_refused(shop, answer):
    with pytest.raises(SessionError, match=f"the answer must be text, not {type(answer).__name__}"):
        shop.session().verify("cheapest_lamp_in_stock", answer=answer)


# ---- json values -------------------------------------------------------------------------------

JSON = {"kind": "json", "optional": False}


@pytest.mark.parametrize(
    "value,problem",
    [
        ({"a": ["ok", "\ud800"]}, "has text that is not valid Unicode text: a lone surrogate U+D800 at character 0"),
        ({"\udfff": 1}, "has a key that is not valid Unicode text: a lone surrogate U+DFFF at character 0"),
        ({1: "x"}, "must have text keys, got a number"),
        ([float("nan")], "must hold only finite numbers"),
        ({"a": {1, 2}}, "must be JSON data, got set"),
        ([b"bytes"], "must be JSON data, got bytes"),
    ],
)
def test_a_json_value_must_be_valid_json_data(value, problem):
    assert convert(value, JSON) == (None, problem)


def test_deep_json_is_refused_without_recursion():
    deep: list = []
    for _ in range(200_000):  # far beyond Python's recursion limit
        deep = [deep]
    assert convert(deep, JSON) == (None, f"is nested deeper than {MAX_JSON_DEPTH} levels")
    shallow: list = []
    for _ in range(MAX_JSON_DEPTH):
        shallow = [shallow]
    assert convert(shallow, JSON) == (shallow, None)


def test_nul_in_a_json_value_is_kept_since_json_text_escapes_it():
    value = {"note\x00": "a\x00b"}
    assert convert(value, JSON) == (value, None)


def test_lone_surrogates_nested_in_lists_are_refused():
    spec = {"kind": "list", "optional": False, "items": {"kind": "text", "optional": False}}
    assert convert(["ok", "x\ud800"], spec) == (
        None,
        "item 1 is not valid Unicode text: a lone surrogate U+D800 at character 1",
    )


# ---- `awmc call` reads its arguments from standard input ---------------------------------------


class Terminal(io.TextIOWrapper):
    def isatty(self) -> bool:
        return True


def stdin(monkeypatch, data: bytes, terminal: bool = False) -> None:
    monkeypatch.setattr(sys, "stdin", (Terminal if terminal else io.TextIOWrapper)(io.BytesIO(data)))


@pytest.mark.parametrize("argv_arguments", [[], ["-"]], ids=["absent", "dash"])
def test_awmc_call_reads_the_arguments_from_standard_input(shop, monkeypatch, capsys, argv_arguments):
    stdin(monkeypatch, b'{"query": "lamp", "max_results": 1}')
    assert main(["call", str(SPEC), "search_products", *argv_arguments]) == 0
    expected = shop.session().call("search_products", {"query": "lamp", "max_results": 1})
    assert json.loads(capsys.readouterr().out) == expected
    assert len(expected["result"]) == 1


def test_awmc_call_without_arguments_on_a_terminal_is_a_usage_error(monkeypatch, capsys):
    stdin(monkeypatch, b"", terminal=True)
    assert main(["call", str(SPEC), "get_my_profile"]) == 2
    assert capsys.readouterr().err == (
        "awmc: error: give the arguments as a JSON object ('{}' for none), "
        "or pipe them on standard input (or give - to read them from it)\n"
    )


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "the arguments on standard input are empty: send a JSON object ('{}' for none)"),
        (
            b'{"query":\n  lamp}',
            "the arguments on standard input are not valid JSON: Expecting value at line 2, column 3",
        ),
    ],
)
def test_bad_standard_input_is_a_usage_error(monkeypatch, capsys, data, message):
    stdin(monkeypatch, data)
    assert main(["call", str(SPEC), "search_products"]) == 2
    assert capsys.readouterr().err == f"awmc: error: {message}\n"


def test_invalid_json_on_the_command_line_names_its_position(capsys):
    assert main(["call", str(SPEC), "search_products", '{"query": "x",}']) == 2
    assert capsys.readouterr().err == (
        "awmc: error: the arguments are not valid JSON: "
        "Expecting property name enclosed in double quotes at line 1, column 15\n"
    )


def test_awmc_call_in_a_pipe_end_to_end():
    """The reproducer of the issue, and bytes that are not UTF-8 (refused by name, like a lone
    surrogate), through a real process and pipe."""
    awmc = [sys.executable, "-m", "awmlang.cli", "call", str(SPEC), "search_products"]
    piped = subprocess.run(awmc, input=b'{"query": "lamp"}', capture_output=True, timeout=120)
    assert piped.returncode == 0, piped.stderr
    assert {p["name"] for p in json.loads(piped.stdout)["result"]} >= {"LED Desk Lamp", "Floor Lamp Arc"}
    raw = subprocess.run(awmc + ["-"], input=b'{"query": "\xff"}', capture_output=True, timeout=120)
    assert raw.returncode == 1 and b"Traceback" not in raw.stderr
    assert json.loads(raw.stdout)["error"]["details"]["problems"] == [
        {"argument": "query", "problem": "is not valid Unicode text: a lone surrogate U+DCFF at character 0"}
    ]


def test_a_seeded_user_is_looked_up_once_not_in_each_session(shop, monkeypatch):
    """Opening a session reads none of its pages (idle sessions stay small): the user check
    runs once per user against a copy of the seed."""
    from awmlang.runtime import session as session_module

    lookups = []
    real = session_module.stored_user_key
    monkeypatch.setattr(session_module, "stored_user_key", lambda *a: lookups.append(a[2]) or real(*a))
    shop._seeded_users.clear()
    assert [shop.session(user=u).me for u in (4, 4, "4", 4)] == [4, 4, 4, 4]
    assert lookups == [4, "4"]
    with pytest.raises(SessionError):
        shop.session(user=99999)
    with pytest.raises(SessionError):
        shop.session(user=99999)
    assert lookups == [4, "4", 99999]


def test_the_default_user_is_1_even_in_a_spec_without_users(tmp_path):
    """Only a user asked for is checked: a session of a spec whose seed has no users still opens."""
    spec = tmp_path / "empty.awm"
    spec.write_text(
        'env empty "No users yet" { description "d" user Person }\nentity Person { id: int @id  name: text }\n'
    )
    env = awmlang.load(spec)
    assert env.session().me == 1
    with pytest.raises(
        SessionError, match="^no Person with key 1 to act as: the starting database has no Person rows$"
    ):
        env.session(user=1)
