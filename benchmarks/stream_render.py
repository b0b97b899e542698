"""CPU cost of showing a streamed Markdown answer, token by token.

    uv run python benchmarks/stream_render.py [--naive-6000]

A realistic answer (headings, paragraphs, bullet and numbered lists, bold text, a
fenced code block) of 1,500, 3,000 and 6,000 tokens, cut into ~4-character tokens, is
fed one token at a time into

(a) ``MarkdownStream`` as the CLI uses it: default throttle (``fps=12``). The clock is
    fake and advances 20 ms per token (an LLM streaming 50 tokens/s), so the open block
    is re-rendered on every ~5th token, the same on every machine and every run. This
    is the figure a learner's CPU actually pays.
(b) ``MarkdownStream(fps=0)``: no throttle, the open block is re-rendered on *every*
    token. This is the honest like-for-like comparison with (c): same number of
    refreshes, so any gain comes from rendering only the open block, not from
    rendering less often.
(c) the naive way: a rich ``Live`` updated with ``Markdown(whole_text_so_far)`` and
    refreshed on every token. Its cost per token grows with the answer, so its total is
    quadratic. At 6,000 tokens it is only run with ``--naive-6000`` (~1.5 min of CPU);
    by default the naive figure stops at 3,000 tokens.

Everything renders into ``Console(file=io.StringIO(), force_terminal=True, width=100)``,
so the full terminal code path (Live, cursor movement, ANSI styles) runs. The buffer is
emptied every 256 tokens in all three variants alike, so memory does not grow with the
quadratic output of (c). CPU time is ``time.process_time()`` of feed + close; for
(a) and (b) the median of 5 runs, for (c) one run.

Targets: naive / ours >= 5x at 3,000 tokens; ours' growth cost(2n) / cost(n) <= 2.2x.

Blocks that never close (``--no-shapes`` skips them): an answer whose last block is a
table that never ends, a code fence never closed, or a bullet list with no blank line,
streamed the same way as (a). The same targets, with the naive figure (c) at 1,500
tokens (a naive redraw of a 300-row table per token takes minutes at 3,000), plus the
bytes written to the terminal per character of answer, for (a) on every shape and on
the realistic answer (target: at most 12 bytes per character; the replay of the same
answer is ~3).
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench as b  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.live import Live  # noqa: E402
from rich.markdown import Markdown  # noqa: E402

from mlops_primer.ui.stream import MarkdownStream  # noqa: E402

SIZES = (1500, 3000, 6000)
RATIO_TARGET = 5.0  # naive / ours at 3,000 tokens
GROWTH_TARGET = 2.2  # ours: cost(2n) / cost(n)
TOKEN_SECONDS = 0.02  # the fake clock: 50 tokens per second
FLUSH_EVERY = 256
REPEATS = 5  # runs of (a) and (b) at each size; the fastest is reported
SHAPE_REPEATS = 5
SHAPE_NAIVE_AT = 1500
BYTES_TARGET = 12.0  # bytes written to the terminal per character of answer

_VOCABULARY = (
    "model data pipeline feature training serving drift monitoring metric version "
    "experiment registry deploy rollback baseline label dataset schema batch latency "
    "the a of to and in is that for it with as on be this by are we can when your "
    "kitchen recipe chef ingredient taste menu order guest oven season cook plate"
)
_WORDS = _VOCABULARY.split()
_CODE = '''```python
from dataclasses import dataclass


@dataclass
class Recipe:
    name: str
    version: int

    def bump(self) -> "Recipe":
        """A new version of the same recipe."""
        return Recipe(self.name, self.version + 1)


def serve(recipe: Recipe, guests: list[str]) -> dict[str, str]:
    return {guest: f"{recipe.name} v{recipe.version}" for guest in guests}
```'''


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 18))]
    if rng.random() < 0.3:
        i = rng.randrange(len(words))
        words[i] = f"**{words[i]}**"
    if rng.random() < 0.2:
        i = rng.randrange(len(words))
        words[i] = f"`{words[i]}`"
    s = " ".join(words)
    return s[0].upper() + s[1:] + "."


def answer_text(min_chars: int, seed: int = 7) -> str:
    """A Markdown answer shaped like an LLM's, at least ``min_chars`` long."""
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    section = 0
    while size < min_chars:
        section += 1
        blocks = [f"## {section}. {_sentence(rng)[:-1].title()[:50]}"]
        for _ in range(rng.randint(1, 3)):
            blocks.append(" ".join(_sentence(rng) for _ in range(rng.randint(2, 5))))
        kind = section % 3
        if kind == 0:
            blocks.append("\n".join(f"- {_sentence(rng)}" for _ in range(rng.randint(3, 6))))
        elif kind == 1:
            blocks.append("\n".join(f"{i}. {_sentence(rng)}"
                                    for i in range(1, rng.randint(3, 5) + 1)))
        else:
            blocks.append(_CODE)
        blocks.append(" ".join(_sentence(rng) for _ in range(rng.randint(2, 4))))
        part = "\n\n".join(blocks)
        parts.append(part)
        size += len(part) + 2
    return "\n\n".join(parts) + "\n"


