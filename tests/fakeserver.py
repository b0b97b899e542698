"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat protocol, with SSE streaming.

It can misbehave on demand (``server.fault``), so tests exercise the real client, the
real sockets and the real SSE parsing:

- ``"400"``, ``"401"``, ``"404"``, ``"500"``: that HTTP error with an OpenAI-style JSON body;
- ``"429"``: rate limited, with ``Retry-After: 1``;
- ``"drop"``: a few chunks, then the connection is closed mid-stream;
- ``"malformed"``: a chunk, then a data line that is not JSON;
- ``"no_finish"``: every chunk and ``[DONE]``, but no finish reason;
- ``"stall"``: a few chunks, then silence for ``stall_seconds``;
- ``"slow"``: wait ``slow_seconds`` before answering at all;
- ``"length"``: the whole reply, then finish reason ``length`` (as if max_tokens hit);
- ``"context"``: HTTP 400 "the request exceeds the available context size" (llama.cpp's
  body, with ``n_ctx``); ``context_style="openai"`` sends OpenAI's
  ``context_length_exceeded`` instead;
- ``"empty"``: HTTP 200 and an event stream with no answer in it, only ``[DONE]``;
- ``"cut"``: a few chunks in chunked transfer encoding (as real servers send them), then
  the connection is reset: the client sees a broken read, not a clean end.

``stream_model`` is the model name the chunks report (default: the one asked for), and
``error_text`` replaces the message of every HTTP error, so a test can make the server
send hostile names and messages.

And behaviours that are not faults:

- ``honour_max_tokens`` (on): a request's ``max_tokens`` bounds the answer, one chunk a
  token; a longer reply is cut there with finish reason ``length``;
- ``context_size``: a request whose messages take more (at four characters a token)
  gets the ``"context"`` error, as a real server with that window would;
