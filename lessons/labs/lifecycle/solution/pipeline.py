"""Lab: a training pipeline with a validation step and a quality gate (reference solution)."""

import csv
import json
import statistics
import sys
from pathlib import Path

COLUMNS = ("house_id", "size_m2", "price")
SIZE_RANGE = (10.0, 1000.0)
QUALITY_GATE = 0.8


def read_rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def validate(rows):
    problems = []
    if not rows:
        return ["the data has no rows"]
    missing = [c for c in COLUMNS if c not in rows[0]]
    if missing:
        return [f"missing column(s): {', '.join(missing)}"]
    for i, row in enumerate(rows, start=2):  # line 1 is the header
        size, price = _number(row["size_m2"]), _number(row["price"])
        if size is None or price is None:
            problems.append(f"line {i}: a value is missing or not a number")
            continue
        if not SIZE_RANGE[0] <= size <= SIZE_RANGE[1]:
            problems.append(f"line {i}: size_m2 {size} is outside {SIZE_RANGE}")
        if price <= 0:
            problems.append(f"line {i}: price {price} is not above 0")
    return problems


def split(rows):
    cut = int(len(rows) * 0.8)
    return rows[:cut], rows[cut:]


def train(rows):
    x = [float(r["size_m2"]) for r in rows]
    y = [float(r["price"]) for r in rows]
    slope, intercept = statistics.linear_regression(x, y)
    return {"slope": slope, "intercept": intercept}


def evaluate(model, rows):
    y = [float(r["price"]) for r in rows]
    pred = [model["slope"] * float(r["size_m2"]) + model["intercept"] for r in rows]
    mean = statistics.fmean(y)
    ss_res = sum((a - b) ** 2 for a, b in zip(y, pred))
    ss_tot = sum((a - mean) ** 2 for a in y)
    return 1 - ss_res / ss_tot


def write_model(out_dir, model, score):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.json").write_text(json.dumps({**model, "r2": score}, indent=2))


def main(argv):
    data, out_dir = argv[1], argv[2]
    rows = read_rows(data)
    problems = validate(rows)
    if problems:
        print("validation failed, no model written:")
        for p in problems[:10]:
            print(" -", p)
        return 1
    train_rows, holdout = split(rows)
    model = train(train_rows)
    score = evaluate(model, holdout)
    if score < QUALITY_GATE:
        print(f"quality gate: R² {score:.3f} is below {QUALITY_GATE}, no model written")
        return 2
    write_model(out_dir, model, score)
    print(f"model written to {out_dir}/model.json (R² on the hold-out: {score:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
