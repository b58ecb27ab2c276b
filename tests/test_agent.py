"""`awmc agent`: the tool-calling loop against a local fake OpenAI server (no network, no key)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import openai
import pytest
from fake_openai import FakeOpenAI, per_prompt, server_error, text_reply, tool_reply

import awmlang
from awmlang.agent import MAX_RETRIES, run_episode
from awmlang.cli import main

STORE = Path(__file__).resolve().parent / "broken" / "store.awm"
BUY_MUGS = ("buy", {"product": 2, "quantity": 2})


@pytest.fixture(scope="module")
def env():
    return awmlang.load(STORE)


@pytest.fixture
def api_env(monkeypatch):
    """A configured key and no other OPENAI_* settings leaking in from the environment."""
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_MODEL", raising=False)


def client_for(server: FakeOpenAI | None = None, base_url: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(api_key="test-key", base_url=base_url or server.base_url, max_retries=0, timeout=5)


def run(env, server, task="buy_two_mugs", max_turns=20, **options) -> dict:
    return run_episode(env, task, client_for(server), "test-model", max_turns, backoff=0, **options)


def tool_messages(request: dict) -> list[dict]:
    return [m for m in request["messages"] if m["role"] == "tool"]


# ---- the loop ----------------------------------------------------------------------------


def test_a_successful_episode_earns_the_full_reward(env):
    with FakeOpenAI([tool_reply(BUY_MUGS), text_reply("I bought two mugs.")]) as server:
        trajectory = run(env, server, temperature=0.2)
    assert (trajectory["reward"], trajectory["passed"], trajectory["stopped"]) == (1.0, True, "answer")
    assert trajectory["answer"] == "I bought two mugs."
    assert len(trajectory["turns"]) == 2 and trajectory["retries"] == []
    [call] = trajectory["calls"]
    assert call["name"] == "buy" and call["result"]["ok"] and call["turn"] == 1
    first, second = server.requests
    assert first["model"] == "test-model" and first["temperature"] == 0.2
    assert {t["function"]["name"] for t in first["tools"]} == {t["function"]["name"] for t in env.tools}
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    assert first["messages"][1]["content"] == "Buy two mugs."
    assistant = second["messages"][2]
    assert assistant["role"] == "assistant" and assistant["tool_calls"][0]["id"] == call["id"]
    [tool_message] = tool_messages(second)
    assert tool_message["tool_call_id"] == call["id"]
    assert json.loads(tool_message["content"]) == call["result"]
    assert trajectory["messages"][-1] == {"role": "assistant", "content": "I bought two mugs."}


def test_the_model_corrects_a_bad_tool_call(env):
    script = [tool_reply(("buy", '{"product": 2, "quantity": ')), tool_reply(BUY_MUGS), text_reply("Done.")]
    with FakeOpenAI(script) as server:
        trajectory = run(env, server)
    bad, good = trajectory["calls"]
    assert bad["arguments"] == '{"product": 2, "quantity": '
    assert bad["result"]["error"]["code"] == "invalid_arguments"
    assert good["result"]["ok"]
    assert trajectory["reward"] == 1.0 and trajectory["stopped"] == "answer"
    [sent_back] = tool_messages(server.requests[1])
    assert sent_back["tool_call_id"] == bad["id"]
    assert json.loads(sent_back["content"])["error"]["code"] == "invalid_arguments"
    assert len(tool_messages(server.requests[2])) == 2


@pytest.mark.parametrize("arguments", ['{"product": 2,', "not json", "[2, 2]", '"2"', '{"product": "two"}'])
def test_malformed_tool_call_json_is_an_observation(env, arguments):
    with FakeOpenAI([tool_reply(("get_product", arguments)), text_reply("No idea.")]) as server:
        trajectory = run(env, server, task="mug_price")
    [call] = trajectory["calls"]
    assert call["result"]["error"]["code"] == "invalid_arguments"
    assert trajectory["stopped"] == "answer" and len(server.requests) == 2
    assert json.loads(tool_messages(server.requests[1])[0]["content"]) == call["result"]


def test_an_unknown_tool_is_an_observation_too(env):
    with FakeOpenAI([tool_reply(("purchase", {})), text_reply("Sorry.")]) as server:
        trajectory = run(env, server)
    assert trajectory["calls"][0]["result"]["error"]["code"] == "unknown_tool"
    assert trajectory["stopped"] == "answer" and trajectory["reward"] == 0.0


def test_several_tool_calls_in_one_message_each_get_a_result(env):
    script = [tool_reply(("get_product", {"product_id": 2}), ("my_orders", {})), text_reply("Mugs cost 6.50.")]
    with FakeOpenAI(script) as server:
        trajectory = run(env, server, task="mug_price")
    ids = [c["id"] for c in trajectory["calls"]]
    assert [m["tool_call_id"] for m in tool_messages(server.requests[1])] == ids
    assert trajectory["reward"] == 1.0


def test_a_model_that_never_stops_is_stopped_at_max_turns(env):
    replies = [
        tool_reply(("get_product", {"product_id": 2}), content="A mug costs 6.50."),
        tool_reply(("get_product", {"product_id": 1})),
        tool_reply(("get_product", {"product_id": 2})),
    ]
    with FakeOpenAI(replies + [text_reply("never asked")]) as server:
        trajectory = run(env, server, task="mug_price", max_turns=3)
    assert trajectory["stopped"] == "max_turns" and len(server.requests) == 3
    assert len(trajectory["turns"]) == 3 and len(trajectory["calls"]) == 3
    assert trajectory["answer"] == "A mug costs 6.50."  # the last content the model wrote
    assert trajectory["messages"][-1]["role"] == "tool"
    assert trajectory["reward"] == 1.0


def test_max_turns_without_any_content_has_no_answer(env):
    with FakeOpenAI(lambda request: tool_reply(("my_orders", {}))) as server:
        trajectory = run(env, server, max_turns=2)
    assert trajectory["stopped"] == "max_turns" and trajectory["answer"] is None
    assert trajectory["reward"] == 0.0 and len(server.requests) == 2


# ---- API failures ----------------------------------------------------------------------------


def test_a_server_error_is_retried_and_recorded(env):
    with FakeOpenAI([server_error(500), tool_reply(BUY_MUGS), server_error(503), text_reply("Done.")]) as server:
        trajectory = run(env, server)
    assert trajectory["reward"] == 1.0 and trajectory["stopped"] == "answer"
    assert [(r["turn"], r["attempt"]) for r in trajectory["retries"]] == [(1, 1), (2, 1)]
    assert "HTTP 500" in trajectory["retries"][0]["error"] and "HTTP 503" in trajectory["retries"][1]["error"]
    assert [t["attempts"] for t in trajectory["turns"]] == [2, 2]
    assert len(server.requests) == 4 and server.requests[0] == server.requests[1]


def test_retries_are_bounded(env):
    with FakeOpenAI(lambda request: server_error(502)) as server:
        trajectory = run(env, server)
    assert len(server.requests) == MAX_RETRIES + 1 and len(trajectory["retries"]) == MAX_RETRIES
    assert trajectory["stopped"] == "api_error" and "HTTP 502" in trajectory["error"]
    assert trajectory["reward"] == 0.0 and trajectory["answer"] is None


def test_a_client_error_is_not_retried(env):
    with FakeOpenAI([(400, {"error": {"message": "bad model", "type": "invalid_request_error"}})]) as server:
        trajectory = run(env, server)
    assert len(server.requests) == 1 and trajectory["retries"] == []
    assert trajectory["stopped"] == "api_error" and trajectory["error"].startswith("HTTP 400")


def test_a_response_without_choices_is_an_api_error(env):
    empty = {"id": "chatcmpl-0", "object": "chat.completion", "created": 0, "model": "m", "choices": []}
    with FakeOpenAI([empty]) as server:
        trajectory = run(env, server)
    assert trajectory["stopped"] == "api_error" and "no choices" in trajectory["error"]
    assert len(server.requests) == 1


def test_a_connection_error_is_retried(env):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = client_for(base_url=f"http://127.0.0.1:{port}/v1")
    trajectory = run_episode(env, "buy_two_mugs", client, "test-model", backoff=0)
    assert trajectory["stopped"] == "api_error" and len(trajectory["retries"]) == MAX_RETRIES
    assert "APIConnectionError" in trajectory["retries"][0]["error"]


# ---- the command ----------------------------------------------------------------------------


def test_the_command_runs_a_task_and_saves_its_trajectory(api_env, tmp_path, capsys):
    out = tmp_path / "t.json"
    with FakeOpenAI([tool_reply(BUY_MUGS), text_reply("Done.")]) as server:
        code = main(
            [
                "agent",
                str(STORE),
                "--task",
                "buy_two_mugs",
                "--base-url",
                server.base_url,
                "--model",
                "m-1",
                "--temperature",
                "0",
                "--out",
                str(out),
            ]
        )
    assert code == 0
    saved = json.loads(out.read_text())
    assert (saved["reward"], saved["passed"], saved["task"], saved["model"]) == (1.0, True, "buy_two_mugs", "m-1")
    assert saved["spec"] == str(STORE) and saved["calls"][0]["result"]["ok"]
    assert server.headers[0]["authorization"] == "Bearer test-key"
    assert server.requests[0]["model"] == "m-1" and server.requests[0]["temperature"] == 0
    printed, err = capsys.readouterr()
    assert printed.startswith("buy_two_mugs: reward 1.0 (passed), 2 turns, 1 tool call,")  # results on stdout
    assert err == f"trajectory saved to {out}\n"  # logs on stderr


def test_the_command_reads_the_standard_variables_and_saves_under_runs(api_env, monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    with FakeOpenAI([text_reply("I don't know.")]) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_MODEL", "env-model")
        code = main(["agent", str(STORE), "--task", "mug_price", "--json", "--system", ""])
    assert code == 1  # the answer has no price: not passed
    [saved] = (tmp_path / "runs").glob("store-mug_price-*Z.json")
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(saved.read_text())
    assert printed["model"] == "env-model" and printed["reward"] == 0.0
    assert [m["role"] for m in server.requests[0]["messages"]] == ["user"]


def test_a_missing_api_key_is_a_one_line_usage_error(monkeypatch, capsys):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["agent", str(STORE), "--task", "mug_price"]) == 2
    err = capsys.readouterr().err
    assert err == "awmc: error: no API key: set OPENAI_API_KEY or pass --api-key\n"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--task", "mug_prise"], "has no task `mug_prise`; did you mean `mug_price`?"),
        (["--task", "mug_price", "--max-turns", "0"], "--max-turns must be at least 1"),
        (["--all-tasks", "--concurrency", "0"], "--concurrency must be at least 1"),
    ],
)
def test_bad_options_are_usage_errors(api_env, capsys, argv, message):
    assert main(["agent", str(STORE), *argv, "--base-url", "http://127.0.0.1:9/v1"]) == 2
    assert message in capsys.readouterr().err


def test_all_tasks_run_concurrently_with_a_table(api_env, tmp_path, capsys):
    scripts = {
        "Buy two mugs.": [tool_reply(BUY_MUGS), text_reply("Bought.")],
        "How much does a mug cost?": [tool_reply(("get_product", {"product_id": 2})), text_reply("It costs 6.50.")],
        "Cancel your paid order number 1.": [text_reply("I cannot do that.")],
    }
    out = tmp_path / "all.json"
    with FakeOpenAI(per_prompt(scripts), delay=0.1) as server:
        code = main(
            ["agent", str(STORE), "--all-tasks", "--concurrency", "2", "--base-url", server.base_url, "--out", str(out)]
        )
    assert code == 1  # one task failed
    assert server.max_in_flight == 2 and len(server.requests) == 5
    report = json.loads(out.read_text())
    assert [r["task"] for r in report["tasks"]] == ["buy_two_mugs", "cancel_first_order", "mug_price"]
    assert [r["reward"] for r in report["tasks"]] == [1.0, 0.0, 1.0]
    assert [r["turns"] for r in report["tasks"]] == [2, 1, 2]
    assert report["mean_reward"] == pytest.approx(2 / 3, abs=1e-6) and report["passed"] == 2
    assert [t["task"] for t in report["trajectories"]] == ["buy_two_mugs", "cancel_first_order", "mug_price"]
    for request in server.requests:
        assert request["tools"] and all(m["tool_call_id"] for m in tool_messages(request))
    printed, err = capsys.readouterr()
    assert err.splitlines()[-1] == f"report saved to {out}" and all(
        line.startswith("[") for line in err.splitlines()[:-1]
    )
    lines = printed.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split() == ["task", "reward", "passed", "turns", "seconds"])
    rows = [line.split() for line in lines[header + 2 : header + 5]]
    assert [r[:4] for r in rows] == [
        ["buy_two_mugs", "1.0", "yes", "2"],
        ["cancel_first_order", "0.0", "no", "1"],
        ["mug_price", "1.0", "yes", "2"],
    ]
    assert lines[-1].startswith("mean reward 0.667; 2 of 3 tasks passed")


@pytest.mark.parametrize(
    "reply",
    [
        {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [{"index": 0, "message": None, "finish_reason": "stop"}],
        },
        {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {"role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function"}]},
                }
            ],
        },
    ],
)
def test_a_malformed_completion_ends_the_episode_as_an_api_error(env, reply):
    with FakeOpenAI([reply]) as server:
        trajectory = run(env, server)
    assert trajectory["stopped"] == "api_error" and trajectory["reward"] == 0.0


def test_no_tools_key_is_sent_for_a_spec_without_tools(tmp_path):
    spec = tmp_path / "bare.awm"
    spec.write_text(
        'env bare "Bare" { description "No tools." }\nentity U { id: int @id }\n'
        'task hello "Say hello." { expect count(U) == 1 }\nseed U(id) { (1) }\n'
    )
    with FakeOpenAI([text_reply("hello")]) as server:
        trajectory = run(awmlang.load(spec), server, task="hello")
    assert trajectory["stopped"] == "answer" and "tools" not in server.requests[0]


def test_an_output_path_that_is_a_directory_fails_before_the_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    code = main(
        [
            "agent",
            str(Path(__file__).parent / "broken" / "store.awm"),
            "--task",
            "buy_two_mugs",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 2 and "is a directory" in capsys.readouterr().err


def test_lone_surrogates_from_the_model_are_observations_not_crashes(api_env, tmp_path, capsys):
    """Half an emoji in a tool argument, in text next to a tool call and in the final answer."""
    out = tmp_path / "t.json"
    script = [
        tool_reply(("add_address", {"label": "Home \ud83d", "city": "Oslo"}), content="Saving \ud83d"),
        text_reply("Done \ud83d"),
    ]
    with FakeOpenAI(script) as server:
        code = main(
            [
                "agent",
                str(STORE),
                "--task",
                "buy_two_mugs",
                "--base-url",
                server.base_url,
                "--model",
                "m-1",
                "--out",
                str(out),
                "--json",
            ]
        )
    assert code == 1  # no mugs bought: not passed, but no crash
    assert "internal error" not in capsys.readouterr().err
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["answer"] == "Done \ud83d"  # kept exactly, as a JSON escape
    assert saved["calls"][0]["result"]["error"]["details"]["problems"] == [
        {"argument": "label", "problem": "is not valid Unicode text: a lone surrogate U+D83D at character 5"}
    ]
    assert server.requests[1]["messages"][2]["content"] == "Saving \ufffd"  # sent back as U+FFFD
