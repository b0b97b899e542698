"""What every command shares: options, consoles, loading the course, turning errors into lines."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from ..errors import ExitCode, PrimerError
from ..resources import builtin_lessons_dir

if TYPE_CHECKING:  # imported when a command loads the course: ~4 ms off `--help`
    from ..lessons import Course

F = TypeVar("F", bound=Callable[..., Any])

LessonsDir = Annotated[
    Path | None,
    typer.Option(
        "--lessons-dir",
        envvar="MLOPS_PRIMER_LESSONS",
        help="Use the course in this folder instead of the shipped one.",
        show_default=False,
    ),
]
Model = Annotated[str | None, typer.Option("--model", help="Model name.", show_default=False)]
BaseUrl = Annotated[
    str | None,
    typer.Option("--base-url", help="OpenAI-compatible server URL, e.g. http://localhost:11434/v1.",
                 show_default=False),
]
Timeout = Annotated[
    float | None,
    typer.Option("--timeout", help="Seconds to wait for the server (and each streamed part).",
                 show_default=False),
]
MaxTokens = Annotated[
    int | None,
    typer.Option("--max-tokens", help="Longest answer, in tokens (default 1500).",
                 show_default=False),
]
Context = Annotated[
    int | None,
    typer.Option("--context", help="The server's context size, in tokens (default 4096).",
                 show_default=False),
]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def confirm(question: str) -> bool:
    """Ask yes/no; with no answer to read (no terminal, end of input) the answer is no."""
    try:
        return typer.confirm(question, default=False)
    except typer.Abort:
        typer.echo("\n(no answer could be read: add --yes to skip the question)", err=True)
        return False


def debug_enabled() -> bool:
    """True when tracebacks were asked for (--debug or MLOPS_PRIMER_DEBUG=1)."""
    return os.environ.get("MLOPS_PRIMER_DEBUG", "") not in ("", "0")


def err_console() -> Console:
    """Console for messages on stderr, plain when stderr is not a terminal."""
    from ..ui import make_console

    return make_console(stderr=True)


def fail(exc: PrimerError) -> NoReturn:
    """Print the error's one line on stderr and exit with its code."""
    err_console().print(f"error: {exc.one_line()}", markup=False, highlight=False,
                        style="red", soft_wrap=True)
    raise typer.Exit(int(exc.exit_code))


def handled(func: F) -> F:
    """Run a command; a PrimerError or Ctrl-C becomes one line and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PrimerError as exc:
            if debug_enabled():
                raise
            fail(exc)
        except KeyboardInterrupt:
            if debug_enabled():
                raise
            err_console().print("\nInterrupted.", style="yellow", markup=False)
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None

    return wrapper  # type: ignore[return-value]


def course_folder(lessons_dir: Path | None) -> Path:
    """The active course's folder: --lessons-dir / MLOPS_PRIMER_LESSONS, else the shipped one."""
    return lessons_dir.expanduser() if lessons_dir else builtin_lessons_dir()


def course(lessons_dir: Path | None) -> Course:
    """The active course, loaded."""
    from ..lessons import load_course

    return load_course(course_folder(lessons_dir))


def settings(model: str | None = None, base_url: str | None = None,
             timeout: float | None = None, *, max_tokens: int | None = None,
             context: int | None = None) -> Any:
    """Effective LLM settings from flags, environment, config file and defaults; their
    warnings (a config file holding a key that others can read) go to stderr."""
    from ..config import load_settings

    s = load_settings(flags={"model": model, "base_url": base_url, "timeout": timeout,
                             "max_tokens": max_tokens, "context": context})
    for warning in s.warnings:
        err_console().print(warning, markup=False, highlight=False, style="yellow",
                            soft_wrap=True)
    return s


def open_store() -> Any:
    """The learner's store; if it had to be moved aside, say so on stderr (every command
    that opens it does, so a learner never loses a store silently)."""
    from ..store import open_store as _open

    store = _open()
    if store.notice:
        err_console().print(store.notice, markup=False, highlight=False, style="yellow",
                            soft_wrap=True)
    return store


def out_console(plain: bool = False) -> Console:
    """Console for results on stdout."""
    from ..ui import make_console

    return make_console(plain=plain)


def write_json(data: Any) -> None:
    """JSON on stdout, for scripts."""
    import json

    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
