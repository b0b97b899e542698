"""Rendering a lesson and a theme into the chat messages sent to the LLM.

Templates run in Jinja's sandbox with StrictUndefined: a course file from a stranger
cannot reach Python internals, and a misspelt variable is an error, not a blank.
The learner's theme and questions are passed as values, never compiled as templates,
so ``{{ 7*7 }}`` typed as a theme reaches the LLM exactly as typed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import TemplateError
from .lessons import Course, Lesson, Theme
from .resources import builtin_prompts_dir

SYSTEM_TEMPLATE = "system.j2"
FOLLOWUP_TEMPLATE = "followup.j2"
MAX_QUESTION_CHARS = 1000


@dataclass(frozen=True)
class Message:
    """One chat message."""

    role: str
    content: str

    def as_dict(self) -> dict[str, str]:
        """The OpenAI wire form."""
        return {"role": self.role, "content": self.content}


def prompt_dirs(course: Course) -> tuple[Path, ...]:
    """Where templates are looked up: the course's own ``prompts/`` first, then the shipped ones."""
    own = course.folder / "prompts"
    builtin = builtin_prompts_dir()
    if own.is_dir() and own.resolve() != builtin.resolve():
        return (own, builtin)
    return (builtin,)


MAX_RENDERED_CHARS = 100_000
MAX_EXPONENT = 64
MAX_LOOP_STEPS = 100_000  # all range() steps of one render together

_steps_left: ContextVar[int] = ContextVar("steps_left", default=MAX_LOOP_STEPS)


def _bounded_range(*args: int) -> Iterator[int]:
    """range() for templates: nested loops share one budget, so they cannot spin for hours."""
    from jinja2.sandbox import SecurityError

    for n in range(*args):
        left = _steps_left.get() - 1
        if left < 0:
            raise SecurityError(f"loops ran over {MAX_LOOP_STEPS:,} steps")
        _steps_left.set(left)
        yield n


def _render(template: Any, ctx: dict[str, Any]) -> str:
    """Render with a fresh loop budget."""
    token = _steps_left.set(MAX_LOOP_STEPS)
    try:
        return template.render(**ctx).strip()
    finally:
        _steps_left.reset(token)


def _bounded_binop(env: Any, operator: str, left: Any, right: Any) -> Any:
    """`*` and `**` with limits, so a stranger's template cannot exhaust CPU or memory."""
    from jinja2.sandbox import SecurityError

    if operator == "**":
        if isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is over the limit of {MAX_EXPONENT}")
        return left**right
    if operator == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and (
                len(seq) * n > MAX_RENDERED_CHARS
            ):
                raise SecurityError(f"repeating a sequence {n} times is over the size limit")
        if isinstance(left, int) and isinstance(right, int) and (
            left.bit_length() + right.bit_length() > 4096
        ):
            raise SecurityError("the product of these numbers is over the size limit")
        return left * right
    return env.binop_table[operator](left, right)  # pragma: no cover - only * and ** intercepted


@lru_cache(maxsize=8)
def _environment(dirs: tuple[Path, ...]) -> Any:
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class _Environment(ImmutableSandboxedEnvironment):  # type: ignore[misc]
        intercepted_binops = frozenset(["*", "**"])

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            return _bounded_binop(self, operator, left, right)

    env = _Environment(
        loader=FileSystemLoader([str(d) for d in dirs]),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # a prompt needs none of Jinja's generators; lipsum(10**6) alone is a memory bomb
    for name in ("lipsum", "cycler", "joiner", "namespace"):
        env.globals.pop(name, None)
    env.globals["range"] = _bounded_range
    return env


def _describe(exc: Exception, where: str, field: str) -> TemplateError:
    """Turn any Jinja failure into one line naming the template, the line and the problem."""
    import jinja2
    from jinja2.sandbox import SecurityError

    line = getattr(exc, "lineno", None)
    at = f" (template line {line})" if line else ""
    hint = None
    if isinstance(exc, jinja2.TemplateNotFound):
        detail = f"template '{exc.name}' not found"
        hint = "put it in the course's prompts/ folder or fix the name"
    elif isinstance(exc, SecurityError):
        detail = f"refused by the sandbox{at}: {exc}"
        hint = "templates may only use the lesson's variables"
    elif isinstance(exc, jinja2.UndefinedError):
        detail = f"{exc.message}{at}"
        hint = "the variables are: theme, theme_label, topic, form, covers, lesson, request"
    elif isinstance(exc, jinja2.TemplateSyntaxError):
        src = ""
        if exc.source and line and line <= len(exc.source.splitlines()):
            src = f": {exc.source.splitlines()[line - 1].strip()!r}"
        detail = f"template syntax error{at}: {exc.message}{src}"
    else:
        detail = f"template failed{at}: {type(exc).__name__}: {exc}"
    return TemplateError(f"{where}: {field}: {detail}", hint=hint, field=field, detail=detail)


def _context(lesson: Lesson, theme: Theme) -> dict[str, Any]:
    return {
        "theme": theme.phrase,
        "theme_label": theme.label,
        "topic": lesson.prompt.topic,
        "form": lesson.prompt.form,
        "covers": list(lesson.prompt.covers),
        "lesson": {"id": lesson.id, "title": lesson.title, "order": lesson.order},
    }


def _render_file(env: Any, name: str, ctx: dict[str, Any], where: str) -> str:
    try:
        return _render(env.get_template(name), ctx)
    except Exception as exc:  # jinja raises many types; each becomes one clear line
        raise _describe(exc, where, f"prompt.template ({name})") from None


def render(course: Course, lesson: Lesson, theme: Theme) -> list[Message]:
    """The system and user messages for ``lesson`` explained in ``theme``."""
    env = _environment(prompt_dirs(course))
    where = str(lesson.path or lesson.id)
    ctx = _context(lesson, theme)
    try:
        request = _render(env.from_string(lesson.prompt.request), ctx)
    except Exception as exc:
        raise _describe(exc, where, "prompt.request") from None
    system = _render_file(env, SYSTEM_TEMPLATE, ctx, where)
    user = _render_file(env, lesson.prompt.template, {**ctx, "request": request}, where)
    return [Message("system", system), Message("user", user)]


def render_followup(
    course: Course, lesson: Lesson, theme: Theme, question: str, history: Sequence[Message]
) -> list[Message]:
    """Messages for a follow-up question, after the lesson's prompt and answer."""
    question = question.strip()
    if len(question) > MAX_QUESTION_CHARS:
        question = question[:MAX_QUESTION_CHARS]
    env = _environment(prompt_dirs(course))
    ctx = {**_context(lesson, theme), "question": question, "lesson_title": lesson.title}
    user = _render_file(env, FOLLOWUP_TEMPLATE, ctx, str(lesson.path or lesson.id))
    return [*history, Message("user", user)]


def messages_hash(messages: Sequence[Message]) -> str:
    """A stable hash of the rendered messages, independent of model and settings."""
    canon = json.dumps([m.as_dict() for m in messages], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def as_text(messages: Sequence[Message]) -> str:
    """The messages as text to paste into any chat app."""
    return "\n\n".join(f"--- {m.role} ---\n{m.content}" for m in messages)
