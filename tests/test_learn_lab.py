"""The lab step of `learn`: after the quiz, the lesson's lab is offered (start it now, or
later); `lessons` shows each lab's state. Played in a real pseudo-terminal (ptyplay +
pyte) at 80x24, with the learner's home (and so the labs' default folder) in a temporary
folder."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from conftest import ROOT, run
from ptyplay import LAB_OFFER, Terminal, finish, spawn_cli

from mlops_primer.lessons import Course, Lesson
from mlops_primer.resources import builtin_lessons_dir

PROG = "python -m mlops_primer"  # how the tests start the program: commands are named so


def to_the_lab(home: Path, lesson: Lesson, *, rows: int = 24, cols: int = 80,
               until: str = LAB_OFFER) -> Terminal:
    """`learn LESSON` in its first world, through the answer (explain it back skipped),
    takeaways and quiz (all right the first time), to the lab step."""
    t = Terminal(spawn_cli(home, "learn", lesson.id, "--theme", lesson.themes[0].id,
                           rows=rows, cols=cols, cwd=home), rows=rows, cols=cols)
    t.page_through("Enter: explain it back")
    t.send("")
    t.skip_explain()
    t.expect("Your question")
    t.send("")
    for q in lesson.quiz:
        t.expect(r"Your answer \(1-\d")
        t.send(str(t.number_of(q.answer)))
        t.expect("Right!")
    t.expect(until)
    return t


def screen(t: Terminal) -> str:
    return "\n".join(t.lines)


def flat(t: Terminal) -> str:
    """The screen's words as one line (lines wrapped by the program joined again)."""
    return " ".join(" ".join(t.lines).split())


def labs_json(home: Path) -> dict[str, dict]:
    out = run("lab", "list", "--json", env={"MLOPS_PRIMER_HOME": str(home),
                                             "MLOPS_PRIMER_LABS": str(home / "unused")})
    assert out.returncode == 0, out.stderr
    return {row["lesson"]: row for row in json.loads(out.stdout)}


def progress_of(home: Path, lesson_id: str) -> dict:
    data = json.loads(run("progress", "--json", env={"MLOPS_PRIMER_HOME": str(home)}).stdout)
    return next(p for p in data if p["id"] == lesson_id)


def test_starting_the_lab_from_learn_shows_its_folder_and_what_to_run(
        home: Path, course: Course) -> None:
    lesson = course.get("drift")
    assert lesson.lab is not None
    t = to_the_lab(home, lesson)
    offer = flat(t)
    assert "· Lab ·" in offer  # the place line names the step
    assert f"Hands-on lab: {lesson.lab.title}" in offer
    assert f"About {lesson.lab.minutes} minutes, with plain Python" in offer
    assert "Enter: later" in offer
    assert labs_json(home)[lesson.id]["state"] == "not_started"  # nothing before 's'
    t.send("s")
    t.expect("Enter: the lesson's notes")
    folder = home / "mlops-primer-labs" / lesson.id  # the default folder, ~ being the home
    shown = flat(t)
    assert "Lab started. Your lab folder:" in shown
    assert str(folder) in "".join(line.strip() for line in t.lines)
    assert f"{PROG} lab check {lesson.id}" in shown
    assert f"{PROG} lab hint {lesson.id}" in shown
    assert "Open that folder in your editor and read TASK.md" in shown
    assert "started, not done" in shown and "passed" not in shown.replace(
        "it is passed when `lab check` says so", "")
    # the steps wrap under their own text, never to column 0
    steps = [i for i, line in enumerate(t.lines) if re.match(r"^\s+[12]\. ", line)]
    for i in steps:
        nxt = t.lines[i + 1]
        assert not nxt or nxt.startswith("     "), screen(t)
    assert (folder / "TASK.md").is_file() and (folder / "drift.py").is_file()
    t.send("")
    t.expect("Save study notes")
    assert f"Its lab is started, not passed yet: {PROG} lab check {lesson.id}" in flat(t)
    t.send("")
    t.expect(r"Enter: lesson \d")
    assert "Not passed yet: the lab of lesson 5 (started)" in flat(t)
    t.send("q", place=False)
    out = finish(t.child)
    assert t.child.exitstatus == 0 and "Traceback" not in out
    assert max(len(line) for line in t.all_lines()) <= 80

    row = labs_json(home)[lesson.id]
    assert row["state"] == "started" and row["workspace"] == str(folder)
    assert row["checks"] == 0  # started, not checked: nothing claims the lab was done
    p = progress_of(home, lesson.id)
    assert p["done"] and p["lab"] == "started"  # the lesson is done with its quiz
    assert not (ROOT / "mlops-primer-labs").exists()


def test_later_leaves_the_lab_not_started_and_goes_on_to_the_notes(
        home: Path, course: Course) -> None:
    lesson = course.get("what-is-mlops")
    t = to_the_lab(home, lesson)
    t.send("")  # Enter: later
    t.expect("Save study notes")
    shown = flat(t)
    assert f"Its lab is not started: {PROG} lab start {lesson.id}" in shown
    t.send("")
    t.expect(r"Enter: lesson \d")
    t.send("q", place=False)
    finish(t.child)
    assert t.child.exitstatus == 0
    assert labs_json(home)[lesson.id]["state"] == "not_started"
    assert not (home / "mlops-primer-labs").exists()  # nothing written
    p = progress_of(home, lesson.id)
    assert p["done"] and p["lab"] == "not_started"


