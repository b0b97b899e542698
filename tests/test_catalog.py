"""The course at a glance (`mlops-primer lessons`): served from the cache of a clean load,
never stale, never hiding a problem, and drawn as a list that wraps cleanly."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import ROOT, SHIPPED_IDS, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from mlops_primer.catalog import catalog
from mlops_primer.errors import LessonError
from mlops_primer.lessons import Course, load_course
from mlops_primer.resources import builtin_lessons_dir
from mlops_primer.store import Progress
from mlops_primer.ui.course_list import course_list

HOUR_AGO = time.time() - 3600


def settle(*paths: Path) -> None:
    """Date files an hour back: only files that have not just changed are cached."""
    for path in paths:
        os.utime(path, (HOUR_AGO, HOUR_AGO))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the shipped course that a test may change, its files settled."""
    target = tmp_path / "course"
    shutil.copytree(builtin_lessons_dir(), target)
    settle(*target.glob("*.yaml"))
    return target


def cache_file(home: Path) -> Path:
    (found,) = (home / "cache").glob("course-*.json")
    return found


def expected(course: Course) -> list[dict]:
    return [{"id": x.id, "title": x.title, "order": x.order, "minutes": x.minutes,
             "summary": x.summary, "themes": [t.id for t in x.themes],
             "lab": x.lab.title if x.lab is not None else None} for x in course.lessons]


def test_catalog_agrees_with_the_loaded_course_cold_and_warm(course: Course, home: Path) -> None:
    cold = [e.as_dict() for e in catalog(builtin_lessons_dir())]  # loads and fills the cache
    assert cache_file(home).exists()
    warm = [e.as_dict() for e in catalog(builtin_lessons_dir())]
    assert cold == warm == expected(course)


def test_a_warm_catalog_does_not_build_the_lesson_records(folder: Path) -> None:
    """The point of the catalog: with the cache warm, `lessons` imports neither the lesson
    records nor PyYAML; with it cold, it loads (and checks) the course in full."""
    probe = (
        "import sys\n"
        f"sys.argv = ['mlops-primer', 'lessons', '--lessons-dir', {str(folder)!r}]\n"
        "from mlops_primer.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('@@', 'mlops_primer.lessons' in sys.modules, 'yaml' in sys.modules)\n"
    )

    def loaded() -> str:
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                             cwd=ROOT, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout.rsplit("@@", 1)[1].strip()

    assert loaded() == "True True"  # cold: parsed, checked, cached
    assert loaded() == "False False"  # warm: read from the cache


def test_an_edited_lesson_is_never_served_stale(folder: Path) -> None:
    assert catalog(folder)[4].title == "Monitoring, model drift and retraining"
    drift = folder / "drift.yaml"
    drift.write_text(drift.read_text().replace(
        "title: Monitoring, model drift and retraining", "title: Drift, rewritten"))
    assert catalog(folder)[4].title == "Drift, rewritten"
    assert load_course(folder).get("drift").title == "Drift, rewritten"


def test_problems_after_caching_are_still_reported(folder: Path) -> None:
    catalog(folder)  # warm
    copy = folder / "zz-copy.yaml"
    shutil.copy(folder / "drift.yaml", copy)  # same id and order as drift.yaml
    with pytest.raises(LessonError, match="drift"):
        catalog(folder)
    copy.unlink()
    assert len(catalog(folder)) == len(SHIPPED_IDS)
    (folder / "versioning.yaml").write_text("title: [unclosed\n")
    with pytest.raises(LessonError, match="versioning.yaml"):
        catalog(folder)


def test_a_file_that_just_changed_is_not_cached_until_it_settles(folder: Path,
                                                                 home: Path) -> None:
    """A second edit within one tick of the file system's clock, to the same size, would
    keep a file's stamp: so a file changed in the last two seconds is never cached."""
    drift = folder / "drift.yaml"
    drift.write_text(drift.read_text().replace("title: Monitoring, model drift and retraining",
                                               "title: Monitoring, model drift and retrainin1"))
    catalog(folder)
    cached = json.loads(cache_file(home).read_text())["files"]
    assert "drift.yaml" not in cached and "lifecycle.yaml" in cached
    # the same size, the same stamp if the clock has not ticked: still never stale
    drift.write_text(drift.read_text().replace("retrainin1", "retrainin2"))
    assert catalog(folder)[4].title.endswith("retrainin2")
    settle(drift)
    catalog(folder)
    assert "drift.yaml" in json.loads(cache_file(home).read_text())["files"]


def test_a_damaged_cache_only_costs_speed(folder: Path, home: Path) -> None:
    first = [e.as_dict() for e in catalog(folder)]
    cache = cache_file(home)
    raw = json.loads(cache.read_text())
    raw["files"]["lifecycle.yaml"]["glance"] = {"not": "a glance"}
    cache.write_text(json.dumps(raw))
    assert [e.as_dict() for e in catalog(folder)] == first
    cache.write_text("{not json")
    assert [e.as_dict() for e in catalog(folder)] == first
    assert (folder / "lifecycle.yaml").exists()  # the course itself is never touched


def test_missing_folder_and_empty_folder_give_the_loaders_errors(tmp_path: Path) -> None:
    with pytest.raises(LessonError, match="does not exist"):
        catalog(tmp_path / "nowhere")
    with pytest.raises(LessonError, match="no lesson files"):
        catalog(tmp_path)


