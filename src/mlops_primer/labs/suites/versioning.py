"""Lab of `versioning`: a lock file for the data, tracked runs, and a registry entry.

It mirrors DVC's pointer files (a content hash and size that pin the exact data), MLflow
runs (parameters, metrics, seed, data and code versions) and a model registry (the
version chosen, linked to its run). The last check reruns the registered run from its
record alone and must get the same metric: reproducibility is what the record is for.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from pathlib import Path

from .. import Context, Finding

MODEL_PY = '''"""The model to track (you do not need to change this file).

train() fits price = w * size + b by stochastic gradient descent. Its result depends on
the data, the parameters (learning rate, epochs) AND the random seed, which decides the
order the rows are visited in: exactly the ingredients a run must record.
"""

import csv
import random


def load(path):
    with open(path, newline="") as fh:
        return [(float(r["size"]), float(r["price"])) for r in csv.DictReader(fh)]


def train(data_path, learning_rate, epochs, seed):
    """Train, and return the mean absolute error on the data (lower is better)."""
    rows = load(data_path)
    rng = random.Random(seed)
    w = b = 0.0
    for _ in range(epochs):
        rng.shuffle(rows)
        for x, y in rows:
            err = (w * x + b) - y
            w -= learning_rate * err * x
            b -= learning_rate * err
    return sum(abs((w * x + b) - y) for x, y in rows) / len(rows)
'''

REQUIRED = ("run_id", "params", "metrics", "seed", "data_hash", "code_hash")
TOLERANCE = 1e-9  # the same stack reruns the same seed: only float noise may differ


def _prices(rng: random.Random) -> str:
    lines = ["size,price"]
    for _ in range(rng.randint(80, 120)):
        size = rng.uniform(0.3, 2.5)  # in hundreds of square metres
        lines.append(f"{size:.3f},{150 * size + 20 + rng.gauss(0, 10):.1f}")  # thousands
    return "\n".join(lines) + "\n"


def generate(workspace: Path, seed: int) -> None:
    """The dataset to version."""
    data = workspace / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "prices.csv").write_text(_prices(random.Random(seed)), encoding="utf-8")
    (workspace / "model.py").write_text(MODEL_PY, encoding="utf-8")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _reference_train() -> object:
    """train() of the model.py this suite writes (our own code, never the learner's)."""
    namespace: dict[str, object] = {}
    exec(compile(MODEL_PY, "model.py", "exec"), namespace)  # noqa: S102 - a constant above
    return namespace["train"]


def check(ctx: Context) -> Iterator[Finding]:
    """Lock, check_lock, log_run and register_best on fresh files, then the learner's runs."""
    s = ctx.scratch
    data = s / "data.csv"
    data.write_text(_prices(ctx.rng), encoding="utf-8")
    flipped = s / "flipped.csv"
    raw = bytearray(data.read_bytes())
    pos = ctx.rng.randrange(len(raw) - 1)
    raw[pos] = ord("7") if raw[pos] != ord("7") else ord("3")  # same size, one byte changed
    flipped.write_bytes(bytes(raw))
    longer = s / "longer.csv"
    longer.write_bytes(data.read_bytes() + b"1.000,170.0\n")
    lock = s / "data.csv.lock"  # the learner's make_lock() writes this one
    ref_lock = s / "reference.lock"  # check_lock() is checked against ours
    want = {"sha256": _sha(data), "size": data.stat().st_size}
    ref_lock.write_text(json.dumps({"path": "data.csv", **want}), encoding="utf-8")

    runs = s / "runs.jsonl"  # log_run() appends here, after the line already in it
    runs.write_text(json.dumps({"run_id": "run-0", "params": {}, "metrics": {"mae": 99.0},
                                "seed": 0, "data_hash": "x", "code_hash": "y"}) + "\n")
    records = []
    for i in (1, 2, 3):
        records.append({
            "run_id": f"run-{i}", "params": {"learning_rate": ctx.rng.choice((0.01, 0.03)),
                                             "epochs": ctx.rng.randint(5, 20)},
            "metrics": {"mae": round(ctx.rng.uniform(5, 15), 4)},
            "seed": ctx.rng.randint(1, 999), "data_hash": _sha(data), "code_hash": "c0de"})
    ref_runs = s / "reference-runs.jsonl"  # register_best() reads ours
    ref_runs.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    registry = s / "registry.json"

    calls = [("make_lock", (str(data), str(lock)))]
    calls += [("check_lock", (str(p), str(ref_lock))) for p in (data, flipped, longer)]
    calls += [("log_run", (str(runs), r["run_id"], r["params"], r["metrics"], r["seed"],
                           r["data_hash"], r["code_hash"])) for r in records]
    calls += [("register_best", (str(ref_runs), str(registry)))]
    out = ctx.call("track.py", calls)  # one child process for every call
    made, checked, logged, done = out[0], out[1:4], out[4:7], out[7]

    name = "make_lock() writes the data's sha256 and size"
    try:
        written = json.loads(lock.read_text(encoding="utf-8")) if made.ok else None
    except (OSError, ValueError):
        written = "not JSON"
    if isinstance(written, dict) and all(written.get(k) == v for k, v in want.items()):
        yield Finding(name, True)
    else:
        yield Finding(name, False, expected=f'{{"sha256": "{want["sha256"][:12]}...", '
                      f'"size": {want["size"]}}}', found=made.error or repr(written)[:70],
                      todo=made.todo)

    for outcome, want_ok, what in zip(checked, (True, False, False), (
        "check_lock() accepts the data it locked",
        "check_lock() catches one changed byte",
        "check_lock() catches a row added",
    ), strict=True):
        if outcome.ok and outcome.value is want_ok:
            yield Finding(what, True)
        else:
            yield Finding(what, False, expected=repr(want_ok), todo=outcome.todo,
                          found=outcome.error or repr(outcome.value)[:60])

    name = "log_run() appends one record per run"
    try:
        lines = [json.loads(x) for x in runs.read_text(encoding="utf-8").splitlines() if x]
    except ValueError:
        lines = ["not JSON lines"]
    first_error = next((o for o in logged if not o.ok), None)
    if first_error is None and len(lines) == 4 and lines[0].get("run_id") == "run-0" and all(
        isinstance(x, dict) and all(x.get(k) == r[k] for k in REQUIRED)
        for x, r in zip(lines[1:], records, strict=True)
    ):
        yield Finding(name, True)
    else:
        yield Finding(name, False, expected="the run already there + 3 lines with keys "
                      + ", ".join(REQUIRED), todo=bool(first_error and first_error.todo),
                      found=first_error.error if first_error else f"{len(lines)} line(s): "
                      + repr(lines[-1])[:50])

    best = min(records, key=lambda r: r["metrics"]["mae"])
    name = "register_best() names the run with the lowest mae"
    try:
        entry = json.loads(registry.read_text(encoding="utf-8")) if done.ok else None
    except (OSError, ValueError):
        entry = "not JSON"
    if isinstance(entry, dict) and entry.get("run_id") == best["run_id"]:
        yield Finding(name, True)
    else:
        found = done.error or (f"run_id {entry.get('run_id')!r}" if isinstance(entry, dict)
                               else repr(entry)[:60])
        yield Finding(name, False, expected=f"run_id {best['run_id']!r}", found=found,
                      todo=done.todo)

    yield from _rerun(ctx)


def _rerun(ctx: Context) -> Iterator[Finding]:
    """Run the learner's track.py in their folder, then rerun the registered run."""
    ws = ctx.workspace
    result = ctx.script("track.py", timeout=30)
    name = "python track.py records three runs and registers one"
    if result.exit != 0:
        yield Finding(name, False, expected="exit 0", todo=bool(result.error and "TODO"
                                                                 in result.error),
                      found=f"exit {result.exit}" + (f": {result.error}" if result.error
                                                     else ""))
        return
    try:
        runs = [json.loads(x) for x in (ws / "runs.jsonl").read_text().splitlines() if x]
        entry = json.loads((ws / "registry.json").read_text())
    except (OSError, ValueError) as exc:
        yield Finding(name, False, expected="runs.jsonl and registry.json",
                      found=f"cannot read them ({type(exc).__name__})")
        return
    if len(runs) != 3 or not isinstance(entry, dict):
        yield Finding(name, False, expected="3 runs in runs.jsonl", found=f"{len(runs)}")
        return
    yield Finding(name, True)
    data = ws / "data" / "prices.csv"
    name = "the registered run reproduces its metric from its record"
    if entry.get("data_hash") != _sha(data):
        yield Finding(name, False, expected="the data_hash of data/prices.csv",
                      found=repr(entry.get("data_hash"))[:30])
        return
    try:
        params, seed = entry["params"], entry["seed"]
        recorded = float(entry["metrics"]["mae"])
        again = _reference_train()(str(data), params["learning_rate"], params["epochs"], seed)
    except (KeyError, TypeError, ValueError) as exc:
        yield Finding(name, False, expected="params, seed and metrics in registry.json",
                      found=f"{type(exc).__name__}: {exc}"[:70])
        return
    if abs(again - recorded) <= TOLERANCE * max(1.0, abs(recorded)):
        yield Finding(name, True)
    else:
        yield Finding(name, False, expected=f"mae {recorded:.6g} again",
                      found=f"mae {again:.6g}: the record is missing something")
