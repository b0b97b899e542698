"""Study notes: a Markdown recap of a lesson the learner can keep."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import PrimerError
from .lessons import Lesson, prose
from .paths import data_home
from .store import LabState, Progress

if TYPE_CHECKING:
    from .review import ReviewItem


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
                answer_label: str | None, *, review_items: Sequence[ReviewItem] = (),
                lab: LabState | None = None) -> str:
    """The lesson's points, the chosen theme's answer, takeaways, quiz results, what the
    learner got wrong (quiz, explain-back ideas from ``review_items``, the ``lab``'s last
    failed checks) and reading."""
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
    wrong = mistakes(lesson, progress, review_items, lab)
    if wrong:
        out += ["", "## What I got wrong, and why", ""] + wrong
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


def mistakes(lesson: Lesson, progress: Progress | None, review_items: Sequence[ReviewItem],
             lab: LabState | None) -> list[str]:
    """The lines of "What I got wrong, and why" (none when nothing went wrong).

    Quiz questions missed (in the last quiz, or in review), each with its explanation;
    explain-back ideas missed, with the why the review kept; the lab's failed checks
    from its last run (unless it has passed since).
    """
    mine = [i for i in review_items if i.lesson_id == lesson.id and i.misses > 0]
    answers = (progress.quiz_answers if progress else {}) or {}
    quiz_missed = {int(k) for k, a in answers.items()
                   if k.isdigit() and isinstance(a, dict) and not a.get("first_try")}
    in_review = {int(i.key): i for i in mine if i.kind == "quiz" and i.key.isdigit()}
    out: list[str] = []
    for n in sorted(quiz_missed | set(in_review)):
        if n >= len(lesson.quiz):
            continue
        q = lesson.quiz[n]
        item = in_review.get(n)
        since = " (right since, in review)" if item is not None and not item.last_missed \
            else ""
        out += [f"- Quiz question {n + 1}: {prose(q.question)}{since}",
                f"  - The answer: {q.answer}",
                f"  - Why: {prose(q.explanation)}"]
    ideas = _ideas(lesson)
    for item in (i for i in mine if i.kind == "idea"):
        idea = ideas.get(item.key)
        text = prose(str(getattr(idea, "text", "") or "")) or item.key
        since = "" if item.last_missed else " (right since, in review)"
        out.append(f"- An idea my explanation missed: {text}{since}")
        if item.detail and item.detail != text:
            out.append(f"  - Why: {prose(item.detail)}")
    if lab is not None and not lab.passed:
        failed = [f for f in lab.findings if isinstance(f, dict) and not f.get("passed")]
        if failed:
            out.append("- The lab's last check (`mlops-primer lab check "
                       f"{lesson.id}`) found:")
            for f in failed:
                check, expected, found = (str(f.get(k) or "") for k in
                                          ("check", "expected", "found"))
                detail = (f"expected {expected}, got {found}" if expected and found
                          else found or expected)
                out.append(f"  - {check}: {detail}" if detail else f"  - {check}")
    return out


def _ideas(lesson: Lesson) -> dict[str, object]:
    explain = getattr(lesson, "explain", None)  # explain it back, where a lesson has it
    return {str(getattr(i, "id", "")): i for i in getattr(explain, "ideas", None) or ()}


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
