"""The lesson loader and schema: the shipped course, and a corpus of broken lessons.

Every broken lesson is built from ``tests/data/minimal_lesson.yaml`` with exactly one
thing wrong, then checked through the real ``mlops-primer validate`` in a subprocess:
exit code 1, one line naming the file (and line and field where there is one), no
traceback, and a message that tells this mistake apart from every other one.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SHIPPED_IDS, run

from mlops_primer import prompts
from mlops_primer.errors import LessonError
from mlops_primer.lessons import (
    MAX_LESSON_BYTES,
    Course,
    Lesson,
    lesson_problems,
    load_course,
    load_lesson,
    read_yaml,
)
from mlops_primer.resources import builtin_lessons_dir
from mlops_primer.validation import validate

DATA = Path(__file__).parent / "data"
MINIMAL = DATA / "minimal_lesson.yaml"


def minimal() -> dict[str, Any]:
    """A fresh, deep copy of the minimal valid lesson."""
    return copy.deepcopy(yaml.safe_load(MINIMAL.read_text(encoding="utf-8")))


def dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=4096)


def edited(edit: Callable[[dict[str, Any]], Any]) -> str:
    """The minimal lesson as YAML after ``edit`` changed it in place."""
    data = minimal()
    edit(data)
    return dump(data)


def renamed(data: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """``data`` with one key renamed, keeping its place in the file."""
    return {(new if k == old else k): v for k, v in data.items()}


# -- the corpus ---------------------------------------------------------------------

Content = str | bytes
# where the message should point: a 1-based line, (regex, nth match) in the named file, or
# None when there is no line to give (the file cannot be read as YAML at all)
LineSpec = int | tuple[str, int] | None


@dataclass(frozen=True)
class Broken:
    """One broken lesson (or pair of lessons) and what ``validate`` must say about it."""

    id: str
    files: dict[str, Content]
    fragment: str  # part of the message that is specific to this mistake
    field: str | None = None
    line: LineSpec = None
    named: str = "lesson.yaml"  # the file the message must name
    as_folder: bool = False  # validate the folder (for problems between files)
    renders_only: bool = False  # the loader accepts it; only rendering the prompt fails

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in self.files.items():
            path = folder / name
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return folder if self.as_folder else folder / self.named

    def expected_line(self, folder: Path) -> int | None:
        if self.line is None or isinstance(self.line, int):
            return self.line
        pattern, nth = self.line
        text = (folder / self.named).read_text(encoding="utf-8")
        hits = [n for n, line in enumerate(text.splitlines(), 1) if re.match(pattern, line)]
        assert len(hits) >= nth, f"test bug: {pattern!r} occurs {len(hits)} time(s)"
        return hits[nth - 1]


def _order(n: int, lesson_id: str = "sample") -> str:
    return edited(lambda d: d.update(order=n, id=lesson_id))


def _set_prompt(key: str, value: str) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["prompt"].update({key: value})


GOOD = dump(minimal())

CORPUS: list[Broken] = [
    Broken(
        "yaml-syntax",
        {"lesson.yaml": GOOD.replace("title: A sample lesson", "title: A sample: lesson")},
        "invalid YAML: mapping values are not allowed",
        line=(r"title: ", 1),
    ),
    Broken("empty-file", {"lesson.yaml": ""}, "the file is empty", line=1),
    Broken(
        "list-not-mapping",
        {"lesson.yaml": dump([minimal()])},
        "the file is a list, not a mapping of fields",
        line=1,
    ),
    Broken(
        "missing-field",
        {"lesson.yaml": edited(lambda d: d.pop("title"))},
        "is missing",
        field="title",
        line=1,
    ),
    Broken(
        "wrong-type",
        {"lesson.yaml": edited(lambda d: d.update(order="two"))},
        "should be a whole number, not text",
        field="order",
        line=(r"order: ", 1),
    ),
    Broken(
        "null-value",
        {"lesson.yaml": edited(lambda d: d.update(summary=None))},
        "is empty; a value is required",
        field="summary",
        line=(r"summary:", 1),
    ),
    Broken(
        "empty-list",
        {"lesson.yaml": edited(lambda d: d.update(points=[]))},
        "needs at least 1 item(s), has 0",
        field="points",
        line=(r"points:", 1),
    ),
    Broken(
        "unknown-field-typo",
        {"lesson.yaml": dump(renamed(minimal(), "title", "titel"))},
        "unknown field (did you mean 'title'?)",
        field="titel",
        line=(r"titel: ", 1),
    ),
    Broken(
        "duplicate-id",
        {"a.yaml": _order(1), "b.yaml": _order(2)},
        "id 'sample' is already used by",
        field="id",
        line=(r"id: sample", 1),
        named="b.yaml",
        as_folder=True,
    ),
    Broken(
        "duplicate-order",
        {"a.yaml": _order(1, "first"), "b.yaml": _order(1, "second")},
        "order 1 is already used by",
        field="order",
        line=(r"order: 1", 1),
        named="b.yaml",
        as_folder=True,
    ),
    Broken(
        "unknown-template",
        {"lesson.yaml": edited(_set_prompt("template", "nope.j2"))},
        "template 'nope.j2' not found",
        field="prompt.template (nope.j2)",
        line=(r"\s+template: nope.j2", 1),
        renders_only=True,
    ),
    Broken(
        "undefined-variable",
        {"lesson.yaml": edited(_set_prompt("request", "Tell a story about {{ theem }}."))},
        "'theem' is undefined",
        field="prompt.request",
        line=(r"\s+request: ", 1),
        renders_only=True,
    ),
    Broken(
        "jinja-syntax",
        {"lesson.yaml": edited(_set_prompt("request", "Tell a story about {{ theme }."))},
        "template syntax error",
        field="prompt.request",
        line=(r"\s+request: ", 1),
        renders_only=True,
    ),
    Broken(
        "sandbox-escape",
        {"lesson.yaml": edited(_set_prompt("request", "{{ ''.__class__.__mro__ }}"))},
        "refused by the sandbox",
        field="prompt.request",
        line=(r"\s+request: ", 1),
        renders_only=True,
    ),
    Broken(
        "answer-not-in-choices",
        {"lesson.yaml": edited(lambda d: d["quiz"][0].update(answer="Everything"))},
        "'Everything' is not one of its choices",
        field="quiz[0].answer",
        line=(r"\s+answer: Everything", 1),
    ),
    Broken(
        "duplicate-choice",
        {"lesson.yaml": edited(lambda d: d["quiz"][0]["choices"].append("Nothing at all"))},
        "two choices are the same",
        field="quiz[0].choices",
        line=(r"\s+- The file, the line and the field", 1),  # the list starts there
    ),
    Broken(
        "duplicate-theme-id",
        {"lesson.yaml": edited(lambda d: d["themes"][1].update(id="zoo"))},
        "theme id 'zoo' is used twice",
        field="themes[1].id",
        line=(r"\s*- id: zoo", 2),
    ),
    Broken(
        "bad-id-pattern",
        {"lesson.yaml": edited(lambda d: d.update(id="Sample_Lesson"))},
        "'Sample_Lesson' does not match",
        field="id",
        line=(r"id: Sample_Lesson", 1),
    ),
    Broken(
        "schema-from-the-future",
        {"lesson.yaml": edited(lambda d: d.update(schema_version=2))},
        "written for schema_version 2; this mlops-primer reads 1",
        field="schema_version",
        line=(r"schema_version: 2", 1),
    ),
    Broken(
        "huge-hex-number",
        {"lesson.yaml": GOOD.replace("title: A sample lesson", "title: 0x" + "f" * 5000)},
        "an integer of 5,002 digits; at most 30",
        line=(r"title: ", 1),
    ),
    Broken(
        "huge-integer-key",
        {"lesson.yaml": GOOD + "? " + "1" * 4000 + "\n: x\n"},
        "an integer of 4,000 digits; at most 30",
        line=(r"\? 1111", 1),
    ),
    Broken(
        "duplicate-key",
        {"lesson.yaml": GOOD + "title: The same key again\n"},
        "duplicate key 'title' (first on line 3)",
        line=(r"title: ", 2),
    ),
    Broken(
        "nested-900-deep",
        {"lesson.yaml": GOOD.replace("minutes: 5", "minutes: " + "[" * 900 + "]" * 900)},
        "nested over 32 levels deep",
        line=(r"minutes: ", 1),
    ),
    Broken(
        "alias-fan-out",
        {"lesson.yaml": GOOD.replace("why_it_matters: ", "why_it_matters: &w ", 1).replace(
            "Because every broken lesson starts from a good one.",
            "Because every broken lesson starts from a good one. " * 200, 1).replace(
            "points:\n", "points: [" + ", ".join(["*w"] * 40) + "]\nold_points:\n", 1)},
        "aliases expand it past the limit",
        line=(r"points: \[", 1),
    ),
    Broken(
        "oversize-file",
        {"lesson.yaml": edited(lambda d: d.update(why_it_matters="word " * 60_000))},
        f"over the {MAX_LESSON_BYTES:,}-byte limit",
    ),
    Broken(
        "not-utf8",
        {"lesson.yaml": GOOD.encode().replace(b"A sample lesson", b"A sample \xff\xfe lesson")},
        "not UTF-8 text",
    ),
    Broken(
        "impossible-date",
        {"lesson.yaml": GOOD.replace("minutes: 5", "minutes: 2024-02-30")},
        "invalid YAML value: day is out of range for month",
    ),
]
CORPUS_IDS = [case.id for case in CORPUS]


def test_corpus_is_big_and_ids_are_unique() -> None:
    assert len(CORPUS) >= 12
    assert len(set(CORPUS_IDS)) == len(CORPUS)


def test_minimal_lesson_is_valid(tmp_path: Path) -> None:
    """The base of the corpus is good, so each case fails for its own reason only."""
    path = tmp_path / "lesson.yaml"
    path.write_text(GOOD, encoding="utf-8")
    lesson = load_lesson(path)
    assert lesson.id == "sample" and lesson.path == path
    result = run("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1 lesson file(s) valid."


@pytest.mark.parametrize("case", CORPUS, ids=CORPUS_IDS)
def test_validate_reports_broken_lesson(case: Broken, tmp_path: Path) -> None:
    folder = tmp_path / case.id
    target = case.write(folder)
    named = folder / case.named
    if case.id == "oversize-file":
        assert named.stat().st_size > MAX_LESSON_BYTES

    result = run("validate", str(target))

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert re.fullmatch(r"\d+ problem\(s\) in \d+ lesson file\(s\)\.", lines[-1]), lines
    line = case.expected_line(folder)
    prefix = f"{named}:{line}: " if line else f"{named}: "
    if case.field:
        prefix += f"{case.field}: "
    hits = [x for x in lines if x.startswith(prefix) and case.fragment in x]
    assert hits, f"no line starting {prefix!r} and containing {case.fragment!r} in:\n" + (
        result.stderr
    )


def test_every_broken_lesson_has_its_own_message(tmp_path: Path) -> None:
    """One validate run over the whole corpus: each case's first line is different."""
    targets = [case.write(tmp_path / case.id) for case in CORPUS]
    result = run("validate", *map(str, targets))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    firsts = {}
    for case in CORPUS:
        folder = f"{tmp_path / case.id}/"
        mine = [x for x in lines if x.startswith(folder)]
        assert mine, f"{case.id}: no message in\n{result.stderr}"
        firsts[case.id] = mine[0].replace(folder, "<case>/")
    assert len(set(firsts.values())) == len(CORPUS), firsts
    n_files = sum(len(case.files) for case in CORPUS)
    assert lines[-1].endswith(f" problem(s) in {n_files} lesson file(s)."), lines[-1]


