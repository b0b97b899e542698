"""One-shot `learn --no-input` against a bare openai-SDK script streaming the same answer.

    uv run python benchmarks/oneshot.py [--runs 7]

Both are new processes asking the fake OpenAI server of the tests (tests/fakeserver.py)
for the same answer and writing it to a pipe:

* ours: ``mlops-primer learn lifecycle --theme "a bakery on the moon" --no-input
  --no-cache`` (so the LLM is asked every time), which also loads the course, renders
  the prompt, opens the store and stores the answer;
* the floor: ``python -c "import openai; ..."`` streaming one chat completion with the
  same messages and printing its text.

Each figure is the median of ``--runs`` runs after one warm-up run of each. Target: ours
at most 1.3x the bare script.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench as b  # noqa: E402

sys.path.insert(0, str(b.ROOT / "tests"))
TARGET = 1.3
THEME = "a bakery on the moon"
BARE = """
import json, sys
import openai
messages = json.loads(sys.argv[2])
client = openai.OpenAI(api_key="not-needed", base_url=sys.argv[1], max_retries=1)
for chunk in client.chat.completions.create(model="test-model", messages=messages,
                                            stream=True, max_tokens=1500):
    for choice in chunk.choices:
        if choice.delta and choice.delta.content:
            sys.stdout.write(choice.delta.content)
sys.stdout.write("\\n")
"""


def run(runs: int = 7) -> list[b.Row]:
    import json

    from fakeserver import FakeOpenAI

    from mlops_primer import prompts
    from mlops_primer.lessons import load_course
    from mlops_primer.resources import builtin_lessons_dir

    course = load_course(builtin_lessons_dir())
    lesson = course.get("lifecycle")
    messages = [m.as_dict() for m in prompts.render(course, lesson, lesson.theme(THEME))]
    server = FakeOpenAI().start()
    ours_cmd = [*b.cli_command(), "learn", "lifecycle", "--theme", THEME, "--no-input",
                "--no-cache", "--base-url", server.base_url, "--model", "test-model"]
    bare_cmd = [b.PYTHON, "-c", BARE, server.base_url, json.dumps(messages)]
    ours: list[tuple[float, float]] = []
    bare: list[tuple[float, float]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="mlops-bench-home-") as home:
            env = b.child_env(Path(home))
            for i in range(runs + 1):  # interleaved, so both see the same machine
                o = b.timed_run(ours_cmd, env)
                f = b.timed_run(bare_cmd, env)
                if i:
                    ours.append(o)
                    bare.append(f)
        asked = len(server.chat_requests())
    finally:
        server.stop()
    if asked != 2 * (runs + 1):
        raise RuntimeError(f"expected {2 * (runs + 1)} requests to the server, saw {asked}")
    wall = b.median([o[0] for o in ours]) / b.median([f[0] for f in bare])
    cpu = b.median([o[1] for o in ours]) / b.median([f[1] for f in bare])
    print(f"learn --no-input: median {b.ms(b.median([o[0] for o in ours]))} wall, "
          f"{b.ms(b.median([o[1] for o in ours]))} CPU")
    print(f"bare openai script: median {b.ms(b.median([f[0] for f in bare]))} wall, "
          f"{b.ms(b.median([f[1] for f in bare]))} CPU")
    print(f"ratio: {wall:.2f}x wall, {cpu:.2f}x CPU ({runs} runs each)")
    return [
        b.Row("one-shot: learn --no-input / bare openai script (wall)", f"{wall:.2f}x",
              f"<= {TARGET}x", wall <= TARGET),
        b.Row("one-shot: learn --no-input / bare openai script (CPU)", f"{cpu:.2f}x", "-",
              None),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for row in run(args.runs):
        print(f"{row.figure}: {row.value} (target {row.target}: {b.verdict(row.met)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
