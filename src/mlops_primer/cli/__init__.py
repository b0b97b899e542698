"""The command line: typer sub-apps, one module per command group; nothing else imports typer."""

from __future__ import annotations

import os
import sys

import typer

from . import cache, course, learn, llm, pack, progress

app = typer.Typer(
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


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"mlops-primer {version('mlops-primer')}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks, for bug reports."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    if debug:
        os.environ["MLOPS_PRIMER_DEBUG"] = "1"


course.register(app)
learn.register(app)
llm.register(app)
cache.register(app)
pack.register(app)
progress.register(app)


def main() -> None:
    """Console-script entry point: unexpected errors become one line unless --debug."""
    try:
        app(prog_name="mlops-primer")
    except SystemExit:
        raise
    except Exception as exc:  # a bug: say so briefly, keep the traceback for --debug
        if os.environ.get("MLOPS_PRIMER_DEBUG", "") not in ("", "0"):
            raise
        sys.stderr.write(
            f"error: unexpected {type(exc).__name__}: {exc} - this is a bug; run again with "
            "--debug and report the traceback\n"
        )
        sys.exit(1)
