"""The MCP load benchmark: concurrent sessions against `awmc serve` in another process.

Each session runs its own seeded sequence of calls; afterwards the same sequence is replayed
in-process and every result must match (no errors beyond the tools' own, no cross-session
leakage). Reports p50/p99 per-call latency, and the server's RSS with many idle sessions.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from awmlang.text import counted

TARGET_P50_MS = 3.0
TARGET_IDLE_RSS_MB = 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(spec: Path, port: int, record_dir: Path | None = None, max_sessions: int = 1000) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "awmlang.cli",
        "serve",
        str(spec),
        "--port",
        str(port),
        "--max-sessions",
        str(max_sessions),
    ]
    if record_dir is not None:
        command += ["--record", str(record_dir)]
    # stderr to a file, not a pipe: a pipe nobody reads fills up and blocks the server mid-benchmark
    log_file = tempfile.TemporaryFile()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log_file)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            if process.poll() is not None:
                log_file.seek(0)
                raise RuntimeError(f"awmc serve exited: {log_file.read().decode(errors='replace')[-2000:]}")
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("awmc serve did not start within 60 s")


def rss_mb_of(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def plan_calls(env, seed: int, n: int) -> list[tuple[str, dict]]:
    """A seeded sequence of calls with arguments drawn like `awmc check` does, kept valid-looking."""
    rng = random.Random(seed)
    session = env.session()
    calls = []
    for _ in range(n):
        tool = rng.choice(env.tool_names)
        args = {}
        for p in env.handlers[tool][2].params:
            if p["required"] or rng.random() < 0.5:
                args[p["name"]] = sample(p, session, rng)
        calls.append((tool, args))
    session.close()
    return calls


def sample(p: dict, session, rng: random.Random):
    kind = p["type"]["kind"]
    lo, hi = p.get("range") or [None, None]
    if kind == "entity":
        table, column, _ = session.env.entity_keys[p["type"]["entity"]]
        keys = [r[0] for r in session.query(f'SELECT "{column}" FROM "{table}" LIMIT 50')]
        return rng.choice(keys) if keys else 1
    if kind == "int":
        return rng.randint(int(lo) if lo is not None else 0, int(hi) if hi is not None else 10)
    if kind in ("decimal", "float"):
        return round(rng.uniform(float(lo) if lo is not None else 0, float(hi) if hi is not None else 100), 2)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "enum":
        return rng.choice(p["type"]["members"])
    if kind == "date":
        return f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if kind == "datetime":
        return f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} 10:00:00"
    if kind == "list":
        return []
    return rng.choice(["a", "test", "x y"])


def raw_call_latencies(port: int, name: str, calls: list[tuple[str, dict]]) -> list[float]:
    """Per-call latency of plain JSON-RPC over one keep-alive HTTP connection: the server's
    own cost, without the (much heavier) Python client SDK around it."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {
        "content-type": "application/json",
        "accept": "application/json, text/event-stream",
        "mcp-protocol-version": "2025-11-25",
    }

    def post(body: dict, extra: dict) -> http.client.HTTPResponse:
        conn.request("POST", f"/mcp/{name}/", json.dumps(body), {**headers, **extra})
        response = conn.getresponse()
        response.read()
        return response

    opened = post(
        {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "awmc-bench", "version": "1"},
            },
        },
        {},
    )
    session = {"mcp-session-id": opened.getheader("mcp-session-id")}
    post({"jsonrpc": "2.0", "method": "notifications/initialized"}, session)
    latencies = []
    for i, (tool, args) in enumerate(calls, 1):
        start = time.perf_counter()
        post({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": tool, "arguments": args}}, session)
        latencies.append(time.perf_counter() - start)
    conn.close()
    return latencies


def percentiles(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return statistics.median(ordered) * 1000, ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000


async def run_session(url: str, calls, latencies: list[float]) -> list[dict]:
    from mcp.client.client import Client

    results = []
    async with Client(url) as client:
        for tool, args in calls:
            start = time.perf_counter()
            r = await client.call_tool(tool, args)
            latencies.append(time.perf_counter() - start)
            results.append(
                json.loads(r.content[0].text) if r.is_error else {"result": (r.structured_content or {}).get("result")}
            )
    return results


def final_states_differ(env, record_dir: Path) -> int:
    """Sessions whose final database (saved by `awmc serve --record`) differs from replaying
    the same calls in a fresh in-process session."""
    import sqlite3

    differ = 0
    for folder in sorted(p for p in record_dir.glob("*/*") if p.is_dir()):
        calls = json.loads((folder / "calls.json").read_text())
        session = env.session()
        for c in calls:
            session.call(c["tool"], c["arguments"])
        served = sqlite3.connect(folder / "final.db")
        differ += list(served.iterdump()) != list(session.db.iterdump())
        served.close()
        session.close()
    return differ


def expected_results(env, calls) -> list[dict]:
    session = env.session()
    out = []
    for tool, args in calls:
        r = session.call(tool, args)
        out.append(r["error"] if not r["ok"] else {"result": r["result"]})
    session.close()
    return json.loads(json.dumps(out))


async def hold_idle(url: str, n: int) -> list:
    """Open n MCP sessions, each with one call (so each has an instance), and keep them open."""
    from contextlib import AsyncExitStack

    from mcp.client.client import Client

    stack = AsyncExitStack()
    clients = []
    for i in range(n):
        client = await stack.enter_async_context(Client(url))
        await client.list_tools()
        clients.append(client)
    return [stack, clients]


def bench_mcp(spec: Path, sessions: int = 100, calls: int = 50, idle: int = 1000) -> list[dict]:
    import shutil

    import awmlang

    env = awmlang.load(spec)
    port = free_port()
    record_dir = Path(tempfile.mkdtemp(prefix="awm-bench-record-"))
    server = start_server(spec, port, record_dir, max_sessions=idle + sessions + 10)  # room for the raw-latency session
    url = f"http://127.0.0.1:{port}/mcp/{spec.stem}"
    try:
        return [
            load_row(spec, env, url, record_dir, sessions, calls),
            raw_latency_row(spec, env, port),
            idle_rss_row(spec, url, server.pid, idle),
        ]
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(record_dir, ignore_errors=True)


def load_row(spec: Path, env, url: str, record_dir: Path, sessions: int, calls: int) -> dict:
    """Many concurrent sessions through the official client; their results and final databases
    must equal an in-process replay."""
    plans = [plan_calls(env, seed, calls) for seed in range(sessions)]
    latencies: list[float] = []

    async def load():
        return await asyncio.gather(*(run_session(url, plan, latencies) for plan in plans))

    start = time.perf_counter()
    results = asyncio.run(load())
    seconds = time.perf_counter() - start
    mismatches = sum(got != expected_results(env, plan) for got, plan in zip(results, plans))
    mismatches += final_states_differ(env, record_dir)
    internal = sum(r.get("code") == "internal_error" for rs in results for r in rs)
    p50, p99 = percentiles(latencies)
    return {
        "spec": spec.stem,
        "metric": "mcp_load_call_p50_ms",
        "ours": round(p50, 2),
        "target": "-",
        "ok": mismatches == 0 and internal == 0,
        "detail": f"official client, {counted(sessions, 'concurrent session')} x {counted(calls, 'call')} in {seconds:.1f} s; "
        f"p99 {p99:.1f} ms; {counted(mismatches, 'session')} differing from in-process replay (results or final database); "
        f"{counted(internal, 'internal error')}",
    }


def raw_latency_row(spec: Path, env, port: int) -> dict:
    """One session's calls as bare JSON-RPC over keep-alive HTTP."""
    raw50, raw99 = percentiles(raw_call_latencies(port, spec.stem, plan_calls(env, 10_000, 500)))
    return {
        "spec": spec.stem,
        "metric": "mcp_call_p50_ms",
        "ours": round(raw50, 2),
        "target": TARGET_P50_MS,
        "ok": raw50 <= TARGET_P50_MS,
        "detail": f"one session, JSON-RPC over keep-alive HTTP; p99 {raw99:.1f} ms",
    }


def idle_rss_row(spec: Path, url: str, pid: int, idle: int) -> dict:
    """The server's memory with `idle` open sessions."""

    async def idle_sessions():
        stack, _ = await hold_idle(url, idle)
        rss = rss_mb_of(pid)
        await stack.aclose()
        return rss

    rss = asyncio.run(idle_sessions())
    return {
        "spec": spec.stem,
        "metric": f"mcp_rss_{idle}_idle_sessions_mb",
        "ours": round(rss, 1),
        "target": TARGET_IDLE_RSS_MB,
        "ok": rss <= TARGET_IDLE_RSS_MB,
    }
