"""Lab of `testing`: write the tests that a CI run would use to stop a bad change.

The learner writes plain ``assert`` tests for a small feature module and its dataset.
The tool runs them on the good code and data (they must pass), then on copies with one
planted bug each: an off-by-one at a boundary, a wrong unit, a column of nulls. A good
test suite fails on every one of them; that is what lets CI block the change.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from pathlib import Path

from .. import Context, Finding, runner

TEST_FILE = "test_pipeline.py"
FEATURES_PY = '''"""Feature code for a taxi-fare model (leave it: write tests for it)."""

import csv


def hour_bucket(hour):
    """The part of the day a pickup hour (0-23) falls in."""
    if hour < 6:
        return "night"  # 0-5
    if hour < 12:
        return "morning"  # 6-11
    if hour < 18:
        return "afternoon"  # 12-17
    return "evening"  # 18-23


def speed_kmh(distance_km, duration_min):
    """Average speed of a trip in kilometres per hour."""
    return distance_km / (duration_min / 60)


def load_trips(path):
    """The trips of a CSV file, with numbers as numbers (an empty cell becomes None)."""
    def number(text):
        return float(text) if text.strip() else None
    with open(path, newline="") as fh:
        return [{"trip_id": row["trip_id"], "pickup_hour": int(row["pickup_hour"]),
                 "distance_km": number(row["distance_km"]),
                 "duration_min": number(row["duration_min"])}
                for row in csv.DictReader(fh)]
'''
#: each planted bug: (what it is, the file it changes, how)
BUGS = {
    "an off-by-one at a bucket boundary": ("features.py", ("if hour < 6:", "if hour <= 6:")),
    "a speed in km per minute instead of km per hour": (
        "features.py", ("return distance_km / (duration_min / 60)",
                        "return distance_km / duration_min")),
    "a column of nulls in the data": ("data/trips.csv", None),
}


def _trips(rng: random.Random, n: int, *, null_column: bool = False) -> str:
    lines = ["trip_id,pickup_hour,distance_km,duration_min"]
    for i in range(n):
        km = round(rng.uniform(0.5, 30.0), 2)
        minutes = "" if null_column else f"{km * rng.uniform(1.5, 4.0) + 3:.1f}"
        lines.append(f"T{1000 + i},{rng.randint(0, 23)},{km},{minutes}")
    return "\n".join(lines) + "\n"


def generate(workspace: Path, seed: int) -> None:
    """features.py (the code under test) and data/trips.csv (the data under test)."""
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "features.py").write_text(FEATURES_PY, encoding="utf-8")
    data = workspace / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "trips.csv").write_text(_trips(random.Random(seed), 200), encoding="utf-8")


def _variant(ctx: Context, name: str, bug: str | None) -> Path:
    """A copy of the learner's tests beside fresh, good code and data, with one bug."""
    folder = ctx.scratch / name
    generate(folder, ctx.rng.randrange(2**31))
    shutil.copyfile(ctx.workspace / TEST_FILE, folder / TEST_FILE)
    if bug is not None:
        target, change = BUGS[bug]
        path = folder / target
        if change is None:
            path.write_text(_trips(ctx.rng, 200, null_column=True), encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
            assert change[0] in text, change  # the bug must really be planted
            path.write_text(text.replace(change[0], change[1]), encoding="utf-8")
    return folder


def check(ctx: Context) -> Iterator[Finding]:
    """The tests pass on good code and data, and fail on each planted bug."""
    if not (ctx.workspace / TEST_FILE).is_file():
        yield Finding("your tests run", False, expected=TEST_FILE, found="the file is missing")
        return
    good = runner.tests(_variant(ctx, "good", None), TEST_FILE)
    name = "your tests pass on the good code and data"
    if len(good) < 3:
        yield Finding(name, False, expected="at least 3 test functions",
                      found=f"{len(good)} test function(s)")
    else:
        broken = next((t for t in good if not t.passed), None)
        yield Finding(name, broken is None, expected="every test passes",
                      found=f"{broken.name} fails: {broken.error}" if broken else "")
    for bug in BUGS:
        results = runner.tests(_variant(ctx, "bug", bug), TEST_FILE)
        shutil.rmtree(ctx.scratch / "bug")
        caught = [t.name for t in results if not t.passed]
        label = f"your tests catch {bug}"
        if caught:
            yield Finding(label, True)
        else:
            yield Finding(label, False, expected="at least one test fails",
                          found=f"all {len(results)} tests pass")
