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

import difflib
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import prompts
from .config import Settings
from .errors import ContextExceededError, LLMError, NoAnswerError
from .lessons import Course, Lesson, Theme, is_custom
from .llm import answer_key
from .pack import find_pack_answer
from .prompts import Message
from .store import Progress, Store, StoredAnswer

STEPS = ("intro", "theme", "answer", "explain", "takeaways", "quiz", "lab", "done")
CHARS_PER_TOKEN = 4  # the usual estimate for English text when the server gives no count
MESSAGE_TOKENS = 4  # what each chat message costs beyond its text (role, separators)
SHORTENED_NOTE = "(This earlier answer is shortened to fit the context window.)"
TRUNCATED_MARK = "it stopped at the length limit"
OFFLINE_NOTICE = ("Offline: ready-made explanations. Add an LLM any time: "
                  "`mlops-primer doctor`")  # quoted: the CLI names it as the learner ran it
LEARNER_FILE = "learner-id"
LANGUAGE_NOTICE = "Offline answers are in English; --language applies when an LLM is configured."


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
        self._learner_id: str | None = None
        #: the language the LLM answers in (None: English, the course's own)
        self.language = settings.language if settings is not None else None
        self._language_said = False

    # -- notices -------------------------------------------------------------------------

    def offline_notice(self) -> str | None:
        """Why answers are replayed, when they are and the learner did not ask for it."""
        if self.settings is not None and not self.settings.configured:
            return OFFLINE_NOTICE
        return None

    def language_notice(self) -> str | None:
        """Once per session: with a language set and answers replayed, that they are in
        English (the pack is written in English; only an LLM answers in the language)."""
        if self.language and self.offline and not self._language_said:
            self._language_said = True
            return LANGUAGE_NOTICE
        return None

    # -- the learner's quiz order ---------------------------------------------------------

    def learner_id(self) -> str:
        """A random id for this learner, made once and kept beside the store.

        It seeds the order of quiz choices, so two learners see different orders while
        one learner sees the same order again when a quiz is resumed.
        """
        if self._learner_id is None:
            self._learner_id = learner_id(self.store.path.parent)
        return self._learner_id

    def choice_order(self, lesson: Lesson, question: int, attempt: int) -> list[int]:
        """The order to show a question's choices in (positions in ``choices``)."""
        n = len(lesson.quiz[question].choices)
        return choice_order(f"{self.learner_id()}:{lesson.id}:{question}:{attempt}", n)

    def ready_offline(self, lesson: Lesson, theme: Theme) -> bool:
        """True when an explanation in this world can be shown with no LLM."""
        return self.replay(lesson, theme, self.messages(lesson, theme)) is not None

    # -- answers ---------------------------------------------------------------------------

    def messages(self, lesson: Lesson, theme: Theme) -> list[Message]:
        """The rendered prompt for this lesson and theme, in the learner's language."""
        return prompts.render(self.course, lesson, theme, language=self.language)

    def replay(self, lesson: Lesson, theme: Theme, messages: list[Message]) -> Reply | None:
        """An answer with no network: the learner's cache (any model), then the course pack.

        With a language set, the lesson's prompt in that language is tried first (an
        answer an LLM gave in it), then the English prompt, whose answers the pack holds.
        """
        found = self._replay(lesson, theme, messages)
        if found is None and self.language and list(messages) == self.messages(lesson, theme):
            found = self._replay(lesson, theme, prompts.render(self.course, lesson, theme))
        return found

    def _replay(self, lesson: Lesson, theme: Theme, messages: list[Message]) -> Reply | None:
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
        asked = prompts.render_followup(self.course, lesson, theme, question, [],
                                        language=self.language)[-1]
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
        from .catalog import resume_id

        found = resume_id([x.id for x in self.course.lessons], self.store.all_progress())
        return self.course.get(found) if found else None


def grade(question: Any, choice: int) -> bool:
    """True when ``choice`` (0-based) is the right answer."""
    return int(choice) == question.answer_index


def learner_id(folder: Path) -> str:
    """The learner id kept in ``folder`` (created at random on first use).

    Written to a temporary file and renamed, so two processes starting at once never
    read half an id; if the folder cannot be written, a fixed id keeps the course going.
    """
    path = folder / LEARNER_FILE
    try:
        text = path.read_text(encoding="utf-8").strip()
        if re.fullmatch(r"[0-9a-f]{32}", text):
            return text
    except OSError:
        pass
    import secrets
    import tempfile

    new = secrets.token_hex(16)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".learner-")
        with open(fd, "w", encoding="utf-8") as f:
            f.write(new + "\n")
        Path(tmp).replace(path)
    except OSError:
        return "0" * 32
    return new


