"""`progress` and `notes`: where you are, and what to take away."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from ._common import (
    LessonsDir,
    Yes,
    command,
    complete_lesson,
    confirm,
    course,
    echo,
    handled,
    open_store,
    out_console,
    write_json,
)


@handled
def progress(
    reset: Annotated[bool, typer.Option("--reset", help="Forget progress (all, or LESSON's). "
                                        "Answers are kept.")] = False,
    lesson: Annotated[str | None, typer.Argument(
            metavar="LESSON", help="With --reset: only this lesson.",
                                                    show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    yes: Yes = False,
    lessons_dir: LessonsDir = None,
) -> None:
    """Show lessons done, themes chosen, quiz scores and time spent."""
    from ..ui import views

    c = course(lessons_dir)
    with open_store() as store:
        if reset:
            target = c.get(lesson).id if lesson else None
            what = f"your progress in '{target}'" if target else "all your progress"
            if not yes and not confirm(f"Forget {what}?"):
                echo("Nothing changed.")
                raise typer.Exit(1)
            store.reset_progress(target)
            echo(f"Forgot {what}. Stored answers are kept.")
            return
        if lesson:
            raise typer.BadParameter("a LESSON goes with --reset", param_hint="LESSON")
        data = store.all_progress()
        labs = store.all_labs()
    if as_json:
        write_json([
            {
                "id": x.id,
                "order": x.order,
                "done": bool(data.get(x.id) and data[x.id].done),
                "step": data[x.id].step if x.id in data else None,
                "theme_id": data[x.id].theme_id if x.id in data else None,
                "theme": data[x.id].theme_label if x.id in data else None,
                "quiz_score": data[x.id].quiz_score if x.id in data else None,
                "quiz_total": data[x.id].quiz_total if x.id in data else None,
                "seconds_spent": data[x.id].seconds_spent if x.id in data else 0,
                "completed_at": data[x.id].completed_at if x.id in data else None,
                "lab": None if x.lab is None else (
                    "passed" if x.id in labs and labs[x.id].passed
                    else "started" if x.id in labs else "not_started"),
            }
            for x in c.lessons
        ])
        return
    out_console().print(views.progress_table(c, data))


@handled
def notes(
    lesson: Annotated[str | None, typer.Argument(
            metavar="LESSON", autocompletion=complete_lesson,
            help="Lesson id or number (default: all lessons started).",
            show_default=False)] = None,
    output: Annotated[Path | None, typer.Option(
            "-o", "--output", metavar="FILE",
            help="Write to this file (or into this folder); - prints them.")] = None,
    here: Annotated[bool, typer.Option("--here", help="Write into the current folder "
                                       "instead of your notes folder.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the notes as JSON; write "
                                          "nothing.")] = False,
    lessons_dir: LessonsDir = None,
) -> None:
    """Study notes in Markdown: points, your answer, takeaways, quiz results, reading.

    They are written to your notes folder (see the first line printed), one file per
    lesson, unless you name a FILE or ask for --here.
    """
    from ..notes import notes_file_name, notes_folder

    if here and output is not None:
        raise typer.BadParameter("give --here or -o, not both", param_hint="--here")
    c = course(lessons_dir)
    parts = _notes(c, lesson)
    if not as_json:  # files are read in a terminal too (`cat`, a pager): cleaned like the screen
        from ..ui.safe import clean

        parts = [(x, clean(text)) for x, text in parts]
    if not parts:
        typer.echo(f"No lesson started yet: run `{command('learn')}`, or name a lesson.",
                   err=True)
        raise typer.Exit(1)
    if as_json:
        write_json([{"lesson": x.id, "title": x.title, "markdown": text} for x, text in parts])
        return
    if output is not None and str(output) == "-":
        echo("\n\n---\n\n".join(text for _, text in parts), nl=False)
        return
    if output is not None and not output.expanduser().is_dir():
        _write_asking(output.expanduser(), "\n\n---\n\n".join(text for _, text in parts),
                      output.name)
        return
    folder = output.expanduser() if output is not None else Path.cwd() if here else notes_folder()
    for x, text in parts:
        _write_asking(folder / notes_file_name(x.id), text, notes_file_name(x.id))


def _notes(c, lesson: str | None) -> list:  # noqa: ANN001
    """(lesson, Markdown) for the lesson named, else for every lesson started."""
    from ..notes import study_notes

    chosen = [c.get(lesson)] if lesson else list(c.lessons)
    parts = []
    with open_store() as store:
        all_progress = store.all_progress()
        for x in chosen:
            p = all_progress.get(x.id)
            if lesson is None and p is None:
                continue
            answer = label = None
            if p is not None and p.answer_id is not None:
                stored = store.get(p.answer_id)
                if stored is not None:
                    answer, label = stored.answer, f"{stored.model}, {stored.created_at[:10]}"
            if answer is None and p is not None and p.theme_label:
                answer, label = _pack_answer(c, x, p)
            parts.append((x, study_notes(x, p, answer, label,
                                         review_items=store.review_items(x.id),
                                         lab=store.lab(x.id))))
    return parts


def _write_asking(target: Path, text: str, name: str) -> None:
    """Write the notes and say where; when that fails at a terminal, ask for another
    file or folder (for a folder, the file is ``name`` in it; Enter gives up), else fail
    with the reason."""
    from ..errors import PrimerError
    from ..notes import write_notes

    while True:
        try:
            written = write_notes(target, text)
        except PrimerError as exc:
            if not (sys.stdin.isatty() and sys.stdout.isatty()):
                raise
            typer.echo(exc.message, err=True)
            raw = typer.prompt("Another file or folder (Enter gives up)", default="",
                               show_default=False, err=True).strip()
            if not raw:
                raise typer.Exit(1) from None
            target = Path(raw).expanduser()
            if target.is_dir():
                target = target / name
            continue
        typer.echo(f"Notes written to {written}")
        return


def _pack_answer(c, lesson, p):  # noqa: ANN001, ANN202
    from .. import prompts
    from ..pack import find_pack_answer

    theme = lesson.theme(p.theme_label)
    messages = prompts.render(c, lesson, theme)
    found = find_pack_answer(c, lesson, theme, prompts.messages_hash(messages))
    if found is None:
        return None, None
    return found.text, f"offline answer from the course pack: {found.author}, {found.date}"


def register(app: typer.Typer, only: str | None = None) -> None:
    """Add this module's commands to ``app`` (just ``only``, when named)."""
    if only in (None, "progress"):
        app.command("progress")(progress)
    if only in (None, "notes"):
        app.command("notes")(notes)
