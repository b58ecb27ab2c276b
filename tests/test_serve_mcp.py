"""The MCP server, driven by the official `mcp` client over streamable HTTP on 127.0.0.1."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import urllib.error
import urllib.request

import pytest
from mcp.client.client import Client

import awmlang
from mcp_server import running_server

SPEC = Path(__file__).parent / "broken" / "store.awm"


@pytest.fixture(scope="module")
def server():
    with running_server({"store": awmlang.load(SPEC)}) as (base, servers):
        yield base, servers


def run(coro):
    return asyncio.run(coro)


def post(url: str, body: bytes, headers: dict) -> int:
    """The HTTP status of a raw POST."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_tools_are_listed_with_descriptions_and_schemas(server):
    base, _ = server

    async def go():
        async with Client(f"{base}/mcp/store") as c:
            return (await c.list_tools()).tools
    tools = {t.name: t for t in run(go())}
    env = awmlang.load(SPEC)
    assert set(tools) == set(env.tool_names)
    assert tools["buy"].description == "Buy some of a product: opens an order and pays it."
    assert tools["buy"].input_schema["required"] == ["product", "quantity"]


def test_two_default_clients_get_isolated_instances_that_keep_state(server):
    base, servers = server

    async def go():
        async with Client(f"{base}/mcp/store") as a, Client(f"{base}/mcp/store") as b:
            await a.call_tool("restock", {"product": 1, "amount": 10})
            seen_by_a = (await a.call_tool("get_product", {"product_id": 1})).structured_content
            seen_by_b = (await b.call_tool("get_product", {"product_id": 1})).structured_content
            live = servers["store"].live_sessions
            return seen_by_a, seen_by_b, live
    a, b, live = run(go())
    assert a["result"]["stock"] == 15 and b["result"]["stock"] == 5
    assert live >= 2


def test_closing_a_session_frees_its_instance(server):
    base, servers = server
    before = servers["store"].live_sessions

    async def go():
        async with Client(f"{base}/mcp/store") as c:
            await c.call_tool("get_product", {"product_id": 1})
            return servers["store"].live_sessions
    during = run(go())
    assert during == before + 1
    assert servers["store"].live_sessions == before


def test_tool_errors_are_mcp_tool_errors_with_code_message_details(server):
    base, _ = server

    async def go():
        async with Client(f"{base}/mcp/store") as c:
            return [await c.call_tool(name, args) for name, args in [
                ("buy", {"product": 1, "quantity": 99}), ("buy", {"product": "x"}), ("nope", {}),
                ("get_product", {"product_id": 999})]]
    out_of_stock, bad_args, unknown, missing = run(go())
    assert out_of_stock.is_error and json.loads(out_of_stock.content[0].text) == {
        "code": "out_of_stock", "message": "only 5 of Lamp left", "details": {}}
    assert json.loads(bad_args.content[0].text)["code"] == "invalid_arguments"
    assert json.loads(unknown.content[0].text)["code"] == "unknown_tool"
    assert missing.structured_content["error"]["code"] == "not_found"


