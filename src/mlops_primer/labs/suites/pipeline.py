"""Lab of `lifecycle`: a pipeline with a validation step and a quality gate.

validate -> train (``statistics.linear_regression``) -> evaluate on a hold-out -> write
``model.json`` only past the gate. Clean data must give a model; data with gaps must be
stopped at validation; shuffled labels (a model that learned nothing) at the gate.
"""

from __future__ import annotations

import csv
import io
import json
import random
import statistics
from collections.abc import Iterator
from pathlib import Path

from .. import Context, Finding

QUALITY_GATE = 0.8  # R² on the hold-out
SIZE_RANGE = (10.0, 1000.0)
COLUMNS = ("house_id", "size_m2", "price")
TOLERANCE = 1e-6  # relative, for slope, intercept and R²


def _clean(rng: random.Random) -> list[dict[str, str]]:
    while True:
        n = rng.randint(60, 90)
        rows = []
        for i in range(n):
            size = rng.uniform(30, 250)
            price = 1500 * size + 20000 + rng.gauss(0, 15000)
            rows.append({"house_id": str(i + 1), "size_m2": f"{size:.1f}",
                         "price": f"{price:.0f}"})
        if _reference(rows)[1] >= QUALITY_GATE + 0.05:  # clearly past the gate
            return rows


