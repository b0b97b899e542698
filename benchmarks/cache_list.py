"""`mlops-primer cache list` in a store of 100,000 answers, end to end.

    uv run python benchmarks/cache_list.py [--answers 100000] [--runs 5] [--compare]

Fills a temporary store with ``--answers`` answers of ~3 KB (one bulk transaction, as
an imported class pack would leave it; filling is not what is measured), then times
the real console script in a new process, ``MLOPS_PRIMER_HOME`` pointing at it:

* ``cache list`` (the newest 20, as a table): the headline figure, target < 1 s;
* ``cache list --json`` (the same page, for scripts);
* ``cache list --json --all`` (every answer's summary: reported, no target).

Each is the median of ``--runs`` runs after one warm-up, with the peak memory of the
child process, and its ratio to the start-up floor (``python -c "import typer,
rich.console"``, as in startup.py) timed in the same rounds: on a busy machine the
absolute figure moves with the load, the ratio much less. ``--compare`` also times, in
this process, what the command did before it paged: load every answer whole
(``Store.answers()``).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench as b  # noqa: E402

from mlops_primer.store import Store, content_hash  # noqa: E402

TARGET_S = 1.0
ANSWER_BYTES = 3000


def fill(path: Path, n: int) -> None:
    """``n`` answers in one transaction, with dates in no particular order of ids."""
    rng = random.Random(5)
    words = ["model", "data", "pipeline", "drift", "serving", "feature", "registry", "the",
             "a", "of", "kitchen", "chef", "recipe", "monitoring", "version"]
    body = " ".join(rng.choice(words) for _ in range(ANSWER_BYTES // 6))[:ANSWER_BYTES]
    messages = json.dumps([{"role": "system", "content": "You are a patient tutor." * 4},
                           {"role": "user", "content": "Explain drift with pirates." * 4}])
    with Store(path) as store:
        db = store._db  # noqa: SLF001 - a bulk fill, not the code being measured
        db.execute("BEGIN")
        rows = []
        for i in range(n):
            answer = f"{i}: {body}"
            mh = f"mh-{i}"
            stamp = 1_700_000_000 + rng.randrange(50_000_000)
            rows.append((f"key-{i}", mh, content_hash(mh, "model-a", answer), f"l{i % 50}",
                         f"t{i % 7}", f"world {i % 7}", messages, answer, "model-a",
                         "bench.local", "import", "stop",
                         time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(stamp))))
            if len(rows) == 5000:
                _insert(db, rows)
                rows = []
        _insert(db, rows)
        db.execute("COMMIT")


def _insert(db, rows) -> None:  # noqa: ANN001
    db.executemany(
        "INSERT INTO answers (key, messages_hash, content_hash, lesson_id, theme_id, "
        "theme_label, messages, answer, model, host, source, finish_reason, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _child(args: list[str], env: dict) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout) of one run of the console script."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run([*b.cli_command(), *args], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, cwd=b.ROOT)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"cache {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
    # ru_maxrss of children is the largest so far (KB on Linux): a lower bound per run
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return dt, peak, proc.stdout


def run(answers: int = 100_000, runs: int = 5, compare: bool = False) -> list[b.Row]:
    rows: list[b.Row] = []
    with tempfile.TemporaryDirectory(prefix="mlops-bench-list-") as tmp:
        home = Path(tmp)
        t0 = time.perf_counter()
        fill(home / "primer.db", answers)
        fill_s = time.perf_counter() - t0
        size_mb = (home / "primer.db").stat().st_size / 1e6
        env = b.child_env(home)
        cases = {"cache list": ["cache", "list"],
                 "cache list --json": ["cache", "list", "--json"],
                 "cache list --json --all": ["cache", "list", "--json", "--all"]}
        floor_cmd = [b.PYTHON, "-c", "import typer, rich.console"]
        b.timed_run(floor_cmd, env)  # warm-up
        floors: list[float] = []
        results: dict[str, tuple[float, float, int]] = {}
        for name, args in cases.items():
            _child(args, env)  # warm-up
            times, peak, out = [], 0.0, ""
            for _ in range(runs if "--all" not in args else max(1, runs // 2)):
                floors.append(b.timed_run(floor_cmd, env)[0])
                dt, peak, out = _child(args, env)
                times.append(dt)
            shown = len(json.loads(out)) if "--json" in args else out.count("\n")
            results[name] = (b.median(times), peak, shown)
        floor = b.median(floors)
        old_s = None
        if compare:
            with Store(home / "primer.db") as store:
                t0 = time.perf_counter()
                n = len(store.answers())
                old_s = time.perf_counter() - t0
                assert n == answers

    print(f"cache_list: {answers:,} answers of ~{ANSWER_BYTES / 1000:.0f} KB, store "
          f"{size_mb:.0f} MB (filled in {fill_s:.1f} s)")
    print(f"  start-up floor (import typer, rich.console): {floor:.3f} s, median of the "
          "same rounds")
    print(f"  {'command':<26}{'median':>10}{'/ floor':>9}{'peak RSS':>11}{'lines':>9}  "
          f"target < {TARGET_S:g} s (the default page)")
    for name, (med, peak, shown) in results.items():
        headline = name == "cache list"
        ok = med < TARGET_S if headline else None
        print(f"  {name:<26}{med:>9.3f}s{med / floor:>8.2f}x{peak:>9.0f}MB{shown:>9,}  "
              f"{b.verdict(ok) if headline else '(info)'}")
        if headline:
            rows.append(b.Row(f"{name} with {answers:,} answers (end to end)",
                              f"{med:.3f} s ({med / floor:.2f}x floor), {peak:.0f} MB",
                              f"< {TARGET_S:g} s", ok))
    if old_s is not None:
        med = results["cache list"][0]
        print(f"  before paging, loading every answer whole took {old_s:.2f} s in-process: "
              f"{old_s / med:.0f}x the whole `cache list` command now")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--answers", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--compare", action="store_true")
    args = ap.parse_args()
    run(args.answers, args.runs, args.compare)


if __name__ == "__main__":
    main()