def test_malformed_requests_do_not_take_the_server_down(server):
    base, _ = server
    url = f"{base}/mcp/store/"
    headers = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    statuses = [
        post(url, b"{not json", headers),
        post(url, b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call"}', headers),
        post(url, b"[]", headers),
        post(url, b"x" * 10, {**headers, "mcp-session-id": "no-such-session"}),
        post(url, b"{}", {**headers, "mcp-protocol-version": "2099-01-01"}),
    ]
    assert all(400 <= code < 500 for code in statuses), statuses

    async def go():
        async with Client(f"{base}/mcp/store") as c:
            return await c.call_tool("get_product", {"product_id": 2})
    assert run(go()).structured_content["result"]["name"] == "Mug"


def test_concurrent_sessions_match_their_in_process_replays(tmp_path):
    """A bounded load test: 12 concurrent sessions x 15 calls; each session's results and final
    database equal replaying its own calls in a fresh in-process session (no leakage)."""
    from awmlang.bench_mcp import expected_results, final_states_differ, plan_calls, run_session
    env = awmlang.load(SPEC)
    plans = [plan_calls(env, seed, 15) for seed in range(12)]
    latencies: list[float] = []
    with running_server({"store": env}, record_dir=tmp_path) as (base, _):
        async def go():
            return await asyncio.gather(*(run_session(f"{base}/mcp/store", plan, latencies) for plan in plans))
        results = run(go())
    assert len(list(tmp_path.glob("store/*"))) == 12
    assert final_states_differ(env, tmp_path) == 0
    assert len(latencies) == 12 * 15
    for got, plan in zip(results, plans):
        assert got == expected_results(env, plan)
    assert not any(r.get("code") == "internal_error" for rs in results for r in rs)


def test_reset_verify_user_and_recording(tmp_path):
    with running_server({"store": awmlang.load(SPEC)}, record_dir=tmp_path) as (base, servers):
        async def go():
            async with Client(f"{base}/mcp/store?user=2&task=buy_two_mugs") as c:
                await c.call_tool("buy", {"product": 2, "quantity": 2})
                session_id = next(iter(servers["store"].sessions))
                verify = json.loads(control(f"{base}/mcp/store/verify", session_id, {"answer": "done"}))
                mine = (await c.call_tool("my_orders", {})).structured_content["result"]
                control(f"{base}/mcp/store/reset", session_id, {})
                after_reset = (await c.call_tool("get_product", {"product_id": 2})).structured_content["result"]
                await c.call_tool("restock", {"product": 1, "amount": 1})
                return session_id, verify, mine, after_reset
        session_id, verify, mine, after_reset = run(go())
    assert verify["passed"] is True and verify["reward"] == 1.0      # scored as the session's user (2)
    assert {o["customer_id"] for o in mine} == {2}
    assert after_reset["stock"] == 10
    recorded = tmp_path / "store" / session_id
    calls = json.loads((recorded / "calls.json").read_text())
    assert [c["tool"] for c in calls] == ["get_product", "restock"]
    assert (recorded / "initial.db").stat().st_size > 0 and (recorded / "final.db").stat().st_size > 0


def control(url: str, session_id: str, body: dict) -> bytes:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json", "mcp-session-id": session_id})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read()


def test_stdio_serves_one_environment_with_state():
    import sys
    from mcp.client.stdio import StdioServerParameters
    params = StdioServerParameters(command=sys.executable, args=["-m", "awmlang.cli", "serve", str(SPEC), "--stdio"])

    async def go():
        async with Client(params) as c:
            names = {t.name for t in (await c.list_tools()).tools}
            await c.call_tool("restock", {"product": 1, "amount": 2})
            after = (await c.call_tool("get_product", {"product_id": 1})).structured_content["result"]
            return names, after
    names, after = run(go())
    assert "buy" in names and after["stock"] == 7


@pytest.mark.parametrize("query,refusal", [
    ("user=abc", "no Customer with key 'abc' to act as: Customer keys run from 1 to "),
    ("user=99999", "no Customer with key 99999 to act as"),
    ("user=-1", "no Customer with key -1 to act as"),
    ("task=nope", "`store` has no task 'nope'; its tasks: buy_two_mugs, "),
    ("user=2&task=buy_two_mug", "`store` has no task 'buy_two_mug'; did you mean 'buy_two_mugs'?"),
])
def test_unknown_users_and_tasks_are_refused_at_initialize(server, query, refusal):
    base, servers = server
    before = servers["store"].live_sessions
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
                  "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                             "clientInfo": {"name": "t", "version": "0"}}}
    request = urllib.request.Request(f"{base}/mcp/store/?{query}", data=json.dumps(initialize).encode(), method="POST",
                                     headers={"content-type": "application/json", "accept": "application/json, text/event-stream"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    reply = json.loads(refused.value.read())
    assert (reply["jsonrpc"], reply["id"], reply["error"]["code"]) == ("2.0", 1, -32602)
    assert reply["error"]["message"].startswith(refusal)
    assert servers["store"].live_sessions == before


def test_the_official_client_shows_why_a_session_is_refused(server):
    from mcp.shared.exceptions import MCPError
    base, _ = server

    async def go():
        async with Client(f"{base}/mcp/store?user=3") as c:
            await c.list_tools()
    with pytest.raises(BaseException) as refused:
        run(go())
    error = refused.value
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    assert isinstance(error, MCPError)
    assert str(error) == "no Customer with key 3 to act as: Customer keys run from 1 to 2"


def test_a_known_user_and_task_still_open_a_session(server):
    base, servers = server

    async def go():
        async with Client(f"{base}/mcp/store?user=2&task=mug_price") as c:
            return (await c.call_tool("get_product", {"product_id": 2})).structured_content["result"]["id"]
    assert run(go()) == 2
    assert ("2", "mug_price") in servers["store"].accepted
