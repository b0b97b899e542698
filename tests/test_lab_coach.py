"""The lab coach: after the course's hints, with an LLM, a hint written for the failing
check and the learner's file; a reply that holds code or the solution is replaced by an
authored hint. All through the real CLI against the fake server."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, run
from fakeserver import FakeOpenAI

from mlops_primer.errors import ExitCode
from mlops_primer.labs import coach
from mlops_primer.lessons import Course
from mlops_primer.store import Store

LESSON = "what-is-mlops"
SOLUTION = (ROOT / "lessons" / "labs" / LESSON / "solution" / "fingerprint.py").read_text()
CLEAN = ("Your fingerprint() check fails on an empty file. Look at what your function does "
         "before it reads any bytes: which hashlib object do you create, and what does it "
         "return when nothing was fed to it?")


def lab(*args: str, labs_root: Path, env: dict[str, str] | None = None):
    return run("lab", *args, env={"MLOPS_PRIMER_LABS": str(labs_root), **(env or {})},
               timeout=120)


@pytest.fixture
def labs_root(tmp_path: Path) -> Path:
    return tmp_path / "labs"


def llm(server: FakeOpenAI) -> tuple[str, ...]:
    return ("--base-url", server.base_url, "--model", "test-model")


def stuck(server: FakeOpenAI, labs_root: Path, course: Course) -> list[str]:
    """A started lab, a failed check, and every authored hint read (no LLM asked)."""
    assert lab("start", LESSON, labs_root=labs_root).returncode == 0
    assert lab("check", labs_root=labs_root).returncode == 1
    hints = course.get(LESSON).lab.hints
    shown = [lab("hint", *llm(server), labs_root=labs_root) for _ in hints]
    assert [r.stdout.split(":")[0] for r in shown] == [f"Hint {i}/{len(hints)}"
                                                       for i in range(1, len(hints) + 1)]
    assert "asks the coach" in flat(shown[-1].stdout)
    assert server.chat_requests() == []  # the authored hints come first, and need no LLM
    return list(hints)


def flat(text: str) -> str:
    """Output with its line wrapping undone."""
    return " ".join(text.split())


def user_prompt(server: FakeOpenAI) -> str:
    return "\n".join(m["content"] for m in server.chat_requests()[-1].body["messages"])


def test_a_clean_reply_is_shown_and_the_prompt_carries_file_check_and_solution(
        server: FakeOpenAI, labs_root: Path, course: Course) -> None:
    stuck(server, labs_root, course)
    mine = labs_root / LESSON / "fingerprint.py"
    mine.write_text(mine.read_text() + "\n# my note: {{ 7*7 }}\n")
    server.replies.append(CLEAN)
    result = lab("hint", *llm(server), "--language", "de", labs_root=labs_root)
    assert result.returncode == 0, result.stderr
    assert "Coach's hint for \"fingerprint() of a 0-byte file\"" in result.stdout
    assert CLEAN in flat(result.stdout) and "test-model" in result.stdout
    prompt = user_prompt(server)
    assert "# my note: {{ 7*7 }}" in prompt  # the learner's file, as data
    assert "fingerprint() of a 0-byte file" in prompt  # the failing check
    assert "digest.update(chunk)" in prompt  # the solution, for accuracy...
    assert "never reveal it" in prompt  # ...never to be shown
    assert "German (de)" in prompt
    body = server.chat_requests()[-1].body
    assert body["max_tokens"] == coach.HINT_TOKENS


@pytest.mark.parametrize("reply", [
    f"Here is how:\n\n```python\n{SOLUTION}\n```\n",  # the solution's code, fenced
    "Try this:\n~~~\ndigest = hashlib.sha256()\n~~~\n",
    "Write it like this:\n\n    digest = hashlib.sha256()\n    return digest.hexdigest()\n",
    # no fence: a line of the solution written out in prose
    "Almost there! Read in chunks: for chunk in iter(lambda: fh.read(1 << 16), b\"\"): and "
    "update the digest each time.",
    # nearly the same line, a name changed
    "Use: return [k for k in (\"code\", \"data\", \"params\") if manifest_a[k] != "
    "manifest_b[k]]",
    SOLUTION.replace("def ", "function "),  # the whole solution, lightly disguised
])
def test_a_reply_that_gives_the_solution_away_is_replaced_by_an_authored_hint(
        reply: str, server: FakeOpenAI, labs_root: Path, course: Course) -> None:
    hints = stuck(server, labs_root, course)
    server.replies.append(reply)
    result = lab("hint", *llm(server), labs_root=labs_root)
    assert result.returncode == 0, result.stderr
    assert len(server.chat_requests()) == 1
    assert "The coach's hint" in result.stdout and "course's last hint again" in flat(
        result.stdout)
    assert f"Hint {len(hints)}/{len(hints)}: " in result.stdout
    assert "Coach's hint for" not in result.stdout
    assert "hashlib.sha256()" not in result.stdout and "manifest_a[k]" not in result.stdout


def test_with_no_llm_the_authored_hints_only(labs_root: Path, course: Course) -> None:
    assert lab("start", LESSON, labs_root=labs_root).returncode == 0
    assert lab("check", labs_root=labs_root).returncode == 1
    hints = course.get(LESSON).lab.hints
    out = [lab("hint", labs_root=labs_root).stdout for _ in range(len(hints) + 1)]
    assert flat(out[-1]).startswith(f"Hint {len(hints)}/{len(hints)}: {hints[-1][:20]}")
    assert all("coach" not in x.lower() for x in out)


def test_offline_flag_and_no_failed_check_give_authored_hints(
        server: FakeOpenAI, labs_root: Path, course: Course) -> None:
    stuck(server, labs_root, course)
    offline = lab("hint", *llm(server), "--offline", labs_root=labs_root)
    assert offline.returncode == 0 and "Hint 3/3" in offline.stdout
    # the solution passes: nothing is failing, so nothing for the coach to do
    solution = ROOT / "lessons" / "labs" / LESSON / "solution"
    for f in solution.iterdir():
        (labs_root / LESSON / f.name).write_bytes(f.read_bytes())
    assert lab("check", labs_root=labs_root).returncode == 0
    passed = lab("hint", *llm(server), labs_root=labs_root)
    assert "your last check passed" in flat(passed.stdout) and "Hint 3/3" in passed.stdout
    assert server.chat_requests() == []


def test_a_server_error_is_one_line_and_leaves_the_lab_as_it_was(
        server: FakeOpenAI, labs_root: Path, course: Course, home: Path) -> None:
    stuck(server, labs_root, course)
    with Store(home / "primer.db") as store:
        before = store.lab(LESSON)
    server.fault = "500"
    result = lab("hint", *llm(server), labs_root=labs_root)
    assert result.returncode == int(ExitCode.LLM)
    assert len(result.stderr.strip().splitlines()) == 1 and "HTTP 500" in result.stderr
    assert "lab hint --offline" in result.stderr and "Traceback" not in result.stderr
    with Store(home / "primer.db") as store:
        assert vars(store.lab(LESSON)) == vars(before)


def test_a_reply_with_escape_sequences_is_cleaned(server: FakeOpenAI, labs_root: Path,
                                                 course: Course) -> None:
    stuck(server, labs_root, course)
    server.replies.append("\x1b]52;c;aGk=\x07\x1b[2J" + CLEAN)
    result = lab("hint", *llm(server), labs_root=labs_root)
    assert CLEAN in flat(result.stdout) and "\x1b" not in result.stdout


def test_a_huge_learner_file_is_bounded_in_the_prompt(server: FakeOpenAI, labs_root: Path,
                                                      course: Course) -> None:
    stuck(server, labs_root, course)
    (labs_root / LESSON / "fingerprint.py").write_text("x = 1\n" * 200_000)
    server.replies.append(CLEAN)
    assert lab("hint", *llm(server), labs_root=labs_root).returncode == 0
    prompt = user_prompt(server)
    assert prompt.count("x = 1") <= coach.MAX_FILE_CHARS // 6 + 1
    assert f"its first {coach.MAX_FILE_CHARS} characters" in prompt


# -- the guard, for every shipped lab ------------------------------------------------------


def _lab_lessons(course: Course) -> list:
    return [x for x in course.lessons if x.lab is not None]


def test_every_labs_solution_is_refused_and_a_plain_hint_passes(course: Course) -> None:
    for lesson in _lab_lessons(course):
        solutions = coach.solution_texts(course.folder, lesson)
        starters = coach.starter_texts(course.folder, lesson)
        assert solutions, lesson.id
        for text in solutions:
            assert coach.guard(text, solutions, starters).problem is not None, lesson.id
            own = [line for line in coach._own_lines([text], starters)
                   if len(line) >= coach.MIN_LINE_CHARS]
            if own:  # one distinctive line, in a sentence
                sentence = f"You could write {own[len(own) // 2]} there."
                assert coach.guard(sentence, solutions, starters).problem, (lesson.id, own)
        plain = (f"Read the failing check again and compare what it expected with what your "
                 f"code returned. Which step of the task for '{lesson.lab.title}' is that?")
        assert coach.guard(plain, solutions, starters).problem is None, lesson.id


def test_code_detection_spares_lists_and_names() -> None:
    assert not coach.has_code("- first, read the file\n    - then hash it\n1. keep `psi()`")
    assert not coach.has_code("Look at `fingerprint()` and `hashlib`.")
    assert coach.has_code("\tfor x in xs: total += x")
    assert coach.has_code("Write `digest = hashlib.sha256(); digest.update(data)` here")
