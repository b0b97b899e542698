"""Streaming Markdown into a terminal: what is streamed is what a replay shows.

The answer is parsed with the same Markdown parser rich uses (markdown-it). In
CommonMark a top-level block is closed for good once the next top-level block has
begun, so every top-level block but the last is final: it is rendered once, from the
very tokens the one-shot render (``render_markdown``) would give it, and printed into
the scrollback with the same blank line rich puts between blocks. Only the last block,
still being written, stays in a small live area at the bottom of the screen, redrawn at
most ``fps`` times a second, and only from its first changed line down.

A block that never closes (a 2,000-row table, an unclosed code fence, a list of 3,000
items) is not redrawn whole forever: once it is taller than the live area, its
completed lines go to the scrollback (a code fence and a bullet list split so that the
pieces join into exactly the whole; a table continues under the same columns' header,
which is not repeated) and only a short tail stays live. Cost per token is bounded by
the live area, so a long answer costs linear time, and the bytes written to the
terminal stay within a small multiple of the answer.

Every chunk passes ``ui.safe.clean`` before it is shown (stored text stays as
received). When the console is not a terminal (a pipe, a file, ``--plain``,
``NO_COLOR``) the cleaned text is written as it comes, with no control codes at all.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich import box
from rich.console import Console
from rich.markdown import Markdown, TableElement, UnknownElement
from rich.table import Table

from .plain import PlainStream, split_safe, write_plain
from .safe import clean

VERSE_LINE_CHARS = 56  # a verse line is this long on average...
VERSE_MAX_CHARS = 72  # ...and never longer than this
VERSE_SURE_CHARS = 66  # a line still being judged that is longer reads as prose
KEEP_LINES = 3  # source lines of a split block that stay live
MAX_LIVE_LINES = 40  # the live area is never taller than this (nor than the screen)
# A code fence or a bullet list splits into parts that join into exactly the whole, and
# a table into parts under one header (each part's columns as wide as its own cells),
# as soon as it is taller than this. Other blocks (an ordered list's number width, a
# paragraph's wrapping depend on lines still to come) are split only when they pass
# BIG_LINES source lines or BIG_CHARS characters.
SPLIT_LINES = 16
BIG_LINES = 80
BIG_CHARS = 6000
_EXACT_SPLIT = ("fence", "bullet_list_open", "table_open")
# A redraw of the live area may write this many bytes per character received since the
# last one (or REDRAW_FREE_BYTES); a bigger redraw (a table whose columns widen, a block
# taller than the live area, whose lines all move up) waits for more text.
REDRAW_BYTES_PER_CHAR = 6
REDRAW_FREE_BYTES = 160



def is_verse(lines: list[str]) -> bool:
    """True for a paragraph written as verse: short lines, broken where the author meant.

    Hard-wrapped prose fills its lines to the wrap width, so its lines but the last are
    long; a poem's lines are short on average even when one runs a little longer.
    """
    if len(lines) < 2 or max(len(line) for line in lines) > VERSE_MAX_CHARS:
        return False
    body = lines[:-1]  # the last line of wrapped prose is as short as it happens to be
    return sum(len(line) for line in body) / len(body) <= VERSE_LINE_CHARS


def is_verse_so_far(lines: list[str]) -> bool:
    """The live guess for a paragraph still being written (``lines[-1]`` may grow).

    As ``is_verse`` judges the lines so far, except that a complete line near the
    prose width (over ``VERSE_SURE_CHARS``) means prose: a short line amid long ones is
    wrapped prose that happens to break early, not the start of a poem.
    """
    done = lines[:-1]
    return bool(done) and max(len(line) for line in done) <= VERSE_SURE_CHARS and is_verse(lines)


def _mark_verse(tokens: list[Token], open_last: bool = False) -> None:
    """Soft breaks become hard ones in each paragraph that reads as verse.

    With ``open_last`` the last inline token belongs to a paragraph still being
    written, judged by ``is_verse_so_far``.
    """
    inlines = [t for t in tokens if t.type == "inline" and t.children]
    for i, token in enumerate(inlines):
        lines = token.content.split("\n")
        judge = is_verse_so_far if open_last and i == len(inlines) - 1 else is_verse
        if judge(lines):
            for child in token.children or ():
                if child.type == "softbreak":
                    child.type = "hardbreak"


_CONTAINERS = ("bullet_list_open", "ordered_list_open", "table_open", "blockquote_open")
_PARSER: MarkdownIt | None = None
_TEMPLATES: dict[tuple[str, bool], TutorMarkdown] = {}


def parse(text: str) -> list[Token]:
    """``text`` parsed exactly as rich's Markdown parses it (one parser, reused)."""
    global _PARSER
    if _PARSER is None:
        _PARSER = MarkdownIt().enable("strikethrough").enable("table")
    return _PARSER.parse(text)


