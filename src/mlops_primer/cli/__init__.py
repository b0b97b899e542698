"""The command line: typer sub-apps, one module per command group; nothing else imports typer.

Start-up matters here (benchmarks/startup.py): only the module of the command asked for
is imported, and the command modules do not use ``from __future__ import annotations``,
because typer reads every command's annotations on each run and evaluating them from
strings cost about 3 ms.

Help is click's plain formatter (rich-formatted help costs ~0.1 s of imports), so the
``rich_help_panel`` of each command is drawn here: ``HelpGroup`` groups the commands by
panel, writes each command's whole summary (never cut off with "..."), and every
command's help ends with its examples (``EXAMPLES``), named the way the learner runs
the program. A new command group names its panel with ``rich_help_panel`` when it
registers (or gets one from ``COMMANDS``) and adds its examples to ``EXAMPLES``.
"""

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from ..errors import ExitCode
from ._common import (
    FLAGS,
    PROG,
    Debug,
    Json,
    Plain,
    command,
    debug_enabled,
    error_line,
    take_flags,
)

LEARN, PROGRESS, LLM, AUTHORS = "Learn", "Your progress", "LLM settings", "Course authors"
#: the help's panels, in order; a command with no panel is listed under "Commands"
PANELS = (LEARN, PROGRESS, LLM, AUTHORS)

#: each command: the module (in this package) that defines it, and its help panel
COMMANDS = {
    "learn": ("learn", LEARN), "lessons": ("course", LEARN), "prompt": ("course", LEARN),
    "progress": ("progress", PROGRESS), "notes": ("progress", PROGRESS),
    "cache": ("cache", PROGRESS),
    "config": ("llm", LLM), "doctor": ("llm", LLM),
    "validate": ("course", AUTHORS), "pack": ("pack", AUTHORS),
    "lab": ("lab", LEARN),
    "review": ("review", LEARN),
}

#: examples for each command's help, by command path, as typed after the program's name
EXAMPLES: dict[str, tuple[str, ...]] = {
    "": ("learn", "lessons", "learn drift --theme cooking"),
    "learn": ("learn", "learn 2", "learn drift --theme cooking",
              "learn drift --theme \"a bakery\" --no-input"),
    "lessons": ("lessons", "lessons --long", "lessons --json"),
    "lessons schema": ("lessons schema -o lesson.schema.json",),
    "prompt": ("prompt versioning --theme zoo",),
    "progress": ("progress", "progress --reset drift"),
    "notes": ("notes", "notes drift", "notes drift -o drift.md", "notes --here"),
    "cache": ("cache list",),
    "cache list": ("cache list", "cache list --json"),
    "cache show": ("cache show 1",),
    "cache clear": ("cache clear --yes",),
    "cache path": ("cache path",),
    "cache export": ("cache export answers.jsonl",),
    "cache import": ("cache import class.jsonl",),
    "config": ("config", "config --json"),
    "config set": ("config set model llama3.2", "config set timeout 60"),
    "doctor": ("doctor", "doctor --base-url http://localhost:11434/v1 --model llama3.2"),
    "validate": ("validate", "validate lessons/drift.yaml", "validate my-course/"),
    "pack": ("pack check",),
    "pack check": ("pack check", "pack check --lessons-dir my-course/"),
    "pack stamp": ("pack stamp drift",),
    "pack build": ("pack build --model gpt-4o-mini -o class.jsonl",),
    "lab": ("lab list", "lab start drift"),
    "lab list": ("lab list",),
    "lab start": ("lab start drift",),
    "lab check": ("lab check drift",),
    "lab hint": ("lab hint drift",),
    "lab solution": ("lab solution drift",),
    "lab reset": ("lab reset drift",),
    "lab verify": ("lab verify --lessons-dir my-course/",),
    "review": ("review", "review --due", "review --all --json"),
}

#: the variable the shell sets to ask for completions (typer's protocol)
COMPLETE_VAR = "_MLOPS_PRIMER_COMPLETE"

