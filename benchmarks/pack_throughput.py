"""`pack build` throughput against a server that takes 1 s per answer.

    uv run python benchmarks/pack_throughput.py [--latency 1.0]

Runs ``mlops-primer pack build`` with ``--concurrency 1`` and ``--concurrency 4``
against the fake OpenAI server of the tests (tests/fakeserver.py) set to wait
``--latency`` seconds before each answer, as a real model does while it thinks.

The course is the shipped one without its five-theme lesson (copied to a temporary
folder): 16 answers, a multiple of 4, so four requests at a time can keep the server
busy to the end (with 21 answers the last round holds one request, and no build could
reach 3.5x). Throughput is answers per second from the first request reaching the
server to the last answer ending (the server's own clock), so process start-up, the
same for both, is left out; the whole command's wall time is printed too.

Target: ``--concurrency 4`` at least 3.5x the throughput of ``--concurrency 1``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench as b  # noqa: E402

sys.path.insert(0, str(b.ROOT / "tests"))
TARGET = 3.5


def course_of_16(into: Path) -> Path:
    """The shipped course minus its lessons with other than four themes."""
    from mlops_primer.lessons import load_course
    from mlops_primer.resources import builtin_lessons_dir

    dest = into / "lessons"
    shutil.copytree(builtin_lessons_dir(), dest)
    for lesson in load_course(dest).lessons:
        if len(lesson.themes) != 4:
            assert lesson.path is not None
            Path(lesson.path).unlink()
            shutil.rmtree(dest / "pack" / lesson.id, ignore_errors=True)
    return dest


def _build(base_url: str, lessons: Path, concurrency: int, server) -> tuple[float, float, int]:  # noqa: ANN001
    """(answers per second on the server's clock, wall seconds, answers written)."""
    with tempfile.TemporaryDirectory(prefix="mlops-bench-home-") as home:
        out = Path(home) / "class.jsonl"
        env = b.child_env(Path(home), MLOPS_PRIMER_LESSONS=str(lessons))
        before = len(server.chat_requests())
        t0 = time.perf_counter()
        proc = subprocess.run([*b.cli_command(), "pack", "build", "--model", "test-model",
                               "--base-url", base_url, "--concurrency", str(concurrency),
                               "-o", str(out)], env=env, capture_output=True, text=True,
                              cwd=b.ROOT)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"pack build failed:\n{proc.stderr}")
        written = len(out.read_text().splitlines())
    asked = server.chat_requests()[before:]
    span = max(r.done_at or r.at for r in asked) - min(r.at for r in asked)
    return written / span, wall, written


def run(latency: float = 1.0) -> list[b.Row]:
    from fakeserver import FakeOpenAI

    server = FakeOpenAI(latency=latency).start()
    try:
        with tempfile.TemporaryDirectory(prefix="mlops-bench-") as tmp:
            lessons = course_of_16(Path(tmp))
            one, wall1, n1 = _build(server.base_url, lessons, 1, server)
            four, wall4, n4 = _build(server.base_url, lessons, 4, server)
    finally:
        server.stop()
    ratio = four / one
    print(f"--concurrency 1: {n1} answers, {one:.2f} answers/s ({wall1:.1f} s wall)")
    print(f"--concurrency 4: {n4} answers, {four:.2f} answers/s ({wall4:.1f} s wall)")
    print(f"throughput ratio: {ratio:.2f}x (wall time ratio {wall1 / wall4:.2f}x), "
          f"{latency:g} s per answer")
    return [b.Row(f"pack build: --concurrency 4 / 1 throughput, {latency:g} s per answer",
                  f"{ratio:.2f}x", f">= {TARGET}x", ratio >= TARGET)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=1.0)
    args = parser.parse_args()
    for row in run(args.latency):
        print(f"{row.figure}: {row.value} (target {row.target}: {b.verdict(row.met)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
