"""Lab: version a dataset, track three runs, register the best.

  1. make_lock()     a small lock file that pins the exact data (like a DVC pointer file)
  2. check_lock()    tells whether the data still matches its lock
  3. log_run()       appends one run's record to runs.jsonl (like an MLflow run)
  4. register_best() writes registry.json naming the best run (like a model registry)

Run it:   python track.py
Check it: mlops-primer lab check versioning
"""

import hashlib
import json
from pathlib import Path

import model

DATA = "data/prices.csv"
LOCK = "data/prices.csv.lock"
RUNS = "runs.jsonl"
REGISTRY = "registry.json"
EXPERIMENTS = [  # three runs to compare: (learning_rate, epochs, seed)
    (0.01, 5, 11),
    (0.03, 20, 12),
    (0.05, 10, 13),
]


def sha256_of(path):
    """The SHA-256 hex digest of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def make_lock(data_path, lock_path):
    """Write lock_path: JSON with the data file's "sha256" and "size" (in bytes)."""
    # TODO 1
    raise NotImplementedError


def check_lock(data_path, lock_path):
    """True when the data file still matches its lock (same size and same hash)."""
    # TODO 2
    raise NotImplementedError


def log_run(runs_path, run_id, params, metrics, seed, data_hash, code_hash):
    """Append ONE line to runs_path: a JSON object with these six keys.

    Keep the lines already there: open the file in append mode ("a").
    """
    # TODO 3
    raise NotImplementedError


def register_best(runs_path, registry_path):
    """Read every run in runs_path and write registry_path naming the one with the
    lowest "mae" in its metrics: {"name": "price-model", "version": 1, "run_id": ...,
    "metrics": ..., "params": ..., "seed": ..., "data_hash": ..., "code_hash": ...}.
    """
    # TODO 4
    raise NotImplementedError


def main():
    make_lock(DATA, LOCK)
    assert check_lock(DATA, LOCK)
    Path(RUNS).unlink(missing_ok=True)
    code_hash = sha256_of("model.py")
    for i, (lr, epochs, seed) in enumerate(EXPERIMENTS, start=1):
        mae = model.train(DATA, lr, epochs, seed)
        log_run(RUNS, f"run-{i}", {"learning_rate": lr, "epochs": epochs}, {"mae": mae},
                seed, sha256_of(DATA), code_hash)
        print(f"run-{i}: learning_rate={lr} epochs={epochs} seed={seed} -> mae {mae:.2f}")
    register_best(RUNS, REGISTRY)
    print("registered:", json.loads(Path(REGISTRY).read_text())["run_id"])


if __name__ == "__main__":
    main()
