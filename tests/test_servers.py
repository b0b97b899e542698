"""The servers learners really run: bounded answers, a context budget, honest errors.

Everything runs against the real fake server (tests/fakeserver.py) over real sockets,
with the real store; the connection cut by a network is made by a small TCP proxy
written here, which forwards to the fake server and resets the connection mid-answer.
"""

from __future__ import annotations

import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import run
from fakeserver import FakeOpenAI
from ptyplay import finish, page_through, skip_explain, spawn_cli

from mlops_primer.config import load_settings
from mlops_primer.errors import ContextExceededError, ExitCode, LLMError
from mlops_primer.lessons import Course
from mlops_primer.prompts import Message
from mlops_primer.store import Store
from mlops_primer.tutor import SHORTENED_NOTE, Tutor, estimate_tokens, fit_history, shorten

LESSON = ("learn", "lifecycle", "--theme", "cooking", "--no-input", "--model", "test-model")
MOON = "a bakery on the moon"  # no pack answer: only the LLM can answer it


def rows(home: Path) -> list[tuple]:
    db = sqlite3.connect(home / "primer.db")
    try:
        return db.execute("SELECT finish_reason, truncated, answer FROM answers ORDER BY id"
                          ).fetchall()
    finally:
        db.close()


def settings_for(server: FakeOpenAI, **flags: object):  # noqa: ANN201
    return load_settings(flags={"base_url": server.base_url, "model": "test-model",
                                "max_retries": 0, **flags}, environ={})


# -- 1. bounded answers -----------------------------------------------------------------


def test_every_request_carries_max_tokens_from_its_setting(server, home: Path) -> None:
    assert run(*LESSON, "--base-url", server.base_url).returncode == 0
    assert run(*LESSON, "--base-url", server.base_url, "--no-cache", "--max-tokens", "900"
               ).returncode == 0
    env = {"MLOPS_PRIMER_MAX_TOKENS": "700"}
    assert run(*LESSON, "--base-url", server.base_url, "--no-cache", env=env).returncode == 0
    assert [r.body["max_tokens"] for r in server.chat_requests()] == [1500, 900, 700]
    bad = run(*LESSON, "--base-url", server.base_url, "--max-tokens", "3")
    assert bad.returncode == int(ExitCode.USAGE) and "max_tokens" in bad.stderr


def test_an_answer_at_the_length_limit_is_shown_stored_and_replayed_as_cut_off(
        server, home: Path) -> None:
    server.replies.append("## Moon bread\n\n" + "Dough rises slowly up here. " * 40)
    args = ["learn", "lifecycle", "--theme", MOON, "--no-input", "--model", "test-model",
            "--base-url", server.base_url, "--max-tokens", "64"]
    first = run(*args)
    assert first.returncode == 0, first.stderr
    assert "reached the length limit of 64 tokens" in first.stderr
    assert "it stopped at the length limit" in first.stderr  # the label says so too
    [(finish_reason, truncated, answer)] = rows(home)
    assert (finish_reason, truncated) == ("length", 1)
    assert len(answer) == 64 * server.chunk_size  # one chunk a token, cut there

    # with the LLM at hand, a cut-off answer is asked again, not served from the cache
    server.replies.append("## Moon bread\n\nDough rises slowly up here.\n")
    again = run(*args[:-2])
    assert again.returncode == 0, again.stderr
    assert len(server.chat_requests()) == 2
    assert "length limit" not in again.stderr

    # offline, the complete answer is preferred to the cut-off one
    server.stop()
    replay = run(*args[:-2], "--offline")
    assert replay.returncode == 0 and "length limit" not in replay.stderr
    assert "Dough rises slowly up here." in replay.stdout


def to_answer(child, *rest: str) -> int:  # noqa: ANN001
    """Page through the paced intro until one of ``rest`` shows; its index."""
    patterns = [r"Enter: more \(\d+/\d+\)", r"Enter: choose a world", *rest]
    while (i := child.expect(patterns)) < 2:
        child.sendline("")
    return i - 2


def test_a_cut_off_answer_alone_is_replayed_with_its_mark(server, home: Path) -> None:
    server.fault = "length"
    args = ["learn", "lifecycle", "--theme", MOON, "--no-input", "--model", "test-model",
            "--base-url", server.base_url]
    assert run(*args).returncode == 0
    server.stop()
    replay = run(*args, "--offline")
    assert replay.returncode == 0, replay.stderr
    assert "replayed from your cache: test-model" in replay.stderr
    assert "it stopped at the length limit" in replay.stderr
    assert "note: the answer reached the length limit and stops there" in replay.stderr


