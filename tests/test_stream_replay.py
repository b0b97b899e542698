"""Streamed == replayed: every pack answer, streamed in small chunks into an emulated
80x24 terminal (pyte, with scrollback), leaves exactly the transcript its one-shot
replay leaves; and blocks that never close stay cheap and complete."""

from __future__ import annotations

import io
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pyte
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from mlops_primer.ui.stream import MarkdownStream, render_markdown

ROOT = Path(__file__).resolve().parent.parent
PACK = sorted((ROOT / "lessons" / "pack").glob("**/*.md"))
WIDTH, HEIGHT = 80, 24


def body(path: Path) -> str:
    """A pack answer without its front matter."""
    raw = path.read_text(encoding="utf-8")
    return raw[raw.find("\n---\n", 4) + 5:]


def terminal(width: int = WIDTH, height: int = HEIGHT) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=True, width=width, height=height,
                   color_system="standard"), buf


class Screen:
    """A terminal of ``width`` x ``height`` that keeps what scrolls off the top."""

    def __init__(self, width: int = WIDTH, height: int = HEIGHT) -> None:
        self.width = width
        self.screen = pyte.HistoryScreen(width, height, history=10**6)
        self.screen.set_mode(pyte.modes.LNM)  # a tty's onlcr: "\n" also returns
        self.stream = pyte.Stream(self.screen)

    def feed(self, data: str) -> None:
        self.stream.feed(data)

    def transcript(self) -> list[str]:
        """Scrollback then screen, one string per row, trailing blank rows dropped."""
        rows = ["".join(row[x].data for x in range(self.width)).rstrip()
                for row in self.screen.history.top]
        rows += [row.rstrip() for row in self.screen.display]
        while rows and not rows[-1]:
            rows.pop()
        return rows


def chunks(text: str, seed: int, most: int = 7) -> Iterator[str]:
    """``text`` in pieces of 1 to ``most`` characters: mid-word and mid-line splits."""
    rng = random.Random(seed)
    i = 0
    while i < len(text):
        n = rng.randint(1, most)
        yield text[i:i + n]
        i += n


def replay(text: str, width: int = WIDTH, height: int = HEIGHT) -> list[str]:
    console, buf = terminal(width, height)
    render_markdown(console, text)
    screen = Screen(width, height)
    screen.feed(buf.getvalue())
    return screen.transcript()


def stream(text: str, seed: int = 0, *, fps: float = 0, width: int = WIDTH,
           height: int = HEIGHT, frames: list[list[str]] | None = None) -> tuple[list[str], str]:
    """The transcript a streamed ``text`` leaves, and the bytes written.

    With ``frames``, the transcript after every chunk is appended to it.
    """
    console, buf = terminal(width, height)
    now = [0.0]
    view = MarkdownStream(console, fps=fps, clock=lambda: now[0])
    screen = Screen(width, height)
    for piece in chunks(text, seed):
        now[0] += 0.02
        view.feed(piece)
        if frames is not None:
            screen.feed(buf.getvalue())
            buf.seek(0)
            buf.truncate()
            frames.append(screen.transcript())
    view.close()
    out = buf.getvalue()
    screen.feed(out)
    return screen.transcript(), out


