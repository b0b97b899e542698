"""The one funnel for outside text on its way to a terminal or a pipe.

Every string that did not come from our own code (LLM answers, server messages and model
names, pack fields, course text, echoed learner input) passes ``clean`` before it is
printed, in rich output and plain output alike, so it can never move the cursor, clear
the screen, set the window title, write the clipboard (OSC 52), open a link (OSC 8) or
query the terminal. Stored text stays as received; replay passes the same funnel.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and C1 controls (U+0080-U+009F, which some
# terminals read as ESC + a letter: U+009B is CSI). ESC (U+001B) is in the C0 range.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A whole escape sequence goes at once, so no printable remainder ("[2J", "]52;c;...")
# is left behind: CSI ... final byte, OSC/DCS/APC/PM/SOS ... terminator, ESC + one byte.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]P_^X]|[\x9d\x90\x9f\x9e\x98])[^\x07\x1b\x9c]{0,4096}(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)


def clean(text: str) -> str:
    """``text`` without escape sequences and control characters (tab and newline stay).

    A carriage return becomes a newline when it ends a line (``\\r\\n``) and is dropped
    otherwise, so text cannot overwrite what is already on the line.
    """
    if text.isprintable():
        return text
    text = _SEQUENCE.sub("", text)
    text = text.replace("\r\n", "\n")
    return _UNSAFE.sub("", text)
