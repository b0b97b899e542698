"""The course at a glance, and the cache that makes loading a course quick.

``mlops-primer lessons`` needs only each lesson's id, title, order, minutes, summary,
theme ids and its lab's title. Building the typed lesson records costs more than that, so a course
that loaded cleanly is remembered as JSON in the data folder: per lesson file, its
size and modification time, its parsed YAML (so that ``load_course`` need not import
PyYAML) and its glance. When every lesson file is unchanged since, ``catalog`` reads
the glances straight from the cache; otherwise it loads the course in full, which
reports any problem and refreshes the cache. A missing or damaged cache only costs
speed. (Measured by benchmarks/startup.py.)

This module imports neither the lesson records nor rich, typer or PyYAML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .lessons import Lesson

#: bump when the layout of the cache changes
CACHE_VERSION = 3
#: a file changed this recently is not cached: a second change within the same tick of
#: the file system's clock, to the same size, would leave its stamp unchanged ("racy
#: git"). Two seconds covers the coarsest clocks (FAT).
RACY_NS = 2_000_000_000


class Entry:
    """One lesson, as the course list shows it."""

    __slots__ = ("id", "title", "order", "minutes", "summary", "themes", "lab")

    def __init__(self, id: str, title: str, order: int, minutes: int, summary: str,
                 themes: list[str], lab: str | None = None) -> None:
        self.id = id
        self.title = title
        self.order = order
        self.minutes = minutes
        self.summary = summary
        self.themes = list(themes)  # theme ids, the lesson's first (default) one first
        self.lab = lab  # the title of the lesson's hands-on lab; None when it has none

    @classmethod
    def of(cls, lesson: Lesson) -> Entry:
        return cls(lesson.id, lesson.title, lesson.order, lesson.minutes, lesson.summary,
                   [t.id for t in lesson.themes],
                   lesson.lab.title if lesson.lab is not None else None)

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def glance(lesson: Lesson) -> dict[str, Any]:
    """What the course list needs of a lesson, as stored in the cache."""
    return Entry.of(lesson).as_dict()


def catalog(folder: Path) -> list[Entry]:
    """The lessons of the course in ``folder``, in order; raises LessonError like
    ``load_course`` when the course has a problem."""
    files = lesson_files(folder) if folder.is_dir() else []
    cached = read_cache(folder, files)
    if files and all("glance" in cached.get(p.name, {}) for p in files):
        # every file is unchanged since a load that checked the whole course
        try:
            return sorted((Entry(**cached[p.name]["glance"]) for p in files),
                          key=lambda e: e.order)
        except TypeError:
            pass  # a damaged cache: load the course instead
    from .lessons import load_course

    return [Entry.of(lesson) for lesson in load_course(folder).lessons]


def lesson_files(folder: Path) -> list[Path]:
    """The lesson files of a course folder, in name order.

    Every ``*.yaml`` entry but a folder is listed, links and devices included, so that
    reading it refuses it with a line naming it instead of skipping it in silence.
    """
    return sorted(p for p in folder.iterdir()
                  if p.suffix in (".yaml", ".yml") and not p.is_dir())


# -- the cache ---------------------------------------------------------------------------


def _cache_version() -> list[int]:
    """Changes when the code that checks lessons does (an upgrade may check differently)."""
    here = Path(__file__)
    stamps = [_stamp(here.with_name(name)) for name in ("catalog.py", "lessons.py", "schema.py")]
    return [CACHE_VERSION, *(n for stamp in stamps for n in stamp)]


def _cache_file(folder: Path) -> Path:
    from .paths import data_home

    name = re.sub(r"[^A-Za-z0-9]+", "-", str(folder.resolve())).strip("-")[-120:]
    return data_home() / "cache" / f"course-{name}.json"


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_mtime_ns, st.st_size]


def read_cache(folder: Path, files: list[Path]) -> dict[str, dict[str, Any]]:
    """Cache entries (``data``, ``glance``) of the files unchanged since they were cached."""
    import json

    try:
        raw = json.loads(_cache_file(folder).read_text(encoding="utf-8"))
        if raw.get("version") != _cache_version():
            return {}
        out = {}
        for path in files:
            entry = raw["files"].get(path.name)
            if entry and entry["stamp"] == _stamp(path) and isinstance(entry["data"], dict):
                out[path.name] = {k: entry[k] for k in ("data", "glance") if k in entry}
        return out
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _fits(entry: dict[str, Any], size: int) -> bool:
    """True when the cached form of a file is not much bigger than the file: the cache
    never writes out what aliases expanded (reading the file again costs only speed)."""
    import json

    return len(json.dumps(entry, ensure_ascii=False)) <= 2 * size + 4096


def write_cache(folder: Path, files: list[Path], entries: dict[str, dict[str, Any]]) -> None:
    """Remember ``entries`` (by file name) for the course in ``folder``. Best effort: a
    cache that cannot be written only costs speed."""
    import contextlib
    import json
    import os
    import time

    target = _cache_file(folder)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        settled = time.time_ns() - RACY_NS
        stamps = {p.name: _stamp(p) for p in files if p.name in entries}
        stored = {name: {"stamp": stamp, **entries[name]}
                  for name, stamp in stamps.items()
                  if stamp[0] < settled and _fits(entries[name], stamp[1])}
        text = json.dumps({"version": _cache_version(), "files": stored}, ensure_ascii=False)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except (OSError, TypeError, ValueError):
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def resume_id(lesson_ids: Sequence[str], progress: Mapping[str, Any]) -> str | None:
    """Where `learn` picks up: the lesson left mid-way most recently, else the first
    lesson not yet done (in ``lesson_ids``' order); None when the course is complete.

    ``progress`` maps lesson ids to the store's ``Progress`` records. Pure, so that the
    tutor and the welcome screen (which does not load the course) agree.
    """
    known = set(lesson_ids)
    started = [p for p in progress.values() if not p.done and p.lesson_id in known]
    if started:
        return max(started, key=lambda p: (p.updated_at, p.lesson_id)).lesson_id
    done = {k for k, p in progress.items() if p.done}
    return next((i for i in lesson_ids if i not in done), None)