def tokens(n: int, seed: int = 7) -> list[str]:
    """The first ``n`` tokens of an answer, each 2-6 characters (4 on average)."""
    text = answer_text(n * 4 + 64, seed)
    rng = random.Random(seed + 1)
    out: list[str] = []
    pos = 0
    while len(out) < n:
        step = rng.randint(2, 6)
        out.append(text[pos:pos + step])
        pos += step
    return out


def shape_text(shape: str, min_chars: int) -> str:
    """An answer whose last block never closes: ``table``, ``fence`` or ``list``."""
    rng = random.Random(11)
    head = "Here is the whole log, one row per run.\n\n"
    row: Callable[[int], str]
    if shape == "table":
        head += "| run | model | metric | note |\n|---|---|---|---|\n"
        row = lambda i: f"| {i} | {rng.choice(_WORDS)} | 0.{rng.randint(10, 99)} | "\
                        f"{rng.choice(_WORDS)} {rng.choice(_WORDS)} |\n"  # noqa: E731
    elif shape == "fence":
        head += "```python\n"
        row = lambda i: f"run_{i} = train(data[{i}], seed={rng.randint(1, 99)})  "\
                        f"# {rng.choice(_WORDS)}\n"  # noqa: E731
    else:
        row = lambda i: f"- run {i}: {rng.choice(_WORDS)} {rng.choice(_WORDS)} "\
                        f"{rng.choice(_WORDS)}\n"  # noqa: E731
    parts = [head]
    size, i = len(head), 0
    while size < min_chars:
        parts.append(row(i))
        size += len(parts[-1])
        i += 1
    return "".join(parts)


def cut_tokens(text: str, n: int, seed: int = 7) -> list[str]:
    """The first ``n`` tokens of ``text``, each 2-6 characters."""
    rng = random.Random(seed + 1)
    out: list[str] = []
    pos = 0
    while len(out) < n and pos < len(text):
        step = rng.randint(2, 6)
        out.append(text[pos:pos + step])
        pos += step
    return out


class _CountingIO(io.StringIO):
    """A StringIO that counts the bytes written to it (it is emptied as we go)."""

    written = 0

    def write(self, s: str) -> int:
        self.written += len(s.encode())
        return super().write(s)


def _console() -> Console:
    return Console(file=_CountingIO(), force_terminal=True, width=100)


def _flush(console: Console, i: int) -> None:
    if i % FLUSH_EVERY == 0:
        console.file.seek(0)
        console.file.truncate()


def ours(toks: list[str], fps: float | None) -> float:
    """CPU seconds to stream ``toks`` through MarkdownStream (default fps when None)."""
    return ours_bytes(toks, fps)[0]


def ours_bytes(toks: list[str], fps: float | None) -> tuple[float, int]:
    """CPU seconds and bytes written to stream ``toks`` through MarkdownStream."""
    console = _console()
    now = [0.0]
    clock: Callable[[], float] = lambda: now[0]  # noqa: E731 - the fake clock
    kwargs = {} if fps is None else {"fps": fps}
    stream = MarkdownStream(console, clock=clock, **kwargs)
    assert not stream.plain
    t0 = time.process_time()
    for i, tok in enumerate(toks, 1):
        now[0] = i * TOKEN_SECONDS
        stream.feed(tok)
        _flush(console, i)
    stream.close()
    return time.process_time() - t0, console.file.written  # type: ignore[attr-defined]