class TutorMarkdown(Markdown):
    """rich's Markdown, but a paragraph written as verse keeps its line breaks.

    Markdown joins the lines of a paragraph, which turns a poem into prose (and the
    drift lesson asks for poems). In a paragraph that reads as verse (``is_verse``) soft
    breaks become hard ones; hard-wrapped prose is joined as before.
    """

    def __init__(self, markup: str, **kwargs: Any) -> None:
        super().__init__(markup, **kwargs)
        _mark_verse(self.parsed)

    @classmethod
    def from_tokens(cls, tokens: list[Token], *, code_theme: str = "ansi_dark",
                    hyperlinks: bool = False) -> TutorMarkdown:
        """A Markdown of already parsed (and verse-marked) tokens, without a new parser."""
        key = (code_theme, hyperlinks)
        template = _TEMPLATES.get(key)
        if template is None:
            template = _TEMPLATES[key] = cls("", code_theme=code_theme, hyperlinks=hyperlinks)
        md = copy.copy(template)
        md.parsed = tokens
        return md


class _HeadlessTable(TableElement):
    """The rows of a table whose header was printed already (a table split in parts)."""

    def __rich_console__(self, console: Console, options: Any) -> Any:
        table = Table(box=box.SIMPLE, pad_edge=False, style="markdown.table.border", show_edge=True,
                      collapse_padding=True, show_header=False)
        if self.header is not None and self.header.row is not None:
            for _ in self.header.row.cells:
                table.add_column()
        if self.body is not None:
            for row in self.body.rows:
                table.add_row(*[cell.content for cell in row.cells])
        yield table


def _parse(text: str, *, final: bool) -> list[Token]:
    """``text`` parsed and verse-marked; unless ``final``, its last paragraph may grow."""
    tokens = parse(text)
    last_top = max((i for i, t in enumerate(tokens) if t.level == 0 and t.nesting >= 0),
                   default=0)
    last_inline = max((i for i, t in enumerate(tokens) if t.type == "inline"), default=-1)
    _mark_verse(tokens, open_last=not final and last_inline > last_top)
    return tokens


@dataclass
class _Block:
    """A top-level Markdown block: its tokens and the source line it starts on."""

    first: int  # index of its first token
    end: int  # index after its last token
    line: int  # source line it starts on
    kind: str  # type of its first token: paragraph_open, fence, bullet_list_open...


def _blocks(tokens: list[Token]) -> list[_Block]:
    blocks: list[_Block] = []
    for i, token in enumerate(tokens):
        if token.level == 0 and token.nesting >= 0:
            if blocks:
                blocks[-1].end = i
            line = token.map[0] if token.map else 0
            blocks.append(_Block(i, len(tokens), line, token.type))
    return blocks


def _new_line_after(token: Token) -> bool:
    """Whether rich puts a blank line after a top-level block ending with ``token``."""
    kind = token.type.replace("_close", "_open")
    return Markdown.elements.get(kind, UnknownElement).new_line


def _line_offset(text: str, line: int) -> int:
    """Where source line ``line`` (0-based) starts in ``text``."""
    pos = 0
    for _ in range(line):
        nl = text.find("\n", pos)
        if nl < 0:
            return len(text)
        pos = nl + 1
    return pos


