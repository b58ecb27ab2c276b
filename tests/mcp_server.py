"""A test fixture: the awmlang MCP app served by uvicorn on 127.0.0.1 (a free port) in a thread."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import uvicorn
from awmlang.runtime.serve_mcp import build_app


@contextmanager
def running_server(envs: dict, **options):
    """Yield (base_url, servers); the server stops when the block ends."""
    app, servers = build_app(envs, **options)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the MCP test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", servers
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
