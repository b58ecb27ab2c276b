"""Serving environments over MCP (streamable HTTP, official `mcp` SDK 2.x, low-level server).

One endpoint per environment at `/mcp/<name>` (with or without a trailing slash). Isolation:
every MCP session gets its own awmlang Session (its own in-memory database). The SDK's clients
default to a session-less protocol era, in which requests are not tied to a connection; this
server therefore offers only the handshake-era (session-based) protocol versions. A request
announcing a newer, session-less version is refused with HTTP 400 before it reaches the SDK,
and the official client then falls back to the `initialize` handshake, which assigns an
`Mcp-Session-Id`. So two `Client(url)` connections always get two isolated instances, each
keeping its state across its calls, and ending a session (DELETE, the idle timeout, or the
server shutting down) frees its instance (and records it with `--record`).

A session's instance is made when its `initialize` request arrives, so reset and verify work
from the handshake on. Reset and verify are offered twice: as JSON-RPC methods on the MCP
connection (`awmlang/reset`, `awmlang/verify`: a client needs no header, and an agent's tool
calls can never reach them), and as `POST /mcp/<name>/reset|verify` with the `Mcp-Session-Id`
header for plain HTTP clients.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import sys
import time
from pathlib import Path
from typing import NamedTuple

import anyio
import mcp_types as types
from mcp.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.exceptions import MCPError
from mcp.shared.message import SessionMessage
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from pydantic import ConfigDict, TypeAdapter
from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from awmlang.text import wants_color

from .errors import SessionError, suggest_tool
from .session import Environment, Session

log = logging.getLogger("awmlang.serve")
PROTOCOL_HEADER = b"mcp-protocol-version"
SESSION_HEADER = b"mcp-session-id"
RESET_METHOD = "awmlang/reset"
VERIFY_METHOD = "awmlang/verify"
CONTROL_FIELDS = {"reset": (), "verify": ("task", "answer")}
DEFAULT_IDLE_TIMEOUT = 1800.0
DEFAULT_MAX_SESSIONS = 1000
DEFAULT_RECORD_LIMIT = "1GB"
MAX_CONTROL_BODY = 1 << 20
PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32602, -32603


def _key(value: str):
    """A user key from a URL: digits are an integer key (ASCII only: "²".isdigit() is true)."""
    digits = value.removeprefix("-")
    return int(value) if digits.isascii() and digits.isdigit() else value


def json_kind(value) -> str:
    """How a JSON value's type reads in a message: `an array`, `a string`, `null`..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    kinds: dict[type, str] = {dict: "an object", list: "an array", str: "a string"}
    return kinds.get(type(value), "a number")


def tool_result(result: dict) -> types.CallToolResult:
    """An awmlang call result as an MCP tool result; errors carry {code, message, details}."""
    if result["ok"]:
        payload = {"result": result["result"]}
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=json.dumps(result["result"]))],
            structured_content=payload,
            is_error=False,
        )
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=json.dumps(result["error"]))],
        structured_content={"error": result["error"]},
        is_error=True,
    )


class ControlError(Exception):
    """A reset/verify request that is refused: the HTTP status and a message naming the problem."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class ControlParams(types.RequestParams):
    """Params of the awmlang/reset and awmlang/verify methods: any fields, checked by the server."""

    model_config = ConfigDict(extra="allow")


# ---- recording ---------------------------------------------------------------------------------


class RecordLimit(NamedTuple):
    sessions: int | None = None
    bytes: int | None = None


def parse_record_limit(text: str) -> RecordLimit:
    """`500` (sessions), `200MB` or `2GB` (disk space written)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([MmGg][Bb])?\s*", text)
    if m is None or (m.group(2) is None and "." in m.group(1)):
        raise ValueError(f"{text!r} is not a record limit: give a number of sessions (500) or a size (200MB, 2GB)")
    if m.group(2) is None:
        return RecordLimit(sessions=int(m.group(1)))
    return RecordLimit(bytes=int(float(m.group(1)) * (2**20 if m.group(2).lower() == "mb" else 2**30)))


class Recorder:
    """Keeps ended sessions under DIR/<env>/<session id>/ (initial.db, final.db, calls.json),
    until the limit: then one log line, and later sessions are not recorded. Sessions that start
    from the same image share one initial.db file (hard links to DIR/.initial/), which halves the space."""

    def __init__(self, root: Path, limit: RecordLimit = RecordLimit()):
        self.root = Path(root)
        self.limit = limit
        self.sessions = 0
        self.bytes = 0
        self.full = False
        self.images: dict[tuple[str, str], Path] = {}  # (env, image digest) -> the shared initial.db

    def record(self, env_name: str, session_id: str, session: Session, calls: list[dict]) -> None:
        if self.full:
            return
        final, _ = session.snapshot()
        calls_text = json.dumps(calls, indent=2, ensure_ascii=False).encode("utf-8", "backslashreplace")
        shared = self._shared_image(env_name, session.start_image)
        size = len(final) + len(calls_text) + (0 if shared.exists() else len(session.start_image))
        if self._over_limit(size):
            self.full = True
            log.warning(
                "--record-limit reached: %d sessions (%.1f MB) recorded in %s; later sessions are not recorded",
                self.sessions,
                self.bytes / 2**20,
                self.root,
            )
            return
        target = self.root / env_name / session_id
        target.mkdir(parents=True, exist_ok=True)
        if not shared.exists():
            shared.write_bytes(session.start_image)
        try:
            os.link(shared, target / "initial.db")
        except OSError:  # a file system without hard links: a copy
            (target / "initial.db").write_bytes(session.start_image)
        (target / "final.db").write_bytes(final)
        (target / "calls.json").write_bytes(calls_text)
        self.sessions += 1
        self.bytes += size

    def _shared_image(self, env_name: str, image: bytes) -> Path:
        digest = hashlib.sha256(image).hexdigest()[:16]
        key = (env_name, digest)
        if key not in self.images:
            (self.root / ".initial").mkdir(parents=True, exist_ok=True)
            self.images[key] = self.root / ".initial" / f"{env_name}-{digest}.db"
        return self.images[key]

    def _over_limit(self, size: int) -> bool:
        sessions, max_bytes = self.limit
        return (sessions is not None and self.sessions >= sessions) or (
            max_bytes is not None and self.bytes + size > max_bytes
        )


# ---- one environment ----------------------------------------------------------------------------


