"""Spaced review: when each thing a learner met comes back, and in what order.

Pure scheduling, so it can be tested with a clock handed in: items and a time in, items
out. No SQLite here (the store keeps the items, see ``review_table.py``) and no terminal.

The schedule is a Leitner system: five boxes, an item in box *n* comes back after
``BOX_DAYS[n - 1]`` days; a right answer moves it one box on, a miss sends it back to
box 1. Retrieving something again just as it starts to fade is what makes it stick
(spaced practice and practice testing, Dunlosky et al. 2013).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

BOX_DAYS = (1, 3, 7, 14, 30)  # Leitner boxes 1..5: days until the item comes back

KINDS = ("quiz", "term", "idea")
CLOCK_ENV = "MLOPS_PRIMER_CLOCK"


@dataclass(frozen=True)
class ReviewItem:
    """One thing to retrieve again, and where it stands in the schedule."""

    lesson_id: str
    kind: str  # "quiz" (key = question index), "term" (key = glossary term), "idea"
    key: str
    box: int  # 1..5
    due_at: str  # ISO 8601 UTC, to the second, like store.now_iso()
    misses: int  # how many times it was missed in all
    last_missed: bool  # the last answer to it was wrong
    detail: str  # short text for the notes ("why"), may be ""


def now() -> datetime:
    """The current time, aware and in UTC.

    ``MLOPS_PRIMER_CLOCK`` (an ISO timestamp) stands in for the real clock, so tests and
    a curious learner can see what is due tomorrow without waiting for it.
    """
    fixed = os.environ.get(CLOCK_ENV, "").strip()
    if fixed:
        return parse_time(fixed)
    return datetime.now(timezone.utc).replace(microsecond=0)


def parse_time(text: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (a naive one is taken as UTC).

    Raises ValueError for text that is not a timestamp.
    """
    text = text.strip()
    if text.endswith(("Z", "z")):  # Python 3.10's fromisoformat does not read "Z"
        text = text[:-1] + "+00:00"
    stamp = datetime.fromisoformat(text)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.astimezone(timezone.utc)


def iso(moment: datetime) -> str:
    """A datetime as the store writes times: UTC, to the second, ISO 8601.

    One format for every stored time, so comparing the strings compares the times.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def due_after(box: int, moment: datetime) -> str:
    """When an item put in ``box`` at ``moment`` comes back."""
    box = min(max(box, 1), len(BOX_DAYS))
    return iso(moment + timedelta(days=BOX_DAYS[box - 1]))


def first(lesson_id: str, kind: str, key: str, correct: bool | None, now: datetime,
          detail: str = "") -> ReviewItem:
    """A new item. Right the first time starts in box 2 (it was retrieved once already);
    a miss, or an item only met and not yet asked (``correct=None``), starts in box 1."""
    box = 2 if correct else 1
    missed = correct is False
    return ReviewItem(lesson_id=lesson_id, kind=kind, key=key, box=box,
                      due_at=due_after(box, now), misses=int(missed), last_missed=missed,
                      detail=detail)


def after(item: ReviewItem, correct: bool, now: datetime) -> ReviewItem:
    """The item once answered at ``now``: right moves it one box on (box 5 stays box 5),
    a miss sends it back to box 1, due again in a day."""
    if correct:
        box = min(item.box + 1, len(BOX_DAYS))
        return replace(item, box=box, due_at=due_after(box, now), last_missed=False)
    return replace(item, box=1, due_at=due_after(1, now), misses=item.misses + 1,
                   last_missed=True)


def _order(item: ReviewItem) -> tuple[object, ...]:
    # the learner's own misses first (the last answer wrong, then the most missed), then
    # the longest overdue; kind and key only make the order stable
    return (not item.last_missed, -item.misses, item.due_at, item.lesson_id,
            KINDS.index(item.kind) if item.kind in KINDS else len(KINDS), _key_order(item.key))


def _key_order(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (1 << 30, key.lower())


def due(items: Iterable[ReviewItem], now: datetime,
        limit: int | None = None) -> list[ReviewItem]:
    """The items due at ``now``, missed ones first, at most ``limit`` of them."""
    stamp = iso(now)
    out = sorted((i for i in items if i.due_at <= stamp), key=_order)
    return out if limit is None else out[:max(0, limit)]


def next_due(items: Iterable[ReviewItem]) -> str | None:
    """When the soonest item comes back (None when nothing is scheduled)."""
    return min((i.due_at for i in items), default=None)


def scheduled(items: Iterable[ReviewItem]) -> list[ReviewItem]:
    """Every item, soonest first (for `review --all`)."""
    return sorted(items, key=lambda i: (i.due_at, i.lesson_id, KINDS.index(i.kind)
                                        if i.kind in KINDS else len(KINDS), _key_order(i.key)))
