"""The interactive `learn` flow, played in a real pseudo-terminal with pexpect."""

from __future__ import annotations

import json
from pathlib import Path

import pexpect
import pytest
from conftest import run
from ptyplay import (
    answer_right,
    finish,
    lab_later,
    page_through,
    right_number,
    skip_explain,
    spawn_cli,
)

from mlops_primer.lessons import Course
from mlops_primer.store import Progress, Store, now_iso


def spawn(home: Path, *args: str, extra_env: dict[str, str] | None = None,
          cwd: Path | None = None) -> pexpect.spawn:
    """`mlops-primer learn ARGS` in a pseudo-terminal."""
    return spawn_cli(home, "learn", *args, extra_env=extra_env, cwd=cwd)


def progress_json(home: Path) -> list[dict]:
    """`mlops-primer progress --json` for this learner home."""
    return json.loads(run("progress", "--json", env={"MLOPS_PRIMER_HOME": str(home)}).stdout)


def wrong_number(child: pexpect.spawn, q) -> int:  # noqa: ANN001
    """A number shown beside a wrong choice of the question just printed."""
    right = right_number(child, q)
    return next(n for n in range(1, len(q.choices) + 1) if n != right)


def test_whole_lesson_with_quiz_hint_back_quit_and_resume(home: Path, course: Course,
                                                          tmp_path: Path) -> None:
    lesson = course.get("versioning")
    quiz = lesson.quiz
    child = spawn(home, cwd=tmp_path)
    child.expect(f"0 of {len(course.lessons)} lessons done")
    child.expect("Lesson number")
    child.sendline("3")
    child.expect("Why it matters|What this lesson explains")
    page_through(child, "Enter: choose a world")
    child.sendline("")
    child.expect("Animals in a zoo")
    child.expect(r"World \(1-")
    child.sendline("1")
    child.expect("offline answer from the course pack")
    page_through(child, "Enter: explain it back")
    child.sendline("")
    skip_explain(child)
    child.expect("Key takeaways")
    child.expect("Your question")
    child.sendline("")
    # question 1: a wrong first try shows the hint, then the right answer
    child.expect("Question 1 of")
    child.expect(r"Your answer \(1-\d")
    right = right_number(child, quiz[0])
    child.sendline(str(wrong_number(child, quiz[0])))
    child.expect("Hint:")
    child.sendline(str(right))
    child.expect("Right!")
    # question 2: go back to question 1 and answer it again: right, but not a first try
    # (its first try missed, so the quiz cannot be beaten by going back)
    child.expect("Question 2 of")
    child.expect("Your answer")
    child.sendline("back")
    child.expect("Question 1 of")
    child.expect("Your answer")
    child.sendline(str(right))  # the same attempt: the same order
    child.expect("Right!")
    child.expect("Question 2 of")
    child.expect("Your answer")
    child.sendline("quit")
    child.expect("progress is saved")
    finish(child)
    assert child.exitstatus == 0

    progress = progress_json(home)
    versioning = next(p for p in progress if p["id"] == "versioning")
    assert versioning["step"] == "quiz" and versioning["theme_id"] == "zoo"
    assert not versioning["done"]

    # resume: the menu offers lesson 3 again, and the quiz continues at question 2
    child = spawn(home, cwd=tmp_path)
    child.expect("continue with lesson 3")  # the lesson left mid-way
    child.expect("in progress: quiz")
    child.expect("Lesson number")
    child.sendline("")
    child.expect("Question 2 of")
    answer_right(child, quiz[1:])
    child.expect(rf"Quiz done: {len(quiz) - 1} of {len(quiz)} right on the first try")
    lab_later(child)
    child.expect("Its lab is not started")
    child.expect("Save study notes")
    child.sendline("notes.md")
    child.expect("Notes saved")
    child.expect("Enter: lesson 4")
    child.sendline("quit")
    finish(child)
    assert child.exitstatus == 0

    notes = (tmp_path / "notes.md").read_text()
    assert notes.startswith("# Study notes: Data versioning and experiment tracking")
    assert "animals in a zoo" in notes.lower() or "Animals in a zoo" in notes
    assert f"Score: {len(quiz) - 1} of {len(quiz)}" in notes
    assert "## Further reading" in notes
    progress = progress_json(home)
    versioning = next(p for p in progress if p["id"] == "versioning")
    assert versioning["done"] and versioning["quiz_score"] == len(quiz) - 1
    listing = run("lessons", env={"MLOPS_PRIMER_HOME": str(home)}).stdout
    assert "✓" in listing and f"{len(quiz) - 1}/{len(quiz)}" in listing


