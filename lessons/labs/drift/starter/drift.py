"""Lab: measure drift week by week, and tell drift from a broken pipeline.

Run it:   python drift.py        (writes reports/week-1.json ... week-4.json)
Check it: mlops-primer lab check drift

Only Python's standard library is needed (bisect, math, statistics).
"""

import bisect
import csv
import json
import math
import statistics
from pathlib import Path

FEATURES = ("distance_km", "duration_min")
EPSILON = 1e-4  # the share given to an empty bin, so log() never sees 0
MODERATE, SIGNIFICANT = 0.1, 0.25  # PSI: < 0.1 stable, <= 0.25 moderate, else significant
UNIT_FACTORS = (1 / 1.609344, 1.609344)  # km -> miles, miles -> km
UNIT_TOLERANCE = 0.08


def read_column(path, name):
    with open(path, newline="") as fh:
        return [float(row[name]) for row in csv.DictReader(fh)]


def psi(ref, live, bins=10):
    """Population Stability Index of live against ref.

    1. edges = statistics.quantiles(ref, n=bins): the 9 cut points of ref's deciles,
       so each of the 10 bins holds a tenth of the reference.
    2. For ref and for live: the share of values in each bin (bin of v:
       bisect.bisect_right(edges, v)); an empty bin gets EPSILON instead of 0.
    3. PSI = sum over bins of (live_share - ref_share) * ln(live_share / ref_share).
    """
    # TODO 1
    raise NotImplementedError


def ks_stat(ref, live):
    """Kolmogorov-Smirnov statistic: the largest gap between the two samples'
    cumulative distributions (share of values <= x), over every x in either sample."""
    # TODO 2
    raise NotImplementedError


def status(value):
    """'stable', 'moderate' or 'significant' for a PSI value."""
    # TODO 3
    raise NotImplementedError


def looks_like_unit_change(ref, live):
    """True when every decile of live is ref's same decile times one of UNIT_FACTORS
    (within UNIT_TOLERANCE): the values did not drift, their unit changed."""
    ref_q = statistics.quantiles(ref, n=10)
    live_q = statistics.quantiles(live, n=10)
    for factor in UNIT_FACTORS:
        if all(abs(lq / (rq * factor) - 1) <= UNIT_TOLERANCE for rq, lq in zip(ref_q, live_q)):
            return True
    return False


def report(reference, week):
    """The week's report: {"features": {name: {"psi", "ks", "status"}}, "skew", "retrain"}.

    skew:    True when a feature that is not stable looks like a unit change
             (training-serving skew: a pipeline bug, not a change in the world).
    retrain: True when some feature's shift is significant AND it is not skew.
    """
    # TODO 4
    raise NotImplementedError


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
