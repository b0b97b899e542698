"""The tutor's use cases: get an answer, ask a follow-up, grade a quiz, keep progress.

UI-agnostic: it takes callbacks for streamed text and returns plain values; the
interactive walk-through and the one-shot ``--no-input`` mode both stand on it.

Where an answer comes from, in order:
1. ``--offline`` or no LLM configured: the learner's cache (any model), then the
   course's offline pack.
2. Otherwise the cache for this exact model, prompt and settings (unless
   ``--no-cache`` or "regenerate"), then the LLM, whose complete answer is stored.

An answer that reached the length limit is stored and replayed marked ``truncated``;
a complete answer is always preferred to it, and with an LLM at hand a truncated one
is asked again rather than served from the cache.

A follow-up resends the lesson's prompt and answer; ``fit_history`` shortens that
answer (to its Recap, or its start and end) when the whole would not fit the server's
context window (the ``context`` setting, in tokens, counted by the server when it
reported usage, else estimated at about four characters a token).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import prompts
from .config import Settings
from .errors import ContextExceededError, LLMError, NoAnswerError
from .lessons import Course, Lesson, Theme, is_custom
from .llm import answer_key
from .pack import find_pack_answer
from .prompts import Message
from .store import Progress, Store, StoredAnswer

STEPS = ("intro", "theme", "answer", "takeaways", "quiz", "done")
CHARS_PER_TOKEN = 4  # the usual estimate for English text when the server gives no count
MESSAGE_TOKENS = 4  # what each chat message costs beyond its text (role, separators)
SHORTENED_NOTE = "(This earlier answer is shortened to fit the context window.)"
TRUNCATED_MARK = "it stopped at the length limit"


@dataclass(frozen=True)
class Reply:
    """An answer and where it came from."""

    text: str
    origin: str  # llm | cache | pack
    label: str
    messages: tuple[Message, ...]
    answer_id: int | None = None
    model: str | None = None
    truncated: bool = False  # it stopped at the length limit (max_tokens)
    tokens: int | None = None  # prompt + answer tokens, when the server counted them


def estimate_tokens(messages: Sequence[Message]) -> int:
    """Tokens the messages take, estimated from their characters."""
    return sum(math.ceil(len(m.content) / CHARS_PER_TOKEN) + MESSAGE_TOKENS for m in messages)


_RECAP = re.compile(r"^(?:#{1,6}[ \t]+|\*\*)[^\n]*\brecap\b", re.IGNORECASE | re.MULTILINE)


def shorten(text: str, max_chars: int) -> str:
    """``text`` in at most ``max_chars`` (about): its Recap section if that fits, else
    its start and end, cut at line or word breaks, with a note saying it was shortened."""
    if len(text) <= max_chars:
        return text
    room = max(0, max_chars - len(SHORTENED_NOTE) - 2)
    recaps = list(_RECAP.finditer(text))
    if recaps:
        recap = text[recaps[-1].start():].strip()
        if len(recap) <= room:
            return f"{SHORTENED_NOTE}\n\n{recap}\n"
    gap = "\n\n[...]\n\n"
    room = max(0, room - len(gap))
    head, tail = text[: room * 2 // 3], text[len(text) - (room - room * 2 // 3):]
    head = head[: max(head.rfind("\n"), head.rfind(" "), 0)] or head
    cut = max(tail.find("\n"), tail.find(" "))
    tail = tail[cut + 1:] if cut >= 0 else tail
    return f"{SHORTENED_NOTE}\n\n{head.rstrip()}{gap}{tail.lstrip()}"


def fit_history(
    history: Sequence[Message], answer: str, question: Message, *, budget: int,
    counted: int | None = None,
) -> tuple[list[Message], bool]:
    """The follow-up's messages (history, the answer, the question) within ``budget``
    tokens, and whether the answer had to be shortened.

    ``counted`` is the server's own count of the history and the answer (the lesson
    request's prompt and completion tokens); without it every part is estimated.
    """
    whole = [*history, Message("assistant", answer), question]
    history_tokens = estimate_tokens(history)
    answer_tokens = estimate_tokens([Message("assistant", answer)])
    if counted is not None and counted > 0:
        # the server's count beats the estimate: scale both parts to it
        scale = counted / max(1, history_tokens + answer_tokens)
        history_tokens = round(history_tokens * scale)
        answer_tokens = max(1, counted - history_tokens)
    chars_per_token = len(answer) / max(1, answer_tokens - MESSAGE_TOKENS)
    rest = history_tokens + estimate_tokens([question])
    if rest + answer_tokens <= budget:
        return whole, False
    room_chars = int(max(0, budget - rest - MESSAGE_TOKENS) * chars_per_token)
    short = shorten(answer, max(room_chars, 200))
    return [*history, Message("assistant", short), question], True


class ReplayAvailable(LLMError):
    """The LLM failed, but an answer to the same prompt can be replayed."""

    def __init__(self, cause: LLMError, replay: Reply) -> None:
        super().__init__(cause.message, hint=cause.hint, unreachable=cause.unreachable)
        self.cause = cause
        self.replay = replay


def _date(stamp: str) -> str:
    return stamp[:10]


class Tutor:
    """Answers, follow-ups, quiz grading and progress for one course and one store."""

    def __init__(
        self,
        course: Course,
        store: Store,
        settings: Settings | None,
        *,
        offline: bool = False,
        no_cache: bool = False,
        provider_factory: Callable[[Settings], Any] | None = None,
    ) -> None:
        self.course = course
        self.store = store
        self.settings = settings
        self.offline = offline or settings is None or not settings.configured
        self.no_cache = no_cache
        self._provider_factory = provider_factory
        self._provider: Any = None
        self._provider_lock = threading.Lock()
        self._warming: threading.Thread | None = None
        #: set by the last follow-up: its lesson answer was shortened to fit the context
        self.last_shortened = False

    # -- notices -------------------------------------------------------------------------

    def offline_notice(self) -> str | None:
        """Why answers are replayed, when they are and the learner did not ask for it."""
        if self.settings is not None and not self.settings.configured:
            return (
                "No LLM is configured, so answers come from the offline course pack and your "
                "cache. Set OPENAI_API_KEY or --base-url to ask an LLM."
            )
        return None

    # -- answers ---------------------------------------------------------------------------

    def messages(self, lesson: Lesson, theme: Theme) -> list[Message]:
        """The rendered prompt for this lesson and theme."""
        return prompts.render(self.course, lesson, theme)

    def replay(self, lesson: Lesson, theme: Theme, messages: list[Message]) -> Reply | None:
        """An answer with no network: the learner's cache (any model), then the course pack."""
        mhash = prompts.messages_hash(messages)
        stored = self.store.find_by_messages(mhash)
        if stored is not None:
            return self._from_store(stored, messages)
        packed = find_pack_answer(self.course, lesson, theme, mhash)
        if packed is not None:
            return Reply(
                text=packed.text,
                origin="pack",
                label=f"offline answer from the course pack: {packed.author}, {packed.date}",
                messages=tuple(messages),
                model=None,
            )
        return None

    def _from_store(self, stored: StoredAnswer, messages: list[Message]) -> Reply:
        origin = "pack" if stored.source == "pack" else "cache"
        label = f"replayed from your cache: {stored.model}, {_date(stored.created_at)}"
        tokens = None
        if stored.prompt_tokens is not None and stored.completion_tokens is not None:
            tokens = stored.prompt_tokens + stored.completion_tokens
        return Reply(
            text=stored.answer,
            origin=origin,
            label=label + (f"; {TRUNCATED_MARK}" if stored.truncated else ""),
            messages=tuple(messages),
            answer_id=stored.id,
            model=stored.model,
            truncated=stored.truncated,
            tokens=tokens,
        )

    def no_offline_answer(self, lesson: Lesson, theme: Theme) -> NoAnswerError:
        """The error for a theme with nothing to replay, with the way forward."""
        if is_custom(theme):
            return NoAnswerError(
                f"no offline answer exists for your own theme '{theme.label}'",
                hint=f"pick a suggested theme ({', '.join(t.id for t in lesson.themes)}), "
                f"or paste the prompt from `mlops-primer prompt {lesson.id} --theme "
                f"\"{theme.label}\"` into any chat app",
            )
        return NoAnswerError(
            f"no offline answer for lesson '{lesson.id}' with theme '{theme.id}'",
            hint="configure an LLM (OPENAI_API_KEY or --base-url) or import a pack with "
            "`mlops-primer cache import`",
        )

    def provider(self) -> Any:
        """The LLM provider, created on first use."""
        with self._provider_lock:
            if self._provider is None:
                assert self.settings is not None
                if self._provider_factory is not None:
                    self._provider = self._provider_factory(self.settings)
                else:
                    from .llm import OpenAIProvider

                    self._provider = OpenAIProvider(self.settings)
            return self._provider

    def warm_up(self) -> None:
        """Get the LLM client ready in a background thread (importing openai takes about
        half a second), so the first answer waits only for the server. Does nothing
        offline; a failure here is left for the real request to report."""
        if self.offline or self._warming is not None:
            return

        def prepare() -> None:
            try:
                provider = self.provider()
                if hasattr(provider, "prepare"):
                    provider.prepare()
                # Jinja's import and the shared templates' compile (~0.15 s) come next
                if self.course.lessons and self.course.lessons[0].themes:
                    first = self.course.lessons[0]
                    self.messages(first, first.themes[0])
            except Exception:  # noqa: BLE001 - the real request reports it properly
                pass

        self._warming = threading.Thread(target=prepare, name="llm-warm-up", daemon=True)
        self._warming.start()

    def answer(
        self,
        lesson: Lesson,
        theme: Theme,
        on_text: Callable[[str], None],
        *,
        regenerate: bool = False,
        on_start: Callable[[], None] | None = None,
    ) -> Reply:
        """The lesson's answer in this theme, streamed through ``on_text`` when asked live."""
        messages = self.messages(lesson, theme)
        return self._answer(
            messages, on_text, regenerate=regenerate, kind="lesson", lesson=lesson, theme=theme,
            on_start=on_start,
        )

    def followup(
        self,
        lesson: Lesson,
        theme: Theme,
        base: Reply,
        question: str,
        on_text: Callable[[str], None],
        *,
        on_start: Callable[[], None] | None = None,
    ) -> Reply:
        """Answer a follow-up question in the lesson's context; stored like any answer.

        The lesson's answer is shortened when the whole would not fit the context window;
        if the server still says the request is too large, it is asked once more with
        the answer fitted to the size the server named (or half the budget).
        """
        asked = prompts.render_followup(self.course, lesson, theme, question, [])[-1]
        context = self.settings.context if self.settings is not None else 4096
        tried_context: int | None = None
        while True:
            messages, self.last_shortened = fit_history(
                base.messages, base.text, asked, budget=self._prompt_budget(context),
                counted=base.tokens,
            )
            try:
                return self._answer(
                    messages, on_text, regenerate=False, kind="followup", lesson=lesson,
                    theme=theme, on_start=on_start,
                )
            except LLMError as exc:
                cause = getattr(exc, "cause", exc)
                if not isinstance(cause, ContextExceededError) or tried_context is not None:
                    raise
                tried_context = context
                context = min(cause.n_ctx or context // 2, context // 2 or 1)

    def _prompt_budget(self, context: int) -> int:
        """Tokens a request may take and still leave room for the answer."""
        max_tokens = self.settings.max_tokens if self.settings is not None else 1500
        return context - min(max_tokens, context // 2)

    def _answer(
        self,
        messages: list[Message],
        on_text: Callable[[str], None],
        *,
        regenerate: bool,
        kind: str,
        lesson: Lesson,
        theme: Theme,
        on_start: Callable[[], None] | None,
    ) -> Reply:
        if self.offline:
            reply = self.replay(lesson, theme, messages)
            if reply is None:
                if kind == "followup":
                    raise NoAnswerError(
                        "follow-up questions need an LLM, and none is configured",
                        hint="set OPENAI_API_KEY or --base-url, or paste the question into any "
                        "chat app",
                    )
                raise self.no_offline_answer(lesson, theme)
            return reply
        provider = self.provider()
        key = answer_key(provider.model, messages, provider.params())
        if not (self.no_cache or regenerate):
            stored = self.store.find(key)
            if stored is not None and not stored.truncated:  # a cut-off one is asked again
                return self._from_store(stored, messages)
        if on_start is not None:
            on_start()
        try:
            ans = provider.stream(messages, on_text)
        except LLMError as exc:
            fallback = self.replay(lesson, theme, messages)
            if fallback is not None:
                raise ReplayAvailable(exc, fallback) from exc
            raise
        answer_id, _ = self.store.add_answer(
            key=key,
            messages_hash=prompts.messages_hash(messages),
            messages=[m.as_dict() for m in messages],
            answer=ans.text,
            model=ans.model,
            finish_reason=ans.finish_reason,
            kind=kind,
            lesson_id=lesson.id,
            theme_id=theme.id,
            theme_label=theme.label,
            host=ans.host,
            prompt_tokens=ans.prompt_tokens,
            completion_tokens=ans.completion_tokens,
            latency_ms=ans.latency_ms,
        )
        truncated = ans.finish_reason == "length"
        tokens = None
        if ans.prompt_tokens is not None and ans.completion_tokens is not None:
            tokens = ans.prompt_tokens + ans.completion_tokens
        label = f"answered by {ans.model} on {ans.host}"
        return Reply(
            text=ans.text,
            origin="llm",
            label=label + (f"; {TRUNCATED_MARK}" if truncated else ""),
            messages=tuple(messages),
            answer_id=answer_id,
            model=ans.model,
            truncated=truncated,
            tokens=tokens,
        )

    # -- progress ----------------------------------------------------------------------------

    def progress(self, lesson: Lesson) -> Progress:
        """The learner's progress in a lesson (a fresh record if never started)."""
        return self.store.progress(lesson.id) or Progress(lesson_id=lesson.id)

    def resume_point(self) -> Lesson | None:
        """Where `learn` picks up: the lesson left mid-way most recently, else the first
        lesson not yet done; None when the course is complete."""
        progress = self.store.all_progress()
        ids = {lesson.id: lesson for lesson in self.course.lessons}
        started = [p for p in progress.values() if not p.done and p.lesson_id in ids]
        if started:
            latest = max(started, key=lambda p: (p.updated_at, p.lesson_id))
            return ids[latest.lesson_id]
        done = {k for k, p in progress.items() if p.done}
        for lesson in self.course.lessons:
            if lesson.id not in done:
                return lesson
        return None


def grade(question: Any, choice: int) -> bool:
    """True when ``choice`` (0-based) is the right answer."""
    return int(choice) == question.answer_index
