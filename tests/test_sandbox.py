"""The template sandbox is bounded in size and time, not only in range() (issue 10, item 3).

Each hostile template below would take a gigabyte, minutes or hours without the bounds;
with them each is refused at once, as one line naming the file and the field, and
``validate`` reports it. No test here measures time: the bounds count steps and sizes,
and the wall-clock limit is tested by setting it to nothing.
"""

from __future__ import annotations

import copy
import dataclasses
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import run

from mlops_primer import prompts
from mlops_primer.errors import TemplateError
from mlops_primer.lessons import Course, Lesson, load_course
from mlops_primer.resources import builtin_lessons_dir

DATA = Path(__file__).parent / "data"

HOSTILE = {
    "nested-loops-over-a-string":
        "{% set s = 'x' * 50000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
    "nested-loops-over-a-list":
        "{% set l = [1] * 50000 %}{% for a in l %}{% for b in l %}{% endfor %}{% endfor %}",
    "loop-over-split-words":
        "{% for w in ('a ' * 50000).split() %}{% for v in ('b ' * 50000).split() %}"
        "{% endfor %}{% endfor %}",
    "printf-width-filter": "{{ '%999999999s'|format('x') }}",
    "printf-width-operator": "{{ '%999999999s' % 'x' }}",
    "printf-precision": "{{ '%.999999999f' % 1.5 }}",
    "printf-star-width": "{{ '%*s' % (999999999, 'x') }}",
    "printf-many-fields": "{{ ('%(a)s' * 1000) % {'a': 'x' * 99999} }}",
    "format-width": "{{ '{:>999999999}'.format('x') }}",
    "format-nested-width": "{{ '{0:{1}}'.format('x', 999999999) }}",
    "format-map-width": "{{ '{a:>999999999}'.format_map({'a': 1}) }}",
    "format-many-fields": "{{ ('{0}' * 1000).format('x' * 99999) }}",
    "center": "{{ 'x'|center(999999999) }}",
    "indent": "{{ ('x\n' * 50000)|indent(99999) }}",
    "replace-empty": "{{ ('x' * 99999)|replace('', 'y' * 99999) }}",
    "join": "{{ ('x' * 99999)|join('y' * 99999) }}",
    "join-long-items": "{{ (['x' * 99999] * 2)|join }}",
    "tilde-chain": "{% set x = 'x' * 60000 %}{{ x ~ x ~ x }}",
    "tilde-doubling": "{% macro d(s, n) %}{{ d(s ~ s, n - 1) if n else s }}{% endmacro %}"
                      "{{ d(theme, 60) }}",
    "plus-strings": "{{ 'x' * 99999 + 'y' * 99999 }}",
    "slice": "{{ [1, 2]|slice(10**7)|list }}",
    "batch-fill": "{{ [1]|batch(10**9, 'x')|list }}",
    "wordwrap-string": "{{ ('x ' * 50000)|wordwrap(1, wrapstring='y' * 9999) }}",
    "sum-of-lists": "{{ ([[1] * 500] * 5000)|sum(start=[]) }}",
    "chained-power": "{{ ((10**64)**64)**64 }}",
    "power-tower": "{{ 2**64**64 }}",
    "big-product": "{{ (10**60)**10 * (10**60)**10 * (10**60)**10 }}",
    "string-times-int": "{{ 'x' * 99999 * 99999 }}",
    "list-times-int": "{{ [1, 2, 3] * 99999 }}",
    "ljust": "{{ 'x'.ljust(999999999) }}",
    "zfill": "{{ '1'.zfill(999999999) }}",
    "expandtabs": "{{ ('\t' * 50000).expandtabs(99999) }}",
    "str-replace": "{{ ('x' * 99999).replace('x', 'y' * 99999) }}",
    "str-join": "{{ ('y' * 99999).join('x' * 99999) }}",
    "translate": "{{ ('a' * 99999).translate({97: 'b' * 99999}) }}",
    "to-bytes": "{{ (1).to_bytes(999999999, 'big') }}",
    "output-size": "{% for i in range(50) %}{{ 'x' * 99999 }}{% endfor %}",
    "macro-recursion": "{% macro r() %}{{ r() }}{% endmacro %}{{ r() }}",
    "recursive-loop": "{% for c in 'ab' * 500 recursive %}{{ loop('ab' * 500) }}{% endfor %}",
    "list-filter-of-long-range": "{{ range(10**9)|list|length }}",
}


def with_request(lesson: Lesson, source: str) -> Lesson:
    return dataclasses.replace(lesson, prompt=dataclasses.replace(lesson.prompt,
                                                                   request=source))


