"""`lessons`, `prompt` and `validate`: looking at and checking the course."""

from pathlib import Path
from typing import Annotated

import typer

from ..resources import builtin_lessons_dir
from ._common import (
    LessonsDir,
    command,
    complete_lesson,
    complete_theme,
    course,
    course_folder,
    echo,
    err_console,
    handled,
    out_console,
    write_json,
)

lessons_app = typer.Typer(invoke_without_command=True)  # help: the callback's docstring


@lessons_app.callback()
@handled
def lessons(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    lessons_dir: LessonsDir = None,
) -> None:
    """List the lessons, with your progress and the themes each suggests."""
    if ctx.invoked_subcommand:
        return
    from ..catalog import catalog

    entries = catalog(course_folder(lessons_dir))
    progress, labs = _learner_state()
    if as_json:
        write_json([
            {
                **entry.as_dict(),
                "done": bool(progress.get(entry.id) and progress[entry.id].done),
                "quiz_score": progress[entry.id].quiz_score if entry.id in progress else None,
                "lab": None if entry.lab is None else {
                    "title": entry.lab, "state": lab_state(labs.get(entry.id))},
            }
            for entry in entries
        ])
        return
    from ..ui.course_list import course_list

    out_console().print(course_list(entries, progress, prog=command(), labs=labs))


def lab_state(state) -> str:  # noqa: ANN001 - a store.LabState, or None
    """A lab's state as `lab list --json` and `progress --json` say it."""
    if state is None:
        return "not_started"
    return "passed" if state.passed else "started"


def _progress_or_empty() -> dict:
    """Progress for the check marks (see ``_learner_state``)."""
    return _learner_state(labs=False)[0]


def _learner_state(*, labs: bool = True) -> tuple[dict, dict]:
    """Progress and labs for the marks, read-only: a store that does not exist is not
    created."""
    from ..errors import StoreError
    from ..paths import store_file

    path = store_file()
    if not path.exists():  # no learning yet: sqlite3 and the store need not be imported
        return {}, {}
    from ..store import Store, StoreRefused

    try:
        with Store(path, readonly=True) as store:
            return store.all_progress(), store.all_labs() if labs else {}
    except StoreRefused as exc:  # newer, or not a database: say why there are no marks
        err_console().print(f"warning: {exc.one_line()}; progress is not shown", markup=False,
                            highlight=False, style="yellow", soft_wrap=True)
        return {}, {}
    except StoreError:
        return {}, {}  # older than this version: `learn` will migrate it


@lessons_app.command("schema")
@handled
def schema_cmd(
    output: Annotated[Path | None, typer.Option("-o", "--output", metavar="FILE",
                                                   help="Write to this file.")] = None,
) -> None:
    """Print the JSON Schema of lesson files (for editors)."""
    from ..lesson_schema import schema_text

    text = schema_text()
    if output:
        output.write_text(text, encoding="utf-8")
        echo(f"wrote {output}", err=True)
    else:
        echo(text, nl=False)


@handled
def prompt(
    lesson: Annotated[str, typer.Argument(metavar="LESSON", autocompletion=complete_lesson,
            help="Lesson id or number.")],
    theme: Annotated[str | None, typer.Option(
            "--theme", "-t", metavar="THEME", autocompletion=complete_theme,
            help="Suggested theme id, or "
                                                 "any world in your own words.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the messages as JSON.")] = False,
    lessons_dir: LessonsDir = None,
) -> None:
    """Print the exact messages for a lesson, ready to paste into any chat app."""
    from .. import prompts

    c = course(lessons_dir)
    x = c.get(lesson)
    t = x.theme(theme) if theme is not None else x.default_theme
    messages = prompts.render(c, x, t)
    if as_json:
        write_json([m.as_dict() for m in messages])
    else:
        echo(prompts.as_text(messages))


@handled
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(
            metavar="PATH...",
            help="Lesson files or course folders (default: the active course).",
            show_default=False)] = None,
    lessons_dir: LessonsDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the files and problems as "
                                          "JSON.")] = False,
) -> None:
    """Check lesson files: schema, unique ids, templates, quiz answers.

    Warns, without failing, when a quiz's right choice is the longest in more than half
    of its questions (a learner could pass by picking the longest).
    """
    from ..validation import validate as run

    targets = list(paths or [lessons_dir.expanduser() if lessons_dir else builtin_lessons_dir()])
    report = run(targets)
    if as_json:
        def rows(found: list) -> list[dict]:
            return [{"file": str(p.file), "line": p.line, "field": p.field,
                     "message": p.message} for p in found]

        write_json({"ok": report.ok, "files": [str(f) for f in report.files],
                    "problems": rows(report.problems), "warnings": rows(report.warnings)})
        if not report.ok:
            raise typer.Exit(1)
        return
    for problem in report.problems:
        echo(str(problem), err=True)
    for warning in report.warnings:  # after the problems; the exit status ignores them
        echo(str(warning), err=True)
    n = len(report.files)
    if report.ok:
        echo(f"{n} lesson file(s) valid.")
        return
    echo(f"{len(report.problems)} problem(s) in {n} lesson file(s).", err=True)
    raise typer.Exit(1)


def register(app: typer.Typer, only: str | None = None) -> None:
    """Add this module's commands to ``app`` (just ``only``, when named)."""
    if only in (None, "lessons"):
        app.add_typer(lessons_app, name="lessons")
    if only in (None, "prompt"):
        app.command("prompt")(prompt)
    if only in (None, "validate"):
        app.command("validate")(validate)
