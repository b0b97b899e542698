"""`learn`: the course, interactively or one lesson with no questions asked."""

import sys
from typing import Annotated

import typer

from ..errors import Interrupted, LLMError, NoAnswerError
from ._common import (
    FLAGS,
    BaseUrl,
    Context,
    Language,
    LessonsDir,
    MaxTokens,
    Model,
    Timeout,
    as_run,
    command,
    complete_lesson,
    complete_theme,
    course,
    echo,
    err_console,
    handled,
    out_console,
    settings,
    write_json,
)


@handled
def learn(
    lesson: Annotated[str | None, typer.Argument(
            metavar="LESSON", autocompletion=complete_lesson,
            help="Start with this lesson (id or "
                                                    "number).", show_default=False)] = None,
    theme: Annotated[str | None, typer.Option(
            "--theme", "-t", metavar="THEME", autocompletion=complete_theme,
            help="Theme id, or any world "
                                                 "in your own words.")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Replay answers only; open no "
                                          "network connection.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Ask the LLM again even when an "
                                           "answer is cached (both are kept).")] = False,
    no_input: Annotated[bool, typer.Option("--no-input", help="Run one lesson and ask "
                                           "nothing (for scripts).")] = False,
    plain: Annotated[bool, typer.Option("--plain", help="Plain text, no colours or "
                                        "animation.")] = False,
    model: Model = None,
    base_url: BaseUrl = None,
    timeout: Timeout = None,
    max_tokens: MaxTokens = None,
    context: Context = None,
    language: Language = None,
    lessons_dir: LessonsDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="With --no-input: the answer and "
                                          "where it came from, as JSON.")] = False,
) -> None:
    """Take the course: menu, lesson, world, answer, explain it back, takeaways, quiz, lab,
    notes."""
    from ..store import open_store
    from ..tutor import Tutor

    if as_json and not no_input:
        raise typer.BadParameter("--json goes with --no-input (one lesson, no questions)",
                                 param_hint="--json")
    c = course(lessons_dir)
    start = c.get(lesson) if lesson else None
    if start is not None and theme is not None:
        start.theme(theme)  # a bad theme fails now, before anything else happens
    s = settings(model, base_url, timeout, max_tokens=max_tokens, context=context,
                 language=language)
    # one answer into a pipe (or --plain): written by ui.plain, with no rich console made
    console = None if no_input and _plain_out(plain) else out_console(plain)
    with open_store() as store:
        if store.notice:
            echo(as_run(store.notice), err=True)
        tutor = Tutor(c, store, s, offline=offline, no_cache=no_cache)
        if no_input:
            if start is None:
                raise typer.BadParameter("--no-input needs a LESSON", param_hint="LESSON")
            _one_shot(tutor, start, theme, console, as_json=as_json)
            return
        try:
            _walkthrough()(tutor, console).run(start, theme)
        except (KeyboardInterrupt, Interrupted) as exc:
            where = f" {start.id}" if start else ""
            msg = exc.one_line() if isinstance(exc, Interrupted) else (
                f"stopped; your progress is saved - run `{command('learn' + where)}` to "
                "continue"
            )
            from rich.text import Text

            # wrapped at words to the terminal's width, not cut mid-word by the terminal
            err_console().print(Text(f"\n{as_run(msg)}", style="yellow"))
            raise typer.Exit(130) from None


def _walkthrough():  # noqa: ANN202 - the class, imported only for the interactive course
    """The interactive flow, its lines naming commands the way the learner runs them."""
    from ..walkthrough import Walkthrough

    class NamedWalkthrough(Walkthrough):
        def say(self, text: str, style: str | None = None) -> None:
            super().say(as_run(text), style)

        def command(self, words: str) -> str:
            return command(words)

    return NamedWalkthrough


class _Collect:
    """Stands in for the streaming view with --json: shows nothing while the answer comes
    (the reply holds all of it)."""

    def feed(self, text: str) -> None:
        pass

    def abort(self) -> None:
        pass


def _one_shot(tutor, lesson, theme_text, console, *, as_json: bool = False) -> None:  # noqa: ANN001
    from ..tutor import ReplayAvailable

    plain = console is None or not console.is_terminal
    if plain:  # a pipe or --plain: no Markdown renderer to import (ui.plain says why)
        from ..ui.plain import PlainStream, write_plain
    else:
        from ..ui.stream import MarkdownStream, render_markdown
    theme = lesson.theme(theme_text) if theme_text is not None else lesson.default_theme
    for notice in (tutor.offline_notice(), tutor.language_notice()):
        if notice:
            echo(as_run(notice), err=True)
    view = (_Collect() if as_json else
            PlainStream(console.file if console is not None else sys.stdout) if plain else
            MarkdownStream(console))
    try:
        reply = tutor.answer(lesson, theme, view.feed)
    except KeyboardInterrupt:
        view.abort()
        raise Interrupted(
            "stopped; the partial answer was not stored",
            hint=f"run `mlops-primer learn {lesson.id} --theme {_quote(theme.label)}` again",
        ) from None
    except ReplayAvailable as exc:
        view.abort()
        # a course-pack answer is no "earlier answer" of the learner's: say which it is
        what = ("an earlier answer exists" if exc.replay.origin == "cache"
                else "an offline answer exists")
        hint = exc.cause.hint or ""
        if "--offline" in hint:  # the cause already suggests it: say why it will work
            hint = hint.replace("--offline", f"--offline ({what})")
        else:
            hint = "; ".join(h for h in (hint, f"{what}: add --offline to replay it") if h)
        raise LLMError(exc.cause.message, hint=hint) from None
    except (NoAnswerError, LLMError):
        view.abort()
        raise
    lab = None if lesson.lab is None else {
        "title": lesson.lab.title, "minutes": lesson.lab.minutes,
        "start": command(f"lab start {lesson.id}")}  # named only: --no-input starts nothing
    if as_json:
        write_json({"lesson": lesson.id, "theme": theme.label, "theme_id": theme.id,
                    "origin": reply.origin, "label": reply.label, "model": reply.model,
                    "answer_id": reply.answer_id, "answer": reply.text, "lab": lab})
        return
    if reply.origin == "llm":
        view.close()
    elif plain:
        write_plain(console.file if console is not None else sys.stdout, reply.text)
    else:
        render_markdown(console, reply.text)
    echo(f"({reply.label})", err=True)
    if reply.truncated:
        limit = f" of {tutor.settings.max_tokens} tokens" if reply.origin == "llm" else ""
        echo(f"note: the answer reached the length limit{limit} and stops there - ask "
                   "again with --no-cache, or raise the limit with --max-tokens 3000", err=True)
    if lab is not None:
        echo(f"Lab: {lesson.lab.title} (about {lesson.lab.minutes} min, plain Python). "
             f"Start it with: {lab['start']}", err=True)
    sys.stdout.flush()


def _plain_out(plain: bool) -> bool:
    """Whether stdout gets plain text, known without making a rich console: --plain, or
    not a terminal (unless FORCE_COLOR or TTY_COMPATIBLE asks rich for a terminal's
    output anyway; then rich decides)."""
    import os

    if plain or FLAGS.plain:
        return True
    forced = any(os.environ.get(v) for v in ("FORCE_COLOR", "TTY_COMPATIBLE"))
    return not forced and not sys.stdout.isatty()


def _quote(text: str) -> str:
    return text if text.replace("-", "").isalnum() else f'"{text}"'


def register(app: typer.Typer, only: str | None = None) -> None:
    """Add this module's commands to ``app`` (just ``only``, when named)."""
    if only in (None, "learn"):
        app.command("learn")(learn)
