"""Hands-on labs: every starter fails and every solution passes through the real CLI; the
learner's code runs in a child process that a hang, a crash or a flood cannot take over."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FAKE_KEY, ROOT, run

from mlops_primer.lessons import Course, load_course
from mlops_primer.resources import builtin_lessons_dir

LABS = ROOT / "lessons" / "labs"


def lab_lessons(course: Course) -> list[str]:
    return [x.id for x in course.lessons if x.lab is not None]


@pytest.fixture
def labs_root(tmp_path: Path) -> Path:
    return tmp_path / "labs"


def lab(*args: str, labs_root: Path, env: dict[str, str] | None = None, cwd: Path | None = None):
    return run("lab", *args, env={"MLOPS_PRIMER_LABS": str(labs_root), **(env or {})},
               cwd=cwd, timeout=120)


def test_every_lesson_has_a_lab_and_every_lab_folder_a_lesson(course: Course) -> None:
    assert lab_lessons(course) == [x.id for x in course.lessons]
    assert sorted(p.name for p in LABS.iterdir()) == sorted(lab_lessons(course))


def test_every_lesson_with_a_lab_is_listed(course: Course, labs_root: Path) -> None:
    ids = lab_lessons(course)
    assert ids, "the shipped course has labs"
    data = json.loads(lab("list", "--json", labs_root=labs_root).stdout)
    assert [d["lesson"] for d in data] == ids
    assert {d["state"] for d in data} == {"not_started"}


@pytest.mark.parametrize("lesson_id", [
    x.id for x in load_course(builtin_lessons_dir()).lessons if x.lab is not None
])
def test_starter_fails_then_solution_passes_and_progress_shows_it(
    course: Course, lesson_id: str, labs_root: Path
) -> None:
    lesson = course.get(lesson_id)
    assert lesson.lab is not None
    started = lab("start", lesson_id, labs_root=labs_root)
    assert started.returncode == 0, started.stderr
    ws = labs_root / lesson_id
    assert (ws / "TASK.md").is_file() and str(ws) in started.stdout

    first = lab("check", lesson_id, labs_root=labs_root)
    assert first.returncode == 1, first.stdout + first.stderr
    failed = [line for line in first.stdout.splitlines() if line.startswith("✗")]
    assert failed, first.stdout
    assert "Traceback" not in first.stdout + first.stderr
    for name in lesson.lab.starter_fails:
        assert any(name in line for line in failed), (name, first.stdout)

    for name in lesson.lab.files:
        shutil.copyfile(LABS / lesson_id / "solution" / name, ws / name)
    second = lab("check", lesson_id, labs_root=labs_root)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "All" in second.stdout and "✗" not in second.stdout

    progress = json.loads(run("progress", "--json").stdout)
    assert next(p for p in progress if p["id"] == lesson_id)["lab"] == "passed"
    assert next(p for p in progress if p["id"] != lesson_id)["lab"] in (None, "not_started")


def test_verify_passes_for_every_lab_over_three_seeds(course: Course) -> None:
    result = run("lab", "verify", "--seeds", "3", "--json", timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    verdicts = json.loads(result.stdout)
    assert {v["lesson"] for v in verdicts} == set(lab_lessons(course))
    assert len(verdicts) == 3 * len(lab_lessons(course)) and all(v["ok"] for v in verdicts)


def test_verify_catches_a_starter_that_already_passes(tmp_path: Path) -> None:
    folder = tmp_path / "course"
    shutil.copytree(ROOT / "lessons", folder, ignore=shutil.ignore_patterns("pack"))
    sol = folder / "labs" / "what-is-mlops" / "solution"
    shutil.copytree(sol, folder / "labs" / "what-is-mlops" / "starter", dirs_exist_ok=True)
    result = run("lab", "verify", "--seeds", "1", "--lessons-dir", str(folder), timeout=600)
    assert result.returncode == 1
    assert "FAIL what-is-mlops (seed 1): the starter passes every check" in result.stdout


# -- the learner's code cannot take over ---------------------------------------------------

HOSTILE = {
    "hang": ("def fingerprint(path):\n    while True:\n        pass\n",
             "fingerprint.py did not finish within"),
    "raise": ("def fingerprint(path):\n    return {}['missing']\n",
              "fingerprint.py line 2: KeyError"),
    "syntax": ("def fingerprint(path):\n    return = 1\n",
               "fingerprint.py line 2: SyntaxError"),
    "flood": ("def fingerprint(path):\n    print('x' * 10_000_000)\n",
              "fingerprint.py printed more than"),
    "bind": ("import socket\n\ndef fingerprint(path):\n"
             "    socket.socket().bind(('0.0.0.0', 0))\n",
             "lab code may listen on 127.0.0.1 only"),
    "connect": ("import socket\n\ndef fingerprint(path):\n"
                "    socket.create_connection(('192.0.2.1', 80), timeout=1)\n",
                "lab code may connect to 127.0.0.1 only"),
    "exit": ("import os\n\ndef fingerprint(path):\n    os._exit(3)\n",
             "fingerprint.py ended the check early (exit status 3)"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_learner_code_failures_are_one_line(case: str, labs_root: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mlops_primer.labs.runner.DEFAULT_TIMEOUT", 10.0)
    code, expected = HOSTILE[case]
    assert lab("start", "what-is-mlops", labs_root=labs_root).returncode == 0
    (labs_root / "what-is-mlops" / "fingerprint.py").write_text(code)
    result = lab("check", "what-is-mlops", labs_root=labs_root)
    assert result.returncode == 1
    assert expected in result.stdout, result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert len(result.stdout) < 5000  # ten megabytes printed never reach the learner


def test_learner_code_sees_no_key_and_no_settings(labs_root: Path) -> None:
    assert lab("start", "what-is-mlops", labs_root=labs_root).returncode == 0
    ws = labs_root / "what-is-mlops"
    (ws / "fingerprint.py").write_text(
        "import os\n\ndef fingerprint(path):\n"
        "    env = ' '.join(f'{k}={v}' for k, v in os.environ.items())\n"
        f"    return ['path' if 'PATH=' in env else '', 'KEY' if {FAKE_KEY!r} in env else '',"
        "            'OURS' if 'MLOPS_PRIMER' in env else '']\n")
    result = lab("check", "--dir", str(ws), "--json", labs_root=labs_root,
                 env={"OPENAI_API_KEY": FAKE_KEY, "MLOPS_PRIMER_API_KEY": FAKE_KEY})
    found = json.loads(result.stdout)["findings"][0]["found"]
    assert found == '["path", "", ""]'


# -- the commands around a lab -------------------------------------------------------------


def test_start_never_overwrites_without_force(labs_root: Path) -> None:
    assert lab("start", "what-is-mlops", labs_root=labs_root).returncode == 0
    mine = labs_root / "what-is-mlops" / "fingerprint.py"
    mine.write_text("# my work\n")
    again = lab("start", "what-is-mlops", labs_root=labs_root)
    assert again.returncode != 0 and "already has files" in again.stderr
    assert mine.read_text() == "# my work\n"
    forced = lab("start", "what-is-mlops", "--force", labs_root=labs_root)
    assert forced.returncode == 0
    kept = list((labs_root / "what-is-mlops").glob("kept-*/fingerprint.py"))
    assert [k.read_text() for k in kept] == ["# my work\n"]


def test_hints_escalate_and_solution_opens_after_three_failures(labs_root: Path) -> None:
    assert lab("start", "what-is-mlops", labs_root=labs_root).returncode == 0
    hints = [lab("hint", labs_root=labs_root).stdout for _ in range(4)]
    assert [h.split(":")[0] for h in hints] == ["Hint 1/3", "Hint 2/3", "Hint 3/3", "Hint 3/3"]
    locked = lab("solution", labs_root=labs_root)
    assert locked.returncode != 0 and "3 to go" in locked.stderr
    for _ in range(3):
        assert lab("check", labs_root=labs_root).returncode == 1
    opened = lab("solution", labs_root=labs_root)
    assert opened.returncode == 0, opened.stderr
    ws = labs_root / "what-is-mlops"
    assert (ws / "solution" / "fingerprint.py").is_file()
    assert "NotImplementedError" in (ws / "fingerprint.py").read_text()  # theirs untouched


def test_reset_keeps_the_learners_files(labs_root: Path) -> None:
    assert lab("start", "what-is-mlops", labs_root=labs_root).returncode == 0
    ws = labs_root / "what-is-mlops"
    (ws / "fingerprint.py").write_text("# attempt\n")
    result = lab("reset", "--yes", labs_root=labs_root)
    assert result.returncode == 0, result.stderr
    assert "NotImplementedError" in (ws / "fingerprint.py").read_text()
    assert [p.read_text() for p in ws.glob("kept-*/fingerprint.py")] == ["# attempt\n"]


def test_check_from_inside_the_lab_folder(labs_root: Path) -> None:
    assert lab("start", "what-is-mlops", labs_root=labs_root).returncode == 0
    result = lab("check", labs_root=labs_root, cwd=labs_root / "what-is-mlops")
    assert result.returncode == 1 and "fingerprint()" in result.stdout


def test_a_third_party_course_asks_before_writing_its_code(tmp_path: Path,
                                                           labs_root: Path) -> None:
    folder = tmp_path / "course"
    shutil.copytree(ROOT / "lessons", folder, ignore=shutil.ignore_patterns("pack"))
    result = lab("start", "what-is-mlops", "--lessons-dir", str(folder), labs_root=labs_root)
    assert result.returncode == 1
    assert "not the one that ships with mlops-primer" in result.stdout
    assert not (labs_root / "what-is-mlops").exists()


def test_a_lab_without_its_files_is_reported_by_validate(tmp_path: Path) -> None:
    folder = tmp_path / "course"
    shutil.copytree(ROOT / "lessons", folder, ignore=shutil.ignore_patterns("pack"))
    (folder / "labs" / "what-is-mlops" / "solution" / "fingerprint.py").unlink()
    result = run("validate", str(folder))
    assert result.returncode != 0
    assert "labs/what-is-mlops/solution/fingerprint.py is missing" in result.stdout + result.stderr


def test_unknown_suite_is_reported_with_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "course"
    shutil.copytree(ROOT / "lessons", folder, ignore=shutil.ignore_patterns("pack"))
    path = folder / "what-is-mlops.yaml"
    path.write_text(path.read_text().replace("suite: fingerprint", "suite: run-my-code"))
    result = run("validate", str(folder))
    assert result.returncode != 0
    assert "lab.suite" in result.stdout + result.stderr


def test_the_deployment_server_may_listen_on_loopback_only(labs_root: Path) -> None:
    assert lab("start", "deployment", labs_root=labs_root).returncode == 0
    ws = labs_root / "deployment"
    for name in ("serve.py", "batch.py", "answer.json"):
        shutil.copyfile(LABS / "deployment" / "solution" / name, ws / name)
    serve = ws / "serve.py"
    serve.write_text(serve.read_text().replace('("127.0.0.1", port)', '("0.0.0.0", port)'))
    result = lab("check", "deployment", labs_root=labs_root)
    assert result.returncode == 1
    text = " ".join(result.stdout.split())  # findings wrap under their own indent
    assert "serve.py line 56: PermissionError: lab code may listen on 127.0.0.1 only, not " \
           "'0.0.0.0'" in text
    assert "Traceback" not in result.stdout + result.stderr
