"""The store and the config fail safe: real SQLite files, real processes, real failures.

A store from a newer version is refused and left as it is; a store moved aside is
reported by every command that opened it; a full disk (a file-size limit set on the
real process, which makes every write past it fail as a full disk does), a read-only
or an unusable home give one line and leave nothing half-written; `config set`
refuses control characters; a config file holding a key that others can read draws a
warning; `cache import` reads regular files only; `cache list` pages.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import ROOT, SCRUBBED, run

from mlops_primer.errors import ExitCode
from mlops_primer.pack import record
from mlops_primer.store import MIGRATIONS, Progress, Store, StoreRefused, content_hash

MSGS = [{"role": "user", "content": "Why?"}]
OFFLINE = ("learn", "lifecycle", "--theme", "cooking", "--no-input", "--offline")
BAD = ("Traceback", "this is a bug", "cannot rollback", "no transaction is active")


def add(store: Store, n: int, **kw) -> int:  # noqa: ANN003
    values = dict(key=f"key-{n}", messages_hash=f"mh-{n}", messages=MSGS,
                  answer=f"Answer number {n}, with a few words.", model="test-model",
                  finish_reason="stop", lesson_id="lifecycle", theme_id="cooking",
                  theme_label="Cooking", created_at=f"2026-01-{1 + n % 28:02d}T00:00:{n % 60:02d}"
                  "+00:00")
    values.update(kw)
    return store.add_answer(**values)[0]


def filled_home(home: Path) -> Path:
    """A learner's home as after some learning: answers, progress and a config file."""
    with Store(home / "primer.db") as store:
        first = add(store, 1)
        add(store, 2)
        store.save_progress(Progress(lesson_id="lifecycle", theme_id="cooking",
                                     theme_label="Cooking", step="quiz", answer_id=first))
    assert run("config", "set", "model", "test-model").returncode == 0
    return home


