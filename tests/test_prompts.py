"""Rendering lessons and themes into chat messages: data stays data, templates stay boxed."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import run

from mlops_primer import prompts
from mlops_primer.errors import TemplateError, ThemeError
from mlops_primer.lessons import (
    MAX_THEME_CHARS,
    Course,
    Lesson,
    is_custom,
    load_course,
    resolve_theme,
)
from mlops_primer.resources import builtin_lessons_dir, builtin_prompts_dir

DATA = Path(__file__).parent / "data"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def flat(text: str) -> str:
    return " ".join(text.split())


def with_request(lesson: Lesson, request: str) -> Lesson:
    return dataclasses.replace(lesson, prompt=dataclasses.replace(lesson.prompt, request=request))


def test_theme_is_data_not_template(course: Course) -> None:
    lesson = course.get("versioning")
    plain = prompts.render(course, lesson, lesson.default_theme)
    assert not any("49" in m.content for m in plain)  # so the check below can mean something
    theme = resolve_theme(lesson, "{{ 7*7 }}")
    assert is_custom(theme)
    system, user = prompts.render(course, lesson, theme)
    assert "{{ 7*7 }}" in user.content
    assert "49" not in user.content and "49" not in system.content


def test_jinja_statement_theme_is_literal(course: Course) -> None:
    lesson = course.get("drift")
    text = "{% for x in range(3) %}boom{% endfor %} {{ theme.__class__ }}"
    user = prompts.render(course, lesson, resolve_theme(lesson, text))[1].content
    assert text in flat(user)
    assert "boomboom" not in user


def test_versioning_zoo_asks_for_three_stories(course: Course) -> None:
    lesson = course.get("versioning")
    system, user = prompts.render(course, lesson, lesson.theme("zoo"))
    assert system.role == "system" and user.role == "user"
    assert "three different short stories about animals in a zoo" in flat(user.content)
    assert "My metaphor world is: animals in a zoo." in flat(user.content)
    assert "tutor of mlops-primer" in system.content
    assert "{" not in user.content


@pytest.mark.parametrize("text", ["zoo", "ZOO", "  Animals in a zoo ", "animals IN a ZOO"])
def test_suggested_theme_by_id_or_label(course: Course, text: str) -> None:
    theme = resolve_theme(course.get("versioning"), text)
    assert theme.id == "zoo" and not is_custom(theme)


def test_free_text_theme_loses_control_characters(course: Course) -> None:
    lesson = course.get("lifecycle")
    theme = resolve_theme(lesson, "deep\x00sea\x07  divers\x1b[31m\x7f on\tMars\n")
    assert is_custom(theme)
    assert theme.phrase == "deep sea divers [31m on Mars"
    assert theme.id == "custom:deep-sea-divers-31m-on-mars"
    for m in prompts.render(course, lesson, theme):
        assert not CONTROL.search(m.content), m.role
    assert theme.phrase in flat(prompts.render(course, lesson, theme)[1].content)


def test_theme_length_limit(course: Course) -> None:
    lesson = course.get("lifecycle")
    longest = "a" * MAX_THEME_CHARS
    assert resolve_theme(lesson, longest).phrase == longest
    with pytest.raises(ThemeError, match=f"{MAX_THEME_CHARS + 1} characters"):
        resolve_theme(lesson, longest + "b")
    # whitespace is squeezed before counting
    assert resolve_theme(lesson, "  " + "b " * 60 + "  ").phrase == ("b " * 60).strip()


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01\x1b", "\n\t\r"])
def test_empty_theme_is_refused(course: Course, text: str) -> None:
    with pytest.raises(ThemeError, match="empty"):
        resolve_theme(course.get("lifecycle"), text)


def test_strict_undefined_names_the_variable_and_file(course: Course) -> None:
    lesson = with_request(course.get("versioning"), "Tell me about {{ thme }}.")
    with pytest.raises(TemplateError) as info:
        prompts.render(course, lesson, lesson.default_theme)
    assert str(lesson.path) in info.value.message
    assert "prompt.request" in info.value.message and "'thme' is undefined" in info.value.message
    assert info.value.field == "prompt.request"


@pytest.mark.parametrize(
    "request_source",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ lesson.__class__ }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ joiner.__init__.__globals__ }}",
        "{{ lipsum.__globals__['os'] }}",
        "{{ namespace.__init__ }}",
        "{{ self._TemplateReference__context }}",
        "{{ dict.mro() }}",
        "{{ '{0.__class__}'.format(theme) }}",
        "{{ [].append(1) }}",
        "{{ range(10**6) | list | length }}",
        "{% for x in range(99999999) %}{% endfor %}",
        "{{ 'a' * 10**10 }}",
        "{{ 7**99999999 }}",
        "{{ [theme] * 1000000 }}",
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        "{{ lipsum(1000000) }}",
    ],
    ids=[
        "str-class", "subclasses", "dict-class", "cycler-globals", "joiner-globals",
        "lipsum-globals", "namespace-init", "template-reference-context", "type-mro",
        "format-attribute", "mutate-list", "range-overflow", "range-loop",
        "string-repeat-bomb", "power-bomb", "list-repeat-bomb", "nested-loops",
        "lipsum-bomb",
    ],
)
def test_sandbox_refuses(course: Course, request_source: str) -> None:
    lesson = with_request(course.get("versioning"), request_source)
    with pytest.raises(TemplateError) as info:
        prompts.render(course, lesson, lesson.default_theme)
    message = info.value.message
    assert message.startswith(f"{lesson.path}: prompt.request: ")
    # lipsum is not offered to templates at all
    assert ("refused by the sandbox" in message or "Range too big" in message
            or "'lipsum' is undefined" in message)
    assert "\n" not in info.value.one_line()


def test_unknown_template_is_a_template_error(course: Course) -> None:
    lesson = course.get("drift")
    lesson = dataclasses.replace(lesson, prompt=dataclasses.replace(lesson.prompt,
                                                                     template="missing.j2"))
    with pytest.raises(TemplateError, match="template 'missing.j2' not found") as info:
        prompts.render(course, lesson, lesson.default_theme)
    assert str(lesson.path) in info.value.message


def test_messages_hash_is_stable_and_theme_sensitive(course: Course) -> None:
    lesson = course.get("versioning")
    zoo = prompts.render(course, lesson, lesson.theme("zoo"))
    again = prompts.render(course, lesson, lesson.theme("zoo"))
    cooking = prompts.render(course, lesson, lesson.theme("cooking"))
    free = prompts.render(course, lesson, lesson.theme("animals in a zoo!"))
    h = prompts.messages_hash(zoo)
    assert re.fullmatch(r"[0-9a-f]{64}", h)
    assert h == prompts.messages_hash(again)
    assert h != prompts.messages_hash(cooking)
    assert h != prompts.messages_hash(free)
    # the hash is of the canonical JSON of the messages, nothing else
    canon = json.dumps([m.as_dict() for m in zoo], ensure_ascii=False, separators=(",", ":"))
    assert h == hashlib.sha256(canon.encode("utf-8")).hexdigest()


def test_messages_hash_matches_across_processes(course: Course) -> None:
    lesson = course.get("versioning")
    here = prompts.messages_hash(prompts.render(course, lesson, lesson.theme("zoo")))
    result = run("prompt", "versioning", "--theme", "zoo", "--json")
    assert result.returncode == 0, result.stderr
    there = [prompts.Message(m["role"], m["content"]) for m in json.loads(result.stdout)]
    assert prompts.messages_hash(there) == here


def test_course_prompts_folder_overrides_system(tmp_path: Path) -> None:
    folder = tmp_path / "course"
    folder.mkdir()
    shutil.copy(builtin_lessons_dir() / "versioning.yaml", folder / "versioning.yaml")
    shutil.copytree(builtin_lessons_dir() / "labs" / "versioning",  # its lab's files
                    folder / "labs" / "versioning")
    (folder / "prompts").mkdir()
    (folder / "prompts" / "system.j2").write_text(
        "You are a pirate tutor for {{ lesson.title }} ({{ theme_label }}).\n", encoding="utf-8"
    )
    course = load_course(folder)
    assert prompts.prompt_dirs(course) == (folder / "prompts", builtin_prompts_dir())
    lesson = course.get("versioning")
    system, user = prompts.render(course, lesson, lesson.theme("zoo"))
    assert system.content == (
        "You are a pirate tutor for Data versioning and experiment tracking (Animals in a zoo)."
    )
    # lesson.j2 is not overridden, so the shipped one is used
    assert "three different short stories about animals in a zoo" in flat(user.content)
    shipped = load_course(builtin_lessons_dir())
    assert prompts.render(shipped, shipped.get("versioning"), lesson.theme("zoo"))[0] != system


def test_course_prompt_override_is_sandboxed_too(tmp_path: Path) -> None:
    folder = tmp_path / "course"
    folder.mkdir()
    data = copy.deepcopy(yaml.safe_load((DATA / "minimal_lesson.yaml").read_text()))
    data["prompt"]["template"] = "mine.j2"
    (folder / "lesson.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    (folder / "prompts").mkdir()
    (folder / "prompts" / "mine.j2").write_text("{{ request }} {{ cycler.__init__ }}\n")
    course = load_course(folder)
    lesson = course.get("sample")
    with pytest.raises(TemplateError) as info:
        prompts.render(course, lesson, lesson.default_theme)
    assert info.value.field == "prompt.template (mine.j2)"
    assert "refused by the sandbox" in info.value.message
    assert str(folder / "lesson.yaml") in info.value.message


def test_followup_question_is_data(course: Course) -> None:
    lesson = course.get("drift")
    theme = lesson.default_theme
    history = prompts.render(course, lesson, theme)
    out = prompts.render_followup(course, lesson, theme, "what is {{ 6*7 }}?" + "x" * 2000,
                                  history)
    assert out[:2] == history and out[-1].role == "user"
    assert "what is {{ 6*7 }}?" in out[-1].content and "42" not in out[-1].content
    assert "x" * (prompts.MAX_QUESTION_CHARS - 20) in out[-1].content
    assert "x" * prompts.MAX_QUESTION_CHARS not in out[-1].content


def with_covers(lesson: Lesson, covers: tuple[str, ...]) -> Lesson:
    return dataclasses.replace(lesson, prompt=dataclasses.replace(lesson.prompt, covers=covers))


def test_covers_render_as_a_list_one_fact_a_line(course: Course) -> None:
    lesson = course.get("drift")
    facts = ("PSI below 0.1 is stable.", "Concept drift: P(Y|X) changes {{ 6*7 }}.")
    user = prompts.render(course, with_covers(lesson, facts), lesson.default_theme)[1].content
    lines = user.splitlines()
    head = lines.index("Make sure the answer covers these facts, stated accurately:")
    assert lines[head - 1] == "" and lines[head + 1 : head + 4] == [
        "- PSI below 0.1 is stable.", "- Concept drift: P(Y|X) changes {{ 6*7 }}.", ""
    ]  # a list, set off by blank lines; a fact is data, never template source
    assert lines[head + 4].startswith("Please write 250 to 600 words")


def test_no_covers_renders_as_before_the_field_existed(course: Course) -> None:
    lesson = with_covers(course.get("drift"), ())
    user = prompts.render(course, lesson, lesson.default_theme)[1].content
    assert "Make sure the answer covers" not in user
    end = f"My metaphor world is: {lesson.default_theme.phrase}. Keep to it from start to end."
    assert f"{end}\nPlease write 250 to 600 words" in user
