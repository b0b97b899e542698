"""Playing `mlops-primer` in a real pseudo-terminal: start it, answer it, end it.

``Terminal`` draws what the program prints on a pyte screen the size of the terminal,
so a test sees what a learner would see, and can check that nothing scrolled off the
screen before the learner pressed a key.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import pexpect
import pyte
from conftest import ROOT, SCRUBBED

from mlops_primer.lessons import QuizQuestion

TIMEOUT = 20


def spawn_cli(home: Path, *args: str, extra_env: dict[str, str] | None = None,
              cwd: Path | None = None, rows: int = 40, cols: int = 100) -> pexpect.spawn:
    """`python -m mlops_primer ARGS` in a terminal (100x40 unless told), with its own
    learner home."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    # HOME too: a lab started in the terminal goes to its default folder, ~/mlops-primer-labs,
    # inside the test's own folder and never into the real home or the repo
    env.pop("MLOPS_PRIMER_LABS", None)
    env.update({"MLOPS_PRIMER_HOME": str(home), "HOME": str(home), "TERM": "xterm-256color",
                "COLUMNS": str(cols), "LINES": str(rows)})
    env.update(extra_env or {})
    return pexpect.spawn(sys.executable, ["-m", "mlops_primer", *args], env=env,
                         cwd=str(cwd or ROOT), encoding="utf-8", timeout=TIMEOUT,
                         dimensions=(rows, cols))


def finish(child: pexpect.spawn) -> str:
    """Wait for the program to end; what it printed last."""
    child.expect(pexpect.EOF)
    out = child.before or ""
    child.close()
    return out


def page_through(child: pexpect.spawn, last: str) -> None:
    """Press Enter at each "more" prompt of a paced text until the prompt ``last``."""
    while child.expect([r"Enter: more \(\d+/\d+\)", last]) == 0:
        child.sendline("")


def skip_explain(child: pexpect.spawn) -> None:
    """Skip the explain-it-back step that follows a lesson's answer (Enter at its prompt)."""
    child.expect(r"Your explanation \(Enter: skip\)")
    child.sendline("")


def right_number(child: pexpect.spawn, q: QuizQuestion) -> int:
    """The number shown beside the right choice of the question just printed (choices
    are shuffled per learner, so it is read off the output)."""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", child.before or "")
    text = " ".join(text.split())
    want = " ".join(q.answer.replace("`", "").split())  # code spans are drawn as code
    found = re.findall(r"(?:^| )(\d+)\. " + re.escape(want) + r"(?= \d+\. | Your answer|$)",
                       text)
    assert found, f"the right choice {want!r} is not in the output:\n{text}"
    return int(found[-1])


def answer_right(child: pexpect.spawn, questions: Sequence[QuizQuestion], *,
                 expect_praise: bool = True) -> None:
    """Answer each question with its right choice."""
    for q in questions:
        child.expect("Your answer")
        child.sendline(str(right_number(child, q)))
        if expect_praise:
            child.expect("Right!")


# the lab step's prompt, after a lesson's quiz
LAB_OFFER = "s: start the lab now · Enter: later · b: back · q: quit"


def lab_later(child: pexpect.spawn) -> None:
    """At the lab step after a quiz: leave the lab for later (Enter)."""
    child.expect(LAB_OFFER)
    child.sendline("")


PLACE = re.compile(r"Lesson \d+/\d+\b.*· course \d+/\d+ done")


class Terminal:
    """A program in a pseudo-terminal, drawn on a pyte screen of the same size.

    ``send`` checks, before it types, that everything printed since the learner's last
    key is still on the screen: no text scrolled off unread.
    """

    def __init__(self, child: pexpect.spawn, *, rows: int, cols: int) -> None:
        self.child = child
        self.rows, self.cols = rows, cols
        self.screen = pyte.HistoryScreen(cols, rows, history=1_000_000)
        self.stream = pyte.Stream(self.screen)
        self._since: int | None = None  # absolute line where the output after a key began
        self.transcript: list[str] = []  # every screen a key was typed at

    def _feed(self) -> None:
        text = (self.child.before or "") + (self.child.after if isinstance(
            self.child.after, str) else "")
        self.stream.feed(text)

    def expect(self, pattern: str | list[str]) -> int:
        """Wait for ``pattern`` in the output; which one matched."""
        i = self.child.expect(pattern)
        self._feed()
        return i

    @property
    def scrolled(self) -> int:
        """How many lines have scrolled off the top so far."""
        return len(self.screen.history.top)

    @property
    def lines(self) -> list[str]:
        """The screen as the learner sees it, one string a row."""
        return [line.rstrip() for line in self.screen.display]

    def all_lines(self) -> list[str]:
        """Everything printed so far: the scrolled-off lines, then the screen."""
        old = ["".join(row[x].data for x in range(self.cols)).rstrip()
               for row in self.screen.history.top]
        return old + self.lines

    def unread_lost(self) -> int:
        """Lines printed since the last key that have scrolled off the screen."""
        if self._since is None:
            return 0
        return max(0, self.scrolled - self._since)

    def send(self, line: str, *, place: bool = True) -> None:
        """Type ``line`` and Enter, after checking the screen the learner typed it at."""
        screen = "\n".join(self.lines)
        self.transcript.append(screen)
        lost = self.unread_lost()
        assert lost == 0, f"{lost} line(s) scrolled off before a key was pressed:\n{screen}"
        if place:
            assert PLACE.search(screen), f"no place line on this screen:\n{screen}"
        # the output after this key starts on the line after the cursor's (when the
        # cursor is on the last row, the echo's newline scrolls once: the same sum)
        self._since = self.scrolled + self.screen.cursor.y + 1
        self.child.sendline(line)

    def skip_explain(self) -> None:
        """Skip the explain-it-back step that follows a lesson's answer."""
        self.expect(r"Your explanation \(Enter: skip\)")
        self.send("")

    def page_through(self, last: str, *, place: bool = True) -> int:
        """Press Enter at each "more" prompt until the prompt ``last``; pages seen."""
        pages = 1
        while self.expect([r"Enter: more \(\d+/\d+\)", last]) == 0:
            self.send("", place=place)
            pages += 1
        return pages

    def choices(self) -> dict[int, str]:
        """The numbered choices on the screen, each joined across its wrapped lines."""
        out: dict[int, str] = {}
        current: int | None = None
        for line in self.lines:
            m = re.match(r"^\s+(\d+)\. (.*)$", line)
            if m:
                current = int(m.group(1))
                out[current] = m.group(2).strip()
            elif current is not None and re.match(r"^\s{3,}\S", line):
                out[current] += " " + line.strip()
            else:
                current = None
        return out

    def number_of(self, choice: str) -> int:
        """The number shown beside ``choice`` on the screen."""
        want = " ".join(choice.replace("`", "").split())  # code spans are drawn as code
        for n, text in self.choices().items():
            if text == want:
                return n
        raise AssertionError(f"{choice!r} is not on the screen:\n" + "\n".join(self.lines))
