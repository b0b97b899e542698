"""Regressions from a QA walk of the course as a new learner meets it, at 80x24.

Each test plays the real program: a pseudo-terminal drawn on a pyte screen (ptyplay), or
the console entry point in a subprocess. What they hold: the offline notice names the
command the way the learner ran it; the lifecycle loop is drawn on one screen; `p` in
the middle of an answer comes back to the same screen, not past the rest of the answer;
`g` at a quiz question comes back to the question with its choices; the notes prompt
never splits a file name at a hyphen; a resumed lesson says its step in words; `lab
list`, `review --due` and `lab hint` fit 80 columns and name whole commands; a review
session's counts are the schedule's, not the session's.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from conftest import run
from ptyplay import Terminal, finish, spawn_cli

from mlops_primer import review
from mlops_primer.lessons import Course
from mlops_primer.reviewing import Reviewer
from mlops_primer.store import Progress, Store, now_iso

T0 = review.parse_time("2030-01-07T09:00:00Z")
T1 = T0 + timedelta(days=1)


def terminal(home: Path, *args: str, cwd: Path | None = None,
             extra_env: dict[str, str] | None = None) -> Terminal:
    child = spawn_cli(home, *args, rows=24, cols=80, cwd=cwd, extra_env=extra_env)
    return Terminal(child, rows=24, cols=80)


def screen(t: Terminal) -> str:
    return "\n".join(t.lines)


def test_one_lesson_at_80x24_notice_diagram_prompt_glossary_and_notes(
        home: Path, course: Course, tmp_path: Path) -> None:
    lesson = course.get("lifecycle")
    t = terminal(home, "learn", lesson.id, cwd=tmp_path)
    t.expect("Enter: more")
    # the offline notice quotes the doctor command as this program was started
    # (python -m mlops_primer here), not as a bare `mlops-primer` that may not be on PATH
    first = " ".join(" ".join(t.lines).split())
    assert re.search(r"Add an LLM any time: `[^`]*mlops_primer doctor`", first), first

    # the intro's picture: the whole loop, from scoping to deploying, on one screen
    while "The picture" not in screen(t):
        t.send("")
        t.expect([r"Enter: more \(\d+/\d+\)", "Enter: choose a world"])
    shown = screen(t)
    assert "1. Scope the problem" in shown and "7. Deploy" in shown
    assert "9. Retrain" in shown and "8. Monitor" in shown
    assert "Enter: choose a world" in shown  # the picture is the intro's last screen
    t.send("")
    t.expect(r"World \(1-")
    t.send("1")

    # p on the answer's second screen: the prompt, then that same screen again
    t.expect(r"Enter: more \(1/(\d+)\)")
    t.send("")
    t.expect(r"Enter: more \(2/(\d+)\)")
    second = [line for line in t.lines[-8:-1] if line.strip()]
    t.send("p")
    t.page_through("Enter: close the prompt")
    assert "--- user ---" in "\n".join(t.all_lines())
    t.send("")
    t.expect(r"Enter: more \(2/(\d+)\)")
    again = screen(t).split("Enter: close the prompt", 1)[-1]
    assert all(line in again for line in second), again
    t.send("")
    t.page_through("Enter: explain it back")
    t.send("")
    t.skip_explain()
    t.expect("Your question")
    t.send("")

    # g at a quiz question: the glossary, then the question and its choices again
    q = lesson.quiz[0]
    t.expect(r"Your answer \(1-\d")
    t.send("g")
    t.page_through("Enter: back to the lesson")
    t.send("")
    t.expect(r"Your answer \(1-\d")
    after = screen(t).split("Enter: back to the lesson", 1)[-1]
    assert " ".join(q.question.split()[:6]) in " ".join(after.split()), after
    assert set(t.choices().values()) == {" ".join(c.split()) for c in q.choices}
    assert "Quiz 1/" in after
    for n, q in enumerate(lesson.quiz):
        if n:
            t.expect(r"Your answer \(1-\d")
        t.send(str(t.number_of(q.answer)))
        t.expect("Right!")
    t.expect("s: start the lab now")
    t.send("")

    # the notes prompt wraps at spaces: the file name stays whole on its line
    t.expect("Enter skips")
    name = f"mlops-primer-notes-{lesson.id}.md"
    assert any(name in line for line in t.lines), screen(t)
    t.send("")
    t.expect(r"Enter: lesson \d")
    t.send("q", place=False)
    out = finish(t.child)
    assert t.child.exitstatus == 0 and "Traceback" not in out
    assert max(len(line) for line in t.all_lines()) <= 80


def test_a_lesson_left_at_its_answer_is_resumed_in_words(home: Path, course: Course,
                                                          tmp_path: Path) -> None:
    lesson = course.get("versioning")
    t = terminal(home, "learn", lesson.id, cwd=tmp_path)
    t.page_through("Enter: choose a world")
    t.send("")
    t.expect(r"World \(1-")
    t.send("1")
    t.expect(r"Enter: more \(1/")
    t.send("q")
    finish(t.child)

    t = terminal(home, "learn", cwd=tmp_path)
    t.expect("Lesson number")
    menu = " ".join(" ".join(t.lines).split())
    assert "in progress: answer" in menu
    t.send("", place=False)
    t.expect(r"Enter: more \(1/")
    assert f"Back to lesson {lesson.order}: {lesson.title}, at the answer." in " ".join(
        " ".join(t.all_lines()).split())
    t.send("q")
    finish(t.child)


def test_lab_list_fits_80_columns_and_the_last_hint_names_the_solution_command(
        home: Path, tmp_path: Path) -> None:
    env = {"MLOPS_PRIMER_HOME": str(home), "HOME": str(home), "COLUMNS": "80"}
    started = run("lab", "start", "what-is-mlops", env=env, cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    listing = run("lab", "list", env=env, cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, listing.stdout
    assert "started · lesson id: what-is-mlops" in listing.stdout
    assert "not started · lesson id: llmops" in listing.stdout

    checked = run("lab", "check", "what-is-mlops", env=env, cwd=tmp_path)
    assert checked.returncode == 1  # the starter fails
    hints = [run("lab", "hint", "what-is-mlops", "--offline", env=env, cwd=tmp_path)
             for _ in range(3)]
    assert all(h.returncode == 0 for h in hints), [h.stderr for h in hints]
    last = " ".join(hints[-1].stdout.split())
    assert "Hint 3/3" in last
    # the lab's data is in kilometres, then miles: the hint says so the right way round
    assert "A mile is about 1.6 kilometres" in last
    assert re.search(r"`[^`]*mlops_primer lab solution what-is-mlops` shows the reference "
                     r"solution once a check has passed, or after three checks that failed",
                     last), last


def finish_two_lessons_with_misses(home: Path, course: Course) -> int:
    """Two lessons done at T0, every quiz question missed; how many items are due at T1."""
    with Store(home / "primer.db") as store:
        reviewer = Reviewer(course, store, clock=lambda: T0)
        for lesson in (course.get("drift"), course.get("versioning")):
            store.save_progress(Progress(lesson_id=lesson.id, step="done",
                                         completed_at=now_iso()))
            for i in range(len(lesson.quiz)):
                reviewer.record_quiz(lesson, i, False)
            reviewer.lesson_finished(lesson)
        return len(Reviewer(course, store, clock=lambda: T1).due())


def test_review_due_fits_80_columns_and_a_session_counts_the_whole_schedule(
        home: Path, course: Course, tmp_path: Path) -> None:
    due = finish_two_lessons_with_misses(home, course)
    assert due > 12
    env = {"MLOPS_PRIMER_HOME": str(home), "MLOPS_PRIMER_CLOCK": review.iso(T1),
           "COLUMNS": "80"}
    listing = run("review", "--due", env=env, cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[0] == f"Due for review now ({due}):"
    assert max(len(line) for line in lines) <= 80, listing.stdout
    # a question too long for its line is cut after a whole word
    cut = [line for line in lines if line.endswith("…")]
    assert cut
    prompts = [" ".join(q.question.split()) for x in ("drift", "versioning")
               for q in course.get(x).quiz]
    for line in cut:
        start = line.strip()[:-1]
        assert any(p.startswith(start) and p[len(start)] in " ,;:" for p in prompts), line

    t = terminal(home, "review", cwd=tmp_path,
                 extra_env={"MLOPS_PRIMER_CLOCK": review.iso(T1)})
    t.expect(r"Your answer \(1-\d · s: skip · q: quit\)")
    assert f"Review: 10 of the {due} items due" in " ".join(" ".join(t.lines).split())
    t.send("1", place=False)
    t.expect(r"Enter: next \(1/10\)")
    t.send("q", place=False)
    t.expect("to go on")
    finish(t.child)
    said = " ".join(" ".join(t.all_lines()).split())
    # the one answered has moved on (right: box 2; wrong: back tomorrow): all else is due
    assert f"Your 1 answer is saved; {due - 1} still due." in said, said


def test_lessons_on_an_80x24_screen_fits_it_and_long_shows_all(home: Path,
                                                               course: Course) -> None:
    """`lessons` on a terminal too short for the whole list shows two lines a lesson (no
    lesson scrolls off unread) and names `--long`; piped, and with --long, it is whole."""
    t = terminal(home, "lessons")
    out = finish(t.child)
    lines = [line for line in out.replace("\r", "").split("\n")]
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", "\n".join(lines)).strip("\n").split("\n")
    assert len(shown) < 24, "\n".join(shown)
    text = "\n".join(shown)
    for lesson in course.lessons:
        assert f"id: {lesson.id}" in text
    assert "lessons --long" in text and "  themes:" not in text
    assert max(len(line) for line in shown) <= 80

    t = terminal(home, "lessons", "--long")
    out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", finish(t.child))
    assert "  themes:" in out and course.lessons[0].summary.split()[0] in out
    piped = run("lessons", env={"MLOPS_PRIMER_HOME": str(home)}).stdout
    assert "  themes:" in piped and "--long" not in piped


def test_enter_at_the_world_menu_takes_the_first_world_not_read_yet(home: Path,
                                                                    course: Course) -> None:
    """A lesson taken again: Enter picks a world the learner has not read it in."""
    lesson = course.get("drift")
    with Store(home / "primer.db") as store:
        store.mark_read(lesson.id, lesson.themes[0].id, lesson.themes[0].label)
    t = terminal(home, "learn", lesson.id)
    t.page_through("Enter: choose a world")
    t.send("")
    t.expect(r"World \(1-\d+, or your own words; Enter: 2\)")
    t.send("")
    t.expect("Enter: more|Enter: explain it back")
    assert lesson.themes[1].label.split()[0] in "\n".join(t.all_lines())
    t.send("q", place=False)
    finish(t.child)
    with Store(home / "primer.db") as store:
        assert store.progress(lesson.id).theme_id == lesson.themes[1].id
