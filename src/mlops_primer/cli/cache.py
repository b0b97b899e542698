"""`cache`: the answers you have been given, to list, show, clear, export and import."""

from pathlib import Path
from typing import Annotated

import typer

from ..errors import PrimerError, StoreError
from ._common import Yes, command, confirm, course_folder, echo, handled, out_console, write_json

cache_app = typer.Typer(help="Look after the stored answers (replayed offline).",
                        no_args_is_help=True)


def _store():  # noqa: ANN202
    from ..store import open_store

    return open_store()


@cache_app.command("list")
@handled
def cache_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List stored answers."""
    with _store() as store:
        answers = store.answers()
    if as_json:
        write_json([
            {"id": a.id, "kind": a.kind, "lesson_id": a.lesson_id, "theme_id": a.theme_id,
             "theme_label": a.theme_label, "model": a.model, "host": a.host, "source": a.source,
             "created_at": a.created_at, "words": len(a.answer.split()),
             "latency_ms": a.latency_ms}
            for a in answers
        ])
        return
    if not answers:
        out_console().print(_empty_cache_text())  # wrapped at words, not mid-word
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for col in ("id", "lesson", "theme", "model", "from", "date", "words"):
        table.add_column(col)
    for a in answers:
        table.add_row(str(a.id), a.lesson_id or "", (a.theme_label or "")[:30], a.model,
                      a.source, a.created_at[:10], str(len(a.answer.split())))
    out_console().print(table)


def _empty_cache_text() -> str:
    """Where offline answers come from when none are stored: the course pack."""
    import os

    env = os.environ.get("MLOPS_PRIMER_LESSONS")
    pack = course_folder(Path(env) if env else None) / "pack"
    return (f"No answers stored yet. Offline, `{command('learn')}` uses the ready-made "
            f"answers that ship with the course (in {pack}); answers an LLM gives you are "
            f"stored here as you go, and `{command('cache import FILE')}` adds a pack "
            "from a teacher.")


@cache_app.command("show")
@handled
def cache_show(answer_id: Annotated[int, typer.Argument(metavar="ID",
                                                          help="Answer id (see `cache list`).")],
               plain: Annotated[bool, typer.Option("--plain")] = False) -> None:
    """Show one stored answer."""
    from ..ui.stream import render_markdown

    with _store() as store:
        a = store.get(answer_id) if abs(answer_id) < 2**63 else None  # SQLite's INTEGER
    if a is None:
        raise StoreError(f"no answer with id {answer_id}",
                         hint=f"see `{command('cache list')}`")
    console = out_console(plain)
    echo(f"({a.lesson_id} x {a.theme_label}: {a.model}, {a.created_at[:10]})", err=True)
    render_markdown(console, a.answer, plain=plain)


@cache_app.command("clear")
@handled
def cache_clear(yes: Yes = False) -> None:
    """Delete every stored answer (your progress is kept)."""
    with _store() as store:
        n = store.count_answers()
        if n == 0:
            echo("The cache is already empty.")
            return
        if not yes and not confirm(f"Delete {n} stored answer(s)?"):
            echo("Nothing deleted.")
            raise typer.Exit(1)
        store.clear_answers()
    echo(f"Deleted {n} answer(s).")


@cache_app.command("path")
@handled
def cache_path() -> None:
    """Print where the store lives."""
    from ..paths import store_file

    echo(str(store_file()))


@cache_app.command("export")
@handled
def cache_export(file: Annotated[Path, typer.Argument(
        metavar="FILE", help="JSONL file to write.")]) -> None:
    """Write every stored answer to a portable JSONL pack (prompts and answers; no secrets)."""
    import json
    import os

    from ..pack import record

    with _store() as store:
        answers = store.answers()
    if not file.name:  # '', '.' or '/': with_name() would raise
        raise PrimerError(f"cannot write {file}: it is a folder",
                          hint="name a file, e.g. answers.jsonl")
    tmp = file.with_name(file.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            for a in answers:
                rec = record(messages=a.messages, answer=a.answer, model=a.model,
                             created_at=a.created_at, kind=a.kind, lesson_id=a.lesson_id,
                             theme_id=a.theme_id, theme_label=a.theme_label,
                             finish_reason=a.finish_reason, host=a.host,
                             prompt_tokens=a.prompt_tokens,
                             completion_tokens=a.completion_tokens, latency_ms=a.latency_ms)
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        os.replace(tmp, file)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise PrimerError(f"cannot write {file}: {exc.strerror}") from None
    echo(f"Exported {len(answers)} answer(s) to {file}.")


@cache_app.command("import")
@handled
def cache_import(file: Annotated[Path, typer.Argument(
        metavar="FILE", help="JSONL pack to read.")]) -> None:
    """Import a JSONL pack; every record is checked before it is stored."""
    from ..pack import import_pack

    with _store() as store:
        result = import_pack(store, file)
    shown = 10  # a wrong file would otherwise print a line for each of its lines
    for r in result.rejected[:shown]:
        echo(f"rejected: {file}:{r.line}: {r.reason}", err=True)
    if len(result.rejected) > shown:
        echo(f"rejected: ... and {len(result.rejected) - shown} more", err=True)
    echo(f"{result.added} added, {result.present} already present, "
               f"{len(result.rejected)} rejected.")
    if result.rejected:
        raise typer.Exit(1)


def register(app: typer.Typer, only: str | None = None) -> None:
    """Add this module's commands to ``app`` (just ``only``, when named)."""
    if only in (None, "cache"):
        app.add_typer(cache_app, name="cache")



__all__ = ["register", "PrimerError"]
