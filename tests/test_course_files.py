"""A course reads only its own files (issue 10, items 2 and 4).

Lesson files, templates and pack answers are regular files inside the course folder:
links out of it, devices and FIFOs are refused with one line naming the file, before a
byte is read, and `validate` reports them. A file is read up to its limit plus one byte,
whatever `stat` says.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import FAKE_KEY, invoke, run

from mlops_primer import prompts
from mlops_primer.errors import LessonError
from mlops_primer.files import RefusedFile, read_inside
from mlops_primer.lessons import MAX_LESSON_BYTES, load_course, read_yaml
from mlops_primer.pack import check
from mlops_primer.resources import builtin_lessons_dir

DATA = Path(__file__).parent / "data"
SECRET_ENV = {"OPENAI_API_KEY": FAKE_KEY, "MY_SECRET": "sk-test-environ-secret-42"}


def one_lesson(tmp_path: Path) -> Path:
    folder = tmp_path / "course"
    folder.mkdir()
    shutil.copy(DATA / "minimal_lesson.yaml", folder / "lesson.yaml")
    return folder


def shipped_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "shipped"
    shutil.copytree(builtin_lessons_dir(), folder)
    return folder


def test_a_template_linked_to_the_environment_is_refused(tmp_path: Path) -> None:
    folder = one_lesson(tmp_path)
    (folder / "prompts").mkdir()
    (folder / "prompts" / "lesson.j2").symlink_to("/proc/self/environ")
    for args in (["prompt", "sample", "--lessons-dir", str(folder)],
                 ["learn", "sample", "--no-input", "--offline", "--lessons-dir", str(folder)]):
        result = run(*args, env=SECRET_ENV)
        assert result.returncode == 3, result.stdout + result.stderr
        out = result.stdout + result.stderr
        assert "sk-test" not in out and "MY_SECRET" not in out
        assert result.stderr.count("\n") == 1
        assert f"template {folder / 'prompts' / 'lesson.j2'} refused: it links outside" in out
    result = run("validate", str(folder), env=SECRET_ENV)
    assert result.returncode == 1
    assert "refused: it links outside" in result.stderr and "sk-test" not in result.stderr
    assert "prompt.template (lesson.j2)" in result.stderr


def test_a_prompts_folder_linked_out_is_refused(tmp_path: Path) -> None:
    folder = one_lesson(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "lesson.j2").write_text("stolen {{ request }}\n")
    (folder / "prompts").symlink_to(outside)
    course = load_course(folder)
    lesson = course.get("sample")
    with pytest.raises(LessonError, match="refused: it links outside"):
        prompts.render(course, lesson, lesson.default_theme)


def test_a_template_that_is_a_fifo_or_a_device_is_refused(tmp_path: Path) -> None:
    folder = one_lesson(tmp_path)
    (folder / "prompts").mkdir()
    os.mkfifo(folder / "prompts" / "lesson.j2")
    course = load_course(folder)
    lesson = course.get("sample")
    with pytest.raises(LessonError, match="refused: it is a FIFO"):  # and does not wait
        prompts.render(course, lesson, lesson.default_theme)
    (folder / "prompts" / "lesson.j2").unlink()
    (folder / "prompts" / "system.j2").symlink_to("/dev/zero")
    with pytest.raises(LessonError, match="system.j2 refused: it links outside"):
        prompts.render(course, lesson, lesson.default_theme)


def test_links_inside_the_course_are_fine(tmp_path: Path) -> None:
    folder = one_lesson(tmp_path)
    (folder / "prompts").mkdir()
    (folder / "prompts" / "real.j2").write_text("Mine: {{ request }}\n")
    (folder / "prompts" / "lesson.j2").symlink_to("real.j2")
    (folder / "alias.yaml").symlink_to("lesson.yaml")
    assert read_yaml(folder / "alias.yaml")["id"] == "sample"
    (folder / "alias.yaml").unlink()  # (the same lesson twice is a course problem)
    course = load_course(folder)
    lesson = course.get("sample")
    assert prompts.render(course, lesson, lesson.default_theme)[1].content.startswith("Mine: ")


def test_include_cannot_climb_out(tmp_path: Path) -> None:
    folder = one_lesson(tmp_path)
    (tmp_path / "secret.j2").write_text("secret")
    (folder / "prompts").mkdir()
    (folder / "prompts" / "lesson.j2").write_text('{% include "../../secret.j2" %}\n')
    course = load_course(folder)
    lesson = course.get("sample")
    with pytest.raises(LessonError, match="not found"):
        prompts.render(course, lesson, lesson.default_theme)


@pytest.mark.parametrize("kind", ["environ", "zero", "fifo", "outside-file"])
def test_a_lesson_file_that_is_not_the_course_s_own_is_refused(tmp_path: Path,
                                                                kind: str) -> None:
    folder = shipped_copy(tmp_path)
    bad = folder / "zz-bad.yaml"
    if kind == "environ":
        bad.symlink_to("/proc/self/environ")
    elif kind == "zero":
        bad.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(bad)
    else:
        (tmp_path / "other.yaml").write_text((DATA / "minimal_lesson.yaml").read_text())
        bad.symlink_to(tmp_path / "other.yaml")
    reason = "it is a FIFO" if kind == "fifo" else "it links outside"
    with pytest.raises(LessonError, match=f"zz-bad.yaml: refused: {reason}"):
        load_course(folder)
    lessons = run("lessons", "--lessons-dir", str(folder), env=SECRET_ENV, timeout=60)
    assert lessons.returncode == 3
    assert lessons.stderr.count("\n") == 1 and "zz-bad.yaml: refused" in lessons.stderr
    checked = run("validate", str(folder), env=SECRET_ENV, timeout=60)
    assert checked.returncode == 1
    assert f"{bad}: refused: {reason}" in checked.stderr
    assert "sk-test" not in checked.stdout + checked.stderr


def test_validate_dev_zero_ends_at_once_with_one_line() -> None:
    result = run("validate", "/dev/zero", timeout=60)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "/dev/zero: refused: it is a character device, not a regular file",
        "1 problem(s) in 1 lesson file(s).",
    ]


def test_size_is_checked_on_what_is_read_not_on_stat(tmp_path: Path) -> None:
    # /proc files say they are 0 bytes long; a read of max+1 bytes tells the truth
    with pytest.raises(RefusedFile, match="over the 10-byte limit"):
        read_inside(Path("/proc/self/status"), Path("/proc/self"), max_bytes=10)
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * MAX_LESSON_BYTES)
    with pytest.raises(LessonError, match=f"over the {MAX_LESSON_BYTES:,}-byte limit"):
        read_yaml(big)


def test_a_pack_answer_linked_out_is_invalid_not_read(tmp_path: Path, cli) -> None:  # noqa: ANN001
    folder = shipped_copy(tmp_path)
    target = folder / "pack" / "drift" / "sailing.md"
    target.unlink()
    target.symlink_to("/proc/self/environ")
    issues = [i for i in check(load_course(folder)) if i.path == target]
    assert [i.kind for i in issues] == ["invalid"]
    assert "refused: it links outside" in issues[0].detail
    result = invoke(cli, "learn", "drift", "--theme", "sailing", "--no-input", "--offline",
                    "--lessons-dir", str(folder))
    assert result.exit_code == 5  # no offline answer: the link is not read
    fifo = folder / "pack" / "drift" / "music-band.md"
    fifo.unlink()
    os.mkfifo(fifo)
    issues = [i for i in check(load_course(folder)) if i.path == fifo]
    assert [i.kind for i in issues] == ["invalid"] and "FIFO" in issues[0].detail


def test_the_catalog_never_writes_what_aliases_expanded(tmp_path: Path, home: Path) -> None:
    import json
    import time

    folder = one_lesson(tmp_path)
    text = (DATA / "minimal_lesson.yaml").read_text()
    fanned = text.replace("why_it_matters: ", "why_it_matters: &w ", 1).replace(
        "Because every broken lesson starts from a good one.", "A long sentence. " * 150, 1
    ).replace("takeaways:\n  - A good error message names the file, the line and the field.\n",
              "takeaways: [" + ", ".join(["*w"] * 20) + "]\n", 1)
    fanned = fanned.replace("id: sample", "id: fanned").replace("order: 1", "order: 2")
    (folder / "fanned.yaml").write_text(fanned)
    old = time.time() - 3600  # older than the racy window, so the cache would keep it
    for path in folder.glob("*.yaml"):
        os.utime(path, (old, old))
    course = load_course(folder)  # valid: 50 KB of expansion is within the bounds
    assert len(course.get("fanned").takeaways) == 20
    (cache,) = (home / "cache").glob("course-*.json")
    stored = json.loads(cache.read_text())["files"]
    assert "lesson.yaml" in stored and "fanned.yaml" not in stored
    assert cache.stat().st_size < 4 * (folder / "lesson.yaml").stat().st_size + 8192
