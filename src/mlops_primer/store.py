"""The learner's store: one SQLite file holding answers and progress.

Durability comes from SQLite itself: WAL journaling, one short transaction per write,
and a busy timeout so two ``learn`` processes can share the file. An answer row is
written only once the stream has ended with a finish reason, in a single INSERT, so
a crash can lose an answer but never leave half of one. A file that is not a
database is moved aside (never deleted) and a fresh store started.

The schema evolves through ``MIGRATIONS``: small named functions, each run once and
recorded in the ``_migrations`` table, in order. A store that records a migration this
code does not know was made by a newer mlops-primer: it is refused, for reading and
writing alike, and left exactly as it is.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .errors import StoreError

if TYPE_CHECKING:
    from .review import ReviewItem

SQLITE_MAGIC = b"SQLite format 3\x00"


class StoreRefused(StoreError):
    """The store exists but must not be used as it is: made by a newer mlops-primer, or
    unreadable where it cannot be moved aside (a read-only open)."""


def _m001_answers(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE answers (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            messages_hash TEXT NOT NULL,
            content_hash TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL DEFAULT 'lesson',
            lesson_id TEXT,
            theme_id TEXT,
            theme_label TEXT,
            messages TEXT NOT NULL,
            answer TEXT NOT NULL,
            model TEXT NOT NULL,
            host TEXT,
            source TEXT NOT NULL DEFAULT 'llm',
            finish_reason TEXT NOT NULL,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            latency_ms INTEGER,
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX answers_key ON answers (key, created_at)")
    db.execute("CREATE INDEX answers_messages ON answers (messages_hash, created_at)")


def _m002_progress(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE progress (
            lesson_id TEXT PRIMARY KEY,
            theme_id TEXT,
            theme_label TEXT,
            step TEXT NOT NULL DEFAULT 'intro',
            quiz_answers TEXT NOT NULL DEFAULT '{}',
            quiz_score INTEGER,
            quiz_total INTEGER,
            answer_id INTEGER,
            seconds_spent INTEGER NOT NULL DEFAULT 0,
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            completed_at TEXT
        )
        """
    )


def _m_labs(db: sqlite3.Connection) -> None:
    db.execute(
        """
        CREATE TABLE labs (
            lesson_id TEXT PRIMARY KEY,
            workspace TEXT NOT NULL,
            seed INTEGER NOT NULL,
            state TEXT NOT NULL DEFAULT 'started',
            checks INTEGER NOT NULL DEFAULT 0,
            failures INTEGER NOT NULL DEFAULT 0,
            hints INTEGER NOT NULL DEFAULT 0,
            findings TEXT NOT NULL DEFAULT '[]',
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            passed_at TEXT
        )
        """
    )


def _m_answers_truncated(db: sqlite3.Connection) -> None:
    """Mark answers that stopped at the length limit, so they are never taken as whole."""
    db.execute("ALTER TABLE answers ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE answers SET truncated = 1 WHERE finish_reason = 'length'")


def _m_worlds_read(db: sqlite3.Connection) -> None:
    """The metaphor worlds a learner has read an explanation in, per lesson (the world
    menu marks them). Additive: older stores gain an empty table."""
    db.execute(
        """
        CREATE TABLE worlds_read (
            lesson_id TEXT NOT NULL,
            theme_id TEXT NOT NULL,
            theme_label TEXT,
            read_at TEXT NOT NULL,
            PRIMARY KEY (lesson_id, theme_id)
        )
        """
    )


def _m_answers_by_date(db: sqlite3.Connection) -> None:
    """`cache list` shows the newest answers first, a page at a time: without this index
    SQLite reads every row (answers and all) to sort them by date."""
    db.execute("CREATE INDEX answers_created ON answers (created_at)")


def _m_review(db: sqlite3.Connection) -> None:
    """Spaced review: one row per thing to retrieve again (a quiz question, a glossary
    term, an explain-back idea), with its Leitner box and when it is due. Additive."""
    db.execute(
        """
        CREATE TABLE review (
            lesson_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            box INTEGER NOT NULL DEFAULT 1,
            due_at TEXT NOT NULL,
            misses INTEGER NOT NULL DEFAULT 0,
            last_missed INTEGER NOT NULL DEFAULT 0,
            detail TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL,
            PRIMARY KEY (lesson_id, kind, key)
        )
        """
    )
    db.execute("CREATE INDEX review_due ON review (due_at)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _m001_answers, _m002_progress, _m_labs, _m_answers_truncated, _m_worlds_read,
    _m_answers_by_date, _m_review,
]


