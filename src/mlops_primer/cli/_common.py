"""What every command shares: options, consoles, loading the course, turning errors into lines."""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from ..errors import ExitCode, PrimerError
from ..resources import builtin_lessons_dir

if TYPE_CHECKING:  # imported when a command loads the course: ~4 ms off `--help`
    from rich.console import Console  # made when a command prints with rich

    from ..lessons import Course

F = TypeVar("F", bound=Callable[..., Any])

LessonsDir = Annotated[
    Path | None,
    typer.Option(
        "--lessons-dir",
        envvar="MLOPS_PRIMER_LESSONS",
        metavar="FOLDER",
        help="Use the course in this folder instead of the shipped one.",
        show_default=False,
    ),
]
Model = Annotated[str | None, typer.Option("--model", metavar="MODEL", help="Model name.",
                                          show_default=False)]
BaseUrl = Annotated[
    str | None,
    typer.Option("--base-url", metavar="URL",
                 help="OpenAI-compatible server URL, e.g. http://localhost:11434/v1.",
                 show_default=False),
]
Timeout = Annotated[
    float | None,
    typer.Option("--timeout", metavar="SECONDS",
                 help="Seconds to wait for the server (and each streamed part).",
                 show_default=False),
]
MaxTokens = Annotated[
    int | None,
    typer.Option("--max-tokens", metavar="TOKENS",
                 help="Longest answer, in tokens (default 1500).",
                 show_default=False),
]
Context = Annotated[
    int | None,
    typer.Option("--context", metavar="TOKENS",
                 help="The server's context size, in tokens (default 4096).",
                 show_default=False),
]
Language = Annotated[
    str | None,
    typer.Option("--language", metavar="LANGUAGE",
                 help="The language the LLM answers in, e.g. de, es, pt-BR, Deutsch "
                 "(offline answers stay in English).",
                 show_default=False),
]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
Plain = Annotated[bool, typer.Option("--plain", help="Plain text: no colour, no animation.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON, for scripts.")]
Debug = Annotated[bool, typer.Option("--debug", help="Show full tracebacks, for bug reports.")]


# -- shell completion: thin hooks, the work is in ._complete, imported only to complete


def complete_lesson(incomplete: str) -> list[tuple[str, str]]:
    """Lesson ids for the shell (typer calls this only while completing)."""
    from ._complete import lessons

    return lessons(incomplete)


def complete_theme(ctx: typer.Context, incomplete: str) -> list[str]:
    """Theme ids of the lesson typed so far, for the shell."""
    from ._complete import themes

    lesson = ctx.params.get("lesson")
    return themes(lesson if isinstance(lesson, str) else None, incomplete)


# -- the flags every command takes, before or after its name ----------------------------


@dataclass
class Flags:
    """--plain, --json and --debug as given to this run, wherever they were written."""

    plain: bool = False
    json: bool = False
    debug: bool = False


#: reset at the start of every run (tests run many in one process)
FLAGS = Flags()

#: taken out of the arguments wherever they stand (before ``--``), so every command
#: accepts them after its name without each declaring them (typer would build two more
#: parameters for each of ~20 commands on every run: ~4 ms on --help)
EVERYWHERE = {"--plain": "plain", "--debug": "debug"}


def take_flags(args: Sequence[str]) -> list[str]:
    """``args`` without --plain and --debug, which set ``FLAGS`` for this run."""
    FLAGS.plain = FLAGS.json = FLAGS.debug = False
    rest: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--":
            return rest + list(args[i:])
        if arg in EVERYWHERE:
            setattr(FLAGS, EVERYWHERE[arg], True)
        else:
            rest.append(arg)
    return rest


# -- naming a command the way the learner runs it ---------------------------------------

PROG = "mlops-primer"
_SCRIPT_NAMES = (PROG, f"{PROG}.exe", f"{PROG}-script.py")


def detect_invocation(argv0: str, orig_argv: Sequence[str], environ: Mapping[str, str],
                      executable: str) -> str:
    """The words that start this program the way this process was started.

    ``uv run mlops-primer`` runs the venv's console script with ``UV`` (the uv binary)
    and ``VIRTUAL_ENV`` (the project's venv) set: a learner who started it that way has
    no ``mlops-primer`` on their PATH, so hints must say ``uv run mlops-primer``. The
    script must lie in that venv, so an installed tool started from inside a ``uv run``
    shell is still just ``mlops-primer``. ``python -m mlops_primer`` is named as such;
    anything else (the tests' CliRunner, an embedding) gets the tool's name.
    """
    path = Path(argv0)
    if path.name == "__main__.py" and path.parent.name == "mlops_primer":
        python = Path(orig_argv[0]).name if orig_argv else ""
        words, bindir = f"{python or 'python'} -m mlops_primer", Path(executable).parent
    elif path.name in _SCRIPT_NAMES:
        words, bindir = PROG, path.absolute().parent
    else:
        return PROG
    venv = environ.get("VIRTUAL_ENV", "")
    under_uv = bool(environ.get("UV") or environ.get("UV_RUN_RECURSION_DEPTH"))
    if under_uv and venv and _same_dir(bindir, Path(venv, "Scripts" if os.name == "nt"
                                                     else "bin")):
        return f"uv run {words}"
    return words


