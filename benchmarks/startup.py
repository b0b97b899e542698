"""Start-up time of the CLI against the floor of importing its two frameworks.

    uv run python benchmarks/startup.py [--runs 15] [--no-bytecode-cache]

Measures the median wall time (after warm-up runs) of

* the floor: ``python -c "import typer, rich.console"``
* ``mlops-primer --help``
* ``mlops-primer lessons``, for a new learner (no store yet) and for a learner with
  progress in their store (check marks, quiz scores, reviews due and labs to read)

with the console script of the venv, and prints each command's ratio to the floor
(target <= 1.25x). It then reports, without timing, which heavy modules each command
imports in-process (``openai`` must not be among them), and for a command over its
target, the packages that it imports beyond the floor, by ``-X importtime`` self time.

Runs are interleaved (floor, --help, lessons, ..., floor, ...) so that load on the
machine affects all of them alike. The learner homes are temporary folders.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench as b  # noqa: E402

TARGET = 1.25
HEAVY = ("openai", "httpx", "pydantic", "yaml", "jinja2", "sqlite3", "rich.markdown",
         "pygments")

_PROBE = r"""
import json, sys
sys.argv = ["mlops-primer", *{argv!r}]
from mlops_primer.cli import main
try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
sys.stderr.write("\n@@PROBE@@" + json.dumps({{m: m in sys.modules for m in {heavy!r}}}) + "\n")
"""


def loaded_modules(argv: list[str], env: dict) -> dict[str, bool]:
    """Which HEAVY modules are in sys.modules after running the CLI main in-process."""
    proc = b.python_child(_PROBE.format(argv=argv, heavy=HEAVY), env)
    for line in proc.stderr.splitlines():
        if line.startswith("@@PROBE@@"):
            return json.loads(line[len("@@PROBE@@"):])
    raise RuntimeError(f"probe for {argv} failed:\n{proc.stderr}")


def extra_imports(cmd: list[str], floor_cmd: list[str], env: dict, top: int = 6) -> list[str]:
    """Packages imported by ``cmd`` but not by the floor, by summed self time (one run)."""
    floor = set(b.importtime(floor_cmd, env))
    mine = b.importtime(cmd, env)
    by_pkg: dict[str, int] = defaultdict(int)
    for name, (self_us, _cum) in mine.items():
        if name not in floor:
            by_pkg[name.split(".")[0]] += self_us
    total = sum(by_pkg.values())
    ranked = sorted(by_pkg.items(), key=lambda kv: -kv[1])[:top]
    return [f"{total / 1000:.0f} ms of imports beyond the floor; largest: "
            + ", ".join(f"{pkg} {us / 1000:.0f} ms" for pkg, us in ranked)]


# A learner two lessons in: one done with its quiz (a miss and its terms due for review,
# its lab started), one in progress.
_SEED_PROGRESS = """
from datetime import datetime, timedelta, timezone
from mlops_primer.paths import store_file
from mlops_primer.store import LabState, Progress, Store, now_iso
with Store(store_file()) as store:
    store.save_lab(LabState("what-is-mlops", workspace="/nowhere/what-is-mlops", seed=1))
    store.save_progress(Progress("what-is-mlops", theme_id="cooking", step="done",
                                 quiz_score=4, quiz_total=5, completed_at=now_iso()))
    store.save_progress(Progress("lifecycle", theme_id="gardening", step="quiz"))
    past = datetime.now(timezone.utc) - timedelta(days=2)
    store.record_review("what-is-mlops", "quiz", "1", False, now=past, detail="Because.")
    store.schedule_review("what-is-mlops", "term", ["Model", "MLOps", "DevOps"], now=past)