@pytest.mark.parametrize("source", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_hostile_request_is_refused_in_one_line(course: Course, source: str) -> None:
    lesson = with_request(course.get("versioning"), source)
    with pytest.raises(TemplateError) as info:
        prompts.render(course, lesson, lesson.default_theme)
    message = info.value.one_line()
    assert message.startswith(f"{lesson.path}: prompt.request: refused by the sandbox")
    assert "\n" not in message and len(message) < 400


def test_the_time_limit_stops_a_render(course: Course, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prompts, "MAX_RENDER_SECONDS", -1.0)  # every render is out of time
    lesson = with_request(course.get("drift"), "{% for c in theme %}{{ c }}{% endfor %}")
    with pytest.raises(TemplateError, match=r"refused by the sandbox.*runs over -1 s"):
        prompts.render(course, lesson, lesson.default_theme)


def test_the_line_of_the_refusal_is_named(course: Course) -> None:
    lesson = with_request(course.get("drift"), "fine\n{{ theme }}\n{{ 'x'|center(10**9) }}")
    with pytest.raises(TemplateError, match=r"\(template line 3\)"):
        prompts.render(course, lesson, lesson.default_theme)


def test_small_uses_of_the_same_features_still_work(course: Course) -> None:
    source = (
        "{% for w in theme.split() %}{{ w|upper }}{% endfor %} "
        "{{ '%5s|' % 'ab' }}{{ '{:>4}'.format(7) }}{{ 'x'|center(5) }}{{ [1, 2]|join('-') }}"
        "{{ 'a' ~ 'b' }}{{ 2**10 }}{{ ('x' * 3)|replace('x', 'y') }}{{ 'ab'.ljust(4) }}|"
        "{{ {'k': 'v'}.items()|list|length }}{{ [1, 2, 3, 4]|slice(2)|list|length }}"
        "{{ [1, 2, 3]|batch(2)|list|length }}{{ [1, 2]|sum }}"
    )
    lesson = with_request(course.get("drift"), source)
    theme = lesson.theme("space-travel")
    _, user = prompts.render(course, lesson, theme)
    words = "".join(theme.phrase.upper().split())
    assert user.content.startswith(f"{words}    ab|   7  x  1-2ab1024yyyab  |1223\n")


def course_with(tmp_path: Path, request: str | None = None,
                template: str | None = None) -> Path:
    """A one-lesson course folder; its request or its own template file is hostile."""
    folder = tmp_path / "course"
    folder.mkdir()
    data = copy.deepcopy(yaml.safe_load((DATA / "minimal_lesson.yaml").read_text()))
    if request is not None:
        data["prompt"]["request"] = request
    if template is not None:
        data["prompt"]["template"] = "mine.j2"
        (folder / "prompts").mkdir()
        (folder / "prompts" / "mine.j2").write_text(template, encoding="utf-8")
    (folder / "lesson.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return folder


def test_validate_reports_a_bounded_request_and_template(tmp_path: Path) -> None:
    folder = course_with(tmp_path, request=HOSTILE["format-width"])
    result = run("validate", str(folder))
    assert result.returncode == 1
    lines = [x for x in result.stderr.splitlines() if "refused by the sandbox" in x]
    assert lines and lines[0].startswith(f"{folder / 'lesson.yaml'}:")
    assert ": prompt.request: " in lines[0]
    other = tmp_path / "other"
    other.mkdir()
    folder = course_with(other, template="{{ request }}\n" + HOSTILE["nested-loops-over-a-list"])
    result = run("validate", str(folder))
    assert result.returncode == 1
    assert "prompt.template (mine.j2): refused by the sandbox (template line 2)" in result.stderr
    result = run("prompt", "sample", "--lessons-dir", str(folder))
    assert result.returncode == 3
    assert len(result.stderr.strip().splitlines()) == 1
    assert "refused by the sandbox" in result.stderr


def test_every_shipped_prompt_renders_within_the_bounds(course: Course) -> None:
    for lesson in course.lessons:
        for theme in lesson.themes:
            system, user = prompts.render(course, lesson, theme)
            assert theme.phrase in user.content


def test_a_course_copy_renders_the_same(tmp_path: Path, course: Course) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(builtin_lessons_dir(), folder)
    copied = load_course(folder)
    for lesson in course.lessons:
        theme = lesson.default_theme
        assert (prompts.render(copied, copied.get(lesson.id), theme)
                == prompts.render(course, lesson, theme))
