"""Talking to an LLM: the Answer, the provider protocol, and the OpenAI-compatible provider.

This is the only module that imports ``openai``, and only inside ``stream()`` or
``list_models()``, when a request is about to be made: ``--help``, ``lessons`` and
offline replay never pay for it.

An answer counts as complete only when the stream ended with a finish reason. A
stream that stops without one (dropped connection, a server that just closes) is an
error, whatever the SDK makes of it, and nothing of it is stored.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .config import Settings
from .errors import LLMError
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


def scrub(text: str, *secrets: str | None) -> str:
    """Remove secrets (and their common partial forms) from text we are about to show."""
    from .config import redact

    return redact(text, [x for x in secrets if x])


def _httpx() -> Any:
    """The HTTP library under the openai SDK: httpx2 from openai 3 on, httpx before."""
    try:
        import httpx2

        return httpx2
    except ImportError:  # pragma: no cover - older openai, on httpx
        import httpx

        return httpx


@dataclass
class OpenAIProvider:
    """OpenAI, or any server speaking its chat-completions protocol (Ollama, llama.cpp, vLLM)."""

    settings: Settings
    _client: Any = field(default=None, repr=False)

    @property
    def model(self) -> str:
        return self.settings.model

    @property
    def host(self) -> str:
        return self.settings.host

    def params(self) -> dict[str, Any]:
        return {"temperature": self.settings.temperature}

    def _get_client(self) -> Any:
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
            detail = " ".join(scrub(str(body_msg), *s.secrets).split())[:160]
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
            if code >= 500:
                return LLMError(
                    f"{where} failed with a server error (HTTP {code})",
                    hint="try again later, or replay offline with --offline",
                )
            return LLMError(
                f"{where} rejected the request (HTTP {code}): {detail}",
                hint="check --model and --base-url with `mlops-primer doctor`",
            )
        if isinstance(exc, (openai.APITimeoutError, httpx.TimeoutException)):
            return LLMError(
                f"no reply from {where} within {s.timeout:g} s",
                hint="check the server, or wait longer with --timeout",
                unreachable=True,
            )
        if isinstance(exc, openai.APIConnectionError):
            return LLMError(
                f"cannot reach {where}",
                hint="is the server running? check --base-url (or OPENAI_BASE_URL), or use "
                "--offline",
                unreachable=True,
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

    def stream(self, messages: Sequence[Message], on_text: Callable[[str], None]) -> Answer:
        client = self._get_client()
        started = time.monotonic()
        parts: list[str] = []
        size = 0
        finish: str | None = None
        usage: Any = None
        model = self.settings.model
        try:
            stream = client.chat.completions.create(
                model=self.settings.model,
                messages=[m.as_dict() for m in messages],
                stream=True,
                stream_options={"include_usage": True},
                **self.params(),
            )
            with stream:
                for chunk in stream:
                    if getattr(chunk, "usage", None):
                        usage = chunk.usage
                    if getattr(chunk, "model", None):
                        model = chunk.model
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
            raise self._error(exc) from exc
        if not finish:
            raise LLMError(
                f"the answer from {self.host} was cut off (the stream ended without a "
                "finish reason)",
                hint="nothing was stored; try again",
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
            raise self._error(exc) from exc