"""


def run(runs: int = 15, warmup: int = 2, bytecode_cache: bool = True) -> list[b.Row]:
    cli = b.cli_command()
    floor_cmd = [b.PYTHON, "-c", "import typer, rich.console"]
    with tempfile.TemporaryDirectory(prefix="mlops-bench-home-") as tmp:
        new_home, learner_home = Path(tmp, "new"), Path(tmp, "learner")
        env = b.child_env(new_home, bytecode_cache=bytecode_cache)
        learner_env = b.child_env(learner_home, bytecode_cache=bytecode_cache)
        seeded = b.python_child(_SEED_PROGRESS, learner_env)
        if seeded.returncode != 0:
            raise RuntimeError(f"could not seed a learner's progress:\n{seeded.stderr}")
        cmds = {  # name: (command, environment)
            "floor": (floor_cmd, env),
            "--help": ([*cli, "--help"], env),
            "lessons": ([*cli, "lessons"], env),
            "lessons, with progress": ([*cli, "lessons"], learner_env),
        }
        for _ in range(warmup):  # fills the bytecode cache and the course's parse cache
            for cmd, cmd_env in cmds.values():
                b.timed_run(cmd, cmd_env)
        times: dict[str, list[float]] = {name: [] for name in cmds}
        cpus: dict[str, list[float]] = {name: [] for name in cmds}
        for i in range(runs):
            names = list(cmds)
            names = names[i % len(names):] + names[:i % len(names)]  # rotate who goes first
            for name in names:
                wall, cpu = b.timed_run(*cmds[name])
                times[name].append(wall)
                cpus[name].append(cpu)

        med = {name: b.median(ts) for name, ts in times.items()}
        cpu_med = {name: b.median(cs) for name, cs in cpus.items()}
        print(f"startup: {' '.join(cli)} ({runs} runs each after {warmup} warm-up runs, "
              f"bytecode cache {'on' if bytecode_cache else 'as inherited'})")
        print(f"  {'command':<36}{'median':>10}{'min':>10}{'max':>10}{'x floor':>9}  "
              f"{'target':<16}{'CPU median':>11}{'x floor':>9}")
        rows: list[b.Row] = []
        for name, ts in times.items():
            ratio = med[name] / med["floor"]
            cpu_ratio = cpu_med[name] / cpu_med["floor"]
            label = "floor (import typer+rich)" if name == "floor" else f"mlops-primer {name}"
            tgt = "" if name == "floor" else f"<= {TARGET:.2f}x: {b.verdict(ratio <= TARGET)}"
            print(f"  {label:<36}{b.ms(med[name]):>10}{b.ms(min(ts)):>10}"
                  f"{b.ms(max(ts)):>10}{ratio:>8.2f}x  {tgt:<16}{b.ms(cpu_med[name]):>11}"
                  f"{cpu_ratio:>8.2f}x")
            if name != "floor":
                rows.append(b.Row(f"startup: {name} / floor (wall)", f"{ratio:.2f}x "
                                  f"({b.ms(med[name])} vs {b.ms(med['floor'])})",
                                  f"<= {TARGET:.2f}x", ratio <= TARGET))
        print("  (wall time is the target; CPU = user+system of the child, less disturbed by "
              "a busy machine)")

        print("  heavy modules in sys.modules after running main() in-process:")
        for name in ("--help", "lessons"):
            mods = loaded_modules([name], learner_env)
            loaded = [m for m, yes in mods.items() if yes]
            print(f"    mlops-primer {name:<10} openai imported: "
                  f"{'YES' if mods['openai'] else 'no'}; heavy modules loaded: "
                  f"{', '.join(loaded) or 'none'}")
            rows.append(b.Row(f"startup: openai not imported by {name}",
                              "imported" if mods["openai"] else "not imported",
                              "not imported", not mods["openai"]))

        for name, (cmd, cmd_env) in cmds.items():
            if name != "floor" and med[name] / med["floor"] > TARGET:
                print(f"  why mlops-primer {name} is over target (-X importtime, one run):")
                for line in extra_imports(cmd, floor_cmd, cmd_env):
                    print(f"    {line}")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--no-bytecode-cache", action="store_true",
                    help="keep the inherited PYTHONDONTWRITEBYTECODE / pycache settings")
    args = ap.parse_args()
    run(args.runs, args.warmup, bytecode_cache=not args.no_bytecode_cache)


if __name__ == "__main__":
    main()
