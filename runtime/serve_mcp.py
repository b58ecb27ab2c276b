"""Serving environments over MCP (streamable HTTP, official `mcp` SDK 2.x, low-level server).

One endpoint per environment at `/mcp/<name>`. Isolation: every MCP session gets its own
awmlang Session (its own in-memory database). The SDK's clients default to a session-less
protocol era, in which requests are not tied to a connection; this server therefore offers
only the handshake-era (session-based) protocol versions. A request announcing a newer,
session-less version is refused with HTTP 400 before it reaches the SDK, and the official
client then falls back to the `initialize` handshake, which assigns an `Mcp-Session-Id`.
So two `Client(url)` connections always get two isolated instances, each keeping its state
across its calls, and ending a session (DELETE, or the idle timeout) frees its instance.
"""
from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import mcp_types as types
from mcp.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse
from starlette.routing import Mount

from awmlang.text import wants_color

from .errors import SessionError
from .session import Environment

log = logging.getLogger("awmlang.serve")
PROTOCOL_HEADER = b"mcp-protocol-version"
SESSION_HEADER = b"mcp-session-id"
MAX_ACCEPTED = 1024


def _key(value: str):
    return int(value) if value.lstrip("-").isdigit() else value


def tool_result(result: dict) -> types.CallToolResult:
    """An awmlang call result as an MCP tool result; errors carry {code, message, details}."""
    if result["ok"]:
        payload = {"result": result["result"]}
        return types.CallToolResult(content=[types.TextContent(type="text", text=json.dumps(result["result"]))],
                                    structured_content=payload, is_error=False)
    return types.CallToolResult(content=[types.TextContent(type="text", text=json.dumps(result["error"]))],
                                structured_content={"error": result["error"]}, is_error=True)