@pytest.mark.parametrize("path", PACK, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_pack_answer_streams_exactly_as_it_replays(path: Path) -> None:
    text = body(path)
    want = replay(text)
    got, _ = stream(text, hash(path.name) % 1000)  # a redraw after every chunk
    assert got == want
    got, _ = stream(text, 3, fps=12)  # throttled: fewer, larger steps
    assert got == want


def test_the_pack_is_there() -> None:
    assert len(PACK) >= 20  # the glob finds the answers (more lessons come later)


@pytest.mark.parametrize("path", PACK[::7], ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_live_tail_never_shows_a_form_that_later_reflows(path: Path) -> None:
    """At every moment the screen is the final transcript, except the live block's
    last two rows (the line being written, and a word that may wrap to the next)."""
    text = body(path)
    frames: list[list[str]] = []
    final, _ = stream(text, 5, frames=frames)
    for frame in frames:
        stable = frame[:-2]
        assert stable == final[:len(stable)]


SHAPES = {
    "table": "Intro.\n\n| id | name | score |\n|---|---|---|\n"
             + "".join(f"| {i} | item{i} | {i * 7 % 100} |\n" for i in range(300)),
    "fence": "Intro.\n\n```python\n"
             + "".join(f"x_{i} = compute({i}, 'v{i}')  # step {i}\n" for i in range(300)),
    "list": "Intro.\n\n" + "".join(f"- item number {i} of the list\n" for i in range(400)),
    "ordered": "Intro.\n\n" + "".join(f"1. item number {i} of the list\n" for i in range(150)),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_block_that_never_closes_is_shown_whole_once_and_cheaply(shape: str) -> None:
    text = SHAPES[shape]
    got, out = stream(text, 7, fps=12)
    # every row of the source shows up once, in order (nothing lost or repeated)
    marks = [int(m) for row in got for m in re.findall(r"(?:item number |item|x_)(\d+)", row)]
    assert marks == list(range(len(marks))) and len(marks) >= 150
    # bytes to the terminal: a small multiple of the answer (it was 50-300x)
    assert len(out.encode()) < 12 * len(text.encode())
    if shape in ("fence", "list"):  # split in parts that join into exactly the whole
        assert got == replay(text)  # (a table's columns and an ordered list's numbers
        # are as wide as their widest cell: for these, all lines in order is the promise)


HOSTILE = (
    "## Title \x1b]0;pwned\x07here\n\n"
    "Clear \x1b[2J\x1b[H screen, \x1b]52;c;c2VjcmV0\x07clipboard, "
    "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\ text.\n\n"
    "- C1 \x9b31m red \x9d0;t\x9c and DCS \x1bP+q544e\x1b\\ query \x1b[6n\n"
    "- bell \x07 and \r overwrite \x1b[?1049h alt screen\n\n"
    "```\ncode \x1b[31mred\x1b[0m\n```\n"
)
ALLOWED = re.compile(r"\x1b\[(?:[0-9;]*m|\d*A|J|\?25[lh])|\r")


def test_escape_sequences_in_an_answer_never_reach_the_terminal() -> None:
    for seed in (1, 2, 3):
        console, buf = terminal()
        view = MarkdownStream(console, fps=0)
        for piece in chunks(HOSTILE, seed, most=3):  # sequences split across chunks
            view.feed(piece)
        view.close()
        out = buf.getvalue()
        left = ALLOWED.sub("", out)  # our own styling and cursor moves only
        assert "\x1b" not in left and "\x07" not in left
        assert not re.search("[\x80-\x9f]", left)
        screen = Screen()
        screen.feed(out)
        assert screen.screen.title == ""  # no window title was set
        assert any("clipboard" in row for row in screen.transcript())
        assert "pwned" not in out and "c2VjcmV0" not in out
    whole, _ = terminal()
    render_markdown(whole, HOSTILE)
    assert "\x1b]" not in whole.file.getvalue() and "\x07" not in whole.file.getvalue()


def test_piped_output_has_no_escape_bell_or_c1_at_all() -> None:
    for seed in (1, 2):
        buf = io.StringIO()
        view = MarkdownStream(Console(file=buf, force_terminal=False), fps=0)
        for piece in chunks(HOSTILE, seed, most=3):
            view.feed(piece)
        view.close()
        out = buf.getvalue()
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", out)
        assert "clipboard" in out and "code red" in out
    buf = io.StringIO()
    render_markdown(Console(file=buf, force_terminal=False), HOSTILE)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", buf.getvalue())


def test_the_caller_caps_the_width() -> None:
    text = body(PACK[0])
    console, buf = terminal(width=120)
    view = MarkdownStream(console, fps=0, width=60)
    for piece in chunks(text, 1):
        view.feed(piece)
    view.close()
    screen = Screen(width=120)
    screen.feed(buf.getvalue())
    got = screen.transcript()
    assert max(len(row) for row in got) <= 60
    whole, wbuf = terminal(width=120)
    render_markdown(whole, text, width=60)
    again = Screen(width=120)
    again.feed(wbuf.getvalue())
    assert got == again.transcript()


# -- generated Markdown shapes ---------------------------------------------------------

_WORD = st.sampled_from(["model", "data", "drift", "*shift*", "**label**", "`code`", "a",
                         "of", "the", "to", "serving", "pipeline", "feature", "x"])
_LINE = st.lists(_WORD, min_size=1, max_size=14).map(" ".join)


def _para(lines: list[str]) -> str:
    return "\n".join(lines)


_BLOCK = st.one_of(
    st.lists(_LINE, min_size=1, max_size=5).map(_para),
    _LINE.map(lambda s: "## " + s),
    st.lists(_LINE, min_size=1, max_size=6).map(lambda ls: "\n".join("- " + s for s in ls)),
    st.lists(_LINE, min_size=1, max_size=4).map(
        lambda ls: "\n".join(f"{i}. {s}" for i, s in enumerate(ls, 1))),
    st.lists(_LINE, min_size=1, max_size=3).map(
        lambda ls: "- " + ls[0] + "".join("\n  - " + s for s in ls[1:])),
    st.lists(_LINE, min_size=0, max_size=20).map(lambda ls: "```\n" + "\n".join(ls) + "\n```"),
    st.lists(_LINE, min_size=1, max_size=3).map(lambda ls: "\n".join("> " + s for s in ls)),
    st.just("---"),
    st.lists(st.tuples(_WORD, _WORD), min_size=1, max_size=4).map(
        lambda rows: "| a | b |\n|---|---|\n" + "\n".join(f"| {x} | {y} |" for x, y in rows)),
)
_SEP = st.sampled_from(["\n\n", "\n\n\n", "\n"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_BLOCK, _SEP), min_size=1, max_size=8), st.integers(0, 10**6))
def test_generated_markdown_streams_exactly_as_it_replays(
        parts: list[tuple[str, str]], seed: int) -> None:
    text = "".join(block + sep for block, sep in parts)
    got, _ = stream(text, seed)
    assert got == replay(text)
