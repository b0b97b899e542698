"""The lab coach: with an LLM, one hint written for the learner's failing check and file.

The prompt carries the reference solution, so the hint is accurate, and asks never to
reveal it or write code. Asking is not enough (an LLM tutor that gives solutions away is
what makes learners do worse later, Bastani et al., PNAS 2025), so the reply is checked
before anyone sees it: a reply with a code block in it, or one too close to the solution
(a difflib similarity ratio against the solution's own lines, or a line of the solution
written out in it), is refused, and the caller shows an authored hint instead.

Everything that goes into the prompt (the learner's files, the findings, the course's
task and solution) is passed to the templates as values, never as template source.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import LessonError
from ..files import RefusedFile, read_inside
from . import lab_files

#: the most of each learner file the prompt carries, and of each solution file (at most
#: MAX_FILES of each: the whole stays within the sandbox's 100,000-character output)
MAX_FILE_CHARS = 8_000
MAX_SOLUTION_CHARS = 10_000
MAX_FILES = 4
MAX_FINDINGS = 6
MAX_FINDING_CHARS = 300
MAX_TASK_CHARS = 6_000
MAX_HINT_CHARS = 1_000
#: the longest hint asked for, in tokens (the prompt asks for 80 words, about 110)
HINT_TOKENS = 400
#: a solution line this long (spaces collapsed) written out in a reply gives it away
MIN_LINE_CHARS = 16
#: a reply line this similar to a solution line is that line, lightly changed
LINE_RATIO = 0.85
#: a reply this similar to the solution's own lines, as a whole, is the solution
WHOLE_RATIO = 0.5
#: a reply this much made of runs of COPIED_RUN characters from the solution copies it
COPIED_SHARE = 0.4
COPIED_RUN = 20
#: an inline code span this long is a statement, not a name
MAX_INLINE_CODE = 40

_FENCE = re.compile(r"```|~~~")
_LIST_ITEM = re.compile(r"(?:[-*+]|\d+[.)])(?:\s|$)")
_CODE_LIKE = re.compile(r"[=(){}\[\];]|:\s*$|^(?:def|return|import|from|for|if|while|class|"
                        r"with|try|except|raise|assert|print)\b")
_INLINE = re.compile(r"`([^`\n]+)`")


@dataclass(frozen=True)
class Guarded:
    """A coach's reply and, when it may not be shown, why (in a few plain words)."""

    text: str
    problem: str | None = None


def _norm(text: str) -> str:
    return " ".join(text.split())


def _read(path: Path, root: Path, limit: int) -> tuple[str, bool] | None:
    """The start of a text file inside ``root`` (None when it is missing or refused)."""
    try:
        data = read_inside(path, root, max_bytes=limit * 4, cut=True)
    except (OSError, RefusedFile):
        return None
    text = data.decode("utf-8", errors="replace")
    return (text[:limit], True) if len(text) > limit else (text, False)


def _course_texts(course_dir: Path, lesson: Any, kind: str) -> list[dict[str, str]]:
    try:
        paths = lab_files(course_dir, lesson.id, lesson.lab.files, kind)
    except LessonError:
        return []
    out = []
    for name, path in list(paths.items())[:MAX_FILES]:
        read = _read(path, course_dir, MAX_SOLUTION_CHARS)
        if read is not None:
            out.append({"name": name, "text": read[0]})
    return out


def solution_texts(course_dir: Path, lesson: Any) -> list[str]:
    """The reference solution's files, as text."""
    return [f["text"] for f in _course_texts(course_dir, lesson, "solution")]


def starter_texts(course_dir: Path, lesson: Any) -> list[str]:
    """The starter files, as text (their lines are the learner's already)."""
    return [f["text"] for f in _course_texts(course_dir, lesson, "starter")]


