"""The fault matrix: the real CLI, in a subprocess, against a real server that misbehaves.

Every case runs ``mlops-primer learn lifecycle --theme cooking --no-input`` against the
fake OpenAI server (tests/fakeserver.py) with one fault injected, and checks what a
learner would see and what is left on disk:

- a non-zero exit (``ExitCode.LLM``);
- stderr is ONE line starting with ``error:``, naming what happened and what to do;
- no traceback;
- nothing stored: the answers table of the real SQLite store is empty.

Timings are kept small (``--timeout 1`` against a 4 s stall or a 4 s slow start), so the
file runs in well under a minute. ``max_retries`` is left at its default (1) on purpose:
the retry is part of what is tested (a 429 or a 500 is asked twice, then reported), and
it costs about a second per case.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import stat
import subprocess
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import run
from fakeserver import FakeOpenAI

from mlops_primer.errors import ExitCode

CMD = ("learn", "lifecycle", "--theme", "cooking", "--no-input", "--model", "test-model")
CUSTOM_THEME = "a bakery on the moon"  # the course pack has no answer for it


def learn(base_url: str, *extra: str, timeout: str = "2", env: dict[str, str] | None = None,
          theme: str = "cooking"):
    args = [*CMD, "--base-url", base_url, "--timeout", timeout, *extra]
    args[args.index("cooking")] = theme
    # a generous limit: the cases run side by side, on a machine that may be busy
    return run(*args, env=env, timeout=240)


def stored_answers(home: Path) -> list[tuple[str, str]]:
    """(theme_id, answer) of every row in the real store, read with plain sqlite3."""
    db_path = home / "primer.db"
    assert db_path.is_file(), f"no store at {db_path}"
    db = sqlite3.connect(db_path)
    try:
        return db.execute("SELECT theme_id, answer FROM answers ORDER BY id").fetchall()
    finally:
        db.close()


def error_line(stderr: str) -> str:
    """The single stderr line, checked to be one line starting with 'error:'."""
    lines = stderr.splitlines()
    assert len(lines) == 1, f"expected one stderr line, got {len(lines)}: {stderr!r}"
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def headers_of(recorded) -> dict[str, str]:  # noqa: ANN001 - fakeserver.Recorded
    return {k.lower(): v for k, v in recorded.headers.items()}


@dataclass
class Case:
    fault: str | None
    words: tuple[str, ...]  # every one must appear (case-insensitive)
    any_of: tuple[str, ...] = ()  # at least one must appear
    timeout: str = "2"
    setup: Callable | None = None  # (server) -> base_url to use
    requests: int | None = None  # chat requests the server must have seen


def _unknown_model(server) -> str:  # noqa: ANN001
    server.models = ["other-model"]  # the command still asks for test-model
    return server.base_url


CASES = {
    "401": Case("401", ("401", "API key", "OPENAI_API_KEY"), requests=1),
    "404-unknown-model": Case(None, ("not found", "'test-model'", "404", "--model"),
                              setup=_unknown_model, requests=1),
    "429": Case("429", ("429", "rate", "wait 1 s", "try again"), requests=2),
    "500": Case("500", ("500", "server error", "try again"), requests=2),
    "refused": Case(None, ("cannot reach", "--base-url"), requests=0),
    # a clean end of the connection mid-answer, and a reset one (chunked, as real servers
    # send): both are a break in the middle of the answer, not "cannot reach"
    "drop": Case("drop", ("broke", "middle of the answer", "nothing was stored", "try again"),
                 requests=1),
    "cut": Case("cut", ("broke", "middle of the answer", "nothing was stored", "try again"),
                requests=1),
    "empty": Case("empty", ("sent no answer", "nothing was stored"), requests=1),
    "context": Case("context", ("context window", "4,096", "config set context 4096",
                                "-c 8192"), requests=1),
    "malformed": Case("malformed", ("malformed", "nothing was stored", "OpenAI protocol"),
                      requests=1),
    "no_finish": Case("no_finish", ("broke", "middle of the answer", "finish reason",
                                    "nothing was stored"), requests=1),
    "stall": Case("stall", ("no reply", "within 1 s", "middle of the answer", "--timeout"),
                  timeout="1", requests=1),
    "slow": Case("slow", ("no reply", "within 1 s", "--timeout"), timeout="1", requests=2),
}


@dataclass
class Outcome:
    result: subprocess.CompletedProcess
    base_url: str
    home: Path
    chat_requests: int


def _run_case(name: str, root: Path) -> Outcome:
    """One case with its own server and learner home (the cases run side by side)."""
    case = CASES[name]
    home = root / name
    home.mkdir()
    server = FakeOpenAI(stall_seconds=4.0, slow_seconds=4.0, fault=case.fault).start()
    refused_sock = None
    try:
        if name == "refused":
            # bound but never listening: every connection to it is refused
            refused_sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            refused_sock.bind(("127.0.0.1", 0))
            base_url = f"http://127.0.0.1:{refused_sock.getsockname()[1]}/v1"
        elif case.setup is not None:
            base_url = case.setup(server)
        else:
            base_url = server.base_url
        r = learn(base_url, timeout=case.timeout, env={"MLOPS_PRIMER_HOME": str(home)})
        return Outcome(r, base_url, home, len(server.chat_requests()))
    finally:
        if refused_sock is not None:
            refused_sock.close()
        server.stop()


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every case of the matrix, run at once in threads: each is a subprocess that mostly
    waits (for a timeout, a retry or a stall), so side by side the matrix takes seconds."""
    root = tmp_path_factory.mktemp("faults")
    with ThreadPoolExecutor(max_workers=min(len(CASES), 5)) as pool:
        futures = {name: pool.submit(_run_case, name, root) for name in CASES}
        return {name: f.result() for name, f in futures.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_fault_gives_one_clear_line_and_stores_nothing(name: str, matrix) -> None:
    case, out = CASES[name], matrix[name]
    r = out.result
    assert r.returncode == int(ExitCode.LLM), (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    assert r.stdout == "" or r.stdout.strip(), "a blank line on stdout before the error"
    line = error_line(r.stderr)
    low = line.lower()
    host = out.base_url.split("//", 1)[1].split("/", 1)[0]
    assert host in line, f"the line should name the server: {line}"
    for word in case.words:
        assert word.lower() in low, f"{word!r} missing from: {line}"
    if case.any_of:
        assert any(w.lower() in low for w in case.any_of), f"none of {case.any_of}: {line}"
    assert "bug" not in low, f"a fault must not be reported as a bug: {line}"
    # the store is empty: the learner has no "earlier answer" (the pack's is no such thing)
    assert "earlier answer" not in low, line
    if case.requests is not None:
        assert out.chat_requests == case.requests
    assert stored_answers(out.home) == []


def test_a_fault_after_a_stored_answer_points_to_offline(server, home: Path) -> None:
    """The replay hint, on a theme the course pack cannot answer: only the learner's own
    stored answer can make the hint appear, and --offline then replays exactly it."""
    server.fault = "no_finish"
    before = learn(server.base_url, "--no-cache", theme=CUSTOM_THEME)
    assert before.returncode == int(ExitCode.LLM)
    assert "--offline" not in error_line(before.stderr)  # nothing to replay yet
    assert stored_answers(home) == []

    server.fault = None
    server.replies.append("## Moon bread\n\nDough rises slower in low gravity.\n")
    ok = learn(server.base_url, "--no-cache", theme=CUSTOM_THEME)
    assert ok.returncode == 0, ok.stderr
    assert len(stored_answers(home)) == 1

    server.fault = "no_finish"
    failed = learn(server.base_url, "--no-cache", theme=CUSTOM_THEME)
    assert failed.returncode == int(ExitCode.LLM)
    assert "Traceback" not in failed.stderr
    line = error_line(failed.stderr)
    assert "middle of the answer" in line and "--offline" in line and "earlier answer" in line, \
        line
    assert len(stored_answers(home)) == 1  # the broken answer was not added

    server.stop()
    replay = learn(server.base_url, "--offline", theme=CUSTOM_THEME)
    assert replay.returncode == 0, replay.stderr
    assert "Dough rises slower in low gravity." in replay.stdout
    assert "replayed from your cache: test-model" in replay.stderr


def test_the_same_command_failing_after_a_success_mentions_offline(server, home: Path) -> None:
    ok = learn(server.base_url)
    assert ok.returncode == 0, ok.stderr
    assert len(stored_answers(home)) == 1
    server.fault = "401"
    # the same command is served from the cache: the failing server is not even asked
    cached = learn(server.base_url)
    assert cached.returncode == 0, cached.stderr
    assert cached.stdout == ok.stdout
    assert len(server.chat_requests()) == 1
    # --no-cache asks it, and the failure points to the answer that can be replayed
    failed = learn(server.base_url, "--no-cache")
    assert failed.returncode == int(ExitCode.LLM)
    assert "Traceback" not in failed.stderr
    line = error_line(failed.stderr)
    assert "401" in line and "--offline" in line and "earlier answer" in line, line
    assert len(server.chat_requests()) == 2
    assert len(stored_answers(home)) == 1


def test_debug_shows_the_traceback(server, home: Path) -> None:
    server.fault = "401"
    r = run("--debug", *CMD, "--base-url", server.base_url, "--timeout", "2")
    assert r.returncode != 0
    assert "Traceback (most recent call last)" in r.stderr
    assert "LLMError" in r.stderr and "HTTP 401" in r.stderr
    assert stored_answers(home) == []


def _scan_for(secret: str, home: Path, outputs: list[str]) -> list[str]:
    """Where the secret (or a long piece of it) shows up: outputs and files, config aside."""
    pieces = (secret, secret[-12:], secret[:14])
    found = [f"output #{n}" for n, text in enumerate(outputs) if any(p in text for p in pieces)]
    for path in home.rglob("*"):
        if path.is_file() and path.name != "config.toml":
            data = path.read_bytes()
            found += [str(path) for p in pieces if p.encode() in data][:1]
    return found


def test_api_key_canary_never_leaks(server, home: Path) -> None:
    canary = f"sk-canary-{uuid.uuid4().hex}"
    outputs: list[str] = []

    # 1. from the environment: a refused key, then a good run (OPENAI_API_KEY goes only
    # to OpenAI or to the server OPENAI_BASE_URL names: here the one --base-url names too)
    env = {"OPENAI_API_KEY": canary, "OPENAI_BASE_URL": server.base_url}
    server.fault = "401"
    refused = learn(server.base_url, env=env)
    assert refused.returncode == int(ExitCode.LLM)
    assert "401" in error_line(refused.stderr)
    server.fault = None
    ok = learn(server.base_url, env=env)
    assert ok.returncode == 0, ok.stderr
    outputs += [refused.stdout, refused.stderr, ok.stdout, ok.stderr]

    # 2. from the config file, written by `config set`
    shown = run("config", "set", "api_key", canary)
    assert shown.returncode == 0, shown.stderr
    config = home / "config.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert canary in config.read_text()  # it is stored there, and only there
    server.fault = "401"
    refused2 = learn(server.base_url, "--no-cache")
    assert refused2.returncode == int(ExitCode.LLM)
    settings_shown = run("config")
    assert settings_shown.returncode == 0, settings_shown.stderr
    assert "config file" in settings_shown.stdout  # the settings table, key masked
    outputs += [shown.stdout, shown.stderr, refused2.stdout, refused2.stderr,
                settings_shown.stdout, settings_shown.stderr]

    # the key really was sent each time (else this test proves nothing)
    sent = [headers_of(r).get("authorization") for r in server.chat_requests()]
    assert sent == [f"Bearer {canary}"] * 3
    assert len(stored_answers(home)) >= 1  # the store exists and was written
    assert _scan_for(canary, home, outputs) == []


def test_config_set_makes_an_existing_config_private(home: Path) -> None:
    config = home / "config.toml"
    config.write_text('model = "test-model"\n')
    os.chmod(config, 0o644)
    r = run("config", "set", "api_key", "sk-another-canary-1234567890")
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    text = config.read_text()
    assert 'model = "test-model"' in text and "sk-another-canary-1234567890" in text
    assert "sk-another-canary-1234567890" not in r.stdout + r.stderr
    assert not list(home.glob("*.tmp"))
