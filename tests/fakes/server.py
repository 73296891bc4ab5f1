"""A local HTTP server that plays scripted model API responses and faults, for tests with the real SDK clients.

One server speaks both dialects: OpenAI-compatible chat completions (`POST /v1/chat/completions`, base URL
`server.openai_url`) and Anthropic messages (`POST /v1/messages`, base URL `server.anthropic_url`). Every request
is recorded (path, headers, JSON body, arrival time). Each request to a model endpoint takes the next action
from the script (or from `responder`, a function of the request): a reply (JSON, or SSE when the request asked
to stream), an HTTP error with headers, a delay, keep-alive lines, or a connection reset.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import sse


@dataclass
class Reply:
    """A 200 with `body` (an OpenAI chat completion or an Anthropic message), streamed when the request asks.

    `delay`: seconds before the status line. `keepalive`: blank lines (non-streaming, DeepSeek's style) or
    `: keep-alive` comments (streaming) sent every `keepalive_interval` seconds before the body.
    """

    body: dict[str, Any]
    delay: float = 0.0
    keepalive: int = 0
    keepalive_interval: float = 0.5


@dataclass
class Error:
    """An HTTP error status with a JSON body in the API's error shape and optional headers (e.g. Retry-After)."""

    status: int
    message: str = "fake error"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Reset:
    """Read the request, then reset the TCP connection (RST) without answering."""


@dataclass
class Hang:
    """Answer 200 and then send only keep-alive lines for `seconds` (or nothing when `keepalive` is False)."""

    seconds: float
    keepalive: bool = True
    interval: float = 0.2


Action = Reply | Error | Reset | Hang


@dataclass
class Request:
    """One recorded request."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    time: float

    @property
    def dialect(self) -> str:
        path = self.path.rstrip("/")
        return "anthropic" if path.endswith("/messages") else "responses" if path.endswith("/responses") else "openai"

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))


class FakeModelServer:
    """Start with `with FakeModelServer() as server:`; script with `server.play(actions)`."""

    def __init__(self, actions: Iterable[Action] = (), responder: Callable[[Request], Action] | None = None):
        self.actions: deque[Action] = deque(actions)
        self.responder = responder
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def anthropic_url(self) -> str:
        return self.url

    def play(self, *actions: Action) -> None:
        with self._lock:
            self.actions.extend(actions)

    def model_requests(self) -> list[Request]:
        """The generation requests (not token counting), in arrival order."""
        return [r for r in self.requests if r.method == "POST" and not r.path.endswith("/count_tokens")]

    def next_action(self, request: Request) -> Action:
        with self._lock:
            self.requests.append(request)
            if self.responder is not None:
                return self.responder(request)
            if self.actions:
                return self.actions.popleft()
        return Error(500, "fake server: script exhausted (the test expected fewer requests)")

    def __enter__(self) -> FakeModelServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _handler(server: FakeModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def do_GET(self) -> None:  # model listings some clients probe
            self._json(200, {"object": "list", "data": []})

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = Request(
                "POST",
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                json.loads(raw or b"{}"),
                time.monotonic(),
            )
            if self.path.rstrip("/").endswith("/count_tokens"):  # Anthropic's token counter: not scripted
                server.requests.append(request)
                self._json(200, {"input_tokens": max(1, len(json.dumps(request.body["messages"])) // 4)})
                return
            action = server.next_action(request)
            try:
                self._act(request, action)
            except (BrokenPipeError, ConnectionResetError, OSError):
                self.close_connection = True  # the client gave up (attempt timeout): expected in fault tests

        def _act(self, request: Request, action: Action) -> None:
            if isinstance(action, Reset):
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
                return
            if isinstance(action, Error):
                time.sleep(action.delay)
                self._json(
                    action.status, sse.error_body(request.dialect, action.status, action.message), action.headers
                )
                return
            if isinstance(action, Hang):
                self._start_chunked("text/event-stream" if request.stream else "application/json")
                deadline = time.monotonic() + action.seconds
                while time.monotonic() < deadline:
                    if action.keepalive:
                        self._chunk(b": keep-alive\n\n" if request.stream else b"\n")
                    time.sleep(action.interval)
                self.close_connection = True
                return
            time.sleep(action.delay)
            if request.stream:
                self._start_chunked("text/event-stream")
                for _ in range(action.keepalive):
                    self._chunk(b": keep-alive\n\n")
                    time.sleep(action.keepalive_interval)
                for event in sse.events(request.dialect, action.body, request.body):
                    self._chunk(event.encode())
                self._chunk(b"")
            elif action.keepalive:
                self._start_chunked("application/json")
                for _ in range(action.keepalive):
                    self._chunk(b"\n")
                    time.sleep(action.keepalive_interval)
                self._chunk(json.dumps(action.body).encode())
                self._chunk(b"")
            else:
                self._json(200, action.body)

        def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _start_chunked(self, content_type: str) -> None:
            self.send_response(200)
            self.send_header("content-type", content_type)
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    return Handler
