"""Spaced review end to end, with the clock injected (MLOPS_PRIMER_CLOCK).

A learner finishes a lesson's quiz with two misses in a real pseudo-terminal; the misses
come first in `review --due --json` a day later; a review session (also in the pty)
answers one right, which moves it a box on, and misses the other, which stays in box 1;
a day after that the due list has changed as scheduled. Then the commands' JSON, text and
bad input through CliRunner, the notes' "What I got wrong", and the counts that
`lessons` and the welcome show.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import invoke, run
from ptyplay import LAB_OFFER, Terminal, finish, spawn_cli

from mlops_primer import review
from mlops_primer.lessons import Course, Lesson
from mlops_primer.reviewing import Reviewer, blank_term, match_term, term_names
from mlops_primer.store import Progress, Store, now_iso

T0 = review.parse_time("2030-01-07T09:00:00Z")
T1 = T0 + timedelta(days=1)
T2 = T1 + timedelta(days=1)
MISSED = (1, 3)  # the quiz questions the learner gets wrong
REVIEW_PLACE = re.compile(r"Review (\d+)/(\d+) · ")


def clock_env(home: Path, at) -> dict[str, str]:  # noqa: ANN001
    return {"MLOPS_PRIMER_HOME": str(home), "MLOPS_PRIMER_CLOCK": review.iso(at)}


def due_json(home: Path, at) -> dict:  # noqa: ANN001
    out = run("review", "--due", "--json", env=clock_env(home, at))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def all_json(home: Path, at) -> dict:  # noqa: ANN001
    out = run("review", "--all", "--json", env=clock_env(home, at))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def wrong_number(t: Terminal, answer: str, *, but: int | None = None) -> int:
    """A wrong choice's number (other than ``but``, a wrong one tried already)."""
    right = t.number_of(answer)
    return next(n for n in t.choices() if n not in (right, but))


def play_with_misses(t: Terminal, lesson: Lesson) -> None:
    """Intro, world 1, answer, explain it back skipped, takeaways; the quiz with MISSED
    wrong twice; notes saved."""
    t.page_through("Enter: choose a world")
    t.send("")
    t.expect(r"World \(1-")
    t.send("1")
    t.page_through("Enter: explain it back")
    t.send("")
    t.skip_explain()
    t.expect("Your question")
    t.send("")
    for i, q in enumerate(lesson.quiz):
        t.expect(r"Your answer \(1-\d")
        if i in MISSED:
            first = wrong_number(t, q.answer)
            t.send(str(first))
            t.expect("Not quite")
            t.expect(r"Your answer \(1-\d")
            t.send(str(wrong_number(t, q.answer, but=first)))
            t.expect("Not this time")
        else:
            t.send(str(t.number_of(q.answer)))
            t.expect("Right!")
    t.expect(LAB_OFFER)
    t.send("")  # the lab later
    t.expect("Save study notes")
    t.send("notes.md")
    t.expect("Notes saved")


