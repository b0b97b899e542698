"""Lab: fingerprint two training runs (reference solution)."""

import hashlib
import json
from pathlib import Path


def fingerprint(path):
    """The SHA-256 hex digest of the file at `path`."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def manifest(run_dir):
    """A run's manifest: fingerprints of its code and data, and its parameters."""
    run = Path(run_dir)
    return {
        "code": fingerprint(run / "train.py"),
        "data": fingerprint(run / "data.csv"),
        "params": json.loads((run / "params.json").read_text()),
    }


def changed(manifest_a, manifest_b):
    """The names of the ingredients that differ."""
    return [key for key in ("code", "data", "params") if manifest_a[key] != manifest_b[key]]


if __name__ == "__main__":
    a, b = manifest("run_a"), manifest("run_b")
    print(json.dumps({"run_a": a, "run_b": b}, indent=2))
    print("changed:", changed(a, b))
