"""Explain it back: grading a learner's own explanation of a lesson against its rubric.

Two graders, one result (``Grade``):

* ``grade_offline``, deterministic and cheap: an idea counts when the learner's text has
  a word from each of its keyword groups, a misconception when it has a word from each
  of its groups (and none of its ``unless`` phrases). Words match forgivingly: case does
  not matter, and a keyword of four letters or more matches any word it begins
  ("version" matches "versioning" and "versioned"); a shorter one matches itself or its
  plural. Keywords are words, never patterns, and the text is cut to a bounded size, so
  matching stays cheap whatever the learner (or a course file) throws at it.
* ``grade_llm``: the LLM grades against the same rubric and must quote, for every idea
  it credits, the learner's own words. An idea whose quote is not in the learner's text
  is not credited: that is what stops a grader marking a wrong answer right. A reply
  that is not the JSON asked for (not JSON, the wrong shape, unknown ids, too large),
  or no reply at all, falls back to ``grade_offline``, and ``Grade.note`` says so.

No rich, typer or openai here: the provider is passed in (``llm.OpenAIProvider`` or a
test's), and the feedback it returns is outside text, to be shown through ``clean()``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import LLMError, TemplateError
from .lessons import Course, ExplainSpec, Lesson

MAX_EXPLAIN_CHARS = 1500  # what is read of a learner's explanation (two or three sentences)
MAX_WORDS = 400  # words of it that are matched
MAX_WORD_CHARS = 40  # a longer "word" is cut there before matching
MAX_REPLY_CHARS = 8000  # a grading reply longer than this is refused
MAX_FEEDBACK_CHARS = 1200
MIN_QUOTE_WORDS = 3
SHORT_STEM = 4  # keywords shorter than this match only themselves (or a plural)

_WORD = re.compile(r"[^\W_]+")
_APOSTROPHES = str.maketrans("", "", "'’ʼ`")


@dataclass(frozen=True)
class Grade:
    """How an explanation did against the lesson's rubric."""

    credited: tuple[str, ...]  # idea ids found, in the rubric's order
    missing: tuple[str, ...]  # idea ids not found, in the rubric's order
    misconceptions: tuple[str, ...]  # misconception ids found
    ask: str | None  # the first missing idea's question
    source: str = "offline"  # offline | llm
    feedback: str = ""  # the LLM's own words (outside text: clean() it when shown)
    quotes: dict[str, str] = field(default_factory=dict)  # idea id -> the learner's words
    note: str | None = None  # one quiet line: why the LLM's grading was not used

    @property
    def complete(self) -> bool:
        """Every idea there and no misconception."""
        return not self.missing and not self.misconceptions

    def as_dict(self) -> dict[str, Any]:
        """The plain record kept in the learner's progress."""
        return {"credited": list(self.credited), "missing": list(self.missing),
                "misconceptions": list(self.misconceptions), "source": self.source}


# -- words -------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """The words of ``text``, lower case, apostrophes dropped ("isn't" -> "isnt"),
    hyphens and punctuation as breaks; bounded in number and length."""
    text = text[:MAX_EXPLAIN_CHARS * 2].casefold().translate(_APOSTROPHES)
    return [w[:MAX_WORD_CHARS] for w in _WORD.findall(text)[:MAX_WORDS]]


class _Index:
    """Where each word and each word's beginning occurs in a text, for O(1) lookups."""

    def __init__(self, text: str) -> None:
        self.words = words(text)
        self.at: dict[str, set[int]] = {}
        for i, w in enumerate(self.words):
            self.at.setdefault(w, set()).add(i)
            for n in range(SHORT_STEM, len(w)):  # every beginning a stem may name
                self.at.setdefault("^" + w[:n], set()).add(i)

    def positions(self, key: str) -> set[int]:
        """Where the keyword word ``key`` matches."""
        if len(key) >= SHORT_STEM:
            return self.at.get(key, set()) | self.at.get("^" + key, set())
        return self.at.get(key, set()) | self.at.get(key + "s", set())

    def has(self, keyword: str) -> bool:
        """True when the keyword (a word or a phrase of words) occurs in the text."""
        parts = words(keyword)
        if not parts:
            return False
        starts = self.positions(parts[0])
        if len(parts) == 1:
            return bool(starts)
        rest = [self.positions(p) for p in parts[1:]]
        return any(all(s + k + 1 in pos for k, pos in enumerate(rest)) for s in starts)

    def has_all(self, groups: tuple[tuple[str, ...], ...]) -> bool:
        """True when every group has at least one keyword in the text."""
        return all(any(self.has(k) for k in group) for group in groups)


def has_keywords(text: str, groups: tuple[tuple[str, ...], ...]) -> bool:
    """True when ``text`` has a keyword of every group, matched as the graders match
    (for other users of a rubric, such as the spaced review's idea cards)."""
    return _Index(bounded(text)).has_all(groups)


def bounded(text: str) -> str:
    """The part of a learner's text that is graded."""
    return text[:MAX_EXPLAIN_CHARS]


# -- the offline grader ------------------------------------------------------------------


