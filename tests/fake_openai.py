"""A local OpenAI-compatible server for tests: POST /v1/chat/completions answered from a script.

    with FakeOpenAI([tool_reply(("buy", {"product": 2, "quantity": 2})), text_reply("Done.")]) as server:
        client = openai.OpenAI(api_key="test", base_url=server.base_url, max_retries=0)
        ...
        server.requests        # the JSON bodies received, in order
        server.headers         # their headers

A script is a list of responses served in order, or a function from the request body to a
response (`per_prompt` builds one that follows each conversation on its own, for concurrent
episodes). A response is a chat.completion dict (served with status 200) or a (status, body)
pair, such as `server_error()`.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EXHAUSTED = (400, {"error": {"message": "the fake server's script is exhausted", "type": "invalid_request_error"}})


def text_reply(content: str | None) -> dict:
    """A chat completion whose message has no tool call."""
    return completion({"role": "assistant", "content": content}, "stop")


def tool_reply(*calls: tuple[str, dict | str], content: str | None = None) -> dict:
    """A chat completion calling tools: each call is (name, arguments), the arguments a dict
    (sent as JSON) or the raw string the model wrote."""
    tool_calls = [
        {
            "id": f"call_{next_id()}",
            "type": "function",
            "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)},
        }
        for name, args in calls
    ]
    return completion({"role": "assistant", "content": content, "tool_calls": tool_calls}, "tool_calls")


def completion(message: dict, finish_reason: str) -> dict:
    return {
        "id": f"chatcmpl-{next_id()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "fake-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def server_error(status: int = 500) -> tuple[int, dict]:
    return status, {"error": {"message": "the server had an error", "type": "server_error"}}


_ids = iter(range(1, 1 << 62))
_ids_lock = threading.Lock()


def next_id() -> int:
    with _ids_lock:
        return next(_ids)


def in_order(responses: list):
    """A script serving `responses` one per request, then an error."""
    queue = list(responses)
    lock = threading.Lock()

    def respond(_request: dict):
        with lock:
            return queue.pop(0) if queue else EXHAUSTED

    return respond


def per_prompt(scripts: dict[str, list]):
    """A script for concurrent conversations: the responses for the conversation whose user
    message is the key, chosen by how many assistant turns the request already holds."""

    def respond(request: dict):
        messages = request["messages"]
        prompt = next(m["content"] for m in messages if m["role"] == "user")
        turn = sum(m["role"] == "assistant" for m in messages)
        script = scripts.get(prompt, [])
        return script[turn] if turn < len(script) else EXHAUSTED

    return respond


class FakeOpenAI:
    """The server, on 127.0.0.1 and a free port, in a background thread while in a `with`."""

    def __init__(self, script, delay: float = 0.0):
        self.respond = script if callable(script) else in_order(script)
        self.delay = delay
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.fake = self
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def handle(self, body: dict, headers: dict) -> tuple[int, dict]:
        with self.lock:
            self.requests.append(body)
            self.headers.append(headers)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.delay)
            response = self.respond(body)
        finally:
            with self.lock:
                self.in_flight -= 1
        return response if isinstance(response, tuple) else (200, response)


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # the name http.server calls
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self.reply(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.reply(*self.server.fake.handle(body, {k.lower(): v for k, v in self.headers.items()}))

    def reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass
