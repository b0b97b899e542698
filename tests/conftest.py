"""Shared fixtures: a temporary learner home, the fake OpenAI server, CLI runners."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlops_primer.cli import app
from mlops_primer.lessons import Course, load_course
from mlops_primer.resources import builtin_lessons_dir

sys.path.insert(0, str(Path(__file__).parent))
from fakeserver import FakeOpenAI  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCRUBBED = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "MLOPS_PRIMER_MODEL", "MLOPS_PRIMER_LESSONS",
            "MLOPS_PRIMER_TIMEOUT", "MLOPS_PRIMER_MAX_TOKENS", "MLOPS_PRIMER_CONTEXT",
            "MLOPS_PRIMER_DEBUG", "NO_COLOR", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
            # set by `uv run`: without them, commands are named the same however pytest ran
            "UV", "UV_RUN_RECURSION_DEPTH", "MLOPS_PRIMER_API_KEY",
            "MLOPS_PRIMER_CLOCK")
FAKE_KEY = "sk-test-fake-0000000000000000"
# The shipped course, in order: the one place that names its lessons (counts derive from it).
SHIPPED_IDS = ["what-is-mlops", "lifecycle", "versioning", "deployment", "drift", "testing",
               "llmops"]


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty learner home and no LLM settings from the machine."""
    for name in SCRUBBED:
        monkeypatch.delenv(name, raising=False)
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("MLOPS_PRIMER_HOME", str(h))
    # labs started by a test go inside its home (ptyplay sets HOME itself for the same end)
    monkeypatch.setenv("MLOPS_PRIMER_LABS", str(h / "mlops-primer-labs"))
    monkeypatch.setenv("COLUMNS", "100")
    return h


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    """A fake OpenAI-compatible server on 127.0.0.1, stopped after the test."""
    srv = FakeOpenAI().start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def course() -> Course:
    """The shipped course."""
    return load_course(builtin_lessons_dir())


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str, input: str | None = None, env: dict | None = None):
    """Run the typer app in-process."""
    return runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)


def run(*args: str, env: dict[str, str] | None = None, input: str | None = None,
        timeout: float = 60, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point in a subprocess (python -m mlops_primer)."""
    full_env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "mlops_primer", *args],
        env=full_env, input=input, capture_output=True, text=True, timeout=timeout,
        cwd=cwd or ROOT,
    )
