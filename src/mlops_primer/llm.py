"""Talking to an LLM: the Answer, the provider protocol, and the OpenAI-compatible provider.

This is the only module that imports ``openai``, and only inside ``stream()`` or
``list_models()``, when a request is about to be made: ``--help``, ``lessons`` and
offline replay never pay for it.

An answer counts as complete only when the stream ended with a finish reason. A
stream that stops without one (dropped connection, a server that just closes) is an
error, whatever the SDK makes of it, and nothing of it is stored. An answer that ended
because it reached ``max_tokens`` (finish reason ``length``) is returned, marked
``truncated``: the caller shows and stores it as the cut-off answer it is.

Errors are classified by how far the exchange got, not only by the exception's type:
openai reports a connection that breaks in the middle of a stream as the same
``APIConnectionError`` as a server that cannot be reached, and only the second means
"the server is not there" (``LLMError.unreachable``).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .config import Settings
from .errors import ContextExceededError, EndpointNotFoundError, LLMError
from .prompts import Message

MAX_ANSWER_CHARS = 200_000


@dataclass(frozen=True)
class Answer:
    """A complete answer from an LLM."""

    text: str
    model: str
    host: str
    finish_reason: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_ms: int | None = None

    @property
    def truncated(self) -> bool:
        """True when the answer stopped at the length limit (``max_tokens``)."""
        return self.finish_reason == "length"


#: what servers say when a request does not fit their context window: llama.cpp's
#: llama-server, llama-cpp-python, OpenAI and vLLM
_CONTEXT_PATTERNS = (
    "exceeds the available context size", "exceed_context_size", "context_length_exceeded",
    "maximum context length", "exceed context window",
)
_N_CTX = re.compile(
    r"(?:n_ctx\W{1,4}|context (?:length|size|window) (?:is|of) )(\d{3,9})", re.IGNORECASE
)


def context_size_in(text: str) -> int | None:
    """The context size a server's error message names, if it names one."""
    m = _N_CTX.search(text)
    return int(m.group(1)) if m else None


def _v1_hint(base_url: str | None) -> str:
    if base_url and not base_url.rstrip("/").endswith("/v1"):
        return (f"most servers want the base URL to end in /v1: --base-url "
                f"{base_url.rstrip('/')}/v1")
    return "check --base-url (or OPENAI_BASE_URL)"


def _caused_by(exc: BaseException, *types: type) -> bool:
    """True when ``exc`` or anything in its cause/context chain is one of ``types``."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, types):
            return True
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return False


class Provider(Protocol):
    """Anything that can stream an answer to chat messages."""

    model: str
    host: str

    def params(self) -> dict[str, Any]:
        """Generation parameters that change the answer (part of the cache key)."""

    def stream(self, messages: Sequence[Message], on_text: Callable[[str], None]) -> Answer:
        """Send the messages; call ``on_text`` with each piece; return the complete answer."""


def answer_key(model: str, messages: Sequence[Message], params: dict[str, Any]) -> str:
    """Cache key: a hash of model, messages and the parameters that shape the answer."""
    canon = json.dumps(
        {"model": model, "messages": [m.as_dict() for m in messages], "params": params},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def _get_json(http: Any, url: str) -> Any:
    """GET a JSON document; None for anything but a 200 with a JSON body."""
    try:
        response = http.get(url)
        return response.json() if response.status_code == 200 else None
    except ValueError:
        return None


def _n_ctx_of_props(props: Any) -> int | None:
    """llama-server's context size from its /props document."""
    if not isinstance(props, dict):
        return None
    settings = props.get("default_generation_settings")
    for value in (props.get("n_ctx"), settings.get("n_ctx") if isinstance(settings, dict)
                  else None):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def scrub(text: str, secret: str | None) -> str:
    """Remove a secret (and its common partial forms) from text we are about to show."""
    if secret:
        text = text.replace(secret, "***")
        if len(secret) > 12:
            text = text.replace(secret[:8], "***").replace(secret[-8:], "***")
    return text


MAX_MODEL_CHARS = 200


def _model_name(sent: Any, fallback: str) -> str:
    """The model name a server reports, kept only when it is a short printable name:
    it is stored and shown in answer labels and `cache list`."""
    if isinstance(sent, str) and sent.isprintable() and 0 < len(sent) <= MAX_MODEL_CHARS:
        return sent
    return fallback


