"""The tutor's use cases: get an answer, ask a follow-up, grade a quiz, keep progress.

UI-agnostic: it takes callbacks for streamed text and returns plain values; the
interactive walk-through and the one-shot ``--no-input`` mode both stand on it.

Where an answer comes from, in order:
1. ``--offline`` or no LLM configured: the learner's cache (any model), then the
   course's offline pack.
2. Otherwise the cache for this exact model, prompt and settings (unless
   ``--no-cache`` or "regenerate"), then the LLM, whose complete answer is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import prompts
from .config import Settings
from .errors import LLMError, NoAnswerError
from .lessons import Course, Lesson, Theme, is_custom
from .llm import answer_key
from .pack import find_pack_answer
from .prompts import Message
from .store import Progress, Store, StoredAnswer

STEPS = ("intro", "theme", "answer", "takeaways", "quiz", "done")


@dataclass(frozen=True)
class Reply:
    """An answer and where it came from."""

    text: str
    origin: str  # llm | cache | pack
    label: str
    messages: tuple[Message, ...]
    answer_id: int | None = None
    model: str | None = None


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
        return Reply(
            text=stored.answer,
            origin=origin,
            label=f"replayed from your cache: {stored.model}, {_date(stored.created_at)}",
            messages=tuple(messages),
            answer_id=stored.id,
            model=stored.model,
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
        """The LLM provider, created on first use (this is when openai gets imported)."""
        if self._provider is None:
            assert self.settings is not None
            if self._provider_factory is not None:
                self._provider = self._provider_factory(self.settings)
            else:
                from .llm import OpenAIProvider

                self._provider = OpenAIProvider(self.settings)
        return self._provider

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
        """Answer a follow-up question in the lesson's context; stored like any answer."""
        history = [*base.messages, Message("assistant", base.text)]
        messages = prompts.render_followup(self.course, lesson, theme, question, history)
        return self._answer(
            messages, on_text, regenerate=False, kind="followup", lesson=lesson, theme=theme,
            on_start=on_start,
        )

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
            if stored is not None:
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
        return Reply(
            text=ans.text,
            origin="llm",
            label=f"answered by {ans.model} on {ans.host}",
            messages=tuple(messages),
            answer_id=answer_id,
            model=ans.model,
        )

    # -- progress ----------------------------------------------------------------------------

    def progress(self, lesson: Lesson) -> Progress:
        """The learner's progress in a lesson (a fresh record if never started)."""
        return self.store.progress(lesson.id) or Progress(lesson_id=lesson.id)

    def resume_point(self) -> Lesson | None:
        """Where `learn` picks up: the lesson left mid-way most recently, else the first
        lesson not yet done; None when the course is complete."""
        from .catalog import resume_id

        found = resume_id([x.id for x in self.course.lessons], self.store.all_progress())
        return self.course.get(found) if found else None


def grade(question: Any, choice: int) -> bool:
    """True when ``choice`` (0-based) is the right answer."""
    return int(choice) == question.answer_index
