"""The `learn` flow as a learner sees it, on a pyte screen in a real pseudo-terminal.

Each test plays the real program (pexpect) and reads what is on the screen (pyte): the
pacing, the place line, the end of a lesson, the quiz order, the world prompt.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import run
from ptyplay import LAB_OFFER, PLACE, Terminal, finish, spawn_cli

from mlops_primer.lessons import Course, Lesson
from mlops_primer.store import Progress, Store, now_iso


def terminal(home: Path, *args: str, rows: int = 24, cols: int = 80,
             cwd: Path | None = None) -> Terminal:
    child = spawn_cli(home, "learn", *args, rows=rows, cols=cols, cwd=cwd)
    return Terminal(child, rows=rows, cols=cols)


def progress_of(home: Path, lesson_id: str) -> dict:
    data = json.loads(run("progress", "--json", env={"MLOPS_PRIMER_HOME": str(home)}).stdout)
    return next(p for p in data if p["id"] == lesson_id)


def play_lesson(t: Terminal, lesson: Lesson, *, world: str = "1") -> dict[int, dict[int, str]]:
    """Intro, world, answer, takeaways, quiz (all right first time), notes skipped.

    Returns the choices shown for each question, as {question: {number: text}}."""
    t.page_through("Enter: choose a world")
    t.send("")
    t.expect(r"World \(1-")
    t.send(world)
    t.page_through("Enter: takeaways")
    t.send("")
    t.expect("Your question")
    t.send("")
    shown = {}
    for i, q in enumerate(lesson.quiz):
        t.expect(r"Your answer \(1-\d")
        shown[i] = t.choices()
        t.send(str(t.number_of(q.answer)))
        t.expect("Right!")
    t.expect(LAB_OFFER)
    t.send("")  # later
    t.expect("Save study notes")
    t.send("")
    return shown


def test_a_whole_lesson_at_80x24_never_scrolls_unread_text_and_always_says_where(
        home: Path, course: Course, tmp_path: Path) -> None:
    lesson = course.get("lifecycle")
    t = terminal(home, cwd=tmp_path)
    t.expect("Lesson number")
    t.send(str(lesson.order), place=False)
    play_lesson(t, lesson)
    t.expect(r"Enter: lesson \d")  # the next lesson not done
    t.send("q", place=False)
    out = finish(t.child)
    assert t.child.exitstatus == 0 and "Traceback" not in out
    screens = t.transcript[1:-1]  # the lesson's own screens, menu and goodbye aside
    assert len(screens) > 10
    for screen in screens:
        place = PLACE.search(screen)
        assert place and f"Lesson {course.lessons.index(lesson) + 1}/" \
            f"{len(course.lessons)}" in place.group(0)
    steps = " ".join(screens)
    for label in ("Intro", "World", "Answer", "Takeaways", "Quiz 1/", "Lab", "Notes"):
        assert f"· {label}" in steps
    # the intro and the answer came in more than one screen each (they are long)
    assert sum("Enter: more (" in s and "· Intro" in s for s in screens) >= 1
    assert sum("Enter: more (" in s and "· Answer" in s for s in screens) >= 2
    assert max(len(line) for line in t.all_lines()) <= 80


def test_at_120_columns_no_line_is_wider_than_88(home: Path, course: Course,
                                                 tmp_path: Path) -> None:
    lesson = course.get("versioning")
    t = terminal(home, rows=40, cols=120, cwd=tmp_path)
    t.expect("Lesson number")
    t.send(str(lesson.order), place=False)
    play_lesson(t, lesson)
    t.expect(r"Enter: lesson \d")
    t.send("q", place=False)
    finish(t.child)
    widths = [len(line) for line in t.all_lines()]
    assert max(widths) <= 88
    assert max(widths) > 80  # the text does use the room it has


def mark_done(home: Path, lessons: list[Lesson]) -> None:
    with Store(home / "primer.db") as store:
        for lesson in lessons:
            store.save_progress(Progress(lesson_id=lesson.id, theme_id=lesson.themes[0].id,
                                         theme_label=lesson.themes[0].label, step="done",
                                         completed_at=now_iso()))


def test_only_the_last_lesson_says_what_is_left_then_the_whole_course(
        home: Path, course: Course, tmp_path: Path) -> None:
    last = course.lessons[-1]
    t = terminal(home, str(last.order), cwd=tmp_path)
    play_lesson(t, last)
    t.expect(r"Still to do \((\d+) of (\d+) lessons\)")
    assert t.child.match.groups() == (str(len(course.lessons) - 1), str(len(course.lessons)))
    t.expect("Lesson number")  # nothing comes after the last lesson: the menu
    screen = "\n".join(t.all_lines())
    assert "whole course" not in screen
    for lesson in course.lessons[:-1]:
        assert f"{lesson.order}. " in screen
    t.send("q", place=False)
    finish(t.child)

    # every other lesson done: now, and only now, the course is finished
    mark_done(home, list(course.lessons[:-1]))
    t = terminal(home, str(last.order), cwd=tmp_path)
    t.expect("Take it again")
    assert f"Its lab is not started: python -m mlops_primer lab start {last.id}" in \
        " ".join(" ".join(t.lines).split())
    t.send("")
    play_lesson(t, last)
    t.expect("finished the whole course")
    finish(t.child)
    assert t.child.exitstatus == 0


def quiz_orders(home: Path, lesson: Lesson, tmp_path: Path) -> dict[int, dict[int, str]]:
    t = terminal(home, lesson.id, cwd=tmp_path)
    shown = play_lesson(t, lesson)
    t.child.sendline("q")
    finish(t.child)
    return shown


def test_two_learners_see_different_orders_and_a_resumed_quiz_the_same(
        home: Path, course: Course, tmp_path: Path) -> None:
    lesson = course.get("drift")
    a, b = tmp_path / "a", tmp_path / "b"
    for h, seed in ((a, "1" * 32), (b, "2" * 32)):
        h.mkdir()
        (h / "learner-id").write_text(seed + "\n")
    in_a = quiz_orders(a, lesson, tmp_path)
    in_b = quiz_orders(b, lesson, tmp_path)
    assert in_a != in_b
    # the same choices, only in another order, numbered from 1
    for i, q in enumerate(lesson.quiz):
        assert sorted(in_a[i].values()) == sorted(" ".join(c.split()) for c in q.choices)
        assert sorted(in_a[i]) == list(range(1, len(q.choices) + 1))
    # in file order the right answer would always sit where the file put it
    file_order = {i: {n + 1: " ".join(c.split()) for n, c in enumerate(q.choices)}
                  for i, q in enumerate(lesson.quiz)}
    assert in_a != file_order

    # a fresh learner gets an id of its own, kept for next time
    c = tmp_path / "c"
    c.mkdir()
    t = terminal(c, lesson.id, "--theme", lesson.themes[0].id, cwd=tmp_path)
    t.page_through("Enter: takeaways")
    t.send("")
    t.expect("Your question")
    t.send("")
    t.expect(r"Your answer \(1-\d")
    first = t.choices()
    t.send(str(t.number_of(lesson.quiz[0].answer)))
    t.expect(r"Question 2 of")
    t.expect(r"Your answer \(1-\d")
    second = t.choices()
    t.send("quit")
    finish(t.child)
    learner = (c / "learner-id").read_text().strip()
    assert len(learner) == 32

    # resumed mid-quiz: the lesson is named, and question 2 comes in the same order
    t = terminal(c, cwd=tmp_path)
    t.expect("Lesson number")
    t.send("", place=False)
    t.expect(r"Your answer \(1-\d")
    said = " ".join(" ".join(t.lines).split())
    assert f"Back to lesson {lesson.order}: {lesson.title}, at the quiz, question 2 of" in said
    assert t.choices() == second
    t.send("back")
    t.expect(r"Your answer \(1-\d")
    assert t.choices() == first
    t.send("quit")
    finish(t.child)
    assert (c / "learner-id").read_text().strip() == learner


def typo(word: str) -> str:
    """``word`` with its last letter but one left out: "cooking" becomes "cookig"."""
    low = word.lower()
    return low[:-2] + low[-1]


def test_words_at_the_world_prompt_that_are_no_world_are_never_saved(
        home: Path, course: Course) -> None:
    lesson = course.get("deployment")
    t = terminal(home, lesson.id)
    t.page_through("Enter: choose a world")
    t.send("")
    for word, says in (("help", "Type a number from 1 to"), ("?", "Type a number from 1 to"),
                       ("hint", "Type a number from 1 to"),
                       ("clear3", "does not look like a world"),
                       ("menu", "is not a world here"),
                       (typo(lesson.themes[1].label), "Did you mean")):
        t.expect(r"World \(1-")
        t.send(word)
        t.expect(says)
    t.expect(r"World \(1-")
    t.send("quit")
    finish(t.child)
    p = progress_of(home, lesson.id)
    assert p["theme_id"] is None and p["step"] == "theme"

    # a world of one's own, offline: the prompt to paste, reflowed; still nothing saved
    t = terminal(home, lesson.id)
    t.expect(r"World \(1-")
    t.send("a beehive")
    t.expect("is a world of your own")
    t.expect("p: the prompt to paste")
    t.send("p")
    t.page_through("Enter: go on")
    prompt_lines = [line for line in t.all_lines() if "a beehive" in line]
    assert prompt_lines
    t.send("")
    t.expect("s: go on to the takeaways")
    t.send("s")
    t.expect("Key takeaways")
    t.expect("Your question")
    t.send("quit")
    finish(t.child)
    p = progress_of(home, lesson.id)
    assert p["theme_id"] is None and p["step"] == "takeaways"


def test_hint_and_help_at_a_quiz_question(home: Path, course: Course) -> None:
    lesson = course.get("drift")
    q = lesson.quiz[0]
    t = terminal(home, lesson.id)
    t.page_through("Enter: choose a world")
    t.send("")
    t.expect(r"World \(1-")
    t.send("2")
    t.page_through("Enter: takeaways")
    t.send("")
    t.expect("Your question")
    t.send("")
    hint = " ".join(q.hint.split())[:30]
    for word in ("hint", "h", "?", "help"):
        t.expect(r"Your answer \(1-\d")
        t.send(word)
        t.expect("Hint: ")
        t.expect(hint.split()[0])
    t.expect("Type the number of your answer")  # help also says what the prompt takes
    t.expect(r"Your answer \(1-\d")
    t.send("3x")
    t.expect("Please type a number from 1 to")
    t.expect(r"Your answer \(1-\d")
    t.send(str(t.number_of(q.answer)))
    t.expect("Right!")
    t.expect(r"Your answer \(1-\d")
    t.send("quit")
    finish(t.child)
    p = progress_of(home, lesson.id)
    assert p["theme_id"] == lesson.themes[1].id  # the one real world chosen


def test_questions_offline_are_answered_from_the_glossary(home: Path, course: Course) -> None:
    lesson = course.get("drift")
    psi = next(g for g in lesson.glossary if "PSI" in g.term)
    t = terminal(home, lesson.id, "--theme", lesson.themes[0].id)
    t.page_through("Enter: takeaways")
    t.send("")
    t.expect("Your question")
    t.send("What does PSI measure?")
    t.expect("From this lesson:")
    t.expect(" ".join(psi.definition.split()[:4]))
    t.expect("Your question")
    t.send("how do I bake bread?")
    t.expect("need an LLM")
    t.expect("Your question")
    t.send("g")
    t.expect("Glossary")
    t.page_through("Enter: back to the lesson")
    t.send("")
    t.expect("Your question")
    t.send("")
    t.expect(r"Your answer \(1-\d")
    t.send("quit")
    finish(t.child)


def test_the_world_menu_marks_worlds_read_and_an_offline_start_is_one_quiet_line(
        home: Path, course: Course) -> None:
    lesson = course.get("lifecycle")
    t = terminal(home, lesson.id)
    t.expect("Why it matters")
    screen = "\n".join(t.lines)
    assert "Offline: ready-made explanations" in screen
    assert "No LLM is configured" not in screen and "warning" not in screen.lower()
    t.page_through("Enter: choose a world")
    t.send("")
    t.expect(r"World \(1-")
    assert "read)" not in "\n".join(t.lines)
    assert "ready offline" in "\n".join(t.lines)
    t.send("2")
    t.page_through("Enter: takeaways")
    t.send("b")  # back from the last page goes a page back, then to the worlds
    t.expect(r"Enter: more \(\d+/\d+\)")
    t.send("skip")  # skip: done reading, on to the next step
    t.expect("Your question")
    t.send("b")
    t.page_through("Enter: takeaways")
    while True:
        t.send("b")
        if t.expect([r"Enter: more|Enter: takeaways", r"World \(1-"]) == 1:
            break
    assert f"{lesson.themes[1].label}  (✓ read)" in "\n".join(t.lines)
    t.send("quit")
    finish(t.child)
    db = sqlite3.connect(home / "primer.db")
    assert db.execute("SELECT theme_id FROM worlds_read").fetchall() == [
        (lesson.themes[1].id,)]


@pytest.mark.parametrize("cols", [80])
def test_plain_mode_prints_the_answer_at_once(home: Path, course: Course, cols: int) -> None:
    lesson = course.get("drift")
    child = spawn_cli(home, "learn", lesson.id, "--theme", lesson.themes[0].id, "--plain",
                      rows=24, cols=cols)
    child.expect("Recap")  # the whole answer, with no page to turn first
    assert "Enter: more" not in (child.before or "")
    child.expect("Enter: takeaways")
    child.sendline("quit")
    finish(child)
