"""Where the shipped course, prompts and pack live, in a source tree or an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    """``name`` inside the wheel (``_data/``), else beside ``src/`` in a source checkout."""
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent.parent / name


def builtin_lessons_dir() -> Path:
    """The course that ships with mlops-primer."""
    return _data_dir("lessons")


def builtin_prompts_dir() -> Path:
    """The prompt templates that ship with mlops-primer."""
    return _data_dir("prompts")


def schema_file() -> Path:
    """The committed JSON Schema for lesson files (source checkout only)."""
    return _PACKAGE.parent.parent / "lesson.schema.json"
