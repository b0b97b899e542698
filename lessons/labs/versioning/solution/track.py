"""Lab: version a dataset, track three runs, register the best (reference solution)."""

import hashlib
import json
from pathlib import Path

import model

DATA = "data/prices.csv"
LOCK = "data/prices.csv.lock"
RUNS = "runs.jsonl"
REGISTRY = "registry.json"
EXPERIMENTS = [
    (0.01, 5, 11),
    (0.03, 20, 12),
    (0.05, 10, 13),
]


def sha256_of(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def make_lock(data_path, lock_path):
    lock = {"path": Path(data_path).name, "sha256": sha256_of(data_path),
            "size": Path(data_path).stat().st_size}
    Path(lock_path).write_text(json.dumps(lock, indent=2) + "\n")


def check_lock(data_path, lock_path):
    lock = json.loads(Path(lock_path).read_text())
    path = Path(data_path)
    return path.stat().st_size == lock["size"] and sha256_of(path) == lock["sha256"]


def log_run(runs_path, run_id, params, metrics, seed, data_hash, code_hash):
    record = {"run_id": run_id, "params": params, "metrics": metrics, "seed": seed,
              "data_hash": data_hash, "code_hash": code_hash}
    with open(runs_path, "a") as fh:
        fh.write(json.dumps(record) + "\n")


def register_best(runs_path, registry_path):
    runs = [json.loads(line) for line in Path(runs_path).read_text().splitlines() if line]
    best = min(runs, key=lambda r: r["metrics"]["mae"])
    entry = {"name": "price-model", "version": 1, **best}
    Path(registry_path).write_text(json.dumps(entry, indent=2) + "\n")


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