def test_two_misses_come_first_and_move_through_the_boxes_as_scheduled(
        home: Path, course: Course, tmp_path: Path) -> None:
    lesson = course.get("drift")
    child = spawn_cli(home, "learn", lesson.id, rows=24, cols=80, cwd=tmp_path,
                      extra_env={"MLOPS_PRIMER_CLOCK": review.iso(T0)})
    t = Terminal(child, rows=24, cols=80)
    play_with_misses(t, lesson)
    t.expect(r"Enter: lesson \d")
    t.send("q", place=False)
    finish(child)
    assert child.exitstatus == 0

    # the notes remember what went wrong, and why
    notes = (tmp_path / "notes.md").read_text()
    wrong = notes.split("## What I got wrong, and why", 1)[1].split("\n## ", 1)[0]
    for i in range(len(lesson.quiz)):
        assert (f"Quiz question {i + 1}:" in wrong) == (i in MISSED)
    assert lesson.quiz[MISSED[0]].explanation.split()[0] in wrong

    # nothing is due on the day of the lesson; a day later the two misses come first
    assert due_json(home, T0)["due"] == []
    assert due_json(home, T0)["next_due"] == review.iso(T1)
    due = due_json(home, T1)["due"]
    assert [(d["kind"], d["key"]) for d in due[:2]] == [("quiz", "1"), ("quiz", "3")]
    assert all(d["last_missed"] and d["box"] == 1 and d["misses"] == 1 for d in due[:2])
    assert due[0]["detail"] and due[0]["detail"] in " ".join(
        lesson.quiz[1].explanation.split())
    # the rest due are the lesson's glossary terms (the questions right went to box 2)
    assert sorted(d["key"] for d in due[2:]) == sorted(g.term for g in lesson.glossary)
    scheduled = {(i["kind"], i["key"]): i for i in all_json(home, T1)["items"]}
    assert scheduled[("quiz", "0")]["box"] == 2
    assert scheduled[("quiz", "0")]["due_at"] == review.iso(T0 + timedelta(days=3))

    # the review session, a day later: one right, one missed, then q
    child = spawn_cli(home, "review", rows=24, cols=80, cwd=tmp_path,
                      extra_env={"MLOPS_PRIMER_CLOCK": review.iso(T1)})
    t = Terminal(child, rows=24, cols=80)
    t.expect(r"Your answer \(1-\d · s: skip · q: quit\)")
    screen = "\n".join(t.lines)
    assert REVIEW_PLACE.search(screen).groups() == ("1", "10")
    assert lesson.quiz[1].question.split()[0] in screen
    t.send(str(t.number_of(lesson.quiz[1].answer)), place=False)
    t.expect("Right!")
    t.expect("It moves to box 2 of 5: back in 3 days")
    t.expect(r"Enter: next \(1/10\) · q: quit")
    t.send("", place=False)
    t.expect(r"Your answer \(1-\d")
    assert REVIEW_PLACE.search("\n".join(t.lines)).groups() == ("2", "10")
    t.send(str(wrong_number(t, lesson.quiz[3].answer)), place=False)
    t.expect("Not this time. The answer:")
    t.expect("It goes back to box 1: back tomorrow")
    t.expect(r"Enter: next \(2/10\)")
    t.send("", place=False)
    t.expect("Which term is this")
    t.expect(r"The term \(s: skip · q: quit\)")
    t.send("q", place=False)
    t.expect("Your 2 answers are saved; 8 still due")
    finish(child)
    assert child.exitstatus == 0
    for screen in t.transcript:  # every screen says where the learner is and what to type
        assert REVIEW_PLACE.search(screen), screen
        assert "q: quit" in screen, screen
    assert max(len(line) for line in t.all_lines()) <= 80

    items = {(i["kind"], i["key"]): i for i in all_json(home, T1)["items"]}
    right, missed = items[("quiz", "1")], items[("quiz", "3")]
    assert (right["box"], right["last_missed"], right["misses"]) == (2, False, 1)
    assert right["due_at"] == review.iso(T1 + timedelta(days=3))
    assert (missed["box"], missed["last_missed"], missed["misses"]) == (1, True, 2)
    assert missed["due_at"] == review.iso(T2)

    # a day later: the one missed again is first, the one answered right is not due
    due = due_json(home, T2)["due"]
    keys = [(d["kind"], d["key"]) for d in due]
    assert keys[0] == ("quiz", "3") and ("quiz", "1") not in keys
    assert ("quiz", "0") not in keys  # right in the lesson: due on day 3, not yet
    assert ("quiz", "0") in [(d["kind"], d["key"]) for d in due_json(
        home, T0 + timedelta(days=3))["due"]]


# -- the commands -------------------------------------------------------------------------


def finished_with_misses(home: Path, course: Course, lesson_id: str = "drift") -> Lesson:
    lesson = course.get(lesson_id)
    with Store(home / "primer.db") as store:
        store.save_progress(Progress(lesson_id=lesson.id, step="done", completed_at=now_iso()))
        reviewer = Reviewer(course, store, clock=lambda: T0)
        for i in range(len(lesson.quiz)):
            reviewer.record_quiz(lesson, i, i not in MISSED)
        reviewer.lesson_finished(lesson)
    return lesson


