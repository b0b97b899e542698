"""Run every benchmark and print a summary table.

    uv run python benchmarks/run_all.py

Each benchmark prints its own figures first; the table at the end lists every target
with the measured figure and whether it was met. Nothing here asserts: the exit code is
0 when every benchmark ran (met or not), 1 when one of them failed to run.
Takes about two minutes: the naive renderer of stream_render.py, and pack_throughput.py's
builds against a server taking 1 s per answer (16 s, then 4 s).
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench as b  # noqa: E402

BENCHMARKS = ("startup", "stream_render", "replay", "store_lookup", "lab_check", "first_token",
              "oneshot", "pack_throughput", "cache_list")


def main() -> int:
    rows: list[b.Row] = []
    failed: list[str] = []
    t_all = time.perf_counter()
    for name in BENCHMARKS:
        print(f"== {name} " + "=" * (70 - len(name)), flush=True)
        t0 = time.perf_counter()
        try:
            module = __import__(name)
            rows.extend(module.run())
        except Exception:  # report and go on with the others
            traceback.print_exc()
            failed.append(name)
            rows.append(b.Row(f"{name}: did not run", "error", "-", False))
        print(f"({name} took {time.perf_counter() - t0:.1f} s)\n", flush=True)

    w = max(len(r.figure) for r in rows)
    v = max(len(r.value) for r in rows)
    t = max(len(r.target) for r in rows)
    print("== summary " + "=" * 63)
    print(f"{'figure':<{w}}  {'measured':<{v}}  {'target':<{t}}  met?")
    print(f"{'-' * w}  {'-' * v}  {'-' * t}  ----")
    for r in rows:
        print(f"{r.figure:<{w}}  {r.value:<{v}}  {r.target:<{t}}  {b.verdict(r.met)}")
    met = sum(1 for r in rows if r.met)
    print(f"\n{met} of {len(rows)} targets met; all benchmarks took "
          f"{time.perf_counter() - t_all:.0f} s" + (f"; FAILED TO RUN: {', '.join(failed)}"
                                                    if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