def grade_offline(explain: ExplainSpec, text: str, *, note: str | None = None) -> Grade:
    """Which ideas and misconceptions the text shows, by the rubric's keywords."""
    index = _Index(bounded(text))
    credited = tuple(i.id for i in explain.ideas if index.has_all(i.keywords))
    missing = tuple(i.id for i in explain.ideas if i.id not in credited)
    wrong = tuple(m.id for m in explain.misconceptions
                  if index.has_all(m.keywords) and not any(index.has(u) for u in m.unless))
    return Grade(credited=credited, missing=missing, misconceptions=wrong,
                 ask=_ask(explain, missing), source="offline", note=note)


def _ask(explain: ExplainSpec, missing: tuple[str, ...]) -> str | None:
    for idea in explain.ideas:
        if idea.id in missing:
            return idea.ask
    return None


# -- the LLM grader ----------------------------------------------------------------------


class BadReply(ValueError):
    """A grading reply that cannot be used; the message says why, in a few words."""


def quote_found(quote: str, text: str) -> bool:
    """True when ``quote`` is the learner's own words: a run of at least three of them in
    ``text`` (case, spacing and punctuation aside), or the whole of a short text."""
    q, t = words(quote), words(bounded(text))
    if not q:
        return False
    if len(q) < MIN_QUOTE_WORDS:
        return q == t
    return f" {' '.join(q)} " in f" {' '.join(t)} "


def _json_text(reply: str) -> str:
    """The reply without a Markdown code fence around it, if it has one."""
    body = reply.strip()
    if body.startswith("```"):
        first, _, rest = body.partition("\n")
        if rest.rstrip().endswith("```"):
            return rest.rstrip()[:-3].strip()
    return body


def parse_reply(explain: ExplainSpec, text: str, reply: str) -> Grade:
    """The grade a reply gives, with only the ideas whose quotes are in ``text`` credited.

    Raises BadReply when the reply is not the JSON asked for.
    """
    if len(reply) > MAX_REPLY_CHARS:
        raise BadReply(f"the reply is over {MAX_REPLY_CHARS:,} characters")
    try:
        data = json.loads(_json_text(reply))
    except (ValueError, RecursionError):
        raise BadReply("the reply is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadReply("the reply is not a JSON object")
    ideas, wrong, feedback = data.get("ideas"), data.get("misconceptions"), data.get("feedback")
    if not isinstance(ideas, list) or not isinstance(wrong, list) or not isinstance(feedback,
                                                                                    str):
        raise BadReply("the reply lacks ideas, misconceptions or feedback")
    if len(ideas) > 2 * len(explain.ideas) or len(feedback) > MAX_FEEDBACK_CHARS:
        raise BadReply("the reply is too large")
    idea_ids = {i.id for i in explain.ideas}
    quotes: dict[str, str] = {}
    for item in ideas:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or \
                not isinstance(item.get("credited"), bool):
            raise BadReply("an idea in the reply is not {id, credited, quote}")
        if item["id"] not in idea_ids:
            raise BadReply(f"the reply names an unknown idea {item['id'][:40]!r}")
        quote = item.get("quote")
        if item["credited"] and isinstance(quote, str) and quote_found(quote, text):
            quotes.setdefault(item["id"], quote)
    known = {m.id for m in explain.misconceptions}
    if not all(isinstance(m, str) and m in known for m in wrong):
        raise BadReply("the reply names an unknown misconception")
    credited = tuple(i.id for i in explain.ideas if i.id in quotes)
    missing = tuple(i.id for i in explain.ideas if i.id not in quotes)
    flagged = tuple(m.id for m in explain.misconceptions if m.id in wrong)
    return Grade(credited=credited, missing=missing, misconceptions=flagged,
                 ask=_ask(explain, missing), source="llm", feedback=feedback.strip(),
                 quotes=quotes)


def grade_llm(provider: Any, course: Course, lesson: Lesson, text: str, *,
              language: str | None = None) -> Grade:
    """The LLM's grade of ``text``, checked; the offline grade when it cannot be used."""
    from . import prompts

    explain = lesson.explain
    assert explain is not None
    try:
        messages = prompts.render_grade(course, lesson, bounded(text), language=language)
    except TemplateError as exc:
        return grade_offline(explain, text, note=f"The grading prompt failed ({exc.detail}), "
                             "so the lesson's own rubric graded this.")
    try:
        answer = provider.stream(messages, lambda _piece: None)
    except LLMError as exc:
        return grade_offline(explain, text, note=f"The tutor could not grade this "
                             f"({exc.message}), so the lesson's own rubric did.")
    try:
        return parse_reply(explain, text, answer.text)
    except BadReply as exc:
        return grade_offline(explain, text, note=f"The tutor's grading reply could not be used "
                             f"({exc}), so the lesson's own rubric graded this.")


def merge(explain: ExplainSpec, first: Grade, second: Grade) -> Grade:
    """Two tries at one explanation: an idea counts when either try had it; the second
    try's misconceptions and feedback stand."""
    got = set(first.credited) | set(second.credited)
    missing = tuple(i.id for i in explain.ideas if i.id not in got)
    return Grade(credited=tuple(i.id for i in explain.ideas if i.id in got), missing=missing,
                 misconceptions=second.misconceptions, ask=_ask(explain, missing),
                 source=second.source, feedback=second.feedback,
                 quotes={**first.quotes, **second.quotes}, note=second.note)
