"""The learner's labs: start, check, hints, solution, reset, with state kept in the store."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import prompts
from ..errors import LLMError
from ..resources import builtin_lessons_dir
from ..store import LabState, Store, now_iso
from . import (
    FAILS_BEFORE_SOLUTION,
    MARKER,
    Finding,
    LabError,
    Workspace,
    keep_aside,
    new_seed,
    populate,
    run_checks,
    write_solution,
)


def default_root() -> Path:
    """Where lab folders go: ``MLOPS_PRIMER_LABS``, else ``~/mlops-primer-labs``."""
    env = os.environ.get("MLOPS_PRIMER_LABS")
    return Path(env).expanduser() if env else Path.home() / "mlops-primer-labs"


@dataclass(frozen=True)
class Hint:
    """One `lab hint`: an authored hint (number of total), or the coach's.

    ``origin`` is 'authored' or 'coach'; ``note`` says, in one quiet line, why an
    authored hint stands where the coach's would (its reply gave the solution away, no
    check has failed yet); ``label`` says who wrote the coach's hint.
    """

    number: int
    total: int
    text: str
    origin: str = "authored"
    note: str | None = None
    label: str = ""
    #: the failing check the coach wrote for
    check: str = ""
    #: an LLM is configured: after the authored hints, `lab hint` asks the coach
    coach_ready: bool = False


@dataclass
class CheckResult:
    """One `lab check`: its findings, and what the learner may do next."""

    lesson_id: str
    workspace: Path
    findings: list[Finding]
    state: LabState
    first_pass: bool

    @property
    def passed(self) -> bool:
        return all(f.passed for f in self.findings)

    @property
    def solution_unlocked(self) -> bool:
        return solution_unlocked(self.state)


def solution_unlocked(state: LabState) -> bool:
    """The solution opens after a pass or after ``FAILS_BEFORE_SOLUTION`` failed checks."""
    return state.passed or state.failures >= FAILS_BEFORE_SOLUTION


class Labs:
    """The lab use cases for one learner (a store) and one course."""

    def __init__(self, store: Store, course: Any) -> None:
        self.store = store
        self.course = course

    @property
    def third_party(self) -> bool:
        """True when the course is not the one that ships with mlops-primer."""
        try:
            return self.course.folder.resolve() != builtin_lessons_dir().resolve()
        except OSError:
            return True

    def lesson(self, lesson_id: str) -> Any:
        """The lesson named, which must have a lab."""
        lesson = self.course.get(lesson_id)
        if lesson.lab is None:
            with_labs = ", ".join(x.id for x in self.course.lessons if x.lab) or "none"
            raise LabError(f"the lesson '{lesson.id}' has no lab",
                           hint=f"lessons with a lab: {with_labs}")
        return lesson

    def with_labs(self) -> list[Any]:
        return [x for x in self.course.lessons if x.lab is not None]

    def state(self, lesson_id: str) -> LabState | None:
        return self.store.lab(lesson_id)

    # -- start ---------------------------------------------------------------------------

    def workspace_for(self, lesson: Any, folder: Path | None) -> Path:
        """``folder``, else the lab's recorded folder, else the default one."""
        if folder is not None:
            return folder.expanduser().absolute()
        known = self.store.lab(lesson.id)
        return Path(known.workspace) if known else default_root() / lesson.id

    def is_started(self, path: Path) -> bool:
        """True when ``path`` already holds files (a started lab, or anything else)."""
        return path.exists() and (not path.is_dir() or any(path.iterdir()))

    def start(self, lesson_id: str, folder: Path | None = None, *,
              overwrite: bool = False) -> Path:
        """Make the lab's folder: task, starters, seeded data. Never writes over files
        unless ``overwrite`` (the learner's files are then kept aside, not lost)."""
        lesson = self.lesson(lesson_id)
        path = self.workspace_for(lesson, folder)
        if path.exists() and not path.is_dir():
            raise LabError(f"{path} is a file, not a folder", hint="choose another --dir")
        if self.is_started(path):
            if not overwrite:
                raise LabError(f"{path} already has files",
                               hint="continue there, or add --force to start again (your "
                               "files are kept aside), or choose another --dir")
            keep_aside(path, [*lesson.lab.files, "TASK.md"], _stamp())
        seed = new_seed()
        try:
            populate(path, lesson, self.course.folder, seed)
        except OSError as exc:
            raise LabError(f"cannot write the lab into {path}: {exc.strerror or exc}",
                           hint="choose a writable folder with --dir") from None
        old = self.store.lab(lesson.id)
        state = LabState(lesson_id=lesson.id, workspace=str(path), seed=seed)
        if old is not None and old.passed:  # a pass stays a pass
            state.state, state.passed_at = "passed", old.passed_at
        self.store.save_lab(state)
        return path

    # -- check ---------------------------------------------------------------------------

    def find(self, lesson_id: str | None, folder: Path | None) -> tuple[Any, Path]:
        """The lab to work on: named, or the folder's own, or the one used last."""
        if folder is not None:
            ws = Workspace.read(folder.expanduser().absolute())
            if lesson_id and lesson_id != ws.lesson_id:
                raise LabError(f"{folder} holds the lab of '{ws.lesson_id}', not '{lesson_id}'")
            return self.lesson(ws.lesson_id), ws.path
        if lesson_id:
            lesson = self.lesson(lesson_id)
            state = self.store.lab(lesson.id)
            if state is None:
                raise LabError(f"the lab of '{lesson.id}' is not started",
                               hint=f"start it with `mlops-primer lab start {lesson.id}`")
            return lesson, Path(state.workspace)
        here = Path.cwd()
        if (here / MARKER).is_file():
            ws = Workspace.read(here)
            return self.lesson(ws.lesson_id), here
        started = self.store.all_labs()  # newest first
        if not started:
            raise LabError("no lab is started",
                           hint="see them with `mlops-primer lab list`, then `lab start LESSON`")
        lesson_id = next(iter(started))
        return self.lesson(lesson_id), Path(started[lesson_id].workspace)

    def check(self, lesson_id: str | None = None, folder: Path | None = None) -> CheckResult:
        """Run the checks on fresh data, and record the outcome."""
        lesson, path = self.find(lesson_id, folder)
        if not path.is_dir():
            raise LabError(f"the lab folder {path} is gone",
                           hint=f"start again with `mlops-primer lab start {lesson.id}`")
        ws = Workspace.read(path)
        findings = run_checks(lesson, path)
        state = self.store.lab(lesson.id) or LabState(
            lesson_id=lesson.id, workspace=str(path), seed=ws.seed)
        state.workspace = str(path)
        state.checks += 1
        state.findings = [f.as_dict() for f in findings]
        first_pass = False
        if all(f.passed for f in findings):
            if not state.passed:
                state.state, state.passed_at, first_pass = "passed", now_iso(), True
        else:
            state.failures += 1
        self.store.save_lab(state)
        return CheckResult(lesson.id, path, findings, state, first_pass)

    # -- help ----------------------------------------------------------------------------

    def hint(self, lesson_id: str | None = None, folder: Path | None = None) -> tuple[
        int, int, str
    ]:
        """The next hint (number, how many, text); after the last, the last again."""
        lesson, path = self.find(lesson_id, folder)
        hints = lesson.lab.hints
        state = self.store.lab(lesson.id) or LabState(
            lesson_id=lesson.id, workspace=str(path), seed=0)
        number = min(state.hints + 1, len(hints))
        state.hints = number
        self.store.save_lab(state)
        return number, len(hints), hints[number - 1]

    def next_hint(self, lesson_id: str | None = None, folder: Path | None = None, *,
                  settings: Any = None) -> Hint:
        """The next hint: the course's own, in order; once they are used up and an LLM is
        configured (``settings``), one the coach writes for the last failing check and the
        learner's file as it is now.

        Why after them, not instead: the authored hints are checked by the course's
        authors and escalate on purpose, so a learner gets the same, trusted path first;
        the coach is for the learner still stuck after the last of them, where repeating
        that hint would not help. A coach's reply that holds code or is too close to the
        solution is replaced by the last authored hint, with a note. A server error raises
        LLMError and leaves the lab's state as it was.
        """
        from . import coach

        lesson, path = self.find(lesson_id, folder)
        hints = lesson.lab.hints
        state = self.store.lab(lesson.id)
        ready = settings is not None and settings.configured
        if state is None or state.hints < len(hints) or not ready:
            number, total, text = self.hint(lesson.id, folder)
            return Hint(number, total, text, coach_ready=ready)
        last = Hint(len(hints), len(hints), hints[-1], coach_ready=True)
        failing = [f for f in state.findings if isinstance(f, dict) and not f.get("passed")]
        if not failing:
            why = ("no check has failed yet: run `mlops-primer lab check` and the coach can "
                   "write a hint for what fails" if not state.findings else
                   "your last check passed: there is nothing failing to coach")
            return replace(last, note=why)
        ctx = coach.context(lesson, self.course.folder, path, failing,
                            language=getattr(settings, "language", None))
        messages = prompts.render_lab_hint(self.course, ctx,
                                           where=str(lesson.path or lesson.id))
        try:
            answer = coach.ask(settings, messages)
        except LLMError as exc:
            raise LLMError(exc.message, hint="; ".join(
                x for x in (exc.hint, "`mlops-primer lab hint --offline` gives the course's "
                            "own hints") if x), unreachable=exc.unreachable) from None
        checked = coach.guard(answer.text, coach.solution_texts(self.course.folder, lesson),
                              coach.starter_texts(self.course.folder, lesson))
        if checked.problem is not None:
            return replace(last, note=f"The coach's hint {checked.problem}, so here is the "
                           "course's last hint again.")
        return Hint(len(hints), len(hints), checked.text.strip(), origin="coach",
                    label=f"written for your failing check by {answer.model} on {answer.host}",
                    check=str(failing[0].get("check", "")), coach_ready=True)

    def solution(self, lesson_id: str | None = None, folder: Path | None = None) -> Path:
        """Write the reference solution beside the learner's files, once unlocked."""
        lesson, path = self.find(lesson_id, folder)
        state = self.store.lab(lesson.id)
        if state is None or not solution_unlocked(state):
            tries = state.failures if state else 0
            left = FAILS_BEFORE_SOLUTION - tries
            raise LabError(
                "the solution opens after a pass, or after "
                f"{FAILS_BEFORE_SOLUTION} checks that failed ({left} to go)",
                hint=f"try `mlops-primer lab check {lesson.id}` and "
                f"`mlops-primer lab hint {lesson.id}` first",
            )
        return write_solution(lesson, self.course.folder, path)

    def reset(self, lesson_id: str | None = None, folder: Path | None = None) -> Path | None:
        """Back to the starters; the learner's files go to ``kept-<time>/``. That folder."""
        lesson, path = self.find(lesson_id, folder)
        ws = Workspace.read(path)
        kept = keep_aside(path, lesson.lab.files, _stamp())
        populate(path, lesson, self.course.folder, ws.seed)
        return kept


def _stamp() -> str:
    return now_iso().replace(":", "").replace("+0000", "").replace("-", "")
