"""Shell completion of lesson ids and theme ids (imported only while completing).

The shell asks by running the program with ``_MLOPS_PRIMER_COMPLETE`` set; the course
list comes from the catalog's cache, so a completion costs about what `lessons` does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import PrimerError
from ._common import course_folder

if TYPE_CHECKING:
    from ..catalog import Entry


def _entries() -> list[Entry]:
    from ..catalog import catalog

    env = os.environ.get("MLOPS_PRIMER_LESSONS")
    try:
        return catalog(course_folder(Path(env) if env else None))
    except PrimerError:  # a broken course completes nothing, quietly
        return []


def lessons(incomplete: str) -> list[tuple[str, str]]:
    """Lesson ids starting with ``incomplete``, each with its title."""
    return [(e.id, e.title) for e in _entries() if e.id.startswith(incomplete.lower())]


def themes(lesson: str | None, incomplete: str) -> list[str]:
    """The suggested theme ids of ``lesson`` (id or number), or of every lesson."""
    entries = _entries()
    chosen = [e for e in entries if lesson in (e.id, str(e.order))] or entries
    ids = dict.fromkeys(t for e in chosen for t in e.themes)
    return [t for t in ids if t.startswith(incomplete.lower())]
