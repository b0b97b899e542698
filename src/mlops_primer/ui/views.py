"""Renderables for the course: menus, lesson intro, takeaways, quiz, progress."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..lessons import Course, Lesson, QuizQuestion, prose

if TYPE_CHECKING:  # the store (and sqlite3) is not needed to draw a table
    from ..store import Progress

FOOTER = "Type skip, back or quit at any prompt"
NUMBER_FOOTER = "Type a number, or: skip, back, quit"


def _status(progress: Progress | None) -> str:
    if progress is None:
        return ""
    if progress.done:
        return "done"
    return f"at {progress.step}"


def score_text(progress: Progress | None) -> str:
    """'4/5' when the lesson's quiz was taken, else ''."""
    if progress is None or progress.quiz_total is None:
        return ""
    return f"{progress.quiz_score}/{progress.quiz_total}"


def menu(course: Course, progress: dict[str, Progress], resume: Lesson | None) -> RenderableType:
    """The course menu shown by `learn`."""
    lines = Text()
    for lesson in course.lessons:
        p = progress.get(lesson.id)
        mark = "✓" if p is not None and p.done else " "
        lines.append(f"  {lesson.order}. [{mark}] ", style="bold")
        lines.append(lesson.title)
        extra = []
        if p is not None and p.done and score_text(p):
            extra.append(f"quiz {score_text(p)}")
        elif p is not None and not p.done:
            extra.append(f"in progress: {p.step}")
        extra.append(f"{lesson.minutes} min")
        lines.append(f"  ({', '.join(extra)})\n", style="dim")
    done = sum(1 for p in progress.values() if p.done)
    head = Text(f"{done} of {len(course.lessons)} lessons done. ", style="bold")
    if resume is not None:
        head.append(f"Press Enter to continue with lesson {resume.order}: {resume.title}.")
    else:
        head.append("The course is complete. Pick any lesson to revisit it.")
    return Panel(Group(head, Text(""), lines), title="mlops-primer", title_align="left",
                 box=box.ROUNDED)


def intro(lesson: Lesson) -> RenderableType:
    """Why the lesson matters, its explanation points, and its diagram."""
    parts: list[RenderableType] = [
        Text(prose(lesson.why_it_matters)),
        Text(""),
        Text("What this lesson explains", style="bold"),
    ]
    parts.append(bullets(lesson.points, "•"))
    if lesson.diagram:
        parts += [Text(""), Text(lesson.diagram.rstrip(), style="cyan", no_wrap=True)]
    return Panel(
        Group(*parts),
        title=f"Lesson {lesson.order}: {lesson.title}",
        title_align="left",
        subtitle=f"about {lesson.minutes} min",
        subtitle_align="right",
        box=box.ROUNDED,
    )


def bullets(items: Sequence[str], mark: str) -> Table:
    """A list with a hanging indent, so wrapped lines line up under their text."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3, justify="right")
    grid.add_column(ratio=1)
    for item in items:
        grid.add_row(mark, Text(_strip_md(item)))
    return grid


def _strip_md(text: str) -> str:
    return " ".join(text.replace("**", "").split())


def numbered(options: Sequence[str], *, start: int = 1) -> Text:
    """Numbered choices, one a line, readable by a screen reader."""
    out = Text()
    for i, option in enumerate(options, start=start):
        out.append(f"  {i}. ", style="bold")
        out.append(f"{option}\n")
    return out


def prompt_folded(text: str, *, lines: int = 4) -> Text:
    """The first lines of the rendered prompt, with how much is hidden."""
    all_lines = prose(text).replace("\n\n", "\n").splitlines()
    shown = "\n".join(all_lines[:lines])
    out = Text(shown, style="dim")
    if len(all_lines) > lines:
        out.append(f"\n  … {len(all_lines) - lines} more paragraph(s) (type 'p' to see the "
                   "whole prompt)", style="dim italic")
    return out


def takeaways(lesson: Lesson) -> RenderableType:
    """The key takeaways."""
    return Panel(bullets(lesson.takeaways, "✓"), title="Key takeaways", title_align="left",
                 box=box.ROUNDED)


def quiz_question(q: QuizQuestion, number: int, total: int) -> RenderableType:
    """One quiz question with numbered choices."""
    head = Text(f"Question {number} of {total}\n", style="bold")
    head.append(prose(q.question) + "\n\n")
    head.append_text(numbered(q.choices))
    return head


def progress_table(course: Course, progress: dict[str, Progress]) -> Table:
    """Lessons done, themes chosen, quiz scores and time spent."""
    table = Table(box=box.SIMPLE_HEAD, title="Your progress", title_justify="left")
    for name in ("#", "lesson", "status", "theme", "quiz", "time", "last seen"):
        table.add_column(name, justify="right" if name in ("#", "quiz", "time") else "left")
    for lesson in course.lessons:
        p = progress.get(lesson.id)
        table.add_row(
            str(lesson.order),
            lesson.id,
            _status(p) or "not started",
            Text(p.theme_label or "") if p else "",
            score_text(p),
            minutes(p.seconds_spent) if p else "",
            (p.updated_at[:16].replace("T", " ") if p else ""),
        )
    return table


def minutes(seconds: int) -> str:
    """'12 min' or '45 s'."""
    return f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"