def test_the_walkthrough_says_an_answer_was_cut_and_offers_to_ask_again(
        server, home: Path) -> None:
    server.fault, server.fault_count = "length", 1
    child = spawn_cli(home, "learn", "lifecycle", "--theme", MOON, "--base-url",
                      server.base_url, "--model", "test-model")
    to_answer(child, r"reached\s+the\s+length\s+limit\s+of\s+1500\s+tokens")
    child.expect(r"Enter: explain it back · a: read again · p: prompt · r: new answer")
    child.sendline("r")
    child.expect("answered by test-model")
    child.expect("Enter: explain it back")
    child.sendline("quit")
    finish(child)
    assert [r[:2] for r in rows(home)] == [("length", 1), ("stop", 0)]


# -- 2. the context budget ----------------------------------------------------------------

LONG = ("## The kitchen\n\n" + "The chef tastes every pot before service. " * 120
        + "\n\n## Recap\n\nMLOps keeps models healthy after launch.\n")


def test_shorten_keeps_the_recap_or_the_start_and_end() -> None:
    short = shorten(LONG, 400)
    assert short.startswith(SHORTENED_NOTE) and "## Recap" in short
    assert "The chef tastes" not in short and len(short) <= 400
    no_recap = "Start here. " + "middle words " * 400 + "The very end."
    cut = shorten(no_recap, 500)
    assert cut.startswith(SHORTENED_NOTE) and "Start here." in cut
    assert cut.endswith("The very end.") and "[...]" in cut and len(cut) <= 520
    assert shorten("tiny", 500) == "tiny"


def test_fit_history_shortens_only_what_does_not_fit() -> None:
    history = [Message("system", "s" * 400), Message("user", "u" * 2000)]
    question = Message("user", "What is drift?")
    whole, shortened = fit_history(history, LONG, question, budget=4000)
    assert not shortened and whole[2].content == LONG
    fitted, shortened = fit_history(history, LONG, question, budget=1000)
    assert shortened and estimate_tokens(fitted) <= 1000
    assert fitted[:2] == history and fitted[-1] == question and "## Recap" in fitted[2].content
    # the server's own count beats the estimate: many tokens in few characters
    counted, shortened = fit_history(history, "short answer " * 30, question, budget=1000,
                                     counted=5000)
    assert shortened


def _tutor(course: Course, home: Path, server: FakeOpenAI, **flags: object) -> Tutor:
    return Tutor(course, Store(home / "primer.db"), settings_for(server, **flags))


