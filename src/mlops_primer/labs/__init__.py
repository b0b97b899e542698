"""Hands-on labs: the learner does the practice, and the tool checks the work by running it.

A lesson's ``lab`` names a *suite* of checks that ships in this package (a stranger's
course chooses among them by name; it cannot bring check code of its own), the starter
files the learner edits and the reference solution, both in the course's
``labs/<lesson-id>/`` folder. Checks call the learner's functions in a child process
(``runner``) on data made from a fresh seed and compare with the reference within a stated
tolerance, so a lab is passed by code that works, not by text that matches.

No rich, typer or openai here: the CLI and the walkthrough show what this returns.
"""

from __future__ import annotations

import importlib
import json
import random
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import LessonError, PrimerError
from ..files import RefusedFile, read_inside
from . import runner
from .runner import LabCodeError, Outcome

#: the check suites that ship with mlops-primer: name -> module in ``labs.suites``
#: (``lessons.LAB_SUITES`` lists the same names for validation, without importing this)
SUITES = {
    "fingerprint": "fingerprint",
    "pipeline": "pipeline",
    "versioning": "versioning",
    "serving": "serving",
    "drift": "drift",
    "ml-tests": "ml_tests",
    "llm-eval": "llm_eval",
}
MARKER = ".lab.json"  # in a workspace: which lab it is, and its seed
FAILS_BEFORE_SOLUTION = 3


class LabError(PrimerError):
    """A lab cannot be started, found or checked."""


@dataclass
class Finding:
    """One named check, passed or failed, with what was expected and what was found."""

    check: str
    passed: bool
    expected: str = ""
    found: str = ""
    #: the learner's code has not done this part yet (NotImplementedError)
    todo: bool = False

    def line(self) -> str:
        """The finding as one line, e.g. ``psi() for week 3: expected 0.31 +/- 0.01, got 0.05``."""
        if self.passed:
            return self.check
        if self.expected and self.found:
            return f"{self.check}: expected {self.expected}, got {self.found}"
        return f"{self.check}: {self.found or self.expected}"

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "passed": self.passed, "expected": self.expected,
                "found": self.found}


@dataclass
class Context:
    """What a suite's ``check`` gets: the workspace, a fresh seed and a scratch folder."""

    workspace: Path
    seed: int
    scratch: Path
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def call(self, file: str, calls: Sequence[tuple[str, Sequence[Any]]], *,
             timeout: float = runner.DEFAULT_TIMEOUT) -> list[Outcome]:
        """Call the learner's functions in ``file`` (one child process for the batch)."""
        return runner.call(self.workspace, file, calls, timeout=timeout)

    def call_one(self, file: str, function: str, *args: Any) -> Outcome:
        """Call one function of the learner's ``file``."""
        return self.call(file, [(function, args)])[0]

    def script(self, file: str, argv: Sequence[str] = (), *,
               timeout: float = runner.DEFAULT_TIMEOUT) -> runner.ScriptResult:
        """Run the learner's ``file`` as a program."""
        return runner.script(self.workspace, file, argv, timeout=timeout)

    def server(self, file: str, argv: Sequence[str], *, ready: Callable[[], bool],
               timeout: float = 5.0) -> Any:
        """Run the learner's server until the ``with`` block ends."""
        return runner.server(self.workspace, file, argv, ready=ready, timeout=timeout)


class Suite:
    """A suite module: ``generate(workspace, seed)`` and ``check(ctx) -> Iterator[Finding]``."""

    def __init__(self, name: str) -> None:
        if name not in SUITES:
            raise LabError(f"unknown lab suite {name!r}",
                           hint="use one of: " + ", ".join(sorted(SUITES)))
        self.name = name
        self.module = importlib.import_module(f"{__name__}.suites.{SUITES[name]}")

    def generate(self, workspace: Path, seed: int) -> None:
        """Write the seeded data the learner works with."""
        self.module.generate(workspace, seed)

    def check(self, ctx: Context) -> list[Finding]:
        """Every finding of the suite; the learner's code failing becomes a failed finding."""
        try:
            return list(self.module.check(ctx))
        except LabCodeError as exc:
            return [Finding("your code runs", False, found=exc.one_line(), todo=exc.todo)]


# -- where a lab's files are --------------------------------------------------------------


def lab_folder(course_dir: Path, lesson_id: str) -> Path:
    """The course's folder for one lesson's lab: ``labs/<lesson-id>/``."""
    return course_dir / "labs" / lesson_id


def _course_file(course_dir: Path, rel: Path) -> Path:
    """A regular file inside the course folder (no link out of it, no device)."""
    path = course_dir / rel
    try:
        real = path.resolve(strict=True)
        root = course_dir.resolve(strict=True)
    except OSError:
        raise LessonError(f"{path}: the lab file is missing",
                          hint="every file the lab names needs a starter and a solution") from None
    if root not in real.parents or not real.is_file() or path.is_symlink():
        raise LessonError(f"{path}: a lab file must be a regular file inside the course folder")
    return real


MAX_LAB_FILE_BYTES = 256 * 1024  # a starter or solution is a page or two of Python


def copy_course_file(src: Path, dest: Path, course_dir: Path) -> None:
    """Copy one lab file out of the course: read as every course file is read (a regular
    file inside the course, within its size limit, no link followed), then written."""
    try:
        data = read_inside(src, course_dir.resolve(), max_bytes=MAX_LAB_FILE_BYTES)
    except RefusedFile as exc:
        raise LessonError(f"{src}: a lab file cannot be used: {exc}") from None
    except OSError as exc:
        raise LessonError(f"{src}: the lab file cannot be read ({exc.strerror})") from None
    dest.write_bytes(data)


