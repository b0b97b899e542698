"""Spaced review: the Leitner schedule with a clock handed in, and the store's table.

The scheduling is pure (review.py), so most of it is tested with fixed datetimes; the
store side runs on a real SQLite file, blank and old.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mlops_primer import review
from mlops_primer.review import BOX_DAYS, ReviewItem, after, due
from mlops_primer.store import MIGRATIONS, Progress, Store, _m001_answers, _m002_progress

T0 = datetime(2026, 3, 1, 9, 0, 0, tzinfo=timezone.utc)


def item(box: int = 1, *, due_at: datetime = T0, misses: int = 0, last_missed: bool = False,
         key: str = "0", kind: str = "quiz", lesson: str = "lifecycle") -> ReviewItem:
    return ReviewItem(lesson_id=lesson, kind=kind, key=key, box=box, due_at=review.iso(due_at),
                      misses=misses, last_missed=last_missed, detail="")


# -- the pure schedule --------------------------------------------------------------------


def test_boxes_are_one_three_seven_fourteen_thirty_days() -> None:
    assert BOX_DAYS == (1, 3, 7, 14, 30)
    it = item(1)
    seen = []
    for _ in range(6):  # five right answers climb the boxes; a sixth stays in box 5
        it = after(it, True, T0)
        seen.append((it.box, review.parse_time(it.due_at) - T0))
    assert seen == [(2, timedelta(days=3)), (3, timedelta(days=7)), (4, timedelta(days=14)),
                    (5, timedelta(days=30)), (5, timedelta(days=30)), (5, timedelta(days=30))]
    assert not it.last_missed and it.misses == 0


@pytest.mark.parametrize("box", [1, 2, 3, 4, 5])
def test_a_miss_goes_back_to_box_one_due_in_a_day(box: int) -> None:
    it = after(item(box, misses=2), False, T0)
    assert (it.box, it.misses, it.last_missed) == (1, 3, True)
    assert it.due_at == review.iso(T0 + timedelta(days=1))
    again = after(it, True, T0 + timedelta(days=1))
    assert (again.box, again.misses, again.last_missed) == (2, 3, False)


def test_a_new_item_starts_in_box_two_when_right_and_box_one_when_missed() -> None:
    right = review.first("lifecycle", "quiz", "0", True, T0)
    wrong = review.first("lifecycle", "quiz", "1", False, T0, "Because.")
    met = review.first("lifecycle", "term", "model", None, T0)
    assert (right.box, right.due_at, right.misses) == (2, review.iso(T0 + timedelta(3)), 0)
    assert (wrong.box, wrong.due_at, wrong.misses, wrong.last_missed, wrong.detail) == (
        1, review.iso(T0 + timedelta(1)), 1, True, "Because.")
    assert (met.box, met.misses, met.last_missed) == (1, 0, False)


def test_due_lists_what_is_due_missed_first_and_honours_the_limit() -> None:
    items = [
        item(2, due_at=T0 - timedelta(days=2), key="0"),  # long overdue, never missed
        item(1, due_at=T0, key="1", misses=1, last_missed=True),
        item(1, due_at=T0 + timedelta(seconds=1), key="2", last_missed=True),  # not yet
        item(1, due_at=T0 - timedelta(hours=1), key="3", misses=3, last_missed=True),
        item(1, due_at=T0 - timedelta(hours=5), key="model", kind="term"),
    ]
    assert [i.key for i in due(items, T0)] == ["3", "1", "0", "model"]
    assert [i.key for i in due(items, T0, limit=2)] == ["3", "1"]
    assert due(items, T0 - timedelta(days=3)) == []
    assert [i.key for i in due(items, T0 + timedelta(seconds=1))][:3] == ["3", "1", "2"]
    assert review.next_due(items) == review.iso(T0 - timedelta(days=2))
    assert review.next_due([]) is None


def test_now_honours_the_injected_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_PRIMER_CLOCK", "2026-03-01T09:00:00Z")
    assert review.now() == T0
    monkeypatch.setenv("MLOPS_PRIMER_CLOCK", "2026-03-01T10:00:00+01:00")
    assert review.now() == T0 and review.now().tzinfo is not None
    monkeypatch.delenv("MLOPS_PRIMER_CLOCK")
    real = review.now()
    assert real.tzinfo is not None
    assert abs(real - datetime.now(timezone.utc)) < timedelta(minutes=5)
    with pytest.raises(ValueError):
        review.parse_time("next tuesday")


# -- the store ----------------------------------------------------------------------------


def test_the_store_records_and_moves_items(tmp_path: Path) -> None:
    with Store(tmp_path / "primer.db") as store:
        assert store.review_items() == []
        store.record_review("lifecycle", "quiz", "1", False, now=T0, detail="Because data.")
        store.record_review("lifecycle", "quiz", "0", True, now=T0)
        (q0, q1) = sorted(store.review_items("lifecycle"), key=lambda i: i.key)
        assert (q0.box, q1.box, q1.misses, q1.last_missed, q1.detail) == (
            2, 1, 1, True, "Because data.")
        day = T0 + timedelta(days=1)
        assert store.count_due(review.iso(day)) == 0  # the lesson is not finished yet
        store.save_progress(Progress(lesson_id="lifecycle", step="done",
                                     completed_at="2026-03-01T09:00:00+00:00"))
        assert store.count_due(review.iso(day)) == 1
        assert store.count_due(review.iso(day), ["lifecycle", "drift"]) == 1
        assert store.count_due(review.iso(day), ["drift"]) == 0
        assert store.count_due(review.iso(T0)) == 0
        assert [i.key for i in due(store.review_items(), day)] == ["1"]
        store.record_review("lifecycle", "quiz", "1", True, now=day)  # detail kept
        q1 = next(i for i in store.review_items() if i.key == "1")
        assert (q1.box, q1.misses, q1.last_missed, q1.detail) == (2, 1, False, "Because data.")
        assert q1.due_at == review.iso(day + timedelta(days=3))
        # terms met in a finished lesson: scheduled once, never reset by scheduling again
        assert store.schedule_review("lifecycle", "term", ["model", "drift"], now=T0) == 2
        store.record_review("lifecycle", "term", "drift", True, now=day)
        assert store.schedule_review("lifecycle", "term", ["model", "drift"], now=day) == 0
        terms = {i.key: i for i in store.review_items() if i.kind == "term"}
        assert (terms["model"].box, terms["drift"].box) == (1, 2)
        assert store.review_items("other") == []
        assert store.next_review_at() == review.iso(T0 + timedelta(days=1))
        with pytest.raises(ValueError, match="kind"):
            store.record_review("lifecycle", "puzzle", "0", True, now=T0)


def test_a_blank_store_gains_the_review_table(tmp_path: Path) -> None:
    path = tmp_path / "primer.db"
    with Store(path) as store:
        assert store.migrations()[-1] == "m_review"
        assert MIGRATIONS[-1].__name__ == "_m_review"
    db = sqlite3.connect(path)
    cols = [r[1] for r in db.execute("PRAGMA table_info(review)")]
    assert cols == ["lesson_id", "kind", "key", "box", "due_at", "misses", "last_missed",
                    "detail", "updated_at"]
    pk = [r[1] for r in sorted(db.execute("PRAGMA table_info(review)"), key=lambda r: r[5])
          if r[5]]
    assert pk == ["lesson_id", "kind", "key"]


def test_an_old_store_is_migrated_and_keeps_its_progress(tmp_path: Path) -> None:
    path = tmp_path / "primer.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    _m001_answers(db)
    _m002_progress(db)
    for name in ("m001_answers", "m002_progress"):
        db.execute("INSERT INTO _migrations VALUES (?, '2025-01-01T00:00:00+00:00')", (name,))
    db.execute("INSERT INTO progress (lesson_id, step, started_at, updated_at, completed_at) "
               "VALUES ('lifecycle', 'done', 'x', 'x', '2025-01-02T00:00:00+00:00')")
    db.close()
    with Store(path) as store:
        assert store.notice is None
        assert "m_review" in store.migrations()
        assert store.progress("lifecycle").done
        store.record_review("lifecycle", "quiz", "0", False, now=T0)
        assert len(store.review_items()) == 1


def test_a_read_only_look_at_a_store_without_the_table_sees_no_items(tmp_path: Path) -> None:
    path = tmp_path / "primer.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    _m001_answers(db)
    db.execute("INSERT INTO _migrations VALUES ('m001_answers', 'x')")
    db.close()
    with Store(path, readonly=True) as store:
        assert store.review_items() == [] and store.count_due(review.iso(T0)) == 0
        assert store.next_review_at() is None
