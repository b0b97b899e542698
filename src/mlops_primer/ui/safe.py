"""The one funnel for outside text on its way to a terminal or a pipe.

Every string that did not come from our own code (LLM answers, server messages and model
names, pack fields, course text, echoed learner input) passes ``clean`` before it is
printed, in rich output and plain output alike, so it can never move the cursor, clear
the screen, set the window title, write the clipboard (OSC 52), open a link (OSC 8) or
query the terminal. Stored text stays as received; replay passes the same funnel.

Three places apply it, so no view has to remember to:

- ``SafeConsole`` (in ``ui.console``) cleans every piece of text rich renders (tables,
  panels, Markdown, the live streaming region), and leaves rich's own control segments
  and styles alone;
- ``CleanWriter`` cleans whatever is written straight to a plain console's file (plain
  and piped answers bypass rich);
- ``clean`` itself, for lines printed with ``typer.echo``, and ``json_safe`` for JSON.

This module does not import rich, so a plain answer (a pipe, ``--plain``) can be written
without it.
"""

from __future__ import annotations

import re
from typing import IO, Any

# C0 controls except tab and newline, DEL, and C1 controls (U+0080-U+009F, which some
# terminals read as ESC + a letter: U+009B is CSI). ESC (U+001B) is in the C0 range.
# After ``clean`` none of these is left, so nothing can be pieced together again.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A whole escape sequence goes at once, so no printable remainder ("[2J", "]52;c;...")
# is left behind: CSI ... final byte; OSC, DCS, APC, PM and SOS up to their terminator
# (BEL or ST), or, unterminated, to the end of the line (a terminal would swallow the
# rest too, but a line is all we give up); ESC + intermediates + one final byte.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]P_^X]|[\x9d\x90\x9f\x9e\x98])[^\x00-\x1f\x9c]*"
    r"(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
# a sequence (or a CR) that the next piece of text could still complete
_OPEN_AT_END = re.compile(
    r"(?:(?:\x1b\[|\x9b)[0-?]*[ -/]*"
    r"|(?:\x1b[\]P_^X]|[\x9d\x90\x9f\x9e\x98])[^\x00-\x1f\x9c]*\x1b?"
    r"|\x1b[ -/]*|\r)\Z"
)
MAX_HELD = 4096  # past this, an open sequence is cleaned as it stands
# for JSON: json.dumps escapes C0 but not DEL or C1 (with ensure_ascii=False)
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f]")


def clean(text: str) -> str:
    """``text`` without escape sequences and control characters (tab and newline stay).

    A carriage return becomes a newline when it ends a line (``\\r\\n``) and is dropped
    otherwise, so text cannot overwrite what is already on the line.
    """
    if text.isprintable() or _UNSAFE.search(text) is None:
        return text
    text = _SEQUENCE.sub("", text)
    text = text.replace("\r\n", "\n")
    return _UNSAFE.sub("", text)


def json_safe(text: str) -> str:
    """JSON text with DEL and C1 characters written as ``\\u`` escapes: the same data,
    but nothing a terminal would act on (``json.dumps`` already escapes C0)."""
    if _JSON_UNSAFE.search(text) is None:
        return text
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class CleanWriter:
    """A text file that cleans what is written to it (for plain output, which has no
    control codes of its own: answers written straight to the file pass here too).

    A streamed answer arrives in pieces, and a sequence may be split between two: the
    end of a piece that could still be the start of a sequence is held back until the
    next piece shows what it is, so the pieces come out as ``clean`` of the whole.
    """

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._held = ""

    def write(self, text: str) -> int:
        size = len(text)
        text = self._held + text
        self._held = ""
        tail = _OPEN_AT_END.search(text) if text else None
        if tail is not None and len(text) - tail.start() <= MAX_HELD:
            text, self._held = text[: tail.start()], text[tail.start() :]
        if text:
            self._stream.write(clean(text))
        return size

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding...
        return getattr(self._stream, name)
