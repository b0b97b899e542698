"""`pack`: check, stamp and build answer packs."""

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from ._common import (
    BaseUrl,
    LessonsDir,
    MaxTokens,
    Model,
    Timeout,
    course,
    echo,
    handled,
    out_console,
    settings,
    write_json,
)

pack_app = typer.Typer(help="Offline answer packs: check the course's, or build one with an "
                       "LLM.", no_args_is_help=True)


@pack_app.command("check")
@handled
def pack_check(
    lessons_dir: LessonsDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the problems as JSON.")] = False,
) -> None:
    """List missing and stale pack answers; exit 1 if there are any."""
    from ..pack import check

    c = course(lessons_dir)
    issues = check(c)
    if as_json:
        write_json({"ok": not issues, "folder": str(c.pack_dir),
                    "expected": sum(len(x.themes) for x in c.lessons),
                    "problems": [{"kind": i.kind, "file": str(i.path), "detail": i.detail}
                                 for i in issues]})
        if issues:
            raise typer.Exit(1)
        return
    for issue in issues:
        echo(str(issue), err=True)
    total = sum(len(x.themes) for x in c.lessons)
    if issues:
        echo(f"{len(issues)} problem(s) in the pack of {c.folder} ({total} answers "
                   "expected).", err=True)
        raise typer.Exit(1)
    echo(f"The pack answers all {total} lesson x theme prompts; none missing or stale.")


@pack_app.command("stamp")
@handled
def pack_stamp(
    lesson: Annotated[str | None, typer.Argument(metavar="LESSON", help="Only this lesson.",
                                                 show_default=False)] = None,
    lessons_dir: LessonsDir = None,
) -> None:
    """After re-reading answers against a changed prompt, record the new prompt hashes."""
    from ..pack import stamp

    c = course(lessons_dir)
    if lesson:
        c.get(lesson)
    changed = stamp(c, lesson_id=lesson)
    for path in changed:
        echo(f"stamped {path}")
    echo(f"{len(changed)} answer(s) stamped.")


@pack_app.command("build")
@handled
def pack_build(
    output: Annotated[Path, typer.Option(
            "-o", "--output", metavar="FILE", help="JSONL pack to write "
                                         "(resumed if it exists).")],
    concurrency: Annotated[int, typer.Option("--concurrency", "-j", min=1, max=16, metavar="N",
                                             help="Requests at a time.")] = 2,
    model: Model = None,
    base_url: BaseUrl = None,
    timeout: Timeout = None,
    max_tokens: MaxTokens = None,
    lessons_dir: LessonsDir = None,
) -> None:
    """Answer every lesson x suggested theme with an LLM, into a pack `cache import` reads."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ..errors import ConfigError
    from ..llm import OpenAIProvider
    from ..pack import build, build_jobs
    from ..store import now_iso

    c = course(lessons_dir)
    s = settings(model, base_url, timeout, max_tokens=max_tokens)
    if not s.configured:
        raise ConfigError("pack build needs an LLM",
                          hint="set OPENAI_API_KEY, or --base-url for a local server")
    jobs, kept = build_jobs(c, output)
    console = out_console()
    if kept:
        echo(f"{kept} answer(s) already in {output}; kept.", err=True)
    if not jobs:
        echo(f"Nothing to do: {output} is complete.")
        return
    failed: list[str] = []
    written = 0
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, transient=False) as bar:
        task = bar.add_task(f"answering with {s.model}", total=len(jobs))

        def done(job, exc) -> None:  # noqa: ANN001
            nonlocal written
            bar.advance(task)
            if exc is None:
                written += 1
            else:
                failed.append(f"{job.lesson.id} x {job.theme.id}: {exc.one_line()}")

        try:
            result = build(jobs, output, lambda: OpenAIProvider(s), concurrency=concurrency,
                           created_at=now_iso(), on_done=done)
        except KeyboardInterrupt:
            bar.stop()
            echo(f"\nStopped: {written} answer(s) written to {output}; run the same "
                       "command again to finish it.", err=True)
            sys.stdout.flush()
            # requests already under way would hold the exit until they end (the pool's
            # threads are joined at exit); every written answer is already on disk
            os._exit(130)
    for line in failed:
        echo(f"failed: {line}", err=True)
    if result.one_at_a_time:
        echo(f"{result.one_at_a_time} answer(s) were cut off while other requests were "
                   f"in flight: {s.host} seems to answer one request at a time, so the build "
                   "went on one at a time (next time: --concurrency 1).", err=True)
    if result.length_retries:
        echo(f"{result.length_retries} answer(s) reached the length limit of "
                   f"{s.max_tokens} tokens and were asked again (cut-off answers are never "
                   "written; --max-tokens raises the limit).", err=True)
    missing = len(jobs) - written
    where = f"{written} answer(s) written to {output}" if written else "nothing written"
    echo(where + (f"; {missing} not answered (run again to retry them)" if missing
                        else "."))
    if missing:
        raise typer.Exit(1)


def register(app: typer.Typer, only: str | None = None) -> None:
    """Add this module's commands to ``app`` (just ``only``, when named)."""
    if only in (None, "pack"):
        app.add_typer(pack_app, name="pack")