def test_due_and_all_as_text_and_json(cli, home: Path, course: Course,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_PRIMER_CLOCK", review.iso(T0))
    empty = invoke(cli, "review", "--due")
    assert empty.exit_code == 0 and "Nothing to review yet" in empty.stdout
    lesson = finished_with_misses(home, course)
    not_yet = invoke(cli, "review", "--due")
    assert not_yet.exit_code == 0
    assert "Nothing is due for review now. The next item is due tomorrow" in not_yet.stdout
    monkeypatch.setenv("MLOPS_PRIMER_CLOCK", review.iso(T1))
    text = invoke(cli, "review", "--due")
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0] == f"Due for review now ({2 + len(lesson.glossary)}):"
    assert "quiz question, lesson 5 (box 1, missed 1x, due now)" in lines[1]
    assert "mlops-primer review" in lines[-1]
    data = json.loads(invoke(cli, "review", "--all", "--json").stdout)
    assert data["now"] == review.iso(T1)
    assert len(data["items"]) == len(lesson.quiz) + len(lesson.glossary)
    assert {i["box"] for i in data["items"]} == {1, 2}
    assert all(i["due"] == (i["box"] == 1) for i in data["items"])
    assert data["next_due"] == review.iso(T0 + timedelta(days=3))
    listing = invoke(cli, "review", "--all")
    assert listing.exit_code == 0 and "Scheduled for review" in listing.stdout
    assert "due in 2 days" in listing.stdout


@pytest.mark.parametrize(("args", "env", "message"), [
    (["--due", "--all"], {}, "choose one of --due and --all"),
    (["--json"], {}, "--json goes with --due or --all"),
    (["--limit", "0"], {}, "0 is not a number of items from 1 to 50"),
    (["--limit", "many"], {}, "many"),
    (["--due"], {"MLOPS_PRIMER_CLOCK": "next tuesday"}, "MLOPS_PRIMER_CLOCK is not a time"),
])
def test_bad_input_is_one_line_and_a_usage_exit(home: Path, args: list[str],
                                                env: dict[str, str], message: str) -> None:
    out = run("review", *args, env={"MLOPS_PRIMER_HOME": str(home), **env})
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_a_session_on_piped_input_keeps_each_answer(cli, home: Path, course: Course,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    lesson = finished_with_misses(home, course)
    monkeypatch.setenv("MLOPS_PRIMER_CLOCK", review.iso(T1))
    monkeypatch.setenv("COLUMNS", "80")
    # 1: skip; 2: "x" is no answer, then an answer; 3 and on: a term, typed with a typo
    first_term = sorted(g.term for g in lesson.glossary)[0]  # "Concept drift"
    out = invoke(cli, "review", "--limit", "3",
                 input=f"s\n\nx\n1\n\n?\n{first_term.lower().replace('drift', 'drfit')}\n\n")
    assert out.exit_code == 0, out.stdout
    assert "Skipped: it stays due." in out.stdout
    assert "Please type a number from 1 to" in out.stdout
    assert "Type the term this defines" in out.stdout  # the help, after ?
    assert f"Right! (the spelling: {first_term})" in out.stdout
    assert "Review done:" in out.stdout
    with Store(home / "primer.db") as store:
        items = {(i.kind, i.key): i for i in store.review_items()}
    assert items[("quiz", "1")].box == 1 and items[("quiz", "1")].misses == 1  # skipped
    assert items[("term", first_term)].box == 2


def test_nothing_due_says_when_the_next_is(cli, home: Path, course: Course,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_PRIMER_CLOCK", review.iso(T0))
    assert "Nothing to review yet" in invoke(cli, "review").stdout
    finished_with_misses(home, course)
    out = invoke(cli, "review")
    assert out.exit_code == 0
    assert "Nothing is due for review now." in out.stdout
    assert "The next review is due tomorrow (2030-01-08 09:00 UTC)" in out.stdout


def test_lessons_and_the_welcome_say_how_many_are_due(home: Path, course: Course) -> None:
    env = clock_env(home, T1)
    assert "review" not in run("lessons", env=env).stdout.lower()
    lesson = finished_with_misses(home, course)
    n = 2 + len(lesson.glossary)
    listing = run("lessons", env=env)
    assert re.search(rf"{n} reviews are due: run `[^`]*mlops[-_]primer review`",
                     " ".join(listing.stdout.split()))
    assert "reviews are due" not in run("lessons", env=clock_env(home, T0)).stdout
    welcome = run(env=env)
    assert re.search(rf"Review, {n} due:\s+\S[^\n]*mlops[-_]primer review", welcome.stdout)


# -- matching and cards ------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "term", "ok"), [
    ("concept drift", "Concept drift", True),
    ("  CONCEPT   drift ", "Concept drift", True),
    ("concept-drift", "Concept drift", True),
    ("concept drfit", "Concept drift", True),  # a small typo
    ("concept drifts", "Concept drift", True),
    ("data drift", "Concept drift", False),
    ("psi", "Population Stability Index (PSI)", True),
    ("population stability index", "Population Stability Index (PSI)", True),
    ("pis", "Population Stability Index (PSI)", False),  # short names must be exact
    ("cicd", "CI/CD", True),
    ("ci/cd", "CI/CD", True),
    ("", "Model", False),
])
def test_terms_are_matched_forgivingly(typed: str, term: str, ok: bool) -> None:
    assert match_term(typed, term_names(term))[0] is ok


