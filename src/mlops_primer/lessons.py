"""Lessons: the schema of a lesson file, loading it, and finding lessons and themes.

No rich, typer or openai here: the loader is used on the start-up path of every
command, so it stays small. Problems are reported as ``Problem`` values naming the
file, the YAML line where one is known, and the field.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import catalog, schema
from .catalog import lesson_files
from .errors import LessonError, ThemeError, UnknownLessonError
from .schema import spec

# Lesson records are read-only by convention. They are plain dataclasses without generated
# __eq__/__repr__/__setattr__: each generated method costs an exec at import, and this
# module is on the start-up path of every command (about 4 ms saved; benchmarks/startup.py).
record = dataclass(eq=False, repr=False)

SCHEMA_VERSION = 1
MAX_LESSON_BYTES = 256 * 1024
MAX_THEME_CHARS = 120
ID_PATTERN = r"[a-z0-9]+(?:-[a-z0-9]+)*"


@record
class Theme:
    """A metaphor world suggested for a lesson."""

    id: str = spec(description="Short id used on the command line, e.g. 'zoo'.", pattern=ID_PATTERN)
    label: str = spec(description="What the menu shows, e.g. 'Animals in a zoo'.", max_length=60)
    phrase: str = spec(
        description="The words put into the prompt's metaphor slot.", max_length=MAX_THEME_CHARS
    )


@record
class PromptSpec:
    """How the lesson asks the LLM for an explanation."""

    template: str = spec(description="Template file in prompts/, e.g. 'lesson.j2'.")
    topic: str = spec(description="The lesson's topic, in a few words.")
    form: str = spec(description="The form the answer should take, e.g. 'three short stories'.")
    request: str = spec(
        description="The question, as Jinja source; {{ theme }} is the learner's metaphor world."
    )
    covers: tuple[str, ...] = spec(
        description="Facts the answer must cover (plain text, never template source): the "
        "quiz tests them, so a live LLM is told them.",
        default=(),
    )


@record
class QuizQuestion:
    """A multiple-choice question."""

    question: str = spec(description="The question.")
    choices: tuple[str, ...] = spec(description="The choices shown, in order.", min_items=2)
    answer: str = spec(description="The right choice, written exactly as in choices.")
    explanation: str = spec(description="Why the answer is right, shown after answering.")
    hint: str = spec(description="A nudge shown after a wrong first try.")

    @property
    def answer_index(self) -> int:
        """Position of the right choice (validation guarantees it is there)."""
        return self.choices.index(self.answer)


@record
class GlossaryEntry:
    """A term and its plain-words definition."""

    term: str = spec(description="The term.")
    definition: str = spec(description="One plain sentence.")


@record
class Tool:
    """A tool the lesson names."""

    name: str = spec(description="The tool's name.")
    purpose: str = spec(description="What it does, in one line.")
    url: str | None = spec(description="Its home page.", default=None)


@record
class Reading:
    """A reference for further reading."""

    title: str = spec(description="Title of the work.")
    source: str = spec(description="Authors, publisher or site, and year.")
    url: str | None = spec(description="Where to find it.", default=None)


#: the lab check suites that ship in the package (``labs.SUITES`` maps them to modules)
LAB_SUITES = ("fingerprint", "pipeline", "versioning", "serving", "drift", "ml-tests", "llm-eval")
FILE_NAME_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"


@record
class LabSpec:
    """A hands-on lab: files to edit, checked by one of the package's check suites."""

    title: str = spec(description="What the learner builds, e.g. 'Fingerprint two runs'.",
                      max_length=80)
    minutes: int = spec(description="Estimated minutes (aim for 10 or fewer).", minimum=1)
    suite: str = spec(description="The package's check suite: " + ", ".join(LAB_SUITES) + ".",
                      pattern="|".join(LAB_SUITES))
    task: str = spec(description="The task in Markdown: what to build and why it is the real "
                     "practice.", min_length=1)
    files: tuple[str, ...] = spec(
        description="Files the learner edits; each has a starter in labs/<lesson-id>/starter/ "
        "and a reference in labs/<lesson-id>/solution/.", min_items=1, pattern=FILE_NAME_PATTERN)
    hints: tuple[str, ...] = spec(description="Hints that escalate, shown one at a time.",
                                  min_items=3)
    starter_fails: tuple[str, ...] = spec(
        description="Checks the starter must fail (`lab verify` makes sure).", default=())