def naive(toks: list[str]) -> float:
    """CPU seconds to stream ``toks`` by re-rendering the whole answer on every token."""
    console = _console()
    text = ""
    t0 = time.process_time()
    with Live(Markdown(""), console=console, auto_refresh=False,
              vertical_overflow="visible") as live:
        for i, tok in enumerate(toks, 1):
            text += tok
            live.update(Markdown(text, code_theme="ansi_dark", hyperlinks=False),
                        refresh=True)
            _flush(console, i)
    return time.process_time() - t0


def run_shapes(shapes: tuple[str, ...] = ("table", "fence", "list")) -> list[b.Row]:
    """The never-closing blocks: cost, growth, and bytes per character of answer."""
    rows: list[b.Row] = []
    print("stream_render, blocks that never close: CPU seconds, (a) ours fps=12")
    print(f"  {'shape':<7}{'tokens':>7}{'chars':>8}{'(a) ours':>10}{'bytes/char':>12}"
          f"{'(c) naive':>11}{'c/a':>8}")
    for shape in shapes:
        text = shape_text(shape, SIZES[-1] * 6 + 64)
        toks = {n: cut_tokens(text, n) for n in SIZES}
        ours(toks[SIZES[0]][:200], None)  # warm-up
        runs: dict[int, list[tuple[float, int]]] = {n: [] for n in SIZES}
        for _ in range(SHAPE_REPEATS):
            for n in SIZES:
                runs[n].append(ours_bytes(toks[n], None))
        # the least disturbed run (timeit's advice): on a shared machine the others carry
        # the neighbours' cache misses, which move growth ratios by a tenth
        cost = {n: min(r[0] for r in runs[n]) for n in SIZES}
        per_char = {n: runs[n][0][1] / sum(map(len, toks[n])) for n in SIZES}
        nv = naive(toks[SHAPE_NAIVE_AT])
        for n in SIZES:
            cells = (f"{nv:>10.3f}s{nv / cost[n]:>7.1f}x" if n == SHAPE_NAIVE_AT
                     else f"{'-':>11}{'-':>8}")
            print(f"  {shape:<7}{n:>7,}{sum(map(len, toks[n])):>8,}{cost[n]:>9.3f}s"
                  f"{per_char[n]:>11.1f}x{cells}")
        ratio = nv / cost[SHAPE_NAIVE_AT]
        g1, g2 = cost[3000] / cost[1500], cost[6000] / cost[3000]
        worst = max(per_char.values())
        ok = b.verdict(ratio >= RATIO_TARGET)
        print(f"    naive/ours {ratio:.1f}x (>= {RATIO_TARGET:.0f}x: {ok}),"
              f" growth {g1:.2f}x, {g2:.2f}x (<= {GROWTH_TARGET}x: "
              f"{b.verdict(max(g1, g2) <= GROWTH_TARGET)}), bytes/char <= {worst:.1f}x "
              f"(<= {BYTES_TARGET:.0f}x: {b.verdict(worst <= BYTES_TARGET)})")
        rows.append(b.Row(f"stream {shape} never closed: naive/ours @1.5k tokens",
                          f"{ratio:.1f}x", f">= {RATIO_TARGET:.0f}x", ratio >= RATIO_TARGET))
        rows.append(b.Row(f"stream {shape} never closed: growth 1.5k->3k->6k",
                          f"{g1:.2f}x, {g2:.2f}x", f"<= {GROWTH_TARGET}x",
                          max(g1, g2) <= GROWTH_TARGET))
        rows.append(b.Row(f"stream {shape} never closed: bytes written / answer chars",
                          f"{worst:.1f}x", f"<= {BYTES_TARGET:.0f}x", worst <= BYTES_TARGET))
    return rows


