"""Every lifecycle pack answer tells one short story per stage of the lesson's nine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import ROOT

from mlops_primer.pack import read_pack_answer

STAGES = (
    ("scoping", r"scoping"),
    ("collection and ingestion", r"collection|ingestion"),
    ("validation and preparation", r"data validation|validation and preparation"),
    ("feature engineering", r"feature engineering"),
    ("training and experimentation", r"training and experimentation"),
    ("evaluation and validation", r"evaluation and validation"),
    ("deployment", r"deployment"),
    ("monitoring", r"monitoring"),
    ("retraining", r"retraining"),
)
ANSWERS = sorted((ROOT / "lessons" / "pack" / "lifecycle").glob("*.md"))


def story_titles(text: str) -> list[str]:
    """Headings, and bold leads that open a paragraph (``**1st inning: scoping.**``)."""
    titles = []
    for line in text.splitlines():
        if line.startswith("## "):
            titles.append(line[3:].lower())
        elif (m := re.match(r"\*\*([^*]+)\*\*", line)) and not m.group(1).lower().startswith(
            "mlops"
        ):
            titles.append(m.group(1).lower())
    return titles


@pytest.mark.parametrize("path", ANSWERS, ids=[p.stem for p in ANSWERS])
def test_one_story_per_stage_in_order(path: Path) -> None:
    titles = story_titles(read_pack_answer(path).text)
    found = []
    for name, pattern in STAGES:
        hits = [i for i, t in enumerate(titles) if re.search(pattern, t)]
        assert hits, f"{path.name}: no story titled for {name}: {titles}"
        found.append(hits[0])
    assert found == sorted(found), f"{path.name}: stages out of order: {titles}"
    assert len(set(found)) == len(STAGES), f"{path.name}: two stages share one story"


def test_the_answers_are_there() -> None:
    assert len(ANSWERS) >= 4
