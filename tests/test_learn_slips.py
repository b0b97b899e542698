"""Issue 11's smaller slips, checked on a pyte screen of a real pseudo-terminal: long quiz
choices wrap under their own text, a blank line sets off the next question, and the
Ctrl-C line is wrapped at words to the terminal. (The follow-up's "Asking HOST..." line
and the notice after the server dies are in test_servers.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ptyplay import LAB_OFFER, Terminal, finish, spawn_cli

from mlops_primer.lessons import Course


def screen(t: Terminal) -> str:
    return "\n".join(t.lines)


@pytest.mark.parametrize("cols", [80])
def test_quiz_choices_hang_under_their_text_and_a_blank_line_comes_before_the_next_question(
        home: Path, course: Course, cols: int) -> None:
    lesson = course.get("drift")
    t = Terminal(spawn_cli(home, "learn", lesson.id, "--theme", "sailing", rows=24, cols=cols,
                           cwd=home), rows=24, cols=cols)
    t.page_through("Enter: explain it back")
    t.send("")
    t.skip_explain()
    t.expect("Your question")
    t.send("")
    wrapped = 0
    for n, q in enumerate(lesson.quiz, start=1):
        t.expect(r"Your answer \(1-\d")
        lines = t.lines
        top = next(i for i, line in enumerate(lines) if f"Question {n} of" in line)
        if n > 1:  # the explanation before, a blank line, then the question's screen
            place = top - 1
            assert "· Quiz" in lines[place], screen(t)
            assert lines[place - 1] == "", screen(t)
            assert lines[place - 2].strip(), screen(t)
        choice = False
        for line in lines[top:]:
            if line.startswith("Your answer"):
                break
            if re.match(r"^\s+\d+\. ", line):
                choice = True
            elif choice and line.strip():
                assert line.startswith("     "), f"a choice wrapped to column 0:\n{screen(t)}"
                wrapped += 1
        t.send(str(t.number_of(q.answer)))
        t.expect("Right!")
    assert wrapped, "no choice wrapped at this width: the test checks nothing"
    t.expect(LAB_OFFER)
    t.send("quit")
    finish(t.child)


def test_the_ctrl_c_line_is_wrapped_at_words_to_the_terminal(home: Path, server) -> None:
    server.chunk_size = 3
    server.chunk_delay = 0.05
    server.default_reply = "## Heading\n\n" + "The model keeps learning. " * 200 + "\n"
    cols = 50
    t = Terminal(spawn_cli(home, "learn", "drift", "--theme", "sailing", "--base-url",
                           server.base_url, "--model", "test-model", rows=24, cols=cols),
                 rows=24, cols=cols)
    t.expect("The model keeps learning")
    t.child.sendintr()
    t.expect("not stored")
    t.child.expect("again")
    t.stream.feed(t.child.before or "")
    t.stream.feed(t.child.after or "")
    finish(t.child)
    lines = t.all_lines()
    start = max(i for i, line in enumerate(lines) if line.startswith("stopped"))
    message = [line for line in lines[start:] if line.strip()]
    assert len(message) > 1  # too long for 50 columns: it is wrapped ...
    assert all(len(line) <= cols for line in message)
    said = " ".join(" ".join(message).split())
    # ... at words: the terminal's own wrap would cut a word in two
    assert "stopped; the partial answer was not stored" in said
    assert "to continue this lesson and get the answer again" in said, said