def choice_order(seed: str, n: int) -> list[int]:
    """``range(n)`` shuffled by a generator seeded with ``seed`` (the same seed, the same
    order, on every machine and Python version that keeps `random`'s string seeding)."""
    import random  # only the quiz needs it

    order = list(range(n))
    random.Random(seed).shuffle(order)
    return order


# words a learner may type at the world prompt that are no world (commands, answers)
_NOT_WORLDS = frozenset({
    "help", "menu", "m", "next", "n", "y", "yes", "no", "ok", "okay", "clear", "cls", "ls",
    "exit", "stop", "start", "continue", "enter", "return", "r", "p", "g", "a", "s", "b",
    "x", "none", "nothing", "idk", "?", "world", "theme", "own", "my own", "custom",
})


@dataclass(frozen=True)
class NotAWorld:
    """Why a reply at the world prompt is not taken as a world, and the closest world."""

    reason: str  # command | typo | short
    suggestion: Theme | None = None


def world_problem(lesson: Lesson, text: str) -> NotAWorld | None:
    """Why ``text`` typed at the world prompt is not a world, or None when it may be one.

    A world of the learner's own is a few words ("a bakery", "chess", "F1 racing"); a
    command word, a near miss of a suggested world, or one token that mixes letters with
    digits or has no letters ("clear3", "2b", "??") is not, and is never saved as one.
    """
    raw = " ".join(text.split())
    low = raw.lower()
    names = {t.id: t for t in lesson.themes} | {t.label.lower(): t for t in lesson.themes}
    if low in names:
        return None
    close = difflib.get_close_matches(low, list(names), n=1, cutoff=0.8)
    if close:
        return NotAWorld("typo", names[close[0]])
    if low in _NOT_WORLDS:
        return NotAWorld("command")
    if " " not in low:
        letters = sum(c.isalpha() for c in low)
        if letters == 0 or (letters < len(low) and any(c.isdigit() for c in low)):
            return NotAWorld("typo")
        if letters < 3:
            return NotAWorld("short")
    return None


# -- offline follow-ups: the lesson's own glossary and points -----------------------------

_STOP = frozenset({"the", "and", "for", "with", "what", "why", "how", "does", "is", "are",
                   "of", "a", "an", "to", "in", "on", "it", "do", "i", "me", "my", "can"})


def _aliases(term: str) -> list[str]:
    """The names a glossary term goes by: 'Population Stability Index (PSI)' is also
    'Population Stability Index' and 'PSI'."""
    names = [term]
    inner = re.findall(r"\(([^)]*)\)", term)
    outer = " ".join(re.sub(r"\([^)]*\)", " ", term).split())
    if inner:
        names.append(outer)
        names += [i.strip() for i in inner if i.strip()]
    return [n.lower() for n in names if n]


def _mentions(text: str, name: str) -> bool:
    """True when ``name`` occurs in ``text`` as whole words (a plural 's' allowed)."""
    pattern = r"(?<![\w.])" + re.escape(name) + r"(?:s|es)?(?!\w)"
    return re.search(pattern, text) is not None


def lookup(lesson: Lesson, question: str) -> list[tuple[str, str]]:
    """What the lesson itself says about a question: (term, definition) from its glossary
    for each term the question names, then the lesson point that names the first of them.

    A term is found by any of its names; failing that, by its main words (so "what is
    drift?" finds every kind of drift). At most three terms and one point.
    """
    q = " ".join(question.lower().split())
    found = [g for g in lesson.glossary if any(_mentions(q, a) for a in _aliases(g.term))]
    if not found:
        words = {w.rstrip("s") for w in re.findall(r"[a-z][a-z0-9-]+", q)} - _STOP
        found = [g for g in lesson.glossary
                 if any(w.rstrip("s") in words for w in re.findall(r"[a-z][a-z0-9-]+",
                                                                   g.term.lower())
                        if len(w) > 3 and w not in _STOP)]
    out = [(g.term, g.definition) for g in found[:3]]
    if found:
        names = _aliases(found[0].term)
        for point in lesson.points:
            plain = " ".join(point.replace("**", "").lower().split())
            if any(_mentions(plain, n) for n in names):
                out.append(("", point))
                break
    return out