@record
class Lesson:
    """One lesson of the course, as written in a YAML file in lessons/."""

    schema_version: int = spec(description="Version of this file format; currently 1.", minimum=1)
    id: str = spec(description="Unique id, e.g. 'lifecycle'.", pattern=ID_PATTERN)
    title: str = spec(description="The lesson's title.", max_length=80)
    order: int = spec(description="Position in the course, from 1.", minimum=1)
    minutes: int = spec(description="Estimated minutes to complete.", minimum=1)
    summary: str = spec(description="One line for the course list (`mlops-primer lessons`).",
                       max_length=100)
    why_it_matters: str = spec(description="Why it matters, in 2-4 sentences.")
    points: tuple[str, ...] = spec(description="The explanation points.", min_items=1)
    prompt: PromptSpec = spec(description="How the lesson asks the LLM for an explanation.")
    themes: tuple[Theme, ...] = spec(description="Suggested metaphor worlds.", min_items=1)
    takeaways: tuple[str, ...] = spec(description="Key takeaways.", min_items=1)
    quiz: tuple[QuizQuestion, ...] = spec(description="Multiple-choice questions.", default=())
    glossary: tuple[GlossaryEntry, ...] = spec(description="Terms and definitions.", default=())
    tools: tuple[Tool, ...] = spec(description="Tools the lesson names.", default=())
    reading: tuple[Reading, ...] = spec(description="Further reading.", default=())
    diagram: str | None = spec(description="Optional diagram, plain text.", default=None)
    lab: LabSpec | None = spec(description="The hands-on lab that closes the lesson.",
                               default=None)
    path: Path | None = field(default=None, compare=False, metadata={"internal": True})

    def theme(self, text: str) -> Theme:
        """The suggested theme named by ``text`` (id or label), else ``text`` as a free theme."""
        return resolve_theme(self, text)

    @property
    def default_theme(self) -> Theme:
        """The first suggested theme (the article's own)."""
        return self.themes[0]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a course file, printable as one line."""

    file: Path
    message: str
    field: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        if self.field:
            return f"{where}: {self.field}: {self.message}"
        return f"{where}: {self.message}"


def _yaml() -> Any:
    import yaml

    return yaml


MAX_YAML_DEPTH = 32  # a lesson nests five levels deep; 900 levels would blow the stack
MAX_YAML_NODES = 20_000  # values after aliases are expanded; a lesson has a few hundred
MAX_INT_DIGITS = 30  # 4,000-digit integers are no lesson's business


class _Limit(Exception):
    """A YAML document over one of the bounds, at ``mark``."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


_LOADER: Any = None


def _loader() -> Any:
    """The safe loader (libyaml's when there is one), refusing duplicate keys."""
    global _LOADER
    if _LOADER is None:
        yaml = _yaml()
        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        class Loader(base):  # type: ignore[misc, valid-type]
            def construct_mapping(self, node: Any, deep: bool = False) -> Any:
                if isinstance(node, yaml.MappingNode):
                    seen: dict[Any, int] = {}
                    for key_node, _ in node.value:
                        if key_node.tag == "tag:yaml.org,2002:merge":
                            continue  # merged keys may be overridden: that is what merging is
                        key = self.construct_object(key_node, deep=True)
                        try:
                            first = seen.setdefault(key, key_node.start_mark.line + 1)
                        except TypeError:
                            continue  # an unhashable key: the base constructor says so
                        if first != key_node.start_mark.line + 1:
                            shown = repr(key) if len(repr(key)) <= 40 else repr(key)[:40] + "…"
                            raise _Limit(f"duplicate key {shown} (first on line {first})",
                                         key_node.start_mark)
                return super().construct_mapping(node, deep=deep)

        _LOADER = Loader
    return _LOADER