def _httpx() -> Any:
    """The HTTP library under the openai SDK: httpx2 from openai 3 on, httpx before."""
    try:
        import httpx2

        return httpx2
    except ImportError:  # pragma: no cover - older openai, on httpx
        import httpx

        return httpx


#: a stream event as servers send them, to build the SDK's models before the first answer
_SAMPLE_CHUNK: dict[str, Any] = {
    "id": "warm-up", "object": "chat.completion.chunk", "created": 0, "model": "m",
    "choices": [{"index": 0, "delta": {"role": "assistant", "content": "x"},
                 "finish_reason": None, "logprobs": None}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}


@dataclass
class OpenAIProvider:
    """OpenAI, or any server speaking its chat-completions protocol (Ollama, llama.cpp, vLLM)."""

    settings: Settings
    _client: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def model(self) -> str:
        return self.settings.model

    @property
    def host(self) -> str:
        return self.settings.host

    def params(self) -> dict[str, Any]:
        return {"temperature": self.settings.temperature}

    def request_limits(self) -> dict[str, Any]:
        """The bound sent with every request. Not part of the cache key: a complete answer
        does not depend on it, and one that reached it is stored marked as truncated.
        OpenAI's own API takes ``max_completion_tokens`` (its newer models refuse
        ``max_tokens``); OpenAI-compatible servers take ``max_tokens``."""
        name = "max_completion_tokens" if not self.settings.base_url else "max_tokens"
        return {name: self.settings.max_tokens}

    def prepare(self) -> None:
        """Import openai and build the client now (``learn`` calls this in a background
        thread while the learner reads, so the first answer waits only for the server).
        The chat resource is touched too: openai imports it (and builds its pydantic
        models) on first use, which is most of a first request's own cost."""
        client = self._get_client()
        _ = client.chat.completions
        try:  # best effort: what the first answer would otherwise build while it streams
            from openai._models import construct_type
            from openai._utils import maybe_transform
            from openai.types.chat import ChatCompletionChunk
            from openai.types.chat.completion_create_params import (
                CompletionCreateParamsStreaming,
            )

            _ = client.default_headers  # the platform headers, computed once, cached
            _httpx().URL(str(client.base_url).rstrip("/") + "/chat/completions")
            ChatCompletionChunk.model_validate(_SAMPLE_CHUNK)
            construct_type(type_=ChatCompletionChunk, value=_SAMPLE_CHUNK)  # the stream's path
            maybe_transform({"model": self.model, "messages": [{"role": "user", "content": ""}],
                             "stream": True, "stream_options": {"include_usage": True},
                             **self.request_limits(), **self.params()},
                            CompletionCreateParamsStreaming)
        except Exception:  # noqa: BLE001 - an SDK that differs only loses the head start
            pass

    def _get_client(self) -> Any:
        with self._lock:
            return self._make_client()

    def _make_client(self) -> Any:
        if self._client is None:
            import openai

            httpx = _httpx()
            s = self.settings
            self._client = openai.OpenAI(
                api_key=s.api_key or "not-needed-for-a-local-server",
                base_url=s.base_url,
                # connect fast or fail fast; `read` bounds each wait for the next piece,
                # so a stalled stream ends after `timeout` seconds, not never
                timeout=httpx.Timeout(s.timeout, connect=min(5.0, s.timeout)),
                max_retries=s.max_retries,
            )
        return self._client

    def _error(self, exc: BaseException) -> LLMError:
        """One line for the learner: what happened and what to do."""
        import openai

        httpx = _httpx()
        s = self.settings
        where = s.host
        detail = ""
        body_msg = getattr(exc, "message", None) or str(exc)
        if body_msg:
            detail = " ".join(scrub(str(body_msg), s.api_key).split())[:160]
        if isinstance(exc, openai.AuthenticationError):
            return LLMError(
                f"{where} refused the API key (HTTP 401)",
                hint="check OPENAI_API_KEY, or run `mlops-primer config set api_key YOUR_KEY`",
            )
        if isinstance(exc, openai.PermissionDeniedError):
            return LLMError(
                f"{where} denied access (HTTP 403)",
                hint="check that your key may use this model",
            )
        if isinstance(exc, openai.NotFoundError):
            if "model" not in detail.lower():  # the path, not the model, is unknown
                return EndpointNotFoundError(
                    f"{where} has no OpenAI API at {s.base_url} (HTTP 404)",
                    hint=_v1_hint(s.base_url),
                )
            return LLMError(
                f"model '{s.model}' was not found on {where} (HTTP 404)",
                hint="choose another with --model; `mlops-primer doctor` lists the models",
            )
        if isinstance(exc, openai.RateLimitError):
            retry = exc.response.headers.get("retry-after") if exc.response is not None else None
            wait = f"; it asks to wait {retry} s" if retry else ""
            return LLMError(
                f"{where} is rate-limiting requests (HTTP 429){wait}",
                hint="wait a moment and try again, or replay offline with --offline",
            )
        if isinstance(exc, openai.APIStatusError):
            code = exc.status_code
            body = f"{body_msg} {getattr(exc, 'body', '') or ''}"
            if any(p in body.lower() for p in _CONTEXT_PATTERNS):
                n_ctx = context_size_in(body)
                size = f", {n_ctx:,} tokens" if n_ctx else ""
                return ContextExceededError(
                    f"the request does not fit the context window of {where} (HTTP {code}"
                    f"{size})",
                    hint="start the server with a larger context (llama-server: -c 8192), "
                    "or tell mlops-primer its size: `mlops-primer config set context "
                    f"{n_ctx or 'N'}`",
                    n_ctx=n_ctx,
                )
            if code >= 500:
                return LLMError(
                    f"{where} failed with a server error (HTTP {code})",
                    hint="try again later, or replay offline with --offline",
                )
            return LLMError(
                f"{where} rejected the request (HTTP {code}): {detail}",
                hint="check --model and --base-url with `mlops-primer doctor`",
            )
        if _caused_by(exc, httpx.ConnectError, httpx.ConnectTimeout):
            # the one failure that says "no server there": learn switches to replay
            return LLMError(
                f"cannot reach {where}",
                hint="is the server running? check --base-url (or OPENAI_BASE_URL), or use "
                "--offline",
                unreachable=True,
            )
        if isinstance(exc, (openai.APITimeoutError, httpx.TimeoutException)):
            return LLMError(
                f"no reply from {where} within {s.timeout:g} s",
                hint="check the server, or wait longer with --timeout",
            )
        if isinstance(exc, openai.APIConnectionError):
            return LLMError(
                f"the connection to {where} closed before it answered",
                hint="check the server's log, and --base-url (or OPENAI_BASE_URL); then try "
                "again",
            )
        if isinstance(exc, (httpx.TransportError, httpx.StreamError)):
            return LLMError(
                f"the connection to {where} broke in the middle of the answer",
                hint="nothing was stored; try again",
            )
        if isinstance(exc, (json.JSONDecodeError, ValueError, KeyError, AttributeError)):
            return LLMError(
                f"{where} sent a malformed stream event ({type(exc).__name__})",
                hint="nothing was stored; check that the server speaks the OpenAI protocol",
            )
        if isinstance(exc, openai.OpenAIError):
            return LLMError(f"the request to {where} failed: {detail}")
        return LLMError(
            f"the request to {where} failed: {type(exc).__name__}: {detail}",
            hint="run with --debug for details",
        )

    def _midstream_error(self, exc: BaseException, text_seen: bool) -> LLMError:
        """The answer had begun (HTTP 200, the stream open) when ``exc`` happened."""
        import openai

        httpx = _httpx()
        where, s = self.host, self.settings
        during = "in the middle of the answer" if text_seen else "before the answer began"
        if isinstance(exc, (json.JSONDecodeError, ValueError, KeyError, AttributeError)):
            return LLMError(
                f"{where} sent a malformed stream event ({type(exc).__name__})",
                hint="nothing was stored; check that the server speaks the OpenAI protocol",
                midstream=text_seen,
            )
        if _caused_by(exc, openai.APITimeoutError, httpx.TimeoutException):
            return LLMError(
                f"no reply from {where} within {s.timeout:g} s, {during}",
                hint="nothing was stored; try again, or wait longer with --timeout",
                midstream=text_seen,
            )
        if isinstance(exc, (openai.APIConnectionError, httpx.TransportError, httpx.StreamError,
                            OSError)):
            return LLMError(
                f"the connection to {where} broke {during}",
                hint="nothing was stored; try again",
                midstream=text_seen,
            )
        return self._error(exc)

    def stream(self, messages: Sequence[Message], on_text: Callable[[str], None]) -> Answer:
        client = self._get_client()
        started = time.monotonic()
        parts: list[str] = []
        size = 0
        finish: str | None = None
        usage: Any = None
        model = self.settings.model
        answering = False  # the server said 200 and the stream is open
        try:
            stream = client.chat.completions.create(
                model=self.settings.model,
                messages=[m.as_dict() for m in messages],
                stream=True,
                stream_options={"include_usage": True},
                **self.request_limits(),
                **self.params(),
            )
            answering = True
            with stream:
                for chunk in stream:
                    if getattr(chunk, "usage", None):
                        usage = chunk.usage
                    if getattr(chunk, "model", None):
                        model = _model_name(chunk.model, model)
                    for choice in chunk.choices or ():
                        text = choice.delta.content if choice.delta else None
                        if text:
                            parts.append(text)
                            size += len(text)
                            if size > MAX_ANSWER_CHARS:
                                raise LLMError(
                                    f"the answer from {self.host} is over "
                                    f"{MAX_ANSWER_CHARS:,} characters; it was stopped",
                                    hint="nothing was stored",
                                )
                            on_text(text)
                        if choice.finish_reason:
                            finish = choice.finish_reason
        except (LLMError, KeyboardInterrupt):
            raise
        except Exception as exc:
            if answering:
                raise self._midstream_error(exc, size > 0) from exc
            raise self._error(exc) from exc
        if not "".join(parts).strip():
            raise LLMError(
                f"{self.host} sent no answer (the stream held no text)",
                hint="nothing was stored; try again, or check the model with "
                "`mlops-primer doctor`",
                midstream=True,
            )
        if not finish:
            raise LLMError(
                f"the connection to {self.host} broke in the middle of the answer (the "
                "stream ended without a finish reason)",
                hint="nothing was stored; try again",
                midstream=True,
            )
        return Answer(
            text="".join(parts),
            model=model,
            host=self.host,
            finish_reason=finish,
            prompt_tokens=getattr(usage, "prompt_tokens", None),
            completion_tokens=getattr(usage, "completion_tokens", None),
            latency_ms=int((time.monotonic() - started) * 1000),
        )

    def list_models(self) -> list[str]:
        """The model ids the server offers (for `doctor`)."""
        try:
            return sorted(m.id for m in self._get_client().models.list())
        except Exception as exc:
            import openai

            if isinstance(exc, openai.NotFoundError):  # /models itself is missing
                raise EndpointNotFoundError(
                    f"{self.host} has no OpenAI API at {self.settings.base_url} (HTTP 404)",
                    hint=_v1_hint(self.settings.base_url),
                ) from exc
            raise self._error(exc) from exc

    def context_size(self) -> tuple[int, str] | None:
        """The server's context window in tokens, and where it said so, if it does: llama.cpp's
        ``/props`` (``n_ctx``), or the model's entry in ``/models`` (vLLM's
        ``max_model_len``, others' ``context_length``, llama.cpp's ``meta.n_ctx_train``)."""
        s = self.settings
        if not s.base_url:
            return None
        httpx = _httpx()
        base = s.base_url.rstrip("/")
        root = base[: -len("/v1")] if base.endswith("/v1") else base
        headers = {"Authorization": f"Bearer {s.api_key}"} if s.api_key else {}
        try:
            with httpx.Client(timeout=min(5.0, s.timeout), headers=headers) as http:
                found = _n_ctx_of_props(_get_json(http, f"{root}/props"))
                if found:
                    return found, "/props"
                models = _get_json(http, f"{base}/models")
        except Exception:  # noqa: BLE001 - optional: most servers do not say
            return None
        for entry in (models or {}).get("data") or []:
            if isinstance(entry, dict) and entry.get("id") == s.model:
                meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
                for key, value in (("max_model_len", entry.get("max_model_len")),
                                   ("context_length", entry.get("context_length")),
                                   ("meta.n_ctx_train", meta.get("n_ctx_train"))):
                    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                        return value, f"/models ({key})"
        return None
