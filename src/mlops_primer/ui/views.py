"""Renderables for the course: menus, lesson intro, takeaways, quiz, progress.

Every piece of course text and learner input passes ``clean`` here, on its way out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..lessons import Course, Lesson, QuizQuestion, Theme, prose
from .safe import clean

if TYPE_CHECKING:  # the store (and sqlite3) is not needed to draw a table
    from ..grading import Grade
    from ..prompts import Message
    from ..store import Progress

# What each step of a lesson is called on its place line. A step not named here (a new
# one such as a lab) is shown by its id, capitalised, so adding a step needs no change.
STEP_LABELS = {
    "intro": "Intro",
    "theme": "World",
    "answer": "Answer",
    "explain": "Explain it back",
    "takeaways": "Takeaways",
    "quiz": "Quiz",
    "lab": "Lab",
    "done": "Notes",
}


def step_label(step: str) -> str:
    """The name of a lesson step as the learner reads it."""
    return STEP_LABELS.get(step, step.replace("-", " ").replace("_", " ").capitalize())


def place(position: int, total: int, step: str, done: int, *, sub: str = "",
          title: str = "", width: int = 80) -> Text:
    """Where the learner is: ``Lesson 2/7 · Quiz 3/5 · course 1/7 done``.

    The lesson's title is added when the line has room for it.
    """
    label = step_label(step) + (f" {sub}" if sub else "")
    line = f"Lesson {position}/{total} · {label} · course {done}/{total} done"
    out = Text(line, style="dim")
    title = clean(title)
    if title and len(line) + 3 + len(title) <= width:
        out = Text(f"Lesson {position}/{total}: ", style="dim")
        out.append(title, style="bold")
        out.append(f" · {label} · course {done}/{total} done", style="dim")
    return out


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
    lines = Table.grid(padding=(0, 1))  # a title that wraps stays under itself
    lines.add_column(no_wrap=True)
    lines.add_column(ratio=1)
    for lesson in course.lessons:
        p = progress.get(lesson.id)
        mark = "✓" if p is not None and p.done else " "
        extra = []
        if p is not None and p.done and score_text(p):
            extra.append(f"quiz {score_text(p)}")
        elif p is not None and not p.done:
            extra.append(f"in progress: {step_label(p.step).lower()}")
        extra.append(f"{lesson.minutes} min")
        title = Text(clean(lesson.title))
        title.append(f"  ({', '.join(extra)})", style="dim")
        lines.add_row(Text(f" {lesson.order:>2}. [{mark}]", style="bold"), title)
    done = sum(1 for p in progress.values() if p.done)
    head = Text(f"{done} of {len(course.lessons)} lessons done. ", style="bold")
    if resume is not None:
        head.append(f"Press Enter to continue with lesson {resume.order}: "
                    f"{clean(resume.title)}.")
    else:
        head.append("The course is complete. Pick any lesson to revisit it.")
    return Panel(Group(head, Text(""), lines), title="mlops-primer", title_align="left",
                 box=box.ROUNDED)


def intro_sections(lesson: Lesson) -> list[RenderableType]:
    """The lesson's intro, one section per screen: why it matters, the points, the diagram."""
    from .stream import TutorMarkdown

    head = Text(f"Lesson {lesson.order}: ", style="bold")
    head.append(clean(lesson.title), style="bold")
    head.append(f"  (about {lesson.minutes} min)", style="dim")
    parts: list[RenderableType] = [
        Group(head, Text(""), Text("Why it matters", style="bold underline"), Text(""),
              Text(clean(prose(lesson.why_it_matters)))),
        Group(Text("What this lesson explains", style="bold underline"),  # the list
              TutorMarkdown("\n".join(f"- {' '.join(clean(p).split())}"
                                      for p in lesson.points), hyperlinks=False)),
    ]
    if lesson.diagram:
        parts.append(Group(Text("The picture", style="bold underline"), Text(""),
                           Text(clean(lesson.diagram.rstrip()), style="cyan", no_wrap=True,
                                overflow="crop")))
    return parts