def now_iso() -> str:
    """The current UTC time, to the second, in ISO 8601."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class StoredAnswer(NamedTuple):
    """An answer as kept in the store: a row, read-only, compared by value.

    A NamedTuple rather than a frozen dataclass, and ``Progress`` a dataclass without
    ``__eq__``/``__repr__``: `lessons` imports this module to read progress, and
    generating those methods cost about 2 ms of its start-up (benchmarks/startup.py).
    """

    id: int
    key: str
    messages_hash: str
    kind: str
    lesson_id: str | None
    theme_id: str | None
    theme_label: str | None
    messages: list[dict[str, str]]
    answer: str
    model: str
    host: str | None
    source: str
    finish_reason: str
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_ms: int | None
    created_at: str
    truncated: bool = False  # it stopped at the length limit (finish reason "length")

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> StoredAnswer:
        data = dict(row)
        data.pop("content_hash", None)
        data["messages"] = json.loads(data["messages"])
        data["truncated"] = bool(data.get("truncated"))
        return cls(**data)


class AnswerSummary(NamedTuple):
    """One line of `cache list`: the columns it shows, not the prompt or the whole answer."""

    id: int
    kind: str
    lesson_id: str | None
    theme_id: str | None
    theme_label: str | None
    model: str
    host: str | None
    source: str
    created_at: str
    words: int
    latency_ms: int | None


@dataclass(eq=False, repr=False)
class Progress:
    """Where a learner is in one lesson."""

    lesson_id: str
    theme_id: str | None = None
    theme_label: str | None = None
    step: str = "intro"
    quiz_answers: dict[str, Any] = field(default_factory=dict)
    quiz_score: int | None = None
    quiz_total: int | None = None
    answer_id: int | None = None
    seconds_spent: int = 0
    started_at: str = ""
    updated_at: str = ""
    completed_at: str | None = None

    @property
    def done(self) -> bool:
        """True once the lesson was completed."""
        return self.completed_at is not None


@dataclass(eq=False, repr=False)
class LabState:
    """A learner's lab: where its folder is, and how the checks went."""

    lesson_id: str
    workspace: str
    seed: int
    state: str = "started"  # 'started' or 'passed' (a pass stays a pass)
    checks: int = 0  # `lab check` runs
    failures: int = 0  # runs with a failed check
    hints: int = 0  # hints shown
    findings: list[dict[str, Any]] = field(default_factory=list)  # of the last run
    started_at: str = ""
    updated_at: str = ""
    passed_at: str | None = None

    @property
    def passed(self) -> bool:
        return self.passed_at is not None


def content_hash(messages_hash: str, model: str, answer: str) -> str:
    """Identity of an answer for de-duplication (same prompt, model and text)."""
    import hashlib  # not at module level: `lessons` opens the store and never hashes

    return hashlib.sha256(f"{messages_hash}\n{model}\n{answer}".encode()).hexdigest()


def _friendly(exc: sqlite3.Error, path: Path) -> StoreError:
    text = str(exc).lower()
    name = getattr(exc, "sqlite_errorname", "") or ""  # Python 3.11+: e.g. SQLITE_IOERR_WRITE
    if "readonly" in text or "read-only" in text:
        return StoreError(
            f"cannot write to the store {path}: it is read-only",
            hint="check its permissions, or set MLOPS_PRIMER_HOME to a writable folder",
        )
    if "disk is full" in text or "disk full" in text:
        return StoreError(
            f"cannot write to the store {path}: the disk is full",
            hint="free some space; your earlier answers and progress are safe",
        )
    if name.startswith("SQLITE_IOERR") or "disk i/o error" in text:
        # what a full disk or a file-size limit looks like when SQLite was growing its
        # journal or shared-memory file rather than the database itself
        return StoreError(
            f"cannot write to the store {path}: the disk refused the write (disk I/O error: "
            "is it full?)",
            hint="free some space, or set MLOPS_PRIMER_HOME to another folder; your earlier "
            "answers and progress are safe",
        )
    if "unable to open" in text:
        return StoreError(
            f"cannot open the store {path}",
            hint="check that the folder exists and is writable, or set MLOPS_PRIMER_HOME",
        )
    if "locked" in text or "busy" in text:
        return StoreError(
            f"the store {path} is busy in another mlops-primer process",
            hint="wait for it to finish and try again",
        )
    return StoreError(f"the store {path} failed: {exc}")


