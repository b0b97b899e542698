"""`mlops-primer` with no command: what this is, where the learner is, how to go on."""

import os
from pathlib import Path

from rich.text import Text

from ..errors import PrimerError
from ._common import command, course_folder, out_console


def welcome() -> None:
    """A few lines: the course, the learner's place in it, and the commands to type."""
    from ..catalog import catalog, resume_id
    from .course import learner_glance

    lines: list[Text] = [Text.assemble(("mlops-primer", "bold"),
                                       ": a short course on MLOps for beginners, in your "
                                       "terminal.")]
    where: Text | None = None
    due = 0
    try:
        env = os.environ.get("MLOPS_PRIMER_LESSONS")
        entries = catalog(course_folder(Path(env) if env else None))
    except PrimerError as exc:  # a broken course folder must not hide how to get help
        entries = []
        where = Text(f"(the course could not be read: {exc.one_line()})", style="yellow")
    if entries:
        minutes = sum(e.minutes for e in entries)
        lines.append(Text(f"{len(entries)} lessons, about {minutes} minutes in all; no "
                          "account or LLM needed."))
        progress, due, _ = learner_glance([e.id for e in entries])
        done = sum(1 for e in entries if e.id in progress and progress[e.id].done)
        nxt = resume_id([e.id for e in entries], progress)
        entry = next((e for e in entries if e.id == nxt), None)
        if entry is None:
            where = Text(f"You have done all {len(entries)} lessons. Well done!", style="green")
        elif progress:
            state = "in progress" if entry.id in progress else "next"
            where = Text(f"You have done {done} of {len(entries)} lessons. To resume: "
                         f"{entry.order}. {entry.title} ({state}).", style="green")
    if where is not None:
        lines += [Text(""), where]
    start = "Continue" if where is not None and entries else "Start the course"
    rows = [(start, "learn"), ("See the lessons", "lessons"), ("All commands", "--help")]
    if due:  # spaced review: what the learner finished, coming back
        rows.insert(0, (f"Review, {due} due", "review"))
    width = max(len(label) for label, _ in rows) + 2
    lines.append(Text(""))
    lines += [Text.assemble(f"{label + ':':<{width}}", (command(words), "cyan"))
              for label, words in rows]
    console = out_console()
    for line in lines:
        console.print(line)