#: what each exit status means (the one mapping is ExitCode, in errors.py)
EXIT_CODES: tuple[tuple[ExitCode, str], ...] = (
    (ExitCode.OK, "done"),
    (ExitCode.ERROR, "something failed (validate or pack check found problems, ...)"),
    (ExitCode.USAGE, "a wrong option, argument or setting"),
    (ExitCode.LESSON, "a lesson, theme or course folder is unknown or invalid"),
    (ExitCode.LLM, "the LLM could not give a complete answer"),
    (ExitCode.NO_ANSWER, "no LLM reachable and no stored answer to replay"),
    (ExitCode.STORE, "your answer and progress store cannot be read or written"),
    (ExitCode.INTERRUPTED, "stopped with Ctrl-C (your progress is saved)"),
)


def _subpath(ctx: Any) -> str:
    """The command's path after the program's name: '' for the root, 'cache list', ..."""
    return " ".join(ctx.command_path.split()[1:])


class _Help:
    """What every command's help shares: the usage as the learner runs the program, and
    examples at the end."""

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        # typer writes a required argument as {LESSON}: plain LESSON reads better
        pieces = [p[1:-1] if p.startswith("{") and p.endswith("}") else p
                  for p in self.collect_usage_pieces(ctx)]  # type: ignore[attr-defined]
        formatter.write_usage(command(_subpath(ctx)), " ".join(pieces))

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        if ctx.parent is not None:
            formatter.write_paragraph()
            formatter.write_text("--plain (no colour or animation) and --debug (full "
                                 "tracebacks) work with every command.")
        examples = EXAMPLES.get(_subpath(ctx))
        if examples:
            with formatter.section("Examples"):
                for example in examples:
                    formatter.write_text(command(example))


class HelpCommand(_Help, TyperCommand):
    """A command whose help ends with its examples."""


class HelpGroup(_Help, TyperGroup):
    """A command group: its commands by panel, each with its whole summary; examples;
    and, for the program itself, the exit codes."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        panels: dict[str, list[tuple[str, str]]] = {}
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is None or cmd.hidden:
                continue
            panel = getattr(cmd, "rich_help_panel", None) or "Commands"
            panels.setdefault(panel, []).append((name, cmd.get_short_help_str(limit=1000)))
        known = list(COMMANDS)  # within a panel: in COMMANDS' order, newcomers after
        for rows in panels.values():
            rows.sort(key=lambda row: known.index(row[0]) if row[0] in known else len(known))
        order = [p for p in PANELS if p in panels] + [p for p in panels if p not in PANELS]
        for panel in order:
            with formatter.section(panel):
                formatter.write_dl(panels[panel])

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        super().format_epilog(ctx, formatter)
        if ctx.parent is None:
            with formatter.section("Exit codes"):
                formatter.write_dl([(str(int(code)), text) for code, text in EXIT_CODES])

    def main(self, args: Any = None, *rest: Any, standalone_mode: bool = True,
             **kwargs: Any) -> Any:
        """Run: --plain and --debug are taken wherever they stand; a usage error is one
        line (what is wrong, where the help is), not click's usage block."""
        from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError

        args = take_flags(sys.argv[1:] if args is None else args)
        try:
            rv = super().main(args, *rest, standalone_mode=False, **kwargs)
        except NoArgsIsHelpError as exc:  # a group named alone (`cache`): its help
            if not standalone_mode:
                raise
            exc.show()
            sys.exit(exc.exit_code)
        except UsageError as exc:
            if not standalone_mode:
                raise
            where = exc.ctx.command_path if exc.ctx is not None else PROG
            error_line(f"{exc.format_message()} - see `{where} --help`")
            sys.exit(exc.exit_code)
        except ClickException as exc:
            if not standalone_mode:
                raise
            error_line(exc.format_message())
            sys.exit(exc.exit_code)
        except typer.Abort:
            if not standalone_mode:
                raise
            error_line("stopped (no answer could be read)")
            sys.exit(int(ExitCode.ERROR))
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"{PROG} {version(PROG)}")
        raise typer.Exit()


