"""The MCP server, driven by the official `mcp` client over streamable HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from mcp.client.client import Client
from mcp_server import running_server

import awmlang

ROOT = Path(__file__).resolve().parent.parent
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


def test_ending_a_session_while_its_stream_is_open_is_clean(server, caplog):
    """The official client holds a GET stream open; DELETE ends the session under it."""
    import logging
    import time

    base, servers = server
    uvicorn_errors = logging.getLogger("uvicorn.error")  # it does not propagate to caplog's root handler
    uvicorn_errors.addHandler(caplog.handler)

    async def go():
        async with Client(f"{base}/mcp/store") as c:
            await c.call_tool("get_product", {"product_id": 1})

    try:
        run(go())
        deadline = time.monotonic() + 5
        while servers["store"].in_flight and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        uvicorn_errors.removeHandler(caplog.handler)
    assert servers["store"].in_flight == {} and set(servers["store"].last_used) == set(servers["store"].sessions)
    assert not [r for r in caplog.records if r.levelname == "ERROR"], [r.getMessage() for r in caplog.records]


def test_tool_errors_are_mcp_tool_errors_with_code_message_details(server):
    base, _ = server

    async def go():
        async with Client(f"{base}/mcp/store") as c:
            return [
                await c.call_tool(name, args)
                for name, args in [
                    ("buy", {"product": 1, "quantity": 99}),
                    ("buy", {"product": "x"}),
                    ("nope", {}),
                    ("get_product", {"product_id": 999}),
                ]
            ]

    out_of_stock, bad_args, unknown, missing = run(go())
    assert out_of_stock.is_error and json.loads(out_of_stock.content[0].text) == {
        "code": "out_of_stock",
        "message": "only 5 of Lamp left",
        "details": {},
    }
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
    assert verify["passed"] is True and verify["reward"] == 1.0  # scored as the session's user (2)
    assert {o["customer_id"] for o in mine} == {2}
    assert after_reset["stock"] == 10
    recorded = tmp_path / "store" / session_id
    calls = json.loads((recorded / "calls.json").read_text())
    assert [c["tool"] for c in calls] == ["get_product", "restock"]
    assert (recorded / "initial.db").stat().st_size > 0 and (recorded / "final.db").stat().st_size > 0


def control(url: str, session_id: str, body: dict) -> bytes:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"content-type": "application/json", "mcp-session-id": session_id},
    )
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


@pytest.mark.parametrize(
    "query,refusal",
    [
        ("user=abc", "no Customer with key 'abc' to act as: Customer keys run from 1 to "),
        ("user=99999", "no Customer with key 99999 to act as"),
        ("user=-1", "no Customer with key -1 to act as"),
        ("user=%C2%B2", "no Customer with key '²' to act as"),  # "²".isdigit() is true; it is no integer
        ("task=nope", "`store` has no task 'nope'; its tasks: buy_two_mugs, "),
        ("user=2&task=buy_two_mug", "`store` has no task 'buy_two_mug'; did you mean 'buy_two_mugs'?"),
    ],
)
def test_unknown_users_and_tasks_are_refused_at_initialize(server, query, refusal):
    base, servers = server
    before = servers["store"].live_sessions
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
    }
    request = urllib.request.Request(
        f"{base}/mcp/store/?{query}",
        data=json.dumps(initialize).encode(),
        method="POST",
        headers={"content-type": "application/json", "accept": "application/json, text/event-stream"},
    )
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
    base, _servers = server

    async def go():
        async with Client(f"{base}/mcp/store?user=2&task=mug_price") as c:
            return (await c.call_tool("get_product", {"product_id": 2})).structured_content["result"]["id"]

    assert run(go()) == 2


# ---- raw HTTP helpers (httpx2, the SDK's own HTTP client; redirects are never followed) ----------

MCP_HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
PROTOCOL = "2025-11-25"


def initialize(http, url: str) -> dict:
    """Open a session with a raw initialize; the headers that name it in later requests."""
    reply = http.post(
        url,
        json={
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
        },
        headers=MCP_HEADERS,
    )
    assert reply.status_code == 200, (reply.status_code, reply.text)
    session = {**MCP_HEADERS, "mcp-session-id": reply.headers["mcp-session-id"], "mcp-protocol-version": PROTOCOL}
    assert (
        http.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=session).status_code
        == 202
    )
    return session


def raw_client():
    import httpx2

    return httpx2.Client(follow_redirects=False, timeout=10)


def tool_call(name, arguments, request_id=1) -> dict:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }


# ---- reset and verify over HTTP ------------------------------------------------------------------


@pytest.mark.parametrize(
    "body,named",
    [
        (b"[1]", 'must be a JSON object, {"task": ID, "answer": TEXT}, not an array'),
        (b'"x"', "not a string"),
        (b"5", "not a number"),
        (b"{not json", "not valid JSON: Expecting property name enclosed in double quotes at column 2"),
        (b"\xff\xfe", "not valid JSON"),
        (b"", "the body is empty"),
    ],
)
def test_verify_refuses_a_body_that_is_not_a_json_object(server, body, named):
    base, _ = server
    with raw_client() as http:
        session = initialize(http, f"{base}/mcp/store")
        reply = http.post(f"{base}/mcp/store/verify", content=body, headers=session)
    assert reply.status_code == 400 and named in reply.json()["error"], reply.text


def test_verify_and_reset_edge_cases_are_clear_4xx_errors(server):
    base, _ = server
    with raw_client() as http:
        session = initialize(http, f"{base}/mcp/store")
        for_task = initialize(http, f"{base}/mcp/store?task=buy_two_mugs")

        def verify(body, headers=session):
            reply = http.post(f"{base}/mcp/store/verify", json=body, headers=headers)
            return reply.status_code, reply.json()["error"]

        assert verify({"task": "buy_two_mugs", "answer": 5}) == (
            400,
            "`answer` must be a string (the agent's final answer) or null, not a number",
        )
        assert verify({"task": "buy_two_mug"}) == (
            400,
            "`store` has no task 'buy_two_mug'; did you mean 'buy_two_mugs'?",
        )
        assert verify({"task": ["buy_two_mugs"]}) == (400, "`task` must be a string (a task's name), not an array")
        status, message = verify({"answer": "done"})
        assert status == 400 and message.startswith("name the task") and "buy_two_mugs" in message
        assert verify({"task": "buy_two_mugs", "anwser": "x"}) == (
            400,
            "unknown field `anwser` for verify (did you mean `answer`?); it takes `task`, `answer`",
        )
        assert verify({"answer": 5}, headers=for_task)[0] == 400
        assert verify({"answer": "done"}, headers=MCP_HEADERS)[0] == 400  # no Mcp-Session-Id
        status, message = verify({"answer": "done"}, headers={**MCP_HEADERS, "mcp-session-id": "gone"})
        assert status == 404 and "no session 'gone'" in message
        reset = http.post(f"{base}/mcp/store/reset", json={"task": "buy_two_mugs"}, headers=session)
        assert (
            reset.status_code == 400 and reset.json()["error"] == "unknown field `task` for reset; it takes no fields"
        )
        assert http.post(f"{base}/mcp/store/reset", content=b"[1]", headers=session).status_code == 400
        assert http.get(f"{base}/mcp/store/reset", headers=session).status_code == 405
        passed = http.post(f"{base}/mcp/store/verify", json={"answer": None}, headers=for_task)
        assert passed.status_code == 200 and passed.json()["task"] == "buy_two_mugs"
        assert all(c["observed"] is None or "internal_error" not in str(c["observed"]) for c in passed.json()["checks"])


def test_reset_works_from_initialize_before_any_tools_request(server):
    base, servers = server
    with raw_client() as http:
        session = initialize(http, f"{base}/mcp/store")
        assert session["mcp-session-id"] in servers["store"].sessions
        reset = http.post(f"{base}/mcp/store/reset", headers=session)
        verify = http.post(f"{base}/mcp/store/verify", json={"task": "mug_price", "answer": "4.50"}, headers=session)
    assert (reset.status_code, reset.json()) == (200, {"reset": True})
    assert verify.status_code == 200 and "reward" in verify.json()


def test_the_endpoint_answers_without_a_trailing_slash(server):
    base, _ = server
    with raw_client() as http:
        for path in ("/mcp/store", "/mcp/store/"):
            session = initialize(http, base + path)  # asserts 200, not 307
            reply = http.post(base + path, json=tool_call("get_product", {"product_id": 2}), headers=session)
            assert reply.status_code == 200 and reply.json()["result"]["structuredContent"]["result"]["name"] == "Mug"
        assert http.post(f"{base}/mcp/store/elsewhere", json={}, headers=MCP_HEADERS).status_code == 404


# ---- reset and verify as MCP methods, with the official client -----------------------------------


def test_reset_and_verify_are_mcp_methods_for_the_official_client(server):
    from awmlang.runtime.serve_mcp import VERIFY_METHOD, _control_request, reset_session, verify_session
    from mcp.shared.exceptions import MCPError

    base, _ = server

    async def go():
        async with Client(f"{base}/mcp/store?user=2&task=buy_two_mugs") as c:
            fresh = await verify_session(c, answer="done")
            await c.call_tool("buy", {"product": 2, "quantity": 2})
            bought = await verify_session(c, answer="done")
            reset = await reset_session(c)
            after_reset = (await c.call_tool("get_product", {"product_id": 2})).structured_content["result"]
            errors = []
            for fields in ({"task": "buy_two_mug"}, {"task": "buy_two_mugs", "answer": 5}, {"anwser": "x"}):
                try:
                    await _control_request(c, VERIFY_METHOD, fields)
                except MCPError as exc:
                    errors.append((exc.code, exc.message))
            tools = {t.name for t in (await c.list_tools()).tools}
            return fresh, bought, reset, after_reset, errors, tools

    fresh, bought, reset, after_reset, errors, tools = run(go())
    assert (fresh["passed"], bought["passed"], bought["reward"]) == (False, True, 1.0)  # scored as user 2
    assert reset == {"reset": True} and after_reset["stock"] == 10
    assert errors == [
        (-32602, "`store` has no task 'buy_two_mug'; did you mean 'buy_two_mugs'?"),
        (-32602, "`answer` must be a string (the agent's final answer) or null, not a number"),
        (-32602, "unknown field `anwser` for verify (did you mean `answer`?); it takes `task`, `answer`"),
    ]
    assert not any(name.startswith("awmlang") for name in tools)  # not tools: the agent cannot call them


def _python_examples(section: str) -> list[str]:
    text = (Path(__file__).resolve().parent.parent / "docs" / "serving.md").read_text()
    start = text.index(section)
    end = text.index("\n## ", start)
    return re.findall(r"^```python\n(.*?)^```", text[start:end], re.MULTILINE | re.DOTALL)


def test_the_serving_docs_examples_run_against_a_live_server(capsys):
    """Every Python example of docs/serving.md's MCP section, with the docs' URL pointed at a test server."""
    examples = _python_examples("## The MCP server")
    assert len(examples) == 3
    with running_server({"shop": awmlang.load(ROOT / "specs" / "shop.awm")}) as (base, _servers):
        for example in examples:
            exec(compile(example.replace("http://127.0.0.1:8001", base), "docs/serving.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[1:] == [
        "after the call: 1.0 True",
        "after reset: 0.0 False",
        "after the call: 1.0 True",
        "{'reset': True}",
    ]
    assert "'result'" in printed[0]


def test_stdio_offers_reset_and_verify_as_mcp_methods():
    import sys

    from awmlang.runtime.serve_mcp import reset_session, verify_session
    from mcp.client.stdio import StdioServerParameters

    params = StdioServerParameters(command=sys.executable, args=["-m", "awmlang.cli", "serve", str(SPEC), "--stdio"])

    async def go():
        async with Client(params) as c:
            await c.call_tool("buy", {"product": 2, "quantity": 2})
            bought = await verify_session(c, task="buy_two_mugs", answer="done")
            await reset_session(c)
            return bought, await verify_session(c, task="buy_two_mugs", answer="done")

    bought, after_reset = run(go())
    assert bought["passed"] is True and after_reset["passed"] is False


# ---- stdio: raw lines ------------------------------------------------------------------------------


class StdioServer:
    """`awmc serve SPEC --stdio` in a child process, driven one raw line at a time."""

    def __init__(self, *extra: str):
        import subprocess
        import sys

        self.process = subprocess.Popen(
            [sys.executable, "-m", "awmlang.cli", "serve", str(SPEC), "--stdio", *extra],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def ask(self, line: bytes) -> dict:
        """Send one line; its one-line reply (a bounded wait: a missing reply fails, never hangs)."""
        import select

        self.process.stdin.write(line + b"\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], 20)
        assert ready, f"no reply to {line!r}"
        return json.loads(self.process.stdout.readline())

    def tell(self, message: dict) -> None:
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()

    def initialize(self) -> None:
        reply = self.ask(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 0,
                    "method": "initialize",
                    "params": {
                        "protocolVersion": PROTOCOL,
                        "capabilities": {},
                        "clientInfo": {"name": "raw", "version": "0"},
                    },
                }
            ).encode()
        )
        assert reply["id"] == 0 and "result" in reply
        self.tell({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def close(self) -> int:
        self.process.stdin.close()
        code = self.process.wait(30)
        self.process.stdout.close()
        self.process.stderr.close()
        return code


def test_stdio_answers_a_malformed_line_with_a_json_rpc_error_and_keeps_serving():
    server = StdioServer()
    try:
        server.initialize()
        not_json = server.ask(b"{not json")
        array = server.ask(b"[1]")
        bad_method = server.ask(b'{"jsonrpc": "2.0", "id": 7, "method": 5}')
        after = server.ask(json.dumps(tool_call("get_product", {"product_id": 2}, request_id=8)).encode())
    finally:
        assert server.close() == 0
    assert not_json["id"] is None and not_json["error"]["code"] == -32700
    assert not_json["error"]["message"].startswith("Parse error: ")
    assert array == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32600, "message": "Invalid Request: a JSON-RPC message is an object, not an array"},
    }
    assert (
        bad_method["id"] == 7 and bad_method["error"]["code"] == -32600 and "`method`" in bad_method["error"]["message"]
    )
    assert after["id"] == 8 and after["result"]["structuredContent"]["result"]["name"] == "Mug"


# ---- bounded resources -----------------------------------------------------------------------------


def test_max_sessions_refuses_new_sessions_with_503_until_one_ends():
    with running_server({"store": awmlang.load(SPEC)}, max_sessions=2) as (base, servers), raw_client() as http:
        url = f"{base}/mcp/store"
        first, _ = initialize(http, url), initialize(http, url)
        refused = http.post(
            url, json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {}}, headers=MCP_HEADERS
        )
        assert refused.status_code == 503
        assert refused.json()["error"].startswith(
            "the server holds its maximum of 2 sessions (awmc serve --max-sessions)"
        )
        assert http.request("DELETE", url, headers=first).status_code in (200, 204)
        initialize(http, url)  # room again
        assert servers["store"].live_sessions == 2


def test_idle_expired_sessions_make_room_before_a_session_is_refused():
    with (
        running_server({"store": awmlang.load(SPEC)}, max_sessions=1, session_idle_timeout=0.3) as (base, servers),
        raw_client() as http,
    ):
        old = initialize(http, f"{base}/mcp/store")
        import time

        time.sleep(1.0)  # three idle timeouts: the SDK has ended it too
        new = initialize(http, f"{base}/mcp/store")
        assert list(servers["store"].sessions) == [new["mcp-session-id"]] != [old["mcp-session-id"]]


def test_serve_refuses_flags_that_are_not_positive():
    from awmlang.cli import main

    assert main(["serve", str(SPEC), "--max-sessions", "0"]) == 2
    assert main(["serve", str(SPEC), "--idle-timeout", "-5"]) == 2
    assert main(["serve", str(SPEC), "--record-limit", "lots"]) == 2


def test_record_limit_parses_sessions_and_sizes():
    from awmlang.runtime.serve_mcp import RecordLimit, parse_record_limit

    assert parse_record_limit("500") == RecordLimit(sessions=500)
    assert parse_record_limit("200MB") == RecordLimit(bytes=200 * 2**20)
    assert parse_record_limit("1.5gb") == RecordLimit(bytes=int(1.5 * 2**30))
    for bad in ("", "1.5", "-3", "10KB", "many"):
        with pytest.raises(ValueError, match="not a record limit"):
            parse_record_limit(bad)


def test_sessions_open_at_shutdown_are_recorded_up_to_the_record_limit(tmp_path, caplog):
    import sqlite3

    from awmlang.runtime.serve_mcp import RecordLimit

    env = awmlang.load(SPEC)
    with (
        running_server({"store": env}, record_dir=tmp_path, record_limit=RecordLimit(sessions=2)) as (base, _),
        raw_client() as http,
    ):
        for amount in (1, 2, 3):  # three sessions, never closed
            session = initialize(http, f"{base}/mcp/store")
            http.post(f"{base}/mcp/store", json=tool_call("restock", {"product": 1, "amount": amount}), headers=session)
    recorded = sorted(p for p in (tmp_path / "store").iterdir())
    assert len(recorded) == 2
    for folder in recorded:
        calls = json.loads((folder / "calls.json").read_text())
        assert [c["tool"] for c in calls] == ["restock"]
        final = sqlite3.connect(folder / "final.db")
        stock = final.execute("SELECT stock FROM product WHERE id = 1").fetchone()[0]
        final.close()
        assert stock == 5 + calls[0]["arguments"]["amount"]
        assert (folder / "initial.db").read_bytes() == env.initial_image
        assert (folder / "initial.db").stat().st_nlink == 3  # one shared file, not a copy each
    limit_lines = [r.getMessage() for r in caplog.records if "--record-limit reached" in r.getMessage()]
    assert len(limit_lines) == 1 and limit_lines[0].startswith("--record-limit reached: 2 sessions")


def test_record_limit_by_size_never_writes_past_it(tmp_path):
    from awmlang.runtime.serve_mcp import RecordLimit

    env = awmlang.load(SPEC)
    limit = 2 * len(env.initial_image) + 4096  # the first session (initial.db, final.db, calls.json), not a second
    with (
        running_server({"store": env}, record_dir=tmp_path, record_limit=RecordLimit(bytes=limit)) as (base, _),
        raw_client() as http,
    ):
        for _ in range(3):
            session = initialize(http, f"{base}/mcp/store")
            http.post(f"{base}/mcp/store", json=tool_call("get_product", {"product_id": 1}), headers=session)
            http.request("DELETE", f"{base}/mcp/store", headers=session)
    files = {f.stat().st_ino: f.stat().st_size for f in tmp_path.rglob("*") if f.is_file()}
    assert len(list((tmp_path / "store").iterdir())) == 1 and sum(files.values()) <= limit


# ---- hostile input: MCP over HTTP and over stdio -----------------------------------------------------


def _line(message) -> bytes:
    return message if isinstance(message, bytes) else json.dumps(message).encode()  # "\ud800" stays a JSON escape


# (what, the raw message, what the answer must say: a regular expression over its error message or tool error)
HOSTILE = [
    (
        "lone surrogate in a text argument",
        tool_call("add_address", {"label": "\ud800", "city": "x"}),
        r"Parse error: .*hex escape",
    ),  # the JSON parser refuses it: it never reaches a tool
    (
        "NUL in a text argument",
        tool_call("add_address", {"label": "a\x00b", "city": "x"}),
        r"invalid_arguments.*label.*must not contain NUL",
    ),
    ("arguments an array", tool_call("add_address", [1]), r"`arguments` must be a JSON object, not an array"),
    ("arguments a string", tool_call("add_address", "x"), r"`arguments` must be a JSON object, not a string"),
    ("arguments a number", tool_call("add_address", 5), r"`arguments` must be a JSON object, not a number"),
    (
        "tool name a number",
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": 5}},
        r"`name` must be a string",
    ),
    (
        "no tool name",
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"arguments": {}}},
        r"tools/call needs params",
    ),
    (
        "wrong argument type",
        tool_call("add_address", {"label": 5, "city": "x"}),
        r"invalid_arguments.*label.*must be a string",
    ),
    (
        "unknown argument",
        tool_call("add_address", {"label": "a", "city": "x", "zip": 1}),
        r"invalid_arguments.*zip.*unknown",
    ),
    ("unknown tool", tool_call("add_adress", {}), r"unknown_tool.*add_address"),
    ("unknown method", {"jsonrpc": "2.0", "id": 1, "method": "tools/nope"}, r"Method not found"),
    ("method a number", {"jsonrpc": "2.0", "id": 1, "method": 5}, r"method"),
    ("body an array", b"[1]", r"Invalid Request: .*(batch|object)"),
    ("body an empty array", b"[]", r"Invalid Request: .*(batch|object)"),
    ("body a string", b'"x"', r"Invalid Request: .*object"),
    ("body a number", b"5", r"Invalid Request: .*object"),
    ("body null", b"null", r"Invalid Request: .*object"),
    ("body not JSON", b"{not json", r"Parse error"),
]


def _problem(reply: dict) -> str:
    """The message of a JSON-RPC error, or the code and text of a tool error; '' for a success."""
    if "error" in reply:
        return reply["error"]["message"]
    result = reply["result"]
    return result["content"][0]["text"] if result.get("isError") else ""


def _assert_named(what: str, reply: dict, pattern: str) -> None:
    problem = _problem(reply)
    assert "internal_error" not in problem, (what, reply)
    assert re.search(pattern, problem), (what, problem)


def test_hostile_input_over_http(server):
    base, servers = server
    url = f"{base}/mcp/store"
    with raw_client() as http:
        session = initialize(http, url)
        instance = servers["store"].sessions[session["mcp-session-id"]]
        before = list(instance.db.iterdump())
        for what, message, pattern in HOSTILE:
            reply = http.post(url, content=_line(message), headers=session)
            assert reply.status_code < 500, (what, reply.status_code, reply.text)
            _assert_named(what, reply.json(), pattern)
        assert list(instance.db.iterdump()) == before  # nothing half-written
        still = http.post(url, json=tool_call("get_product", {"product_id": 2}), headers=session).json()
    assert still["result"]["structuredContent"]["result"]["name"] == "Mug"


def test_hostile_input_over_stdio(tmp_path):
    import sqlite3

    server = StdioServer("--record", str(tmp_path))
    try:
        server.initialize()
        replies = [(what, server.ask(_line(message)), pattern) for what, message, pattern in HOSTILE]
    finally:
        assert server.close() == 0
    for what, reply, pattern in replies:
        _assert_named(what, reply, pattern)
    (recorded,) = (tmp_path / "store").iterdir()  # recorded when stdin closed
    dumps = []
    for name in ("initial.db", "final.db"):
        db = sqlite3.connect(recorded / name)
        dumps.append(list(db.iterdump()))
        db.close()
    assert dumps[0] == dumps[1]  # the state unchanged


def test_servers_made_in_python_default_to_the_sessions_default_user(tmp_path):
    """EnvironmentServer without a user acts as env.session() does, so a spec whose users have
    text keys serves sessions (the default was user 1, which such specs refuse)."""
    from awmlang.runtime.serve_mcp import EnvironmentServer

    spec = tmp_path / "members.awm"
    spec.write_text(
        'env m "Members" { user Member }\nentity Member { handle: text @id  name: text }\n'
        'tool whoami() -> Member "Who I am." { return me }\nseed Member(handle, name) { ("ann", "Ann") }\n'
    )
    env = awmlang.load(spec)
    server = EnvironmentServer("m", env)
    session, _ = server.new_instance({})
    assert session.me == env.session().me
    assert server.new_instance({"user": "ann"})[0].me == "ann"
