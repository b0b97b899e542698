"""Playing `mlops-primer` in a real pseudo-terminal: start it, answer it, end it."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import pexpect
from conftest import ROOT, SCRUBBED

from mlops_primer.lessons import QuizQuestion

TIMEOUT = 20


def spawn_cli(home: Path, *args: str, extra_env: dict[str, str] | None = None,
              cwd: Path | None = None) -> pexpect.spawn:
    """`python -m mlops_primer ARGS` in a 100x40 terminal, with its own learner home."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.update({"MLOPS_PRIMER_HOME": str(home), "TERM": "xterm-256color", "COLUMNS": "100",
                "LINES": "40"})
    env.update(extra_env or {})
    return pexpect.spawn(sys.executable, ["-m", "mlops_primer", *args], env=env,
                         cwd=str(cwd or ROOT), encoding="utf-8", timeout=TIMEOUT,
                         dimensions=(40, 100))


def finish(child: pexpect.spawn) -> str:
    """Wait for the program to end; what it printed last."""
    child.expect(pexpect.EOF)
    out = child.before or ""
    child.close()
    return out


def answer_right(child: pexpect.spawn, questions: Sequence[QuizQuestion], *,
                 expect_praise: bool = True) -> None:
    """Answer each question with its right choice."""
    for q in questions:
        child.expect("Your answer")
        child.sendline(str(q.answer_index + 1))
        if expect_praise:
            child.expect("Right!")