def test_l_is_later_too_and_back_at_the_lab_shows_the_quiz_result(
        home: Path, course: Course) -> None:
    lesson = course.get("lifecycle")
    t = to_the_lab(home, lesson)
    t.send("b")
    t.expect("Quiz done")
    t.expect(LAB_OFFER)
    t.send("l")
    t.expect("Save study notes")
    t.send("quit")
    finish(t.child)
    assert labs_json(home)[lesson.id]["state"] == "not_started"


def test_a_lab_already_started_is_shown_with_its_state_and_never_written_over(
        home: Path, course: Course) -> None:
    lesson = course.get("drift")
    started = run("lab", "start", lesson.id)  # the fixture's MLOPS_PRIMER_LABS: the same
    assert started.returncode == 0, started.stderr  # folder as ~/mlops-primer-labs here
    folder = home / "mlops-primer-labs" / lesson.id
    mine = folder / "drift.py"
    mine.write_text(mine.read_text() + "\n# my own work\n")
    t = to_the_lab(home, lesson, until="Enter: the lesson's notes")  # no offer to start again
    shown = flat(t)
    assert "You started this lab already" in shown
    assert "(started, not passed yet). Nothing there was changed." in shown
    assert f"{PROG} lab check {lesson.id}" in shown
    assert str(folder) in "".join(line.strip() for line in t.lines)
    t.send("")
    t.expect("Save study notes")
    t.send("quit")
    finish(t.child)
    assert mine.read_text().endswith("# my own work\n")
    assert labs_json(home)[lesson.id]["state"] == "started"


def test_plain_mode_names_the_lab_and_its_command_and_starts_nothing(
        home: Path, course: Course) -> None:
    lesson = course.get("drift")
    # the answer, explain it back (skipped) and the takeaways, then the quiz skipped
    answers = ["", "", ""] + ["skip"] * len(lesson.quiz) + ["", "q"]
    r = run("learn", lesson.id, "--theme", "sailing", "--plain",
            input="\n".join(answers) + "\n")
    assert r.returncode == 0, r.stderr
    out = " ".join(r.stdout.split())
    assert f"Lab: {lesson.lab.title} (about {lesson.lab.minutes} min, plain Python). " \
        f"Start it with: {PROG} lab start {lesson.id}" in out
    assert LAB_OFFER not in out
    assert not (home / "mlops-primer-labs").exists()
    assert labs_json(home)[lesson.id]["state"] == "not_started"


def test_no_input_names_the_lab_and_starts_nothing(home: Path, course: Course) -> None:
    lesson = course.get("deployment")
    r = run("learn", lesson.id, "--theme", lesson.themes[0].id, "--no-input")
    assert r.returncode == 0, r.stderr
    assert f"Lab: {lesson.lab.title}" in r.stderr
    assert f"Start it with: {PROG} lab start {lesson.id}" in r.stderr
    assert "Lab:" not in r.stdout  # stdout is the answer alone
    data = json.loads(run("learn", lesson.id, "--theme", lesson.themes[0].id, "--no-input",
                          "--json").stdout)
    assert data["lab"] == {"title": lesson.lab.title, "minutes": lesson.lab.minutes,
                           "start": f"{PROG} lab start {lesson.id}"}
    assert not (home / "mlops-primer-labs").exists()


def test_lessons_shows_each_labs_state(home: Path, course: Course) -> None:
    def listing() -> tuple[str, dict[str, dict]]:
        text = run("lessons").stdout
        data = {row["id"]: row for row in json.loads(run("lessons", "--json").stdout)}
        return " ".join(text.split()), data

    text, data = listing()
    for lesson in course.lessons:
        assert lesson.lab is not None
        assert f"lab: {lesson.lab.title} (not started)" in text
        assert data[lesson.id]["lab"] == {"title": lesson.lab.title, "state": "not_started"}
    assert run("lab", "start", "drift").returncode == 0
    assert run("lab", "start", "lifecycle").returncode == 0
    folder = home / "mlops-primer-labs" / "lifecycle"
    spec = course.get("lifecycle").lab
    for name in spec.files:  # the reference solution: a real pass
        shutil.copyfile(builtin_lessons_dir() / "labs" / "lifecycle" / "solution" / name,
                        folder / name)
    checked = run("lab", "check", "lifecycle")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for _ in range(2):  # the second time from the catalog's cache
        text, data = listing()
        assert f"lab: {course.get('drift').lab.title} (started)" in text
        assert f"lab: {spec.title} (passed ✓)" in text
        assert data["drift"]["lab"]["state"] == "started"
        assert data["lifecycle"]["lab"]["state"] == "passed"
        assert data["versioning"]["lab"]["state"] == "not_started"
