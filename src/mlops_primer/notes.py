"""Study notes: a Markdown recap of a lesson the learner can keep."""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from .errors import PrimerError
from .lessons import Lesson, prose
from .paths import data_home
from .store import Progress


def notes_folder() -> Path:
    """Where study notes go unless the learner names a place: ``notes/`` in the data
    folder (beside the store), so they do not litter whatever folder the learner was in."""
    return data_home() / "notes"


def notes_file_name(lesson_id: str) -> str:
    """The file name of one lesson's notes."""
    return f"mlops-primer-notes-{lesson_id}.md"


def write_notes(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` whole or not at all; the reason in words if it cannot.

    A missing ``notes/`` folder of our own is created; a folder the learner named must
    exist already (a typo should not create folders).
    """
    if path.parent == notes_folder():
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a folder")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise PrimerError(f"cannot write {path}: {_why(exc, path)}",
                          hint="name a file in a folder you can write to") from None
    return path


def _why(exc: OSError, path: Path) -> str:
    if isinstance(exc, IsADirectoryError):
        return "it is a folder"
    if isinstance(exc, FileNotFoundError):
        return f"there is no folder {path.parent}"
    if isinstance(exc, PermissionError):
        return "you may not write there"
    if isinstance(exc, NotADirectoryError):
        return f"{path.parent} is a file, not a folder"
    return (exc.strerror or "the system refused").lower()


def study_notes(lesson: Lesson, progress: Progress | None, answer: str | None,
                answer_label: str | None) -> str:
    """The lesson's points, the chosen theme's answer, takeaways, quiz results and reading."""
    out = [f"# Study notes: {lesson.title}", ""]
    if progress is not None and progress.theme_label:
        out += [f"Lesson {lesson.order} of mlops-primer, explained through: "
                f"{progress.theme_label}.", ""]
    out += ["## Why it matters", "", prose(lesson.why_it_matters), "", "## Key points", ""]
    out += [f"- {prose(p)}" for p in lesson.points]
    if lesson.diagram:
        out += ["", "```text", lesson.diagram.rstrip(), "```"]
    if answer:
        out += ["", "## Your tutor's explanation", ""]
        if answer_label:
            out += [f"_{answer_label}_", ""]
        out += [_demote_headings(answer.strip())]
    out += ["", "## Key takeaways", ""]
    out += [f"- {prose(t)}" for t in lesson.takeaways]
    if lesson.quiz:
        out += ["", "## Quiz", ""]
        answers = (progress.quiz_answers if progress else {}) or {}
        if progress is not None and progress.quiz_total is not None:
            out += [f"Score: {progress.quiz_score} of {progress.quiz_total} right on the first "
                    "try.", ""]
        for i, q in enumerate(lesson.quiz):
            got = answers.get(str(i))
            if not isinstance(got, dict):
                status = "not answered"
            elif got.get("skipped"):
                status = "skipped"
            else:
                status = "right on the first try" if got.get("first_try") else "got there"
            out += [f"{i + 1}. {prose(q.question)} ({status})",
                    f"   - Answer: {q.answer}",
                    f"   - Why: {prose(q.explanation)}"]
    if lesson.glossary:
        out += ["", "## Glossary", ""]
        out += [f"- **{g.term}**: {prose(g.definition)}" for g in lesson.glossary]
    if lesson.tools:
        out += ["", "## Tools named", ""]
        out += [f"- {t.name}: {prose(t.purpose)}" + (f" <{t.url}>" if t.url else "")
                for t in lesson.tools]
    if lesson.reading:
        out += ["", "## Further reading", ""]
        out += [f"- {r.title}, {r.source}" + (f" <{r.url}>" if r.url else "")
                for r in lesson.reading]
    out += ["", "Be well, and remember to breathe.", ""]
    return "\n".join(out)


def _demote_headings(text: str) -> str:
    """Nest the answer's headings under the notes' own (## becomes ###)."""
    lines = []
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if not in_fence and line.startswith("#"):
            line = "#" + line
        lines.append(line)
    return "\n".join(lines)