- ``one_at_a_time``: a new request ends every stream in flight without a finish reason
  (as llama-cpp-python's server does when another request waits);
- ``latency``: seconds before each answer's first chunk;
- ``usage`` (on): send token usage when the client asks for it;
- ``props``: served at ``/props`` (llama.cpp's settings, e.g. ``{"n_ctx": 4096}``);
  ``model_meta``: extra fields of each model in ``/v1/models`` (e.g. ``max_model_len``);
- ``strict_prefix``: only paths under ``/v1`` exist (as on llama.cpp and Ollama).

Every request is recorded in ``server.requests`` (path, headers, JSON body, when it
arrived and when its answer ended); ``server.max_in_flight`` is the most chat requests
seen at once.
"""

from __future__ import annotations

import contextlib
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
    at: float = 0.0  # time.monotonic() when it arrived
    done_at: float | None = None  # when its answer was sent in full (or ended)


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
    stream_model: str | None = None
    error_text: str | None = None
    honour_max_tokens: bool = True
    context_size: int | None = None
    context_style: str = "llama"  # or "openai"
    one_at_a_time: bool = False
    latency: float = 0.0
    usage: bool = True
    props: dict[str, Any] | None = None
    model_meta: dict[str, Any] | None = None
    strict_prefix: bool = False
    in_flight: int = 0
    max_in_flight: int = 0
    preempted: int = 0  # streams ended early by one_at_a_time
    _epoch: int = 0
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

            def handle(self) -> None:
                with contextlib.suppress(ValueError, OSError):  # reset on purpose
                    super().handle()

            def _record(self, body: Any) -> Recorded:
                rec = Recorded(self.command, self.path,
                               {k.lower(): v for k, v in self.headers.items()}, body,
                               at=time.monotonic())
                with owner.lock:
                    owner.requests.append(rec)
                return rec

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
                text = owner.error_text if owner.error_text is not None else message
                self._json(code, {"error": {"message": text, "type": kind, "code": None}},
                           headers)

            def do_GET(self) -> None:  # noqa: N802
                self._record(None)
                fault = owner.fault if owner.fault in ("400", "401", "500") else None
                if fault == "400":
                    return self._error(400, "Bad request", "invalid_request_error")
                if fault == "401":
                    return self._error(401, "Incorrect API key provided", "invalid_request_error")
                if fault == "500":
                    return self._error(500, "boom", "server_error")
                path = self.path.split("?", 1)[0].rstrip("/")
                if path == "/props" and owner.props is not None:
                    return self._json(200, owner.props)
                if owner.strict_prefix and not path.startswith("/v1/"):
                    return self._error(404, "File Not Found", "not_found_error")
                if path.endswith("/models"):
                    return self._json(200, {"object": "list", "data": [
                        {"id": m, "object": "model", "created": 0, "owned_by": "test",
                         **(owner.model_meta or {})}
                        for m in owner.models]})
                return self._error(404, "not found", "invalid_request_error")

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = None
                rec = self._record(body)
                if not self.path.endswith("/chat/completions") or not isinstance(body, dict) \
                        or (owner.strict_prefix and not self.path.startswith("/v1/")):
                    return self._error(404, "not found", "invalid_request_error")
                fault = owner.take_fault()
                if fault == "400":
                    return self._error(400, "Bad request", "invalid_request_error")
                if fault != "context" and owner.context_size is not None:
                    used = sum(len(str(m.get("content", ""))) // 4 + 4
                               for m in body.get("messages") or [] if isinstance(m, dict))
                    if used > owner.context_size:
                        fault = "context"
                if fault == "context":
                    n_ctx = owner.context_size or 4096
                    if owner.context_style == "openai":
                        return self._json(400, {"error": {
                            "message": f"This model's maximum context length is {n_ctx} "
                            "tokens. However, your messages resulted in more tokens. Please "
                            "reduce the length of the messages.",
                            "type": "invalid_request_error", "param": "messages",
                            "code": "context_length_exceeded"}})
                    return self._json(400, {"error": {
                        "code": 400, "message": "the request exceeds the available context "
                        "size, try increasing it", "type": "exceed_context_size_error",
                        "n_prompt_tokens": n_ctx + 1, "n_ctx": n_ctx}})
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
                with owner.lock:
                    if owner.one_at_a_time and owner.in_flight:
                        owner._epoch += 1  # every stream in flight ends now
                    owner.in_flight += 1
                    owner.max_in_flight = max(owner.max_in_flight, owner.in_flight)
                    epoch = owner._epoch
                try:
                    if owner.latency:
                        time.sleep(owner.latency)
                    self._answer(body, fault, epoch)
                finally:
                    with owner.lock:
                        owner.in_flight -= 1
                    rec.done_at = time.monotonic()

            def _answer(self, body: dict[str, Any], fault: str | None, epoch: int) -> None:
                reply = owner.next_reply()
                if not body.get("stream"):
                    return self._json(200, {
                        "id": "chatcmpl-1", "object": "chat.completion", "created": 0,
                        "model": body["model"],
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": reply}}],
                        "usage": {"prompt_tokens": 10, "completion_tokens": 20,
                                  "total_tokens": 30}})
                self._stream(body, reply, fault, epoch)

            chunked = False

            def _event(self, obj: Any) -> None:
                self._write(f"data: {json.dumps(obj)}\n\n".encode())

            def _write(self, data: bytes) -> None:
                if self.chunked:
                    data = b"%x\r\n" % len(data) + data + b"\r\n"
                self.wfile.write(data)
                self.wfile.flush()

            def _reset(self) -> None:
                """Close with a TCP reset, as a crashed server or a cut network does."""
                import socket
                import struct

                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                # the file objects hold the socket open: close them all, it closes now
                self.wfile.close()
                self.rfile.close()
                self.connection.close()
                self.close_connection = True

            def _stream(self, body: dict[str, Any], reply: str, fault: str | None,
                        epoch: int = 0) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                if fault == "cut":
                    self.chunked = True
                    self.send_header("Transfer-Encoding", "chunked")
                else:
                    self.send_header("Connection", "close")
                self.end_headers()
                model = owner.stream_model or body["model"]
                if fault == "empty":
                    self._write(b"data: [DONE]\n\n")
                    return

                def chunk(content: str | None, finish: str | None = None) -> dict[str, Any]:
                    delta = {"content": content} if content is not None else {}
                    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0,
                            "model": model,
                            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

                pieces = [reply[i:i + owner.chunk_size]
                          for i in range(0, len(reply), owner.chunk_size)]
                finish = "length" if fault == "length" else "stop"
                limit = body.get("max_tokens") or body.get("max_completion_tokens")
                if owner.honour_max_tokens and isinstance(limit, int) and limit < len(pieces):
                    pieces, finish = pieces[:limit], "length"
                try:
                    self._event({**chunk(None), "choices": [
                        {"index": 0, "delta": {"role": "assistant", "content": ""},
                         "finish_reason": None}]})
                    for n, piece in enumerate(pieces):
                        halfway = n == max(1, len(pieces) // 2)
                        if owner.one_at_a_time and owner._epoch != epoch:
                            # another request came: this stream just ends, no finish reason
                            with owner.lock:
                                owner.preempted += 1
                            self._write(b"data: [DONE]\n\n")
                            return
                        if fault == "cut" and halfway:
                            time.sleep(0.05)  # let the client read what came so far
                            self._reset()
                            return
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
                        self._event(chunk(None, finish))
                        if owner.usage and (body.get("stream_options") or {}).get(
                                "include_usage"):
                            self._event({"id": "chatcmpl-1", "object": "chat.completion.chunk",
                                         "created": 0, "model": model, "choices": [],
                                         "usage": {"prompt_tokens": 11, "completion_tokens":
                                                   len(pieces), "total_tokens": 11 + len(pieces)}})
                    self._write(b"data: [DONE]\n\n")
                    if self.chunked:
                        self.wfile.write(b"0\r\n\r\n")
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