def test_a_definition_does_not_give_its_term_away() -> None:
    shown = blank_term("A Canary release sends a few users to canary releases first.",
                       ["canary release"])
    assert "anary" not in shown and shown.count("_____") == 2


def test_every_shipped_card_can_be_built_and_answered(home: Path, course: Course) -> None:
    with Store(home / "primer.db") as store:
        reviewer = Reviewer(course, store, clock=lambda: T0)
        for lesson in course.lessons:
            for i, q in enumerate(lesson.quiz):
                item = review.first(lesson.id, "quiz", str(i), False, T0)
                card = reviewer.card(item, lesson)
                assert sorted(card.choices) == sorted(q.choices)
                assert reviewer.check(card, str(card.right_number)).correct
                assert not reviewer.check(card, str(card.right_number % len(q.choices)
                                                    + 1)).correct
            for g in lesson.glossary:
                card = reviewer.card(review.first(lesson.id, "term", g.term, None, T0), lesson)
                assert reviewer.check(card, g.term).correct, g.term
                assert card.prompt.strip()
        gone = review.first("drift", "quiz", "99", False, T0)
        assert reviewer.card(gone, course.get("drift")) is None
        assert reviewer.card(review.first("drift", "idea", "x", False, T0),
                             course.get("drift")) is None  # no such idea: skipped


# -- the notes ----------------------------------------------------------------------------


def test_notes_list_what_went_wrong_only_when_something_did(course: Course) -> None:
    from mlops_primer.notes import study_notes
    from mlops_primer.store import LabState

    lesson = course.get("drift")
    all_right = Progress(lesson_id="drift", step="done", quiz_score=5, quiz_total=5,
                         quiz_answers={str(i): {"first_try": True} for i in range(5)})
    assert "What I got wrong" not in study_notes(lesson, all_right, None, None)
    passed = LabState(lesson_id="drift", workspace="/w", seed=1, passed_at="x",
                      findings=[{"check": "psi", "passed": False}])
    assert "What I got wrong" not in study_notes(lesson, all_right, None, None, lab=passed)

    idea = review.after(review.first("drift", "idea", "labels-late", True, T0,
                                     "Labels arrive late, so watch the inputs."), False, T1)
    quiz = review.after(review.first("drift", "quiz", "2", False, T0), True, T1)
    lab = LabState(lesson_id="drift", workspace="/w", seed=1, findings=[
        {"check": "psi() for week 3", "passed": False, "expected": "0.31", "found": "0.05"},
        {"check": "psi() for week 1", "passed": True, "expected": "", "found": ""}])
    notes = study_notes(lesson, all_right, None, None, review_items=[idea, quiz], lab=lab)
    wrong = notes.split("## What I got wrong, and why\n", 1)[1].split("\n## ", 1)[0]
    assert f"- Quiz question 3: {lesson.quiz[2].question.split()[0]}" in wrong
    assert "(right since, in review)" in wrong  # missed once, right in review since
    assert "- An idea my explanation missed: labels-late" in wrong
    assert "  - Why: Labels arrive late, so watch the inputs." in wrong
    assert "  - psi() for week 3: expected 0.31, got 0.05" in wrong
    assert "week 1" not in wrong  # a passed check is nothing got wrong
    assert notes.index("## What I got wrong") < notes.index("## Glossary")


