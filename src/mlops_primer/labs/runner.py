"""The child process that runs a learner's lab code: isolated, timed, bounded, loopback only.

The learner's code never runs in our process. Each batch of calls starts
``python -I harness.py`` in the lab's workspace with a small environment (no API keys, no
settings of ours), a timeout, and a cap on what it may print; the harness answers through
a result file, so nothing printed can pass for a result. A hang, a crash, a syntax error
or a flood of output becomes one ``LabCodeError`` line naming the file and the line.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import PrimerError

HARNESS = Path(__file__).with_name("harness.py")
DEFAULT_TIMEOUT = 10.0
MAX_OUTPUT = 1024 * 1024  # bytes a child may print before it is stopped
KEPT_OUTPUT = 2000  # characters of it kept to show the learner

#: environment variables passed to the child; everything else (keys, our settings) stays out
_PASSED_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT", "TMPDIR", "TEMP", "TMP")


class LabCodeError(PrimerError):
    """The learner's lab code could not run: syntax error, crash, hang or too much output."""

    def __init__(self, message: str, *, hint: str | None = None, todo: bool = False) -> None:
        super().__init__(message, hint=hint)
        #: the code raised NotImplementedError: a TODO not yet done, not a bug
        self.todo = todo


@dataclass
class Outcome:
    """What one call of a learner's function gave: a value, or an error line."""

    value: Any = None
    error: str | None = None
    todo: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def describe(err: dict[str, Any]) -> str:
    """``file line N: Type: message``, the one line a learner reads for an error."""
    where = err.get("file") or "your code"
    if err.get("line"):
        where += f" line {err['line']}"
    kind = err.get("type", "Error")
    message = " ".join(str(err.get("message", "")).split())
    if kind == "NotImplementedError":
        return f"{where}: still a TODO (raises NotImplementedError)"
    return f"{where}: {kind}: {message}" if message else f"{where}: {kind}"


def child_env(workspace: Path) -> dict[str, str]:
    """The child's environment: the basics only, and a HOME inside the workspace."""
    env = {k: v for k, v in os.environ.items() if k in _PASSED_ENV}
    env.update(HOME=str(workspace), PYTHONDONTWRITEBYTECODE="1", PYTHONIOENCODING="utf-8")
    return env


class _Drain(threading.Thread):
    """Reads a child's output, keeps its head, and stops the child past ``MAX_OUTPUT``."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        super().__init__(daemon=True)
        self.proc = proc
        self.head = bytearray()
        self.total = 0
        self.flooded = False

    def run(self) -> None:
        assert self.proc.stdout is not None
        while chunk := self.proc.stdout.read1(65536):  # type: ignore[attr-defined]
            self.total += len(chunk)
            if len(self.head) < KEPT_OUTPUT:
                self.head += chunk[: KEPT_OUTPUT - len(self.head)]
            if self.total > MAX_OUTPUT and not self.flooded:
                self.flooded = True
                _kill(self.proc)

    @property
    def text(self) -> str:
        return self.head.decode("utf-8", "replace")


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Stop the child and anything it started (it leads its own process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    except AttributeError:  # no process groups (Windows)
        proc.kill()


def _start(workspace: Path, request: dict[str, Any], tmp: Path) -> tuple[
    subprocess.Popen[bytes], Path, _Drain
]:
    req = tmp / "request.json"
    res = tmp / "result.json"
    req.write_text(json.dumps(request), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-I", str(HARNESS), str(req), str(res)],
        cwd=workspace, env=child_env(workspace), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    drain = _Drain(proc)
    drain.start()
    return proc, res, drain


def _finish(proc: subprocess.Popen[bytes], res: Path, drain: _Drain, file: str,
            timeout: float) -> dict[str, Any]:
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        proc.wait()
        drain.join(1)
        raise LabCodeError(
            f"{file} did not finish within {timeout:g} seconds",
            hint="look for a loop that never ends, or a wait for input",
        ) from None
    drain.join(5)
    if drain.flooded:
        raise LabCodeError(
            f"{file} printed more than {MAX_OUTPUT // 1024} KB and was stopped",
            hint="remove the print in the loop, or print less",
        )
    try:
        result = json.loads(res.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        tail = " ".join(drain.text.split())[-200:]
        raise LabCodeError(
            f"{file} ended the check early (exit status {proc.returncode})"
            + (f"; it printed: {tail}" if tail else ""),
            hint="a lab file should define functions, not call exit() or kill its process",
        ) from None
    if "load_error" in result:
        err = result["load_error"]
        raise LabCodeError(describe(err), hint="fix this line, then check again")
    return result


def call(workspace: Path, file: str, calls: Sequence[tuple[str, Sequence[Any]]], *,
         timeout: float = DEFAULT_TIMEOUT) -> list[Outcome]:
    """Call functions of the learner's ``file`` (in ``workspace``), all in one child process.

    Raises LabCodeError when the file cannot be loaded or the child hangs or floods; an
    exception inside one call is that call's ``Outcome.error``.
    """
    if not (workspace / file).is_file():
        raise LabCodeError(f"{file} is missing from {workspace}",
                           hint="run `mlops-primer lab reset` to get the starter back")
    request = {"kind": "call", "file": file, "calls": [[n, list(a)] for n, a in calls]}
    with tempfile.TemporaryDirectory(prefix="mlops-lab-") as tmp:
        proc, res, drain = _start(workspace, request, Path(tmp))
        result = _finish(proc, res, drain, file, timeout)
    out = []
    for item in result.get("outcomes", []):
        if "error" in item:
            out.append(Outcome(error=describe(item["error"]), todo=bool(item["error"].get("todo"))))
        else:
            out.append(Outcome(value=item.get("value")))
    return out


@dataclass
class TestResult:
    """One of the learner's test functions: passed, or the error it raised."""

    name: str
    passed: bool
    error: str | None = None


