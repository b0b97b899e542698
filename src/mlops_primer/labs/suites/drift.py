"""Lab of `drift`: PSI and the KS statistic per feature, a weekly report, and skew.

Four weeks of taxi trips against a reference: stable, gradually shifted, re-mixed with a
new kind of trip, and a week whose distances arrive in miles. The first three are drift
to measure; the last is training-serving skew, a pipeline bug that retraining would
only bake in, so the report must say ``skew: true`` and ``retrain: false``.
"""

from __future__ import annotations

import bisect
import json
import math
import random
import statistics
from collections.abc import Iterator
from pathlib import Path

from .. import Context, Finding

FEATURES = ("distance_km", "duration_min")
EPSILON = 1e-4
MODERATE, SIGNIFICANT = 0.1, 0.25
MILE = 1.609344
TOLERANCE = 0.01  # PSI and KS: quantile methods differ a little between implementations
MARGIN = 0.03  # generated weeks keep their PSI this far from a threshold
WEEKS = ("stable", "gradual", "remixed", "miles")


def _trips(rng: random.Random, n: int, *, shift: float = 0.0, remix: float = 0.0,
           miles: bool = False) -> list[tuple[float, float]]:
    rows = []
    for _ in range(n):
        if rng.random() < remix:  # airport trips: long and steady
            km = rng.lognormvariate(3.0, 0.25)
        else:
            km = rng.lognormvariate(1.5 + shift, 0.5)
        minutes = km * rng.uniform(2.0, 3.5) + rng.gauss(6, 2)
        rows.append((km / MILE if miles else km, max(minutes, 1.0)))
    return rows


def _shares(edges: list[float], values: list[float]) -> list[float]:
    counts = [0] * (len(edges) + 1)
    for v in values:
        counts[bisect.bisect_right(edges, v)] += 1
    return [max(c / len(values), EPSILON) for c in counts]


def psi(ref: list[float], live: list[float]) -> float:
    edges = statistics.quantiles(ref, n=10)
    r, v = _shares(edges, ref), _shares(edges, live)
    return sum((b - a) * math.log(b / a) for a, b in zip(r, v, strict=True))


def ks(ref: list[float], live: list[float]) -> float:
    a, b = sorted(ref), sorted(live)
    i = j = 0
    best = 0.0
    while i < len(a) or j < len(b):  # walk both sorted samples once
        x = min(a[i] if i < len(a) else math.inf, b[j] if j < len(b) else math.inf)
        while i < len(a) and a[i] <= x:
            i += 1
        while j < len(b) and b[j] <= x:
            j += 1
        best = max(best, abs(i / len(a) - j / len(b)))
    return best


def status(value: float) -> str:
    if value < MODERATE:
        return "stable"
    return "moderate" if value <= SIGNIFICANT else "significant"


def _columns(rows: list[tuple[float, float]]) -> dict[str, list[float]]:
    return {"distance_km": [r[0] for r in rows], "duration_min": [r[1] for r in rows]}


UNIT_FACTORS = (1 / MILE, MILE)
UNIT_TOLERANCE = 0.08  # the task's rule: every decile within 8% of ref's times one factor


def unit_gap(ref: list[float], live: list[float]) -> float:
    """How far live's deciles are from ref's times the closest unit factor (0 = exactly)."""
    rq, lq = statistics.quantiles(ref, n=10), statistics.quantiles(live, n=10)
    return min(max(abs(b / (a * f) - 1) for a, b in zip(rq, lq, strict=True))
               for f in UNIT_FACTORS)


def _clear(value: float) -> bool:
    return all(abs(value - t) > MARGIN for t in (MODERATE, SIGNIFICANT))


def make_weeks(rng: random.Random) -> tuple[dict, dict[str, dict]]:
    """A reference and the four weeks, each PSI clear of the thresholds."""
    kinds = {"stable": {}, "gradual": {"shift": 0.2}, "remixed": {"remix": 0.4},
             "miles": {"miles": True}}
    want = {"stable": "stable", "gradual": "moderate", "remixed": "significant"}
    while True:
        ref = _columns(_trips(rng, 2000))
        weeks = {name: _columns(_trips(rng, 1000, **kw)) for name, kw in kinds.items()}
        ok = all(_clear(psi(ref[f], w[f])) for w in weeks.values() for f in FEATURES)
        ok = ok and all(status(psi(ref["distance_km"], weeks[k]["distance_km"])) == s
                        for k, s in want.items())
        # the task's unit rule must tell the miles week from the others, with room to spare
        ok = ok and unit_gap(ref["distance_km"], weeks["miles"]["distance_km"]) < 0.05
        ok = ok and all(unit_gap(ref[f], w[f]) > 0.15 for k, w in weeks.items()
                        for f in FEATURES if k != "miles")
        if ok:
            return ref, weeks


def _csv(cols: dict[str, list[float]]) -> str:
    lines = [",".join(FEATURES)]
    lines += [f"{d:.3f},{m:.2f}" for d, m in zip(*(cols[f] for f in FEATURES), strict=True)]
    return "\n".join(lines) + "\n"


