"""The review's use cases: what to record after a lesson, what to ask in a session, and
whether a reply is right. UI-agnostic, offline by design (no LLM is ever asked).

A session draws from every lesson the learner has finished: quiz questions (their
choices shuffled afresh), glossary terms to recall from their definitions, and the
explain-back ideas the learner missed. The schedule itself is review.py's; the items
live in the store.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from . import review
from .errors import ConfigError
from .lessons import Course, Lesson, prose
from .review import ReviewItem
from .store import Store
from .tutor import _aliases, choice_order

SESSION_SIZE = 10
KIND_NAMES = {"quiz": "quiz question", "term": "term", "idea": "idea"}
TYPO_RATIO = 0.84  # difflib ratio from which a typed term counts as the term (a typo)


@dataclass(frozen=True)
class Card:
    """One review question, ready to show: its item, lesson, and what counts as right."""

    item: ReviewItem
    lesson: Lesson
    kind: str  # quiz | term | idea
    prompt: str  # the question, the definition to name, or the idea's question
    choices: tuple[str, ...] = ()  # a quiz question's choices, in the order shown
    answer: str = ""  # the right choice, the term, or the idea in one sentence
    explanation: str = ""  # why (quiz), shown after answering
    accepted: tuple[str, ...] = ()  # a term's names, normalized
    keywords: tuple[tuple[str, ...], ...] = ()  # an idea's rubric, when the lesson has one

    @property
    def right_number(self) -> int:
        """The number (from 1) shown beside a quiz card's right choice."""
        return self.choices.index(self.answer) + 1 if self.answer in self.choices else 0


@dataclass(frozen=True)
class Verdict:
    """How a reply to a card went."""

    correct: bool
    close: bool = False  # right, with a typo forgiven
    valid: bool = True  # False: the reply was no answer at all (e.g. "7" of 3 choices)
    message: str = ""


def first_sentence(text: str, limit: int = 200) -> str:
    """The first sentence of ``text`` (about), for an item's "why" in the notes."""
    text = " ".join(prose(text).split())
    m = re.match(r"(.+?[.!?])(?:\s|$)", text)
    out = m.group(1) if m else text
    return out if len(out) <= limit else out[:limit - 1].rstrip() + "…"


