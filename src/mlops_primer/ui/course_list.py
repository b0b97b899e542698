"""The course list that `mlops-primer lessons` prints.

A list reads better than a many-column table in an 80-column terminal, and drawing it
with ``Text`` keeps rich.table and its imports off the command's start-up path
(benchmarks/startup.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, Group, RenderableType
from rich.segment import Segment
from rich.text import Text

if TYPE_CHECKING:
    from ..catalog import Entry
    from ..store import LabState, Progress

INDENT = 7  # where a lesson's text starts, after "  1. ✓ "


class Hanging:
    """``text`` wrapped to the console, after ``head`` on its first line and indented
    under it on the others (rich's Padding would also pad every line with spaces)."""

    def __init__(self, head: Text | str, text: Text, indent: int = INDENT) -> None:
        self.head = head if isinstance(head, Text) else Text(head)
        self.text = text
        self.indent = indent

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Segment]:
        width = max(options.max_width - self.indent, 20)
        if self.text.cell_len <= width and "\n" not in self.text.plain:
            lines: Iterable[Text] = [self.text]  # the usual case: it fits, no wrapping
        else:
            lines = self.text.wrap(console, width)
            for line in lines:
                line.rstrip()  # wrapping leaves the space it broke at
        for i, line in enumerate(lines):
            lead = self.head if i == 0 else Text(" " * self.indent)
            # as segments: a Text yielded here would be measured and wrapped again
            yield from Text.assemble(lead.copy(), " " * (self.indent - lead.cell_len),
                                     line).render(console)
            yield Segment.line()


def course_list(entries: Sequence[Entry], progress: dict[str, Progress], *,
                prog: str = "mlops-primer", reviews_due: int = 0,
                labs: Mapping[str, LabState] | None = None,
                brief: bool = False) -> RenderableType:
    """Each lesson: its number, a mark once done, title, minutes and quiz score; what it
    covers; its lab and the lab's state (from ``labs``, the store's started labs); the id
    to type and the themes it suggests. Then how to start, with ``prog`` the words that
    start this program (``uv run mlops-primer`` under uv), and how many reviews are due
    when any are. ``brief``: two lines a lesson (title; id and lab), for a short screen."""
    labs = labs or {}
    done = sum(1 for e in entries if e.id in progress and progress[e.id].done)
    parts: list[RenderableType] = [
        Hanging("", Text.assemble(("mlops-primer: the course", "bold"),
                                  f"  ({done} of {len(entries)} lessons done)"), indent=0),
    ]
    for entry in entries:
        p = progress.get(entry.id)
        mark = "✓" if p is not None and p.done else ("…" if p is not None else " ")
        details = [f"{entry.minutes} min"]
        if p is not None and p.quiz_total is not None:
            details.append(f"quiz {p.quiz_score}/{p.quiz_total}")
        elif p is not None and not p.done:
            details.append("in progress")
        head = Text.assemble(f"{entry.order:>3}. ", (mark, "bold green"))
        if not brief:
            parts.append(Text(""))
        parts.append(Hanging(head, Text.assemble((entry.title, "bold"),
                                                 (f"  ({', '.join(details)})", "dim"))))
        if not brief:
            parts.append(Hanging("", Text(entry.summary)))
        lab: Text | None = None
        if entry.lab is not None:
            state = labs.get(entry.id)
            word, style = (("not started", "dim") if state is None else
                           ("passed ✓", "green") if state.passed else ("started", "yellow"))
            lab = (Text.assemble(("lab ", "dim"), (word, style)) if brief else
                   Text.assemble(("lab: ", "dim"), entry.lab, ("  (", "dim"), (word, style),
                                 (")", "dim")))
        if brief:
            line = Text.assemble(("id: ", "dim"), (entry.id, "cyan"))
            if lab is not None:
                line.append_text(Text("  ·  ", style="dim"))
                line.append_text(lab)
            parts.append(Hanging("", line))
            continue
        if lab is not None:
            parts.append(Hanging("", lab))
        parts.append(Hanging("", Text.assemble(("id: ", "dim"), (entry.id, "cyan"),
                                               ("  themes: " + ", ".join(entry.themes),
                                                "dim"))))
    parts.append(Text(""))
    if reviews_due:
        parts.append(Hanging("", Text(reviews_line(reviews_due, prog=prog), style="green"),
                             indent=0))
    parts.append(Hanging("", Text(start_hint(entries, prog=prog), style="dim"), indent=0))
    if brief:
        parts.append(Hanging("", Text(f"Summaries and themes: `{prog} lessons --long`.",
                                      style="dim"), indent=0))
    return Group(*parts)


def reviews_line(due: int, *, prog: str = "mlops-primer") -> str:
    """'3 reviews are due: run `mlops-primer review` (a few minutes).'"""
    what = "1 review is" if due == 1 else f"{due} reviews are"
    return f"{what} due: run `{prog} review` (a few minutes, offline)."


def start_hint(entries: Sequence[Entry], *, prog: str = "mlops-primer") -> str:
    """How to begin, with an example drawn from this course."""
    hint = f"Start with `{prog} learn`"
    if entries:
        last = entries[-1]
        theme = last.themes[1] if len(last.themes) > 1 else last.themes[0]
        hint += f", or jump in: `{prog} learn {last.id} --theme {theme}`"
    return hint + "."
