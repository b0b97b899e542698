"""Wall time of `mlops-primer lab check` on each lab's reference solution.

    uv run python benchmarks/lab_check.py [--runs 3]

For every lesson with a lab: start the lab in a temporary folder, copy in the reference
solution, and time the whole `lab check` command in a new process (start-up, the child
processes that run the learner's code, and the checks on fresh data). Each figure is the
median of ``--runs`` runs after one warm-up. Targets: under 1 s for every lab, under 3 s
for the deployment lab (it starts a server and sends it 100 requests).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench as b  # noqa: E402

TARGETS = {"deployment": 3.0}
DEFAULT_TARGET = 1.0


def _lab_lessons() -> list[str]:
    sys.path.insert(0, str(b.ROOT / "src"))
    from mlops_primer.lessons import load_course
    from mlops_primer.resources import builtin_lessons_dir

    course = load_course(builtin_lessons_dir())
    return [x.id for x in course.lessons if x.lab is not None]


def run(runs: int = 3, lessons: list[str] | None = None) -> list[b.Row]:
    rows = []
    for lesson in lessons or _lab_lessons():
        with tempfile.TemporaryDirectory(prefix="mlops-bench-lab-") as tmp:
            home, labs = Path(tmp) / "home", Path(tmp) / "labs"
            env = b.child_env(home, MLOPS_PRIMER_LABS=str(labs))
            cmd = b.cli_command()
            subprocess.run([*cmd, "lab", "start", lesson], env=env, check=True,
                           capture_output=True)
            solution = b.ROOT / "lessons" / "labs" / lesson / "solution"
            for f in solution.iterdir():
                shutil.copyfile(f, labs / lesson / f.name)

            command = [*cmd, "lab", "check", lesson]
            b.timed_run(command, env)  # warm-up (raises if the check does not pass)
            seconds = b.median([b.timed_run(command, env)[0] for _ in range(runs)])
        target = TARGETS.get(lesson, DEFAULT_TARGET)
        print(f"lab check {lesson:<14} {seconds * 1000:7.0f} ms   (target < {target:g} s)")
        rows.append(b.Row(f"lab check on the reference solution: {lesson}",
                          f"{seconds:.2f} s", f"< {target:g} s", seconds < target))
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    run(parser.parse_args().runs)