class EnvironmentServer:
    """An MCP low-level server for one environment, with one awmlang Session per MCP session."""

    def __init__(self, name: str, env: Environment, user=1, idle_timeout: float | None = 1800,
                 record_dir: Path | None = None):
        self.name = name
        self.env = env
        self.user = user
        self.idle_timeout = idle_timeout
        self.record_dir = record_dir
        self.sessions: dict[str, Any] = {}        # Mcp-Session-Id -> awmlang Session
        self.last_used: dict[str, float] = {}
        self.logs: dict[str, list[dict]] = {}     # Mcp-Session-Id -> its calls, when recording
        self.tasks: dict[str, str] = {}           # Mcp-Session-Id -> the task it was opened for (?task=ID)
        self.accepted: set[tuple] = set()         # (?user, ?task) pairs known to open a session
        self.tools = [types.Tool(name=t["name"], description=t["description"], input_schema=t["inputSchema"])
                      for t in env.mcp_tools]
        self.server = Server(name, version="awmlang", instructions=env.manifest.get("description") or None,
                             on_list_tools=self.list_tools, on_call_tool=self.call_tool)
        self.server.middleware = []     # no per-message OpenTelemetry spans: they cost on every call

    def session_for(self, ctx) -> Any:
        # streamable HTTP: one instance per Mcp-Session-Id; stdio: one connection, one instance
        request = ctx.request
        session_id = request.headers.get("mcp-session-id", "") if request is not None else "stdio"
        self.last_used[session_id] = time.monotonic()
        session = self.sessions.get(session_id)
        if session is None:
            self.forget_idle()
            query = request.query_params if request is not None else {}
            user = query.get("user")
            session = self.sessions[session_id] = self.env.session(user=_key(user) if user else self.user)
            self.logs[session_id] = []
            if query.get("task") in self.env.tasks:     # every task starts from the seeded state
                self.tasks[session_id] = query["task"]
        return session

    def refusal(self, query) -> str | None:
        """Why a session cannot be opened as `?user=`/`?task=` ask (an unknown user or task),
        or None. Accepted pairs are remembered, so a client repeating them pays nothing."""
        wanted = (query.get("user"), query.get("task"))
        if wanted in self.accepted:
            return None
        try:
            if wanted[1] is not None and wanted[1] not in self.env.tasks:
                raise self.env.unknown_task(wanted[1])
            self.env.session(user=_key(wanted[0]) if wanted[0] else self.user).close()
        except SessionError as exc:
            return str(exc)
        if len(self.accepted) < MAX_ACCEPTED:       # bounded: "1", "01", "001" ... are all user 1
            self.accepted.add(wanted)
        return None

    def call(self, ctx, tool: str, arguments: dict) -> dict:
        session = self.session_for(ctx)
        result = session.call(tool, arguments)
        if self.record_dir is not None:
            session_id = ctx.request.headers.get("mcp-session-id", "") if ctx.request is not None else "stdio"
            self.logs.setdefault(session_id, []).append({"tool": tool, "arguments": arguments, "result": result})
        return result

    def reset(self, session_id: str) -> bool:
        session = self.sessions.get(session_id)
        if session is None:
            return False
        session.reset()
        self.logs[session_id] = []
        return True

    def verify(self, session_id: str, task: str | None, answer: str | None) -> dict | None:
        session = self.sessions.get(session_id)
        return None if session is None else session.verify(task or self.tasks[session_id], answer=answer)

    def record(self, session_id: str, session) -> None:
        """Keep an ended session's starting and final databases and its calls, to verify later."""
        target = self.record_dir / self.name / session_id
        target.mkdir(parents=True, exist_ok=True)
        (target / "initial.db").write_bytes(session.start_image)
        session.save(target / "final.db")
        (target / "calls.json").write_text(json.dumps(self.logs.get(session_id, []), indent=2, ensure_ascii=False))

    def forget(self, session_id: str) -> None:
        """Free the instance of an ended MCP session."""
        session = self.sessions.pop(session_id, None)
        self.last_used.pop(session_id, None)
        if session is not None:
            if self.record_dir is not None:
                self.record(session_id, session)
            session.close()
        self.logs.pop(session_id, None)
        self.tasks.pop(session_id, None)

    def forget_idle(self) -> None:
        """Free instances whose MCP session has been idle longer than the SDK keeps sessions."""
        if self.idle_timeout is None:
            return
        cutoff = time.monotonic() - self.idle_timeout
        for session_id in [sid for sid, t in self.last_used.items() if t < cutoff]:
            self.forget(session_id)

    async def list_tools(self, ctx, params) -> types.ListToolsResult:
        self.session_for(ctx)           # a session's instance exists from its first request
        return types.ListToolsResult(tools=self.tools)

    async def call_tool(self, ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
        arguments = params.arguments if isinstance(params.arguments, dict) else {}
        return tool_result(self.call(ctx, params.name, arguments))

    @property
    def live_sessions(self) -> int:
        return len(self.sessions)


class HandshakeOnly:
    """ASGI wrapper: refuses session-less protocol versions (see the module docstring) and
    frees a session's instance when the client ends the session (DELETE)."""

    def __init__(self, app, server: EnvironmentServer):
        self.app = app
        self.server = server

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            version = headers.get(PROTOCOL_HEADER, b"").decode("latin-1") or None
            if version is not None and version not in HANDSHAKE_PROTOCOL_VERSIONS:
                response = JSONResponse({"error": f"protocol version {version} is not offered; this server keeps "
                                                  "state per session: use the initialize handshake"}, status_code=400)
                await response(scope, receive, send)
                return
            refusal = self.server.refusal(QueryParams(scope["query_string"])) if scope["method"] == "POST" else None
            if refusal is not None:
                await self.refuse(scope, receive, send, refusal)
                return
            if scope["path"].rstrip("/").endswith(("/reset", "/verify")) and scope["method"] == "POST":
                await self.control(scope, receive, send, headers)
                return
            if scope["method"] == "DELETE" and SESSION_HEADER in headers:
                # before the SDK answers, so the instance is gone when the client sees the reply
                self.server.forget(headers[SESSION_HEADER].decode("latin-1"))
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def refuse(self, scope, receive, send, message: str) -> None:
        """HTTP 400 with a JSON-RPC error naming the problem, so an MCP client can show it."""
        from starlette.requests import Request
        try:
            body = await Request(scope, receive).json()
        except ValueError:
            body = None
        request_id = body.get("id") if isinstance(body, dict) else None
        error = {"code": types.INVALID_PARAMS, "message": message}
        await JSONResponse({"jsonrpc": "2.0", "id": request_id, "error": error}, status_code=400)(scope, receive, send)

    async def control(self, scope, receive, send, headers) -> None:
        """POST .../reset (back to the starting state) and .../verify ({"task", "answer"} -> the
        verifier's report) for the session named by the Mcp-Session-Id header."""
        from starlette.requests import Request
        session_id = headers.get(SESSION_HEADER, b"").decode("latin-1")
        if scope["path"].rstrip("/").endswith("/reset"):
            ok = self.server.reset(session_id)
            response = JSONResponse({"reset": ok}, status_code=200 if ok else 404)
        else:
            try:
                body = await Request(scope, receive).json()
                task, answer = body.get("task"), body.get("answer")
                report = self.server.verify(session_id, task, answer)
                response = JSONResponse(report, status_code=200) if report is not None else \
                    JSONResponse({"error": "no such session"}, status_code=404)
            except (ValueError, KeyError, TypeError) as exc:
                response = JSONResponse({"error": f"send {{\"task\": ..., \"answer\": ...}}: {exc}"}, status_code=400)
        await response(scope, receive, send)


def build_app(envs: dict[str, Environment], user=1, session_idle_timeout: float | None = 1800,
              record_dir: Path | None = None) -> tuple[Starlette, dict]:
    """A Starlette app serving each environment at /mcp/<name>, and the EnvironmentServers."""
    servers = {name: EnvironmentServer(name, env, user, session_idle_timeout, record_dir) for name, env in envs.items()}
    managers = {name: StreamableHTTPSessionManager(s.server, json_response=True, session_idle_timeout=session_idle_timeout)
                for name, s in servers.items()}

    @contextlib.asynccontextmanager
    async def lifespan(app):
        async with contextlib.AsyncExitStack() as stack:
            for manager in managers.values():
                await stack.enter_async_context(manager.run())
            yield

    routes = [Mount(f"/mcp/{name}", app=HandshakeOnly(manager.handle_request, servers[name])) for name, manager in managers.items()]
    return Starlette(routes=routes, lifespan=lifespan), servers


async def serve_stdio(name: str, env: Environment, user=1) -> None:
    """Serve one environment over stdio (one client, one instance)."""
    from mcp.server.stdio import stdio_server
    server = EnvironmentServer(name, env, user, idle_timeout=None)
    async with stdio_server() as (read, write):
        await server.server.run(read, write, server.server.create_initialization_options())


def serve_http(envs: dict[str, Environment], host: str, port: int, user=1, record_dir: Path | None = None) -> None:
    import uvicorn
    app, _ = build_app(envs, user=user, record_dir=record_dir)
    for name in envs:
        log.warning("serving %s at http://%s:%d/mcp/%s", name, host, port, name)
    uvicorn.run(app, host=host, port=port, log_level="warning", use_colors=wants_color(sys.stderr))
