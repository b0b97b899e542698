"""Regressions found by exploratory QA: bad input gives one clear line, never a traceback.

Every test drives the real program: a pseudo-terminal (pexpect) or a subprocess.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

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

spawn = spawn_cli


def no_bug_line(text: str) -> None:
    assert "Traceback" not in text
    assert "this is a bug" not in text


def test_superscript_digit_at_quiz_and_theme_prompts_is_just_a_wrong_answer(
        home: Path, course: Course) -> None:
    # '²'.isdigit() is True but int('²') fails: it used to crash the walk-through
    lesson = course.get("drift")
    child = spawn(home, "learn", "drift")
    page_through(child, "Enter: choose a world")
    child.sendline("")
    child.expect(r"World \(1-")
    child.sendline("²")
    child.expect("does not look like a world")  # no letters: never taken as a world
    child.expect(r"World \(1-")
    child.sendline("1")
    page_through(child, "Enter: explain it back")
    child.sendline("")
    skip_explain(child)
    child.expect("Your question")
    child.sendline("")
    child.expect(r"Your answer \(1-\d")
    right = right_number(child, lesson.quiz[0])
    child.sendline("²")
    child.expect("Please type a number from 1 to")
    child.sendline(str(right))
    child.expect("Right!")
    child.expect("Your answer")
    child.sendline("quit")
    out = finish(child)
    assert child.exitstatus == 0
    no_bug_line(out)


def test_notes_to_an_unwritable_path_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")  # (a folder as -o is written into: see test_cli_ux)
    for target in ("/proc/x", str(tmp_path / "a-file" / "notes.md"),
                   str(tmp_path / "missing" / "notes.md")):
        res = run("notes", "drift", "-o", target)
        no_bug_line(res.stderr)
        assert res.returncode == 1
        assert res.stderr.startswith("error: cannot write") and res.stderr.count("\n") == 1


def test_cache_import_from_a_folder_is_one_line(tmp_path: Path) -> None:
    res = run("cache", "import", str(tmp_path))
    no_bug_line(res.stderr)
    assert res.returncode == 1
    assert res.stderr.startswith(f"error: cannot read pack {tmp_path}")


def test_cache_show_with_a_huge_id_is_no_answer() -> None:
    res = run("cache", "show", "99999999999999999999999")
    no_bug_line(res.stderr)
    assert res.returncode == 6
    assert "no answer with id" in res.stderr


def test_cache_export_to_an_empty_name_is_one_line(tmp_path: Path) -> None:
    for target in ("", ".", "/"):
        res = run("cache", "export", target, cwd=tmp_path)
        no_bug_line(res.stderr)
        assert res.returncode == 1
        assert res.stderr.startswith("error: cannot write")


def test_lessons_dir_that_is_a_file_says_so(tmp_path: Path) -> None:
    f = tmp_path / "course.yaml"
    f.write_text("id: x\n")
    res = run("lessons", "--lessons-dir", str(f))
    assert res.returncode == 3
    assert "does not exist" not in res.stderr
    assert "not a folder" in res.stderr


def test_revisiting_a_done_lesson_and_quitting_keeps_its_quiz_results(
        home: Path, course: Course) -> None:
    lesson = course.get("drift")
    child = spawn(home, "learn", "drift", "--theme", lesson.themes[0].id)
    page_through(child, "Enter: explain it back")
    child.sendline("")
    skip_explain(child)
    child.expect("Your question")
    child.sendline("")
    answer_right(child, lesson.quiz, expect_praise=False)
    lab_later(child)
    child.expect("Save study notes")
    child.sendline("")
    child.expect("Enter: lesson|finished|Lesson number")
    child.sendline("quit")
    finish(child)
    env = {"MLOPS_PRIMER_HOME": str(home)}
    before = run("notes", "drift", "-o", "-", env=env).stdout
    assert "(right on the first try)" in before

    # open the finished lesson again from the menu, and quit at once
    child = spawn(home, "learn")
    child.expect("Lesson number")
    child.sendline(str(lesson.order))
    child.expect("Take it again")
    child.sendline("")
    child.expect(r"Enter: more \(1/|Enter: choose a world")
    child.sendline("quit")
    finish(child)
    assert run("notes", "drift", "-o", "-", env=env).stdout == before
    drift = next(p for p in json.loads(run("progress", "--json", env=env).stdout)
                 if p["id"] == "drift")
    assert drift["done"] and drift["quiz_score"] == len(lesson.quiz)

    # a revisit's quiz starts again at question 1
    child = spawn(home, "learn", "drift")
    child.expect("Take it again")
    child.sendline("")
    page_through(child, "Enter: choose a world")
    child.sendline("")
    child.expect(r"World \(1-")
    child.sendline("")
    page_through(child, "Enter: explain it back")
    child.sendline("")
    skip_explain(child)
    child.expect("Your question")
    child.sendline("")
    child.expect("Question 1 of")
    child.sendline("quit")
    finish(child)


def test_ctrl_d_at_a_prompt_ends_the_line_before_the_goodbye(home: Path) -> None:
    child = spawn(home, "learn")
    child.expect("Lesson number")
    child.sendeof()
    child.expect("progress is saved")
    before = child.before or ""
    finish(child)
    assert child.exitstatus == 0
    plain = re.sub(r"\x1b\[[0-9;]*m", "", before)
    assert "continue): Your" not in plain, "the goodbye is glued to the prompt"


def test_a_broken_stream_mid_course_offers_a_retry_instead_of_ending_the_course(
        home: Path, server) -> None:  # noqa: ANN001
    server.fault, server.fault_count = "drop", 1
    child = spawn(home, "learn", "lifecycle", "--theme", "chess", "--base-url",
                  server.base_url, "--model", "test-model", "--timeout", "5")
    child.expect("middle of the answer")
    child.expect("try again")
    child.sendline("")
    child.expect("answered by test-model")
    child.expect("Enter: explain it back")
    child.sendline("quit")
    out = finish(child)
    assert child.exitstatus == 0
    no_bug_line(out)
    assert "error:" not in out
