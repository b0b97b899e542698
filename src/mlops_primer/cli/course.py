"""`lessons`, `prompt` and `validate`: looking at and checking the course."""

from pathlib import Path
from typing import Annotated

import typer

from ..resources import builtin_lessons_dir
from ._common import (
    Language,
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
    settings,
    write_json,
)

lessons_app = typer.Typer(invoke_without_command=True)  # help: the callback's docstring


@lessons_app.callback()
@handled
def lessons(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    long: Annotated[bool, typer.Option("--long", "-l", help="Each lesson's summary and "
                                       "themes too, even when that is taller than the "
                                       "terminal.")] = False,
    lessons_dir: LessonsDir = None,
) -> None:
    """List the lessons, with your progress and the themes each suggests."""
    if ctx.invoked_subcommand:
        return
    from ..catalog import catalog

    entries = catalog(course_folder(lessons_dir))
    progress, due, labs = learner_glance([e.id for e in entries], labs=True)
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

    console = out_console()
    full = course_list(entries, progress, prog=command(), reviews_due=due, labs=labs)
    # on a screen, the list is read from its top: when the whole of it would scroll its
    # first lessons away, a short form (two lines a lesson) is shown instead. A lesson
    # takes at least four lines in full, so a long course is known to be too tall
    # without drawing it; a short one is measured.
    if not long and console.is_terminal and (
            4 * len(entries) + 4 >= console.height
            or len(console.render_lines(full, pad=False)) >= console.height):
        full = course_list(entries, progress, prog=command(), reviews_due=due, labs=labs,
                           brief=True)
    console.print(full)


def lab_state(state) -> str:  # noqa: ANN001 - a store.LabState, or None
    """A lab's state as `lab list --json` and `progress --json` say it."""
    if state is None:
        return "not_started"
    return "passed" if state.passed else "started"


def _progress_or_empty() -> dict:
    """Progress for the check marks, read-only: a store that does not exist is not created."""
    return learner_glance(None, reviews=False)[0]


def learner_glance(lesson_ids: list[str] | None, *, reviews: bool = True,
                   labs: bool = False) -> tuple[dict, int, dict]:
    """Progress for the check marks, how many reviews are due (of these lessons) and, with
    ``labs``, the labs started (by lesson id), read in one read-only look: a store that
    does not exist is not created."""
    from ..errors import StoreError
    from ..paths import store_file

    path = store_file()
    if not path.exists():  # no learning yet: sqlite3 and the store need not be imported
        return {}, 0, {}
    from ..store import Store, StoreRefused

    try:
        with Store(path, readonly=True) as store:
            progress = store.all_progress()
            due = 0
            if reviews and any(p.done for p in progress.values()):
                try:
                    due = store.count_due(_review_clock(), lesson_ids)
                except StoreError:
                    due = 0  # no review table yet: `learn` will migrate the store
            return progress, due, store.all_labs() if labs else {}
    except StoreRefused as exc:  # newer, or not a database: say why there are no marks
        err_console().print(f"warning: {exc.one_line()}; progress is not shown", markup=False,
                            highlight=False, style="yellow", soft_wrap=True)
        return {}, 0, {}
    except StoreError:
        return {}, 0, {}  # older than this version: `learn` will migrate it


def _review_clock() -> str:
    """Now, as the review's schedule sees it (``MLOPS_PRIMER_CLOCK`` when set), without
    loading the scheduling module when it is not."""
    import os

    from ..store import now_iso

    if os.environ.get("MLOPS_PRIMER_CLOCK", "").strip():
        from ..review import iso, parse_time

        try:
            return iso(parse_time(os.environ["MLOPS_PRIMER_CLOCK"]))
        except ValueError:
            pass  # `review` itself says what is wrong with it
    return now_iso()


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
    language: Language = None,
    lessons_dir: LessonsDir = None,
) -> None:
    """Print the exact messages for a lesson, ready to paste into any chat app.

    With --language (or the `language` setting), they ask for the answer in it.
    """
    from .. import prompts

    c = course(lessons_dir)
    x = c.get(lesson)
    t = x.theme(theme) if theme is not None else x.default_theme
    messages = prompts.render(c, x, t, language=settings(language=language).language)
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