def lab_files(course_dir: Path, lesson_id: str, files: Sequence[str], kind: str) -> dict[str, Path]:
    """The ``kind`` ('starter' or 'solution') copy of each of ``files``."""
    rel = Path("labs") / lesson_id / kind
    return {name: _course_file(course_dir, rel / name) for name in files}


# -- workspaces ---------------------------------------------------------------------------


@dataclass
class Workspace:
    """A learner's lab folder and what it records about itself."""

    path: Path
    lesson_id: str
    seed: int

    @classmethod
    def read(cls, path: Path) -> Workspace:
        marker = path / MARKER
        try:
            data = json.loads(marker.read_text(encoding="utf-8"))
            return cls(path=path, lesson_id=str(data["lesson"]), seed=int(data["seed"]))
        except (OSError, ValueError, KeyError, TypeError):
            raise LabError(f"{path} is not a lab folder (no readable {MARKER})",
                           hint="start one with `mlops-primer lab start LESSON`") from None

    def write_marker(self) -> None:
        (self.path / MARKER).write_text(
            json.dumps({"lesson": self.lesson_id, "seed": self.seed}) + "\n", encoding="utf-8"
        )


def new_seed() -> int:
    """A fresh seed: each start and each check gets data no one has seen before."""
    return secrets.randbelow(2**31)


def populate(workspace: Path, lesson: Any, course_dir: Path, seed: int) -> None:
    """Write the task, the starters and the seeded data into ``workspace``."""
    spec = lesson.lab
    workspace.mkdir(parents=True, exist_ok=True)
    for name, src in lab_files(course_dir, lesson.id, spec.files, "starter").items():
        copy_course_file(src, workspace / name, course_dir)
    (workspace / "TASK.md").write_text(task_text(lesson), encoding="utf-8")
    Suite(spec.suite).generate(workspace, seed)
    Workspace(workspace, lesson.id, seed).write_marker()


def task_text(lesson: Any) -> str:
    """TASK.md: the task, the files to edit, how to check."""
    spec = lesson.lab
    files = "\n".join(f"- `{name}`" for name in spec.files)
    return (
        f"# Lab: {spec.title}\n\n"
        f"Lesson {lesson.order}, {lesson.title}. About {spec.minutes} minutes, "
        "with only Python's standard library.\n\n"
        f"{spec.task.strip()}\n\n"
        f"## Files to edit\n\n{files}\n\n"
        "## When you think it works\n\n"
        f"Run `mlops-primer lab check {lesson.id}`. Stuck? `mlops-primer lab hint {lesson.id}`.\n"
    )


def run_checks(lesson: Any, workspace: Path, *, seed: int | None = None) -> list[Finding]:
    """Run the lesson's suite against ``workspace`` on data from a fresh seed."""
    suite = Suite(lesson.lab.suite)
    with tempfile.TemporaryDirectory(prefix="mlops-lab-check-") as scratch:
        ctx = Context(workspace=workspace, seed=new_seed() if seed is None else seed,
                      scratch=Path(scratch))
        return suite.check(ctx)


def keep_aside(workspace: Path, files: Sequence[str], stamp: str) -> Path | None:
    """Move the learner's copies of ``files`` into ``kept-<stamp>/``; the folder, if any."""
    present = [name for name in files if (workspace / name).exists()]
    if not present:
        return None
    kept = workspace / f"kept-{stamp}"
    kept.mkdir(parents=True, exist_ok=True)
    for name in present:
        shutil.move(str(workspace / name), str(kept / name))
    return kept


def write_solution(lesson: Any, course_dir: Path, workspace: Path) -> Path:
    """The reference solution in ``workspace/solution/``, never over the learner's files."""
    target = workspace / "solution"
    target.mkdir(exist_ok=True)
    for name, src in lab_files(course_dir, lesson.id, lesson.lab.files, "solution").items():
        copy_course_file(src, target / name, course_dir)
    return target


# -- for course authors: every starter fails, every solution passes ------------------------


@dataclass
class Verdict:
    """``lab verify`` for one lab and seed."""

    lesson_id: str
    seed: int
    ok: bool
    problem: str = ""


def verify(lesson: Any, course_dir: Path, seeds: Sequence[int]) -> Iterator[Verdict]:
    """For each seed: the starter fails (with the expected findings) and the solution passes."""
    spec = lesson.lab
    for seed in seeds:
        with tempfile.TemporaryDirectory(prefix="mlops-lab-verify-") as tmp:
            ws = Path(tmp) / lesson.id
            populate(ws, lesson, course_dir, seed)
            starter = run_checks(lesson, ws, seed=seed + 1)
            failed = {f.check for f in starter if not f.passed}
            if not failed:
                yield Verdict(lesson.id, seed, False, "the starter passes every check")
                continue
            missing = [name for name in spec.starter_fails if name not in failed]
            if missing:
                yield Verdict(lesson.id, seed, False,
                              f"the starter does not fail {', '.join(missing)}")
                continue
            for name, src in lab_files(course_dir, lesson.id, spec.files, "solution").items():
                copy_course_file(src, ws / name, course_dir)
            solved = run_checks(lesson, ws, seed=seed + 1)
            bad = [f for f in solved if not f.passed]
            if bad:
                yield Verdict(lesson.id, seed, False, "the solution fails " + bad[0].line())
                continue
            yield Verdict(lesson.id, seed, True)
