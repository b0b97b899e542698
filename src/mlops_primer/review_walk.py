"""The interactive `review` session: about ten cards, one screen each.

Every screen starts with the learner's place (``Review 3/10 · Quiz · lesson 2, ...``)
and ends with what they may type. Each answer moves its item in the schedule at once,
so ``q`` (or Ctrl-D) keeps what was answered. What to ask and whether a reply is right
is reviewing.py's; this module only shows and reads.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from .reviewing import Card, Reviewer, Verdict, when
from .ui import is_plain
from .ui.pager import HELP_WORDS, QUIT_WORDS, fit_width, read_line
from .ui.safe import clean
from .ui.views import inline

SKIP_WORDS = frozenset({"s", "skip"})
KIND_LABELS = {"quiz": "Quiz question", "term": "Name the term", "idea": "An idea you missed"}


class Quit(Exception):
    """The learner stopped the session; what they answered is saved."""


class ReviewSession:
    """One review session in one terminal."""

    def __init__(self, reviewer: Reviewer, console: Console, *,
                 ask: Callable[[str], str] = input, prog: str = "mlops-primer") -> None:
        self.reviewer = reviewer
        self.console = console
        self._ask = ask
        self.prog = prog
        self.plain = is_plain(console)
        self.right = 0
        self.answered = 0

    # -- input and output -----------------------------------------------------------------

    def say(self, text: str, style: str = "") -> None:
        self.console.print(Text(clean(text), style=style))

    def _read(self, prompt: str) -> str:
        """One line from the learner (ui.pager.read_line); Ctrl-D quits."""
        try:
            return read_line(self.console, self._ask, prompt)
        except EOFError:
            raise Quit() from None

    def ask(self, prompt: str, help_text: str, redraw: Callable[[], None]) -> str:
        """A reply; ``q`` raises Quit; ``?`` shows the screen again with ``help_text``."""
        while True:
            raw = self._read(prompt)
            word = raw.lower()
            if word in QUIT_WORDS:
                raise Quit()
            if word in HELP_WORDS:
                redraw()
                self.say(help_text, "dim")
                continue
            return raw

    def place(self, n: int, total: int, card: Card) -> Text:
        """``Review 3/10 · Quiz question · lesson 2, The ML lifecycle``, to the width."""
        width = fit_width(self.console)
        head = f"Review {n}/{total} · {KIND_LABELS.get(card.kind, card.kind)}"
        lesson = f" · lesson {card.lesson.order}, {clean(card.lesson.title)}"
        if len(head) + len(lesson) > width:
            lesson = f" · lesson {card.lesson.order}"
        return Text(head + lesson, style="dim")

    # -- the session ------------------------------------------------------------------------

    def run(self, size: int) -> int:
        """Play a session of up to ``size`` cards; returns how many were answered."""
        fit_width(self.console)
        cards = self.reviewer.session(size)
        if not cards:
            self.nothing_due()
            return 0
        due = len(self.reviewer.due())
        many = f"{len(cards)} of the {due}" if due > len(cards) else str(len(cards))
        self.say(f"Review: {many} {'item' if due == 1 else 'items'} due, the "
                 "ones you missed first. Each answer is saved at once; q stops.", "bold")
        try:
            for n, card in enumerate(cards, start=1):
                self.play(card, n, len(cards))
        except Quit:
            left = len(self.reviewer.due())  # the whole schedule's, not this session's
            self.say(f"\nStopped. Your {self.answered} "
                     f"{'answer is' if self.answered == 1 else 'answers are'} saved"
                     + (f"; {left} still due" if left else "") + f". Run `{self.prog} "
                     "review` to go on.", "green")
            return self.answered
        self.say(f"\nReview done: {self.right} of {len(cards)} right.", "bold green")
        self.next_line()
        return self.answered

    def nothing_due(self) -> None:
        if not self.reviewer.items():
            self.say("Nothing to review yet. Finish a lesson "
                     f"(`{self.prog} learn`): its quiz questions and terms come back here "
                     "over the following days.")
            return
        self.say("Nothing is due for review now.", "green")
        self.next_line()

    def next_line(self) -> None:
        nxt = self.reviewer.next_due()
        due_now = len(self.reviewer.due())
        if due_now:
            self.say(f"{due_now} more {'is' if due_now == 1 else 'are'} due: run "
                     f"`{self.prog} review` again for the next session.")
        elif nxt is not None:
            stamp = nxt[:16].replace("T", " ")
            self.say(f"The next review is due {when(nxt, self.reviewer.clock())} "
                     f"({stamp} UTC): run `{self.prog} review` then.")

    def play(self, card: Card, n: int, total: int) -> None:
        """One card: the question, the reply, what was right, where the item goes."""
        def draw() -> None:
            self.console.print()
            self.console.print(self.place(n, total, card))
            self.console.print(self.question(card))

        draw()
        if card.kind == "quiz":
            k = len(card.choices)
            prompt = f"Your answer (1-{k} · s: skip · q: quit):"
            help_text = (f"Type the number of the answer you think is right (1-{k}); s skips "
                         "it (it stays due); q stops the review (your answers are saved).")
        elif card.kind == "term":
            prompt = "The term (s: skip · q: quit):"
            help_text = ("Type the term this defines; case, spaces, hyphens and a small typo "
                         "do not matter. s skips it (it stays due); q stops the review.")
        else:
            prompt = "Your words (Enter when done · s: skip · q: quit):"
            help_text = ("Write the idea in a sentence or two, in your own words, then press "
                         "Enter. s skips it (it stays due); q stops the review.")
        while True:
            raw = self.ask(prompt, help_text, draw)
            if raw.lower() in SKIP_WORDS:
                self.say(f"Skipped: it stays due. {self._answer_line(card)}", "dim")
                self._go_on(n, total, draw)
                return
            if card.kind == "idea" and not card.keywords:
                verdict = self._self_rated(card, raw, draw)
            else:
                verdict = self.reviewer.check(card, raw)
                if not verdict.valid:
                    self.say(verdict.message, "yellow")
                    continue
            break
        item = self.reviewer.answer(card, verdict.correct)
        self.answered += 1
        self.right += int(verdict.correct)
        self.feedback(card, verdict)
        later = when(item.due_at, self.reviewer.clock())
        if verdict.correct:
            self.say(f"It moves to box {item.box} of 5: back {later}.", "dim")
        else:
            self.say(f"It goes back to box 1: back {later}.", "dim")
        self._go_on(n, total, draw)

    def _self_rated(self, card: Card, raw: str, draw: Callable[[], None]) -> Verdict:
        """An idea with no rubric to match: show it, and the learner says if they had it."""
        self.say(f"The idea: {card.answer}", "bold")
        while True:
            reply = self.ask("Did you have it? (y/n · q: quit):",
                             "Compare your words with the idea above: y if you had it, n "
                             "if not (it comes back sooner).", draw).lower()
            if reply in ("y", "yes", "n", "no"):
                return Verdict(reply.startswith("y"))
            self.say("Please type y or n.", "yellow")

    def _answer_line(self, card: Card) -> str:
        if card.kind == "quiz":
            return f"The answer: {card.answer}."
        if card.kind == "term":
            return f"The term: {card.answer}."
        return f"The idea: {card.answer}"

    def feedback(self, card: Card, verdict: Verdict) -> None:
        if card.kind == "idea" and not card.keywords:
            self.say("Noted." if verdict.correct else "It will come back tomorrow.",
                     "green" if verdict.correct else "yellow")
            return
        if verdict.correct:
            extra = f" (the spelling: {card.answer})" if verdict.close else ""
            self.say(f"Right!{extra}", "bold green")
        else:
            self.say(f"Not this time. {self._answer_line(card)}", "yellow")
        if card.kind == "quiz" and card.explanation:
            self.console.print(inline(card.explanation))
        elif card.kind == "idea" and verdict.correct:
            self.say(f"The idea: {card.answer}")

    def _go_on(self, n: int, total: int, draw: Callable[[], None]) -> None:
        last = n == total
        self.ask(f"Enter: {'finish' if last else 'next'} ({n}/{total}) · q: quit",
                 "Press Enter to go on; q stops the review (your answers are saved).",
                 draw)

    def question(self, card: Card) -> RenderableType:
        if card.kind == "quiz":
            head = inline(card.prompt)
            head.append("\n")
            choices = Table.grid(padding=(0, 1))
            choices.add_column(width=4, justify="right")
            choices.add_column(ratio=1)
            for k, text in enumerate(card.choices, start=1):
                choices.add_row(Text(f"{k}.", style="bold"), inline(text))
            return Group(head, choices, Text(""))
        if card.kind == "term":
            definition = Table.grid(padding=(0, 0))
            definition.add_column(width=2)
            definition.add_column(ratio=1)
            definition.add_row("", Text(clean(card.prompt)))
            return Group(Text("Which term is this?", style="bold"), definition, Text(""))
        return Group(Text(clean(card.prompt)), Text(""))
