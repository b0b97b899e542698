"""Plain text out: an answer written as it comes, for a pipe, a file or ``--plain``.

Kept apart from ``ui.stream``, and free of rich, so that a piped one-shot answer imports
neither rich nor the Markdown renderer (markdown-it, ``rich.markdown``, ``rich.syntax``),
which is most of what a one-shot ``learn --no-input`` would otherwise load beyond the
openai client.
"""

from __future__ import annotations

from typing import IO

from .safe import _SEQUENCE, clean

# escape sequence starters: a chunk ending inside a sequence keeps it for the next chunk
_INTRODUCERS = "\x1b\x9b\x9d\x90\x9f\x9e\x98\r"
_HOLD_MAX = 4200  # longer than any sequence ui.safe removes whole


def split_safe(raw: str) -> tuple[str, str]:
    """``raw`` cut where no escape sequence (or ``\\r\\n``) is left half-received."""
    start = max(0, len(raw) - _HOLD_MAX)
    p = max(raw.rfind(ch, start) for ch in _INTRODUCERS)
    if p < 0:
        return raw, ""
    m = _SEQUENCE.match(raw, p)
    if raw[p] == "\r" and p == len(raw) - 1 or m is not None and m.end() == len(raw):
        return raw[:p], raw[p:]
    return raw, ""


def write_plain(file: IO[str], text: str) -> None:
    """A whole answer, cleaned, ending with one newline."""
    text = clean(text)
    file.write(text if text.endswith("\n") else text + "\n")
    file.flush()


class PlainStream:
    """Feed it text as it arrives; it writes it cleaned, as plain text.

    An escape sequence split across two chunks is held until it is whole, so cleaning
    removes all of it rather than leaving its printable rest behind.
    """

    def __init__(self, file: IO[str]) -> None:
        self.file = file
        self._raw: list[str] = []
        self._held = ""
        self._ends_line = True  # what was written so far ends a line (or is empty)
        self._closed = False

    @property
    def text(self) -> str:
        """Everything fed so far, as received."""
        return "".join(self._raw)

    def feed(self, chunk: str) -> None:
        """Take the next piece of the answer and write what is safe to write."""
        if not chunk or self._closed:
            return
        self._raw.append(chunk)
        safe, self._held = split_safe(self._held + chunk)
        self._write(clean(safe))

    def _write(self, text: str) -> None:
        if text:
            self.file.write(text)
            self.file.flush()
            self._ends_line = text.endswith("\n")

    def close(self) -> None:
        """The answer is complete: write what was held and end the last line."""
        if self._closed:
            return
        self._closed = True
        rest, self._held = clean(self._held), ""
        self._write(rest)
        if not self._ends_line:
            self.file.write("\n")
        self.file.flush()

    abort = close  # Ctrl-C or an error: keep what was shown, end its line
