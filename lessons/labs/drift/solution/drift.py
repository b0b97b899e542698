"""Lab: measure drift week by week, and tell drift from a broken pipeline (reference)."""

import bisect
import csv
import json
import math
import statistics
from pathlib import Path

FEATURES = ("distance_km", "duration_min")
EPSILON = 1e-4
MODERATE, SIGNIFICANT = 0.1, 0.25
UNIT_FACTORS = (1 / 1.609344, 1.609344)  # km -> miles, miles -> km
UNIT_TOLERANCE = 0.08


def read_column(path, name):
    with open(path, newline="") as fh:
        return [float(row[name]) for row in csv.DictReader(fh)]


def psi(ref, live, bins=10):
    edges = statistics.quantiles(ref, n=bins)
    def shares(values):
        counts = [0] * bins
        for v in values:
            counts[bisect.bisect_right(edges, v)] += 1
        return [max(c / len(values), EPSILON) for c in counts]
    r, l = shares(ref), shares(live)
    return sum((b - a) * math.log(b / a) for a, b in zip(r, l))


def ks_stat(ref, live):
    a, b = sorted(ref), sorted(live)
    best = 0.0
    for x in a + b:
        fa = bisect.bisect_right(a, x) / len(a)
        fb = bisect.bisect_right(b, x) / len(b)
        best = max(best, abs(fa - fb))
    return best


def status(value):
    if value < MODERATE:
        return "stable"
    return "moderate" if value <= SIGNIFICANT else "significant"


def looks_like_unit_change(ref, live):
    """True when every decile of live is the same decile of ref times one unit factor."""
    ref_q = statistics.quantiles(ref, n=10)
    live_q = statistics.quantiles(live, n=10)
    for factor in UNIT_FACTORS:
        if all(abs(lq / (rq * factor) - 1) <= UNIT_TOLERANCE for rq, lq in zip(ref_q, live_q)):
            return True
    return False


def report(reference, week):
    features = {}
    skew = False
    for name in FEATURES:
        value = psi(reference[name], week[name])
        features[name] = {"psi": value, "ks": ks_stat(reference[name], week[name]),
                          "status": status(value)}
        if status(value) != "stable" and looks_like_unit_change(reference[name], week[name]):
            skew = True
    drifted = any(f["status"] == "significant" for f in features.values())
    return {"features": features, "skew": skew, "retrain": drifted and not skew}


def main():
    reference = {n: read_column("data/reference.csv", n) for n in FEATURES}
    out = Path("reports")
    out.mkdir(exist_ok=True)
    for path in sorted(Path("data").glob("week-*.csv")):
        week = {n: read_column(path, n) for n in FEATURES}
        result = report(reference, week)
        (out / f"{path.stem}.json").write_text(json.dumps(result, indent=2) + "\n")
        flags = ", ".join(f"{n} {f['status']} (PSI {f['psi']:.3f})"
                          for n, f in result["features"].items())
        print(f"{path.stem}: {flags}; skew={result['skew']} retrain={result['retrain']}")


if __name__ == "__main__":
    main()