LOAD_FAILURES = [case for case in CORPUS if not case.renders_only]
RENDER_FAILURES = [case for case in CORPUS if case.renders_only]


@pytest.mark.parametrize("case", LOAD_FAILURES, ids=[c.id for c in LOAD_FAILURES])
def test_lessons_command_on_broken_course_is_one_line(case: Broken, tmp_path: Path) -> None:
    folder = tmp_path / case.id
    case.write(folder)
    result = run("lessons", "--lessons-dir", str(folder))
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert str(folder / case.named) in lines[0]
    assert case.fragment in lines[0]


@pytest.mark.parametrize("case", RENDER_FAILURES, ids=[c.id for c in RENDER_FAILURES])
def test_prompt_command_on_broken_template_is_one_line(case: Broken, tmp_path: Path) -> None:
    folder = tmp_path / case.id
    case.write(folder)
    result = run("prompt", "sample", "--lessons-dir", str(folder))
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert str(folder / case.named) in lines[0]
    assert case.fragment in lines[0]


def test_load_lesson_names_the_first_problem_and_counts_the_rest(tmp_path: Path) -> None:
    data = minimal()
    data["order"] = "two"
    data["minutes"] = 0
    path = tmp_path / "lesson.yaml"
    path.write_text(dump(data), encoding="utf-8")
    with pytest.raises(LessonError) as info:
        load_lesson(path)
    assert str(path) in info.value.message and "(and 1 more)" in info.value.message
    assert f"mlops-primer validate {path}" in (info.value.hint or "")


