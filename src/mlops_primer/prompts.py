"""Rendering a lesson and a theme into the chat messages sent to the LLM.

Templates run in Jinja's sandbox with StrictUndefined: a course file from a stranger
cannot reach Python internals, and a misspelt variable is an error, not a blank.
The learner's theme and questions are passed as values, never compiled as templates,
so ``{{ 7*7 }}`` typed as a theme reaches the LLM exactly as typed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import time
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
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
LANGUAGE_TEMPLATE = "language.j2"
LAB_HINT_SYSTEM_TEMPLATE = "lab_hint_system.j2"
LAB_HINT_TEMPLATE = "lab_hint.j2"
MAX_QUESTION_CHARS = 1000

#: language codes a learner may give, and the name the prompt uses (with the code kept:
#: "German (de)"), so the LLM is asked for a language it cannot mistake; any other name
#: ("Deutsch", "Brazilian Portuguese") is passed as written
LANGUAGE_NAMES = {
    "ar": "Arabic", "bg": "Bulgarian", "bn": "Bengali", "ca": "Catalan", "cs": "Czech",
    "da": "Danish", "de": "German", "el": "Greek", "es": "Spanish", "et": "Estonian",
    "eu": "Basque", "fa": "Persian", "fi": "Finnish", "fr": "French", "ga": "Irish",
    "gl": "Galician", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian",
    "id": "Indonesian", "it": "Italian", "ja": "Japanese", "ko": "Korean",
    "lt": "Lithuanian", "lv": "Latvian", "ms": "Malay", "nb": "Norwegian Bokmal",
    "nl": "Dutch", "no": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian",
    "ru": "Russian", "sk": "Slovak", "sl": "Slovenian", "sr": "Serbian", "sv": "Swedish",
    "sw": "Swahili", "ta": "Tamil", "th": "Thai", "tr": "Turkish", "uk": "Ukrainian",
    "ur": "Urdu", "vi": "Vietnamese", "zh": "Chinese",
}
_REGIONS = {"pt-br": "Brazilian Portuguese", "pt-pt": "European Portuguese",
            "zh-cn": "Simplified Chinese", "zh-tw": "Traditional Chinese",
            "zh-hans": "Simplified Chinese", "zh-hant": "Traditional Chinese"}


def language_name(language: str | None) -> str | None:
    """The language as the prompt names it: ``de`` is "German (de)", ``pt-BR`` is
    "Brazilian Portuguese (pt-BR)", a name such as "Deutsch" stays as it is; None stays
    None (English, the course's own language)."""
    if not language:
        return None
    low = language.lower()
    name = _REGIONS.get(low) or LANGUAGE_NAMES.get(low) or LANGUAGE_NAMES.get(
        low.split("-")[0] if len(low.split("-")[0]) == 2 else "")
    return f"{name} ({language})" if name else language


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


# -- the sandbox's bounds ------------------------------------------------------------------
#
# A course's templates come from anyone, so every render is bounded: its output, each
# value it builds (strings, lists, numbers), the steps it takes (loop iterations, calls,
# lookups, operators) and its time. Each bound is checked *before* the work where the
# work's size can be known from its arguments (padding widths, repetition, joins), so
# nothing big is ever built; whatever grows anyway is refused as soon as it exists.

MAX_TEMPLATE_BYTES = 64 * 1024
MAX_RENDERED_CHARS = 100_000  # the output of one template
MAX_VALUE_CHARS = 100_000  # any string, list or mapping a template builds
MAX_INT_BITS = 4096  # any number a template builds (about 1,200 digits)
MAX_STEPS = 100_000  # loop iterations, calls, lookups and operators of one render
MAX_RENDER_SECONDS = 2.0
MAX_EXPONENT = 64
MAX_LOOP_STEPS = MAX_STEPS  # the name before 0.2


class _Budget:
    """What is left of one render's steps, and when its time is up."""

    __slots__ = ("steps", "deadline")

    def __init__(self) -> None:
        self.steps = MAX_STEPS
        self.deadline = time.monotonic() + MAX_RENDER_SECONDS


_budget: ContextVar[_Budget | None] = ContextVar("render_budget", default=None)


def _limit_error(message: str) -> Exception:
    from jinja2.sandbox import SecurityError

    return SecurityError(message)


def _tick(n: int = 1) -> None:
    """Count ``n`` steps of the current render; past a bound, stop it."""
    budget = _budget.get()
    if budget is None:  # compiling (constant folding), outside any render
        return
    budget.steps -= n
    if budget.steps < 0:
        raise _limit_error(f"it takes over {MAX_STEPS:,} steps (loops, calls, lookups)")
    if time.monotonic() > budget.deadline:
        raise _limit_error(f"it runs over {MAX_RENDER_SECONDS:g} s")


def _checked(value: Any) -> Any:
    """``value`` when it is within the size bounds; an iterator, counted as it runs."""
    if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)):
        if len(value) > MAX_VALUE_CHARS:
            raise _limit_error(f"it builds a value of {len(value):,} characters or items; "
                               f"at most {MAX_VALUE_CHARS:,}")
    elif isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > MAX_INT_BITS:
            raise _limit_error(f"it builds a number over {MAX_INT_BITS} bits")
    elif isinstance(value, Iterator):
        return _counted(value)
    return value


