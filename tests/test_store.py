"""The store: real SQLite files, real subprocesses, real failures.

Migrations, complete-answers-only, look-ups, recovery from files that are not a
database, clear errors for read-only and full stores, durability under SIGKILL, and
two processes writing at once.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run

from mlops_primer.errors import ExitCode, StoreError
from mlops_primer.store import (
    MIGRATIONS,
    SQLITE_MAGIC,
    Progress,
    Store,
    _friendly,
    _m001_answers,
    content_hash,
)

MSGS = [{"role": "system", "content": "You are a tutor."}, {"role": "user", "content": "Why?"}]


def add(store: Store, n: int = 0, **kw):  # noqa: ANN201
    values = dict(key=f"key-{n}", messages_hash=f"mh-{n}", messages=MSGS,
                  answer=f"Answer number {n}.", model="test-model", finish_reason="stop",
                  lesson_id="lifecycle", theme_id="cooking", theme_label="Cooking")
    values.update(kw)
    return store.add_answer(**values)


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path)


# -- migrations ---------------------------------------------------------------------------


def test_a_blank_store_records_every_migration_in_order(tmp_path: Path) -> None:
    path = tmp_path / "primer.db"
    names = [m.__name__.lstrip("_") for m in MIGRATIONS]
    assert names[:2] == ["m001_answers", "m002_progress"]
    with Store(path) as store:
        assert store.migrations() == names
    with Store(path) as store:  # opening again runs nothing twice
        assert store.migrations() == names
    db = raw(path)
    rows = db.execute("SELECT name, applied_at FROM _migrations ORDER BY rowid").fetchall()
    assert [r[0] for r in rows] == names
    assert all(r[1] for r in rows)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"answers", "progress", "_migrations"} <= tables
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_old_store_is_migrated_forward_keeping_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "primer.db"
    # a store as the first release left it: only m001 applied, one answer in it
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    _m001_answers(db)
    db.execute("INSERT INTO _migrations VALUES ('m001_answers', '2025-01-01T00:00:00+00:00')")
    db.execute(
        "INSERT INTO answers (key, messages_hash, content_hash, messages, answer, model, "
        "finish_reason, created_at, lesson_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ("old-key", "old-mh", content_hash("old-mh", "old-model", "An old answer."),
         json.dumps(MSGS), "An old answer.", "old-model", "stop", "2025-01-01T00:00:00+00:00",
         "lifecycle"),
    )
    db.close()

    with Store(path) as store:
        assert store.notice is None  # an old store is no broken store
        assert store.migrations() == [m.__name__.lstrip("_") for m in MIGRATIONS]
        old = store.find("old-key")
        assert old is not None
        assert (old.answer, old.model, old.messages) == ("An old answer.", "old-model", MSGS)
        assert store.find_by_messages("old-mh") == old
        # what the later migrations brought works on the old file
        store.save_progress(Progress(lesson_id="lifecycle", step="quiz", answer_id=old.id))
        assert store.progress("lifecycle").answer_id == old.id
        assert store.count_answers() == 1
    first = raw(path).execute("SELECT applied_at FROM _migrations WHERE name = 'm001_answers'")
    assert first.fetchone()[0] == "2025-01-01T00:00:00+00:00"  # not run again


# -- answers ------------------------------------------------------------------------------


@pytest.mark.parametrize("finish", ["", None])
def test_only_complete_answers_are_stored(tmp_path: Path, finish) -> None:  # noqa: ANN001
    with Store(tmp_path / "primer.db") as store:
        with pytest.raises(ValueError, match="finish reason"):
            add(store, finish_reason=finish)
        assert store.count_answers() == 0


def test_find_and_find_by_messages(tmp_path: Path) -> None:
    with Store(tmp_path / "primer.db") as store:
        assert store.find("key-a") is None and store.find_by_messages("mh-a") is None
        a1, new1 = add(store, key="key-a", messages_hash="mh-a", answer="first", model="m1",
                       created_at="2026-01-01T00:00:00+00:00")
        a2, new2 = add(store, key="key-a", messages_hash="mh-a", answer="second", model="m1",
                       created_at="2026-01-02T00:00:00+00:00")
        b, _ = add(store, key="key-b", messages_hash="mh-a", answer="other model", model="m2",
                   created_at="2026-01-03T00:00:00+00:00")
        assert new1 and new2 and len({a1, a2, b}) == 3
        # find: the newest for exactly this key (model + prompt + settings)
        found = store.find("key-a")
        assert (found.id, found.answer, found.model) == (a2, "second", "m1")
        assert found.messages == MSGS and found.finish_reason == "stop"
        # find_by_messages: the newest for these messages from any model
        replay = store.find_by_messages("mh-a")
        assert (replay.id, replay.answer, replay.model) == (b, "other model", "m2")
        assert store.find("key-c") is None and store.find_by_messages("mh-z") is None
        # the same answer again is not stored twice
        again, new = add(store, key="key-a", messages_hash="mh-a", answer="first", model="m1")
        assert (again, new) == (a1, False)
        assert store.count_answers() == 3
        assert store.get(a1).answer == "first"


# -- files that are not a database ----------------------------------------------------


def _real_db_bytes(tmp_path: Path) -> bytes:
    src = tmp_path / "source.db"
    with Store(src) as store:
        for n in range(40):
            add(store, n, answer=f"answer {n} " + "x" * 3000)
    return src.read_bytes()  # closed: the WAL is checkpointed into the file


def _not_a_database(kind: str, tmp_path: Path) -> bytes:
    if kind == "random bytes":
        data = os.urandom(8192)
        return b"\x00garbage" + data if data.startswith(SQLITE_MAGIC) else data
    if kind == "text file":
        return ("These are my MLOps notes.\n" * 200).encode()
    real = _real_db_bytes(tmp_path)
    if kind == "truncated real db":
        return real[: len(real) // 2]
    if kind == "header only":
        return real[:100]
    raise AssertionError(kind)


BROKEN_KINDS = ["random bytes", "text file", "truncated real db", "header only"]


@pytest.mark.parametrize("kind", BROKEN_KINDS)
def test_a_file_that_is_not_a_database_is_moved_aside(kind: str, tmp_path: Path) -> None:
    folder = tmp_path / "store-folder"
    folder.mkdir()
    path = folder / "primer.db"
    original = _not_a_database(kind, tmp_path)
    path.write_bytes(original)

    with Store(path) as store:
        aside = list(folder.glob("primer.db.broken-*"))
        assert len(aside) == 1, os.listdir(folder)
        assert aside[0].read_bytes() == original  # never deleted, never changed
        assert store.notice is not None and str(aside[0]) in store.notice
        assert "fresh" in store.notice
        # the fresh store works
        assert store.count_answers() == 0
        add(store, 1)
        assert store.find("key-1").answer == "Answer number 1."
    assert raw(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Store(path) as again:  # and it is a good store from now on
        assert again.notice is None and again.count_answers() == 1


def test_a_second_broken_file_does_not_overwrite_the_first(tmp_path: Path) -> None:
    path = tmp_path / "primer.db"
    path.write_bytes(b"first broken file")
    Store(path).close()
    path.write_bytes(b"second broken file")
    Store(path).close()
    kept = sorted(p.read_bytes() for p in tmp_path.glob("primer.db.broken-*"))
    assert kept == [b"first broken file", b"second broken file"]


def test_learn_offline_says_where_the_broken_store_went(home: Path) -> None:
    original = b"definitely not sqlite\n" * 50
    (home / "primer.db").write_bytes(original)
    r = run("learn", "lifecycle", "--theme", "cooking", "--no-input", "--offline")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    aside = list(home.glob("primer.db.broken-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == original
    notice = [line for line in r.stderr.splitlines() if "could not be read" in line]
    assert len(notice) == 1 and str(aside[0]) in notice[0], r.stderr
    assert r.stdout.strip()  # the lesson was still shown, from the course pack


def test_a_readonly_store_never_moves_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "primer.db"
    path.write_bytes(b"not a database at all")
    with pytest.raises(StoreError, match="cannot be read"):
        Store(path, readonly=True)
    assert path.read_bytes() == b"not a database at all"
    assert not list(tmp_path.glob("*.broken-*"))


# -- read-only, unwritable, full --------------------------------------------------------


def test_writing_through_a_readonly_store_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "primer.db"
    with Store(path) as store:
        add(store, 1)
    with Store(path, readonly=True) as ro:
        assert ro.count_answers() == 1  # reading works
        with pytest.raises(StoreError, match="read-only"):
            add(ro, 2)
        with pytest.raises(StoreError, match="read-only"):
            ro.save_progress(Progress(lesson_id="lifecycle"))
        # and the error SQLite itself gives for a write on a mode=ro connection reads well
        with pytest.raises(sqlite3.OperationalError) as info:
            ro._db.execute("DELETE FROM answers")
        err = _friendly(info.value, path)
        assert err.message == f"cannot write to the store {path}: it is read-only"
        assert "MLOPS_PRIMER_HOME" in err.hint and err.exit_code == ExitCode.STORE
    with Store(path) as store:
        assert store.count_answers() == 1


def test_opening_a_missing_store_readonly_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "primer.db"
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(path, readonly=True)
    assert not path.exists()


def test_a_store_under_a_regular_file_is_a_clear_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("I am a file, not a folder\n")
    with pytest.raises(StoreError) as info:
        Store(not_a_folder / "primer.db")
    err = info.value
    assert str(not_a_folder) in err.message and "cannot create the store" in err.message
    assert "MLOPS_PRIMER_HOME" in err.hint
    assert not_a_folder.read_text() == "I am a file, not a folder\n"


def test_the_cli_reports_an_unusable_home_in_one_line(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "home-file"
    not_a_folder.write_text("x\n")
    r = run("cache", "list", env={"MLOPS_PRIMER_HOME": str(not_a_folder)})
    assert r.returncode == int(ExitCode.STORE), r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot create the store"), r.stderr
    assert "MLOPS_PRIMER_HOME" in lines[0] and "Traceback" not in r.stderr


def test_a_store_in_a_readonly_folder_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        probe = folder / "probe"
        try:
            probe.touch()
        except PermissionError:
            pass
        else:  # root ignores the mode: nothing to test here
            probe.unlink()
            pytest.skip("file modes are not enforced for this user (root)")
        with pytest.raises(StoreError) as info:
            Store(folder / "primer.db")
        assert str(folder) in info.value.message
        assert "MLOPS_PRIMER_HOME" in (info.value.hint or "")
    finally:
        folder.chmod(0o700)


def test_disk_full_maps_to_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "primer.db"
    err = _friendly(sqlite3.OperationalError("database or disk is full"), path)
    assert isinstance(err, StoreError) and err.exit_code == ExitCode.STORE
    assert err.message == f"cannot write to the store {path}: the disk is full"
    assert "free some space" in err.hint and "safe" in err.hint


def test_a_real_full_database_gives_the_disk_full_error_and_loses_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "primer.db"
    with Store(path) as store:
        add(store, 1)
        # SQLite's own SQLITE_FULL, without filling a disk: cap the file at its size
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StoreError, match="the disk is full"):
            add(store, 2, answer="y" * 200_000)
        assert store.count_answers() == 1
        assert store.find("key-2") is None
        assert store.find("key-1").answer == "Answer number 1."
    assert raw(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# -- crashes and concurrency ------------------------------------------------------------

# The text each writer stores for row i: tests recompute it to check every row is whole.
ANSWER_TEXT = '''
def answer_text(tag, i):
    # big enough to span many database pages, so a torn write would show
    return f"{tag}:{i}:" + "".join(f"<{tag}{i}.{j}>" for j in range(500 + (i % 7) * 900))
'''
_ns: dict = {}
exec(ANSWER_TEXT, _ns)  # the very function the writer runs
answer_text = _ns["answer_text"]

WRITER = ANSWER_TEXT + r'''
import sys
from pathlib import Path
from mlops_primer.store import Progress, Store

path, tag, count, wait = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4] == "wait"
if wait:  # start together with the other writer
    print("ready", flush=True)
    sys.stdin.readline()
with Store(path) as store:
    print("started", flush=True)
    for i in range(count):
        text = answer_text(tag, i)
        answer_id, new = store.add_answer(
            key=f"{tag}-{i}", messages_hash=f"{tag}-mh-{i}",
            messages=[{"role": "user", "content": f"{tag} question {i}"}], answer=text,
            model="writer-model", finish_reason="stop", lesson_id=tag, theme_id=str(i))
        assert new
        store.save_progress(
            Progress(lesson_id=tag, step="answer", answer_id=answer_id,
                     quiz_answers={"last": i}),
            add_seconds=1)
        print(i, flush=True)
'''


def start_writer(path: Path, tag: str, count: int, *, wait: bool = False,
                 stderr=subprocess.PIPE) -> subprocess.Popen:  # noqa: ANN001
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), tag, str(count), "wait" if wait else "go"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=ROOT,
    )


def check_rows(path: Path, tag: str) -> list[int]:
    """Every answer row of this writer is whole; returns the row numbers present."""
    db = raw(path)
    rows = db.execute(
        "SELECT key, messages_hash, content_hash, messages, answer, model, finish_reason, "
        "theme_id FROM answers WHERE lesson_id = ? ORDER BY id", (tag,)
    ).fetchall()
    seen = []
    for key, mh, chash, messages, answer, model, finish, theme_id in rows:
        i = int(theme_id)
        assert key == f"{tag}-{i}" and mh == f"{tag}-mh-{i}"
        assert answer == answer_text(tag, i), f"row {tag}-{i} is not the answer written"
        assert finish == "stop" and model == "writer-model"
        assert json.loads(messages) == [{"role": "user", "content": f"{tag} question {i}"}]
        assert chash == content_hash(mh, model, answer)
        seen.append(i)
    db.close()
    return seen


def test_sigkill_mid_write_leaves_only_whole_rows(tmp_path: Path) -> None:
    path = tmp_path / "primer.db"
    proc = start_writer(path, "k", 5000)
    try:
        assert proc.stdout.readline().strip() == "started"
        committed = -1
        while committed < 40:  # let it commit some rows, then kill it while it writes
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            committed = int(line)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        proc.stdin.close()
    assert proc.returncode == -signal.SIGKILL, "the writer finished before it was killed"

    db = raw(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    seen = check_rows(path, "k")
    # rows are exactly 0..n-1: every one reported committed is there, and no gap or half row
    assert seen == list(range(len(seen)))
    assert len(seen) >= committed + 1
    with Store(path) as store:
        assert store.notice is None  # a killed writer leaves a good store, not a broken one
        assert store.count_answers() == len(seen)
        p = store.progress("k")
        last = p.quiz_answers["last"]
        # progress was saved in one transaction: its counter matches its own row number
        assert p.seconds_spent == last + 1
        assert last in (len(seen) - 1, len(seen) - 2)  # killed before or after its progress
        assert store.get(p.answer_id).theme_id == str(last)
        add(store, 1)  # and it takes new writes


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    path = tmp_path / "primer.db"  # not created yet: both writers race to create it too
    logs = {tag: (tmp_path / f"{tag}.err").open("w+") for tag in ("a", "b")}
    writers = {tag: start_writer(path, tag, 200, wait=True, stderr=logs[tag])
               for tag in ("a", "b")}
    results = {}
    try:
        for proc in writers.values():
            assert proc.stdout.readline().strip() == "ready"
        for proc in writers.values():  # go, both at once
            proc.stdin.write("go\n")
            proc.stdin.close()
        for tag, proc in writers.items():
            out = proc.stdout.read()
            proc.wait(timeout=300)
            logs[tag].seek(0)
            results[tag] = (out, logs[tag].read())
    finally:
        for tag, proc in writers.items():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
            logs[tag].close()
    for tag, (out, err) in results.items():
        assert writers[tag].returncode == 0, err
        assert "locked" not in err and "busy" not in err
        assert err == ""
        assert out.split()[-1] == "199"

    for tag in ("a", "b"):
        assert check_rows(path, tag) == list(range(200))
    db = raw(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM answers").fetchone()[0] == 400
    order = [r[0] for r in db.execute("SELECT lesson_id FROM answers ORDER BY id")]
    db.close()
    # the two really wrote at the same time (all of a, then all of b, would test nothing)
    assert sum(1 for x, y in zip(order, order[1:], strict=False) if x != y) >= 2
    with Store(path) as store:
        assert store.migrations() == [m.__name__.lstrip("_") for m in MIGRATIONS]
        for tag in ("a", "b"):
            p = store.progress(tag)
            assert p.quiz_answers == {"last": 199}
            assert p.seconds_spent == 200  # no update was lost
            assert store.get(p.answer_id).theme_id == "199"
