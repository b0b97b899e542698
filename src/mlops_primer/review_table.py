"""The store's ``review`` table: the SQL behind ``Store.record_review`` and
``Store.review_items``.

Kept apart from store.py (which holds opening, migrations and the older tables) so
each table's SQL reads on its own; the scheduling rules are in review.py, pure.
Every function takes an open connection; the caller holds the transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from . import review
from .review import ReviewItem

_COLUMNS = "lesson_id, kind, key, box, due_at, misses, last_missed, detail"


def _row(row: sqlite3.Row | tuple) -> ReviewItem:
    lesson_id, kind, key, box, due_at, misses, last_missed, detail = tuple(row)
    return ReviewItem(lesson_id=lesson_id, kind=kind, key=key, box=int(box), due_at=due_at,
                      misses=int(misses), last_missed=bool(last_missed), detail=detail or "")


def _check(kind: str, key: str) -> None:
    if kind not in review.KINDS:
        raise ValueError(f"unknown review kind {kind!r} (one of {', '.join(review.KINDS)})")
    if not key:
        raise ValueError("a review item needs a key")


def get(db: sqlite3.Connection, lesson_id: str, kind: str, key: str) -> ReviewItem | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM review WHERE lesson_id = ? AND kind = ? "
                     "AND key = ?", (lesson_id, kind, key)).fetchone()
    return _row(row) if row else None


def _put(db: sqlite3.Connection, item: ReviewItem, now: datetime) -> None:
    db.execute(
        f"""INSERT INTO review ({_COLUMNS}, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (lesson_id, kind, key) DO UPDATE SET box = excluded.box,
                due_at = excluded.due_at, misses = excluded.misses,
                last_missed = excluded.last_missed, detail = excluded.detail,
                updated_at = excluded.updated_at""",
        (item.lesson_id, item.kind, item.key, item.box, item.due_at, item.misses,
         int(item.last_missed), item.detail, review.iso(now)),
    )


def record(db: sqlite3.Connection, lesson_id: str, kind: str, key: str, correct: bool, *,
           now: datetime, detail: str = "") -> ReviewItem:
    """Create or move one item after an answer; returns it as stored."""
    _check(kind, key)
    old = get(db, lesson_id, kind, key)
    if old is None:
        item = review.first(lesson_id, kind, key, correct, now, detail)
    else:
        item = review.after(old, correct, now)
        if detail and detail != item.detail:
            item = replace(item, detail=detail)
    _put(db, item, now)
    return item


def schedule(db: sqlite3.Connection, lesson_id: str, kind: str, keys: Sequence[str], *,
             now: datetime) -> int:
    """Add items not yet asked (box 1, due in a day); existing ones are left alone."""
    new = 0
    for key in keys:
        _check(kind, key)
        item = review.first(lesson_id, kind, key, None, now)
        cur = db.execute(
            f"INSERT OR IGNORE INTO review ({_COLUMNS}, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (item.lesson_id, item.kind, item.key, item.box, item.due_at, 0, 0, "",
             review.iso(now)),
        )
        new += cur.rowcount
    return new


def items(db: sqlite3.Connection, lesson_id: str | None = None) -> list[ReviewItem]:
    """Every item (or one lesson's), soonest due first."""
    sql = f"SELECT {_COLUMNS} FROM review"
    params: tuple[str, ...] = ()
    if lesson_id is not None:
        sql += " WHERE lesson_id = ?"
        params = (lesson_id,)
    return [_row(r) for r in db.execute(sql + " ORDER BY due_at, lesson_id, kind, key", params)]
