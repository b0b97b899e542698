"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat protocol, with SSE streaming.

It can misbehave on demand (``server.fault``), so tests exercise the real client, the
real sockets and the real SSE parsing:

- ``"401"``, ``"404"``, ``"500"``: that HTTP error with an OpenAI-style JSON body;
- ``"429"``: rate limited, with ``Retry-After: 1``;
- ``"drop"``: a few chunks, then the connection is closed mid-stream;
- ``"malformed"``: a chunk, then a data line that is not JSON;
- ``"no_finish"``: every chunk and ``[DONE]``, but no finish reason;
- ``"stall"``: a few chunks, then silence for ``stall_seconds``;
- ``"slow"``: wait ``slow_seconds`` before answering at all;
- ``"echo_key"``: HTTP 400 whose error message repeats the Authorization header it got
  (as some servers do), to prove no output shows it.

Every request is recorded in ``server.requests`` (path, headers, JSON body).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeOpenAI:
    """Configuration and records of one fake server."""

    models: list[str] = field(default_factory=lambda: ["test-model", "other-model"])
    fault: str | None = None
    fault_count: int | None = None  # faults to serve before behaving (None: always)
    replies: deque[str] = field(default_factory=deque)
    default_reply: str = (
        "## A kitchen story\n\nThe [chef] tastes every sauce *before* it leaves.\n\n"
        "- first point\n- second point\n\n## Recap\n\nMLOps keeps models healthy.\n"
    )
    chunk_size: int = 7
    chunk_delay: float = 0.0
    stall_seconds: float = 5.0
    slow_seconds: float = 5.0
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def next_reply(self) -> str:
        with self.lock:
            return self.replies.popleft() if self.replies else self.default_reply

    def take_fault(self) -> str | None:
        with self.lock:
            if self.fault is None:
                return None
            if self.fault_count is None:
                return self.fault
            if self.fault_count <= 0:
                return None
            self.fault_count -= 1
            return self.fault

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def start(self) -> FakeOpenAI:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _record(self, body: Any) -> None:
                with owner.lock:
                    owner.requests.append(
                        Recorded(self.command, self.path,
                                 {k.lower(): v for k, v in self.headers.items()}, body)
                    )

            def _json(self, code: int, obj: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _error(self, code: int, message: str, kind: str,
                       headers: dict[str, str] | None = None) -> None:
                self._json(code, {"error": {"message": message, "type": kind, "code": None}},
                           headers)

            def do_GET(self) -> None:  # noqa: N802
                self._record(None)
                fault = owner.fault if owner.fault in ("401", "500") else None
                if fault == "401":
                    return self._error(401, "Incorrect API key provided", "invalid_request_error")
                if fault == "500":
                    return self._error(500, "boom", "server_error")
                if self.path.rstrip("/").endswith("/models"):
                    return self._json(200, {"object": "list", "data": [
                        {"id": m, "object": "model", "created": 0, "owned_by": "test"}
                        for m in owner.models]})
                return self._error(404, "not found", "invalid_request_error")

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = None
                self._record(body)
                if not self.path.endswith("/chat/completions") or not isinstance(body, dict):
                    return self._error(404, "not found", "invalid_request_error")
                fault = owner.take_fault()
                if fault == "echo_key":
                    return self._error(400, "Invalid request sent with Authorization: "
                                       f"{self.headers.get('Authorization')}",
                                       "invalid_request_error")
                if fault == "401":
                    return self._error(401, "Incorrect API key provided", "invalid_request_error")
                if fault == "404" or body.get("model") not in owner.models:
                    return self._error(404, f"The model `{body.get('model')}` does not exist",
                                       "invalid_request_error")
                if fault == "429":
                    return self._error(429, "Rate limit reached", "rate_limit_error",
                                       {"Retry-After": "1"})
                if fault == "500":
                    return self._error(500, "The server had an error", "server_error")
                if fault == "slow":
                    time.sleep(owner.slow_seconds)
                reply = owner.next_reply()
                if not body.get("stream"):
                    return self._json(200, {
                        "id": "chatcmpl-1", "object": "chat.completion", "created": 0,
                        "model": body["model"],
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": reply}}],
                        "usage": {"prompt_tokens": 10, "completion_tokens": 20,
                                  "total_tokens": 30}})
                self._stream(body, reply, fault)

            def _event(self, obj: Any) -> None:
                self.wfile.write(f"data: {json.dumps(obj)}\n\n".encode())
                self.wfile.flush()

            def _stream(self, body: dict[str, Any], reply: str, fault: str | None) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                model = body["model"]

                def chunk(content: str | None, finish: str | None = None) -> dict[str, Any]:
                    delta = {"content": content} if content is not None else {}
                    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0,
                            "model": model,
                            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

                pieces = [reply[i:i + owner.chunk_size]
                          for i in range(0, len(reply), owner.chunk_size)]
                try:
                    self._event({**chunk(None), "choices": [
                        {"index": 0, "delta": {"role": "assistant", "content": ""},
                         "finish_reason": None}]})
                    for n, piece in enumerate(pieces):
                        halfway = n == max(1, len(pieces) // 2)
                        if fault in ("drop", "stall", "malformed") and halfway:
                            if fault == "drop":
                                self.wfile.flush()
                                self.connection.shutdown(2)
                                return
                            if fault == "malformed":
                                self.wfile.write(b"data: {this is not json\n\n")
                                self.wfile.flush()
                                time.sleep(0.2)
                                return
                            time.sleep(owner.stall_seconds)
                            return
                        self._event(chunk(piece))
                        if owner.chunk_delay:
                            time.sleep(owner.chunk_delay)
                    if fault != "no_finish":
                        self._event(chunk(None, "stop"))
                        if (body.get("stream_options") or {}).get("include_usage"):
                            self._event({"id": "chatcmpl-1", "object": "chat.completion.chunk",
                                         "created": 0, "model": model, "choices": [],
                                         "usage": {"prompt_tokens": 11, "completion_tokens":
                                                   len(pieces), "total_tokens": 11 + len(pieces)}})
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError, OSError):
                    return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None


if __name__ == "__main__":  # run by hand: python tests/fakeserver.py
    import sys

    srv = FakeOpenAI(port=int(sys.argv[1]) if len(sys.argv) > 1 else 0).start()
    print(srv.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()
