"""Real `learn` processes: one killed with SIGKILL mid-stream, two streaming at once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT, SCRUBBED


def test_sigkill_mid_stream_leaves_store_readable_and_empty(server, home: Path) -> None:
    # one answer stored first, so the kill happens in a store with real content
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env["MLOPS_PRIMER_HOME"] = str(home)
    base = [sys.executable, "-m", "mlops_primer", "learn", "--no-input",
            "--base-url", server.base_url, "--model", "test-model"]
    first = subprocess.run([*base, "drift", "--theme", "sailing"], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr

    server.chunk_size = 2
    server.chunk_delay = 0.02
    server.default_reply = "Half an answer must never be kept. " * 100
    proc = subprocess.Popen([*base, "deployment", "--theme", "pirates"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    seen = b""
    deadline = time.monotonic() + 30
    while b"never be kept" not in seen and time.monotonic() < deadline:
        seen += os.read(proc.stdout.fileno(), 256)
    assert b"never be kept" in seen  # killed while the answer was streaming
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)

    db = sqlite3.connect(home / "primer.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = db.execute("SELECT lesson_id FROM answers").fetchall()
    assert rows == [("drift",)]
    db.close()
    replay = subprocess.run([*base, "drift", "--theme", "sailing", "--offline"], env=env,
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert replay.returncode == 0 and replay.stdout == first.stdout


def test_two_learn_processes_at_once_both_keep_their_answers(server, home: Path) -> None:
    """Two real `learn` processes stream into one store at the same time: both answers
    are kept whole, and the store stays sound."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env["MLOPS_PRIMER_HOME"] = str(home)
    base = [sys.executable, "-m", "mlops_primer", "learn", "--no-input",
            "--base-url", server.base_url, "--model", "test-model"]
    server.chunk_size = 5
    server.chunk_delay = 0.02  # about 2.5 s per answer: the two streams overlap
    server.default_reply = "Both learners keep every word of their answer. " * 12
    procs = [subprocess.Popen([*base, lesson, "--theme", theme], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for lesson, theme in (("deployment", "pirates"), ("drift", "sailing"))]
    seen = [b"", b""]
    deadline = time.monotonic() + 30
    while not all(b"keep every word" in s for s in seen) and time.monotonic() < deadline:
        for i, proc in enumerate(procs):
            if b"keep every word" not in seen[i]:
                assert proc.stdout is not None
                seen[i] += os.read(proc.stdout.fileno(), 256)
    # both were streaming at once: neither had finished when both had shown text
    assert all(b"keep every word" in s for s in seen)
    assert all(proc.poll() is None for proc in procs)
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err

    db = sqlite3.connect(home / "primer.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = db.execute("SELECT lesson_id, answer FROM answers ORDER BY lesson_id").fetchall()
    db.close()
    assert [r[0] for r in rows] == ["deployment", "drift"]
    assert all(r[1] == server.default_reply for r in rows)