def test_lessons_counts_reviews_without_loading_yaml_or_the_scheduler(
        home: Path, course: Course) -> None:
    import os
    import subprocess
    import sys
    from datetime import datetime, timezone

    from conftest import ROOT, SCRUBBED

    lesson = course.get("drift")
    past = datetime.now(timezone.utc) - timedelta(days=2)
    with Store(home / "primer.db") as store:
        store.save_progress(Progress(lesson_id=lesson.id, step="done", completed_at=now_iso()))
        Reviewer(course, store, clock=lambda: past).record_quiz(lesson, 1, False)
    probe = ("import json, sys\n"
             "sys.argv = ['mlops-primer', 'lessons']\n"
             "from mlops_primer.cli import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "sys.stdout.flush()\n"
             "mods = ['yaml', 'mlops_primer.review', 'mlops_primer.reviewing',\n"
             "        'mlops_primer.lessons']\n"
             "sys.stderr.write('@@' + json.dumps([m for m in mods if m in sys.modules]))\n")
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update({"MLOPS_PRIMER_HOME": str(home), "COLUMNS": "100"})
    assert run("lessons", env=env).returncode == 0  # the course list's cache, filled
    proc = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    assert "1 review is due" in proc.stdout
    assert json.loads(proc.stderr.rsplit("@@", 1)[1]) == []


# -- explain-back ideas (lessons gain an `explain` block in another change) ---------------


def _with_idea(lesson: Lesson, *, keywords: tuple = ()):  # noqa: ANN202
    """The lesson as it reads with an explain block holding one idea."""
    from types import SimpleNamespace

    idea = SimpleNamespace(id="labels-late", text="Labels arrive late, so watch the inputs.",
                           ask="What can you watch while the true labels are still on "
                           "their way?", keywords=keywords)
    return SimpleNamespace(**{f: getattr(lesson, f) for f in (
        "id", "order", "title", "quiz", "glossary")}, explain=SimpleNamespace(ideas=(idea,)))


def test_an_idea_card_is_checked_against_its_rubric(home: Path, course: Course) -> None:
    lesson = _with_idea(course.get("drift"), keywords=(("input", "feature"), ("watch",
                                                                            "monitor")))
    with Store(home / "primer.db") as store:
        reviewer = Reviewer(course, store, clock=lambda: T0)
        card = reviewer.card(review.first("drift", "idea", "labels-late", False, T0), lesson)
        assert card.prompt.startswith("What can you watch") and card.keywords
        assert reviewer.check(card, "Monitor the input features until labels come.").correct
        assert not reviewer.check(card, "Wait for the labels.").correct
        assert not reviewer.check(card, "").valid
        assert reviewer.card(review.first("drift", "idea", "other", False, T0), lesson) is None


def test_an_idea_with_no_rubric_is_judged_by_the_learner(home: Path, course: Course) -> None:
    from io import StringIO

    from rich.console import Console

    from mlops_primer.review_walk import ReviewSession

    lesson = _with_idea(course.get("drift"))
    with Store(home / "primer.db") as store:
        store.record_review("drift", "idea", "labels-late", False, now=T0,
                            detail="Labels arrive late.")
        reviewer = Reviewer(course, store, clock=lambda: T1)
        card = reviewer.card(store.review_items()[0], lesson)
        replies = iter(["the inputs, I think", "maybe", "y", ""])
        out = StringIO()
        session = ReviewSession(reviewer, Console(file=out, width=80), ask=lambda _: next(
            replies))
        session.play(card, 1, 1)
        text = out.getvalue()
        assert "Review 1/1 · An idea you missed · lesson 5" in text
        assert "The idea: Labels arrive late, so watch the inputs." in text
        assert "Please type y or n." in text
        item = store.review_items()[0]
        assert (item.box, item.last_missed, item.misses) == (2, False, 1)
        assert item.detail == "Labels arrive late."  # the why is kept for the notes