class EnvironmentServer:
    """An MCP low-level server for one environment, with one awmlang Session per MCP session."""

    def __init__(
        self,
        name: str,
        env: Environment,
        user=None,
        idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
        recorder: Recorder | None = None,
    ):
        self.name = name
        self.env = env
        self.user = user
        self.idle_timeout = idle_timeout
        self.recorder = recorder
        self.sessions: dict[str, Session] = {}  # Mcp-Session-Id -> awmlang Session
        self.last_used: dict[str, float] = {}  # when its last HTTP request ended
        self.in_flight: dict[str, int] = {}  # its HTTP requests being served (an open stream is not idle)
        self.logs: dict[str, list[dict]] = {}  # Mcp-Session-Id -> its calls, when recording
        self.tasks: dict[str, str] = {}  # Mcp-Session-Id -> the task it was opened for (?task=ID)
        self.tools = [
            types.Tool(name=t["name"], description=t["description"], input_schema=t["inputSchema"])
            for t in env.mcp_tools
        ]
        self.server = Server(
            name,
            version="awmlang",
            instructions=env.manifest.get("description") or None,
            on_list_tools=self.list_tools,
            on_call_tool=self.call_tool,
        )
        self.server.add_request_handler(RESET_METHOD, ControlParams, self.on_reset)
        self.server.add_request_handler(VERIFY_METHOD, ControlParams, self.on_verify)
        # no per-message OpenTelemetry spans (they cost on every call); tools/call params checked first
        self.server.middleware = [check_tool_call_params]

    # ---- instances ------------------------------------------------------------------------------
    def new_instance(self, query) -> tuple[Session, str | None]:
        """A fresh instance for a session opened with these URL parameters (?user=N, ?task=ID);
        SessionError for an unknown user or task. Every task starts from the seeded state."""
        task = query.get("task")
        if task is not None and task not in self.env.tasks:
            raise self.env.unknown_task(task)
        user = query.get("user")
        return self.env.session(user=_key(user) if user else self.user), task

    def adopt(self, session_id: str, session: Session, task: str | None) -> None:
        self.sessions[session_id] = session
        self.last_used[session_id] = time.monotonic()
        self.logs[session_id] = []
        if task is not None:
            self.tasks[session_id] = task

    def session_for(self, ctx) -> Session:
        """The instance of the request's session (stdio: one connection, one instance). Over HTTP
        it exists from initialize on; it is made here only for stdio or a session it missed."""
        session_id = _session_id(ctx)
        session = self.sessions.get(session_id)
        if session is None:
            query = ctx.request.query_params if ctx.request is not None else {}
            self.adopt(session_id, *self.new_instance(query))
            session = self.sessions[session_id]
        return session

    @contextlib.contextmanager
    def serving(self, session_id: str | None):
        """Around each HTTP request of a session: it is not idle while a request is in flight."""
        if session_id not in self.sessions:
            yield
            return
        self.in_flight[session_id] = self.in_flight.get(session_id, 0) + 1
        try:
            yield
        finally:
            if session_id in self.in_flight:  # not when the session ended meanwhile (DELETE)
                self.in_flight[session_id] -= 1
                self.last_used[session_id] = time.monotonic()

    def forget(self, session_id: str) -> None:
        """Free (and record) the instance of an ended MCP session."""
        session = self.sessions.pop(session_id, None)
        self.last_used.pop(session_id, None)
        self.in_flight.pop(session_id, None)
        calls = self.logs.pop(session_id, [])
        self.tasks.pop(session_id, None)
        if session is not None:
            if self.recorder is not None:
                try:
                    self.recorder.record(self.name, session_id, session, calls)
                except OSError as exc:
                    log.error("could not record session %s of %s: %s", session_id, self.name, exc)
            session.close()

    def forget_idle(self) -> None:
        """Free instances whose MCP session has been idle longer than the SDK keeps sessions."""
        if self.idle_timeout is None:
            return
        cutoff = time.monotonic() - self.idle_timeout
        for session_id in [sid for sid, t in self.last_used.items() if t < cutoff and not self.in_flight.get(sid)]:
            self.forget(session_id)

    def close_all(self) -> None:
        """At shutdown: every session still open ends (and is recorded)."""
        for session_id in list(self.sessions):
            self.forget(session_id)

    @property
    def live_sessions(self) -> int:
        return len(self.sessions)

    # ---- tool calls -----------------------------------------------------------------------------
    def call(self, ctx, tool: str, arguments: dict) -> dict:
        session = self.session_for(ctx)
        result = session.call(tool, arguments)
        if self.recorder is not None:
            self.logs.setdefault(_session_id(ctx), []).append({"tool": tool, "arguments": arguments, "result": result})
        return result

    async def list_tools(self, ctx, params) -> types.ListToolsResult:
        return types.ListToolsResult(tools=self.tools)

    async def call_tool(self, ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
        return tool_result(self.call(ctx, params.name, params.arguments or {}))

    # ---- reset and verify -----------------------------------------------------------------------
    def instance(self, session_id: str | None) -> Session:
        if not session_id:
            raise ControlError(
                400,
                "send the session's Mcp-Session-Id header (docs/serving.md shows how), "
                f"or call the {RESET_METHOD} / {VERIFY_METHOD} methods on the MCP connection",
            )
        session = self.sessions.get(session_id)
        if session is None:
            raise ControlError(
                404, f"no session {session_id!r} on /mcp/{self.name}: it has ended, expired or never existed"
            )
        return session

    def control(self, action: str, session_id: str, session: Session, fields: dict) -> dict:
        """Run reset or verify on a session's instance; ControlError names what is wrong."""
        allowed = CONTROL_FIELDS[action]
        for field in fields:
            if field not in allowed:
                close = suggest_tool(field, allowed).get("did_you_mean")
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                takes = f"it takes {', '.join(f'`{f}`' for f in allowed)}" if allowed else "it takes no fields"
                raise ControlError(400, f"unknown field `{field}` for {action}{hint}; {takes}")
        if action == "reset":
            session.reset()
            self.logs[session_id] = []  # the recorded calls replay from the starting state
            return {"reset": True}
        return self.verify(session_id, session, fields.get("task"), fields.get("answer"))

    def verify(self, session_id: str, session: Session, task, answer) -> dict:
        if task is None:
            task = self.tasks.get(session_id)
            if task is None:
                tasks = ", ".join(sorted(self.env.tasks)) or "none"
                raise ControlError(
                    400,
                    'name the task: send {"task": ID, "answer": TEXT} (this session was '
                    f"not opened for a task with ?task=ID); tasks: {tasks}",
                )
        if not isinstance(task, str):
            raise ControlError(400, f"`task` must be a string (a task's name), not {json_kind(task)}")
        if task not in self.env.tasks:
            raise ControlError(400, str(self.env.unknown_task(task)))
        if answer is not None and not isinstance(answer, str):
            raise ControlError(
                400, f"`answer` must be a string (the agent's final answer) or null, not {json_kind(answer)}"
            )
        try:
            return session.verify(task, answer=answer)
        except Exception as exc:  # a broken verifier is reported, never raised
            log.error("internal error in the verifier of task %s: %r", task, exc)
            raise ControlError(500, f"internal error in the verifier of task {task}: {type(exc).__name__}") from exc

    async def on_reset(self, ctx, params: ControlParams) -> dict:
        return self._control_method("reset", ctx, params)

    async def on_verify(self, ctx, params: ControlParams) -> dict:
        return self._control_method("verify", ctx, params)

    def _control_method(self, action: str, ctx, params: ControlParams) -> dict:
        try:
            return self.control(action, _session_id(ctx), self.session_for(ctx), params.model_extra or {})
        except ControlError as exc:
            raise MCPError(INVALID_PARAMS if exc.status < 500 else INTERNAL_ERROR, exc.message) from None


def _session_id(ctx) -> str:
    return ctx.request.headers.get("mcp-session-id", "") if ctx.request is not None else "stdio"


async def check_tool_call_params(ctx, call_next):
    """Server middleware: a tools/call whose params have the wrong shape is refused with a message
    naming the problem (the SDK's own answer is a bare "Invalid request parameters")."""
    if ctx.method == "tools/call":
        params = ctx.params
        if not isinstance(params, dict) or "name" not in params:
            raise MCPError(INVALID_PARAMS, 'tools/call needs params {"name": TOOL, "arguments": {...}}')
        if not isinstance(params["name"], str):
            raise MCPError(
                INVALID_PARAMS,
                f"tools/call: `name` must be a string (the tool's name), not {json_kind(params['name'])}",
            )
        arguments = params.get("arguments")
        if arguments is not None and not isinstance(arguments, dict):
            raise MCPError(INVALID_PARAMS, f"tools/call: `arguments` must be a JSON object, not {json_kind(arguments)}")
    return await call_next(ctx)


# ---- HTTP ------------------------------------------------------------------------------------------


def json_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def jsonrpc_error_response(status: int, code: int, message: str, request_id=None) -> JSONResponse:
    return JSONResponse(
        {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}, status_code=status
    )


async def request_id(receive):
    """The `id` of the JSON-RPC request in the body, if it has one."""
    try:
        body = json.loads(await read_body(receive))
    except (ValueError, ControlError):
        return None
    return body.get("id") if isinstance(body, dict) else None


class Endpoint:
    """The ASGI app in front of the SDK for one environment, at /mcp/<name> and below it:
    refuses session-less protocol versions (see the module docstring) and bodies that are not a
    JSON-RPC object, serves /reset and /verify, opens an instance with each new session (within
    the session cap) and frees it when the client ends the session (DELETE)."""

    def __init__(self, app, server: EnvironmentServer, capacity: Capacity):
        self.app = app
        self.server = server
        self.capacity = capacity
        self.prefix = f"/mcp/{server.name}"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        below = scope["path"][len(self.prefix) :].strip("/")
        if below in CONTROL_FIELDS:
            await self.control(below, scope, receive, send)
            return
        if below:
            await json_error(
                404,
                f"no such path: the MCP endpoint is {self.prefix}, with {self.prefix}/reset and {self.prefix}/verify",
            )(scope, receive, send)
            return
        headers = dict(scope["headers"])
        version = headers.get(PROTOCOL_HEADER, b"").decode("latin-1") or None
        if version is not None and version not in HANDSHAKE_PROTOCOL_VERSIONS:
            await json_error(
                400,
                f"protocol version {version} is not offered; this server keeps state per "
                "session: use the initialize handshake",
            )(scope, receive, send)
            return
        if scope["method"] == "POST":
            receive = await self.refuse_non_object_body(scope, receive, send)
            if receive is None:
                return
        session_id = headers.get(SESSION_HEADER, b"").decode("latin-1") or None
        if session_id is None and scope["method"] == "POST":
            await self.open_session(scope, receive, send)
            return
        if scope["method"] == "DELETE" and session_id is not None:
            # before the SDK answers, so the instance is gone when the client sees the reply
            self.server.forget(session_id)
        with self.server.serving(session_id):
            await self.app(scope, receive, send)

    async def refuse_non_object_body(self, scope, receive, send):
        """Peek at the body's first byte: a JSON-RPC message is an object. Answers an array or a
        scalar itself (and returns None); otherwise returns a `receive` that replays the body."""
        seen, first = [], b""
        while True:
            message = await receive()
            seen.append(message)
            if message["type"] != "http.request":
                break
            first = message.get("body", b"").lstrip()[:1]
            if first or not message.get("more_body"):
                break
        problem = None
        if first == b"[":
            problem = "batches are not supported: send one JSON-RPC request object per POST"
        elif first and first in b'"-0123456789tfn':
            problem = 'the body must be a JSON-RPC request object, like {"jsonrpc": "2.0", "id": 1, "method": ...}'
        if problem is not None:
            await jsonrpc_error_response(400, INVALID_REQUEST, f"Invalid Request: {problem}")(scope, receive, send)
            return None

        async def replay():
            return seen.pop(0) if seen else await receive()

        return replay

    async def open_session(self, scope, receive, send) -> None:
        """A POST without a session: if the SDK opens a session with it (initialize), that session
        gets the instance made here, bound before the client can see the session's id."""
        if not self.capacity.has_room():
            await json_error(
                503,
                f"the server holds its maximum of {self.capacity.max_sessions} sessions "
                "(awmc serve --max-sessions): end a session (HTTP DELETE) or retry later",
            )(scope, receive, send)
            return
        try:
            session, task = self.server.new_instance(QueryParams(scope["query_string"]))
        except SessionError as exc:  # an MCP client shows a JSON-RPC error's message
            await jsonrpc_error_response(400, INVALID_PARAMS, str(exc), await request_id(receive))(scope, receive, send)
            return
        adopted = False

        async def bind_and_send(message):
            nonlocal adopted
            if message["type"] == "http.response.start" and not adopted:
                opened = dict(message.get("headers", [])).get(SESSION_HEADER)
                if opened and message["status"] < 300:
                    self.server.adopt(opened.decode("latin-1"), session, task)
                    adopted = True
            await send(message)

        try:
            await self.app(scope, receive, bind_and_send)
        finally:
            if not adopted:
                session.close()

    async def control(self, action: str, scope, receive, send) -> None:
        """POST .../reset (back to the starting state) and .../verify ({"task", "answer"} -> the
        verifier's report) for the session named by the Mcp-Session-Id header."""
        try:
            if scope["method"] != "POST":
                raise ControlError(405, f"use POST {self.prefix}/{action}")
            session_id = dict(scope["headers"]).get(SESSION_HEADER, b"").decode("latin-1")
            session = self.server.instance(session_id)
            fields = parse_control_body(action, await read_body(receive))
            with self.server.serving(session_id):
                response = JSONResponse(self.server.control(action, session_id, session, fields))
        except ControlError as exc:
            response = json_error(exc.status, exc.message)
        await response(scope, receive, send)


async def read_body(receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return body
        body += message.get("body", b"")
        if len(body) > MAX_CONTROL_BODY:
            raise ControlError(413, f"the body is larger than {MAX_CONTROL_BODY} bytes")
        if not message.get("more_body"):
            return body


def parse_control_body(action: str, body: bytes) -> dict:
    """The JSON object of a reset/verify request (reset may have no body at all)."""
    example = '{"task": ID, "answer": TEXT}' if action == "verify" else "{} or no body"
    if not body.strip():
        if action == "reset":
            return {}
        raise ControlError(400, f"the body is empty: send a JSON object, {example}")
    try:
        fields = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        where = f": {exc.msg} at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise ControlError(400, f"the body is not valid JSON{where}; send a JSON object, {example}") from None
    if not isinstance(fields, dict):
        raise ControlError(400, f"the body must be a JSON object, {example}, not {json_kind(fields)}")
    return fields


class Capacity:
    """The cap on live sessions across every environment served (--max-sessions)."""

    def __init__(self, servers: list[EnvironmentServer], max_sessions: int | None):
        self.servers = servers
        self.max_sessions = max_sessions
        self.warned = False

    def has_room(self) -> bool:
        if self.max_sessions is None:
            return True
        for server in self.servers:  # idle-expired sessions make room first
            server.forget_idle()
        room = sum(s.live_sessions for s in self.servers) < self.max_sessions
        if not room and not self.warned:
            log.warning("refusing new sessions: %d are open (--max-sessions)", self.max_sessions)
        self.warned = not room
        return room


def build_app(
    envs: dict[str, Environment],
    user=None,
    session_idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
    record_dir: Path | None = None,
    max_sessions: int | None = DEFAULT_MAX_SESSIONS,
    record_limit: RecordLimit = RecordLimit(),
) -> tuple[Starlette, dict]:
    """A Starlette app serving each environment at /mcp/<name>, and the EnvironmentServers."""
    recorder = Recorder(record_dir, record_limit) if record_dir is not None else None
    servers = {name: EnvironmentServer(name, env, user, session_idle_timeout, recorder) for name, env in envs.items()}
    capacity = Capacity(list(servers.values()), max_sessions)
    # the SDK's own cap stays as a backstop; ours answers first, with a message
    managers = {
        name: StreamableHTTPSessionManager(
            s.server, json_response=True, session_idle_timeout=session_idle_timeout, max_sessions=max_sessions
        )
        for name, s in servers.items()
    }

    @contextlib.asynccontextmanager
    async def lifespan(app):
        try:
            async with contextlib.AsyncExitStack() as stack:
                for manager in managers.values():
                    await stack.enter_async_context(manager.run())
                yield
        finally:
            for server in servers.values():
                server.close_all()

    routes = []
    for name, manager in managers.items():
        endpoint = Endpoint(manager.handle_request, servers[name], capacity)
        routes += [Route(f"/mcp/{name}", endpoint), Mount(f"/mcp/{name}", app=endpoint)]  # no 307 to the slash
    return Starlette(routes=routes, lifespan=lifespan), servers


# ---- stdio -------------------------------------------------------------------------------------------


def malformed_line_reply(exc: Exception) -> types.JSONRPCError:
    """The JSON-RPC 2.0 reply to a line that is not a message: a parse error (-32700) for text that
    is not JSON, an invalid request (-32600, with the request's id when it has one) otherwise."""
    errors = exc.errors() if hasattr(exc, "errors") else []
    if not errors or errors[0]["type"] == "json_invalid":
        detail = errors[0]["msg"] if errors else str(exc)
        return jsonrpc_error_message(None, PARSE_ERROR, f"Parse error: {detail}")
    message = next((e["input"] for e in errors if isinstance(e["input"], dict)), None)
    if message is None:
        problem = f"a JSON-RPC message is an object, not {json_kind(errors[0]['input'])}"
    else:
        request = [e for e in errors if e["loc"][:1] == ("JSONRPCRequest",)] or errors
        problem = "; ".join(f"`{'.'.join(map(str, e['loc'][1:])) or 'message'}`: {e['msg']}" for e in request[:3])
    request_id = message.get("id") if isinstance(message, dict) else None
    if isinstance(request_id, bool) or not isinstance(request_id, (int, str)):
        request_id = None
    return jsonrpc_error_message(request_id, INVALID_REQUEST, f"Invalid Request: {problem}")


def jsonrpc_error_message(request_id, code: int, message: str) -> types.JSONRPCError:
    return types.JSONRPCError(jsonrpc="2.0", id=request_id, error=types.ErrorData(code=code, message=message))


async def serve_stdio(
    name: str, env: Environment, user=None, record_dir: Path | None = None, record_limit: RecordLimit = RecordLimit()
) -> None:
    """Serve one environment over stdio (one client, one instance). A line that is not a JSON-RPC
    message gets a JSON-RPC error reply; the session is recorded when stdin closes."""
    from mcp.server.stdio import stdio_server

    recorder = Recorder(record_dir, record_limit) if record_dir is not None else None
    server = EnvironmentServer(name, env, user, idle_timeout=None, recorder=recorder)
    try:
        async with stdio_server() as (read, write):
            send_message, messages = anyio.create_memory_object_stream[SessionMessage](0)

            async def answer_malformed_lines():
                async with send_message:
                    async for item in read:
                        if isinstance(item, Exception):
                            await write.send(SessionMessage(malformed_line_reply(item)))
                        else:
                            await send_message.send(item)

            async with anyio.create_task_group() as tg:
                tg.start_soon(answer_malformed_lines)
                await server.server.run(messages, write, server.server.create_initialization_options())
    finally:
        server.close_all()


def serve_http(
    envs: dict[str, Environment],
    host: str,
    port: int,
    user=None,
    record_dir: Path | None = None,
    max_sessions: int | None = DEFAULT_MAX_SESSIONS,
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
    record_limit: RecordLimit = RecordLimit(),
) -> None:
    import uvicorn

    app, _ = build_app(
        envs,
        user=user,
        session_idle_timeout=idle_timeout,
        record_dir=record_dir,
        max_sessions=max_sessions,
        record_limit=record_limit,
    )
    for name in envs:
        log.warning("serving %s at http://%s:%d/mcp/%s", name, host, port, name)
    uvicorn.run(app, host=host, port=port, log_level="warning", use_colors=wants_color(sys.stderr))


# ---- client side --------------------------------------------------------------------------------------


async def reset_session(client) -> dict:
    """Put the session of an official `mcp` Client back to its starting state (awmlang/reset)."""
    return await _control_request(client, RESET_METHOD, {})


async def verify_session(client, task: str | None = None, answer: str | None = None) -> dict:
    """The verifier's report on the current state of an official `mcp` Client's session
    (awmlang/verify); `task` may be left out when the session was opened with ?task=ID."""
    fields = {"answer": answer} if task is None else {"task": task, "answer": answer}
    return await _control_request(client, VERIFY_METHOD, fields)


async def _control_request(client, method: str, fields: dict) -> dict:
    request = types.Request[ControlParams, str](method=method, params=ControlParams(**fields))
    return await client.session.send_request(request, TypeAdapter(dict))