def test_free_text_theme_offline_offers_suggested_and_prompt(home: Path) -> None:
    child = spawn(home, "deployment")
    page_through(child, "Enter: choose a world")
    child.sendline("")
    child.expect(r"World \(1-")
    child.sendline("{{ 7*7 }} beekeeping")
    child.expect("is a world of your own: an LLM writes its")
    child.expect("p: the prompt to paste")
    child.sendline("p")
    page_through(child, "--- user ---")
    child.expect(r"\{\{ 7\*7 \}\} beekeeping")
    page_through(child, "Enter: go on")
    child.sendline("")
    child.expect("Enter: choose a ready world")
    child.sendline("")
    child.expect(r"World \(1-")
    child.sendline("1")
    child.expect("offline answer from the course pack")
    page_through(child, "Enter: explain it back")
    child.sendline("quit")
    finish(child)
    assert child.exitstatus == 0


def test_ctrl_c_during_streaming_stores_nothing_and_restores_terminal(home: Path, server) -> None:
    server.chunk_size = 3
    server.chunk_delay = 0.05
    server.default_reply = "## Heading\n\n" + "The model keeps learning. " * 200 + "\n"
    child = spawn(home, "drift", "--theme", "sailing", "--base-url", server.base_url,
                  "--model", "test-model")
    child.expect("Asking test-model")
    child.expect("The model keeps learning")
    child.sendintr()
    child.expect("not stored")
    out = finish(child)
    assert child.exitstatus == 130
    assert "Traceback" not in out
    import sqlite3

    db = sqlite3.connect(home / "primer.db")
    assert db.execute("SELECT count(*) FROM answers").fetchone()[0] == 0


@pytest.mark.parametrize("word", ["quit", "\x04"])
def test_quit_and_ctrl_d_at_the_menu(home: Path, word: str) -> None:
    child = spawn(home)
    child.expect("Lesson number")
    if word == "\x04":
        child.sendeof()
    else:
        child.sendline(word)
    child.expect("progress is saved")
    finish(child)
    assert child.exitstatus == 0


def test_live_answer_then_follow_up_is_streamed_and_stored(home: Path, server) -> None:
    server.replies.extend([
        "## Sea poem\n\nThe tide has turned, the [charts] are old.\n\n## Recap\n\n- drift\n",
        "## Follow-up\n\nPSI compares two distributions.\n",
    ])
    child = spawn(home, "drift", "--theme", "sailing", "--base-url", server.base_url,
                  "--model", "test-model")
    child.expect("Asking test-model")
    child.expect(r"the \[charts\] are old")  # brackets are text, not markup
    child.expect("answered by test-model")
    child.expect("r: new answer")
    child.sendline("")
    skip_explain(child)
    child.expect("Key takeaways")
    child.expect("Your question")
    child.sendline("What is PSI?")
    child.expect("PSI compares two distributions")
    child.expect("Another question")
    child.expect("Your question")
    child.sendline("quit")
    finish(child)
    assert child.exitstatus == 0
    followup = server.chat_requests()[1].body["messages"]
    assert [m["role"] for m in followup] == ["system", "user", "assistant", "user"]
    assert "What is PSI?" in followup[-1]["content"]
    import sqlite3

    db = sqlite3.connect(home / "primer.db")
    kinds = [r[0] for r in db.execute("SELECT kind FROM answers ORDER BY id")]
    assert kinds == ["lesson", "followup"]


def test_unreachable_server_switches_to_offline_replay(home: Path) -> None:
    child = spawn(home, "lifecycle", "--theme", "gardening", "--base-url",
                  "http://127.0.0.1:9/v1", "--model", "m", "--timeout", "2")
    child.expect("cannot reach 127.0.0.1:9")
    child.expect("Switching to offline replay")
    child.expect("offline answer from the course pack")
    page_through(child, "Enter: explain it back")
    child.sendline("quit")
    finish(child)
    assert child.exitstatus == 0


