"""The JSON Schema of lesson files, generated from the same classes the loader uses."""

from __future__ import annotations

import json

from .lessons import Lesson
from .schema import json_schema

SCHEMA_ID = None  # no canonical URL yet; editors use the relative path in each file


def schema_text() -> str:
    """The schema as committed in lesson.schema.json (a test keeps the two equal)."""
    data = json_schema(Lesson, title="mlops-primer lesson", schema_id=SCHEMA_ID)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
