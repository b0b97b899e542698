"""The rich console that cleans what it writes (see ``ui.safe`` for the funnel)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.segment import Segment

from .safe import clean


class SafeConsole(Console):
    """A rich console that cleans the text of every segment it writes.

    Rich's own output (styles, and the cursor moves of a live region) comes as styles
    and control segments, which pass; the text of every other segment, wherever it came
    from, goes through ``clean``. This is the one place every view's output passes.
    """

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            seg if seg.control else Segment(clean(seg.text), seg.style) for seg in buffer
        )