def test_a_followup_after_a_long_answer_fits_the_context(server, home: Path,
                                                        course: Course) -> None:
    server.context_size = 2048  # a real window: larger requests get llama.cpp's error
    server.usage = False  # no counts: the budget is estimated from characters
    server.chunk_size = 20  # the long answer stays within its 600 tokens
    server.replies.extend([LONG, "## PSI\n\nA drift score.\n"])
    tutor = _tutor(course, home, server, context=2048, max_tokens=600)
    lesson = course.get("lifecycle")
    theme = lesson.theme("cooking")
    base = tutor.answer(lesson, theme, lambda _t: None)
    reply = tutor.followup(lesson, theme, base, "What is PSI?", lambda _t: None)
    assert reply.text.startswith("## PSI") and tutor.last_shortened
    sent = server.chat_requests()[-1].body["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert "## Recap" in sent[2]["content"] and sent[2]["content"] != LONG
    assert len(server.chat_requests()) == 2  # it fitted the first time


def test_a_context_error_is_retried_once_with_the_size_the_server_names(
        server, home: Path, course: Course) -> None:
    server.replies.extend([LONG, "## PSI\n\nA drift score.\n"])
    tutor = _tutor(course, home, server)  # believes in 4096 tokens
    lesson = course.get("lifecycle")
    theme = lesson.theme("cooking")
    base = tutor.answer(lesson, theme, lambda _t: None)
    server.context_size = 1200  # the server's window is smaller than the setting says
    reply = tutor.followup(lesson, theme, base, "What is PSI?", lambda _t: None)
    assert reply.text.startswith("## PSI")
    first, second = server.chat_requests()[1:]
    assert LONG in [m["content"] for m in first.body["messages"]]  # whole, refused
    assert LONG not in [m["content"] for m in second.body["messages"]]


def test_a_context_error_that_persists_is_its_own_line(server, home: Path,
                                                      course: Course) -> None:
    server.replies.append(LONG)
    tutor = _tutor(course, home, server)
    lesson = course.get("lifecycle")
    theme = lesson.theme("cooking")
    base = tutor.answer(lesson, theme, lambda _t: None)
    server.fault, server.context_style = "context", "openai"
    with pytest.raises(LLMError) as caught:
        tutor.followup(lesson, theme, base, "What is PSI?", lambda _t: None)
    assert isinstance(caught.value, ContextExceededError)
    line = caught.value.one_line()
    assert "does not fit the context window" in line and "config set context" in line
    assert len(server.chat_requests()) == 3  # the answer, the follow-up, one retry


# -- 3. honest errors ---------------------------------------------------------------------


class CuttingProxy:
    """A TCP proxy to the fake server that resets the first ``cuts`` connections after
    ``after`` bytes of the answer, as a network that drops does."""

    def __init__(self, target_port: int, *, after: int = 700, cuts: int = 1) -> None:
        self.target_port, self.after, self.cuts = target_port, after, cuts
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.cut = 0
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            cutting = self.cut < self.cuts
            self.cut += cutting
            threading.Thread(target=self._relay, args=(client, self.after if cutting
                                                       else None), daemon=True).start()

    def _relay(self, client: socket.socket, limit: int | None) -> None:
        """Both directions in one thread (select), so closing a socket really closes it."""
        import select

        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        sent = 0
        try:
            while True:
                ready, _, _ = select.select([client, upstream], [], [], 30)
                if not ready:
                    return
                if client in ready:
                    data = client.recv(65536)
                    if not data:
                        return
                    upstream.sendall(data)
                if upstream in ready:
                    data = upstream.recv(65536)
                    if not data:
                        return
                    if limit is not None and sent + len(data) >= limit:
                        client.sendall(data[: limit - sent])
                        time.sleep(0.3)  # the client reads what came, then the line drops
                        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                          struct.pack("ii", 1, 0))
                        return
                    client.sendall(data)
                    sent += len(data)
        except OSError:
            return
        finally:
            client.close()
            upstream.close()

    def close(self) -> None:
        self.sock.close()


def test_a_connection_cut_by_the_network_mid_answer_is_no_unreachable_server(
        server, home: Path) -> None:
    proxy = CuttingProxy(server.port, cuts=1)
    try:
        r = run("learn", "lifecycle", "--theme", MOON, "--no-input", "--model", "test-model",
                "--base-url", proxy.base_url)
        assert r.returncode == int(ExitCode.LLM)
        [line] = r.stderr.splitlines()
        assert "broke in the middle of the answer" in line and "try again" in line, line
        assert "cannot reach" not in line and "Traceback" not in r.stderr
        assert rows(home) == []
        assert r.stdout.strip(), "the text that arrived was shown"
        ok = run("learn", "lifecycle", "--theme", MOON, "--no-input", "--model",
                 "test-model", "--base-url", proxy.base_url)
        assert ok.returncode == 0, ok.stderr  # the same proxy, no cut this time
    finally:
        proxy.close()


def test_learn_offers_a_retry_after_a_mid_answer_cut_and_stays_online(server,
                                                                     home: Path) -> None:
    proxy = CuttingProxy(server.port, cuts=1)
    try:
        child = spawn_cli(home, "learn", "lifecycle", "--theme", MOON, "--base-url",
                          proxy.base_url, "--model", "test-model")
        to_answer(child, "broke in the middle of the answer")
        child.expect("Enter to try again")
        child.sendline("")
        child.expect("answered by test-model")
        child.expect(r"Enter: explain it back · a: read again · p: prompt · r: new answer")
        child.sendline("quit")
        out = finish(child)
        assert "Switching to offline replay" not in (child.before or "") + out
        assert [r[:2] for r in rows(home)] == [("stop", 0)]
    finally:
        proxy.close()


def test_after_the_server_dies_the_followup_notice_does_not_say_none_is_configured(
        home: Path) -> None:
    child = spawn_cli(home, "learn", "lifecycle", "--theme", "gardening", "--base-url",
                      "http://127.0.0.1:9/v1", "--model", "m", "--timeout", "2")
    to_answer(child, "cannot reach 127.0.0.1:9")
    child.expect("Switching to offline replay")
    page_through(child, "Enter: explain it back")
    child.sendline("")
    skip_explain(child)
    child.expect(r"Your question \(Enter: go on\)")
    child.sendline("Why do chefs sing while they wait?")  # nothing in the glossary
    child.expect(r"127\.0\.0\.1:9\s+could\s+not\s+be\s+reached")
    child.expect(r"Your question \(Enter: go on\)")
    child.sendline("quit")
    finish(child)


