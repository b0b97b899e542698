"""Lab: a training pipeline with a validation step and a quality gate.

Run it:   python pipeline.py data/clean.csv out
          python pipeline.py data/gaps.csv out      (must stop at validation)
          python pipeline.py data/shuffled.csv out  (must stop at the quality gate)
Check it: mlops-primer lab check lifecycle

Each step is a small function; main() runs them in order, like an orchestrator would.
Only Python's standard library is needed.
"""

import csv
import json
import statistics
import sys
from pathlib import Path

COLUMNS = ("house_id", "size_m2", "price")
SIZE_RANGE = (10.0, 1000.0)  # square metres a real house can have
QUALITY_GATE = 0.8  # the model must explain at least 80% of the variation (R² >= 0.8)


def read_rows(path):
    """The CSV file as a list of dictionaries (every value is a string)."""
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def validate(rows):
    """A list of problems found in the data; an empty list means the data is fine.

    Look for: a missing column, an empty value, a value that is not a number,
    a size outside SIZE_RANGE, a price that is not above 0.
    """
    problems = []
    # TODO 1: check every row, append a short sentence for each problem found.
    raise NotImplementedError
    return problems


def split(rows):
    """The first 80% of rows to train on, the last 20% held out to evaluate."""
    cut = int(len(rows) * 0.8)
    return rows[:cut], rows[cut:]


def train(rows):
    """Fit price = slope * size_m2 + intercept. Returns {"slope": ..., "intercept": ...}."""
    # TODO 2: build the lists x (sizes) and y (prices) as floats, then use
    #         statistics.linear_regression(x, y).
    raise NotImplementedError


def evaluate(model, rows):
    """R² of the model on rows: 1 - (sum of squared errors) / (sum of squared deviations)."""
    # TODO 3: predict each price, then compute R².
    raise NotImplementedError


def write_model(out_dir, model, score):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.json").write_text(json.dumps({**model, "r2": score}, indent=2))


def main(argv):
    data, out_dir = argv[1], argv[2]
    rows = read_rows(data)
    problems = validate(rows)
    # TODO 4: if validation found problems, print them and return 1: no model is written.
    train_rows, holdout = split(rows)
    model = train(train_rows)
    score = evaluate(model, holdout)
    # TODO 5: the quality gate: if score < QUALITY_GATE, print why and return 2.
    write_model(out_dir, model, score)
    print(f"model written to {out_dir}/model.json (R² on the hold-out: {score:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
