"""The interactive `learn` walk-through: menu, lesson intro, theme, answer, takeaways, quiz.

Each lesson is a small state machine over ``tutor.STEPS``. Progress is written at every
step, so quitting (``quit``, Ctrl-C, Ctrl-D, a crash) resumes where the learner was.
Every prompt takes ``skip``, ``back`` and ``quit``; choices are numbered so the flow
works in a plain terminal and with a screen reader.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.text import Text

from .errors import Interrupted, LLMError, NoAnswerError, PrimerError
from .lessons import Lesson, Theme, prose, resolve_theme
from .notes import study_notes
from .prompts import as_text
from .store import Progress, Timer, now_iso
from .tutor import STEPS, ReplayAvailable, Reply, Tutor, grade
from .ui import is_plain, views
from .ui.stream import MarkdownStream, render_markdown

COMMANDS = {"skip", "back", "quit", "q", "exit"}


class Quit(Exception):
    """The learner asked to stop; progress is already saved."""


class Back(Exception):
    """The learner asked to go back one step."""


class Walkthrough:
    """Runs the course for one learner in one terminal."""

    def __init__(
        self,
        tutor: Tutor,
        console: Console,
        *,
        ask: Callable[[str], str] = input,
        notes_dir: Path | None = None,
    ) -> None:
        self.tutor = tutor
        self.console = console
        self._ask = ask
        self.plain = is_plain(console)
        self.notes_dir = notes_dir or Path.cwd()
        self.timer = Timer()

    # -- input ---------------------------------------------------------------------------

    def ask(self, prompt: str, *, footer: bool = True, numbers: bool = False) -> str:
        """Read one answer; 'quit' raises Quit, 'back' raises Back, EOF quits."""
        if footer:
            self.console.print(Text(views.NUMBER_FOOTER if numbers else views.FOOTER,
                                    style="dim"))
        try:
            raw = self._ask(f"{prompt} ").strip()
        except EOFError:
            self.console.print()  # Ctrl-D leaves the cursor on the prompt's line
            raise Quit() from None
        word = raw.lower()
        if word in ("quit", "q", "exit"):
            raise Quit()
        if word == "back":
            raise Back()
        return raw

    def say(self, text: str, style: str | None = None) -> None:
        self.console.print(Text(text, style=style or ""))

    # -- the course ------------------------------------------------------------------------

    def run(self, start: Lesson | None = None, theme_text: str | None = None) -> None:
        """The whole course from the menu (or straight into ``start``)."""
        notice = self.tutor.offline_notice()
        if notice:
            self.say(notice, "yellow")
        self.tutor.warm_up()  # the client gets ready while the learner reads and chooses
        try:
            lesson = start or self.choose_lesson()
            while lesson is not None:
                finished = self.run_lesson(lesson, theme_text)
                theme_text = None
                if not finished:
                    lesson = self.choose_lesson()
                    continue
                lesson = self.after_lesson(lesson)
        except Quit:
            self.say("Your progress is saved. Run `mlops-primer learn` to continue. "
                     "Be well, and remember to breathe.", "green")

    def choose_lesson(self) -> Lesson:
        course = self.tutor.course
        while True:
            progress = self.tutor.store.all_progress()
            resume = self.tutor.resume_point()
            self.console.print(views.menu(course, progress, resume))
            try:
                raw = self.ask("Lesson number (Enter to continue):", numbers=True)
            except Back:
                self.say("This is the course menu; there is nothing before it.", "dim")
                continue
            if raw.lower() in ("", "skip"):
                return resume or course.lessons[0]
            try:
                return course.get(raw)
            except PrimerError as exc:
                self.say(exc.one_line(), "red")

    def after_lesson(self, lesson: Lesson) -> Lesson | None:
        nxt = self.tutor.course.next_after(lesson)
        if nxt is None:
            self.say("You have finished the whole course. Well done!", "bold green")
            self.console.print(views.progress_table(self.tutor.course,
                                                    self.tutor.store.all_progress()))
            raise Quit()
        while True:
            try:
                raw = self.ask(f"Enter for lesson {nxt.order}: {nxt.title} (or 'm' for the menu):")
            except Back:
                return lesson
            if raw.lower() in ("", "skip", "n", "next"):
                return nxt
            if raw.lower() in ("m", "menu"):
                return self.choose_lesson()

    # -- one lesson ---------------------------------------------------------------------

    def run_lesson(self, lesson: Lesson, theme_text: str | None = None) -> bool:
        """Walk one lesson from its saved step; True when it was completed."""
        p = self.tutor.progress(lesson)
        if p.done:
            # a revisit: start from the top; the lesson stays done, with its last score,
            # until the new quiz replaces it
            p = Progress(lesson_id=lesson.id, theme_id=p.theme_id, theme_label=p.theme_label,
                         started_at=p.started_at, completed_at=p.completed_at,
                         quiz_score=p.quiz_score, quiz_total=p.quiz_total,
                         answer_id=p.answer_id, quiz_answers=p.quiz_answers)
        theme = self._theme_from(lesson, p)
        if theme_text:
            theme = resolve_theme(lesson, theme_text)
            p.theme_id, p.theme_label = theme.id, theme.label
            if p.step in ("intro", "theme"):
                p.step = "answer"
        reply: Reply | None = None
        if theme is not None and p.step in ("takeaways", "quiz", "done"):
            # resuming after the answer: find it again for follow-ups and notes
            reply = self.tutor.replay(lesson, theme, self.tutor.messages(lesson, theme))
        self.timer.lap()
        while True:
            self._save(p)
            try:
                if p.step == "intro":
                    self.console.print(views.intro(lesson))
                    self.ask("Press Enter to choose a metaphor world:")
                    p.step = "theme"
                elif p.step == "theme":
                    theme = self.choose_theme(lesson)
                    p.theme_id, p.theme_label = theme.id, theme.label
                    p.step = "answer"
                elif p.step == "answer":
                    if theme is None:
                        p.step = "theme"
                        continue
                    reply = self.show_answer(lesson, theme)
                    if reply is None:
                        p.step = "theme"
                        continue
                    p.answer_id = reply.answer_id
                    p.step = "takeaways"
                elif p.step == "takeaways":
                    self.console.print(views.takeaways(lesson))
                    self.followups(lesson, theme, reply)
                    p.quiz_answers = {}  # a revisit kept the last ones until its quiz starts
                    p.step = "quiz" if lesson.quiz else "done"
                elif p.step == "quiz":
                    self.quiz(lesson, p)
                    p.step = "done"
                elif p.step == "done":
                    p.completed_at = now_iso()
                    self._save(p)
                    self.finish(lesson, p, reply)
                    return True
            except Back:
                p.step = _previous(p.step)
                if p.step == "menu":
                    p.step = "intro"
                    self._save(p)
                    return False
            except Quit:
                self._save(p)  # count the time spent on this step too
                raise

    def _save(self, p: Progress) -> None:
        self.tutor.store.save_progress(p, add_seconds=self.timer.lap())

    def _theme_from(self, lesson: Lesson, p: Progress) -> Theme | None:
        if not p.theme_label:
            return None
        for theme in lesson.themes:
            if theme.id == p.theme_id:
                return theme
        return resolve_theme(lesson, p.theme_label)

    def choose_theme(self, lesson: Lesson) -> Theme:
        while True:
            self.say("Choose a metaphor world for this lesson:", "bold")
            self.console.print(views.numbered([t.label for t in lesson.themes]))
            self.say("  Or type a world of your own (for example: a bakery, chess, rock "
                     "climbing).", "dim")
            raw = self.ask("Theme number or your own world (Enter for 1):", numbers=True)
            if raw.lower() in ("", "skip"):
                return lesson.themes[0]
            if raw.lstrip("+-").isdecimal():  # not isdigit(): int('²') fails
                n = int(raw)
                if 1 <= n <= len(lesson.themes):
                    return lesson.themes[n - 1]
                self.say(f"Please type a number from 1 to {len(lesson.themes)}, or your own "
                         "world.", "red")
                continue
            try:
                return resolve_theme(lesson, raw)
            except PrimerError as exc:
                self.say(exc.one_line(), "red")

    def show_answer(self, lesson: Lesson, theme: Theme) -> Reply | None:
        """Show the prompt folded, then the answer; None to choose another theme."""
        messages = self.tutor.messages(lesson, theme)
        self.say(f"\nThe prompt for “{theme.label}”:", "bold")
        self.console.print(views.prompt_folded(messages[-1].content))
        reply = self._get_answer(lesson, theme, regenerate=False)
        while True:
            if reply is None:
                self.say("No answer is available for this theme offline. Suggested themes "
                         "have answers in the course pack. Here is the prompt to paste into "
                         "any chat app:", "yellow")
                self.console.print(Text(as_text(messages)))
                raw = self.ask("Enter to pick another theme, or 'skip' to go on without it:")
                if raw.lower() == "skip":
                    return Reply(text="", origin="none", label="", messages=tuple(messages))
                return None
            options = "Enter to continue, 'p' to see the whole prompt"
            if not self.tutor.offline:
                options += ", 'r' to regenerate"
            raw = self.ask(f"{options}:")
            if raw.lower() == "p":
                self.console.print(Text(as_text(messages)))
            elif raw.lower() == "r" and not self.tutor.offline:
                reply = self._get_answer(lesson, theme, regenerate=True) or reply
            else:
                return reply

    def _get_answer(self, lesson: Lesson, theme: Theme, *, regenerate: bool) -> Reply | None:
        view = MarkdownStream(self.console, plain=self.plain)

        def started() -> None:
            self.say(f"\nAsking {self.tutor.provider().model} on "
                     f"{self.tutor.provider().host}… (Ctrl-C stops)", "dim")

        try:
            reply = self.tutor.answer(lesson, theme, view.feed, regenerate=regenerate,
                                      on_start=started)
        except KeyboardInterrupt:
            view.abort()
            raise Interrupted(
                "stopped; the partial answer was not stored",
                hint="run `mlops-primer learn` to continue this lesson and get the answer again",
            ) from None
        except ReplayAvailable as exc:
            view.abort()
            self._incomplete(view)
            self.say(exc.cause.one_line(), "red")
            if exc.unreachable:
                return self._go_offline(lesson, theme)
            raw = self.ask(f"This prompt can be answered offline ({exc.replay.label}). "
                           "Replay that? [Y/n] (or r to ask again)", footer=False)
            if raw.lower() in ("", "y", "yes"):
                return self._show_replay(exc.replay)
            if raw.lower() in ("r", "retry"):
                return self._get_answer(lesson, theme, regenerate=regenerate)
            raise Back() from None  # no replay: choose the theme again
        except NoAnswerError:
            view.abort()
            return None
        except LLMError as exc:
            view.abort()
            self._incomplete(view)
            self.say(exc.one_line(), "red")
            if exc.unreachable:
                return self._go_offline(lesson, theme)
            # the server answered badly (a dropped stream, an HTTP error): stay in the course
            self.ask("Enter to try again, 'back' to pick another theme, or 'quit':",
                     footer=False)
            return self._get_answer(lesson, theme, regenerate=regenerate)
        if reply.origin == "llm":
            view.close()
            self.say(f"({reply.label})", "dim")
            self._truncated(reply)
            return reply
        view.abort()
        return self._show_replay(reply)

    def _truncated(self, reply: Reply, *, again: str = "type 'r' to ask again") -> None:
        """The line under an answer that stopped at the length limit."""
        if reply.truncated:
            settings = self.tutor.settings
            limit = f" of {settings.max_tokens} tokens" if reply.origin == "llm" and \
                settings is not None else ""
            way = f"{again}, or raise" if not self.tutor.offline else "Raise"
            self.say(f"The answer reached the length limit{limit} and stops there. "
                     f"{way[0].upper()}{way[1:]} the limit: "
                     "`mlops-primer config set max_tokens 3000`.", "yellow")

    def _incomplete(self, view: MarkdownStream) -> None:
        if view.text.strip():
            self.say("(the text above is incomplete and was not stored)", "yellow")

    def _go_offline(self, lesson: Lesson, theme: Theme) -> Reply | None:
        """The server cannot be reached: replay for the rest of this session."""
        self.tutor.offline = True
        self.say("Switching to offline replay for this session.", "yellow")
        return self._get_answer(lesson, theme, regenerate=False)

    def _show_replay(self, reply: Reply) -> Reply:
        self.say(f"\n({reply.label})", "dim")
        render_markdown(self.console, reply.text, plain=self.plain)
        self._truncated(reply)
        return reply

    def followups(self, lesson: Lesson, theme: Theme | None, reply: Reply | None) -> None:
        if theme is None or reply is None or not reply.text:
            return
        if self.tutor.offline:
            settings = self.tutor.settings
            if settings is not None and settings.configured:
                self.say(f"(Follow-up questions need the LLM, and {settings.host} could not "
                         "be reached; run `mlops-primer learn` again once it is back.)", "dim")
            else:
                self.say("(Follow-up questions need an LLM; with one configured you can ask "
                         "the tutor anything about this lesson here.)", "dim")
            self.ask("Press Enter to go on to the quiz:")
            return
        while True:
            raw = self.ask("Ask a follow-up question, or press Enter to go on to the quiz:")
            if raw.lower() in ("", "skip"):
                return
            view = MarkdownStream(self.console, plain=self.plain)

            def asking() -> None:
                self.say(f"Asking {self.tutor.provider().host}… (Ctrl-C stops)", "dim")

            try:
                answer = self.tutor.followup(lesson, theme, reply, raw, view.feed,
                                             on_start=asking)
            except KeyboardInterrupt:
                view.abort()
                self.say("Stopped; nothing was stored.", "yellow")
                continue
            except (NoAnswerError, LLMError) as exc:
                view.abort()
                self.say(exc.one_line(), "yellow")
                continue
            if answer.origin == "llm":
                view.close()
            else:
                view.abort()
                render_markdown(self.console, answer.text, plain=self.plain)
            self.say(f"({answer.label})", "dim")
            if self.tutor.last_shortened:
                self.say("(The lesson's answer was shortened to fit the server's context "
                         "window for this question.)", "dim")
            self._truncated(answer, again="ask it again")

    def quiz(self, lesson: Lesson, p: Progress) -> None:
        total = len(lesson.quiz)
        i = len([k for k in p.quiz_answers if k.isdigit() and int(k) < total])
        while i < total:
            q = lesson.quiz[i]
            self.console.print(views.quiz_question(q, i + 1, total))
            try:
                self._ask_question(q, i, p)
            except Back:
                if i == 0:
                    raise
                i -= 1
                p.quiz_answers.pop(str(i), None)
                self._save(p)
                continue
            self._save(p)
            i += 1
        right = sum(1 for a in p.quiz_answers.values() if a.get("first_try"))
        p.quiz_score, p.quiz_total = right, total
        self.say(f"\nQuiz done: {right} of {total} right on the first try.", "bold green")

    def _ask_question(self, q: object, i: int, p: Progress) -> None:
        from .lessons import QuizQuestion

        assert isinstance(q, QuizQuestion)
        tries = 0
        while True:
            raw = self.ask(f"Your answer (1-{len(q.choices)}):", numbers=True)
            if raw.lower() == "skip":
                p.quiz_answers[str(i)] = {"skipped": True, "first_try": False}
                self.say(f"Skipped. The answer: {q.answer}. {prose(q.explanation)}", "dim")
                return
            if not raw.isdecimal() or not 1 <= int(raw) <= len(q.choices):
                self.say(f"Please type a number from 1 to {len(q.choices)}.", "red")
                continue
            tries += 1
            if grade(q, int(raw) - 1):
                self.say("Right!", "bold green")
                self.say(prose(q.explanation))
                p.quiz_answers[str(i)] = {"choice": int(raw) - 1, "first_try": tries == 1,
                                          "tries": tries}
                return
            if tries == 1:
                self.say(f"Not quite. Hint: {prose(q.hint)}", "yellow")
                continue
            self.say(f"Not this time. The answer is: {q.answer}", "yellow")
            self.say(prose(q.explanation))
            p.quiz_answers[str(i)] = {"choice": int(raw) - 1, "first_try": False, "tries": tries}
            return

    def finish(self, lesson: Lesson, p: Progress, reply: Reply | None) -> None:
        self.say(f"\nLesson {lesson.order} complete: {lesson.title}.", "bold green")
        try:
            default = f"mlops-primer-notes-{lesson.id}.md"
            raw = self.ask(f"Save study notes as Markdown? Type y for {default}, or a file "
                           "name; Enter skips:", footer=False)
        except Back:
            return
        if raw.lower() in ("y", "yes"):
            raw = default
        elif raw and not Path(raw).suffix:
            raw += ".md"  # "notes" becomes notes.md, and "2" cannot make a file named 2
        if raw and raw.lower() not in ("n", "no", "skip"):
            answer = reply.text if reply is not None else None
            if answer is None and p.answer_id is not None:
                stored = self.tutor.store.get(p.answer_id)
                answer = stored.answer if stored else None
            target = Path(raw).expanduser()
            if not target.is_absolute():
                target = self.notes_dir / target
            try:
                target.write_text(
                    study_notes(lesson, p, answer, reply.label if reply else None),
                    encoding="utf-8",
                )
                self.say(f"Notes saved to {target}", "green")
            except OSError as exc:
                self.say(f"Could not write {target}: {exc.strerror}", "red")


def _previous(step: str) -> str:
    """The step before ``step``; before the intro is the course menu."""
    order = ("menu", *STEPS)
    return order[max(0, order.index(step) - 1)]
