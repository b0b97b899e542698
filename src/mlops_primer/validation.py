"""``validate``: every problem in lesson files and course folders, one line each."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import prompts
from .errors import TemplateError
from .lessons import (
    Course,
    FileProblem,
    Lesson,
    Problem,
    course_problems,
    lesson_files,
    lesson_problems,
    lesson_warnings,
    line_of,
    read_yaml,
)


@dataclass
class Report:
    """What ``validate`` found: the files it read, the problems in them, and warnings.

    A warning (such as a quiz whose right choice is mostly the longest) does not make the
    report fail: the course still works, but a learner is poorly served.
    """

    files: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


def validate(paths: list[Path]) -> Report:
    """Check each path: a lesson file alone, or a folder as one course."""
    report = Report()
    for path in paths:
        if path.is_dir():
            files = lesson_files(path)
            if not files:
                report.problems.append(Problem(path, "no lesson files (*.yaml) in this folder"))
            _check_group(path, files, report)
        elif path.exists():
            _check_group(path.parent, [path], report)
        else:
            report.problems.append(Problem(path, "no such file or folder"))
    return report


def _check_group(folder: Path, files: list[Path], report: Report) -> None:
    lessons: list[Lesson] = []
    for path in files:
        report.files.append(path)
        try:
            data = read_yaml(path)
        except FileProblem as exc:
            report.problems.append(exc.problem)
            continue
        lesson, problems = lesson_problems(path, data)
        report.problems.extend(problems)
        if lesson is not None:
            lessons.append(lesson)
            report.warnings.extend(lesson_warnings(lesson))
    report.problems.extend(course_problems(lessons))
    course = Course(folder=folder, lessons=tuple(lessons))
    for lesson in lessons:
        report.problems.extend(_render_problems(course, lesson))


def _render_problems(course: Course, lesson: Lesson) -> list[Problem]:
    """Render the prompt for every suggested theme; each distinct failure is a problem."""
    assert lesson.path is not None
    out: list[Problem] = []
    seen: set[str] = set()
    for theme in lesson.themes:
        try:
            prompts.render(course, lesson, theme)
        except TemplateError as exc:
            if exc.detail in seen:
                continue  # the same template error for every theme is one problem
            seen.add(exc.detail)
            key = "request" if exc.field == "prompt.request" else "template"
            out.append(
                Problem(
                    lesson.path,
                    f"{exc.detail} (theme '{theme.id}')",
                    field=exc.field,
                    line=line_of(lesson.path, ("prompt", key)),
                )
            )
    if lesson.explain is not None:  # the grading prompt, with a sample explanation
        try:
            prompts.render_grade(course, lesson, "A sample explanation.", language="English")
        except TemplateError as exc:
            out.append(Problem(lesson.path, exc.detail, field=exc.field,
                               line=line_of(lesson.path, ("explain",))))
    return out