def context(lesson: Any, course_dir: Path, workspace: Path,
            failing: Sequence[dict[str, Any]], *, language: str | None) -> dict[str, Any]:
    """The template variables of the coach's prompt, every one a bounded value."""
    from ..prompts import language_name
    from . import Finding

    learner = []
    for name in lesson.lab.files[:MAX_FILES]:
        read = _read(workspace / name, workspace, MAX_FILE_CHARS)
        if read is None:
            learner.append({"name": name, "text": "(the file is missing or cannot be read)",
                            "cut": False, "shown": 0})
        else:
            learner.append({"name": name, "text": read[0], "cut": read[1],
                            "shown": len(read[0])})
    lines = []
    for f in failing[:MAX_FINDINGS]:
        finding = Finding(check=str(f.get("check", "")), passed=False,
                          expected=str(f.get("expected", "")), found=str(f.get("found", "")))
        lines.append({"line": _norm(finding.line())[:MAX_FINDING_CHARS]})
    return {
        "lab_title": lesson.lab.title,
        "lesson_title": lesson.title,
        "lesson_order": lesson.order,
        "task": lesson.lab.task.strip()[:MAX_TASK_CHARS],
        "failing": lines,
        "learner_files": learner,
        "hints": [h[:MAX_HINT_CHARS] for h in lesson.lab.hints[:MAX_FINDINGS]],
        "solution_files": _course_texts(course_dir, lesson, "solution"),
        "language": language_name(language),
    }


def has_code(reply: str) -> bool:
    """True when ``reply`` holds code: a fenced block (``` or ~~~), a line indented as
    code (four spaces or a tab, not a list item, and looking like code), or an inline
    code span long enough to be a statement rather than a name."""
    if _FENCE.search(reply):
        return True
    for line in reply.splitlines():
        if line.startswith(("    ", "\t")):
            body = line.strip()
            if body and not _LIST_ITEM.match(body) and _CODE_LIKE.search(body):
                return True
    return any(len(span.strip()) > MAX_INLINE_CODE for span in _INLINE.findall(reply))


def _own_lines(solutions: Sequence[str], starters: Sequence[str]) -> list[str]:
    """The solution's lines that the starter does not have already (spaces collapsed)."""
    given = {_norm(line) for text in starters for line in text.splitlines()}
    out = []
    for text in solutions:
        for line in text.splitlines():
            n = _norm(line)
            if n and n not in given:
                out.append(n)
    return out


def too_close(reply: str, solutions: Sequence[str], starters: Sequence[str] = ()) -> str | None:
    """Why ``reply`` gives the solution away, or None: a line of the solution (one the
    starter does not have) written out in it, a line of it nearly the same as one, or
    the reply as a whole much like the solution's own lines."""
    own = _own_lines(solutions, starters)
    flat = _norm(reply.replace("`", " "))
    meaningful = [line for line in own if len(line) >= MIN_LINE_CHARS]
    for line in meaningful:
        if line in flat or _norm(line.replace("`", " ")) in flat:
            return "wrote out a line of the solution"
    reply_lines = [_norm(x.replace("`", " ")) for x in reply.splitlines()]
    for mine in (x for x in reply_lines if len(x) >= MIN_LINE_CHARS):
        for line in meaningful:
            matcher = difflib.SequenceMatcher(None, mine, line, autojunk=False)
            if matcher.real_quick_ratio() >= LINE_RATIO and matcher.ratio() >= LINE_RATIO:
                return "wrote a line very like one of the solution"
    whole = _norm("\n".join(own))
    if whole and flat:
        matcher = difflib.SequenceMatcher(None, flat, whole, autojunk=False)
        copied = sum(b.size for b in matcher.get_matching_blocks() if b.size >= COPIED_RUN)
        if matcher.ratio() >= WHOLE_RATIO or copied >= COPIED_SHARE * len(flat):
            return "was too close to the solution"
    return None


def guard(reply: str, solutions: Sequence[str], starters: Sequence[str] = ()) -> Guarded:
    """``reply`` with why it may not be shown, if it may not."""
    if not reply.strip():
        return Guarded(reply, "was empty")
    if has_code(reply):
        return Guarded(reply, "had code in it")
    return Guarded(reply, too_close(reply, solutions, starters))


def ask(settings: Any, messages: Sequence[Any]) -> Any:
    """One hint from the LLM (an ``llm.Answer``), its length bounded; LLMError on failure."""
    from dataclasses import replace

    from ..llm import OpenAIProvider

    provider = OpenAIProvider(replace(settings, max_tokens=min(settings.max_tokens,
                                                               HINT_TOKENS)))
    return provider.stream(messages, lambda _text: None)
