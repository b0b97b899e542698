"""Reading a course's own files, and nothing else.

A course folder comes from anyone: its lesson files, templates and pack answers must be
regular files inside the folder. A link out of it (``prompts/lesson.j2 ->
/proc/self/environ``), a device (``/dev/zero``), a FIFO or a socket is refused before a
byte is read, and a file is read only up to its limit plus one byte, whatever ``stat``
says (``/proc`` files claim a size of 0).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


class RefusedFile(Exception):
    """A course file that may not be read; ``reason`` says why, in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def inside(path: Path, root: Path) -> Path:
    """``path`` with every link resolved, when that is still inside ``root``.

    Raises RefusedFile naming where it leads otherwise. Links that stay inside are fine.
    """
    real = Path(os.path.realpath(path))
    top = Path(os.path.realpath(root))
    if real != top and top not in real.parents:
        raise RefusedFile(f"it links outside {root} (to {real}); a course reads only its "
                          "own files")
    return real


def read_inside(path: Path, root: Path, *, max_bytes: int, cut: bool = False) -> bytes:
    """The bytes of ``path``, a regular file inside ``root``, of at most ``max_bytes``.

    Raises RefusedFile (outside, not a regular file, too big) or OSError (missing,
    unreadable). With ``cut``, a bigger file gives its first ``max_bytes + 1`` bytes
    instead of an error (the caller sees it is over the limit by its length).
    """
    real = inside(path, root)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(real, flags | getattr(os, "O_CLOEXEC", 0))  # O_NONBLOCK: a FIFO won't wait
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
            raise RefusedFile(f"it is {kind}, not a regular file")
        chunks = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if len(data) > max_bytes and not cut:
        raise RefusedFile(f"it is over the {max_bytes:,}-byte limit")
    return data
