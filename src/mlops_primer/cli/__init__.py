"""The command line: typer sub-apps, one module per command group; nothing else imports typer.

Start-up matters here (benchmarks/startup.py): only the module of the command asked for
is imported, and the command modules do not use ``from __future__ import annotations``,
because typer reads every command's annotations on each run and evaluating them from
strings cost about 3 ms.
"""

from __future__ import annotations

import os
import sys

import typer

#: each command and the module (in this package) that defines it, in --help order
COMMANDS = {
    "learn": "learn", "lessons": "course", "prompt": "course", "validate": "course",
    "progress": "progress", "notes": "progress", "config": "llm", "doctor": "llm",
    "cache": "cache", "pack": "pack", "lab": "lab",
}


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"mlops-primer {version('mlops-primer')}")
        raise typer.Exit()


def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks, for bug reports."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    if debug:
        os.environ["MLOPS_PRIMER_DEBUG"] = "1"


def make_app(only: str | None = None) -> typer.Typer:
    """The command tree: all commands, or just ``only`` (typer builds every command's
    parameters on each run, so a one-command tree starts measurably faster)."""
    new = typer.Typer(
        name="mlops-primer",
        help="An interactive command-line course that teaches MLOps to beginners, with an LLM "
        "as tutor (or the offline answer pack that ships with it).",
        # plain click help: rich-formatted help costs ~0.1 s of imports on every --help
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        add_completion=False,
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    new.callback()(_root)
    import importlib

    names = [COMMANDS[only]] if only else list(dict.fromkeys(COMMANDS.values()))
    for name in names:
        importlib.import_module(f"{__name__}.{name}").register(new, only)
    return new


def __getattr__(name: str) -> typer.Typer:
    """``app``, the whole command tree, built on first use (tests and `python -m`)."""
    if name == "app":
        globals()["app"] = built = make_app()
        return built
    raise AttributeError(name)


def _command_named(argv: list[str]) -> str | None:
    """The command the arguments name, if any (the first word that is not an option)."""
    for arg in argv:
        if arg.startswith("-"):
            continue
        return arg if arg in COMMANDS else None
    return None


def main() -> None:
    """Console-script entry point: unexpected errors become one line unless --debug."""
    try:
        only = _command_named(sys.argv[1:])
        make_app(only)(prog_name="mlops-primer")
    except SystemExit:
        raise
    except Exception as exc:  # a bug: say so briefly, keep the traceback for --debug
        if os.environ.get("MLOPS_PRIMER_DEBUG", "") not in ("", "0"):
            _debug_traceback(exc)
        sys.stderr.write(
            f"error: unexpected {type(exc).__name__}: {exc} - this is a bug; run again with "
            "--debug and report the traceback\n"
        )
        sys.exit(1)


def _debug_traceback(exc: Exception) -> None:
    """The full traceback for --debug, with every key and base-URL password scrubbed (a
    server may echo the key in its error body, which the chained exception carries)."""
    import traceback

    from ..config import known_secrets, redact
    from ..errors import PrimerError

    text = "".join(traceback.format_exception(exc))
    sys.stderr.write(redact(text, known_secrets(sys.argv[1:])))
    sys.exit(int(exc.exit_code) if isinstance(exc, PrimerError) else 1)
