"""`lab`: the hands-on labs: list, start, check, hint, solution, reset, verify."""

from pathlib import Path
from typing import Annotated

import typer

from ._common import (
    BaseUrl,
    Language,
    LessonsDir,
    Model,
    Timeout,
    Yes,
    as_run,
    command,
    confirm,
    course,
    echo,
    handled,
    out_console,
    settings,
    write_json,
)

lab_app = typer.Typer(
    help="Hands-on labs: build a small piece of MLOps in Python, and the tool checks it.",
    no_args_is_help=True, rich_markup_mode=None,
)

LessonArg = Annotated[str | None, typer.Argument(
    metavar="[LESSON]", help="The lesson (id or number); default: this folder's lab, or the "
    "last one you worked on.", show_default=False)]
DirOpt = Annotated[Path | None, typer.Option(
    "--dir", metavar="DIR", help="The lab's folder.", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _labs(lessons_dir: Path | None):  # noqa: ANN202 - the store stays open for the caller
    from ..labs.learner import Labs
    from ..store import open_store

    store = open_store()
    return store, Labs(store, course(lessons_dir))


def _state_word(state) -> str:  # noqa: ANN001
    if state is None:
        return "not started"
    return "passed" if state.passed else "started"


@lab_app.command("list")
@handled
def lab_list(as_json: JsonOpt = False, lessons_dir: LessonsDir = None) -> None:
    """The labs, and where you are with each.
    """
    from ..ui.safe import clean

    store, labs = _labs(lessons_dir)
    with store:
        rows = [(x, store.lab(x.id)) for x in labs.with_labs()]
    if as_json:
        write_json([{"lesson": x.id, "order": x.order, "title": x.lab.title,
                     "minutes": x.lab.minutes, "state": _state_word(s).replace(" ", "_"),
                     "workspace": s.workspace if s else None,
                     "checks": s.checks if s else 0} for x, s in rows])
        return
    if not rows:
        echo("This course has no labs.")
        return
    marks = {"passed": "✓", "started": "…", "not started": " "}
    for x, s in rows:
        word = _state_word(s)
        # two short lines, as `lessons` draws them: one long line would be cut mid-word
        # by an 80-column terminal
        echo(f"{x.order:>3}. {marks[word]} {clean(x.lab.title)}  ({x.lab.minutes} min)")
        echo(f"       {word} · lesson id: {x.id}")
    echo(f"\nStart one with: {command('lab start LESSON')}")


@lab_app.command("start")
@handled
def lab_start(
    lesson: Annotated[str, typer.Argument(metavar="LESSON", help="The lesson (id or number).")],
    folder: DirOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Start again in a folder that has "
                                        "files (they are kept aside).")] = False,
    yes: Yes = False,
    lessons_dir: LessonsDir = None,
) -> None:
    """Make the lab's folder: the task, starter files and fresh data.
    """
    store, labs = _labs(lessons_dir)
    with store:
        target = labs.lesson(lesson)
        if labs.third_party and not yes:
            echo(f"The course in {labs.course.folder} is not the one that ships with "
                       "mlops-primer. Its lab starter files are Python code that you will run.")
            if not confirm("Write them into your lab folder?"):
                echo("Nothing written.")
                raise typer.Exit(1)
        path = labs.start(target.id, folder, overwrite=force)
    echo(f"Lab ready in {path}")
    echo(f"Read {path / 'TASK.md'}, edit {', '.join(target.lab.files)}, then run:")
    echo(f"  {command('lab check ' + target.id)}")


@lab_app.command("check")
@handled
def lab_check(lesson: LessonArg = None, folder: DirOpt = None, as_json: JsonOpt = False,
              lessons_dir: LessonsDir = None) -> None:
    """Run the checks on fresh data: one line per check. Exit 0 when all pass, 1 otherwise.
    """
    from ..ui.safe import clean

    store, labs = _labs(lessons_dir)
    with store:
        result = labs.check(lesson, folder)
    if as_json:
        write_json({"lesson": result.lesson_id, "passed": result.passed,
                    "findings": [f.as_dict() for f in result.findings],
                    "solution_unlocked": result.solution_unlocked})
    else:
        from rich.text import Text

        from ..ui.course_list import Hanging

        console = out_console()
        for f in result.findings:
            mark, style = ("✓", "green") if f.passed else ("✗", "red")
            console.print(Hanging(Text(mark, style=style), Text(clean(f.line())), indent=2))
        passed = sum(f.passed for f in result.findings)
        total = len(result.findings)
        if result.passed:
            echo(f"\nAll {total} checks passed." + (" Lab done: it is in your progress."
                                                          if result.first_pass else ""))
        else:
            echo(f"\n{passed} of {total} checks passed. Stuck? {command('lab hint')} "
                       f"{result.lesson_id}" + ("  (or: lab solution)"
                                                if result.solution_unlocked else ""))
    if not result.passed:
        raise typer.Exit(1)