class _LiveArea:
    """The lines at the bottom of the screen that may still change.

    The cursor rests at the end of the last live line. A redraw moves up to the first
    line that changed and writes from there; printing above clears the area, writes the
    settled text and the live lines again.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.lines: list[str] = []
        self.started = False

    def _clear_from(self, row: int) -> str:
        """Codes that put the cursor at the start of live row ``row`` and erase below."""
        up = len(self.lines) - 1 - row
        return "\r" + (f"\x1b[{up}A" if up > 0 else "") + "\x1b[J"

    def update(self, lines: list[str], above: str = "", budget: int | None = None) -> bool:
        """Show ``lines`` (after printing ``above``); False, drawing nothing, when the
        redraw would write more than ``budget`` characters."""
        lines = [line.rstrip(" ") for line in lines]  # unstyled padding: not drawn
        old = self.lines
        if above:
            out = (self._clear_from(0) if old else "") + above + "\n".join(lines)
        else:
            i = 0
            while i < len(old) and i < len(lines) and old[i] == lines[i]:
                i += 1
            if i == len(old) == len(lines):
                return True
            if i == len(old) - 1 == len(lines) - 1 and lines[i].startswith(old[i]):
                out = lines[i][len(old[i]):]  # the last line grew: write what is new
            elif i == len(old):  # only new lines below
                out = ("\n" if old else "") + "\n".join(lines[i:])
            else:
                if i == len(lines) and i > 0:
                    i -= 1  # lines went away: rewrite the last one that stays
                out = self._clear_from(i) + "\n".join(lines[i:])
            if budget is not None and len(out) > budget:
                return False
        if not self.started:
            out = "\x1b[?25l" + out
            self.started = True
        self.lines = list(lines)
        self._write(out)
        return True

    def finish(self, above: str) -> None:
        out = (self._clear_from(0) if self.lines else "") + above
        if self.started:
            out += "\x1b[?25h"
        self.lines = []
        self._write(out)

    def _write(self, out: str) -> None:
        if out:
            self.console.file.write(out)
            self.console.file.flush()


class MarkdownStream:
    """Feed it text as it arrives; it shows well-rendered Markdown as cheaply as it can.

    ``width`` caps the width of what is drawn (the console's width when None).
    """

    def __init__(
        self,
        console: Console,
        *,
        plain: bool = False,
        fps: float = 12.0,
        clock: Callable[[], float] = time.monotonic,
        code_theme: str = "ansi_dark",
        width: int | None = None,
        live_lines: int | None = None,
    ) -> None:
        self.console = console
        self.plain = plain or not console.is_terminal
        self.width = width
        self._interval = 1.0 / fps if fps > 0 else 0.0
        self._clock = clock
        self._code_theme = code_theme
        height = live_lines if live_lines is not None else console.height - 2
        self._live_max = max(KEEP_LINES + 2, min(height, MAX_LIVE_LINES))
        self._split_at = min(self._live_max, SPLIT_LINES)
        self._raw: list[str] = []  # everything fed, as received
        self._held = ""  # a half-received escape sequence, cleaned once it is whole
        self._tail = ""  # cleaned text of the open part, from a block boundary on
        self._prefix = ""  # fence or table header line(s) an open split block continues
        self._cont = ""  # kind of split block the tail continues ("" when none)
        self._list_next = 0  # number of the next item of a split ordered list
        self._sep = False  # a blank line goes before the next block printed
        self._last = 0.0
        self._live = _LiveArea(console)
        self._closed = False
        self._new_chars = 0  # characters taken in since the live area was last drawn
        self._plain = PlainStream(console.file) if self.plain else None

    @property
    def text(self) -> str:
        """Everything fed so far, as received."""
        return "".join(self._raw)

    # -- taking text in ----------------------------------------------------------------

    def feed(self, chunk: str) -> None:
        """Take the next piece of the answer."""
        if not chunk or self._closed:
            return
        self._raw.append(chunk)
        if self._plain is not None:
            self._plain.feed(chunk)
            return
        safe, self._held = split_safe(self._held + chunk)
        safe = clean(safe)
        self._tail += safe
        self._new_chars += len(safe)
        now = self._clock()
        if now - self._last >= self._interval:
            self._last = now
            self._refresh(final=False)

    def close(self) -> None:
        """The answer is complete: print what is left and stop the live area."""
        self._finish()

    def abort(self) -> None:
        """Stop showing (Ctrl-C, an error): leave the terminal as it was, keep what was shown."""
        self._finish()

    def _finish(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._plain is not None:
            self._plain.close()
            return
        rest, self._held = clean(self._held), ""
        self._tail += rest
        self._refresh(final=True)

    # -- rendering -----------------------------------------------------------------------

    def _ansi(self, tokens: list[Token], kind: str = "") -> list[str]:
        """``tokens`` rendered as the one-shot render renders them, as terminal lines."""
        md = TutorMarkdown.from_tokens(tokens, code_theme=self._code_theme)
        if kind == "table":
            md.elements = {**md.elements, "table_open": _HeadlessTable}
        with self.console.capture() as capture:
            self.console.print(md, width=self.width)
        out = capture.get()
        return out[:-1].split("\n") if out else []

    def _piece(self, tokens: list[Token], *, first_part: bool, last_part: bool) -> list[str]:
        """Lines of a block, or of one part of a block split in parts."""
        cont = self._cont if not first_part else ""
        if cont == "list" and self._list_next and tokens[0].type == "ordered_list_open":
            tokens[0].attrs["start"] = self._list_next
        # rich puts a blank line before a block when the element before it asks for one;
        # an empty HTML block (drawn as nothing) asks for one, as a paragraph would
        lead = [Token("html_block", "", 0)] if self._sep else []
        lines = self._ansi(lead + tokens, cont)
        kind = tokens[0].type
        if not first_part and kind in _CONTAINERS and lines and not lines[0]:
            lines = lines[1:]  # a container asks for its own blank line: not mid-block
        if kind in ("fence", "table_open") and cont in ("", kind.removesuffix("_open")):
            # a code block's padding, a table's edge: above the first part, below the last
            if not first_part and lines:
                lines = lines[1:]
            if not last_part and lines:
                lines = lines[:-1]
        return lines

    def _refresh(self, *, final: bool) -> None:
        text = self._prefix + self._tail
        tokens = _parse(text, final=final)
        blocks = _blocks(tokens)
        complete = text.count("\n") if not final else text.count("\n") + 1
        above: list[str] = []
        cut_line = 0  # source line (in ``text``) where the open part now starts

        def settle(block: _Block, *, last_part: bool = True) -> None:
            first_part = not self._cont
            above.extend(self._piece(tokens[block.first:block.end], first_part=first_part,
                                     last_part=last_part))
            self._sep = _new_line_after(tokens[block.end - 1]) if last_part else False

        settled = 0
        for k in range(len(blocks) - 1 if not final else len(blocks)):
            nxt = blocks[k + 1].line if k + 1 < len(blocks) else complete
            # the next block has begun for good: its first line is whole and a table
            # (which reads one line ahead) cannot still change where it starts
            if not final and not (nxt + 1 < complete or nxt < complete and "|" not in
                                  _source_line(text, nxt)):
                break
            settle(blocks[k])
            self._cont, self._prefix, self._list_next = "", "", 0
            settled = k + 1
            cut_line = nxt
        if final:
            self._tail = ""
            self._live.finish(_joined(above))
            return
        if settled:
            self._tail = text[_line_offset(text, cut_line):]
            text, tokens = self._tail, _parse(self._tail, final=False)
            blocks = _blocks(tokens)
            complete = text.count("\n")

        live = self._live_lines(tokens, blocks)
        if blocks and self._must_split(text, blocks[-1], len(live)):
            forced = self._split(text, tokens, blocks[-1], complete)
            if forced is not None:
                lines, self._tail = forced
                above.extend(lines)
                self._sep = False
                text = self._prefix + self._tail
                tokens = _parse(text, final=False)
                blocks = _blocks(tokens)
                live = self._live_lines(tokens, blocks)
        # a redraw is paid for by new text: bytes written stay a small multiple of it
        budget = max(REDRAW_BYTES_PER_CHAR * self._new_chars, REDRAW_FREE_BYTES)
        if self._live.update(live[-self._live_max:], _joined(above), budget):
            self._new_chars = 0

    def _must_split(self, text: str, block: _Block, height: int) -> bool:
        if height > self._split_at and (self._cont or block.kind in _EXACT_SPLIT):
            return True
        if height <= self._live_max:
            return False
        return (text.count("\n", _line_offset(text, block.line)) > BIG_LINES
                or len(text) - _line_offset(text, block.line) > BIG_CHARS)

    def _live_lines(self, tokens: list[Token], blocks: list[_Block]) -> list[str]:
        if not blocks:
            return []
        return self._piece(tokens, first_part=not self._cont, last_part=True)

    def _split(self, text: str, tokens: list[Token], block: _Block,
               complete: int) -> tuple[list[str], str] | None:
        """Send the completed lines of a block taller than the live area to the scrollback.

        Returns the lines to print and the new tail, or None when there is no line to
        split at. A code fence goes on under its opening line, a table under its
        header (printed once), a list from an item on, anything else from a line on.
        """
        start, kind = block.line, block.kind
        cut, cont, prefix, list_next = complete - KEEP_LINES, "text", "", 0
        if kind in ("bullet_list_open", "ordered_list_open"):
            items = [t.map[0] for t in tokens[block.first:block.end]
                     if t.type == "list_item_open" and t.level == 1 and t.map]
            starts = [line for line in items if start < line < complete]
            if starts:
                cut, cont = starts[-1], "list"
                if kind == "ordered_list_open":
                    first = self._list_next or int(tokens[block.first].attrs.get("start", 1))
                    list_next = first + sum(1 for line in items if line < cut)
        elif kind == "fence":
            prefix = _source_line(text, start) + "\n"
            fence_map = tokens[block.first].map
            if fence_map and fence_map[1] <= complete:  # closed: its closing line stays live
                cut = min(cut, fence_map[1] - 1)
            while cut > start + 1 and not _source_line(text, cut - 1).strip():
                cut -= 1  # a part may not end on a blank line (rich strips those)
            if cut <= start + 1:
                return None
            cont = "fence"
        elif kind == "table_open":
            prefix = text[_line_offset(text, start):_line_offset(text, start + 2)]
            if cut <= start + 2:
                return None
            cont = "table"
        if cut <= start:
            return None
        head = text[_line_offset(text, start):_line_offset(text, cut)]
        if cont == "fence":
            head += _fence_close(prefix)
        part = _parse(head, final=True)
        lines = self._piece(part, first_part=not self._cont, last_part=False)
        self._cont, self._prefix, self._list_next = cont, prefix, list_next
        return lines, text[_line_offset(text, cut):]


def _source_line(text: str, line: int) -> str:
    pos = _line_offset(text, line)
    nl = text.find("\n", pos)
    return text[pos:] if nl < 0 else text[pos:nl]


def _fence_close(opening: str) -> str:
    stripped = opening.lstrip()
    mark = stripped[0]
    n = len(stripped) - len(stripped.lstrip(mark))
    return "\n" + mark * n + "\n"


def _joined(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def render_markdown(console: Console, text: str, *, plain: bool = False,
                    width: int | None = None) -> None:
    """Show a whole answer at once (a replay), as Markdown or plain text.

    The text passes ``ui.safe.clean`` first; ``width`` caps the width drawn.
    """
    if plain or not console.is_terminal:
        write_plain(console.file, text)
        return
    text = clean(text)
    console.print(TutorMarkdown(text, code_theme="ansi_dark", hyperlinks=False), width=width)
