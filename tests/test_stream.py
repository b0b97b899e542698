"""The streaming Markdown view, rendered into a Console writing to a StringIO."""

from __future__ import annotations

import io
import re
import textwrap

from rich.console import Console

from mlops_primer.ui.stream import MarkdownStream, is_verse, render_markdown

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

ANSWER = (
    "## The chart room\n\n"
    "A model keeps [its] charts, and *they* age.\n\n"
    "```python\nx = [1, 2]\n\nprint(x)\n```\n\n"
    "- first\n- second\n\n"
    "A chart's a record of the past,\neach shoal, each current's set;\n\n"
    "## Recap\n\nDrift is change in live data.\n"
)


def terminal(width: int = 80) -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=True, width=width, color_system="standard"), buf


def feed_tokens(stream: MarkdownStream, text: str, size: int = 3) -> None:
    for i in range(0, len(text), size):
        stream.feed(text[i:i + size])


def test_plain_stream_is_the_text_with_no_control_codes() -> None:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=False)
    stream = MarkdownStream(console)
    feed_tokens(stream, ANSWER)
    stream.close()
    assert buf.getvalue() == ANSWER
    assert "\x1b" not in buf.getvalue()


def test_terminal_stream_prints_each_block_once_and_keeps_brackets() -> None:
    ticks = iter(range(10**6))
    console, buf = terminal()
    stream = MarkdownStream(console, fps=12, clock=lambda: next(ticks) * 0.01)
    feed_tokens(stream, ANSWER)
    stream.close()
    text = "\n".join(screen_text(buf.getvalue()))
    # settled blocks go to the scrollback once; the live tail is cleared, not duplicated
    assert text.count("The chart room") == 1
    assert text.count("Drift is change in live data.") == 1
    assert "A model keeps [its] charts, and they age." in text
    assert "print(x)" in text


def screen_text(output: str, width: int = 80) -> list[str]:
    """What a terminal shows after receiving ``output`` (pyte emulates the escape codes)."""
    import pyte

    screen = pyte.Screen(width, 300)
    pyte.Stream(screen).feed(output.replace("\n", "\r\n"))
    lines = [line.rstrip() for line in screen.display]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def test_streamed_screen_equals_the_whole_answer_rendered_at_once() -> None:
    console, buf = terminal()
    stream = MarkdownStream(console, fps=0)  # re-render the live tail on every token
    feed_tokens(stream, ANSWER, size=1)
    stream.close()
    whole_console, whole_buf = terminal()
    render_markdown(whole_console, ANSWER)
    streamed = screen_text(buf.getvalue())
    assert streamed == screen_text(whole_buf.getvalue())  # blank lines included
    assert sum("The chart room" in line for line in streamed) == 1


def test_verse_keeps_its_line_breaks_and_prose_is_joined() -> None:
    console, buf = terminal(width=100)
    prose = ("This paragraph was wrapped by its author at seventy-two columns so the\n"
             "source reads well, and the terminal should join it back together.\n")
    render_markdown(console, "Roses drift,\nviolets shift.\n\n" + prose)
    lines = [line.rstrip() for line in ANSI.sub("", buf.getvalue()).splitlines()]
    assert "Roses drift," in lines and "violets shift." in lines
    assert any("so the source reads well" in line for line in lines)


def test_verse_is_told_from_wrapped_prose() -> None:
    stanza = ["In rehearsal our stream counts had bots in the mix,",
              "but the venue's feed is clean, so the numbers don't match:",  # 58 characters
              "same song, new source,",
              "that's training-serving skew, and that's on our crew."]
    assert is_verse(stanza)  # one line over the average still reads as a poem
    prose72 = textwrap.wrap("Hard-wrapped prose fills each line up to the width the "
                            "author chose, so apart from the last its lines are long, "
                            "and the terminal should join them back together. " * 2, 72)
    prose60 = textwrap.wrap(" ".join(prose72), 60)
    assert not is_verse(prose72) and not is_verse(prose60)
    assert not is_verse(["A single line is a paragraph, never a poem."])
    assert not is_verse(["short", "x" * 80])  # a line longer than any verse line


def test_abort_keeps_what_was_shown_and_stops_live() -> None:
    console, buf = terminal()
    stream = MarkdownStream(console, fps=0)
    stream.feed("## Half\n\nAn answer cut")
    stream.abort()
    out = buf.getvalue()
    assert "An answer cut" in ANSI.sub("", out)
    assert out.rstrip().endswith("\x1b[?25h") or "\x1b[?25h" in out  # cursor shown again