def _counted(items: Iterable[Any]) -> Iterator[Any]:
    """Iterate ``items`` one budget step per item (every for loop runs through this)."""
    for item in items:
        _tick()
        yield item


def _room(size: int, what: str) -> None:
    """Refuse before building something of ``size`` characters or items."""
    if size > MAX_VALUE_CHARS:
        raise _limit_error(f"{what} would build {size:,} characters or items; at most "
                           f"{MAX_VALUE_CHARS:,}")


def _bounded_range(*args: int) -> Iterator[int]:
    """range() for templates: the steps count against the render's budget."""
    return _counted(range(*args))


def _length(value: Any) -> int:
    try:
        return len(value) if isinstance(value, (str, list, tuple, dict)) else len(str(value))
    except Exception:  # noqa: BLE001 - a value with no length is small enough here
        return 0


# a printf conversion: %[(name)][flags][width][.precision][length]type
_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")
# a format spec: [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?")


def _check_printf(fmt: str, args: Any) -> None:
    """Refuse `'%999999999s' % x` (and `|format`) before Python pads anything."""
    values = list(args.values()) if isinstance(args, dict) else (
        list(args) if isinstance(args, tuple) else [args])
    widest = max((_length(v) for v in values), default=0)
    total = len(fmt)
    for m in _PRINTF.finditer(fmt):
        if "*" in (m.group(1), m.group(2)):
            raise _limit_error("a '*' width in a % format is not allowed; write the number")
        width = max(int(m.group(1) or 0), int(m.group(2) or 0))
        _room(width, "a % format width")
        total += max(width, widest)
    _room(total, "this % format")


def _check_spec(spec: str) -> None:
    """Refuse `'{:>999999999}'.format(x)` before Python pads anything."""
    m = _SPEC.match(spec)
    if m is not None:
        _room(max(int(m.group(1) or 0), int(m.group(2) or 0)), "a format width")


def _bounded_binop(env: Any, operator: str, left: Any, right: Any) -> Any:
    """Arithmetic with limits, so a stranger's template cannot exhaust CPU or memory."""
    _tick()
    if operator == "**":
        if isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
            raise _limit_error(f"exponent {right} is over the limit of {MAX_EXPONENT}")
        if (isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1
                and left.bit_length() * right > MAX_INT_BITS):
            raise _limit_error(f"it builds a number over {MAX_INT_BITS} bits")
    elif operator == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(n, int):
                _room(len(seq) * n, f"repeating a sequence {n} times")
        if isinstance(left, int) and isinstance(right, int) and (
            left.bit_length() + right.bit_length() > MAX_INT_BITS
        ):
            raise _limit_error(f"it builds a number over {MAX_INT_BITS} bits")
    elif operator == "+":
        if isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
            _room(len(left) + len(right), "this +")
    elif operator == "%" and isinstance(left, str):
        _check_printf(left, right)
    return _checked(env.binop_table[operator](left, right))


