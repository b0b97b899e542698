"""From the learner's Enter to the first token on screen, in `learn`, in a pseudo-terminal.

    uv run python benchmarks/first_token.py [--runs 5]

Plays ``mlops-primer learn lifecycle`` in a real pseudo-terminal (pexpect) against the
fake OpenAI server of the tests (tests/fakeserver.py, answering at once). At the theme
prompt the "learner" reads for ``--read`` seconds (as a person does), then types a world
of their own (so no cache or pack can answer) and presses Enter; the figure is the time
from that Enter to the first word of the answer appearing on the terminal. Everything
in it is our overhead: the fake server answers within a millisecond or two.

Target: under 50 ms, because `learn` makes the client (and imports ``openai``, about half
a second) ready in a background thread while the learner reads. For comparison it also
measures the same Enter pressed without reading (the warm-up cannot have finished).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench as b  # noqa: E402

sys.path.insert(0, str(b.ROOT / "tests"))
TARGET = 0.050
FIRST = "Zanzibarian"  # the answer's first word: nothing else on screen contains it


def _one(base_url: str, read: float) -> float:
    import pexpect

    with tempfile.TemporaryDirectory(prefix="mlops-bench-home-") as home:
        env = b.child_env(Path(home), TERM="xterm-256color", LINES="40")
        child = pexpect.spawn(b.cli_command()[0], [*b.cli_command()[1:], "learn", "lifecycle",
                              "--base-url", base_url, "--model", "test-model"],
                              env=env, cwd=str(b.ROOT), encoding="utf-8", timeout=60,
                              dimensions=(40, 100))
        child.delaybeforesend = None  # pexpect sleeps 50 ms before each send by default
        try:
            # the intro comes a screen at a time; the world menu ends with "World (1-"
            while child.expect([r"Enter: more", r"Enter: choose a world", r"World \(1-"]) < 2:
                child.sendline("")
            time.sleep(read)
            t0 = time.perf_counter()
            child.send("a bakery on the moon\r")
            child.expect(FIRST)
            dt = time.perf_counter() - t0
            child.expect("Enter: explain it back")
            child.sendline("quit")
            child.expect(pexpect.EOF)
        finally:
            child.close(force=True)
    return dt


def run(runs: int = 5, read: float = 6.0) -> list[b.Row]:
    from fakeserver import FakeOpenAI

    server = FakeOpenAI(default_reply=f"{FIRST} bakers knead the dough.\n\n## Recap\n\nOk.\n",
                        chunk_size=12).start()
    try:
        _one(server.base_url, 0.5)  # warm-up: bytecode cache, page cache
        read_times = [_one(server.base_url, read) for _ in range(runs)]
        hurried = [_one(server.base_url, 0.0) for _ in range(max(1, runs // 2))]
    finally:
        server.stop()
    med, hur = b.median(read_times), b.median(hurried)
    print(f"Enter -> first token, learner read {read:g} s first: median {b.ms(med)} "
          f"(min {b.ms(min(read_times))}, max {b.ms(max(read_times))}, {runs} runs)")
    print(f"Enter -> first token, Enter pressed at once (warm-up not done): median "
          f"{b.ms(hur)}")
    return [
        b.Row("first token: Enter -> first token on screen (after reading)", b.ms(med),
              f"< {TARGET * 1000:.0f} ms", med < TARGET),
        b.Row("first token: the same, Enter pressed at once (no reading)", b.ms(hur), "-",
              None),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--read", type=float, default=6.0)
    args = parser.parse_args()
    for row in run(args.runs, args.read):
        print(f"{row.figure}: {row.value} (target {row.target}: {b.verdict(row.met)})")
    return 0


if __name__ == "__main__":
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.exit(main())
