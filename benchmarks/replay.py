"""Wall time of an offline replay, end to end, in a new process.

    uv run python benchmarks/replay.py [--runs 7]

Times ``mlops-primer learn lifecycle --theme cooking --no-input --offline`` (the
console script of the venv) with ``MLOPS_PRIMER_HOME`` set to a temporary folder:

* with stdout on a pseudo-terminal, so the answer is rendered as Markdown by rich, as a
  learner sees it (Linux/macOS only), in a learner home already in use (the headline
  figure: the store and the course's parse cache exist) and in a new, empty home (a
  learner's first replay, which creates both);
* with stdout on a pipe, so the answer is written as plain text (as in a script).

Each figure is the median of ``--runs`` runs after one warm-up run. Target: < 0.5 s.
It then runs the same command once under ``python -X importtime`` and checks that no
``openai`` module was imported.

The answer comes from the course's offline pack. If the shipped pack answer is stale
(its ``prompt_hash`` does not match the current prompt, e.g. while lessons are being
edited), the course is copied to a temporary folder, that one answer is stamped there
(the repository is not touched) and ``MLOPS_PRIMER_LESSONS`` points at the copy: the
work done by the replay is the same.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench as b  # noqa: E402

LESSON, THEME = "lifecycle", "cooking"
TARGET = 0.5
ARGS = ["learn", LESSON, "--theme", THEME, "--no-input", "--offline"]


def pack_is_fresh(lessons_dir: Path) -> bool:
    """True when the pack answer for LESSON x THEME answers the current prompt."""
    from mlops_primer import prompts
    from mlops_primer.lessons import load_course
    from mlops_primer.pack import find_pack_answer

    course = load_course(lessons_dir)
    lesson = course.get(LESSON)
    theme = lesson.theme(THEME)
    mhash = prompts.messages_hash(prompts.render(course, lesson, theme))
    return find_pack_answer(course, lesson, theme, mhash) is not None


def stamped_copy(into: Path) -> Path:
    """A copy of the shipped course with LESSON's pack answers stamped fresh."""
    from mlops_primer.lessons import load_course
    from mlops_primer.pack import stamp
    from mlops_primer.resources import builtin_lessons_dir

    dest = into / "lessons"
    shutil.copytree(builtin_lessons_dir(), dest)
    stamp(load_course(dest), lesson_id=LESSON)
    return dest


def _run_pty(cmd: list[str], env: dict) -> tuple[float, int, bytes]:
    """Wall seconds, exit code and output of ``cmd`` with stdout on a pseudo-terminal."""
    import pty

    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=slave,
                          stderr=subprocess.PIPE, cwd=b.ROOT)
    dt = time.perf_counter() - t0
    os.close(slave)
    reader.join(timeout=5)
    os.close(master)
    return dt, proc.returncode, b"".join(chunks) + b"\n" + proc.stderr


def _run_pipe(cmd: list[str], env: dict) -> tuple[float, int, bytes]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          cwd=b.ROOT)
    return time.perf_counter() - t0, proc.returncode, proc.stdout + b"\n" + proc.stderr


def _measure(runner, cmd: list[str], base_env: dict, runs: int, *,  # noqa: ANN001
             fresh_home: bool) -> list[float]:
    """Wall seconds of ``runs`` replays after one warm-up run.

    ``fresh_home``: every run gets a new, empty learner home (a learner's first replay:
    the store and the course's parse cache are created). Otherwise one home is shared,
    filled by the warm-up run (every later replay).
    """
    times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="mlops-bench-home-") as shared:
        for i in range(runs + 1):  # the first run is the warm-up
            with tempfile.TemporaryDirectory(prefix="mlops-bench-home-") as own:
                env = {**base_env, "MLOPS_PRIMER_HOME": own if fresh_home else shared}
                dt, rc, out = runner(cmd, env)
            if rc != 0 or b"offline answer from the course pack" not in out:
                raise RuntimeError(f"replay failed (exit {rc}):\n{out.decode(errors='replace')}")
            if i:
                times.append(dt)
    return times


def run(runs: int = 7) -> list[b.Row]:
    from mlops_primer.resources import builtin_lessons_dir

    cmd = [*b.cli_command(), *ARGS]
    rows: list[b.Row] = []
    with ExitStack() as stack:
        extra: dict[str, str] = {}
        if pack_is_fresh(builtin_lessons_dir()):
            source = "the shipped course pack"
        else:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mlops-bench-")))
            extra["MLOPS_PRIMER_LESSONS"] = str(stamped_copy(tmp))
            source = ("a stamped temporary copy of the course (the shipped pack answer is "
                      "stale)")
        base_env = b.child_env(None, **extra)

        print(f"replay: mlops-primer {' '.join(ARGS)}")
        print(f"  answer from {source}; median of {runs} runs after 1 warm-up")
        figures: list[tuple[str, list[float]]] = []
        if os.name == "posix":
            figures.append(("terminal, learner home in use", _measure(
                _run_pty, cmd, base_env, runs, fresh_home=False)))
            figures.append(("terminal, new learner home", _measure(
                _run_pty, cmd, base_env, runs, fresh_home=True)))
        figures.append(("pipe, learner home in use", _measure(
            _run_pipe, cmd, base_env, runs, fresh_home=False)))
        for label, ts in figures:
            med = b.median(ts)
            ok = med < TARGET
            print(f"  {label:<31} median {b.ms(med):>9}  min {b.ms(min(ts)):>9}  "
                  f"max {b.ms(max(ts)):>9}  target < {TARGET} s: {b.verdict(ok)}")
            rows.append(b.Row(f"replay: {label}", b.ms(med), f"< {TARGET:.1f} s", ok))

        # one run under -X importtime: was any openai module imported?
        with tempfile.TemporaryDirectory(prefix="mlops-bench-home-") as home:
            env = {**base_env, "MLOPS_PRIMER_HOME": home}
            proc = subprocess.run([b.PYTHON, "-X", "importtime", "-m", "mlops_primer", *ARGS],
                                  env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, cwd=b.ROOT)
        if proc.returncode != 0:
            raise RuntimeError(f"importtime run failed:\n{proc.stderr}")
        imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
                    if line.startswith("import time:") and "|" in line]
        openai_mods = [m for m in imported if m.split(".")[0] == "openai"]
        heavy = [m for m in ("httpx", "pydantic", "yaml", "jinja2", "sqlite3", "rich.markdown")
                 if m in imported]
        print(f"  -X importtime: {len(imported)} modules imported; openai imported: "
              f"{'YES (' + ', '.join(openai_mods[:3]) + ')' if openai_mods else 'no'}; "
              f"heavy ones loaded: {', '.join(heavy) or 'none'}")
        rows.append(b.Row("replay: openai not imported", "imported" if openai_mods else
                          "not imported", "not imported", not openai_mods))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    run(args.runs)


if __name__ == "__main__":
    main()