def _gaps(rng: random.Random, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    out = [dict(r) for r in rows]
    for i in rng.sample(range(len(out)), k=rng.randint(2, 4)):
        out[i][rng.choice(("size_m2", "price"))] = ""
    return out


def _out_of_range(rng: random.Random, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    out = [dict(r) for r in rows]
    out[rng.randrange(len(out))]["size_m2"] = rng.choice(("-12.0", "0.0", "98000.0"))
    return out


def _shuffled(rng: random.Random, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    while True:
        prices = [r["price"] for r in rows]
        rng.shuffle(prices)
        out = [{**r, "price": p} for r, p in zip(rows, prices, strict=True)]
        if _reference(out)[1] < QUALITY_GATE - 0.3:  # clearly a model that learned nothing
            return out


def _csv(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _split(rows: list[dict[str, str]]) -> tuple[list, list]:
    cut = int(len(rows) * 0.8)
    return rows[:cut], rows[cut:]


def _reference(rows: list[dict[str, str]]) -> tuple[dict[str, float], float]:
    """The reference model (fit on the first 80%) and its R² on the last 20%."""
    train, hold = _split(rows)
    x = [float(r["size_m2"]) for r in train]
    y = [float(r["price"]) for r in train]
    slope, intercept = statistics.linear_regression(x, y)
    return {"slope": slope, "intercept": intercept}, _r2(slope, intercept, hold)


def _r2(slope: float, intercept: float, rows: list[dict[str, str]]) -> float:
    y = [float(r["price"]) for r in rows]
    pred = [slope * float(r["size_m2"]) + intercept for r in rows]
    mean = statistics.fmean(y)
    ss_res = sum((a - b) ** 2 for a, b in zip(y, pred, strict=True))
    ss_tot = sum((a - mean) ** 2 for a in y)
    return 1 - ss_res / ss_tot


def generate(workspace: Path, seed: int) -> None:
    """Three data sets to try the pipeline on: clean, with gaps, with shuffled labels."""
    rng = random.Random(seed)
    clean = _clean(rng)
    data = workspace / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "clean.csv").write_text(_csv(clean), encoding="utf-8")
    (data / "gaps.csv").write_text(_csv(_gaps(rng, clean)), encoding="utf-8")
    (data / "shuffled.csv").write_text(_csv(_shuffled(rng, clean)), encoding="utf-8")


def _close(a: object, b: float) -> bool:
    return isinstance(a, (int, float)) and abs(a - b) <= TOLERANCE * max(1.0, abs(b))


def _num(value: object) -> str:
    return f"{value:.6g}" if isinstance(value, (int, float)) else repr(value)[:60]


def check(ctx: Context) -> Iterator[Finding]:
    """The steps one by one on fresh data, then the whole pipeline run as a program."""
    rng = ctx.rng
    clean = _clean(rng)
    gaps, wild, shuffled = _gaps(rng, clean), _out_of_range(rng, clean), _shuffled(rng, clean)
    model, r2 = _reference(clean)
    train, hold = _split(clean)

    cases = {"clean": clean, "gaps": gaps, "shuffled": shuffled}
    runs = {name: _case(ctx, name, rows) for name, rows in cases.items()}
    got = ctx.call("pipeline.py", [("validate", (clean,)), ("validate", (gaps,)),
                                   ("validate", (wild,)), ("train", (train,)),
                                   ("evaluate", (model, hold)),
                                   *(("main", (["pipeline.py", str(data), str(out)],))
                                     for data, out in runs.values())])
    v_clean, v_gaps, v_wild, g_train, g_eval, *mains = got
    yield _validated("validate() lets clean data through", v_clean, want_problems=False)
    yield _validated("validate() catches a missing value", v_gaps, want_problems=True)
    yield _validated("validate() catches a size out of range", v_wild, want_problems=True)

    name = "train() fits the training rows"
    if g_train.ok and isinstance(g_train.value, dict) and all(
        _close(g_train.value.get(k), model[k]) for k in ("slope", "intercept")
    ):
        yield Finding(name, True)
    else:
        found = g_train.error or (
            f"slope {_num(g_train.value.get('slope'))}, intercept "
            f"{_num(g_train.value.get('intercept'))}" if isinstance(g_train.value, dict)
            else repr(g_train.value)[:60])
        yield Finding(name, False, todo=g_train.todo, found=found,
                      expected=f"slope {model['slope']:.6g}, intercept {model['intercept']:.6g}")

    name = "evaluate() gives R² on the hold-out"
    if g_eval.ok and _close(g_eval.value, r2):
        yield Finding(name, True)
    else:
        yield Finding(name, False, expected=f"{r2:.4f} +/- {TOLERANCE:g}", todo=g_eval.todo,
                      found=g_eval.error or _num(g_eval.value))

    results = dict(zip(runs, mains, strict=True))
    yield _run("clean data gives a model", results["clean"], runs["clean"][1], want=model)
    yield _run("data with gaps is stopped at validation", results["gaps"], runs["gaps"][1],
               want=None)
    yield _run("shuffled labels are stopped at the quality gate", results["shuffled"],
               runs["shuffled"][1], want=None)


def _case(ctx: Context, name: str, rows: list[dict[str, str]]) -> tuple[Path, Path]:
    """A data file for main() to run on, and the folder it should write model.json in."""
    case = ctx.scratch / name
    case.mkdir()
    data = case / "data.csv"
    data.write_text(_csv(rows), encoding="utf-8")
    return data, case / "out"


def _validated(name: str, outcome, *, want_problems: bool) -> Finding:  # noqa: ANN001
    if not outcome.ok:
        return Finding(name, False, found=outcome.error, todo=outcome.todo,
                       expected="a list of problems" if want_problems else "[]")
    value = outcome.value
    if not isinstance(value, list):
        return Finding(name, False, expected="a list", found=repr(value)[:60])
    if want_problems and not value:
        return Finding(name, False, expected="at least one problem", found="[] (no problem)")
    if not want_problems and value:
        return Finding(name, False, expected="[] (no problem)", found=repr(value)[:70])
    return Finding(name, True)


def _run(name: str, outcome, out: Path, *, want: dict[str, float] | None) -> Finding:  # noqa: ANN001
    """main()'s exit status and what it left in ``out``."""
    model_file = out / "model.json"
    if not outcome.ok:  # a crash is not a gate: the pipeline must stop on purpose
        return Finding(name, False, expected="a deliberate stop (return 1 or 2)"
                       if want is None else "exit 0 and out/model.json",
                       found=f"a crash: {outcome.error}", todo=outcome.todo)
    status = outcome.value
    if want is None:
        if status not in (0, None) and not model_file.exists():
            return Finding(name, True)
        found = f"exit {status}" + (", and model.json was written" if model_file.exists()
                                     else "")
        return Finding(name, False, expected="a non-zero exit and no model.json", found=found)
    if status not in (0, None) or not model_file.is_file():
        return Finding(name, False, expected="exit 0 and out/model.json",
                       found=f"exit {status}" + ("" if model_file.is_file() else
                                                 ", no model.json"))
    try:
        written = json.loads(model_file.read_text(encoding="utf-8"))
    except ValueError:
        return Finding(name, False, expected="model.json holding JSON",
                       found="text that is not JSON")
    if not (isinstance(written, dict) and _close(written.get("slope"), want["slope"])):
        return Finding(name, False, expected=f'"slope": {want["slope"]:.6g}',
                       found=repr(written)[:70])
    return Finding(name, True)
