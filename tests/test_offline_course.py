"""Issue 4: the whole course with no key, no network and an empty data dir."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run

from mlops_primer import prompts
from mlops_primer.lessons import Course
from mlops_primer.pack import answer_path, check, read_pack_answer


def test_pack_check_finds_nothing_missing_or_stale() -> None:
    result = run("pack", "check")
    assert result.returncode == 0, result.stderr
    assert "none missing or stale" in result.stdout


def test_pack_check_reports_a_stale_answer_after_a_prompt_change(tmp_path: Path,
                                                                 course: Course) -> None:
    import shutil

    folder = tmp_path / "course"
    shutil.copytree(course.folder, folder)
    lesson_file = folder / "drift.yaml"
    lesson_file.write_text(lesson_file.read_text().replace("where every verse", "where each "
                                                           "verse"))
    (folder / "pack" / "deployment" / "pirates.md").unlink()
    result = run("pack", "check", "--lessons-dir", str(folder))
    assert result.returncode == 1
    assert result.stderr.count("stale: ") == 4  # every drift theme
    assert "missing: " in result.stderr and "pirates.md" in result.stderr


def test_every_pack_answer_fits_the_brief(course: Course) -> None:
    assert check(course) == []
    for lesson in course.lessons:
        for theme in lesson.themes:
            answer = read_pack_answer(answer_path(course, lesson, theme))
            words = len(answer.text.split())
            assert 250 <= words <= 600, (lesson.id, theme.id, words)
            assert "## Recap" in answer.text, (lesson.id, theme.id)
            assert answer.author == "mlops-primer course authors"
            want = prompts.messages_hash(prompts.render(course, lesson, theme))
            assert answer.prompt_hash == want


def _pairs() -> list[tuple[str, str]]:
    from mlops_primer.lessons import load_course
    from mlops_primer.resources import builtin_lessons_dir

    c = load_course(builtin_lessons_dir())
    return [(x.id, t.id) for x in c.lessons for t in x.themes]


@pytest.mark.parametrize(("lesson_id", "theme_id"), _pairs())
def test_no_input_prints_the_pack_answer_offline(lesson_id: str, theme_id: str,
                                                 course: Course) -> None:
    lesson = course.get(lesson_id)
    theme = lesson.theme(theme_id)
    expected = read_pack_answer(answer_path(course, lesson, theme)).text
    result = run("learn", lesson_id, "--theme", theme_id, "--no-input")
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected
    assert "offline answer from the course pack" in result.stderr
    assert "Offline: ready-made explanations" in result.stderr


def test_free_text_theme_without_llm_says_so_and_exits_nonzero() -> None:
    result = run("learn", "drift", "--theme", "medieval castles", "--no-input")
    assert result.returncode != 0
    assert "no offline answer exists for your own theme 'medieval castles'" in result.stderr
    assert "`python -m mlops_primer prompt drift" in result.stderr  # named as it was run
    assert "Traceback" not in result.stderr


def test_offline_replay_and_listing_do_not_import_openai(home: Path) -> None:
    code = (
        "import sys, runpy\n"
        "sys.argv = ['mlops-primer'] + sys.argv[1:]\n"
        "try:\n"
        "    runpy.run_module('mlops_primer', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write('OPENAI-IMPORTED' if 'openai' in sys.modules else 'NO-OPENAI')\n"
    )
    for args in (["--help"], ["lessons"], ["learn", "lifecycle", "--theme", "cooking",
                                            "--no-input", "--offline"]):
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                             text=True, cwd=ROOT, timeout=60)
        assert out.stderr.endswith("NO-OPENAI"), (args, out.stderr[-300:])


def test_notes_command_writes_markdown_recap(home: Path, tmp_path: Path) -> None:
    env = {"MLOPS_PRIMER_HOME": str(home)}
    out = tmp_path / "notes.md"
    result = run("notes", "deployment", "-o", str(out), env=env)
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    for heading in ("# Study notes: Deployment", "## Key points", "## Key takeaways", "## Quiz",
                    "## Further reading"):
        assert heading in text
    assert run("notes", env=env).returncode == 1  # nothing started yet


def test_progress_json_and_reset(home: Path) -> None:
    from mlops_primer.store import Progress, Store

    with Store(home / "primer.db") as store:
        store.save_progress(Progress(lesson_id="drift", theme_id="sailing", theme_label="The sea",
                                     step="done", quiz_score=4, quiz_total=5,
                                     completed_at="2026-11-27T00:00:00+00:00"))
    env = {"MLOPS_PRIMER_HOME": str(home)}
    data = json.loads(run("progress", "--json", env=env).stdout)
    drift = next(x for x in data if x["id"] == "drift")
    assert drift["done"] and drift["quiz_score"] == 4 and drift["theme"] == "The sea"
    assert "4/5" in run("lessons", env=env).stdout
    refused = run("progress", "--reset", "drift", env=env, input="n\n")
    assert refused.returncode == 1
    assert run("progress", "--reset", "drift", "--yes", env=env).returncode == 0
    data = json.loads(run("progress", "--json", env=env).stdout)
    assert not next(x for x in data if x["id"] == "drift")["done"]


def test_pack_front_matter_error_names_the_line_an_editor_shows(tmp_path: Path) -> None:
    """The front matter starts on the file's line 2: a YAML error there says so."""
    from mlops_primer.pack import PackError

    path = tmp_path / "lessons" / "pack" / "lifecycle" / "cooking.md"
    path.parent.mkdir(parents=True)
    # file line 1 '---', 2 lesson, 3 the broken line
    path.write_text("---\nlesson: lifecycle\ntheme: cooking: pirates\nauthor: me\n---\nBody\n",
                    encoding="utf-8")
    with pytest.raises(PackError) as info:
        read_pack_answer(path, root=tmp_path / "lessons")
    message = str(info.value)
    assert "invalid front matter" in message
    assert "line 3:" in message, message
