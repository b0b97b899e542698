"""Issue 12 item 6: pack prose is written one source line per paragraph.

Markdown joins a paragraph's lines, but the terminal renderer keeps the breaks of a
paragraph that looks like verse (``is_verse``), so hard-wrapped prose with a short line
("used grams. Because") was drawn as a broken poem. Only a lesson whose form is poems
(drift) may break lines, and there every stanza must read as verse to keep its breaks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_primer.lessons import Course, load_course
from mlops_primer.pack import read_pack_answer
from mlops_primer.resources import builtin_lessons_dir
from mlops_primer.ui.stream import TutorMarkdown, is_verse

_CONTAINERS = {"bullet_list_open": "list", "ordered_list_open": "list",
               "blockquote_open": "quote"}


def _pack_files() -> list[Path]:
    return sorted((builtin_lessons_dir() / "pack").glob("**/*.md"))


def _is_poems(course: Course, lesson_id: str) -> bool:
    return "poem" in course.get(lesson_id).prompt.form.lower()


def _paragraphs(text: str) -> list[tuple[bool, str]]:
    """Each paragraph's inline text as the renderer parses it, and if it is top level
    prose (not inside a list or a quote; headings and code are not paragraphs)."""
    stack: list[str] = []
    inside_paragraph = False
    found: list[tuple[bool, str]] = []
    for token in TutorMarkdown(text).parsed:
        if token.type in _CONTAINERS:
            stack.append(_CONTAINERS[token.type])
        elif token.type.endswith("_close") and token.type.replace("_close", "_open") in (
                _CONTAINERS):
            stack.pop()
        elif token.type == "paragraph_open":
            inside_paragraph = True
        elif token.type == "paragraph_close":
            inside_paragraph = False
        elif token.type == "inline" and inside_paragraph:
            found.append((not stack, token.content))
    return found


def test_the_pack_is_globbed_and_its_lessons_know_their_form() -> None:
    course = load_course(builtin_lessons_dir())
    files = _pack_files()
    assert len(files) >= 21
    lessons = {f.parent.name for f in files}
    assert {lesson.id for lesson in course.lessons} <= lessons
    assert _is_poems(course, "drift") and not _is_poems(course, "versioning")


def test_the_check_catches_hard_wrapped_prose() -> None:
    wrapped = ("One Monday the newly trained model declared every tortoise underweight:\n"
               "the reptile house's new scale reported kilograms, where every older log\n"
               "used grams. Because\n"
               "each week's logs were versioned, the keepers compared snapshots.\n")
    [(top, content)] = _paragraphs(wrapped)
    assert top and "\n" in content and is_verse(content.split("\n"))
    item = _paragraphs("- **Data engineers** are suppliers and prep cooks:\n  labelled.\n")
    assert item == [(False, "**Data engineers** are suppliers and prep cooks:\nlabelled.")]
    assert _paragraphs("> a quote\n> on two lines\n")[0][0] is False
    assert _paragraphs("## A heading\n\n```\na\nb\n```\n") == []


@pytest.mark.parametrize("path", _pack_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_pack_prose_is_drawn_as_verse(path: Path, course: Course) -> None:
    text = read_pack_answer(path).text
    if _is_poems(course, path.parent.name):
        # A poem keeps its breaks only if the renderer sees verse; prose there is one line.
        for top_level, content in _paragraphs(text):
            lines = content.split("\n")
            if top_level and len(lines) > 1:
                assert is_verse(lines), f"{path.name}: stanza drawn as prose: {lines[0]!r}"
        return
    for top_level, content in _paragraphs(text):
        lines = content.split("\n")
        assert not is_verse(lines), f"{path.name}: drawn as verse: {lines[0]!r}..."
        if top_level:
            assert len(lines) == 1, f"{path.name}: paragraph hard-wrapped: {lines[0]!r}"