def test_validate_reports_every_problem_of_one_file(tmp_path: Path) -> None:
    data = minimal()
    data.update(order="two", minutes=0, id="Bad Id")
    path = tmp_path / "lesson.yaml"
    path.write_text(dump(data), encoding="utf-8")
    report = validate([path])
    assert {p.field for p in report.problems} == {"order", "minutes", "id"}
    assert all(p.file == path and p.line for p in report.problems)


def test_read_yaml_is_safe(tmp_path: Path) -> None:
    """The safe loader never builds Python objects from tags."""
    path = tmp_path / "lesson.yaml"
    path.write_text("x: !!python/object/apply:os.system ['echo pwned']\n", encoding="utf-8")
    with pytest.raises(LessonError) as info:
        read_yaml(path)
    assert f"{path}:1: invalid YAML" in info.value.message


def test_lesson_problems_rejects_non_mapping(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    for data, words in ((None, "empty"), ([1], "a list"), ("text", "a str"), (3, "a int")):
        lesson, problems = lesson_problems(path, data)
        assert lesson is None and len(problems) == 1
        assert words in problems[0].message


# -- the shipped course -----------------------------------------------------------


def test_shipped_ids_in_order(course: Course) -> None:
    assert [x.id for x in course.lessons] == SHIPPED_IDS
    assert [x.order for x in course.lessons] == list(range(1, len(SHIPPED_IDS) + 1))


def test_shipped_course_validates() -> None:
    report = validate([builtin_lessons_dir()])
    assert [str(p) for p in report.problems] == []
    assert len(report.files) == len(SHIPPED_IDS)


@pytest.mark.parametrize("lesson_id", SHIPPED_IDS)
def test_shipped_lesson_renders_for_every_theme(course: Course, lesson_id: str) -> None:
    lesson = course.get(lesson_id)
    for theme in lesson.themes:
        messages = prompts.render(course, lesson, theme)
        assert [m.role for m in messages] == ["system", "user"]
        user = " ".join(messages[1].content.split())
        assert theme.phrase in user, (lesson.id, theme.id)
        for m in messages:
            assert m.content.strip()
            assert "{{" not in m.content and "{%" not in m.content


@pytest.mark.parametrize("lesson_id", SHIPPED_IDS)
def test_shipped_lesson_meets_the_content_bar(course: Course, lesson_id: str) -> None:
    lesson: Lesson = course.get(lesson_id)
    assert lesson.path is not None and lesson.path.name == f"{lesson_id}.yaml"
    assert len(lesson.points) >= 4
    assert len(lesson.themes) >= 4
    assert len(lesson.takeaways) >= 3
    assert len(lesson.quiz) >= 4
    for i, q in enumerate(lesson.quiz):
        assert q.explanation.strip(), f"quiz[{i}] has no explanation"
        assert q.hint.strip(), f"quiz[{i}] has no hint"
        assert q.answer in q.choices, f"quiz[{i}].answer is not a choice"
        assert q.choices[q.answer_index] == q.answer
        assert len(set(q.choices)) == len(q.choices)
    assert len({t.id for t in lesson.themes}) == len(lesson.themes)


def test_lifecycle_has_a_diagram(course: Course) -> None:
    diagram = course.get("lifecycle").diagram
    assert diagram and len(diagram.splitlines()) >= 3


def test_load_course_rejects_missing_and_empty_folders(tmp_path: Path) -> None:
    with pytest.raises(LessonError, match="does not exist"):
        load_course(tmp_path / "nowhere")
    with pytest.raises(LessonError, match="no lesson files"):
        load_course(tmp_path)


def test_parsed_lesson_cache_is_used_and_invalidated(tmp_path: Path, home: Path) -> None:
    """The JSON cache of parsed lessons serves unchanged files and never a changed one."""
    import shutil

    from mlops_primer.lessons import load_course
    from mlops_primer.resources import builtin_lessons_dir

    folder = tmp_path / "course"
    shutil.copytree(builtin_lessons_dir(), folder)
    first = load_course(folder)
    caches = list((home / "cache").glob("course-*.json"))
    assert len(caches) == 1
    assert [x.title for x in load_course(folder).lessons] == [x.title for x in first.lessons]
    import json

    raw = json.loads(caches[0].read_text())
    raw["files"]["versioning.yaml"]["data"]["title"] = "Served from the cache"
    caches[0].write_text(json.dumps(raw))
    assert load_course(folder).get("versioning").title == "Served from the cache"
    drift = folder / "drift.yaml"
    drift.write_text(drift.read_text().replace("title: Monitoring, model drift and retraining",
                                               "title: Drift, changed"))
    assert load_course(folder).get("drift").title == "Drift, changed"
    caches[0].write_text("{not json")  # a damaged cache only costs speed
    assert load_course(folder).get("drift").title == "Drift, changed"


@pytest.mark.parametrize("lesson_id", SHIPPED_IDS)
def test_shipped_lesson_names_the_facts_its_answer_must_cover(course: Course,
                                                             lesson_id: str) -> None:
    covers = course.get(lesson_id).prompt.covers
    assert 4 <= len(covers) <= 7
    for fact in covers:
        assert fact.strip() == fact and fact
        assert "{{" not in fact and "{%" not in fact  # data, never template source