class Store:
    """Answers and progress in one SQLite file."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self.notice: str | None = None
        self.readonly = readonly
        self._db = self._open()

    # -- opening, recovery, migrations -------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        try:
            if not self.readonly:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            if self._looks_foreign():
                self._move_aside("it is not an mlops-primer database")
            try:
                return self._connect_and_migrate()
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError) and not _is_corruption(exc):
                    raise
                self._move_aside(f"it is damaged ({exc})")
                return self._connect_and_migrate()
        except sqlite3.Error as exc:
            raise _friendly(exc, self.path) from None
        except PermissionError:
            raise StoreError(
                f"cannot create the store in {self.path.parent}: permission denied",
                hint="set MLOPS_PRIMER_HOME to a folder you can write",
            ) from None
        except OSError as exc:
            raise StoreError(
                f"cannot create the store in {self.path.parent}: {exc.strerror}",
                hint="set MLOPS_PRIMER_HOME to a folder you can write",
            ) from None

    def _looks_foreign(self) -> bool:
        try:
            with self.path.open("rb") as fh:
                head = fh.read(16)
        except FileNotFoundError:
            return False
        return bool(head) and head != SQLITE_MAGIC

    def _move_aside(self, why: str) -> None:
        if self.readonly:
            raise StoreRefused(f"the store {self.path} cannot be read: {why}")
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.broken-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.broken-{stamp}-{n}")
        os.replace(self.path, target)
        for suffix in ("-wal", "-shm"):
            side = self.path.with_name(self.path.name + suffix)
            if side.exists():
                os.replace(side, target.with_name(target.name + suffix))
        self.notice = (
            f"Your store could not be read ({why}); it was moved to {target} and a fresh "
            "one started."
        )

    def _connect_and_migrate(self) -> sqlite3.Connection:
        if self.readonly:
            uri = f"file:{self.path}?mode=ro"
            db = sqlite3.connect(uri, uri=True, timeout=10, isolation_level=None)
        else:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA busy_timeout = 10000")
            self._refuse_newer(db)  # before anything below can change the file
            if not self.readonly:
                _set_wal(db)
                db.execute("PRAGMA synchronous = NORMAL")
                self._migrate(db)
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except BaseException:
            db.close()
            raise
        return db

    def _refuse_newer(self, db: sqlite3.Connection) -> None:
        """Refuse a store that records migrations this code does not know.

        Its tables may have columns or meanings we would get wrong, and migrating or
        writing it could spoil it for the version that made it: read nothing, write
        nothing, and say how to go on.
        """
        try:
            done = [row[0] for row in db.execute("SELECT name FROM _migrations")]
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc).lower():
                return  # a new file, or not one of ours yet
            raise
        unknown = set(done) - {m.__name__.lstrip("_") for m in MIGRATIONS}
        if unknown:
            raise StoreRefused(
                f"the store {self.path} was made by a newer mlops-primer; it was left "
                "untouched",
                hint="upgrade, or set MLOPS_PRIMER_HOME to use another folder",
            )

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        db.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
        )
        done = {row[0] for row in db.execute("SELECT name FROM _migrations")}
        for migration in MIGRATIONS:
            name = migration.__name__.lstrip("_")
            if name in done:
                continue
            db.execute("BEGIN IMMEDIATE")
            try:
                # another process may have applied it while we waited for the lock
                if db.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
                    db.execute("COMMIT")
                    continue
                migration(db)
                db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, now_iso()))
                db.execute("COMMIT")
            except BaseException:
                _rollback(db)
                raise

    def migrations(self) -> list[str]:
        """Names of the migrations applied, in order."""
        return [r[0] for r in self._db.execute("SELECT name FROM _migrations ORDER BY rowid")]

    def close(self) -> None:
        """Close the connection (WAL content is checkpointed by SQLite)."""
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction; any SQLite failure becomes a clear StoreError."""
        if self.readonly:
            raise StoreError(f"the store {self.path} is open read-only")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                _rollback(self._db)
                raise
        except sqlite3.Error as exc:
            raise _friendly(exc, self.path) from None

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise _friendly(exc, self.path) from None

    # -- answers -----------------------------------------------------------------------

    def add_answer(
        self,
        *,
        key: str,
        messages_hash: str,
        messages: list[dict[str, str]],
        answer: str,
        model: str,
        finish_reason: str,
        kind: str = "lesson",
        lesson_id: str | None = None,
        theme_id: str | None = None,
        theme_label: str | None = None,
        host: str | None = None,
        source: str = "llm",
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        latency_ms: int | None = None,
        created_at: str | None = None,
    ) -> tuple[int, bool]:
        """Store a complete answer; returns (row id, True if it was new).

        An answer that ended at the length limit (finish reason ``length``) is stored
        marked ``truncated``: lookups prefer any complete answer to it.
        """
        if not finish_reason:
            raise ValueError("only complete answers (with a finish reason) are stored")
        truncated = finish_reason == "length"
        # a cut-off answer and a complete one with the same text are different answers
        chash = content_hash(messages_hash, model, answer + ("\n(truncated)" if truncated
                                                             else ""))
        if host and "@" in host:  # credentials from a base URL never reach the store
            host = host.rpartition("@")[2]
        with self._write() as db:
            row = db.execute("SELECT id FROM answers WHERE content_hash = ?", (chash,)).fetchone()
            if row:
                return int(row[0]), False
            cur = db.execute(
                """INSERT INTO answers (key, messages_hash, content_hash, kind, lesson_id,
                   theme_id, theme_label, messages, answer, model, host, source, finish_reason,
                   prompt_tokens, completion_tokens, latency_ms, created_at, truncated)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    key, messages_hash, chash, kind, lesson_id, theme_id, theme_label,
                    json.dumps(messages, ensure_ascii=False), answer, model, host, source,
                    finish_reason, prompt_tokens, completion_tokens, latency_ms,
                    created_at or now_iso(), int(truncated),
                ),
            )
            return int(cur.lastrowid or 0), True

    def find(self, key: str) -> StoredAnswer | None:
        """The newest answer for exactly this model, prompt and settings: a complete one if
        there is any, else the newest truncated one (the caller sees ``truncated``)."""
        rows = self._read(
            "SELECT * FROM answers WHERE key = ? ORDER BY truncated, created_at DESC, id DESC "
            "LIMIT 1",
            (key,),
        )
        return StoredAnswer.from_row(rows[0]) if rows else None

    def find_by_messages(self, messages_hash: str) -> StoredAnswer | None:
        """The newest answer to these exact messages, from any model (for offline replay):
        a complete one if there is any, else the newest truncated one."""
        rows = self._read(
            "SELECT * FROM answers WHERE messages_hash = ? ORDER BY truncated, created_at DESC, "
            "id DESC LIMIT 1",
            (messages_hash,),
        )
        return StoredAnswer.from_row(rows[0]) if rows else None

    def get(self, answer_id: int) -> StoredAnswer | None:
        """One answer by its id."""
        rows = self._read("SELECT * FROM answers WHERE id = ?", (answer_id,))
        return StoredAnswer.from_row(rows[0]) if rows else None

    def summaries(self, limit: int | None = None) -> list[AnswerSummary]:
        """The newest answers first, ``limit`` of them (all when None), for `cache list`.

        Only the columns shown are read, and the answer text only of the rows returned
        (to count its words): a page of a 100,000-answer store reads a page of rows.
        """
        sql = ("SELECT id, kind, lesson_id, theme_id, theme_label, model, host, source, "
               "created_at, answer, latency_ms FROM answers ORDER BY created_at DESC, id DESC")
        params: tuple[int, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (max(0, limit),)
        try:
            cur = self._db.execute(sql, params)
            out = []
            for row in cur:  # one row at a time: never every answer text at once
                fields = tuple(row)
                out.append(AnswerSummary(*fields[:9], len(fields[9].split()), fields[10]))
            return out
        except sqlite3.Error as exc:
            raise _friendly(exc, self.path) from None

    def answers(self) -> list[StoredAnswer]:
        """Every stored answer, oldest first."""
        return [StoredAnswer.from_row(r) for r in self._read("SELECT * FROM answers ORDER BY id")]

    def count_answers(self) -> int:
        """How many answers are stored."""
        return int(self._read("SELECT count(*) FROM answers")[0][0])

    def clear_answers(self) -> int:
        """Delete every stored answer (progress is kept); returns how many were removed."""
        with self._write() as db:
            n = db.execute("SELECT count(*) FROM answers").fetchone()[0]
            db.execute("DELETE FROM answers")
            db.execute("UPDATE progress SET answer_id = NULL")
        return int(n)

    # -- progress ----------------------------------------------------------------------

    def progress(self, lesson_id: str) -> Progress | None:
        """Progress in one lesson, or None if never started."""
        rows = self._read("SELECT * FROM progress WHERE lesson_id = ?", (lesson_id,))
        return _progress(rows[0]) if rows else None

    def all_progress(self) -> dict[str, Progress]:
        """Progress in every lesson started, by lesson id."""
        return {r["lesson_id"]: _progress(r) for r in self._read("SELECT * FROM progress")}

    def save_progress(self, p: Progress, *, add_seconds: float = 0) -> None:
        """Write one lesson's progress in a single transaction."""
        stamp = now_iso()
        p.updated_at = stamp
        p.started_at = p.started_at or stamp
        with self._write() as db:
            db.execute(
                """INSERT INTO progress (lesson_id, theme_id, theme_label, step, quiz_answers,
                       quiz_score, quiz_total, answer_id, seconds_spent, started_at, updated_at,
                       completed_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (lesson_id) DO UPDATE SET
                       theme_id = excluded.theme_id, theme_label = excluded.theme_label,
                       step = excluded.step, quiz_answers = excluded.quiz_answers,
                       quiz_score = excluded.quiz_score, quiz_total = excluded.quiz_total,
                       answer_id = excluded.answer_id,
                       seconds_spent = progress.seconds_spent + ?,
                       updated_at = excluded.updated_at, completed_at = excluded.completed_at""",
                (
                    p.lesson_id, p.theme_id, p.theme_label, p.step, json.dumps(p.quiz_answers),
                    p.quiz_score, p.quiz_total, p.answer_id, int(add_seconds), p.started_at,
                    p.updated_at, p.completed_at, int(add_seconds),
                ),
            )
            row = db.execute(
                "SELECT seconds_spent FROM progress WHERE lesson_id = ?", (p.lesson_id,)
            ).fetchone()
            p.seconds_spent = int(row[0])

    def mark_read(self, lesson_id: str, theme_id: str, theme_label: str) -> None:
        """Remember that the learner read this lesson's explanation in this world."""
        with self._write() as db:
            db.execute(
                """INSERT INTO worlds_read (lesson_id, theme_id, theme_label, read_at)
                   VALUES (?, ?, ?, ?)
                   ON CONFLICT (lesson_id, theme_id) DO UPDATE SET read_at = excluded.read_at""",
                (lesson_id, theme_id, theme_label, now_iso()),
            )

    def worlds_read(self, lesson_id: str) -> set[str]:
        """The ids of the worlds the learner has read this lesson in."""
        rows = self._read("SELECT theme_id FROM worlds_read WHERE lesson_id = ?", (lesson_id,))
        return {r["theme_id"] for r in rows}

    def reset_progress(self, lesson_id: str | None = None) -> int:
        """Forget progress in one lesson or all; answers are kept. Returns rows removed."""
        with self._write() as db:
            if lesson_id:
                cur = db.execute("DELETE FROM progress WHERE lesson_id = ?", (lesson_id,))
                db.execute("DELETE FROM worlds_read WHERE lesson_id = ?", (lesson_id,))
            else:
                cur = db.execute("DELETE FROM progress")
                db.execute("DELETE FROM worlds_read")
            return cur.rowcount


    # -- labs --------------------------------------------------------------------------

    def lab(self, lesson_id: str) -> LabState | None:
        """One lesson's lab, or None if never started."""
        rows = self._read("SELECT * FROM labs WHERE lesson_id = ?", (lesson_id,))
        return _lab(rows[0]) if rows else None

    def all_labs(self) -> dict[str, LabState]:
        """Every lab started, by lesson id."""
        try:
            rows = self._read("SELECT * FROM labs ORDER BY updated_at DESC")
        except StoreError:
            if self.readonly:  # a read-only look at a store made before labs existed
                return {}
            raise
        return {r["lesson_id"]: _lab(r) for r in rows}

    def save_lab(self, lab: LabState) -> None:
        """Write one lab's state in a single transaction."""
        stamp = now_iso()
        lab.updated_at = stamp
        lab.started_at = lab.started_at or stamp
        with self._write() as db:
            db.execute(
                """INSERT OR REPLACE INTO labs (lesson_id, workspace, seed, state, checks,
                       failures, hints, findings, started_at, updated_at, passed_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (lab.lesson_id, lab.workspace, lab.seed, lab.state, lab.checks, lab.failures,
                 lab.hints, json.dumps(lab.findings), lab.started_at, lab.updated_at,
                 lab.passed_at),
            )


    # -- spaced review (the SQL is in review_table.py) -----------------------------------

    def record_review(self, lesson_id: str, kind: str, key: str, correct: bool, *,
                      now: datetime, detail: str = "") -> None:
        """Record one answer to a review item: a new item starts in box 1 (missed) or
        box 2 (right); a known one moves with ``review.after()``."""
        from . import review_table

        with self._write() as db:
            review_table.record(db, lesson_id, kind, key, correct, now=now, detail=detail)

    def schedule_review(self, lesson_id: str, kind: str, keys: Sequence[str], *,
                        now: datetime) -> int:
        """Schedule items the learner met but was not asked yet (a finished lesson's
        glossary terms): box 1, due in a day. Items already scheduled are left as they
        are. Returns how many were new."""
        from . import review_table

        with self._write() as db:
            return review_table.schedule(db, lesson_id, kind, keys, now=now)

    def review_items(self, lesson_id: str | None = None) -> list[ReviewItem]:
        """Every review item, or one lesson's."""
        from . import review_table

        try:
            return review_table.items(self._db, lesson_id)
        except sqlite3.Error as exc:
            if self.readonly and "no such table" in str(exc).lower():
                return []  # a read-only look at a store made before review existed
            raise _friendly(exc, self.path) from None

    def count_due(self, at: str, lesson_ids: Sequence[str] | None = None) -> int:
        """How many review items of finished lessons (of ``lesson_ids``, when given) are
        due at ``at`` (an ISO time like ``now_iso()``).

        Plain SQL on purpose: `lessons` and the welcome screen call it at start-up and
        need not load the scheduling module for one number.
        """
        sql = ("SELECT count(*) FROM review JOIN progress USING (lesson_id) "
               "WHERE review.due_at <= ? AND progress.completed_at IS NOT NULL")
        params: list[str] = [at]
        if lesson_ids is not None:
            sql += f" AND lesson_id IN ({', '.join('?' * len(lesson_ids))})"
            params += list(lesson_ids)
        try:
            row = self._db.execute(sql, params).fetchone()
        except sqlite3.Error as exc:
            if self.readonly and "no such table" in str(exc).lower():
                return 0
            raise _friendly(exc, self.path) from None
        return int(row[0])

    def next_review_at(self) -> str | None:
        """When the soonest review item is due (None when nothing is scheduled)."""
        try:
            row = self._db.execute("SELECT min(due_at) FROM review").fetchone()
        except sqlite3.Error as exc:
            if self.readonly and "no such table" in str(exc).lower():
                return None
            raise _friendly(exc, self.path) from None
        return row[0]


def _lab(row: sqlite3.Row) -> LabState:
    data = dict(row)
    data["findings"] = json.loads(data["findings"] or "[]")
    return LabState(**data)


def _rollback(db: sqlite3.Connection) -> None:
    """Undo the open transaction, if SQLite has not already done so.

    On a full disk or an I/O error SQLite may roll back by itself; a second ROLLBACK
    would then fail with "cannot rollback - no transaction is active" and hide the error
    that matters (the one being raised).
    """
    if not db.in_transaction:
        return
    # the original error is the one to report; SQLite undoes the rest on close
    with contextlib.suppress(sqlite3.Error):
        db.execute("ROLLBACK")


def _progress(row: sqlite3.Row) -> Progress:
    data = dict(row)
    data["quiz_answers"] = json.loads(data["quiz_answers"] or "{}")
    return Progress(**data)


def _set_wal(db: sqlite3.Connection, *, wait: float = 10.0) -> None:
    """Switch the file to WAL. Two processes opening a new store at once: SQLite answers
    "database is locked" at once to the one that loses, without using the busy timeout,
    so retry for as long as that timeout would have waited."""
    deadline = time.monotonic() + wait
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if ("locked" not in text and "busy" not in text) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _is_corruption(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return any(s in text for s in ("malformed", "not a database", "corrupt", "file is encrypted"))


def open_store(path: Path | None = None) -> Store:
    """Open (creating and migrating as needed) the learner's store."""
    from .paths import store_file

    return Store(path or store_file())


class Timer:
    """Seconds spent on a step, for progress' time-spent figure."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def lap(self) -> float:
        """Seconds since the last lap (or creation)."""
        now = time.monotonic()
        out, self.start = now - self.start, now
        return out
