"""Property tests: loaders and renderers answer arbitrary input with values or their own errors.

Nothing here may raise an exception the CLI would have to call a bug.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mlops_primer import pack, prompts
from mlops_primer.errors import LessonError, PackError, TemplateError, ThemeError
from mlops_primer.lessons import (
    MAX_THEME_CHARS,
    Course,
    Lesson,
    Problem,
    is_custom,
    lesson_problems,
    load_course,
    read_yaml,
    resolve_theme,
)
from mlops_primer.resources import builtin_lessons_dir
from mlops_primer.store import Store

DATA = Path(__file__).parent / "data"
MINIMAL = yaml.safe_load((DATA / "minimal_lesson.yaml").read_text(encoding="utf-8"))
SHIPPED = load_course(builtin_lessons_dir()) if builtin_lessons_dir().is_dir() else None
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 but tab and newline, DEL, C1
FIELDS = [*MINIMAL, "glossary", "tools", "reading", "diagram", "term", "definition", "url",
          "choices", "answer", "label", "phrase"]

PROPS = settings(
    max_examples=80,
    deadline=None,
    # the autouse `home` fixture is function-scoped; no example depends on it
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

JINJA_BITS = ["{{ theme }}", "{{ x }}", "{% if %}", "{{ ''.__class__ }}", "{{ 7*7 }}", "{#",
              "{{ lesson.title }}", "lesson.j2", "nope.j2", "zoo", "2024-02-30", "~", "null"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=30),
    st.sampled_from(JINJA_BITS),
)
keys = st.one_of(st.sampled_from(FIELDS), st.text(max_size=12))
yaml_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def mutated(draw: st.DrawFn, base: Any, values: st.SearchStrategy[Any] = yaml_values) -> Any:
    """``base`` with one to four random edits: replace, delete or add at any depth."""
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        container: Any = None
        key: Any = None
        node = data
        while isinstance(node, (dict, list)) and node:
            key = draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
            container, node = node, node[key]
            if not draw(st.booleans()):
                break
        if container is None:
            data = draw(values)
            continue
        op = draw(st.sampled_from(["replace", "delete", "add"]))
        if op == "replace":
            container[key] = draw(values)
        elif op == "delete":
            del container[key]
        elif isinstance(container, dict):
            container[draw(keys)] = draw(values)
        else:
            container.append(draw(values))
    return data


lesson_data = st.one_of(mutated(MINIMAL), yaml_values)


def flat(text: str) -> str:
    return " ".join(text.split())


class _Dumper(yaml.SafeDumper):
    """Writes any int: huge ones in hex, which YAML reads back without a digit limit."""


def _int(dumper: yaml.SafeDumper, value: int) -> yaml.Node:
    text = str(value) if abs(value) < 10**1000 else f"{'-' if value < 0 else ''}{abs(value):#x}"
    return dumper.represent_scalar("tag:yaml.org,2002:int", text)


_Dumper.add_representer(int, _int)


@PROPS
@given(data=lesson_data)
@example(data={**MINIMAL, "minutes": 10**5000})
@example(data={**MINIMAL, "title": -(16**5000)})
@example(data={**MINIMAL, "schema_version": 16**5000})
@example(data={**MINIMAL, "title": float("nan")})
@example(data={**MINIMAL, "schema_version": 99})
@example(data={**MINIMAL, "prompt": {**MINIMAL["prompt"], "request": "{{ ''.__class__ }}"}})
def test_lesson_problems_returns_values(
    data: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("lesson") / "lesson.yaml"
    path.write_text(yaml.dump(data, Dumper=_Dumper, allow_unicode=True), encoding="utf-8")
    inputs = [data]
    try:
        inputs.append(read_yaml(path))
    except LessonError as exc:
        assert str(path) in exc.message
    for parsed in inputs:
        result = lesson_problems(path, parsed)
        assert isinstance(result, tuple) and len(result) == 2
        lesson, problems = result
        assert lesson is None or isinstance(lesson, Lesson)
        assert isinstance(problems, list)
        assert all(isinstance(p, Problem) and p.file == path for p in problems)
        assert all(str(p).startswith(str(path)) for p in problems)
        if lesson is None:
            assert problems, "no lesson and no reason why"
        else:
            assert lesson.path == path
        if lesson is not None and not problems:
            course = Course(folder=path.parent, lessons=(lesson,))
            for theme in lesson.themes:
                try:
                    messages = prompts.render(course, lesson, theme)
                except TemplateError as exc:
                    assert str(path) in exc.message
                else:
                    assert [m.role for m in messages] == ["system", "user"]


themes = st.one_of(
    st.text(max_size=160),
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=160),
    st.sampled_from(["zoo", "ZOO", " Animals  in a zoo ", "{{ 7*7 }}", "{% raw %}", "a" * 121,
                     "\x00\x1b[31m red", "é" * 120]),
)


@PROPS
@given(text=themes, lesson_id=st.sampled_from(
    ["what-is-mlops", "lifecycle", "versioning", "deployment", "drift"]))
def test_any_theme_is_a_theme_or_a_theme_error(text: str, lesson_id: str) -> None:
    assert SHIPPED is not None
    lesson = SHIPPED.get(lesson_id)
    expected = " ".join(CONTROL.sub(" ", text).split())
    try:
        theme = resolve_theme(lesson, text)
    except ThemeError as exc:
        assert not expected or len(expected) > MAX_THEME_CHARS, exc.message
        return
    assert expected and len(expected) <= MAX_THEME_CHARS
    try:
        system, user = prompts.render(SHIPPED, lesson, theme)
    except TemplateError as exc:  # allowed by contract; never expected for the shipped course
        pytest.fail(f"shipped lesson failed to render: {exc.message}")
    if is_custom(theme):
        assert theme.phrase == expected
        assert expected in flat(user.content)
    else:
        assert expected.lower() in (theme.id, theme.label.lower())
        assert theme.phrase in flat(user.content)
    assert not CONTROL.search(user.content)


# -- JSONL packs -------------------------------------------------------------------

GOOD_RECORD = pack.record(
    messages=[{"role": "system", "content": "be kind"}, {"role": "user", "content": "hi"}],
    answer="## Hello\n\nA zoo keeper waves.\n",
    model="test-model",
    created_at="2026-01-01T00:00:00+00:00",
    lesson_id="versioning",
    theme_id="zoo",
)
TRICKY_LINES = [
    b"[" * 100_000,
    b'{"a": ' * 5_000,
    b"9" * 5_000,
    b"NaN",
    b"\xff\xfe{}",
    b"   \t ",
    json.dumps({**GOOD_RECORD, "prompt_tokens": 10**30}).encode(),
    json.dumps({**GOOD_RECORD, "lesson_id": "\ud800"}).encode(),
    json.dumps({**GOOD_RECORD, "messages": [{"role": ["user"], "content": "hi"}]}).encode(),
    json.dumps({**GOOD_RECORD, "messages": [{"role": {}, "content": "hi"}]}).encode(),
    json.dumps({**GOOD_RECORD, "params": {"temperature": float("nan")}}).encode(),
    json.dumps(GOOD_RECORD).encode(),
]
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20)),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)


def _json_line(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


pack_lines = st.lists(
    st.one_of(
        st.binary(max_size=120),
        st.text(max_size=80).map(lambda t: t.encode("utf-8", "surrogatepass")),
        mutated(GOOD_RECORD, json_values).map(_json_line),
        st.just(json.dumps(GOOD_RECORD).encode()),
        st.sampled_from(TRICKY_LINES),
    ),
    max_size=6,
)


@PROPS
@given(lines=pack_lines)
@example(lines=TRICKY_LINES)
def test_pack_lines_become_records_or_rejections(
    lines: list[bytes], tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("pack")
    path = folder / "pack.jsonl"
    content = b"\n".join(lines) + b"\n"
    path.write_bytes(content)
    nonblank = [n for n, raw in enumerate(content.split(b"\n"), 1) if raw.strip()]

    seen = []
    for number, rec in pack.read_records(path):
        seen.append(number)
        if isinstance(rec, pack.Rejected):
            assert rec.line == number and isinstance(rec.reason, str) and rec.reason
        else:
            assert isinstance(rec, dict) and rec["format"] == pack.RECORD_FORMAT
            msgs = [prompts.Message(m["role"], m["content"]) for m in rec["messages"]]
            assert rec["messages_hash"] == prompts.messages_hash(msgs)
    assert seen == nonblank

    with Store(folder / "primer.db") as store:
        result = pack.import_pack(store, path)
        assert result.rejected is not None
        assert result.added + result.present + len(result.rejected) == len(nonblank)
        assert store.count_answers() == result.added
        assert all(isinstance(r, pack.Rejected) for r in result.rejected)
        good = json.dumps(GOOD_RECORD).encode()
        if any(line == good for line in content.split(b"\n")):
            assert store.find_by_messages(GOOD_RECORD["messages_hash"]) is not None


def test_good_record_imports_once(tmp_path: Path) -> None:
    path = tmp_path / "pack.jsonl"
    line = json.dumps(GOOD_RECORD)
    path.write_text(f"{line}\n\n{line}\n", encoding="utf-8")
    with Store(tmp_path / "primer.db") as store:
        result = pack.import_pack(store, path)
        assert (result.added, result.present, result.rejected) == (1, 1, [])
        stored = store.find_by_messages(GOOD_RECORD["messages_hash"])
        assert stored is not None and stored.answer == GOOD_RECORD["answer"]


def test_oversize_pack_is_a_pack_error(tmp_path: Path) -> None:
    path = tmp_path / "pack.jsonl"
    with path.open("wb") as fh:
        fh.truncate(pack.MAX_PACK_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(PackError, match="over the"):
        list(pack.read_records(path))
    with pytest.raises(PackError, match="cannot read pack"):
        list(pack.read_records(tmp_path / "missing.jsonl"))
