"""Lab of `what-is-mlops`: fingerprint the code, data and parameters of two training runs.

The two runs share their code and parameters; one column of the second run's data was
switched from kilometres to miles while its header stayed the same. The learner hashes
each ingredient, compares the manifests, and names what changed.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from pathlib import Path

from .. import Context, Finding

KM_PER_MILE = 1.609344
TRAIN_PY = '''"""Train a fare model: fare = a + b * distance (least squares)."""
import csv, json, statistics, sys

rows = list(csv.DictReader(open(sys.argv[1])))
params = json.load(open(sys.argv[2]))
x = [float(r["distance"]) for r in rows]
y = [float(r["fare"]) for r in rows]
slope, intercept = statistics.linear_regression(x, y)
print(json.dumps({"slope": round(slope, params["digits"]), "intercept": round(intercept, 2)}))
'''
COLUMNS = ("trip_id", "distance", "minutes", "fare")


def _rows(rng: random.Random, n: int) -> list[dict[str, str]]:
    rows = []
    for i in range(n):
        km = rng.uniform(0.8, 25.0)
        minutes = km * rng.uniform(2.0, 4.0) + rng.uniform(0, 6)
        fare = 2.5 + 1.2 * km + rng.gauss(0, 0.8)
        rows.append({"trip_id": str(1000 + i), "distance": f"{km:.2f}",
                     "minutes": f"{minutes:.1f}", "fare": f"{fare:.2f}"})
    return rows


def _csv(rows: list[dict[str, str]]) -> str:
    lines = [",".join(COLUMNS)] + [",".join(r[c] for c in COLUMNS) for r in rows]
    return "\n".join(lines) + "\n"


def make_runs(folder: Path, seed: int, *, change: str = "data") -> None:
    """``run_a`` and ``run_b`` in ``folder``: the same but for ``change`` (data or params)."""
    rng = random.Random(seed)
    rows = _rows(rng, rng.randint(40, 60))
    params = {"digits": 3, "learning": "least squares", "seed": rng.randint(1, 9999)}
    for name in ("run_a", "run_b"):
        run = folder / name
        run.mkdir(parents=True, exist_ok=True)
        (run / "train.py").write_text(TRAIN_PY, encoding="utf-8")
        data, p = rows, params
        if name == "run_b" and change == "data":
            data = [{**r, "distance": f"{float(r['distance']) / KM_PER_MILE:.2f}"} for r in rows]
        if name == "run_b" and change == "params":
            p = {**params, "digits": 2}
        (run / "data.csv").write_text(_csv(data), encoding="utf-8")
        (run / "params.json").write_text(json.dumps(p, indent=2) + "\n", encoding="utf-8")


def generate(workspace: Path, seed: int) -> None:
    """The learner's two runs (the data changed between them)."""
    make_runs(workspace, seed)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest(run: Path) -> dict[str, object]:
    return {"code": _sha(run / "train.py"), "data": _sha(run / "data.csv"),
            "params": json.loads((run / "params.json").read_text(encoding="utf-8"))}


def _short(value: object) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 70 else text[:67] + "..."


def check(ctx: Context) -> Iterator[Finding]:
    """fingerprint(), manifest() and changed() on fresh files; the learner's answer."""
    scratch = ctx.scratch
    files = []
    for i, size in enumerate((0, 1000, 3 * 1024 * 1024 + 7)):
        path = scratch / f"blob{i}.bin"
        path.write_bytes(ctx.rng.randbytes(size))
        files.append(path)
    twin = scratch / "blob_twin.bin"
    data = bytearray(files[1].read_bytes())
    data[ctx.rng.randrange(len(data))] ^= 1
    twin.write_bytes(bytes(data))
    files.append(twin)
    folders = {}
    for change in ("data", "params"):
        folder = scratch / f"runs-{change}"
        make_runs(folder, ctx.rng.randrange(2**31), change=change)
        folders[change] = (folder / "run_a", folder / "run_b")
    wanted = {change: [_manifest(a), _manifest(b)] for change, (a, b) in folders.items()}
    calls = [("fingerprint", (str(p),)) for p in files]
    calls += [("manifest", (str(run),)) for run in folders["data"]]
    calls += [("changed", tuple(wanted[change])) for change in ("data", "params")]
    out = ctx.call("fingerprint.py", calls)  # one child process for every call
    prints, manifests, diffs = out[:len(files)], out[len(files):-2], out[-2:]

    pairs = zip(files, prints, strict=True)
    wrong = next(((p, o) for p, o in pairs if not o.ok or o.value != _sha(p)), None)
    if wrong is None:
        yield Finding("fingerprint() gives the SHA-256 of a file", True)
    else:
        path, o = wrong
        size = path.stat().st_size
        yield Finding(f"fingerprint() of a {size:,}-byte file", False,
                      expected=f"its SHA-256 hex digest {_sha(path)[:16]}...",
                      found=o.error or _short(o.value), todo=o.todo)

    pairs = zip(wanted["data"], manifests, strict=True)
    bad = next(((w, g) for w, g in pairs if not g.ok or g.value != w), None)
    if bad is None:
        yield Finding("manifest() records the code, data and params of a run", True)
    else:
        w, g = bad
        yield Finding("manifest() of a run", False,
                      expected='{"code": <sha256>, "data": <sha256>, "params": {...}}',
                      found=g.error or _short(g.value), todo=g.todo)

    for change, diff in zip(("data", "params"), diffs, strict=True):
        expected = [change]
        if diff.ok and isinstance(diff.value, list) and sorted(diff.value) == expected:
            yield Finding(f"changed() finds that only the {change} changed", True)
        else:
            yield Finding(f"changed() when only the {change} changed", False,
                          expected=_short(expected), found=diff.error or _short(diff.value),
                          todo=diff.todo)

    yield _answer(ctx.workspace)


def _answer(workspace: Path) -> Finding:
    name = "answer.json names what changed between your two runs"
    try:
        answer = json.loads((workspace / "answer.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return Finding(name, False, expected="a JSON file like the starter's",
                       found=f"answer.json cannot be read ({type(exc).__name__})")
    if not isinstance(answer, dict):
        return Finding(name, False, expected="a JSON object", found=_short(answer))
    ingredient = str(answer.get("ingredient", "")).strip().lower()
    column = str(answer.get("column", "")).strip().lower()
    if ingredient.startswith("todo") or column.startswith("todo") or not ingredient:
        return Finding(name, False, expected="your answer in place of TODO",
                       found=_short(answer), todo=True)
    if ingredient != "data":
        return Finding(name, False, expected="the ingredient whose fingerprint differs",
                       found=repr(ingredient))
    if column != "distance":
        return Finding(name, False, expected="the column whose values differ between the runs",
                       found=repr(column))
    return Finding(name, True)