def _same_dir(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


@functools.cache
def invocation() -> str:
    """How this process was started (see ``detect_invocation``), worked out once."""
    return detect_invocation(sys.argv[0] if sys.argv else "",
                             getattr(sys, "orig_argv", []), os.environ, sys.executable)


def command(words: str = "") -> str:
    """A command line the learner can type as it is: ``command("learn")`` gives
    ``uv run mlops-primer learn`` under uv, ``mlops-primer learn`` for an installed tool.

    Every message that names a command goes through here, or through ``as_run`` for
    text from the core, which names commands in the tool's own words.
    """
    return f"{invocation()} {words}".strip()


_NAMED = re.compile(r"`mlops-primer(?=[\s`])")


def as_run(text: str) -> str:
    """``text`` with each `` `mlops-primer ...` `` it quotes written as ``command`` would.

    The core (lessons, tutor, llm) cannot know how it was started, so it quotes commands
    as `` `mlops-primer learn` ``; the CLI passes its messages through here on the way out.
    """
    prog = invocation()
    return text if prog == PROG else _NAMED.sub(lambda _: f"`{prog}", text)


def confirm(question: str) -> bool:
    """Ask yes/no; with no answer to read (no terminal, end of input) the answer is no."""
    try:
        return typer.confirm(question, default=False)
    except typer.Abort:
        typer.echo("\n(no answer could be read: add --yes to skip the question)", err=True)
        return False


def debug_enabled() -> bool:
    """True when tracebacks were asked for (--debug or MLOPS_PRIMER_DEBUG=1)."""
    return FLAGS.debug or os.environ.get("MLOPS_PRIMER_DEBUG", "") not in ("", "0")


def err_console() -> Console:
    """Console for messages on stderr, plain when stderr is not a terminal."""
    from ..ui import make_console

    return make_console(stderr=True, plain=FLAGS.plain)


def error_line(text: str) -> None:
    """One error line on stderr, commands in it named the way the learner runs them."""
    from ..ui.safe import clean

    err_console().print(f"error: {clean(as_run(text))}", markup=False, highlight=False,
                        style="red", soft_wrap=True)


def fail(exc: PrimerError) -> NoReturn:
    """Print the error's one line on stderr and exit with its code."""
    error_line(exc.one_line())
    raise typer.Exit(int(exc.exit_code))


def handled(func: F) -> F:
    """Run a command; a PrimerError or Ctrl-C becomes one line and an exit code.

    A command that declares ``plain`` or ``as_json`` gets the flag's value from either
    place it may be written: its own option, or before or after the command's name
    (``FLAGS``, see ``take_flags``).
    """
    code = func.__code__
    names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    wants_plain, wants_json = "plain" in names, "as_json" in names

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if wants_plain:
            kwargs["plain"] = FLAGS.plain = bool(kwargs.get("plain")) or FLAGS.plain
        if wants_json:
            kwargs["as_json"] = FLAGS.json = bool(kwargs.get("as_json")) or FLAGS.json
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
             context: int | None = None, language: str | None = None) -> Any:
    """Effective LLM settings from flags, environment, config file and defaults; their
    warnings (a config file holding a key that others can read) go to stderr."""
    from ..config import load_settings

    s = load_settings(flags={"model": model, "base_url": base_url, "timeout": timeout,
                             "max_tokens": max_tokens, "context": context,
                             "language": language})
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
    """Console for results on stdout (plain with --plain, wherever it was given)."""
    from ..ui import make_console

    return make_console(plain=plain or FLAGS.plain)


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """A line on stdout (or stderr), cleaned of control codes: lines that carry outside
    text (paths, model names, pack fields, server messages) go out through here."""
    from ..ui.safe import clean

    typer.echo(clean(text), err=err, nl=nl)


def write_json(data: Any) -> None:
    """JSON on stdout, for scripts (the data exact; DEL and C1 escaped as ``\\u``)."""
    import json

    from ..ui.safe import json_safe

    sys.stdout.write(json_safe(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")
