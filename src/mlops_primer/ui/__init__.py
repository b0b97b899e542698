"""Terminal output: consoles, renderables and the streaming Markdown view.

Everything here shows or asks; nothing here decides what happens next.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported when a console is made, not for ui.safe or ui.plain
    from rich.console import Console


def make_console(*, plain: bool = False, stderr: bool = False) -> Console:
    """A console for stdout (or stderr): plain text when asked or when piped; no colour
    when ``NO_COLOR`` is set.

    ``NO_COLOR`` (no-color.org) asks for no *colour*, not for less: Markdown is still laid
    out (headings, lists, bold) with no colour codes, as rich's ``no_color`` does. Plain
    text, with no control codes at all, is for ``--plain`` and for output that is not a
    terminal.

    ``markup`` and ``emoji`` are off: lesson and LLM text is printed as it is, so
    ``[brackets]`` and ``:words:`` never turn into styles or pictures. Either console
    cleans outside text of control codes (``ui.safe``): the plain one cleans everything
    written to its file, since plain output has no control codes of its own.
    """
    from .console import SafeConsole
    from .safe import CleanWriter

    stream = sys.stderr if stderr else sys.stdout
    if plain:
        return SafeConsole(
            file=CleanWriter(stream), markup=False, emoji=False, highlight=False, no_color=True,
            force_terminal=False, color_system=None, force_interactive=False,
            soft_wrap=not stream.isatty(),
        )
    no_color = os.environ.get("NO_COLOR", "") != ""  # set and not empty, per no-color.org
    console = SafeConsole(file=stream, markup=False, emoji=False, highlight=False,
                          no_color=no_color or None)
    if not console.is_terminal:  # piped: no control codes of rich's own either
        console.file = CleanWriter(stream)
    return console


def is_plain(console: Console) -> bool:
    """True when the console should get plain text with no control codes (``--plain`` or
    not a terminal); a terminal with NO_COLOR still gets laid-out text, without colour."""
    return not console.is_terminal
