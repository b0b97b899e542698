"""`learn`: the course, interactively or one lesson with no questions asked."""

import sys
from typing import Annotated

import typer

from ..errors import Interrupted, LLMError, NoAnswerError
from ._common import (
    BaseUrl,
    Context,
    LessonsDir,
    MaxTokens,
    Model,
    Timeout,
    course,
    err_console,
    handled,
    out_console,
    settings,
)


@handled
def learn(
    lesson: Annotated[str | None, typer.Argument(help="Start with this lesson (id or "
                                                    "number).", show_default=False)] = None,
    theme: Annotated[str | None, typer.Option("--theme", "-t", help="Theme id, or any world "
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
    lessons_dir: LessonsDir = None,
) -> None:
    """Take the course: menu, lesson, metaphor world, answer, takeaways, quiz, notes."""
    from ..store import open_store
    from ..tutor import Tutor

    c = course(lessons_dir)
    start = c.get(lesson) if lesson else None
    if start is not None and theme is not None:
        start.theme(theme)  # a bad theme fails now, before anything else happens
    s = settings(model, base_url, timeout, max_tokens=max_tokens, context=context)
    console = out_console(plain)
    with open_store() as store:
        if store.notice:
            typer.echo(store.notice, err=True)
        tutor = Tutor(c, store, s, offline=offline, no_cache=no_cache)
        if no_input:
            if start is None:
                raise typer.BadParameter("--no-input needs a LESSON", param_hint="LESSON")
            _one_shot(tutor, start, theme, console)
            return
        from ..walkthrough import Walkthrough

        try:
            Walkthrough(tutor, console).run(start, theme)
        except (KeyboardInterrupt, Interrupted) as exc:
            where = f" {start.id}" if start else ""
            msg = exc.one_line() if isinstance(exc, Interrupted) else (
                f"stopped; your progress is saved - run `mlops-primer learn{where}` to continue"
            )
            from rich.text import Text

            # wrapped at words to the terminal's width, not cut mid-word by the terminal
            err_console().print(Text(f"\n{msg}", style="yellow"))
            raise typer.Exit(130) from None


def _one_shot(tutor, lesson, theme_text, console) -> None:  # noqa: ANN001 - internal
    from ..tutor import ReplayAvailable
    from ..ui.stream import MarkdownStream, render_markdown

    theme = lesson.theme(theme_text) if theme_text is not None else lesson.default_theme
    notice = tutor.offline_notice()
    if notice:
        typer.echo(notice, err=True)
    view = MarkdownStream(console, plain=not console.is_terminal)
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
    if reply.origin == "llm":
        view.close()
    else:
        render_markdown(console, reply.text, plain=not console.is_terminal)
    typer.echo(f"({reply.label})", err=True)
    if reply.truncated:
        limit = f" of {tutor.settings.max_tokens} tokens" if reply.origin == "llm" else ""
        typer.echo(f"note: the answer reached the length limit{limit} and stops there - ask "
                   "again with --no-cache, or raise the limit with --max-tokens 3000", err=True)
    sys.stdout.flush()


def _quote(text: str) -> str:
    return text if text.replace("-", "").isalnum() else f'"{text}"'


def register(app: typer.Typer, only: str | None = None) -> None:
    """Add this module's commands to ``app`` (just ``only``, when named)."""
    if only in (None, "learn"):
        app.command("learn")(learn)
