"""`progress` and `notes`: where you are, and what to take away."""

from pathlib import Path
from typing import Annotated

import typer

from ._common import (
    LessonsDir,
    Yes,
    confirm,
    course,
    handled,
    open_store,
    out_console,
    write_json,
)


@handled
def progress(
    reset: Annotated[bool, typer.Option("--reset", help="Forget progress (all, or LESSON's). "
                                        "Answers are kept.")] = False,
    lesson: Annotated[str | None, typer.Argument(help="With --reset: only this lesson.",
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
                typer.echo("Nothing changed.")
                raise typer.Exit(1)
            store.reset_progress(target)
            typer.echo(f"Forgot {what}. Stored answers are kept.")
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
    lesson: Annotated[str | None, typer.Argument(help="Lesson id or number (default: all "
                                                    "lessons started).",
                                                    show_default=False)] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to this "
                                                   "file instead of printing.")] = None,
    lessons_dir: LessonsDir = None,
) -> None:
    """Study notes in Markdown: points, your answer, takeaways, quiz results, reading."""
    from ..notes import study_notes

    c = course(lessons_dir)
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
            parts.append(study_notes(x, p, answer, label))
    if not parts:
        typer.echo("No lesson started yet: run `mlops-primer learn`, or name a lesson.", err=True)
        raise typer.Exit(1)
    text = "\n\n---\n\n".join(parts)
    if output:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            from ..errors import PrimerError

            raise PrimerError(f"cannot write {output}: {exc.strerror}",
                              hint="name a file in a folder you can write to") from None
        typer.echo(f"Notes written to {output}.")
    else:
        typer.echo(text, nl=False)


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