def _check_events(text: str, max_chars: int) -> None:
    """Walk the YAML events once, before anything is built, and refuse a document that
    nests too deep, whose aliases expand past the bounds, or that holds a huge integer.

    Aliases are counted at the size of what they stand for, so a few lines of anchors
    cannot expand into gigabytes (the "billion laughs").
    """
    yaml = _yaml()
    loader = _loader()(text)
    try:
        depth = nodes = chars = 0
        sizes: dict[str, tuple[int, int]] = {}  # anchor -> (nodes, characters) it stands for
        open_: list[tuple[str | None, int, int]] = []
        while loader.check_event():
            ev = loader.get_event()
            if isinstance(ev, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise _Limit(f"nested over {MAX_YAML_DEPTH} levels deep", ev.start_mark)
                open_.append((ev.anchor, nodes, chars))
                nodes += 1
            elif isinstance(ev, yaml.CollectionEndEvent):
                depth -= 1
                anchor, n0, c0 = open_.pop()
                if anchor is not None:
                    sizes[anchor] = (nodes - n0, chars - c0)
            elif isinstance(ev, yaml.ScalarEvent):
                nodes += 1
                chars += len(ev.value)
                if ev.anchor is not None:
                    sizes[ev.anchor] = (1, len(ev.value))
                if len(ev.value) > MAX_INT_DIGITS:
                    tag = ev.tag if ev.tag not in (None, "!") else loader.resolve(
                        yaml.ScalarNode, ev.value, ev.implicit)
                    if tag == "tag:yaml.org,2002:int":
                        raise _Limit(f"an integer of {len(ev.value):,} digits; at most "
                                     f"{MAX_INT_DIGITS}", ev.start_mark)
            elif isinstance(ev, yaml.AliasEvent):
                if ev.anchor not in sizes:
                    if any(anchor == ev.anchor for anchor, _, _ in open_):
                        raise _Limit(f"alias *{ev.anchor} refers to itself", ev.start_mark)
                    continue  # undefined: the composer reports it
                n, c = sizes[ev.anchor]
                nodes += n
                chars += c
            if nodes > MAX_YAML_NODES or chars > max_chars:
                raise _Limit(f"aliases expand it past the limit ({MAX_YAML_NODES:,} values, "
                             f"{max_chars:,} characters)", ev.start_mark)
    finally:
        loader.dispose()


def parse_yaml(text: str, *, max_chars: int = MAX_LESSON_BYTES) -> Any:
    """Parse YAML text safely and within bounds (depth, alias expansion, integers,
    duplicate keys). Raises ValueError subclasses from PyYAML or ``_Limit``."""
    _check_events(text, max_chars)
    loader = _loader()(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def yaml_problem(exc: BaseException, *, first_line: int = 1) -> str:
    """What ``parse_yaml`` found wrong, in one line (with the line number when known).

    ``first_line`` is the file's line number of the text's first line (a front matter
    starts on line 2), so the number shown is the one an editor shows.
    """
    yaml = _yaml()
    mark = getattr(exc, "mark", None) or getattr(exc, "problem_mark", None)
    if isinstance(exc, _Limit):
        what = exc.message
    elif isinstance(exc, yaml.MarkedYAMLError):
        what = str(exc.problem or exc.context or "invalid YAML")
    else:
        what = str(exc) or type(exc).__name__
    at = f"line {mark.line + first_line}: " if mark is not None else ""
    return at + " ".join(what.split())[:200]


class FileProblem(LessonError):
    """A lesson file that cannot be read or parsed; ``problem`` says where and what."""

    def __init__(self, problem: Problem, *, hint: str | None = None) -> None:
        super().__init__(str(problem), hint=hint)
        self.problem = problem


def read_text(path: Path, *, root: Path | None = None, max_bytes: int = MAX_LESSON_BYTES) -> str:
    """A course file's text: a regular UTF-8 file inside ``root`` (default: its folder).

    Raises FileProblem naming the file and what is wrong.
    """
    from .files import RefusedFile, read_inside

    def fail(detail: str, *, hint: str | None = None) -> FileProblem:
        return FileProblem(Problem(path, detail), hint=hint)

    try:
        return read_inside(path, root or path.parent, max_bytes=max_bytes).decode("utf-8")
    except RefusedFile as exc:
        raise fail(f"refused: {exc.reason}", hint="a course file must be a regular file in "
                   "the course folder, within its size limit") from None
    except FileNotFoundError:
        raise fail("no such file") from None
    except UnicodeDecodeError as exc:
        raise fail(f"not UTF-8 text ({exc.reason})", hint="save it as UTF-8") from None
    except OSError as exc:
        raise fail(f"cannot read it ({exc.strerror})") from None


def read_yaml(path: Path, *, max_bytes: int = MAX_LESSON_BYTES, root: Path | None = None) -> Any:
    """Parse a YAML lesson file with the safe loader, within bounds.

    Only a regular file inside ``root`` (default: its folder) is read, and at most
    ``max_bytes`` of it; its aliases may not expand it past that size, it may not nest
    past ``MAX_YAML_DEPTH`` or repeat a key. Raises FileProblem with the file and, where
    known, the line.
    """
    text = read_text(path, root=root, max_bytes=max_bytes)
    yaml = _yaml()

    def fail(detail: str, *, line: int | None = None, hint: str | None = None) -> FileProblem:
        return FileProblem(Problem(path, detail, line=line), hint=hint)

    try:
        return parse_yaml(text, max_chars=max_bytes)
    except _Limit as exc:
        raise fail(f"invalid YAML: {exc.message}", line=exc.mark.line + 1 if exc.mark else None,
                   hint="simplify the file there") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise fail(f"invalid YAML: {what}", line=mark.line + 1 if mark else None,
                   hint="check indentation and quoting there") from None
    except yaml.YAMLError as exc:
        raise fail(f"invalid YAML: {' '.join(str(exc).split())}") from None
    except (ValueError, OverflowError, RecursionError) as exc:
        # the constructor turns a scalar into a value: `2024-02-30` or a 5000-digit number
        raise fail(f"invalid YAML value: {' '.join(str(exc).split())[:200]}",
                   hint="quote the value if it is meant as text") from None


def line_of(path: Path, loc: tuple[str | int, ...]) -> int | None:
    """The 1-based YAML line of the value at ``loc`` (or of its closest parent)."""
    yaml = _yaml()
    try:
        text = read_text(path)
        _check_events(text, MAX_LESSON_BYTES)
        loader = _loader()(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except (FileProblem, _Limit, yaml.YAMLError, ValueError, RecursionError):
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    child = key if value.tag.endswith(":null") else value
                    line = key.start_mark.line + 1
                    break
        elif (isinstance(node, yaml.SequenceNode) and isinstance(part, int)
              and 0 <= part < len(node.value)):
            child = node.value[part]
        if child is None:
            break
        node = child
        line = child.start_mark.line + 1
    return line


def lesson_problems(path: Path, data: Any) -> tuple[Lesson | None, list[Problem]]:
    """Build a lesson from parsed YAML, returning it (or None) and every problem found."""
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}, not a mapping of fields"
        return None, [Problem(path, f"the file is {kind}", line=1)]
    version = data.get("schema_version")
    if isinstance(version, int) and SCHEMA_VERSION < version < 2**63:  # larger: schema says
        return None, [
            Problem(
                path,
                f"written for schema_version {version}; this mlops-primer reads {SCHEMA_VERSION}",
                field="schema_version",
                line=line_of(path, ("schema_version",)),
            )
        ]
    try:
        lesson = schema.build(Lesson, data)
    except schema.SchemaViolation as exc:
        return None, [
            Problem(path, i.message, field=i.where, line=line_of(path, i.loc)) for i in exc.issues
        ]
    lesson = replace(lesson, path=path)
    return lesson, [
        Problem(path, msg, field=where, line=line_of(path, loc))
        for loc, where, msg in _semantic_issues(lesson)
    ]


def _semantic_issues(lesson: Lesson) -> list[tuple[tuple[str | int, ...], str, str]]:
    """Checks the schema cannot express: answers among choices, unique theme ids."""
    out = []
    for i, q in enumerate(lesson.quiz):
        if q.answer not in q.choices:
            out.append(
                (("quiz", i, "answer"), f"quiz[{i}].answer",
                 f"{q.answer!r} is not one of its choices; copy one of them exactly")
            )
        if len(set(q.choices)) != len(q.choices):
            out.append((("quiz", i, "choices"), f"quiz[{i}].choices", "two choices are the same"))
    seen: set[str] = set()
    for i, theme in enumerate(lesson.themes):
        if theme.id in seen:
            out.append(
                (("themes", i, "id"), f"themes[{i}].id", f"theme id {theme.id!r} is used twice")
            )
        seen.add(theme.id)
    if lesson.lab is not None and lesson.path is not None:
        out.extend(_lab_issues(lesson.path.parent, lesson.id, lesson.lab))
    return out


def _lab_issues(course_dir: Path, lesson_id: str, lab: LabSpec) -> list[
    tuple[tuple[str | int, ...], str, str]
]:
    """Every file the lab names has a starter and a solution: regular files in the course."""
    out = []
    root = course_dir.resolve()
    for i, name in enumerate(lab.files):
        for kind in ("starter", "solution"):
            path = course_dir / "labs" / lesson_id / kind / name
            try:
                real = path.resolve(strict=True)
                inside = root in real.parents and real.is_file() and not path.is_symlink()
            except OSError:
                out.append((("lab", "files", i), f"lab.files[{i}]",
                            f"labs/{lesson_id}/{kind}/{name} is missing"))
                continue
            if not inside:
                out.append((("lab", "files", i), f"lab.files[{i}]",
                            f"labs/{lesson_id}/{kind}/{name} must be a regular file inside the "
                            "course folder"))
    return out


def answer_is_longest(q: QuizQuestion) -> bool:
    """True when the right choice is strictly the longest (by characters): a cue to guess by."""
    others = [len(c) for c in q.choices if c != q.answer]
    return bool(others) and len(q.answer) > max(others)


def lesson_warnings(lesson: Lesson) -> list[Problem]:
    """Things that are allowed but hurt learners: a quiz that can be passed by length alone."""
    assert lesson.path is not None
    quiz = lesson.quiz
    longest = sum(answer_is_longest(q) for q in quiz)
    if not quiz or 2 * longest <= len(quiz):
        return []
    return [
        Problem(
            lesson.path,
            f"warning: quiz: the right choice is the longest in {longest} of {len(quiz)} "
            "questions; make the choices alike in length",
            line=line_of(lesson.path, ("quiz",)),
        )
    ]


def load_lesson(path: Path) -> Lesson:
    """Load one lesson file, raising LessonError with its first problem."""
    lesson, problems = lesson_problems(path, read_yaml(path))
    if problems or lesson is None:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise LessonError(
            f"{problems[0]}{more}", hint=f"run `mlops-primer validate {path}` to see every problem"
        )
    return lesson


def course_problems(lessons: list[Lesson]) -> list[Problem]:
    """Problems between lessons of one course: duplicate ids and orders."""
    out: list[Problem] = []
    for attr in ("id", "order"):
        first: dict[Any, Lesson] = {}
        for lesson in lessons:
            value = getattr(lesson, attr)
            if value in first:
                assert lesson.path is not None
                out.append(
                    Problem(
                        lesson.path,
                        f"{attr} {value!r} is already used by {first[value].path}",
                        field=attr,
                        line=line_of(lesson.path, (attr,)),
                    )
                )
            else:
                first[value] = lesson
    return out


@dataclass(frozen=True)
class Course:
    """The lessons of one course folder, in order, with where its prompts and pack live."""

    folder: Path
    lessons: tuple[Lesson, ...]

    @property
    def pack_dir(self) -> Path:
        """The offline answer pack that travels with this course."""
        return self.folder / "pack"

    def get(self, lesson_id: str) -> Lesson:
        """The lesson with this id (or order number), or a clear error naming the closest."""
        wanted = lesson_id.strip().lower()
        for lesson in self.lessons:
            if lesson.id == wanted or str(lesson.order) == wanted:
                return lesson
        ids = [lesson.id for lesson in self.lessons]
        close = difflib.get_close_matches(wanted, ids, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else f"the lessons are: {', '.join(ids)}"
        shown = lesson_id if len(lesson_id) <= 40 else lesson_id[:40] + "…"
        raise UnknownLessonError(f"unknown lesson '{shown}'", hint=hint)

    def next_after(self, lesson: Lesson) -> Lesson | None:
        """The lesson that follows ``lesson``, if any."""
        later = [x for x in self.lessons if x.order > lesson.order]
        return later[0] if later else None


def load_course(folder: Path) -> Course:
    """Load every lesson in ``folder``, raising LessonError at the first problem."""
    if not folder.is_dir():
        raise LessonError(
            f"course folder {folder} "
            + ("is a file, not a folder" if folder.exists() else "does not exist"),
            hint="check --lessons-dir or MLOPS_PRIMER_LESSONS",
        )
    files = lesson_files(folder)
    cached = catalog.read_cache(folder, files)  # files unchanged since a clean load
    lessons = []
    for path in files:
        if path.name in cached:  # validated when it was cached
            lessons.append(replace(schema.construct(Lesson, cached[path.name]["data"]),
                                   path=path))
            continue
        data = read_yaml(path)
        lesson, problems = lesson_problems(path, data)
        if problems or lesson is None:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise LessonError(
                f"{problems[0]}{more}",
                hint=f"run `mlops-primer validate {path}` to see every problem",
            )
        lessons.append(lesson)
        cached[path.name] = {"data": data}
    if not lessons:
        raise LessonError(
            f"no lesson files (*.yaml) in {folder}", hint="add one, or check the path"
        )
    problems = course_problems(lessons)
    if problems:
        raise LessonError(str(problems[0]), hint="ids and orders must be unique in a course")
    if any("glance" not in entry for entry in cached.values()):  # remember a clean course
        for path, lesson in zip(files, lessons, strict=True):
            cached[path.name]["glance"] = catalog.glance(lesson)
        catalog.write_cache(folder, files, cached)
    return Course(folder=folder, lessons=tuple(sorted(lessons, key=lambda x: x.order)))


# every C0 control, DEL and C1 (U+009B is CSI to many terminals): a theme is echoed back
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def resolve_theme(lesson: Lesson, text: str) -> Theme:
    """A suggested theme by id, label or number, else the learner's own words as a theme.

    The learner's words become data in the prompt, never template source.
    """
    raw = " ".join(_CONTROL.sub(" ", text).split())
    if not raw:
        raise ThemeError("the theme is empty", hint="pick a suggested theme or write a few words")
    if len(raw) > MAX_THEME_CHARS:
        raise ThemeError(
            f"the theme is {len(raw)} characters; at most {MAX_THEME_CHARS}",
            hint="describe your world in a few words",
        )
    low = raw.lower()
    for theme in lesson.themes:
        if low in (theme.id, theme.label.lower()):
            return theme
    return Theme(id=custom_theme_id(raw), label=raw, phrase=raw)


def prose(text: str) -> str:
    """Reflow YAML block text: single newlines become spaces, blank lines stay."""
    paras = [" ".join(p.split()) for p in text.strip().split("\n\n")]
    return "\n\n".join(p for p in paras if p)


def custom_theme_id(text: str) -> str:
    """A stable id for a free-text theme (``custom:`` + a slug), for progress and notes."""
    slug = "-".join(re.findall(r"[a-z0-9]+", text.lower()))[:40] or "theme"
    return f"custom:{slug}"


def is_custom(theme: Theme) -> bool:
    """True when the theme is the learner's own words, not a suggested one."""
    return theme.id.startswith("custom:")