def bullets(items: Sequence[str], mark: str) -> Table:
    """A list with a hanging indent, so wrapped lines line up under their text."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=3, justify="right")
    grid.add_column(ratio=1)
    for item in items:
        grid.add_row(mark, inline(_strip_md(item)))
    return grid


_CODE = re.compile(r"`([^`\n]{1,200})`")


def inline(text: str, style: str = "") -> Text:
    """Lesson text as the learner reads it: ``code`` spans drawn as the Markdown view
    draws them (the code style, no backticks), so a quiz or a takeaway shows a command
    the way the lesson's intro and the answer do. ``text`` is cleaned here."""
    out = Text(style=style)
    pos = 0
    text = clean(text)
    for m in _CODE.finditer(text):
        out.append(text[pos:m.start()])
        out.append(m.group(1), style="markdown.code")
        pos = m.end()
    out.append(text[pos:])
    return out


def _strip_md(text: str) -> str:
    return " ".join(text.replace("**", "").split())


def prompt_line(lesson: Lesson, theme: Theme, *, width: int = 80) -> Text:
    """One line saying what the tutor is asked (``p`` shows the whole prompt)."""
    what = (f"Asked: {clean(lesson.prompt.topic)}, in the world of "
            f"“{clean(theme.label)}”, as {clean(lesson.prompt.form)}")
    tail = " · p: the prompt"
    if len(what) + len(tail) > width - 1:
        what = what[: max(10, width - 2 - len(tail))].rstrip() + "…"
    out = Text(what, style="dim")
    out.append(tail, style="dim italic")
    return out


def reflow(text: str) -> str:
    """Prompt text with its source line breaks undone: the lines of a paragraph joined,
    list items kept one a line, blank lines kept (the terminal wraps it afresh)."""
    paras = []
    for para in text.strip().split("\n\n"):
        lines: list[str] = []
        for line in para.splitlines():
            stripped = line.strip()
            if not stripped:
                continue
            if lines and not stripped.startswith(("- ", "* ", "• ")) and not (
                    stripped[:1].isdigit() and stripped[1:3] in (". ", ") ")):
                lines[-1] += " " + stripped
            else:
                lines.append(stripped)
        paras.append("\n".join(lines))
    return "\n\n".join(p for p in paras if p)


def prompt_sections(messages: Sequence[Message]) -> list[RenderableType]:
    """The whole prompt, a message a section, reflowed to the terminal's width."""
    return [Group(Text(f"--- {m.role} ---", style="bold"), Text(clean(reflow(m.content))))
            for m in messages]


def world_menu(lesson: Lesson, *, ready: Sequence[bool] | None, read: set[str],
               offline: bool) -> RenderableType:
    """The metaphor worlds, numbered, with those read and those ready offline marked."""
    out = Text("Choose a metaphor world for this lesson:\n", style="bold")
    for i, theme in enumerate(lesson.themes, start=1):
        out.append(f"  {i}. ", style="bold")
        out.append(clean(theme.label))
        marks = []
        if theme.id in read:
            marks.append("✓ read")
        if ready is not None and not ready[i - 1]:
            marks.append("needs an LLM")
        if marks:
            out.append(f"  ({', '.join(marks)})", style="dim")
        out.append("\n")
    if offline:
        if ready is None or all(ready):
            out.append("All of these are ready offline. ", style="dim")
        out.append("A world of your own (a bakery, chess, rock climbing) needs an LLM.",
                   style="dim")
    else:
        out.append("Or type a world of your own (for example: a bakery, chess, rock "
                   "climbing).", style="dim")
    return out


def glossary_sections(lesson: Lesson) -> list[RenderableType]:
    """The lesson's glossary: each term in bold, its definition under it."""
    out = Text("Glossary\n\n", style="bold underline")
    for g in lesson.glossary:
        out.append(clean(g.term), style="bold")
        out.append(f": {clean(prose(g.definition))}\n\n")
    out.rstrip()
    return [out]