def test_a_followup_says_whom_it_asks_before_the_first_token(server, home: Path) -> None:
    server.replies.extend(["## Soup\n\nA chef tastes.\n", "## PSI\n\nA drift score.\n"])
    child = spawn_cli(home, "learn", "lifecycle", "--theme", "cooking", "--base-url",
                      server.base_url, "--model", "test-model")
    to_answer(child, "Enter: explain it back")
    child.sendline("")
    skip_explain(child)
    child.expect(r"Your question \(Enter: go on\)")
    child.sendline("What is PSI?")
    child.expect(f"Asking 127.0.0.1:{server.port}")
    child.expect("A drift score")
    child.expect(r"Your question \(Enter: go on\)")
    child.sendline("quit")
    finish(child)


# -- 5. doctor ------------------------------------------------------------------------------


def test_doctor_retries_a_base_url_without_v1_and_names_the_fix(server) -> None:
    server.strict_prefix = True  # like llama.cpp and Ollama: the API lives under /v1
    bare = server.base_url[: -len("/v1")]
    r = run("doctor", "--base-url", bare, "--model", "test-model")
    assert r.returncode == 1
    out = " ".join(r.stdout.split())  # lines are wrapped to the terminal
    assert f"--base-url {server.base_url}" in out
    assert f"config set base_url {server.base_url}" in out
    assert "was not found" not in out  # no model blamed
    assert "model 'test-model' is available" in out  # the checks went on at /v1


def test_learn_with_a_base_url_without_v1_says_so_instead_of_blaming_the_model(
        server, home: Path) -> None:
    server.strict_prefix = True
    r = run(*LESSON[:-2], "--model", "test-model", "--base-url", server.base_url[:-3])
    assert r.returncode == int(ExitCode.LLM)
    assert "no OpenAI API at" in r.stderr and "/v1" in r.stderr
    assert "model 'test-model' was not found" not in r.stderr


def test_doctor_reports_streaming_usage_max_tokens_and_context(server) -> None:
    server.props = {"default_generation_settings": {"n_ctx": 8192}}
    r = run("doctor", "--base-url", server.base_url, "--model", "test-model")
    assert r.returncode == 0, r.stdout
    out = " ".join(r.stdout.split())
    assert "streams its answers" in out
    assert "sends token usage" in out
    assert "honours max_tokens" in out
    assert "context window: 8,192 tokens (the server says so at /props)" in out
    assert "config set context 8192" in out
    probe = server.chat_requests()[-1].body
    assert probe["max_tokens"] == 16 and probe["stream"] is True


def test_doctor_says_what_a_plainer_server_does_not(server) -> None:
    server.usage, server.honour_max_tokens = False, False
    server.default_reply = "one two three " * 40
    server.model_meta = {"max_model_len": 4096}
    r = run("doctor", "--base-url", server.base_url, "--model", "test-model")
    assert r.returncode == 1
    out = " ".join(r.stdout.split())
    assert "sends no token usage" in out
    assert "ignored max_tokens" in out
    assert "context window: 4,096 tokens (the server says so at /models (max_model_len))" \
        in out


# -- 7. no wait for imports -------------------------------------------------------------


def test_warm_up_gets_the_client_ready_in_the_background(server, home: Path,
                                                        course: Course) -> None:
    code = f"""
import sys, time
from pathlib import Path
from mlops_primer.config import load_settings
from mlops_primer.lessons import load_course
from mlops_primer.resources import builtin_lessons_dir
from mlops_primer.store import Store
from mlops_primer.tutor import Tutor
s = load_settings(flags={{"base_url": {server.base_url!r}, "model": "test-model"}}, environ={{}})
course = load_course(builtin_lessons_dir())
offline = Tutor(course, Store(Path({str(home / "a.db")!r})), s, offline=True)
offline.warm_up()
assert offline._warming is None and "openai" not in sys.modules
t = Tutor(course, Store(Path({str(home / "b.db")!r})), s)
assert "openai" not in sys.modules
t.warm_up()
t._warming.join(60)
assert "openai" in sys.modules and t.provider()._client is not None
print("ok")
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
    assert server.requests == []  # getting ready asks the server nothing
