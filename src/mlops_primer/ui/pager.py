"""Paced reading: long text shown a section or a screenful at a time, never scrolled past.

Text is rendered into lines at a capped width (``MAX_WIDTH``: long lines are hard to read
on a wide terminal), cut into pages before each Markdown heading and wherever a page
would overflow the screen, and shown one page at a time with a one-line prompt such as
``Enter: more (2/5) · b: back · q: quit``. In plain mode (a pipe, ``--plain``) everything
is printed at once and only the last prompt is asked.

The pager only shows and reads; the caller decides what a reply means.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rich.console import Console, RenderableType
from rich.segment import Segment
from rich.text import Text

from .safe import clean

MAX_WIDTH = 88  # columns: a comfortable measure for prose, even on a 120-column terminal
MIN_BODY = 6  # lines: a page is never shorter than this, whatever the terminal says
RESERVE = 5  # lines kept free on a page: a gap, the place line, the prompt, two spare
HELP_WORDS = frozenset({"?", "h", "help", "hint"})
BACK_WORDS = frozenset({"b", "back"})
QUIT_WORDS = frozenset({"q", "quit", "exit"})
NEXT_WORDS = frozenset({"", "n", "next", "more"})
_FENCES = ("```", "~~~")

Line = list[Segment]


def fit_width(console: Console) -> int:
    """Cap a terminal console's width at ``MAX_WIDTH``, following the terminal's own width.

    The terminal's width is read afresh each time, so a window made narrower mid-lesson
    is followed. A console that is not a terminal keeps the width it was made with.
    """
    if not console.is_terminal:
        return console.width
    console.width = None  # type: ignore[assignment]  # forget the cap; read the terminal
    real = console.width
    console.width = min(real, MAX_WIDTH)
    return console.width


def markdown_sections(text: str) -> list[str]:
    """``text`` cut before each Markdown heading that lies outside a code fence."""
    sections: list[list[str]] = [[]]
    in_fence = False
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(_FENCES):
            in_fence = not in_fence
        elif not in_fence and line.startswith("#") and sections[-1]:
            sections.append([])
        sections[-1].append(line)
    out = ["\n".join(s).strip("\n") for s in sections]
    return [s for s in out if s.strip()]


@dataclass
class Page:
    """Lines to show on one screen."""

    lines: list[Line]


def _trim(lines: list[Line]) -> list[Line]:
    """Drop blank lines at both ends (a page starts and ends with text)."""
    def blank(line: Line) -> bool:
        return not "".join(s.text for s in line).strip()

    start, end = 0, len(lines)
    while start < end and blank(lines[start]):
        start += 1
    while end > start and blank(lines[end - 1]):
        end -= 1
    return lines[start:end]


def paginate(console: Console, sections: Sequence[RenderableType], *, body: int,
             first_body: int | None = None) -> list[Page]:
    """Render ``sections`` at the console's width and cut them into pages of ``body`` lines.

    Each section starts a new page, except that a section of two lines or fewer (a lone
    title) is joined to the next one when both fit. ``first_body`` is the room on the
    first page, when something is shown above it.
    """
    options = console.options
    rendered = [_trim(console.render_lines(s, options, pad=False)) for s in sections]
    rendered = [r for r in rendered if r]
    pages: list[Page] = []
    carry: list[Line] = []
    for lines in rendered:
        room = body if pages else (first_body or body)
        if carry:
            if len(carry) + 1 + len(lines) <= room:
                lines = [*carry, [], *lines]
            else:
                pages.append(Page(carry))
                room = body
            carry = []
        if len(lines) <= 2 and lines is not rendered[-1]:
            carry = lines
            continue
        while len(lines) > room:
            cut = _cut_at(lines, room)
            pages.append(Page(_trim(lines[:cut])))
            lines = _trim(lines[cut:])
            room = body
        if lines:
            pages.append(Page(lines))
    if carry:
        pages.append(Page(carry))
    return pages or [Page([])]


def _cut_at(lines: list[Line], room: int) -> int:
    """Where to cut an overlong section: at the last blank line in the bottom third of the
    room, so a paragraph is not split when it need not be; else at the room's end."""
    for i in range(room, max(1, room * 2 // 3), -1):
        if not "".join(s.text for s in lines[i - 1]).strip():
            return i
    return room


class Pager:
    """Shows pages one at a time and reads the learner's key between them."""

    def __init__(self, console: Console, read: Callable[[str], str], *, plain: bool) -> None:
        """``read`` shows a prompt and returns the learner's reply (it may raise to quit)."""
        self.console = console
        self.read = read
        self.plain = plain

    def body_lines(self) -> int:
        """How many lines of text a page holds on this terminal."""
        return max(MIN_BODY, self.console.size.height - RESERVE)

    def show(
        self,
        sections: Sequence[RenderableType],
        *,
        header: Callable[[], RenderableType] | None = None,
        lead: RenderableType | None = None,
        last: str = "Enter: go on",
        more: str = "",
        keys: frozenset[str] = frozenset(),
        help_text: str = "",
        actions: Mapping[str, Callable[[], None]] | None = None,
        ask_line: str | None = None,
    ) -> str:
        """Show ``sections`` paced; the reply typed at the last page.

        Returns ``"back"`` when the learner goes back from the first page, ``"quit"``
        when they quit, ``""`` for Enter (or ``skip``), and otherwise what they typed at
        the last page (stripped). On any page, a reply in ``keys`` (lowercase) ends the
        reading and is returned lowercased, and a reply in ``actions`` runs it and shows
        the page again. ``lead`` is shown above the first page; ``more`` follows the page
        count in the last prompt (``Enter: go on (3/3) · p: prompt · b: back · q: quit``).
        ``ask_line``, for a last prompt that takes free text, is the input line under it
        (so what the learner types has the whole width).
        """
        actions = actions or {}
        if self.plain:
            if header is not None:
                self.console.print(header())
            if lead is not None:
                self.console.print(lead)
            for n, section in enumerate(sections):
                if n:
                    self.console.print()
                if isinstance(section, Text):  # as it is: a pipe wraps nothing
                    self.console.print(section)
                else:  # rendered, without the padding that would trail each line
                    self._print_lines(_trim(self.console.render_lines(section, pad=False)))
            while True:
                word = self._reply(f"{last}{more} · b: back · q: quit", keys, help_text,
                                   actions, final=True, ask_line=ask_line, header=header)
                if word is not None:
                    return word
        fit_width(self.console)
        body = self.body_lines()
        lead_lines = _trim(self.console.render_lines(lead, pad=False)) if lead else []
        first = max(MIN_BODY, body - len(lead_lines)) if lead_lines else body
        pages = paginate(self.console, sections, body=body, first_body=first)
        i = 0
        while True:
            self.console.print()
            if header is not None:
                self.console.print(header())
            if i == 0 and lead_lines:
                self._print_lines(lead_lines)
            self._print_lines(pages[i].lines)
            final = i == len(pages) - 1
            count = f" ({i + 1}/{len(pages)})" if len(pages) > 1 else ""
            prompt = f"{last}{count}{more}" if final else f"Enter: more{count}"
            word = self._reply(f"{prompt} · b: back · q: quit", keys, help_text, actions,
                               final=final, ask_line=ask_line if final else None,
                               header=header)
            if word is None:  # an action ran: show this page again
                continue
            if word == "back":
                if i == 0:
                    return "back"
                i -= 1
            elif word == "quit":
                return "quit"
            elif final or word in keys or word == "skip":
                return "" if word == "skip" else word
            else:
                i += 1

    def _reply(self, prompt: str, keys: frozenset[str], help_text: str,
               actions: Mapping[str, Callable[[], None]], *, final: bool,
               ask_line: str | None = None,
               header: Callable[[], RenderableType] | None = None) -> str | None:
        """The learner's reply to a page's prompt; None after running an action."""
        while True:
            if ask_line is not None:
                self.console.print(Text(prompt))
            raw = self.read(ask_line if ask_line is not None else prompt).strip()
            word = raw.lower()
            if word in BACK_WORDS:
                return "back"
            if word in QUIT_WORDS:
                return "quit"
            if word in HELP_WORDS:
                if header is not None:  # the page moves up: keep the place in view
                    self.console.print(header())
                self.console.print(Text(help_text or _HELP, style="dim"))
                continue
            if word in actions:
                actions[word]()
                return None
            if word in NEXT_WORDS:
                return ""
            if word in keys or word == "skip":
                return word
            if final:
                return raw
            self.console.print(Text(_HELP, style="dim"))

    def _print_lines(self, lines: list[Line]) -> None:
        for line in lines:
            text = Text(no_wrap=True, overflow="ignore", end="\n")
            for segment in line:
                if not segment.control:
                    text.append(segment.text, segment.style)
            text.rstrip()
            self.console.print(text, crop=False)


_HELP = "Enter shows the next screen, b the one before, skip goes on to the next step, q quits."


def read_line(console: Console, ask: Callable[[str], str], prompt: str) -> str:
    """One line from the learner, read with ``ask`` (``input``, or a test's stand-in).

    A prompt too long for the terminal is wrapped at spaces above the input line, never
    split mid-word or at a hyphen (a file name stays whole). Ctrl-D ends the line the
    cursor rests on and raises EOFError for the caller to turn into its own quit.
    """
    import textwrap

    lines = textwrap.wrap(prompt, width=max(20, fit_width(console) - 8),
                          break_on_hyphens=False, break_long_words=False) or [""]
    for line in lines[:-1]:
        console.print(Text(clean(line)))
    try:
        raw = ask(f"{clean(lines[-1])} ")  # input() bypasses the console: cleaned here
    except EOFError:
        console.print()
        raise
    return raw.strip()