def normalize(text: str) -> str:
    """A term as typed, compared forgivingly: case, spacing, hyphens and punctuation."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"[-_/]+", " ", text)
    text = re.sub(r"[^\w\s']", "", text)
    return " ".join(text.split())


def term_names(term: str) -> tuple[str, ...]:
    """Every name a glossary term answers to, normalized ('PSI' for
    'Population Stability Index (PSI)')."""
    return tuple(dict.fromkeys(n for n in (normalize(a) for a in _aliases(term)) if n))


def match_term(reply: str, accepted: Sequence[str]) -> tuple[bool, bool]:
    """(right, with a typo) for a typed term. Short names (up to four letters, like
    'PSI') must be exact; longer ones forgive a small typo (difflib ratio)."""
    typed = normalize(reply)
    if not typed:
        return False, False
    squeezed = typed.replace(" ", "")
    for name in accepted:
        if typed == name or squeezed == name.replace(" ", ""):
            return True, False
        # a plural or singular of the term is the term
        if typed.rstrip("s") == name.rstrip("s") and len(name) > 4:
            return True, False
    for name in accepted:
        if len(name) > 4 and difflib.SequenceMatcher(None, typed, name).ratio() >= TYPO_RATIO:
            return True, True
    return False, False


def blank_term(definition: str, names: Sequence[str]) -> str:
    """The definition with the term's own names blanked out, so it does not give the
    answer away."""
    out = prose(definition)
    for name in sorted(names, key=len, reverse=True):
        if len(name) < 3:
            continue
        words = r"[\s-]+".join(re.escape(w) for w in name.split())
        out = re.sub(rf"(?<!\w){words}(?:s|es)?(?!\w)", "_____", out, flags=re.IGNORECASE)
    return out


def idea_present(text: str, keywords: Sequence[Sequence[str]]) -> bool:
    """True when ``text`` has a word from every group of an explain-back idea's
    keywords, matched exactly as the explain-back grader matches them (so a review card
    and the lesson never disagree about the same words)."""
    from .grading import has_keywords

    groups = tuple(tuple(str(w) for w in group) for group in keywords)
    return bool(groups) and has_keywords(text, groups)


def _idea(lesson: Lesson, idea_id: str) -> object | None:
    explain = getattr(lesson, "explain", None)  # explain it back: lessons that have it
    for idea in getattr(explain, "ideas", None) or ():
        if getattr(idea, "id", None) == idea_id:
            return idea
    return None


def clock() -> datetime:
    """The review's clock (``review.now``); a ``MLOPS_PRIMER_CLOCK`` that is not a time is
    a setting to fix, said in one line."""
    try:
        return review.now()
    except ValueError:
        raise ConfigError(
            f"{review.CLOCK_ENV} is not a time",
            hint="set it to an ISO time such as 2026-03-01T09:00:00Z, or unset it",
        ) from None


class Reviewer:
    """Review for one course and one store: record what the learner met, build a
    session's cards, check replies, move items in the schedule."""

    def __init__(self, course: Course, store: Store, *,
                 clock: Callable[[], datetime] = clock,
                 seed: str = "") -> None:
        self.course = course
        self.store = store
        self.clock = clock
        self.seed = seed  # mixed into the choice order (the learner's id)

    # -- recording ------------------------------------------------------------------------

    def record_quiz(self, lesson: Lesson, index: int, correct: bool) -> None:
        """A quiz question answered in `learn`: right on the first try or not."""
        q = lesson.quiz[index]
        detail = "" if correct else first_sentence(q.explanation)
        self.store.record_review(lesson.id, "quiz", str(index), correct, now=self.clock(),
                                 detail=detail)

    def lesson_finished(self, lesson: Lesson) -> int:
        """The lesson is done: its glossary terms join the schedule (so even a quiz with
        no misses leaves something to come back to). Returns how many were new."""
        terms = [g.term for g in lesson.glossary]
        if not terms:
            return 0
        return self.store.schedule_review(lesson.id, "term", terms, now=self.clock())

    # -- what is due ----------------------------------------------------------------------

    def _finished(self) -> dict[str, Lesson]:
        progress = self.store.all_progress()
        return {x.id: x for x in self.course.lessons
                if x.id in progress and progress[x.id].done}

    def items(self) -> list[ReviewItem]:
        """Every scheduled item of a finished lesson this course has and can ask."""
        finished = self._finished()
        return [i for i in self.store.review_items()
                if i.lesson_id in finished and self.card(i, finished[i.lesson_id]) is not None]

    def due(self, limit: int | None = None) -> list[ReviewItem]:
        """What is due now, the learner's misses first."""
        return review.due(self.items(), self.clock(), limit)

    def next_due(self) -> str | None:
        """When the next item comes back, of those not due now (None: nothing later)."""
        stamp = review.iso(self.clock())
        return review.next_due(i for i in self.items() if i.due_at > stamp)

    def session(self, size: int = SESSION_SIZE) -> list[Card]:
        """A session: up to ``size`` due items, misses first, the kinds mixed (no two of
        a kind in a row while another kind is left)."""
        finished = self._finished()
        due = self.due()
        missed = [i for i in due if i.last_missed]
        rest = _mixed([i for i in due if not i.last_missed])
        chosen = (missed + rest)[:max(0, size)]
        cards = [self.card(i, finished[i.lesson_id]) for i in chosen]
        return [c for c in cards if c is not None]

    # -- cards ----------------------------------------------------------------------------

    def card(self, item: ReviewItem, lesson: Lesson) -> Card | None:
        """The question for ``item``; None when the lesson no longer has it."""
        if item.kind == "quiz":
            if not item.key.isdigit() or int(item.key) >= len(lesson.quiz):
                return None
            i = int(item.key)
            q = lesson.quiz[i]
            # a fresh order each time it comes back: the position of the right answer
            # is not what is remembered
            order = choice_order(f"{self.seed}:{lesson.id}:{i}:review:{item.due_at}:"
                                 f"{review.iso(self.clock())}", len(q.choices))
            return Card(item=item, lesson=lesson, kind="quiz", prompt=prose(q.question),
                        choices=tuple(q.choices[k] for k in order), answer=q.answer,
                        explanation=prose(q.explanation))
        if item.kind == "term":
            entry = next((g for g in lesson.glossary if g.term == item.key), None)
            if entry is None:
                return None
            names = term_names(entry.term)
            return Card(item=item, lesson=lesson, kind="term",
                        prompt=blank_term(entry.definition, _aliases(entry.term)),
                        answer=entry.term, accepted=names)
        if item.kind == "idea":
            idea = _idea(lesson, item.key)
            if idea is None:
                return None
            text = prose(str(getattr(idea, "text", "") or item.detail))
            ask = prose(str(getattr(idea, "ask", "") or getattr(idea, "prompt", "") or ""))
            keywords = tuple(tuple(str(w) for w in g)
                             for g in (getattr(idea, "keywords", None) or ()))
            if not (ask or text):
                return None
            return Card(item=item, lesson=lesson, kind="idea",
                        prompt=ask or "In your own words, what is the idea you missed here?",
                        answer=text, keywords=keywords)
        return None

    def check(self, card: Card, reply: str) -> Verdict:
        """Whether ``reply`` answers ``card``."""
        reply = reply.strip()
        if card.kind == "quiz":
            n = len(card.choices)
            if not reply.isdecimal() or not 1 <= int(reply) <= n:
                return Verdict(False, valid=False,
                               message=f"Please type a number from 1 to {n}.")
            return Verdict(card.choices[int(reply) - 1] == card.answer)
        if card.kind == "term":
            if not normalize(reply):
                return Verdict(False, valid=False, message="Type the term (or skip).")
            right, close = match_term(reply, card.accepted)
            return Verdict(right, close=close)
        if not reply:
            return Verdict(False, valid=False, message="Write a sentence or two (or skip).")
        if card.keywords:
            return Verdict(idea_present(reply, card.keywords))
        return Verdict(False, valid=False, message="")  # no rubric: the learner judges

    def answer(self, card: Card, correct: bool) -> ReviewItem:
        """Move the card's item in the schedule; returns it as it now stands."""
        item = card.item
        detail = item.detail
        if not correct and card.kind == "quiz" and not detail:
            detail = first_sentence(card.explanation)
        self.store.record_review(item.lesson_id, item.kind, item.key, correct,
                                 now=self.clock(), detail=detail)
        moved = next((i for i in self.store.review_items(item.lesson_id)
                      if i.kind == item.kind and i.key == item.key), None)
        return moved or review.after(item, correct, self.clock())


def _mixed(items: list[ReviewItem]) -> list[ReviewItem]:
    """``items`` reordered so the kinds alternate, each kind keeping its own order."""
    queues: dict[str, list[ReviewItem]] = {}
    for i in items:
        queues.setdefault(i.kind, []).append(i)
    out: list[ReviewItem] = []
    while any(queues.values()):
        for kind in list(queues):
            if queues[kind]:
                out.append(queues[kind].pop(0))
    return out


def when(due_at: str, now: datetime) -> str:
    """A due time in words: 'now', 'tomorrow', 'in 3 days', 'in 5 hours'."""
    delta = review.parse_time(due_at) - now
    seconds = delta.total_seconds()
    if seconds <= 0:
        return "now"
    days = round(seconds / 86400)
    if seconds < 20 * 3600:
        hours = max(1, round(seconds / 3600))
        return f"in {hours} hour{'s' if hours != 1 else ''}"
    if days <= 1:
        return "tomorrow"
    return f"in {days} days"
