"""`pack build` against a real OpenAI-compatible server, then `cache import`."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from conftest import run

from mlops_primer.lessons import Course


def test_pack_build_with_concurrency_resumes_and_imports(server, home: Path, tmp_path: Path,
                                                         course: Course) -> None:
    total = sum(len(x.themes) for x in course.lessons)
    in_flight = {"now": 0, "max": 0}
    lock = threading.Lock()
    original = server.next_reply

    def tracked_reply() -> str:
        with lock:
            in_flight["now"] += 1
            in_flight["max"] = max(in_flight["max"], in_flight["now"])
        import time

        time.sleep(0.2)  # hold the request so concurrent ones overlap
        with lock:
            in_flight["now"] -= 1
        return original()

    server.next_reply = tracked_reply  # type: ignore[method-assign]
    out = tmp_path / "class.jsonl"
    args = ["pack", "build", "--model", "test-model", "--base-url", server.base_url,
            "--concurrency", "3", "-o", str(out)]
    result = run(*args)
    assert result.returncode == 0, result.stderr
    lines = out.read_text().splitlines()
    assert len(lines) == total
    assert in_flight["max"] >= 2  # requests really ran side by side
    assert in_flight["max"] <= 3  # and never more than asked
    records = [json.loads(x) for x in lines]
    assert {(r["lesson_id"], r["theme_id"]) for r in records} == {
        (x.id, t.id) for x in course.lessons for t in x.themes}

    # resumable: drop two answers, build again: only those two are asked for
    out.write_text("\n".join(lines[:-2]) + "\n")
    before = len(server.chat_requests())
    again = run(*args)
    assert again.returncode == 0, again.stderr
    assert len(server.chat_requests()) - before == 2
    assert f"{total - 2} answer(s) already in" in again.stderr

    imported = run("cache", "import", str(out))
    assert imported.returncode == 0, imported.stderr
    assert f"{total} added, 0 already present, 0 rejected" in imported.stdout
    twice = run("cache", "import", str(out))
    assert f"0 added, {total} already present, 0 rejected" in twice.stdout

    # the class replays it offline, server gone
    server.stop()
    replay = run("learn", "deployment", "--theme", "pirates", "--no-input", "--offline")
    assert replay.returncode == 0, replay.stderr
    assert "replayed from your cache: test-model" in replay.stderr


def test_cache_import_rejects_bad_records_with_reasons(home: Path, tmp_path: Path) -> None:
    from mlops_primer.pack import record

    good = record(messages=[{"role": "user", "content": "hi"}], answer="hello", model="m",
                  created_at="2026-11-27T00:00:00+00:00")
    tampered = dict(good, messages=[{"role": "user", "content": "changed"}])
    bad_role = dict(good, messages=[{"role": "root", "content": "x"}])
    lines = [json.dumps(good), "{not json", json.dumps([1, 2]), json.dumps(tampered),
             json.dumps(bad_role), json.dumps(dict(good, answer=""))]
    pack = tmp_path / "p.jsonl"
    pack.write_text("\n".join(lines) + "\n")
    result = run("cache", "import", str(pack))
    assert result.returncode == 1
    assert "1 added, 0 already present, 5 rejected" in result.stdout
    assert "p.jsonl:2: not JSON" in result.stderr
    assert "messages_hash does not match" in result.stderr
    assert "Traceback" not in result.stderr
    listing = json.loads(run("cache", "list", "--json").stdout)
    assert len(listing) == 1 and listing[0]["model"] == "m"


def test_cache_import_reads_in_bounded_pieces(home: Path, tmp_path: Path) -> None:
    from mlops_primer.pack import record

    good = json.dumps(record(messages=[{"role": "user", "content": "hi"}], answer="hello",
                             model="m", created_at="2026-11-27T00:00:00+00:00"))
    pack = tmp_path / "long.jsonl"
    pack.write_text("x" * (1024 * 1024 + 10) + "\n" + good + "\n")
    result = run("cache", "import", str(pack))
    assert "long.jsonl:1: line is over 1 MiB" in result.stderr
    assert "1 added, 0 already present, 1 rejected" in result.stdout  # line 2 still read
    if Path("/proc/self/mem").exists():  # stat() says 0 bytes; reading fails
        proc = run("cache", "import", "/proc/self/mem")
        assert proc.returncode != 0 and "cannot read pack /proc/self/mem" in proc.stderr
        assert "Traceback" not in proc.stderr


def test_pack_build_ctrl_c_keeps_what_was_written(server, home: Path, tmp_path: Path,
                                                  course: Course) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    from conftest import ROOT, SCRUBBED

    server.chunk_size = 5
    server.chunk_delay = 0.03
    out = tmp_path / "class.jsonl"
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env["MLOPS_PRIMER_HOME"] = str(home)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlops_primer", "pack", "build", "--model", "test-model",
         "--base-url", server.base_url, "-j", "2", "-o", str(out)],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while (not out.exists() or not out.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Stopped:" in err and "run the same command again" in err
    assert "Traceback" not in err
    written = [json.loads(x) for x in out.read_text().splitlines()]  # whole lines only
    total = sum(len(x.themes) for x in course.lessons)
    assert 1 <= len(written) < total
    again = run("pack", "build", "--model", "test-model", "--base-url", server.base_url,
                "-o", str(out))
    assert again.returncode == 0 and f"{len(written)} answer(s) already in" in again.stderr
    assert len(out.read_text().splitlines()) == total


def test_pack_build_goes_one_at_a_time_when_the_server_cuts_crowded_streams(
        server, home: Path, tmp_path: Path, course: Course) -> None:
    """llama-cpp-python's server ends the running stream (no finish reason) whenever
    another request arrives: the build notices, goes on one request at a time, and asks
    the cut answers again; nothing cut is written."""
    total = sum(len(x.themes) for x in course.lessons)
    server.one_at_a_time = True
    server.chunk_delay = 0.01  # answers take long enough to overlap
    out = tmp_path / "class.jsonl"
    result = run("pack", "build", "--model", "test-model", "--base-url", server.base_url,
                 "--concurrency", "4", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert server.preempted >= 1  # streams really were cut
    records = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(records) == total
    assert {r["answer"] for r in records} == {server.default_reply}  # each one whole
    assert all(r["finish_reason"] == "stop" for r in records)
    assert "one request at a time" in result.stderr and "--concurrency 1" in result.stderr
    assert f"{total} answer(s) written" in result.stdout


def test_pack_build_asks_again_for_an_answer_that_reached_the_length_limit(
        server, home: Path, tmp_path: Path, course: Course) -> None:
    total = sum(len(x.themes) for x in course.lessons)
    server.fault, server.fault_count = "length", 2
    out = tmp_path / "class.jsonl"
    args = ["pack", "build", "--model", "test-model", "--base-url", server.base_url,
            "-j", "2", "-o", str(out)]
    result = run(*args)
    assert result.returncode == 0, result.stderr
    records = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(records) == total and all(r["finish_reason"] == "stop" for r in records)
    assert len(server.chat_requests()) == total + 2
    assert "2 answer(s) reached the length limit" in result.stderr
    assert all(r.body["max_tokens"] == 1500 for r in server.chat_requests())


def test_pack_build_never_writes_an_answer_cut_at_the_length_limit(
        server, home: Path, tmp_path: Path, course: Course) -> None:
    total = sum(len(x.themes) for x in course.lessons)
    server.fault = "length"  # every answer stops at the limit
    out = tmp_path / "class.jsonl"
    result = run("pack", "build", "--model", "test-model", "--base-url", server.base_url,
                 "--max-tokens", "300", "-j", "3", "-o", str(out))
    assert result.returncode == 1
    assert not out.exists() or out.read_text() == ""
    assert len(server.chat_requests()) == 2 * total  # each asked twice, then given up
    assert all(r.body["max_tokens"] == 300 for r in server.chat_requests())
    assert result.stderr.count("reached the length limit twice") == total
    assert "--max-tokens" in result.stderr and "Traceback" not in result.stderr
    assert f"nothing written; {total} not answered" in result.stdout