def _root(
    ctx: typer.Context,
    plain: Plain = False,
    as_json: Json = False,
    debug: Debug = False,
    version: Annotated[bool, typer.Option("--version", "-V", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """An interactive command-line course that teaches MLOps to beginners, with an LLM as
    tutor (or the offline answer pack that ships with it). Start with: learn.

    --plain and --debug work before or after any command's name; so does --json, on the
    commands that print data.
    """
    # --plain and --debug were taken out of the arguments already (take_flags): listed
    # here for the help
    FLAGS.json = FLAGS.json or as_json
    if ctx.invoked_subcommand is None and not ctx.resilient_parsing:
        from .welcome import welcome

        welcome()


def _panels_and_help(app: typer.Typer) -> None:
    """Give each registered command its panel (unless it named one) and the help class
    that draws panels and examples, down through every sub-app."""
    for info in app.registered_commands:
        if not info.rich_help_panel and info.name in COMMANDS:
            info.rich_help_panel = COMMANDS[info.name][1]
        if info.cls in (None, TyperCommand):  # typer's default: ours adds the examples
            info.cls = HelpCommand
    for group in app.registered_groups:
        if not group.rich_help_panel and group.name in COMMANDS:
            group.rich_help_panel = COMMANDS[group.name][1]
        if not group.cls or group.cls is TyperGroup:
            group.cls = HelpGroup
        if group.typer_instance is not None:
            _panels_and_help(group.typer_instance)


def make_app(only: str | None = None, *, completion: bool = True,
             shallow: bool = False) -> typer.Typer:
    """The command tree: all commands, just ``only``, or none (``only=""``: the welcome).

    typer builds every command's parameters on each run, so a one-command tree starts
    measurably faster; for the same reason ``completion=False`` leaves out the
    --install-completion and --show-completion options (about 0.5 ms), which only the
    program's own help and their own use need. ``shallow`` is for the program's own
    ``--help``, which lists each command group by its one line of help: the groups are
    registered without their commands, which typer would otherwise build (a fifth of
    the time ``--help`` takes beyond importing typer and rich).
    """
    new = typer.Typer(
        name=PROG,
        cls=HelpGroup,
        # plain click help: rich-formatted help costs ~0.1 s of imports on every --help
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        add_completion=completion,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    new.callback(invoke_without_command=True)(_root)
    import importlib

    if only is None:
        names = list(dict.fromkeys(module for module, _panel in COMMANDS.values()))
    else:
        names = [COMMANDS[only][0]] if only else []
    for name in names:
        importlib.import_module(f"{__name__}.{name}").register(new, only)
    if shallow:
        for group in new.registered_groups:
            group.typer_instance = _stub(group.typer_instance)
    _panels_and_help(new)
    return new


def _stub(app: typer.Typer | None) -> typer.Typer:
    """A command group with the help line of ``app`` and none of its commands."""
    info = app.info if app is not None else None
    help_text = info.help if info is not None else None
    if not isinstance(help_text, str) and app is not None and app.registered_callback:
        help_text = app.registered_callback.callback.__doc__  # type: ignore[union-attr]
    return typer.Typer(help=help_text if isinstance(help_text, str) else None,
                       short_help=info.short_help if info is not None else None)


def __getattr__(name: str) -> typer.Typer:
    """``app``, the whole command tree, built on first use (tests and `python -m`)."""
    if name == "app":
        globals()["app"] = built = make_app()
        return built
    raise AttributeError(name)


def _command_named(argv: list[str]) -> str | None:
    """The command the arguments name: None (build them all) when a word is not one of
    ours, '' when there is none (the welcome, --version)."""
    for arg in argv:
        if arg.startswith("-"):
            continue
        return arg if arg in COMMANDS else None
    return "" if not any(a in ("-h", "--help") for a in argv) else None


def main() -> None:
    """Console-script entry point: unexpected errors become one line unless --debug."""
    import os

    try:
        argv = sys.argv[1:]
        completing = bool(os.environ.get(COMPLETE_VAR))  # the shell asks for completions
        only = None if completing else _command_named(argv)
        completion = completing or not only or any(
            a.startswith(("--install-completion", "--show-completion")) for a in argv)
        root_help = only is None and not completing and all(a.startswith("-") for a in argv)
        make_app(only, completion=completion, shallow=root_help)(
            prog_name=PROG, complete_var=COMPLETE_VAR)
    except SystemExit:
        raise
    except Exception as exc:  # a bug: say so briefly, keep the traceback for --debug
        if debug_enabled():
            _debug_traceback(exc)  # the traceback, with keys and URL passwords scrubbed
        from ..ui.safe import clean

        sys.stderr.write(clean(
            f"error: unexpected {type(exc).__name__}: {exc} - this is a bug; run again with "
            "--debug and report the traceback").replace("\n", " ") + "\n")
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