def run(naive_6000: bool = False, shapes: bool = True) -> list[b.Row]:
    ours_default: dict[int, float] = {}
    ours_every: dict[int, float] = {}
    naive_t: dict[int, float] = {}
    # warm-up: imports, Pygments lexer, Markdown parser caches
    ours(tokens(200), None)
    ours(tokens(200), 0)
    naive(tokens(100))
    # ours is cheap: the fastest of REPEATS runs (timeit's advice: the others carry the
    # machine's disturbances), the sizes interleaved so that a busy moment touches every
    # size alike; the naive renderer runs once
    toks = {n: tokens(n) for n in SIZES}
    runs_a: dict[int, list[float]] = {n: [] for n in SIZES}
    runs_b: dict[int, list[float]] = {n: [] for n in SIZES}
    for _ in range(REPEATS):
        for n in SIZES:
            runs_a[n].append(ours(toks[n], None))
            runs_b[n].append(ours(toks[n], 0))
    for n in SIZES:
        ours_default[n] = min(runs_a[n])
        ours_every[n] = min(runs_b[n])
        if n < 6000 or naive_6000:
            naive_t[n] = naive(toks[n])

    chars = {n: sum(map(len, tokens(n))) for n in SIZES}
    print("stream_render: CPU seconds (time.process_time) to stream an answer token by token")
    print(f"  {'tokens':>7}{'chars':>8}{'(a) ours fps=12':>17}{'(b) ours fps=0':>16}"
          f"{'(c) naive':>12}{'c/a':>9}{'c/b':>9}")
    for n in SIZES:
        nv = naive_t.get(n)
        cells = (f"{nv:>11.3f}s{nv / ours_default[n]:>8.1f}x{nv / ours_every[n]:>8.1f}x"
                 if nv is not None else f"{'not run':>12}{'-':>9}{'-':>9}")
        print(f"  {n:>7,}{chars[n]:>8,}{ours_default[n]:>16.3f}s{ours_every[n]:>15.3f}s{cells}")
    if 6000 not in naive_t:
        print("  (c) at 6,000 tokens is not run by default (~1.5 min of CPU); pass --naive-6000")

    rows: list[b.Row] = []
    r_a = naive_t[3000] / ours_default[3000]
    r_b = naive_t[3000] / ours_every[3000]
    print(f"  naive / ours at 3,000 tokens: {r_a:.1f}x vs (a) throttled, {r_b:.1f}x vs (b) "
          f"unthrottled; target >= {RATIO_TARGET:.0f}x: (a) {b.verdict(r_a >= RATIO_TARGET)}, "
          f"(b) {b.verdict(r_b >= RATIO_TARGET)}")
    rows.append(b.Row("stream: naive/ours @3k tokens, (a) fps=12", f"{r_a:.1f}x",
                      f">= {RATIO_TARGET:.0f}x", r_a >= RATIO_TARGET))
    rows.append(b.Row("stream: naive/ours @3k tokens, (b) fps=0", f"{r_b:.1f}x",
                      f">= {RATIO_TARGET:.0f}x", r_b >= RATIO_TARGET))
    print("  growth cost(2n) / cost(n):")
    for label, series in (("(a) ours fps=12", ours_default), ("(b) ours fps=0", ours_every),
                          ("(c) naive", naive_t)):
        cells = []
        for lo, hi in ((1500, 3000), (3000, 6000)):
            if lo in series and hi in series:
                g = series[hi] / series[lo]
                mark = f" ({b.verdict(g <= GROWTH_TARGET)})" if label != "(c) naive" else ""
                cells.append(f"{lo:,}->{hi:,}: {g:.2f}x{mark}")
                if label != "(c) naive":
                    rows.append(b.Row(f"stream: growth {label[:3]} {lo / 1000:g}k->"
                                      f"{hi / 1000:g}k tokens", f"{g:.2f}x",
                                      f"<= {GROWTH_TARGET}x", g <= GROWTH_TARGET))
        print(f"    {label:<17}{'   '.join(cells)}")
    print(f"  target for ours <= {GROWTH_TARGET}x (linear is 2.0x; naive is ~4x, quadratic)")
    _, written = ours_bytes(toks[6000], None)
    per_char = written / chars[6000]
    print(f"  bytes written / answer chars at 6,000 tokens, (a): {per_char:.1f}x "
          f"(<= {BYTES_TARGET:.0f}x: {b.verdict(per_char <= BYTES_TARGET)})")
    rows.append(b.Row("stream: bytes written / answer chars @6k tokens", f"{per_char:.1f}x",
                      f"<= {BYTES_TARGET:.0f}x", per_char <= BYTES_TARGET))
    if shapes:
        rows += run_shapes()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--naive-6000", action="store_true",
                    help="also run the naive renderer at 6,000 tokens (slow)")
    ap.add_argument("--no-shapes", action="store_true",
                    help="skip the blocks that never close")
    args = ap.parse_args()
    run(naive_6000=args.naive_6000, shapes=not args.no_shapes)


if __name__ == "__main__":
    main()