def write_pack(path: Path, n: int = 40, words: int = 600) -> Path:
    lines = [json.dumps(record(messages=[{"role": "user", "content": f"question {i}"}],
                               answer=" ".join(["word"] * words) + f" {i}", model="m",
                               created_at="2026-11-27T00:00:00+00:00")) for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return path


def snapshot(home: Path) -> dict[str, object]:
    """What the learner owns in home: the config text, and every stored row."""
    db = sqlite3.connect(home / "primer.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        answers = db.execute("SELECT id, messages_hash, model, answer, content_hash "
                             "FROM answers ORDER BY id").fetchall()
        progress = db.execute("SELECT * FROM progress ORDER BY lesson_id").fetchall()
    finally:
        db.close()
    for _, mh, model, answer, chash in answers:  # every row whole
        assert chash == content_hash(mh, model, answer)
    config = home / "config.toml"
    return {"config": config.read_text() if config.exists() else None,
            "answers": answers, "progress": progress}


def leftovers(*folders: Path) -> list[Path]:
    return [p for f in folders for p in f.rglob("*") if p.name.endswith(".tmp")]


def run_limited(*args: str, file_size: int, timeout: float = 60) -> subprocess.CompletedProcess:
    """The real entry point with no file allowed past ``file_size`` bytes (RLIMIT_FSIZE):
    every write past it fails (EFBIG, SIGXFSZ being ignored by Python) as on a full disk."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))

    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    return subprocess.run([sys.executable, "-m", "mlops_primer", *args], env=env,
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          preexec_fn=limit)


def assert_one_line_or_success(r: subprocess.CompletedProcess, *, cmd: tuple[str, ...]) -> None:
    for bad in BAD:
        assert bad not in r.stderr, f"{cmd}: {r.stderr}"
    if r.returncode != 0:
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), f"{cmd}: {r.stderr!r}"


def make_newer(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("INSERT INTO _migrations VALUES ('m999_from_the_future', '2030-01-01')")
    db.commit()
    db.close()


# -- a store from a newer version ----------------------------------------------------------


def test_a_newer_store_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "primer.db"
    with Store(path) as store:
        add(store, 1)
    make_newer(path)
    before, files = path.read_bytes(), sorted(p.name for p in tmp_path.iterdir())
    for readonly in (False, True):
        with pytest.raises(StoreRefused) as info:
            Store(path, readonly=readonly)
        err = info.value
        assert "made by a newer mlops-primer" in err.message and str(path) in err.message
        assert "upgrade" in err.hint and "MLOPS_PRIMER_HOME" in err.hint
        assert err.exit_code == ExitCode.STORE
    assert path.read_bytes() == before
    # nothing moved aside or added, but SQLite's own empty write-ahead log and index
    # (a read-only connection cannot remove them on closing; they hold nothing)
    added = sorted({p.name for p in tmp_path.iterdir()} - set(files))
    assert set(added) <= {"primer.db-wal", "primer.db-shm"}, added
    wal = tmp_path / "primer.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0


@pytest.mark.parametrize("cmd", [("cache", "list"), ("progress",), ("notes", "lifecycle"),
                                 OFFLINE, ("cache", "import", "PACK"), ("cache", "clear", "-y"),
                                 ("progress", "--reset", "-y")],
                         ids=lambda c: " ".join(c[:2]))
def test_every_command_refuses_a_newer_store_in_one_line(
    home: Path, tmp_path: Path, cmd: tuple[str, ...],
) -> None:
    filled_home(home)
    make_newer(home / "primer.db")
    pack = write_pack(tmp_path / "pack.jsonl", n=3)
    before = (home / "primer.db").read_bytes()
    r = run(*(str(pack) if a == "PACK" else a for a in cmd))
    assert r.returncode == int(ExitCode.STORE), r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "made by a newer mlops-primer" in lines[0], r.stderr
    assert "MLOPS_PRIMER_HOME" in lines[0]
    assert (home / "primer.db").read_bytes() == before  # cache import wrote nothing
    assert not list(home.glob("primer.db.broken-*"))


def test_lessons_says_why_a_newer_store_shows_no_progress(home: Path) -> None:
    filled_home(home)
    make_newer(home / "primer.db")
    r = run("lessons")
    assert r.returncode == 0 and "MLOps" in r.stdout
    assert "warning:" in r.stderr and "made by a newer mlops-primer" in r.stderr


# -- a store moved aside -------------------------------------------------------------------


@pytest.mark.parametrize("cmd", [("cache", "list"), ("cache", "show", "1"),
                                 ("cache", "clear", "-y"), ("cache", "export", "OUT"),
                                 ("cache", "import", "PACK"), ("progress",),
                                 ("progress", "--reset", "-y"), ("notes", "lifecycle"), OFFLINE],
                         ids=lambda c: " ".join(c[:2]))
def test_every_command_that_moves_a_broken_store_aside_says_so(
    home: Path, tmp_path: Path, cmd: tuple[str, ...],
) -> None:
    garbage = b"this is not a database\n" * 40
    (home / "primer.db").write_bytes(garbage)
    pack = write_pack(tmp_path / "pack.jsonl", n=2)
    args = [str(pack) if a == "PACK" else str(tmp_path / "out.jsonl") if a == "OUT" else a
            for a in cmd]
    r = run(*args)
    assert "Traceback" not in r.stderr
    aside = list(home.glob("primer.db.broken-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == garbage
    notice = [line for line in r.stderr.splitlines() if "could not be read" in line]
    assert len(notice) == 1 and str(aside[0]) in notice[0], r.stderr


# -- a full disk, a read-only or unusable home --------------------------------------------

ALL = [("cache", "list"), ("cache", "show", "1"), ("cache", "export", "OUT"),
       ("cache", "import", "PACK"), ("cache", "clear", "-y"), ("progress",),
       ("progress", "--reset", "-y"), ("notes", "lifecycle"), OFFLINE, ("lessons",),
       ("config",), ("config", "set", "model", "other-model"),
       ("config", "set", "api_key", "sk-test-full-disk-000000")]


def _args(cmd: tuple[str, ...], tmp_path: Path) -> list[str]:
    pack = tmp_path / "pack.jsonl"
    if not pack.exists():
        write_pack(pack)
    return [str(pack) if a == "PACK" else str(tmp_path / "out" / "answers.jsonl") if a == "OUT"
            else a for a in cmd]


@pytest.mark.parametrize("file_size", [0, 48_000], ids=["nothing", "a little"])
def test_a_full_disk_gives_one_line_for_every_command_and_loses_nothing(
    home: Path, tmp_path: Path, file_size: int,
) -> None:
    filled_home(home)
    (tmp_path / "out").mkdir()
    failed = []
    for cmd in ALL:
        before = snapshot(home)
        r = run_limited(*_args(cmd, tmp_path), file_size=file_size)
        assert_one_line_or_success(r, cmd=cmd)
        if r.returncode != 0:
            failed.append(cmd)
        after = snapshot(home)
        if r.returncode != 0:
            if cmd[:2] == ("cache", "import") and after != before:
                # the disk filled mid-way: the answers stored before it are whole, and
                # the line says so (running it again skips them)
                assert set(before["answers"]) < set(after["answers"])
                assert "imported before it are kept whole" in r.stderr, r.stderr
                assert "run the import again" in r.stderr
            else:
                assert after == before, cmd
        assert leftovers(home, tmp_path / "out") == [], cmd
    # the limit really bit (else this test proves nothing): with no room, every command
    # that opens the store or writes a file; with a little, the import part way through
    if file_size == 0:
        assert len(failed) >= 9, failed
    else:
        assert ("cache", "import", "PACK") in failed, failed
    # and once there is room again, all is well
    assert run("cache", "list").returncode == 0
    assert run(*OFFLINE).returncode == 0


@pytest.mark.parametrize("file_size", [0, 4096, 33_000, 40_000])
def test_a_full_disk_while_creating_the_store_is_one_clear_line(
    home: Path, file_size: int,
) -> None:
    r = run_limited("cache", "list", file_size=file_size)
    assert r.returncode == int(ExitCode.STORE), r.stdout + r.stderr
    assert_one_line_or_success(r, cmd=("cache", "list"))
    assert "cannot write to the store" in r.stderr and "disk" in r.stderr
    assert run("cache", "list").returncode == 0  # room again: the store is created
    assert Store(home / "primer.db").migrations() == [m.__name__.lstrip("_")
                                                       for m in MIGRATIONS]


@contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """Make a folder unwritable for this process: its mode, or (root ignores modes) the
    immutable attribute; skip when neither holds here."""
    probe = folder / ".probe"

    def writable() -> bool:
        try:
            probe.touch()
        except OSError:
            return False
        probe.unlink()
        return True

    folder.chmod(0o555)
    undo = ["chmod"]
    if writable():
        r = subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
        if r.returncode == 0:
            undo.append("chattr")
        if r.returncode != 0 or writable():
            folder.chmod(0o755)
            if "chattr" in undo:
                subprocess.run(["chattr", "-i", str(folder)], check=True)
            pytest.skip("cannot make a folder unwritable here")
    try:
        yield
    finally:
        if "chattr" in undo:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def test_a_read_only_home_gives_one_line_for_every_command(home: Path, tmp_path: Path) -> None:
    filled_home(home)
    (tmp_path / "out").mkdir()
    args = {cmd: _args(cmd, tmp_path) for cmd in ALL}
    before = snapshot(home)
    failed = []
    with unwritable(home):
        for cmd in ALL:
            r = run(*args[cmd])
            assert_one_line_or_success(r, cmd=cmd)
            if r.returncode != 0:
                failed.append(cmd)
    assert ("config", "set", "model", "other-model") in failed
    assert ("cache", "list") in failed and OFFLINE in failed
    assert snapshot(home) == before
    assert leftovers(home, tmp_path / "out") == []


@pytest.mark.parametrize("cmd", [("config", "set", "model", "m"), ("cache", "list"), OFFLINE,
                                 ("progress",)], ids=lambda c: " ".join(c[:2]))
def test_a_home_that_is_a_file_gives_one_line(tmp_path: Path, cmd: tuple[str, ...]) -> None:
    not_a_folder = tmp_path / "home-file"
    not_a_folder.write_text("x\n")
    r = run(*cmd, env={"MLOPS_PRIMER_HOME": str(not_a_folder)})
    assert r.returncode != 0
    assert_one_line_or_success(r, cmd=cmd)
    assert str(not_a_folder) in r.stderr and "MLOPS_PRIMER_HOME" in r.stderr
    assert not_a_folder.read_text() == "x\n"


# -- config set and the config file --------------------------------------------------------


@pytest.mark.parametrize("name, value", [
    ("model", "a\nb"), ("model", "a\x1b[2Jb"), ("model", "a\x9bb"), ("model", "a\tb"),
    ("model", "a\rb"), ("model", "a\x7fb"), ("base_url", "http://localhost:1/v1\nx"),
    ("api_key", "sk-test-\x1b]52;c;aGk=\x07"),
])
def test_config_set_refuses_control_characters(home: Path, name: str, value: str) -> None:
    r = run("config", "set", name, value)
    assert r.returncode == int(ExitCode.USAGE)
    assert "control characters" in r.stderr and "\x1b" not in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (home / "config.toml").exists()
    assert run("config").returncode == 0  # every command still works
    assert run(*OFFLINE).returncode == 0


def test_a_control_character_from_the_environment_is_one_line(home: Path) -> None:
    r = run(*OFFLINE, env={"MLOPS_PRIMER_MODEL": "gpt\n4"})
    assert r.returncode == int(ExitCode.USAGE)
    assert "MLOPS_PRIMER_MODEL" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_config_set_leaves_no_temporary_file_when_the_write_fails(home: Path) -> None:
    assert run("config", "set", "model", "kept-model").returncode == 0
    before = (home / "config.toml").read_text()
    r = run_limited("config", "set", "model", "new-model", file_size=0)
    assert r.returncode != 0
    assert_one_line_or_success(r, cmd=("config", "set"))
    assert "cannot write the config file" in r.stderr and "not changed" in r.stderr
    assert (home / "config.toml").read_text() == before
    assert leftovers(home) == [] and sorted(p.name for p in home.iterdir()) == ["config.toml"]


@pytest.mark.parametrize("content, mode, warned", [
    ('api_key = "sk-test-0000000000000000"\n', 0o644, True),
    ('api_key = "sk-test-0000000000000000"\n', 0o640, True),
    ('api_key = "sk-test-0000000000000000"\n', 0o600, False),
    ('base_url = "http://me:secret-pw@example.com/v1"\n', 0o644, True),
    ('model = "test-model"\n', 0o644, False),
])
def test_a_config_holding_a_key_that_others_can_read_draws_a_warning(
    home: Path, content: str, mode: int, warned: bool,
) -> None:
    config = home / "config.toml"
    config.write_text(content)
    config.chmod(mode)
    for cmd in (("config",), OFFLINE):
        r = run(*cmd)
        assert r.returncode == 0, r.stderr
        line = f"chmod 600 {config}"
        assert (line in r.stderr) is warned, r.stderr
        if warned:
            assert f"mode {mode:04o}" in r.stderr and "other users can read it" in r.stderr
    assert stat.S_IMODE(config.stat().st_mode) == mode  # a warning, never a silent change


# -- cache import reads regular files only -------------------------------------------------


@pytest.mark.parametrize("kind", ["device", "fifo", "folder"])
def test_cache_import_reads_regular_files_only(home: Path, tmp_path: Path, kind: str) -> None:
    if kind == "device":
        target = Path("/dev/zero")
        if not target.exists():
            pytest.skip("no /dev/zero here")
    elif kind == "fifo":
        target = tmp_path / "pipe.jsonl"
        os.mkfifo(target)
    else:
        target = tmp_path / "folder.jsonl"
        target.mkdir()
    r = run("cache", "import", str(target), timeout=30)  # today /dev/zero never ends
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and f"cannot read pack {target}" in lines[0], r.stderr
    assert "regular file" in lines[0] or "folder" in lines[0]


# -- cache list pages ----------------------------------------------------------------------


def test_cache_list_shows_the_newest_first_a_page_at_a_time(home: Path) -> None:
    with Store(home / "primer.db") as store:
        for n in range(30):  # ids and dates in different orders: dates decide
            add(store, n, created_at=f"2026-02-{1 + (n * 7) % 28:02d}T{n:02d}:00:00+00:00")
    with Store(home / "primer.db") as store:
        dates = sorted(((s.created_at, s.id) for s in store.summaries()), reverse=True)
    page = json.loads(run("cache", "list", "--json").stdout)
    assert [(a["created_at"], a["id"]) for a in page] == dates[:20]
    assert page[0]["words"] == len(f"Answer number {0}, with a few words.".split())
    five = json.loads(run("cache", "list", "--json", "-n", "5").stdout)
    assert [(a["created_at"], a["id"]) for a in five] == dates[:5]
    every = json.loads(run("cache", "list", "--json", "--all").stdout)
    assert [(a["created_at"], a["id"]) for a in every] == dates
    table = run("cache", "list")
    assert table.returncode == 0
    assert "The newest 20 of 30 answers" in table.stdout and "--all" in table.stdout
    assert "of 30" not in run("cache", "list", "--all").stdout
    assert run("cache", "list", "-n", "0").returncode == int(ExitCode.USAGE)


def test_a_page_of_cache_list_reads_a_page_of_rows(tmp_path: Path) -> None:
    """The query behind `cache list` walks the date index and stops after the page: no
    sort of the whole table (the plan, not a stopwatch, is what this test checks)."""
    with Store(tmp_path / "primer.db") as store:
        for n in range(50):
            add(store, n)
        seen: list[str] = []
        store._db.set_trace_callback(seen.append)  # noqa: SLF001 - the SQL it runs
        assert len(store.summaries(20)) == 20
        store._db.set_trace_callback(None)  # noqa: SLF001
        [sql] = [s for s in seen if "FROM answers" in s]
        plan = " / ".join(r[-1] for r in store._db.execute(  # noqa: SLF001
            f"EXPLAIN QUERY PLAN {sql}"))
    assert "answers_created" in plan, plan
    assert "TEMP B-TREE" not in plan.upper(), plan
    assert "LIMIT" in sql.upper() and "messages" not in sql
