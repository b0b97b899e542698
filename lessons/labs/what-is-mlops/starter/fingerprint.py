"""Lab: fingerprint two training runs.

A model is made of code + data + parameters. Record a fingerprint of each, and you can
tell exactly which one changed between two runs. Fill in the three TODOs, then run
`mlops-primer lab check what-is-mlops`.

Only Python's standard library is needed (hashlib, json, pathlib).
"""

import hashlib
import json
from pathlib import Path


def fingerprint(path):
    """The SHA-256 hex digest of the file at `path` (a string of 64 hex characters)."""
    # TODO: open the file in binary mode ("rb"), feed its bytes to hashlib.sha256(),
    #       and return .hexdigest(). Big files: read and update in chunks.
    raise NotImplementedError


def manifest(run_dir):
    """A run's manifest: {"code": ..., "data": ..., "params": ...}.

    code:   fingerprint of run_dir/train.py
    data:   fingerprint of run_dir/data.csv
    params: the dictionary read from run_dir/params.json
    """
    run = Path(run_dir)
    # TODO: build and return the dictionary.
    raise NotImplementedError


def changed(manifest_a, manifest_b):
    """The names of the ingredients ("code", "data", "params") that differ, as a list."""
    # TODO: compare the two manifests key by key.
    raise NotImplementedError


if __name__ == "__main__":
    # Try it: python fingerprint.py
    a, b = manifest("run_a"), manifest("run_b")
    print(json.dumps({"run_a": a, "run_b": b}, indent=2))
    print("changed:", changed(a, b))