def tests(workspace: Path, file: str, *, timeout: float = DEFAULT_TIMEOUT) -> list[TestResult]:
    """Run every ``test*`` function of the learner's ``file`` in ``workspace``."""
    if not (workspace / file).is_file():
        raise LabCodeError(f"{file} is missing from {workspace}",
                           hint="run `mlops-primer lab reset` to get the starter back")
    with tempfile.TemporaryDirectory(prefix="mlops-lab-") as tmp:
        proc, res, drain = _start(workspace, {"kind": "tests", "file": file}, Path(tmp))
        result = _finish(proc, res, drain, file, timeout)
    return [TestResult(t["name"], bool(t["passed"]),
                       describe(t["error"]) if t.get("error") else None)
            for t in result.get("tests", [])]


@dataclass
class ScriptResult:
    """A learner's script run to its end."""

    exit: int
    output: str
    #: the exception that ended it, as one line (None when it exited by itself)
    error: str | None = None


def script(workspace: Path, file: str, argv: Sequence[str] = (), *,
           timeout: float = DEFAULT_TIMEOUT) -> ScriptResult:
    """Run the learner's ``file`` as a program with ``argv``; its exit status and output."""
    if not (workspace / file).is_file():
        raise LabCodeError(f"{file} is missing from {workspace}",
                           hint="run `mlops-primer lab reset` to get the starter back")
    request = {"kind": "script", "file": file, "argv": list(argv)}
    with tempfile.TemporaryDirectory(prefix="mlops-lab-") as tmp:
        proc, res, drain = _start(workspace, request, Path(tmp))
        result = _finish(proc, res, drain, file, timeout)
    error = describe(result["error"]) if "error" in result else None
    return ScriptResult(exit=int(result.get("exit", 1)), output=drain.text, error=error)


@contextmanager
def server(workspace: Path, file: str, argv: Sequence[str], *, ready: Any,
           timeout: float = 5.0) -> Iterator[subprocess.Popen[bytes]]:
    """Run the learner's server ``file`` until the block ends; ``ready()`` says it is up.

    The server is stopped (with everything it started) when the block exits, whatever
    happened inside it.
    """
    if not (workspace / file).is_file():
        raise LabCodeError(f"{file} is missing from {workspace}",
                           hint="run `mlops-primer lab reset` to get the starter back")
    request = {"kind": "script", "file": file, "argv": list(argv)}
    with tempfile.TemporaryDirectory(prefix="mlops-lab-") as tmp:
        proc, res, drain = _start(workspace, request, Path(tmp))
        try:
            deadline = time.monotonic() + timeout
            while not ready():
                if proc.poll() is not None:
                    drain.join(1)
                    try:
                        result = json.loads(res.read_text(encoding="utf-8"))
                    except (OSError, ValueError):
                        result = {}
                    err = result.get("load_error") or result.get("error")
                    if err:
                        raise LabCodeError(describe(err), hint="fix this line, then check again")
                    tail = " ".join(drain.text.split())[-200:]
                    raise LabCodeError(
                        f"{file} stopped before it answered (exit status {proc.returncode})"
                        + (f"; it printed: {tail}" if tail else ""),
                        hint="run it yourself to see why: python " + file + " 8000",
                    )
                if time.monotonic() > deadline:
                    raise LabCodeError(
                        f"{file} did not answer GET /health within {timeout:g} seconds",
                        hint="does it listen on 127.0.0.1 and the port it is given in argv?",
                    )
                time.sleep(0.02)
            yield proc
        finally:
            _kill(proc)
            proc.wait()
            drain.join(1)
