"""Streaming Markdown into a terminal without re-rendering the whole answer per token.

The answer is cut into Markdown blocks at blank lines that lie outside a code fence.
A block that is followed by a blank line can no longer change: it is rendered once and
printed into the scrollback. Only the block still being written stays in a small
``Live`` region, re-rendered at most ``fps`` times a second. Cost per token is bounded
by the size of the open block, so a long answer costs linear time, not quadratic.

When the console is not a terminal (a pipe, a file, ``--plain``, ``NO_COLOR``) the text
is written as it comes, with no control codes at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown
from rich.text import Text

_FENCES = ("```", "~~~")
VERSE_LINE_CHARS = 56  # a verse line is this long on average...
VERSE_MAX_CHARS = 72  # ...and never longer than this


def is_verse(lines: list[str]) -> bool:
    """True for a paragraph written as verse: short lines, broken where the author meant.

    Hard-wrapped prose fills its lines to the wrap width, so its lines but the last are
    long; a poem's lines are short on average even when one runs a little longer.
    """
    if len(lines) < 2 or max(len(line) for line in lines) > VERSE_MAX_CHARS:
        return False
    body = lines[:-1]  # the last line of wrapped prose is as short as it happens to be
    return sum(len(line) for line in body) / len(body) <= VERSE_LINE_CHARS


class TutorMarkdown(Markdown):
    """rich's Markdown, but a paragraph written as verse keeps its line breaks.

    Markdown joins the lines of a paragraph, which turns a poem into prose (and the
    drift lesson asks for poems). In a paragraph that reads as verse (``is_verse``) soft
    breaks become hard ones; hard-wrapped prose is joined as before.
    """

    def __init__(self, markup: str, **kwargs: object) -> None:
        super().__init__(markup, **kwargs)  # type: ignore[arg-type]
        for token in self.parsed:
            if token.type != "inline" or not token.children:
                continue
            if is_verse(token.content.split("\n")):
                for child in token.children:
                    if child.type == "softbreak":
                        child.type = "hardbreak"


def stable_cut(text: str) -> int:
    """The end of the last complete block in ``text`` (0 if none).

    ``text`` must start outside a code fence. A block is complete once a blank line
    outside any fence follows it.
    """
    in_fence = False
    cut = 0
    pos = 0
    while True:
        nl = text.find("\n", pos)
        if nl < 0:
            return cut  # the last line is still being written
        line = text[pos:nl]
        stripped = line.lstrip()
        if stripped.startswith(_FENCES):
            in_fence = not in_fence
        elif not in_fence and not stripped:
            cut = nl + 1
        pos = nl + 1


class MarkdownStream:
    """Feed it text as it arrives; it shows well-rendered Markdown as cheaply as it can."""

    def __init__(
        self,
        console: Console,
        *,
        plain: bool = False,
        fps: float = 12.0,
        clock: Callable[[], float] = time.monotonic,
        code_theme: str = "ansi_dark",
    ) -> None:
        self.console = console
        self.plain = plain or not console.is_terminal
        self._interval = 1.0 / fps if fps > 0 else 0.0
        self._clock = clock
        self._code_theme = code_theme
        # settled text (printed once, never looked at again) and the open tail; kept
        # apart so that a token costs the size of the open block, not of the answer
        self._settled: list[str] = []
        self._tail = ""
        self._last = 0.0
        self._live: Live | None = None
        self._blocks_printed = 0

    @property
    def text(self) -> str:
        """Everything fed so far."""
        return "".join(self._settled) + self._tail

    def _markdown(self, source: str) -> Markdown:
        return TutorMarkdown(source, code_theme=self._code_theme, hyperlinks=False)

    def _ensure_live(self) -> Live:
        if self._live is None:
            self._live = Live(
                Text(""),
                console=self.console,
                auto_refresh=False,
                transient=True,
                vertical_overflow="visible",
            )
            self._live.start()
        return self._live

    def feed(self, chunk: str) -> None:
        """Take the next piece of the answer."""
        if not chunk:
            return
        if self.plain:
            self._settled.append(chunk)
            self.console.file.write(chunk)
            self.console.file.flush()
            return
        self._tail += chunk
        now = self._clock()
        if now - self._last >= self._interval:
            self._last = now
            self._refresh()

    def _refresh(self) -> None:
        live = self._ensure_live()
        cut = stable_cut(self._tail)  # the tail starts where a block ended: outside a fence
        if cut:
            block, self._tail = self._tail[:cut], self._tail[cut:]
            self._settled.append(block)
            if block.strip():
                self._print_block(live.console, block.strip("\n"))
        tail = self._tail
        live.update(self._markdown(tail) if tail.strip() else Text(""), refresh=True)

    def _print_block(self, console: Console, block: str) -> None:
        if self._blocks_printed:
            console.print()
        console.print(self._markdown(block))
        self._blocks_printed += 1

    def close(self) -> None:
        """The answer is complete: print what is left and stop the live region."""
        self._finish()

    def abort(self) -> None:
        """Stop showing (Ctrl-C, an error): leave the terminal as it was, keep what was shown."""
        self._finish()

    def _finish(self) -> None:
        if self.plain:  # end the last line shown, if any; print nothing when nothing was
            last = self._settled[-1] if self._settled else ""
            if last and not last.endswith("\n"):
                self.console.file.write("\n")
            self.console.file.flush()
            return
        tail, self._tail = self._tail, ""
        self._settled.append(tail)
        self._stop_live()
        if tail.strip():
            self._print_block(self.console, tail.strip("\n"))

    def _stop_live(self) -> None:
        if self._live is not None:
            self._live.update(Text(""), refresh=True)
            self._live.stop()
            self._live = None


def render_markdown(console: Console, text: str, *, plain: bool = False) -> None:
    """Show a whole answer at once (a replay), as Markdown or plain text."""
    if plain or not console.is_terminal:
        console.file.write(text if text.endswith("\n") else text + "\n")
        console.file.flush()
        return
    console.print(TutorMarkdown(text, code_theme="ansi_dark", hyperlinks=False))
