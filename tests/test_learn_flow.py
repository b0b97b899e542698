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
    t.page_through("Enter: explain it back")
    t.send("")
    t.skip_explain()
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
    for label in ("Intro", "World", "Answer", "Explain it back", "Takeaways", "Quiz 1/",
                  "Lab", "Notes"):
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
    t.page_through("Enter: explain it back")
    t.send("")
    t.skip_explain()
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
    t.page_through("Enter: explain it back")
    t.send("")
    t.skip_explain()
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
    t.page_through("Enter: explain it back")
    t.send("")
    t.skip_explain()
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
    t.page_through("Enter: explain it back")
    t.send("b")  # back from the last page goes a page back, then to the worlds
    t.expect(r"Enter: more \(\d+/\d+\)")
    t.send("skip")  # skip: done reading, on to the next step
    t.skip_explain()
    t.expect("Your question")
    t.send("b")  # back from the takeaways: explain it back, then the answer
    t.expect(r"Your explanation \(Enter: skip\)")
    t.send("b")
    t.page_through("Enter: explain it back")
    while True:
        t.send("b")
        if t.expect([r"Enter: more|Enter: explain it back", r"World \(1-"]) == 1:
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
    child.expect("Enter: explain it back")
    child.sendline("quit")
    finish(child)


# -- explain it back ------------------------------------------------------------------------

DRIFT_WRONG = "Drift simply means the accuracy drops, so you just retrain it every time."
DRIFT_BETTER = "The world changes after launch and nothing crashes, so we need monitoring."


def test_explain_it_back_offline_at_80x24(home: Path, course: Course) -> None:
    lesson = course.get("drift")
    explain = lesson.explain
    assert explain is not None
    clock = "2030-01-07T09:00:00Z"
    t = Terminal(spawn_cli(home, "learn", lesson.id, "--theme", lesson.themes[0].id, rows=24,
                           cols=80, extra_env={"MLOPS_PRIMER_CLOCK": clock}), rows=24, cols=80)
    t.page_through("Enter: explain it back")
    t.send("")
    t.expect(r"Your explanation \(Enter: skip\)")
    screen = " ".join(" ".join(t.lines).split())
    assert "· Explain it back ·" in screen
    assert " ".join(explain.question.split()) in screen
    assert "Enter or skip: go on · ?: help" in screen
    t.send("?")
    t.expect("goes on to the takeaways")
    t.expect(r"Your explanation \(Enter: skip\)")
    t.send("drift")
    t.expect("only a word or two")
    t.expect(r"Your explanation \(Enter: go on\)")
    t.send(DRIFT_WRONG)
    t.expect(r"Your explanation \(Enter: go on\)")
    screen = " ".join(" ".join(t.lines).split())
    assert f"You covered 0 of {len(explain.ideas)} ideas." in screen
    wrong = next(m for m in explain.misconceptions if m.id == "accuracy-only")
    assert "A gentle correction: " + " ".join(wrong.feedback.split())[:60] in screen
    assert "A question to think about: " + " ".join(explain.ideas[0].ask.split()) in screen
    assert "Try once more, or Enter: go on" in screen
    t.send(DRIFT_BETTER)
    t.expect("Enter: takeaways")
    screen = " ".join(" ".join(t.lines).split())
    assert f"You covered 2 of {len(explain.ideas)} ideas:" in screen
    assert "A full explanation would also say:" in screen
    for idea in explain.ideas[2:]:  # the missing ones, in full, after the last try
        assert " ".join(idea.text.split())[:50] in screen
    t.send("")
    t.expect("Key takeaways")
    t.expect("Your question")
    t.send("quit")
    finish(t.child)
    assert max(len(line) for line in t.all_lines()) <= 80

    with Store(home / "primer.db") as store:
        saved = store.progress(lesson.id)
        assert saved is not None and saved.step == "takeaways"
        assert saved.quiz_answers["explain"] == {
            "credited": ["world-changes", "silent"], "missing": ["kinds", "investigate"],
            "misconceptions": [], "source": "offline", "tries": 2}
        items = {i.key: i for i in store.review_items(lesson.id) if i.kind == "idea"}
    assert set(items) == {"kinds", "investigate"}  # the missed ideas come back in review
    assert all(i.box == 1 and i.last_missed for i in items.values())
    assert items["kinds"].detail == " ".join(explain.ideas[2].text.split())
    assert {i.due_at[:10] for i in items.values()} == {"2030-01-08"}  # a day later

    # once the lesson is finished, the review asks them a day later, with their questions
    with Store(home / "primer.db") as store:
        saved.completed_at = now_iso()
        store.save_progress(saved)
    env = {"MLOPS_PRIMER_HOME": str(home), "MLOPS_PRIMER_CLOCK": "2030-01-08T10:00:00Z"}
    due = json.loads(run("review", "--due", "--json", env=env).stdout)["due"]
    ideas = {d["key"]: d for d in due if d["kind"] == "idea"}
    assert set(ideas) == {"kinds", "investigate"}
    assert ideas["kinds"]["prompt"] == " ".join(explain.ideas[2].ask.split())


def test_explain_it_back_with_an_llm_credits_only_quoted_ideas(home: Path, course: Course,
                                                               server) -> None:  # noqa: ANN001
    lesson = course.get("drift")
    explain = lesson.explain
    assert explain is not None
    text = "Drift is when the world changes after launch, so the model quietly gets worse."
    server.replies.extend([
        "## Sea\n\nThe sea changes.\n\n## Recap\n\nDrift.\n",
        json.dumps({"ideas": [
            {"id": "world-changes", "credited": True, "quote": "the world changes after launch"},
            {"id": "silent", "credited": True, "quote": "nothing ever crashes, so we monitor"},
            {"id": "kinds", "credited": False, "quote": ""},
            {"id": "investigate", "credited": False, "quote": ""}],
            "misconceptions": [], "feedback": "A lovely start: you saw that the world moves."}),
    ])
    child = spawn_cli(home, "learn", lesson.id, "--theme", "sailing", "--base-url",
                      server.base_url, "--model", "test-model", rows=24, cols=80)
    t = Terminal(child, rows=24, cols=80)
    t.expect("answered by test-model")
    t.expect("Enter: explain it back")
    t.send("")
    t.expect(r"Your explanation \(Enter: skip\)")
    t.send(text)
    t.expect(r"Your explanation \(Enter: go on\)")
    screen = " ".join(" ".join(t.lines).split())
    assert "Reading your explanation with test-model" in " ".join(
        " ".join(t.all_lines()).split())
    assert f"You covered 1 of {len(explain.ideas)} ideas:" in screen  # not the made-up quote
    assert "Your tutor says: A lovely start" in screen
    assert "A question to think about: " + " ".join(explain.ideas[1].ask.split()) in screen
    t.send("")  # no second try: the missing ideas in full, then on
    t.expect("A full explanation would also say")
    t.expect("Enter: takeaways")
    t.send("quit")
    finish(child)
    grading_request = server.chat_requests()[1].body["messages"][-1]["content"]
    assert text in grading_request and '"investigate"' in grading_request
    with Store(home / "primer.db") as store:
        saved = store.progress(lesson.id)
        assert saved is not None
        assert saved.quiz_answers["explain"]["credited"] == ["world-changes"]
        assert saved.quiz_answers["explain"]["source"] == "llm"
