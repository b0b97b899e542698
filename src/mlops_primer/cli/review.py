"""`review`: a short spaced-review session, or what is due (``--due``) and scheduled
(``--all``), for people and scripts."""

import shutil
from typing import Annotated

import typer

from ._common import (
    LessonsDir,
    command,
    course,
    echo,
    handled,
    open_store,
    out_console,
    write_json,
)


@handled
def review(
    due: Annotated[bool, typer.Option("--due", help="List what is due now, without "
                                      "asking anything.")] = False,
    all_items: Annotated[bool, typer.Option("--all", help="List every scheduled item, with "
                                            "its box and when it is due.")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", metavar="N", help="Items in a "
                                       "session (1-50).")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="With --due or --all: print JSON, "
                                          "for scripts.")] = False,
    plain: Annotated[bool, typer.Option("--plain", help="Plain text, no colours.")] = False,
    lessons_dir: LessonsDir = None,
) -> None:
    """Review what you learned: about ten quiz questions, terms and ideas that are due,
    the ones you missed first (offline; spaced over 1, 3, 7, 14 and 30 days)."""
    from ..reviewing import Reviewer, clock

    if due and all_items:
        raise typer.BadParameter("choose one of --due and --all", param_hint="--all")
    if as_json and not (due or all_items):
        raise typer.BadParameter("--json goes with --due or --all (a session asks questions)",
                                 param_hint="--json")
    if not 1 <= limit <= 50:
        raise typer.BadParameter(f"{limit} is not a number of items from 1 to 50",
                                 param_hint="--limit")
    clock()  # a bad MLOPS_PRIMER_CLOCK fails now, in one line
    c = course(lessons_dir)
    with open_store() as store:
        from ..tutor import learner_id

        reviewer = Reviewer(c, store, seed=learner_id(store.path.parent))
        if due or all_items:
            _listing(reviewer, all_items=all_items, as_json=as_json)
            return
        from ..review_walk import ReviewSession

        ReviewSession(reviewer, out_console(plain), prog=command()).run(limit)


def _row(reviewer, item) -> dict:  # noqa: ANN001
    """One item for JSON: where it stands, and what it asks."""
    lesson = next(x for x in reviewer.course.lessons if x.id == item.lesson_id)
    card = reviewer.card(item, lesson)
    return {"lesson": item.lesson_id, "lesson_order": lesson.order, "kind": item.kind,
            "key": item.key, "box": item.box, "due_at": item.due_at,
            "misses": item.misses, "last_missed": item.last_missed, "detail": item.detail,
            "prompt": card.prompt if card is not None else ""}


def _listing(reviewer, *, all_items: bool, as_json: bool) -> None:  # noqa: ANN001
    from .. import review as schedule
    from ..reviewing import KIND_NAMES, when

    now = reviewer.clock()
    stamp = schedule.iso(now)
    items = schedule.scheduled(reviewer.items()) if all_items else reviewer.due()
    nxt = reviewer.next_due()
    if as_json:
        rows = [{**_row(reviewer, i), "due": i.due_at <= stamp} for i in items]
        write_json({"now": stamp, ("items" if all_items else "due"): rows, "next_due": nxt})
        return
    if not items:
        if not reviewer.items():
            echo(f"Nothing to review yet: finish a lesson (`{command('learn')}`) and its "
                 "quiz questions and terms are scheduled here.")
        else:
            echo("Nothing is due for review now." + (
                f" The next item is due {when(nxt, now)} ({nxt[:16].replace('T', ' ')} UTC)."
                if nxt else ""))
        return
    title = "Scheduled for review" if all_items else "Due for review now"
    echo(f"{title} ({len(items)}):")
    # each item in two lines that fit the terminal: one long line was cut mid-word
    room = max(30, min(shutil.get_terminal_size().columns, 88) - 7)
    for n, item in enumerate(items, start=1):
        row = _row(reviewer, item)
        what = row["prompt"] if item.kind != "term" else item.key
        what = " ".join(what.split())
        if len(what) > room:
            what = what[:room].rsplit(" ", 1)[0].rstrip(",;:") + "…"
        missed = f", missed {item.misses}x" if item.misses else ""
        due_words = when(item.due_at, now)
        echo(f"{n:>3}. {KIND_NAMES.get(item.kind, item.kind)}, lesson {row['lesson_order']} "
             f"(box {item.box}{missed}, due {due_words})")
        echo(f"       {what}")
    if not all_items:
        echo(f"Run `{command('review')}` to answer them.")


def register(app: typer.Typer, only: str | None = None) -> None:
    """Add this module's command to ``app``."""
    if only in (None, "review"):
        app.command("review")(review)
