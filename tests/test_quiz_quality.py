"""Quizzes that test understanding, not test-taking: the length cue, in the shipped course
and in `validate`'s warning.

The shipped figures are computed straight from the YAML files (every lessons/*.yaml, so a
lesson added later counts too), independently of the loader's own `answer_is_longest`.
"""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import run

from mlops_primer.lessons import QuizQuestion, answer_is_longest, lesson_warnings, load_lesson
from mlops_primer.resources import builtin_lessons_dir
from mlops_primer.validation import validate

DATA = Path(__file__).parent / "data"


def shipped_quizzes() -> dict[str, list[dict[str, Any]]]:
    files = sorted(builtin_lessons_dir().glob("*.yaml"))
    assert len(files) >= 5
    return {f.stem: yaml.safe_load(f.read_text(encoding="utf-8"))["quiz"] for f in files}


def strictly_longest(q: dict[str, Any]) -> bool:
    answer = len(q["answer"])
    return all(answer > len(c) for c in q["choices"] if c != q["answer"])


def test_shipped_course_cannot_be_passed_by_picking_the_longest() -> None:
    quizzes = shipped_quizzes()
    per_lesson = {k: sum(map(strictly_longest, qs)) for k, qs in quizzes.items()}
    longest = sum(per_lesson.values())
    total = sum(len(qs) for qs in quizzes.values())
    assert 3 * longest <= total, f"right choice longest in {longest} of {total}: {per_lesson}"
    assert all(n <= 2 for n in per_lesson.values()), per_lesson


def test_shipped_answers_are_spread_over_the_positions() -> None:
    """Moving the answers to break the length cue must not make a position cue instead."""
    positions = Counter(
        q["choices"].index(q["answer"]) for qs in shipped_quizzes().values() for q in qs
    )
    total = sum(positions.values())
    assert 2 * max(positions.values()) <= total, positions


def test_every_shipped_lesson_has_five_questions_with_a_hint_and_explanation() -> None:
    for lesson_id, quiz in shipped_quizzes().items():
        assert len(quiz) == 5, lesson_id
        for q in quiz:
            assert q["hint"].strip() and q["explanation"].strip(), (lesson_id, q["question"])
            assert q["answer"] in q["choices"], (lesson_id, q["question"])


def question(answer: str, *others: str) -> QuizQuestion:
    return QuizQuestion(question="?", choices=(answer, *others), answer=answer,
                        explanation="e", hint="h")


def test_answer_is_longest_is_strict() -> None:
    assert answer_is_longest(question("a longer one", "short"))
    assert not answer_is_longest(question("short", "a longer one"))
    assert not answer_is_longest(question("same", "size"))  # a tie is no cue
    assert not answer_is_longest(question("alone"))


def lesson_with(tmp_path: Path, quiz: list[tuple[str, str]]) -> Path:
    """The minimal lesson with one question per (right, wrong) pair."""
    data = copy.deepcopy(yaml.safe_load((DATA / "minimal_lesson.yaml").read_text()))
    data["quiz"] = [
        {"question": f"Question {i}?", "choices": [wrong, right], "answer": right,
         "explanation": "Because.", "hint": "Think."}
        for i, (right, wrong) in enumerate(quiz)
    ]
    path = tmp_path / "course" / "lesson.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


LONG = ("the right choice, and the longest", "wrong")
SHORT = ("right", "a wrong choice, and the longest")


def test_validate_warns_when_the_longest_is_right_in_most_questions(tmp_path: Path) -> None:
    path = lesson_with(tmp_path, [LONG, LONG, SHORT])
    lines = path.read_text().splitlines()
    line = next(n for n, x in enumerate(lines, 1) if "question: Question 0?" in x)  # quiz[0]

    result = run("validate", str(path))

    assert result.returncode == 0, result.stderr  # a warning, not a failure
    assert result.stdout.strip() == "1 lesson file(s) valid."
    assert result.stderr.splitlines() == [
        f"{path}:{line}: warning: quiz: the right choice is the longest in 2 of 3 questions; "
        "make the choices alike in length"
    ]
    # the folder is checked the same way as the file
    assert validate([path.parent]).warnings and validate([path.parent]).ok


@pytest.mark.parametrize("quiz", [[LONG, SHORT], [SHORT, SHORT, LONG], [], [SHORT]],
                         ids=["half", "a-third", "no-quiz", "none"])
def test_no_warning_at_half_or_below(tmp_path: Path, quiz: list[tuple[str, str]]) -> None:
    path = lesson_with(tmp_path, quiz)
    assert lesson_warnings(load_lesson(path)) == []
    result = run("validate", str(path))
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_warning_comes_after_the_problems_and_keeps_the_failure(tmp_path: Path) -> None:
    path = lesson_with(tmp_path, [LONG])
    broken = path.parent / "broken.yaml"
    data = yaml.safe_load(path.read_text())
    data.update(id="broken", order=2, minutes=0)  # a problem in another file of the course
    broken.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    result = run("validate", str(path.parent))

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[-1] == "1 problem(s) in 2 lesson file(s)."
    assert lines[0].startswith(f"{broken}:") and "minutes" in lines[0]
    assert lines[1].startswith(f"{path}:") and "warning: quiz:" in lines[1]