def render(width: int, progress: dict[str, Progress]) -> list[str]:
    console = Console(width=width, color_system=None, force_terminal=False)
    with console.capture() as cap:
        console.print(course_list(catalog(builtin_lessons_dir()), progress))
    return cap.get().splitlines()


def test_course_list_shows_progress_summary_ids_and_themes() -> None:
    progress = {
        "what-is-mlops": Progress("what-is-mlops", step="done", quiz_score=4, quiz_total=5,
                                  completed_at="2026-11-27T10:00:00+00:00"),
        "lifecycle": Progress("lifecycle", step="quiz"),
    }
    text = "\n".join(render(120, progress))
    assert f"(1 of {len(SHIPPED_IDS)} lessons done)" in text
    assert "  1. ✓ What MLOps is, and why it matters  (12 min, quiz 4/5)" in text
    assert "  2. … The ML lifecycle: from data to monitoring  (15 min, in progress)" in text
    assert "  3.   Data versioning and experiment tracking  (15 min)" in text
    assert "       id: drift  themes: gardening, sailing, space-travel, music-band" in text
    assert "What MLOps is, why machine learning needs it" in text  # the summary
    last = catalog(builtin_lessons_dir())[-1]  # the example is the last lesson, second theme
    assert text.rstrip().endswith(f"`mlops-primer learn {last.id} --theme {last.themes[1]}`.")


@pytest.mark.parametrize("width", [40, 60, 80])
def test_course_list_wraps_under_its_own_indent(width: int) -> None:
    lines = render(width, {})
    assert all(len(line) <= width for line in lines)
    assert all(line == line.rstrip() for line in lines)  # no padding to the edge
    last_blank = len(lines) - 1 - lines[::-1].index("")  # the start hint follows it
    first = lines.index(next(line for line in lines if line.startswith("  1. ")))
    body = [line for line in lines[first:last_blank] if line]  # each lesson's lines
    assert len(body) >= 15
    for line in body:
        numbered = line[:5].strip().rstrip(".").isdigit()
        assert numbered or line.startswith(" " * 7), line


def test_start_hint_comes_from_the_course_shown(tmp_path: Path) -> None:
    folder = tmp_path / "mini"
    folder.mkdir()
    shutil.copy(builtin_lessons_dir() / "versioning.yaml", folder / "versioning.yaml")
    shutil.copytree(builtin_lessons_dir() / "labs" / "versioning",  # its lab's files
                    folder / "labs" / "versioning")
    out = run("lessons", "--lessons-dir", str(folder), env={"COLUMNS": "200"})
    assert out.returncode == 0, out.stderr
    assert "(0 of 1 lessons done)" in out.stdout
    # `python -m mlops_primer learn ...`: commands are named as this process was started
    assert " learn versioning --theme cooking`." in out.stdout
    assert "drift" not in out.stdout


# -- the catalog always tells what a full load from scratch would ------------------------

NAMES = ["what-is-mlops", "lifecycle", "versioning", "deployment", "drift"]
operations = st.one_of(
    st.tuples(st.just("retitle"), st.sampled_from(NAMES),
              st.sampled_from(["A", "B", "Same length one", "Same length two", "x" * 60])),
    st.tuples(st.just("duplicate"), st.sampled_from(NAMES), st.just("")),
    st.tuples(st.just("break"), st.sampled_from(NAMES),
              st.sampled_from(["title: [unclosed\n", "id: 5\n", "", "- a list\n"])),
    st.tuples(st.just("remove"), st.sampled_from(NAMES), st.just("")),
    st.tuples(st.just("restore"), st.sampled_from(NAMES), st.just("")),
    st.tuples(st.just("settle"), st.just(""), st.just("")),
)


def outcome(fn, folder: Path):  # noqa: ANN001, ANN201 - a loader, and what it gave
    try:
        return ("ok", fn(folder))
    except LessonError as exc:
        return ("error", str(exc))


def from_scratch(folder: Path) -> list[dict]:
    """The oracle: the course loaded in full with an empty data folder (no cache at all)."""
    old = os.environ["MLOPS_PRIMER_HOME"]
    with tempfile.TemporaryDirectory() as empty:
        os.environ["MLOPS_PRIMER_HOME"] = empty
        try:
            return expected(load_course(folder))
        finally:
            os.environ["MLOPS_PRIMER_HOME"] = old


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(operations, min_size=1, max_size=6))
def test_catalog_agrees_with_a_load_from_scratch(steps: list[tuple[str, str, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp, "course")
        shutil.copytree(builtin_lessons_dir(), folder)
        settle(*folder.glob("*.yaml"))
        catalog(folder)  # warm the cache
        for n, (op, name, arg) in enumerate(steps):
            path = folder / f"{name}.yaml"
            original = builtin_lessons_dir() / f"{name}.yaml"
            if op == "retitle" and path.exists():
                text = path.read_text()
                path.write_text(re.sub(r"(?m)^title: .*$", f"title: {arg}", text, count=1))
            elif op == "duplicate" and path.exists():
                shutil.copy(path, folder / f"zz-{name}.yaml")
            elif op == "break":
                path.write_text(arg)
            elif op == "remove":
                path.unlink(missing_ok=True)
            elif op == "restore":
                path.write_text(original.read_text())
            elif op == "settle":  # a distinct time each step: a stamp is never reused
                for p in folder.glob("*.yaml"):
                    os.utime(p, (HOUR_AGO - n, HOUR_AGO - n))
            fast = outcome(lambda f: [e.as_dict() for e in catalog(f)], folder)
            assert fast == outcome(from_scratch, folder), (op, name, arg)