def _rounded(cols: dict[str, list[float]]) -> dict[str, list[float]]:
    """The values as the CSV holds them (the learner reads the file)."""
    return {"distance_km": [round(x, 3) for x in cols["distance_km"]],
            "duration_min": [round(x, 2) for x in cols["duration_min"]]}


def generate(workspace: Path, seed: int) -> None:
    """data/reference.csv and data/week-1.csv ... week-4.csv, in a shuffled order."""
    rng = random.Random(seed)
    ref, weeks = make_weeks(rng)
    order = list(WEEKS)
    rng.shuffle(order)
    data = workspace / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "reference.csv").write_text(_csv(ref), encoding="utf-8")
    for i, name in enumerate(order, start=1):
        (data / f"week-{i}.csv").write_text(_csv(weeks[name]), encoding="utf-8")
    (workspace / ".weeks.json").write_text(json.dumps(order), encoding="utf-8")


def _expected(ref: dict, week: dict, kind: str) -> dict:
    feats = {f: {"psi": psi(ref[f], week[f]), "ks": ks(ref[f], week[f])} for f in FEATURES}
    for f in feats.values():
        f["status"] = status(f["psi"])
    skew = kind == "miles"
    drifted = any(f["status"] == "significant" for f in feats.values())
    return {"features": feats, "skew": skew, "retrain": drifted and not skew}


def _near(got: object, want: float) -> bool:
    return isinstance(got, (int, float)) and abs(got - want) <= TOLERANCE


def _num(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, (int, float)) else repr(value)[:40]


def check(ctx: Context) -> Iterator[Finding]:
    """psi, ks_stat and report() on fresh weeks; then the learner's own reports."""
    ref, weeks = make_weeks(ctx.rng)
    ref, weeks = _rounded(ref), {k: _rounded(w) for k, w in weeks.items()}
    calls = []
    for kind in WEEKS[:3]:
        calls.append(("psi", (ref["distance_km"], weeks[kind]["distance_km"])))
        calls.append(("ks_stat", (ref["distance_km"], weeks[kind]["distance_km"])))
    for kind in WEEKS:
        calls.append(("report", (ref, weeks[kind])))
    out = ctx.call("drift.py", calls, timeout=20)
    for i, kind in enumerate(WEEKS[:3]):
        for outcome, fn, name in ((out[2 * i], psi, "psi"), (out[2 * i + 1], ks, "ks_stat")):
            want = fn(ref["distance_km"], weeks[kind]["distance_km"])
            label = f"{name}() for the {kind} week"
            if outcome.ok and _near(outcome.value, want):
                yield Finding(label, True)
            else:
                yield Finding(label, False, expected=f"{want:.3f} +/- {TOLERANCE}",
                              found=outcome.error or _num(outcome.value), todo=outcome.todo)
    for outcome, kind in zip(out[6:], WEEKS, strict=True):
        yield _judge(f"report() for the {kind} week", outcome.value if outcome.ok else None,
                     _expected(ref, weeks[kind], kind), outcome.error, outcome.todo)
    yield from _own_reports(ctx)


def _judge(label: str, got: object, want: dict, error: str | None = None,
           todo: bool = False) -> Finding:
    if error:
        return Finding(label, False, expected="a report", found=error, todo=todo)
    if not isinstance(got, dict) or not isinstance(got.get("features"), dict):
        return Finding(label, False, expected='{"features": {...}, "skew": ..., "retrain": ...}',
                       found=repr(got)[:60])
    for f in FEATURES:
        g = got["features"].get(f)
        w = want["features"][f]
        if not isinstance(g, dict) or g.get("status") != w["status"]:
            found = g.get("status") if isinstance(g, dict) else g
            return Finding(label, False, expected=f"{f} {w['status']} (PSI {w['psi']:.3f})",
                           found=f"{f} {found!r}")
    for key in ("skew", "retrain"):
        if got.get(key) is not want[key]:
            return Finding(label, False, expected=f"{key}: {str(want[key]).lower()}",
                           found=f"{key}: {got.get(key)!r}")
    return Finding(label, True)


def _own_reports(ctx: Context) -> Iterator[Finding]:
    """python drift.py in the learner's folder writes a right report for each week."""
    ws = ctx.workspace
    try:
        order = json.loads((ws / ".weeks.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        yield Finding("your weekly reports", False, found="the lab folder lost .weeks.json",
                      expected="run `mlops-primer lab reset drift`")
        return
    result = ctx.script("drift.py", timeout=30)
    if result.exit != 0:
        yield Finding("python drift.py writes reports/week-N.json", False, expected="exit 0",
                      found=f"exit {result.exit}" + (f": {result.error}" if result.error
                                                     else ""),
                      todo=bool(result.error and "TODO" in result.error))
        return
    ref = _read(ws / "data" / "reference.csv")
    for i, kind in enumerate(order, start=1):
        path = ws / "reports" / f"week-{i}.json"
        try:
            got = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            got = None
        want = _expected(ref, _read(ws / "data" / f"week-{i}.csv"), kind)
        yield _judge(f"reports/week-{i}.json", got, want)


def _read(path: Path) -> dict[str, list[float]]:
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    pairs = [tuple(float(x) for x in line.split(",")) for line in lines if line]
    return {"distance_km": [p[0] for p in pairs], "duration_min": [p[1] for p in pairs]}