@lab_app.command("hint")
@handled
def lab_hint(lesson: LessonArg = None, folder: DirOpt = None,
             offline: Annotated[bool, typer.Option(
                 "--offline", help="Only the course's own hints; ask no LLM.")] = False,
             model: Model = None, base_url: BaseUrl = None, timeout: Timeout = None,
             language: Language = None, lessons_dir: LessonsDir = None) -> None:
    """The next hint (each one tells a little more).

    After the course's hints, with an LLM configured, the coach writes one for your
    failing check and your file; it never shows the solution.
    """
    from rich.text import Text

    from ..ui.safe import clean

    s = None if offline else settings(model, base_url, timeout, language=language)
    store, labs = _labs(lessons_dir)
    with store:
        hint = labs.next_hint(lesson, folder, settings=s)
    console = out_console()

    def say(text: str, style: str = "") -> None:  # wrapped at words, never mid-word
        console.print(Text(clean(text), style=style))

    if hint.note:
        say(f"({as_run(hint.note)})", "dim")
    if hint.origin == "coach":
        say(f"Coach's hint for \"{hint.check}\":", "bold")
        say(hint.text)
        say(f"({hint.label}; it never shows the solution)", "dim")
        return
    say(f"Hint {hint.number}/{hint.total}: {hint.text}")
    if hint.number == hint.total and not hint.note:
        if hint.coach_ready:
            say("That was the course's last hint. Still stuck after your next "
                f"`{command('lab check')}`? `{command('lab hint')}` then asks the coach for "
                "one written for your failing check.", "dim")
        else:
            solution = command("lab solution" + (f" {lesson}" if lesson else ""))
            say(f"That was the last hint. `{solution}` shows the reference solution once a "
                "check has passed, or after three checks that failed.")


@lab_app.command("solution")
@handled
def lab_solution(lesson: LessonArg = None, folder: DirOpt = None,
                 lessons_dir: LessonsDir = None) -> None:
    """The reference solution, written beside your files (never over them).

    Opens after a pass, or after three checks that failed.
    """
    store, labs = _labs(lessons_dir)
    with store:
        path = labs.solution(lesson, folder)
    echo(f"The reference solution is in {path} (your own files are untouched).")


@lab_app.command("reset")
@handled
def lab_reset(lesson: LessonArg = None, folder: DirOpt = None, yes: Yes = False,
              lessons_dir: LessonsDir = None) -> None:
    """Back to the starter files; yours are kept aside in a kept-TIME folder.
    """
    store, labs = _labs(lessons_dir)
    with store:
        target, path = labs.find(lesson, folder)
        if not yes and not confirm(f"Put the starter files back in {path}?"):
            echo("Nothing changed.")
            raise typer.Exit(1)
        kept = labs.reset(target.id, path)
    echo(f"Starter files are back in {path}." +
               (f" Yours are in {kept}." if kept else ""))


@lab_app.command("verify")
@handled
def lab_verify(
    seeds: Annotated[int, typer.Option("--seeds", min=1, max=50,
                                       help="How many seeds to try each lab with.")] = 3,
    as_json: JsonOpt = False,
    lessons_dir: LessonsDir = None,
) -> None:
    """For course authors: every starter fails its checks and every solution passes.
    """
    from ..labs import verify

    c = course(lessons_dir)
    verdicts = []
    for lesson in c.lessons:
        if lesson.lab is None:
            continue
        for v in verify(lesson, c.folder, list(range(1, seeds + 1))):
            verdicts.append(v)
            if not as_json:
                line = f"{'ok  ' if v.ok else 'FAIL'} {v.lesson_id} (seed {v.seed})"
                echo(line + (f": {v.problem}" if v.problem else ""))
    bad = [v for v in verdicts if not v.ok]
    if as_json:
        write_json([{"lesson": v.lesson_id, "seed": v.seed, "ok": v.ok, "problem": v.problem}
                    for v in verdicts])
    else:
        labs_n = len({v.lesson_id for v in verdicts})
        echo(f"{labs_n} lab(s), {len(verdicts) - len(bad)} of {len(verdicts)} runs as "
                   "expected.")
    if bad:
        raise typer.Exit(1)


def register(app: typer.Typer, only: str | None = None) -> None:
    """Add this module's commands to ``app`` (just ``only``, when named)."""
    if only in (None, "lab"):
        app.add_typer(lab_app, name="lab")