def lookup_answer(found: Sequence[tuple[str, str]]) -> RenderableType:
    """What the lesson says about a question, from its glossary and points."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=2)
    grid.add_column(ratio=1)
    for term, text in found:
        line = Text()
        if term:
            line.append(clean(term), style="bold")
            line.append(f": {clean(prose(text))}")
        else:
            line.append(clean(_strip_md(text)))
        grid.add_row("", line)
    return Group(Text("From this lesson:", style="bold"), grid)


def takeaways(lesson: Lesson) -> RenderableType:
    """The key takeaways."""
    return Group(Text("Key takeaways", style="bold underline"), Text(""),
                 bullets(lesson.takeaways, "✓"))


def quiz_question(q: QuizQuestion, order: Sequence[int], number: int,
                  total: int) -> RenderableType:
    """One quiz question, its choices in ``order`` and numbered from 1."""
    head = Text(f"Question {number} of {total}\n", style="bold")
    head.append_text(inline(prose(q.question)))
    head.append("\n")
    choices = Table.grid(padding=(0, 1))
    choices.add_column(width=4, justify="right")
    choices.add_column(ratio=1)
    for n, i in enumerate(order, start=1):
        choices.add_row(Text(f"{n}.", style="bold"), inline(q.choices[i]))
    return Group(head, choices)


def lab_offer(lesson: Lesson) -> RenderableType:
    """What the lesson's lab is, how long it takes, and what starting it makes."""
    spec = lesson.lab
    assert spec is not None
    head = Text("Hands-on lab: ", style="bold")
    head.append(clean(spec.title), style="bold")
    files = ", ".join(clean(f) for f in spec.files)
    which = "the file" if len(spec.files) == 1 else "the files"
    return Group(
        head, Text(""),
        Text(f"About {spec.minutes} minutes, with plain Python (only its standard library): "
             "you write a small piece of real MLOps, and the tool checks it by running it."),
        Text(""),
        Text(f"Starting it makes a folder with the task (TASK.md), {which} to edit ({files}) "
             "with TODOs, and data made for you.", style="dim"),
    )


def steps(rows: Sequence[tuple[str, str]]) -> Table:
    """Numbered or labelled steps, each wrapping under its own text (a hanging indent)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, justify="right")
    grid.add_column(ratio=1)
    for mark, text in rows:
        grid.add_row(Text(f"  {mark}", style="bold"), Text(clean(text)))
    return grid


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
            Text(clean(p.theme_label or "")) if p else "",
            score_text(p),
            minutes(p.seconds_spent) if p else "",
            (p.updated_at[:16].replace("T", " ") if p else ""),
        )
    return table


def minutes(seconds: int) -> str:
    """'12 min' or '45 s'."""
    return f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"


def explain_result(lesson: Lesson, result: Grade, got: Grade, *, last: bool,
                   cut: bool = False) -> list[RenderableType]:
    """How an explanation did: the ideas it covered, a correction for a misconception,
    the tutor's words, then the question about the first missing idea (or, after the
    last try, every missing idea). ``got`` is this try's own grade, ``result`` all tries'.
    """
    explain = lesson.explain
    assert explain is not None
    lines: list[RenderableType] = []
    if cut:
        lines.append(Text("(That was long: its beginning was read.)", style="dim"))
    if got.note:
        lines.append(Text(clean(got.note), style="dim"))
    total = len(explain.ideas)
    if result.complete:
        lines.append(Text(f"Well explained! You covered all {total} ideas.", style="bold green"))
    else:
        lines.append(Text(f"You covered {len(result.credited)} of {total} ideas"
                          + (":" if result.credited else "."), style="bold"))
    covered = [i.text for i in explain.ideas if i.id in result.credited]
    if covered:
        lines.append(bullets(covered, "✓"))
    wrong = [m for m in explain.misconceptions if m.id in got.misconceptions]
    if wrong:  # one correction at a time: the first
        lines.append(Text(f"A gentle correction: {clean(prose(wrong[0].feedback))}",
                          style="yellow"))
    if got.feedback:
        lines.append(Text(f"Your tutor says: {clean(' '.join(got.feedback.split()))}"))
    if not result.complete:
        if last:
            lines.append(explain_missing(lesson, result))
        elif result.ask:
            lines.append(Text(f"A question to think about: {clean(prose(result.ask))}",
                              style="cyan"))
    return [Group(*lines)]


def explain_missing(lesson: Lesson, result: Grade) -> RenderableType:
    """The ideas an explanation left out, in full."""
    explain = lesson.explain
    assert explain is not None
    return Group(Text("A full explanation would also say:", style="bold"),
                 bullets([i.text for i in explain.ideas if i.id in result.missing], "·"))
