"""The built wheel works on its own: installed in a fresh venv, run from another folder.

Slow (a build and an install) but part of the definition of done, so it runs by default;
it is skipped only when `uv` is not on PATH. Run it alone with
``uv run pytest tests/test_wheel.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SCRUBBED, SHIPPED_IDS

UV = shutil.which("uv")

pytestmark = pytest.mark.skipif(UV is None, reason="uv is not on PATH")


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


def test_wheel_installs_and_runs_from_elsewhere(tmp_path: Path, home: Path) -> None:
    assert UV is not None
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    # the venv of the test run must not leak into the fresh one
    for name in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH", "PYTHONHOME"):
        env.pop(name, None)
    dist = tmp_path / "dist"
    _run([UV, "build", "--wheel", "--out-dir", str(dist), str(ROOT)], cwd=ROOT, env=env)
    wheels = list(dist.glob("mlops_primer-*.whl"))
    assert len(wheels) == 1, wheels

    venv = tmp_path / "venv"
    _run([UV, "venv", "--python", sys.executable, str(venv)], cwd=tmp_path, env=env)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    _run([UV, "pip", "install", "--python", str(python), str(wheels[0])], cwd=tmp_path, env=env)
    exe = venv / ("Scripts/mlops-primer.exe" if os.name == "nt" else "bin/mlops-primer")
    assert exe.exists()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # the installed package, not the source tree, answers
    where = _run([str(python), "-c", "import mlops_primer; print(mlops_primer.__file__)"],
                 cwd=elsewhere, env=env)
    assert Path(where.stdout.strip()).is_relative_to(venv)

    table = _run([str(exe), "lessons"], cwd=elsewhere, env=env)
    for lesson_id in SHIPPED_IDS:
        assert lesson_id in table.stdout

    prompt = _run([str(exe), "prompt", "versioning", "--theme", "zoo"], cwd=elsewhere, env=env)
    flat = " ".join(prompt.stdout.split())
    assert "--- system ---" in flat and "--- user ---" in flat
    assert "three different short stories about animals in a zoo" in flat

    # the offline pack ships too: an installed copy answers with no LLM at all
    replay = _run([str(exe), "learn", "drift", "--theme", "sailing", "--no-input"],
                  cwd=elsewhere, env=env)
    assert "## Recap" in replay.stdout
    assert "offline answer from the course pack" in replay.stderr

    checked = _run([str(exe), "validate"], cwd=elsewhere, env=env)
    assert checked.stdout.strip() == f"{len(SHIPPED_IDS)} lesson file(s) valid."
    assert not list(elsewhere.iterdir())  # nothing written into the working folder
