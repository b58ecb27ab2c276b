"""The episode API: prompt and tools, steps in the shapes SDKs produce, rewards, batches."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from awmlang.runtime.episode import EpisodeFinished
from awmlang.runtime.errors import SessionError

import awmlang

SPEC = Path(__file__).parent / "broken" / "store.awm"


@pytest.fixture(scope="module")
def env():
    return awmlang.load(SPEC)


def test_a_task_episode_from_prompt_to_reward(env):
    ep = env.episode(task="buy_two_mugs")
    assert ep.prompt == "Buy two mugs."
    assert {t["function"]["name"] for t in ep.tools} >= {"buy", "get_product"}
    obs = ep.step({"name": "buy", "arguments": {"product": 2, "quantity": 2}})
    assert obs["ok"] and obs["result"]["status"] == "paid"
    result = ep.finish(answer="Done.")
    assert (result["reward"], result["passed"], result["steps"]) == (1.0, True, 1)
    assert ep.finish() is result


def test_openai_tool_call_objects_and_dicts(env):
    ep = env.episode(task="mug_price")
    as_object = SimpleNamespace(
        id="call_1", type="function", function=SimpleNamespace(name="get_product", arguments='{"product_id": 2}')
    )
    assert ep.step(as_object)["result"]["price"] == 6.5
    as_dict = {
        "id": "call_2",
        "type": "function",
        "function": {"name": "get_product", "arguments": json.dumps({"product_id": 1})},
    }
    assert ep.step(as_dict)["result"]["name"] == "Lamp"
    assert [h["id"] for h in ep.history] == ["call_1", "call_2"]
    assert ep.finish(answer="A mug costs $6.50")["passed"]


def test_malformed_calls_are_results_not_exceptions(env):
    ep = env.episode(task="mug_price", max_steps=4)
    bad_json = ep.step({"name": "get_product", "arguments": '{"product_id": 2'})
    assert bad_json["error"]["code"] == "invalid_arguments" and "not valid JSON" in bad_json["error"]["message"]
    assert ep.step({"arguments": {}})["error"]["code"] == "invalid_arguments"
    assert ep.step({"name": "get_prodct", "arguments": {}})["error"]["code"] == "unknown_tool"
    assert ep.step({"name": "get_product", "arguments": "[1]"})["error"]["code"] == "invalid_arguments"
    assert ep.step({"name": "get_product", "arguments": {"product_id": 2}})["error"]["code"] == "max_steps"
    result = ep.finish(answer="no idea")
    assert (result["reward"], result["passed"]) == (0.0, False)
    with pytest.raises(EpisodeFinished):
        ep.step({"name": "get_product", "arguments": {"product_id": 2}})


def test_free_text_episodes_have_no_verifier(env):
    ep = env.episode(instruction="Look around.")
    assert ep.prompt == "Look around."
    assert ep.finish()["reward"] is None
    with pytest.raises(ValueError):
        env.episode()
    with pytest.raises(
        SessionError, match="^`store` has no task 'nope'; its tasks: buy_two_mugs, cancel_first_order, mug_price$"
    ):
        env.episode(task="nope")


def test_a_batch_of_1024_episodes_is_isolated(env):
    episodes = [env.episode(task="buy_two_mugs") for _ in range(1024)]
    for i, ep in enumerate(episodes):
        if i % 2 == 0:
            ep.step({"name": "buy", "arguments": {"product": 2, "quantity": 2}})
    rewards = [ep.finish()["reward"] for ep in episodes]
    assert rewards == [1.0 if i % 2 == 0 else 0.0 for i in range(1024)]
    for ep in episodes:
        ep.close()


def test_the_documented_shop_episode():
    env = awmlang.load(Path(__file__).resolve().parent.parent / "specs" / "shop.awm")
    ep = env.episode(task="add_speakers_to_cart")
    assert ep.step({"name": "add_to_cart", "arguments": {"product": 3, "quantity": 2}})["ok"]
    result = ep.finish(answer="Two Bluetooth speakers are in your cart.")
    assert (result["reward"], result["passed"]) == (1.0, True)