def test_the_whole_course_offline_in_one_sitting(home: Path, course: Course,
                                                 tmp_path: Path) -> None:
    child = spawn(home, cwd=tmp_path)
    child.expect("Lesson number")
    child.sendline("")  # continue with lesson 1
    for lesson in course.lessons:
        child.expect(f"Lesson {lesson.order}: ")
        page_through(child, "Enter: choose a world")
        child.sendline("")
        child.expect(r"World \(1-")
        child.sendline("1")
        child.expect("offline answer from the course pack")
        page_through(child, "Enter: explain it back")
        child.sendline("")
        skip_explain(child)
        child.expect("Your question")
        child.sendline("")
        answer_right(child, lesson.quiz)
        child.expect("Quiz done")
        lab_later(child)
        child.expect("Save study notes")
        child.sendline("y")
        child.expect("Notes saved")
        if lesson is not course.lessons[-1]:
            assert child.expect([f"Enter: lesson {lesson.order + 1}",
                                 "finished the whole course"]) == 0
            child.sendline("")
    child.expect("finished the whole course")
    child.expect(r"Not passed yet: the labs of lessons 1 \(not started\)")  # honest
    finish(child)
    assert child.exitstatus == 0
    progress = progress_json(home)
    assert all(p["done"] and p["quiz_score"] == p["quiz_total"] for p in progress)
    for lesson in course.lessons:
        notes = (home / "notes" / f"mlops-primer-notes-{lesson.id}.md").read_text()
        assert "## Your tutor's explanation" in notes
        # the answer's headings sit under the notes' own
        assert "\n### Recap\n" in notes and "\n## Recap\n" not in notes


def test_every_command_word_at_the_menu(home: Path) -> None:
    child = spawn(home)
    child.expect("Lesson number")
    child.sendline("back")
    child.expect("nothing before it")
    child.expect("Lesson number")
    child.sendline("lifecycl")
    child.expect("did you mean 'lifecycle'")
    child.expect("Lesson number")
    child.sendline("2")
    child.expect(r"Enter: more \(1/|Enter: choose a world")
    child.sendline("back")  # back from a lesson's intro is the menu
    child.expect("Lesson number")
    child.sendline("skip")  # skip = continue where you are
    child.expect("Lesson 2: ")
    child.expect(r"Enter: more \(1/|Enter: choose a world")
    child.sendline("quit")
    finish(child)
    assert child.exitstatus == 0
    assert "Traceback" not in (child.before or "")


def test_a_failing_server_offers_the_cached_answer(home: Path, server) -> None:
    server.replies.append("## Kept\n\nThe answer from last time.\n")
    args = ["drift", "--theme", "sailing", "--base-url", server.base_url, "--model",
            "test-model"]
    assert run("learn", *args, "--no-input", env={"MLOPS_PRIMER_HOME": str(home)}
               ).returncode == 0
    server.fault = "500"
    child = spawn(home, *args, "--no-cache")
    child.expect("server error")
    child.expect(r"replayed from your cache: test-model.*Replay that\? \[Y/n\]")
    child.sendline("")
    child.expect("The answer from last time")
    page_through(child, "Enter: explain it back")
    child.sendline("quit")
    finish(child)
    assert child.exitstatus == 0


def test_a_skipped_question_answered_after_back_is_not_right_first_time(
        home: Path, course: Course, tmp_path: Path) -> None:
    """skip shows the answer: going back to type it must not score it (nor may the same
    wrong choice count twice as the second try)."""
    lesson = course.get("versioning")
    quiz = lesson.quiz
    with Store(home / "primer.db") as store:
        store.save_progress(Progress(lesson.id, theme_id="zoo", theme_label="Animals in a zoo",
                                     step="quiz", quiz_answers={"attempt": 1},
                                     started_at=now_iso()))
    child = spawn(home, lesson.id, cwd=tmp_path)
    child.expect("Question 1 of")
    child.expect(r"Your answer \(1-\d")
    right = right_number(child, quiz[0])
    child.sendline("skip")
    child.expect("Skipped. The answer")
    child.expect("Question 2 of")
    child.expect("Your answer")
    wrong = wrong_number(child, quiz[1])
    child.sendline("back")
    child.expect("Question 1 of")
    child.expect("Your answer")
    child.sendline(str(right))
    child.expect("Right!")
    child.expect("Question 2 of")
    child.expect("Your answer")
    child.sendline(str(wrong))
    child.expect("Not quite")
    child.sendline(str(wrong))
    child.expect("That is the choice you tried")
    child.sendline("quit")
    child.expect("progress is saved")
    finish(child)
    with Store(home / "primer.db") as store:
        answers = store.progress(lesson.id).quiz_answers
    assert answers["0"]["first_try"] is False, answers
    assert "1" not in answers  # question 2 is still open: the repeat was not a try