def _concat(parts: Sequence[Any]) -> str:
    """The `~` operator, bounded (`x ~ x` in a loop doubles each time)."""
    texts = [str(p) for p in parts]
    _room(sum(len(t) for t in texts), "this ~")
    return "".join(texts)


# -- filters and methods, each checked before it builds anything ---------------------------


def _pre_filter(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """The size a filter is about to build, from its arguments, refused when too big."""

    def arg(i: int, key: str, default: Any = None) -> Any:
        return args[i] if len(args) > i else kwargs.get(key, default)

    value = arg(0, "value", "")
    if name == "center":
        width = arg(1, "width", 80)
        if isinstance(width, int):
            _room(width, "|center")
    elif name == "indent":
        width = arg(1, "width", 4)
        step = width if isinstance(width, int) else _length(width)
        text = str(value)
        _room(len(text) + (text.count("\n") + 1) * step, "|indent")
    elif name == "replace":
        text, old, new = str(value), str(arg(1, "old", "")), str(arg(2, "new", ""))
        count = arg(3, "count")
        n = text.count(old) if old else len(text) + 1
        if isinstance(count, int) and count >= 0:
            n = min(n, count)
        _room(len(text) + n * len(new), "|replace")
    elif name == "join":
        sep = _length(arg(1, "d", ""))
        if isinstance(value, (list, tuple, str)):
            _room(sum(_length(x) for x in value) + sep * len(value), "|join")
    elif name == "format":
        _check_printf(str(value), kwargs if kwargs else tuple(args[1:]))
    elif name in ("slice", "batch"):
        n = arg(1, "slices" if name == "slice" else "linecount", 1)
        if isinstance(n, int):
            _room(n, f"|{name}")
    elif name == "wordwrap":
        wrap = arg(5, "wrapstring")
        if wrap is not None:
            _room((len(str(value)) + 1) * _length(wrap), "|wordwrap")
    elif name == "sum":
        start = arg(2, "start", 0)
        if not isinstance(start, (int, float)):
            raise _limit_error("|sum adds numbers only")


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    from jinja2.utils import _PassArg

    skip = 0 if _PassArg.from_obj(func) is None else 1  # the context Jinja passes first

    @functools.wraps(func)  # keeps jinja_pass_arg
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        _pre_filter(name, args[skip:], kwargs)
        return _checked(func(*args, **kwargs))

    return bounded


# methods of plain values a template may call, with the ones whose result can grow checked
_SAFE_METHODS = {
    str: frozenset([
        "lower", "upper", "title", "capitalize", "casefold", "swapcase", "strip", "lstrip",
        "rstrip", "split", "rsplit", "splitlines", "partition", "rpartition", "startswith",
        "endswith", "find", "rfind", "index", "rindex", "count", "isalnum", "isalpha", "isascii",
        "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric", "isprintable", "isspace",
        "istitle", "isupper", "removeprefix", "removesuffix", "ljust", "rjust", "center",
        "zfill", "expandtabs", "replace", "join"
    ]),
    dict: frozenset(["keys", "values", "items", "get", "copy"]),
    list: frozenset(["index", "count", "copy"]),
    tuple: frozenset(["index", "count"]),
}


def _check_method(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse a built-in method that is not on the list, or whose result would be too big."""
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", "")
    if not isinstance(obj, (types.BuiltinMethodType, types.MethodWrapperType)) or isinstance(
            owner, types.ModuleType) or owner is None:
        return  # a macro, a Jinja helper, range, dict: checked where they act
    kind = next((t for t in _SAFE_METHODS if isinstance(owner, t)), None)
    if kind is None or name not in _SAFE_METHODS[kind]:
        raise _limit_error(f"calling {type(owner).__name__}.{name}() is not allowed in a "
                           "prompt template")
    if kind is not str:
        return
    if name in ("ljust", "rjust", "center", "zfill") and args and isinstance(args[0], int):
        _room(args[0], f".{name}()")
    elif name == "expandtabs":
        size = args[0] if args and isinstance(args[0], int) else kwargs.get("tabsize", 8)
        _room(len(owner) + owner.count("\t") * max(0, int(size)), ".expandtabs()")
    elif name == "replace" and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        n = owner.count(old) if old else len(owner) + 1
        if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
            n = min(n, args[2])
        _room(len(owner) + n * len(new), ".replace()")
    elif name == "join" and args:
        items = args[0]
        if isinstance(items, (list, tuple, str)):
            _room(sum(_length(x) for x in items) + len(owner) * len(items), ".join()")


def _bounded_format(env: Any, text: str, method: str) -> Callable[..., str]:
    """``text.format`` / ``text.format_map`` for templates: sandboxed lookups (as Jinja
    does) plus bounded widths and a bounded total."""
    from jinja2.sandbox import SandboxedFormatter

    class Formatter(SandboxedFormatter):  # type: ignore[misc]
        total = 0

        def format_field(self, value: Any, format_spec: str) -> Any:
            _tick()
            _check_spec(format_spec)
            out = super().format_field(value, format_spec)
            self.total += len(out)
            _room(self.total, ".format()")
            return out

    def fmt(*args: Any, **kwargs: Any) -> str:
        if method == "format_map":
            if kwargs or len(args) != 1:
                raise TypeError("format_map() takes exactly one argument")
            args, kwargs = (), args[0]
        return str(_checked(Formatter(env).vformat(text, args, kwargs)))

    return fmt


# -- the environment -----------------------------------------------------------------------


class _Refused(Exception):
    """A template file the loader may not read (outside the course, not a regular file)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: refused: {reason}")
        self.path = path
        self.reason = reason


def _loader(dirs: tuple[Path, ...]) -> Any:
    """A loader that reads only regular files inside each prompts folder's course folder,
    within MAX_TEMPLATE_BYTES (``prompts/lesson.j2 -> /proc/self/environ`` is refused)."""
    import os

    from jinja2 import BaseLoader, TemplateNotFound
    from jinja2.loaders import split_template_path

    from .files import RefusedFile, read_inside

    class CourseLoader(BaseLoader):  # type: ignore[misc]
        def get_source(self, environment: Any, template: str) -> tuple[str, str, Any]:
            pieces = split_template_path(template)  # refuses '..'
            for folder in dirs:
                path = folder.joinpath(*pieces)
                if not os.path.lexists(path):
                    continue
                return self._read(folder, path, pieces)
            raise TemplateNotFound(template)

        def _read(self, folder: Path, path: Path, pieces: list[str]) -> tuple[str, str, Any]:
            try:
                data = read_inside(path, folder.parent, max_bytes=MAX_TEMPLATE_BYTES)
                source = data.decode("utf-8")
            except RefusedFile as exc:
                raise _Refused(path, exc.reason) from None
            except UnicodeDecodeError as exc:
                raise _Refused(path, f"it is not UTF-8 text ({exc.reason})") from None
            except OSError as exc:
                raise _Refused(path, f"it cannot be read ({exc.strerror})") from None
            try:
                stamp = os.stat(path).st_mtime_ns
            except OSError:
                stamp = None

            def uptodate() -> bool:
                # the same file, unchanged, and still the first one found
                first = next((f.joinpath(*pieces) for f in dirs
                              if os.path.lexists(f.joinpath(*pieces))), None)
                try:
                    return first == path and os.stat(path).st_mtime_ns == stamp
                except OSError:
                    return False

            return source, str(path), uptodate

    return CourseLoader()


@lru_cache(maxsize=8)
def _environment(dirs: tuple[Path, ...]) -> Any:
    from jinja2 import StrictUndefined, nodes
    from jinja2.compiler import CodeGenerator
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class _Generator(CodeGenerator):  # type: ignore[misc]
        def visit_Concat(self, node: Any, frame: Any) -> None:  # noqa: N802 - Jinja's name
            self.write("environment.bounded_concat((")
            for arg in node.nodes:
                self.visit(arg, frame)
                self.write(", ")
            self.write("))")

    class _Environment(ImmutableSandboxedEnvironment):  # type: ignore[misc]
        intercepted_binops = frozenset(["+", "-", "*", "/", "//", "%", "**"])
        code_generator_class = _Generator

        @staticmethod
        def bounded_concat(parts: Sequence[Any]) -> str:
            _tick()
            return _concat(parts)

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            return _bounded_binop(self, operator, left, right)

        def getattr(self, obj: Any, attribute: str) -> Any:
            _tick()
            if isinstance(obj, str) and attribute in ("format", "format_map"):
                return _bounded_format(self, obj, attribute)
            return super().getattr(obj, attribute)

        def getitem(self, obj: Any, argument: Any) -> Any:
            _tick()
            if isinstance(obj, str) and argument in ("format", "format_map"):
                return _bounded_format(self, obj, argument)
            return super().getitem(obj, argument)

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
            _tick()
            if (isinstance(getattr(__obj, "__self__", None), str)
                    and getattr(__obj, "__name__", "") in ("format", "format_map")):
                __obj = _bounded_format(__self, __obj.__self__, __obj.__name__)
            else:
                _check_method(__obj, args, kwargs)
            return _checked(super().call(__context, __obj, *args, **kwargs))

        def _parse(self, source: str, name: str | None, filename: str | None) -> Any:
            """Every for loop iterates through ``_counted``: nested loops over long strings
            or lists share the render's step budget, not only loops over range()."""
            tree = super()._parse(source, name, filename)
            for loop in tree.find_all(nodes.For):
                loop.iter = nodes.Filter(loop.iter, _STEP_FILTER, [], [], None, None,
                                         lineno=loop.iter.lineno)
                loop.iter.set_environment(self)
            return tree

    env = _Environment(
        loader=_loader(dirs),
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
    env.filters = {name: _bounded_filter(name, f) for name, f in env.filters.items()}
    env.filters[_STEP_FILTER] = _counted
    return env


_STEP_FILTER = "mlops_primer_counted"  # not a name a template can write: it has no use


def _template_line(exc: BaseException) -> int | None:
    """The template line a failure happened on, from Jinja's rewritten traceback."""
    line = getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name == "<template>" or name.endswith(".j2"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _describe(exc: Exception, where: str, field: str) -> TemplateError:
    """Turn any Jinja failure into one line naming the template, the line and the problem."""
    import jinja2
    from jinja2.sandbox import SecurityError

    line = _template_line(exc)
    at = f" (template line {line})" if line else ""
    hint = None
    if isinstance(exc, _Refused):
        detail = f"template {exc.path} refused: {exc.reason}"
        hint = "a template must be a regular file in the course's prompts/ folder"
    elif isinstance(exc, jinja2.TemplateNotFound):
        detail = f"template '{exc.name}' not found"
        hint = "put it in the course's prompts/ folder or fix the name"
    elif isinstance(exc, (SecurityError, MemoryError, RecursionError)):
        what = {MemoryError: "it needs too much memory",
                RecursionError: "it recurses too deep"}.get(type(exc), str(exc))
        detail = f"refused by the sandbox{at}: {what}"
        hint = "templates may only use the lesson's variables, in small loops and values"
    elif isinstance(exc, jinja2.UndefinedError):
        detail = f"{exc.message}{at}"
        hint = ("the variables are: theme, theme_label, topic, form, covers, lesson, request, "
                "language")
    elif isinstance(exc, jinja2.TemplateSyntaxError):
        src = ""
        if exc.source and line and line <= len(exc.source.splitlines()):
            src = f": {exc.source.splitlines()[line - 1].strip()!r}"
        detail = f"template syntax error{at}: {exc.message}{src}"
    else:
        detail = f"template failed{at}: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
    return TemplateError(f"{where}: {field}: {detail}", hint=hint, field=field, detail=detail)


def _render(make: Callable[[], Any], ctx: dict[str, Any]) -> str:
    """Compile (``make``) and render a template within a fresh budget, its output bounded."""
    token = _budget.set(_Budget())
    try:
        out: list[str] = []
        size = 0
        for piece in make().generate(**ctx):
            size += len(piece)
            if size > MAX_RENDERED_CHARS:
                raise _limit_error(f"its output is over {MAX_RENDERED_CHARS:,} characters")
            out.append(piece)
        return "".join(out).strip()
    finally:
        _budget.reset(token)


def _context(lesson: Lesson, theme: Theme, language: str | None = None) -> dict[str, Any]:
    return {
        "language": language_name(language),
        "theme": theme.phrase,
        "theme_label": theme.label,
        "topic": lesson.prompt.topic,
        "form": lesson.prompt.form,
        "covers": list(lesson.prompt.covers),
        "lesson": {"id": lesson.id, "title": lesson.title, "order": lesson.order},
    }


def _render_file(env: Any, name: str, ctx: dict[str, Any], where: str) -> str:
    try:
        return _render(lambda: env.get_template(name), ctx)
    except Exception as exc:  # jinja raises many types; each becomes one clear line
        raise _describe(exc, where, f"prompt.template ({name})") from None


def render(course: Course, lesson: Lesson, theme: Theme, *,
           language: str | None = None) -> list[Message]:
    """The system and user messages for ``lesson`` explained in ``theme``, asking for the
    answer in ``language`` when one is given (None: English, as the course is written)."""
    env = _environment(prompt_dirs(course))
    where = str(lesson.path or lesson.id)
    ctx = _context(lesson, theme, language)
    try:
        request = _render(lambda: env.from_string(lesson.prompt.request), ctx)
    except Exception as exc:
        raise _describe(exc, where, "prompt.request") from None
    system = _render_file(env, SYSTEM_TEMPLATE, ctx, where)
    user = _render_file(env, lesson.prompt.template, {**ctx, "request": request}, where)
    user = _with_language(env, user, ctx, where)
    return [Message("system", system), Message("user", user)]


def _with_language(env: Any, user: str, ctx: dict[str, Any], where: str) -> str:
    """``user``, asking for the answer in ``ctx['language']``: the shipped templates ask
    themselves; a course's own template that does not is followed by language.j2."""
    if not ctx.get("language") or ctx["language"] in user:
        return user
    return f"{user}\n\n{_render_file(env, LANGUAGE_TEMPLATE, ctx, where)}"


def render_followup(
    course: Course, lesson: Lesson, theme: Theme, question: str, history: Sequence[Message],
    *, language: str | None = None,
) -> list[Message]:
    """Messages for a follow-up question, after the lesson's prompt and answer."""
    question = question.strip()
    if len(question) > MAX_QUESTION_CHARS:
        question = question[:MAX_QUESTION_CHARS]
    env = _environment(prompt_dirs(course))
    ctx = {**_context(lesson, theme, language), "question": question,
           "lesson_title": lesson.title}
    where = str(lesson.path or lesson.id)
    user = _with_language(env, _render_file(env, FOLLOWUP_TEMPLATE, ctx, where), ctx, where)
    return [*history, Message("user", user)]


def render_lab_hint(course: Course, ctx: dict[str, Any], *, where: str) -> list[Message]:
    """The messages asking the LLM for one coaching hint in a lab.

    ``ctx`` holds the lab's text, the failing findings, the learner's files and the
    reference solution, every one a value: none of it is ever compiled as a template.
    """
    env = _environment(prompt_dirs(course))
    system = _render_file(env, LAB_HINT_SYSTEM_TEMPLATE, ctx, where)
    user = _render_file(env, LAB_HINT_TEMPLATE, ctx, where)
    return [Message("system", system), Message("user", user)]


def messages_hash(messages: Sequence[Message]) -> str:
    """A stable hash of the rendered messages, independent of model and settings."""
    canon = json.dumps([m.as_dict() for m in messages], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def as_text(messages: Sequence[Message]) -> str:
    """The messages as text to paste into any chat app."""
    return "\n\n".join(f"--- {m.role} ---\n{m.content}" for m in messages)
