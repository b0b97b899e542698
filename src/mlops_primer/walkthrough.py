"""The interactive `learn` walk-through: menu, lesson intro, world, answer, takeaways, quiz,
lab, notes.

Each lesson is a small state machine over ``tutor.STEPS``. Progress is written at every
step, so quitting (``quit``, Ctrl-C, Ctrl-D, a crash) resumes where the learner was.
Every prompt takes ``skip``, ``back`` (``b``), ``quit`` (``q``) and ``help`` (``?``);
choices are numbered so the flow works in a plain terminal and with a screen reader.
Long text (the intro, the answer, the prompt, the glossary) is shown a screen at a time
(``ui.pager``), and every screen of a lesson starts with the learner's place in it.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console, RenderableType
from rich.text import Text

from . import grading
from .errors import Interrupted, LLMError, NoAnswerError, PrimerError
from .lessons import Lesson, QuizQuestion, Theme, is_custom, prose, resolve_theme
from .notes import notes_file_name, notes_folder, study_notes, write_notes
from .reviewing import Reviewer
from .store import LabState, Progress, Timer, now_iso
from .tutor import STEPS, NotAWorld, ReplayAvailable, Reply, Tutor, grade, lookup, world_problem
from .ui import is_plain, views
from .ui.pager import (
    BACK_WORDS,
    HELP_WORDS,
    QUIT_WORDS,
    Pager,
    fit_width,
    markdown_sections,
    read_line,
)
from .ui.safe import clean
from .ui.stream import MarkdownStream, TutorMarkdown

if TYPE_CHECKING:
    from .labs.learner import Labs

GLOSSARY_WORDS = frozenset({"g", "glossary"})
_AGAIN = object()  # choose_theme: show the world menu again


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
        self.pager = Pager(console, self._read, plain=self.plain)
        self._lesson: Lesson | None = None  # the lesson on screen: its place line, its 'g'
        self._step = "intro"
        self._sub = ""
        self.hint_shown = False  # set when a quiz question's hint was asked for
        self._review: Reviewer | None = None
        self._reviewed: set[tuple[str, int, int]] = set()  # quiz answers fed to the review

    # -- input ---------------------------------------------------------------------------

    def _read(self, prompt: str) -> str:
        """One line from the learner (ui.pager.read_line); Ctrl-D quits."""
        try:
            return read_line(self.console, self._ask, prompt)
        except EOFError:
            raise Quit() from None

    def ask(self, prompt: str, *, help: str = "", hint: str | None = None,
            redraw: Callable[[], None] | None = None) -> str:
        """Read one answer; 'quit' raises Quit, 'back' raises Back.

        ``help``, ``?``, ``h`` and ``hint`` show ``hint`` when there is one (a quiz
        question), else ``help`` (what the prompt accepts); ``g`` shows the glossary.
        ``redraw`` shows the screen again first (a quiz question with its choices), so
        asking for help never pushes what it is about off the screen.
        """
        while True:
            raw = self._read(prompt)
            word = raw.lower()
            if word in QUIT_WORDS:
                raise Quit()
            if word in BACK_WORDS:
                raise Back()
            if word in HELP_WORDS:
                if redraw is not None:
                    redraw()
                elif self._lesson is not None:  # the screen moves on: keep the place in view
                    self.show_place(self._step, self._sub)
                if hint is not None:
                    self.say(f"Hint: {clean(prose(hint))}", "yellow")
                    self.hint_shown = True
                if hint is None or word == "help":
                    self.say(help or "Press Enter to go on, or type: back, skip, g "
                             "(glossary), quit.", "dim")
                continue
            if word in GLOSSARY_WORDS and self._glossary_available():
                # back under the question (with its choices) the glossary pushed away
                self.show_glossary(place=redraw is None)
                if redraw is not None:
                    redraw()
                continue
            return raw

    def say(self, text: str, style: str | None = None) -> None:
        self.console.print(Text(text, style=style or ""))

    def say_lesson(self, text: str, style: str | None = None) -> None:
        """A line of lesson text (an explanation, a hint): its code spans drawn as code."""
        self.console.print(views.inline(prose(text), style=style or ""))

    # -- where am I ----------------------------------------------------------------------

    def _place(self) -> RenderableType:
        lesson = self._lesson
        if lesson is None:
            return Text("")
        lessons = self.tutor.course.lessons
        ids = {x.id for x in lessons}
        done = sum(1 for p in self.tutor.store.all_progress().values()
                   if p.done and p.lesson_id in ids)
        title = "" if self._step == "intro" else lesson.title  # the intro shows it big
        return views.place(lessons.index(lesson) + 1, len(lessons), self._step, done,
                           sub=self._sub, title=title, width=self.console.width)

    def show_place(self, step: str, sub: str = "") -> None:
        """Start a screen: a gap, then the learner's place in the lesson."""
        self._step, self._sub = step, sub
        fit_width(self.console)
        self.console.print()
        self.console.print(self._place())

    def page(self, sections: Sequence[RenderableType], *, step: str, last: str,
             more: str = "", keys: frozenset[str] = frozenset(),
             lead: RenderableType | None = None, help: str = "",
             ask_line: str | None = None,
             actions: Mapping[str, Callable[[], None]] | None = None) -> str:
        """Show ``sections`` a screen at a time under the place line; the reply at the end.

        Back from the first screen raises Back; quit raises Quit. A reply in ``actions``
        runs it and shows the same screen again (as ``g``, the glossary, does).
        """
        self._step, self._sub = step, ""
        run: dict[str, Callable[[], None]] = {}
        if self._glossary_available() and step != "glossary":
            # the pager shows its page again after the glossary, with its place line
            run = {w: lambda: self.show_glossary(place=False) for w in GLOSSARY_WORDS}
        run.update(actions or {})
        actions = run
        word = self.pager.show(sections, header=self._place, lead=lead, last=last, more=more,
                               keys=keys, help_text=help, actions=actions,
                               ask_line=ask_line)
        if word == "back":
            raise Back()
        if word == "quit":
            raise Quit()
        return word

    def _glossary_available(self) -> bool:
        return self._lesson is not None and bool(self._lesson.glossary)

    def show_glossary(self, *, place: bool = True) -> None:
        """The lesson's glossary, paced; back on the prompt the learner was at (under its
        place line again, unless ``place`` is false)."""
        assert self._lesson is not None
        step, sub = self._step, self._sub
        try:
            self.page(views.glossary_sections(self._lesson), step="glossary",
                      last="Enter: back to the lesson")
        except Back:
            pass
        finally:
            self._step, self._sub = step, sub
            if place:
                self.show_place(step, sub)

    # -- the course ------------------------------------------------------------------------

    def run(self, start: Lesson | None = None, theme_text: str | None = None) -> None:
        """The whole course from the menu (or straight into ``start``)."""
        fit_width(self.console)
        for notice in (self.tutor.offline_notice(), self.tutor.language_notice()):
            if notice:
                self.say(notice, "dim")
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
        self._lesson = None
        while True:
            fit_width(self.console)
            progress = self.tutor.store.all_progress()
            resume = self.tutor.resume_point()
            self.console.print(views.menu(course, progress, resume))
            first = resume or course.lessons[0]
            try:
                raw = self.ask(f"Lesson number (Enter: lesson {first.order}, ?: help):",
                               help="Type a lesson's number or id, Enter for the one named "
                               "above, or q to quit.")
            except Back:
                self.say("This is the course menu; there is nothing before it.", "dim")
                continue
            if raw.lower() in ("", "skip"):
                return first
            try:
                return course.get(raw)
            except PrimerError as exc:
                self.say(clean(exc.one_line()), "red")

    def unfinished(self) -> list[Lesson]:
        """The lessons not done yet, in course order."""
        progress = self.tutor.store.all_progress()
        return [x for x in self.tutor.course.lessons
                if x.id not in progress or not progress[x.id].done]

    def labs_left(self) -> str | None:
        """One line on the labs of finished lessons that are not passed yet, if any."""
        progress = self.tutor.store.all_progress()
        labs = self.tutor.store.all_labs()
        left = [x for x in self.tutor.course.lessons
                if x.lab is not None and x.id in progress and progress[x.id].done
                and not (x.id in labs and labs[x.id].passed)]
        if not left:
            return None
        what = ", ".join(f"{x.order} ({'started' if x.id in labs else 'not started'})"
                         for x in left)
        one = len(left) == 1
        return (f"Not passed yet: the {'lab' if one else 'labs'} of "
                f"{'lesson' if one else 'lessons'} {what}; {self.command('lab list')} "
                f"shows {'it' if one else 'them'}.")

    def after_lesson(self, lesson: Lesson) -> Lesson | None:
        """Where to go after a lesson: the next unfinished one, or the menu."""
        left = self.unfinished()
        self._lesson = None
        labs = self.labs_left()
        if not left:
            self.say("You have finished the whole course. Well done!", "bold green")
            self.console.print(views.progress_table(self.tutor.course,
                                                    self.tutor.store.all_progress()))
            if labs:
                self.say(labs, "yellow")
            raise Quit()
        numbers = ", ".join(str(x.order) for x in left)
        self.say(f"\nStill to do ({len(left)} of {len(self.tutor.course.lessons)} lessons): "
                 f"{'lesson' if len(left) == 1 else 'lessons'} {numbers}.", "bold")
        if labs:
            self.say(labs, "dim")
        later = [x for x in left if x.order > lesson.order]
        if not later:  # what is left comes before this lesson: the menu shows it
            return self.choose_lesson()
        nxt = later[0]
        while True:
            try:
                raw = self.ask(f"Enter: lesson {nxt.order}, {clean(nxt.title)} · m: menu",
                               help="Enter starts the next lesson not yet done; m shows the "
                               "course menu; q quits.")
            except Back:
                return self.choose_lesson()
            if raw.lower() in ("", "skip", "n", "next"):
                return nxt
            if raw.lower() in ("m", "menu"):
                return self.choose_lesson()
            self.say("Press Enter for the next lesson, or type m for the menu.", "dim")

    # -- one lesson ---------------------------------------------------------------------

    def run_lesson(self, lesson: Lesson, theme_text: str | None = None) -> bool:
        """Walk one lesson from its saved step; True when it was completed."""
        self._lesson = lesson
        p = self.tutor.progress(lesson)
        if p.done:
            if not self._retake(lesson, p):
                return False
            # a revisit: start from the top; the lesson stays done, with its last score,
            # until the new quiz replaces it
            p = Progress(lesson_id=lesson.id, theme_id=p.theme_id, theme_label=p.theme_label,
                         started_at=p.started_at, completed_at=p.completed_at,
                         quiz_score=p.quiz_score, quiz_total=p.quiz_total,
                         answer_id=p.answer_id, quiz_answers=p.quiz_answers)
        elif p.step != "intro" and p.started_at:
            where = _RESUME_AT.get(p.step, views.step_label(p.step).lower())
            if p.step == "quiz":
                answered = len([k for k in p.quiz_answers if k.isdigit()])
                where = f"the quiz, question {answered + 1} of {len(lesson.quiz)}"
            self.say(f"\nBack to lesson {lesson.order}: {clean(lesson.title)}, at {where}.",
                     "bold")
        theme = self._theme_from(lesson, p)
        if theme_text:
            theme = resolve_theme(lesson, theme_text)
            p.theme_id, p.theme_label = theme.id, theme.label
            if p.step in ("intro", "theme"):
                p.step = "answer"
        reply: Reply | None = None
        if theme is not None and p.step not in ("intro", "theme", "answer"):
            # resuming after the answer: find it again for follow-ups and notes
            reply = self.tutor.replay(lesson, theme, self.tutor.messages(lesson, theme))
        self.timer.lap()
        while True:
            self._save(p)
            try:
                if p.step == "intro":
                    self.page(views.intro_sections(lesson), step="intro",
                              last="Enter: choose a world", help=_PAGE_HELP)
                    p.step = "theme"
                elif p.step == "theme":
                    chosen = self.choose_theme(lesson)
                    if chosen is None:  # the learner goes on without an explanation
                        theme, reply = None, None
                        p.theme_id = p.theme_label = None
                        p.step = "takeaways"
                        continue
                    theme = chosen
                    p.theme_id, p.theme_label = theme.id, theme.label
                    p.step = "answer"
                elif p.step == "answer":
                    if theme is None:
                        p.step = "theme"
                        continue
                    reply = self.show_answer(lesson, theme)
                    if reply is None:  # nothing to show in that world: it is not kept
                        theme, p.theme_id, p.theme_label = None, None, None
                        p.step = "theme"
                        continue
                    p.answer_id = reply.answer_id
                    p.step = "explain"
                elif p.step == "explain":
                    if lesson.explain is not None:
                        self.explain_back(lesson, p)
                    p.step = "takeaways"
                elif p.step == "takeaways":
                    self.takeaways(lesson, theme, reply)
                    # a new attempt: its own choice order; a revisit kept the last answers
                    # until now, for its notes
                    p.quiz_answers = {"attempt": _attempt(p) + (1 if _answered(p) else 0),
                                      **_kept(p)}
                    if lesson.quiz:
                        p.step = "quiz"
                    else:
                        self._completed(lesson, p)
                elif p.step == "quiz":
                    self.quiz(lesson, p)
                    self._completed(lesson, p)
                elif p.step == "lab":
                    if lesson.lab is not None:
                        self.lab_step(lesson)
                    p.step = "done"
                elif p.step == "done":
                    if p.completed_at is None:  # a store of an older version
                        self._completed(lesson, p)
                        p.step = "done"
                    self._save(p)
                    self.finish(lesson, p, reply)
                    return True
                else:  # a step this version does not know (a newer one wrote it)
                    p.step = _next(p.step)
            except Back:
                p.step = _previous(p.step)
                if p.step == "explain" and lesson.explain is None:
                    p.step = _previous(p.step)  # a lesson without it has no such step
                if p.step == "menu":
                    p.step = "intro"
                    self._save(p)
                    return False
            except Quit:
                self._save(p)  # count the time spent on this step too
                raise

    def _completed(self, lesson: Lesson, p: Progress) -> None:
        """The quiz is done, so the lesson is: its lab (practice, with its own mark) and
        the notes come next."""
        p.completed_at = now_iso()
        p.step = "lab" if lesson.lab is not None else "done"
        self._reviewer().lesson_finished(lesson)  # its terms come back later

    def _retake(self, lesson: Lesson, p: Progress) -> bool:
        """A finished lesson: ask whether to take it again (True) or go to the menu."""
        self.show_place("intro")
        score = f", quiz {views.score_text(p)}" if views.score_text(p) else ""
        world = f", world: {clean(p.theme_label)}" if p.theme_label else ""
        self.say(f"You finished lesson {lesson.order} already{score}{world}.", "bold")
        lab = self.lab_line(lesson)
        if lab:
            self.say(lab, "yellow")
        try:
            raw = self.ask("Take it again? (Enter: yes · n: back to the menu)",
                           help="Enter starts the lesson again from its intro (your last "
                           "score is kept until the new quiz); n goes to the menu.")
        except Back:
            return False
        return raw.lower() not in ("n", "no", "m", "menu")

    def _save(self, p: Progress) -> None:
        self.tutor.store.save_progress(p, add_seconds=self.timer.lap())

    def _theme_from(self, lesson: Lesson, p: Progress) -> Theme | None:
        if not p.theme_label:
            return None
        for theme in lesson.themes:
            if theme.id == p.theme_id:
                return theme
        return resolve_theme(lesson, p.theme_label)

    # -- the world -----------------------------------------------------------------------

    def choose_theme(self, lesson: Lesson) -> Theme | None:
        """The learner's metaphor world; None to go on without an explanation.

        Only a suggested world or a world of the learner's own is returned: a command
        word, a typo or a world with no explanation to show is never taken as one.
        """
        offline = self.tutor.offline
        ready = [self.tutor.ready_offline(lesson, t) for t in lesson.themes] if offline else None
        read = self.tutor.store.worlds_read(lesson.id)
        n = len(lesson.themes)
        # Enter takes the first world not read yet (and ready offline): a lesson taken
        # again gets an explanation the learner has not seen
        fresh = [k for k, t in enumerate(lesson.themes, start=1)
                 if t.id not in read and (ready is None or ready[k - 1])]
        default = fresh[0] if fresh else 1
        help_text = (f"Type a number from 1 to {n}, Enter for {default}, or a world of your "
                     "own in a few words" + (" (that needs an LLM)" if offline else "") +
                     "; b goes back to the intro, g shows the glossary.")
        while True:
            self.show_place("theme")
            self.console.print(views.world_menu(lesson, ready=ready, read=read,
                                                offline=offline))
            raw = self.ask(f"World (1-{n}, or your own words; Enter: {default}):",
                           help=help_text)
            if raw.lower() in ("", "skip"):
                return lesson.themes[default - 1]
            if raw.lstrip("+-").isdecimal():  # not isdigit(): int('²') fails
                k = int(raw)
                if 1 <= k <= n:
                    return lesson.themes[k - 1]
                self.say(f"There is no world {k}: type a number from 1 to {n}, or your own "
                         "world in a few words.", "yellow")
                continue
            problem = world_problem(lesson, raw)
            if problem is not None:
                self.say(_not_a_world(raw, problem, lesson), "yellow")
                continue
            try:
                theme = resolve_theme(lesson, raw)
            except PrimerError as exc:
                self.say(clean(exc.one_line()), "yellow")
                continue
            if offline and is_custom(theme) and not self.tutor.ready_offline(lesson, theme):
                chosen = self._own_world_offline(lesson, theme)
                if chosen is _AGAIN:
                    continue
                return None
            return theme

    def _own_world_offline(self, lesson: Lesson, theme: Theme) -> object:
        """An own world with no LLM: choose a ready world, or see the prompt to paste."""
        self.say(f"“{clean(theme.label)}” is a world of your own: an LLM writes its "
                 "explanation, and none is set up.", "yellow")
        raw = self.ask("Enter: choose a ready world · p: the prompt to paste into a chat app",
                       help="Enter shows the worlds again; p shows the prompt for your world, "
                       "to paste into any chat app (ChatGPT, Claude, a local model).")
        if raw.lower() not in ("p", "prompt"):
            return _AGAIN
        messages = self.tutor.messages(lesson, theme)
        try:
            self.page(views.prompt_sections(messages), step="theme",
                      last="Enter: go on", help=_PAGE_HELP)
        except Back:
            return _AGAIN
        raw = self.ask("Enter: choose a ready world · s: go on to the takeaways",
                       help="Enter shows the worlds again; s goes on without an explanation "
                       "here (read the chat app's answer, then come back).")
        return None if raw.lower() in ("s", "skip") else _AGAIN

    # -- the answer ----------------------------------------------------------------------

    def show_answer(self, lesson: Lesson, theme: Theme) -> Reply | None:
        """One line about the prompt, then the answer, paced; None to choose another world."""
        messages = self.tutor.messages(lesson, theme)
        self._step, self._sub = "answer", ""
        line = views.prompt_line(lesson, theme, width=fit_width(self.console))
        reply = self._get_answer(lesson, theme, regenerate=False, prompt_line=line)
        if reply is None:
            self.say(clean(self.tutor.no_offline_answer(lesson, theme).one_line()), "yellow")
            self.ask("Enter: choose another world")
            return None
        paged = reply.origin != "llm"  # a streamed answer is on the screen already
        keys = frozenset({"p", "prompt", "a", "again"} | (set() if self.tutor.offline
                                                          else {"r"}))
        more = " · p: prompt" + ("" if self.tutor.offline else " · r: new answer")
        then = "explain it back" if lesson.explain is not None else "takeaways"
        help_text = (f"Enter goes on to {'the ' * (then == 'takeaways')}{then}; p shows the "
                     "whole prompt; a reads the "
                     "answer again" + ("" if self.tutor.offline else "; r asks for a new one")
                     + "; b goes back to the worlds.")
        lead: RenderableType | None = Text.assemble(
            (f"({clean(reply.label)})\n", "dim"), line)

        def show_prompt() -> None:
            with contextlib.suppress(Back):
                self.page(views.prompt_sections(messages), step="answer",
                          last="Enter: close the prompt", help=_PAGE_HELP)

        # p on any screen of the answer shows the prompt, then that same screen again: the
        # rest of the answer is still to come, not skipped
        prompt_keys = {"p": show_prompt, "prompt": show_prompt}
        while True:
            if paged:
                word = self.page(_answer_sections(reply.text, self.plain), step="answer",
                                 last=f"Enter: {then}", more=more,
                                 keys=keys - prompt_keys.keys(), lead=lead, help=help_text,
                                 actions=prompt_keys)
            else:
                self.show_place("answer")
                word = self.ask(f"Enter: {then} · a: read again{more}",
                                help=help_text).lower()
            lead = None
            if word in ("p", "prompt"):  # at the prompt after a streamed answer
                show_prompt()
                paged = False
            elif word in ("a", "again"):
                paged = True
            elif word == "r" and not self.tutor.offline:
                self.show_place("answer")
                new = self._get_answer(lesson, theme, regenerate=True, prompt_line=line)
                if new is not None:
                    reply = new
                    self._mark_read(lesson, theme, reply)
                paged = reply.origin != "llm"
            elif word in ("", "skip", "n", "next"):
                self._mark_read(lesson, theme, reply)
                return reply
            else:
                self.say("Press Enter to go on, or type ? to see what you can type here.",
                         "dim")
                paged = False

    def _mark_read(self, lesson: Lesson, theme: Theme, reply: Reply) -> None:
        if reply.text:
            self.tutor.store.mark_read(lesson.id, theme.id, theme.label)

    def _get_answer(self, lesson: Lesson, theme: Theme, *, regenerate: bool,
                    prompt_line: Text | None = None) -> Reply | None:
        """The answer: streamed when asked live, else returned to be shown paced."""
        fit_width(self.console)
        view = MarkdownStream(self.console, plain=self.plain)

        def feed(chunk: str) -> None:
            view.feed(chunk)  # the view cleans it whole: a sequence may span two chunks

        def started() -> None:
            self.show_place("answer")
            if prompt_line is not None:
                self.console.print(prompt_line)
            self.say(f"Asking {clean(self.tutor.provider().model)} on "
                     f"{clean(self.tutor.provider().host)}… (Ctrl-C stops)", "dim")

        try:
            reply = self.tutor.answer(lesson, theme, feed, regenerate=regenerate,
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
            self.say(clean(exc.cause.one_line()), "red")
            if exc.unreachable:
                return self._go_offline(lesson, theme)
            raw = self.ask(f"This prompt can be answered offline ({clean(exc.replay.label)}). "
                           "Replay that? [Y/n] (or r to ask again)")
            if raw.lower() in ("", "y", "yes"):
                return exc.replay
            if raw.lower() in ("r", "retry"):
                return self._get_answer(lesson, theme, regenerate=regenerate,
                                        prompt_line=prompt_line)
            raise Back() from None  # no replay: choose the world again
        except NoAnswerError:
            view.abort()
            return None
        except LLMError as exc:
            view.abort()
            self._incomplete(view)
            self.say(clean(exc.one_line()), "red")
            if exc.unreachable:
                return self._go_offline(lesson, theme)
            # the server answered badly (a dropped stream, an HTTP error): stay in the course
            self.ask("Enter to try again, 'back' to pick another world, or 'quit':")
            return self._get_answer(lesson, theme, regenerate=regenerate,
                                    prompt_line=prompt_line)
        if reply.origin == "llm":
            view.close()
            self.say(f"({clean(reply.label)})", "dim")
            self._truncated(reply)
            return reply
        view.abort()
        return reply

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
        notice = self.tutor.language_notice()
        if notice:
            self.say(notice, "dim")
        return self._get_answer(lesson, theme, regenerate=False)

    # -- explain it back --------------------------------------------------------------------

    def explain_back(self, lesson: Lesson, p: Progress) -> None:
        """The learner explains the lesson's core idea in their own words, is told which
        ideas they covered and asked about the first one missing, may try once more, and
        goes on. Skipping is always one Enter away."""
        explain = lesson.explain
        assert explain is not None
        help_text = ("Write two or three sentences in your own words, on one line, then press "
                     "Enter. Enter on an empty line (or skip) goes on to the takeaways; b goes "
                     "back to the answer" + ("; g shows the glossary." if lesson.glossary
                                             else "."))

        def draw() -> None:
            self.show_place("explain")
            self.say("Explain it back", "bold underline")
            self.say(clean(prose(explain.question)))
            self.say("Two or three sentences, on one line · Enter or skip: go on · ?: help",
                     "dim")

        draw()
        raw = self.ask("Your explanation (Enter: skip):", help=help_text, redraw=draw)
        result: grading.Grade | None = None
        tries = 0
        while raw.lower() not in ("", "skip"):
            if len(grading.words(raw)) < 3:
                self.say("That is only a word or two. Try two or three sentences, or press "
                         "Enter to go on.", "yellow")
                raw = self.ask("Your explanation (Enter: go on):", help=help_text)
                continue
            tries += 1
            got = self._grade(lesson, raw)
            result = got if result is None else grading.merge(explain, result, got)
            last = tries == 2 or result.complete
            sections = views.explain_result(lesson, result, got, last=last,
                                            cut=len(raw) > grading.MAX_EXPLAIN_CHARS)
            if last:
                self._keep_explained(lesson, p, result, tries)
                self.page(sections, step="explain", last="Enter: takeaways",
                          help="Enter goes on to the takeaways; b goes back to the answer.")
                return
            raw = self.page(sections, step="explain",
                            last="Try once more, or Enter: go on", help=help_text,
                            ask_line="Your explanation (Enter: go on):")
        if result is None:
            self.say("Skipped. You can explain it back the next time you take this lesson.",
                     "dim")
            return
        self._keep_explained(lesson, p, result, tries)
        self.page([views.explain_missing(lesson, result)], step="explain",
                  last="Enter: takeaways",
                  help="Enter goes on to the takeaways; b goes back to the answer.")

    def _keep_explained(self, lesson: Lesson, p: Progress, result: grading.Grade,
                        tries: int) -> None:
        """The result in the lesson's progress, and the missed ideas in the review."""
        p.quiz_answers["explain"] = {**result.as_dict(), "tries": tries}
        self._save(p)
        self._remember_ideas(lesson, result)

    def _grade(self, lesson: Lesson, text: str) -> grading.Grade:
        """The LLM's grade when one is configured and reachable, else the rubric's."""
        explain = lesson.explain
        assert explain is not None
        if self.tutor.offline:
            return grading.grade_offline(explain, text)
        provider = self.tutor.provider()
        self.say(f"Reading your explanation with {clean(provider.model)}… (Ctrl-C: use the "
                 "lesson's own rubric)", "dim")
        try:
            return grading.grade_llm(provider, self.tutor.course, lesson, text,
                                     language=self.tutor.language)
        except KeyboardInterrupt:
            return grading.grade_offline(explain, text, note="Stopped; the lesson's own "
                                         "rubric graded this.")

    def _remember_ideas(self, lesson: Lesson, result: grading.Grade) -> None:
        """Missed ideas feed the spaced review; an idea already there that is now covered
        moves a box later."""
        explain = lesson.explain
        assert explain is not None
        from .review import now

        store = self.tutor.store
        known = {i.key for i in store.review_items(lesson.id) if i.kind == "idea"}
        for idea in explain.ideas:
            missed = idea.id in result.missing
            if missed or idea.id in known:
                store.record_review(lesson.id, "idea", idea.id, not missed, now=now(),
                                    detail=prose(idea.text))

    # -- takeaways and questions ------------------------------------------------------------

    def takeaways(self, lesson: Lesson, theme: Theme | None, reply: Reply | None) -> None:
        """The takeaways, then questions until the learner goes on to the quiz."""
        then = "the quiz" if lesson.quiz else "the notes"
        help_text = (f"Enter goes on to {then}; type a question about the lesson to ask it"
                     + (" (offline, the lesson's glossary answers it)" if self.tutor.offline
                        else "") + "; g shows the glossary; b goes back.")
        raw = self.page([views.takeaways(lesson)], step="takeaways",
                        last=f"Enter: {then} · or type a question", help=help_text,
                        ask_line="Your question (Enter: go on):")
        while raw.lower() not in ("", "skip", "n", "next"):
            if raw.lower() in GLOSSARY_WORDS and lesson.glossary:
                self.show_glossary()
            else:
                self.answer_question(lesson, theme, reply, raw)
            self.show_place("takeaways")
            self.say(f"Another question, or Enter: {then}")
            raw = self.ask("Your question (Enter: go on):", help=help_text)

    def answer_question(self, lesson: Lesson, theme: Theme | None, reply: Reply | None,
                        question: str) -> None:
        """A follow-up: the LLM when there is one, else the lesson's glossary and points."""
        if self.tutor.offline or theme is None or reply is None or not reply.text:
            found = lookup(lesson, question)
            settings = self.tutor.settings
            if found:
                self.console.print(views.lookup_answer(found))
            elif settings is not None and settings.configured:  # configured, but unreachable
                self.say(f"The lesson's glossary has nothing on that, and {clean(settings.host)} "
                         "could not be reached for a follow-up: run `mlops-primer learn` again "
                         "once it is back, or `mlops-primer doctor` to see why.", "yellow")
            else:
                self.say("The lesson's glossary has nothing on that. Follow-up questions "
                         "need an LLM: run `mlops-primer doctor` to set one up, or paste "
                         f"the prompt from `mlops-primer prompt {lesson.id}` and your "
                         "question into any chat app.", "yellow")
            return
        view = MarkdownStream(self.console, plain=self.plain)

        def asking() -> None:
            self.say(f"Asking {clean(self.tutor.provider().host)}… (Ctrl-C stops)", "dim")

        try:
            answer = self.tutor.followup(lesson, theme, reply, question,
                                         view.feed,  # cleaned by the view, whole
                                         on_start=asking)
        except KeyboardInterrupt:
            view.abort()
            self.say("Stopped; nothing was stored.", "yellow")
            return
        except (NoAnswerError, LLMError) as exc:
            view.abort()
            self.say(clean(exc.one_line()), "yellow")
            return
        if answer.origin == "llm":
            view.close()
            self.say(f"({clean(answer.label)})", "dim")
            if self.tutor.last_shortened:
                self.say("(The lesson's answer was shortened to fit the server's context "
                         "window for this question.)", "dim")
            self._truncated(answer, again="ask it again")
        else:
            view.abort()
            with contextlib.suppress(Back):
                self.page(_answer_sections(answer.text, self.plain), step="takeaways",
                          last="Enter: go on", lead=Text(f"({clean(answer.label)})",
                                                         style="dim"))

    # -- the quiz ---------------------------------------------------------------------------

    def quiz(self, lesson: Lesson, p: Progress) -> None:
        total = len(lesson.quiz)
        attempt = _attempt(p)
        i = len([k for k in p.quiz_answers if k.isdigit() and int(k) < total])
        while i < total:
            q = lesson.quiz[i]
            order = self.tutor.choice_order(lesson, i, attempt)

            def draw(q: QuizQuestion = q, order: list[int] = order, i: int = i) -> None:
                self.show_place("quiz", f"{i + 1}/{total}")
                self.console.print(views.quiz_question(q, order, i + 1, total))

            draw()
            try:
                self._ask_question(q, i, p, order, draw)
            except Back:
                if i == 0:
                    raise
                i -= 1
                p.quiz_answers.pop(str(i), None)
                self._save(p)
                continue
            self._save(p)
            self._remember(lesson, i, p)
            i += 1
        right = sum(1 for k, a in p.quiz_answers.items()
                    if k.isdigit() and isinstance(a, dict) and a.get("first_try"))
        p.quiz_score, p.quiz_total = right, total
        self.say(f"\nQuiz done: {right} of {total} right on the first try.", "bold green")

    def _ask_question(self, q: QuizQuestion, i: int, p: Progress, order: list[int],
                      draw: Callable[[], None]) -> None:
        n = len(q.choices)
        tries = 0
        tried: int | None = None  # the wrong choice of the first try
        self.hint_shown = False
        # questions of this attempt answered wrong or skipped: going back to one (and its
        # answer now known) can never make it right on the first try
        missed: list[int] = p.quiz_answers.setdefault("missed", [])
        while True:
            raw = self.ask(f"Your answer (1-{n}, ?: hint):", hint=q.hint, redraw=draw,
                           help=f"Type the number of your answer (1-{n}); skip shows the "
                           "answer; back goes to the question before; g: glossary.")
            if raw.lower() == "skip":
                _note_missed(missed, i)
                p.quiz_answers[str(i)] = {"skipped": True, "first_try": False}
                self.say_lesson(f"Skipped. The answer: {q.answer}. {q.explanation}", "dim")
                return
            if not raw.isdecimal() or not 1 <= int(raw) <= n:
                self.say(f"Please type a number from 1 to {n} (or ? for a hint).", "yellow")
                continue
            choice = order[int(raw) - 1]
            if tried is not None and choice == tried:
                self.say(f"That is the choice you tried: pick another one (1-{n}), or skip "
                         "to see the answer.", "yellow")
                continue
            tries += 1
            if grade(q, choice):
                self.say("Right!", "bold green")
                self.say_lesson(q.explanation)
                p.quiz_answers[str(i)] = {"choice": choice, "tries": tries,
                                          "first_try": tries == 1 and i not in missed}
                return
            _note_missed(missed, i)
            if tries == 1:
                tried = choice
                self.say_lesson("Not quite. " + ("Try once more." if self.hint_shown
                                                 else f"Hint: {q.hint}"), "yellow")
                self.hint_shown = True
                continue
            self.say_lesson(f"Not this time. The answer is: {q.answer}", "yellow")
            self.say_lesson(q.explanation)
            p.quiz_answers[str(i)] = {"choice": choice, "first_try": False, "tries": tries}
            return

    def _reviewer(self) -> Reviewer:
        if self._review is None:
            self._review = Reviewer(self.tutor.course, self.tutor.store,
                                    seed=self.tutor.learner_id())
        return self._review

    def _remember(self, lesson: Lesson, i: int, p: Progress) -> None:
        """Feed the spaced review: question ``i`` was right on the first try, or not (a
        skip or a miss comes back first, with its explanation for the notes)."""
        got = p.quiz_answers.get(str(i))
        once = (lesson.id, _attempt(p), i)  # back and answered again: the first answer counts
        if isinstance(got, dict) and once not in self._reviewed:
            self._reviewed.add(once)
            self._reviewer().record_quiz(lesson, i, bool(got.get("first_try")))

    # -- the lab ----------------------------------------------------------------------------

    def command(self, words: str) -> str:
        """A command line the learner can type (the CLI names it the way they ran it)."""
        return f"mlops-primer {words}".strip()

    def _labs(self) -> Labs:
        from .labs.learner import Labs  # only once a lesson reaches its lab

        return Labs(self.tutor.store, self.tutor.course)

    def lab_step(self, lesson: Lesson) -> None:
        """Offer the lesson's lab: start it now (s), or later (Enter). A lab already
        started is shown with its state and folder, never started again. In plain mode
        the offer is one line and the command; nothing is asked and nothing written."""
        spec = lesson.lab
        assert spec is not None
        labs = self._labs()
        state = labs.state(lesson.id)
        path = labs.workspace_for(lesson, None)
        there = labs.is_started(path)
        if self.plain:
            self.show_place("lab")
            if state is not None and state.passed:
                self.say(f"Lab: {clean(spec.title)}: passed.")
            elif there and (state is not None or _holds_lab(path, lesson.id)):
                self.say(f"Lab: {clean(spec.title)}: started, in {clean(str(path))}. Check "
                         f"it with: {self._check_command(lesson, state, path)}")
            elif there:
                self.say(f"Lab: {clean(spec.title)}. Its folder {clean(str(path))} holds "
                         "other files: start it elsewhere with "
                         f"{self.command(f'lab start {lesson.id} --dir DIR')}")
            else:
                self.say(f"Lab: {clean(spec.title)} (about {spec.minutes} min, plain "
                         f"Python). Start it with: {self.command('lab start ' + lesson.id)}")
            return
        if there or (state is not None and state.passed):
            self._lab_where(lesson, state, path, there)
            return
        if state is not None:  # started once, but its folder is gone
            lead: RenderableType | None = Text(
                f"Your lab folder {clean(str(path))} is gone; s makes it again.", style="yellow")
        else:
            lead = None
        help_text = ("s writes the lab's folder now and shows how to go on; Enter leaves it "
                     "for later (the lesson goes on to its notes); b goes back.")
        while True:
            word = self.page([views.lab_offer(lesson)], step="lab", lead=lead,
                             last="s: start the lab now · Enter: later",
                             keys=frozenset({"s", "start"}), help=help_text)
            word = word.lower()
            if word in ("s", "start"):
                if self._start_lab(lesson, labs):
                    return
                continue
            if word in ("", "skip", "l", "later", "n", "next"):
                return  # the notes' screen says how to start it
            self.say("Type s to start the lab now, or press Enter to leave it for later.",
                     "yellow")

    def _start_lab(self, lesson: Lesson, labs: Labs) -> bool:
        """Write the lab's folder and show what to do next; False when it was not."""
        if labs.third_party:
            self.say(f"This course ({clean(str(self.tutor.course.folder))}) is not the one "
                     "that ships with mlops-primer: its lab's starter files are Python code "
                     "that you will run.", "yellow")
            raw = self.ask("Write them into your lab folder? [y/N]",
                           help="y writes the lab's files; Enter or n does not.")
            if raw.lower() not in ("y", "yes"):
                self.say("Nothing written.", "dim")
                return False
        try:
            path = labs.start(lesson.id)
        except PrimerError as exc:
            self.say(clean(exc.one_line()), "red")
            self.ask("Enter: back to the lab")
            return False
        spec = lesson.lab
        assert spec is not None
        self.show_place("lab")
        self.say("Lab started. Your lab folder:", "bold green")
        self.say(f"  {clean(str(path))}")
        self.say("")
        self.console.print(views.steps([
            ("1.", "Open that folder in your editor and read TASK.md; your code goes in "
                   f"{', '.join(spec.files)}."),
            ("2.", f"When you think it works, check it: "
                   f"{self.command('lab check ' + lesson.id)}"),
            ("", f"Stuck? A hint at a time: {self.command('lab hint ' + lesson.id)}"),
        ]))
        self.say("")
        self.say("The lab is started, not done: it is passed when `lab check` says so.",
                 "dim")
        self.ask("Enter: the lesson's notes",
                 help="Enter goes on to the notes; your lab folder stays as it is.")
        return True

    def _lab_where(self, lesson: Lesson, state: LabState | None, path: Path,
                   there: bool) -> None:
        """A lab already started (or passed): where it is and how to go on."""
        spec = lesson.lab
        assert spec is not None
        self.show_place("lab")
        self.say(f"Hands-on lab: {clean(spec.title)}", "bold")
        if state is None and not _holds_lab(path, lesson.id):
            self.say(f"Its folder would be {clean(str(path))}, and that already holds other "
                     "files, so nothing was written. Start the lab in a folder of its own: "
                     f"{self.command(f'lab start {lesson.id} --dir DIR')}", "yellow")
        elif state is not None and state.passed:
            self.say("You passed this lab already. ✓", "green")
            if there:
                self.say(f"Its folder: {clean(str(path))}")
        else:
            self.say(f"You started this lab already: it is in {clean(str(path))} "
                     "(started, not passed yet). Nothing there was changed.")
            self.say("")
            self.console.print(views.steps([
                ("", f"Check it: {self._check_command(lesson, state, path)}"),
                ("", f"Stuck? {self.command('lab hint ' + lesson.id)}"),
            ]))
        self.ask("Enter: the lesson's notes",
                 help="Enter goes on to the notes; your lab folder stays as it is.")

    def _check_command(self, lesson: Lesson, state: LabState | None, path: Path) -> str:
        """`lab check LESSON`, or with --dir when the store does not know the folder."""
        if state is not None:
            return self.command("lab check " + lesson.id)
        return self.command(f"lab check --dir {shlex.quote(clean(str(path)))}")

    def lab_line(self, lesson: Lesson) -> str | None:
        """One line on the lesson's lab when it is not passed yet, else None."""
        if lesson.lab is None:
            return None
        labs = self._labs()
        state = labs.state(lesson.id)
        if state is not None and state.passed:
            return None
        path = labs.workspace_for(lesson, None)
        if state is not None or _holds_lab(path, lesson.id):
            return (f"Its lab is started, not passed yet: "
                    f"{self._check_command(lesson, state, path)}")
        start = f"lab start {lesson.id}" + (" --dir DIR" if labs.is_started(path) else "")
        return f"Its lab is not started: {self.command(start)}"

    # -- notes -----------------------------------------------------------------------------

    def finish(self, lesson: Lesson, p: Progress, reply: Reply | None) -> None:
        self.show_place("done")
        self.say(f"Lesson {lesson.order} complete: {clean(lesson.title)}.", "bold green")
        lab = self.lab_line(lesson)
        if lab:
            self.say(lab, "yellow")
        try:
            default = notes_file_name(lesson.id)
            raw = self.ask(f"Save study notes as Markdown? Type y for {default} in your notes "
                           "folder, or a file name; Enter skips:",
                           help=f"y saves the notes in your notes folder ({notes_folder()}), "
                           "as the notes command does; a file name saves them under that "
                           "name, here; Enter goes on without saving.")
        except Back:
            return
        if not raw or raw.lower() in ("n", "no", "skip"):
            return
        if raw.lower() in ("y", "yes"):
            target = notes_folder() / default
        else:
            if not Path(raw).suffix:
                raw += ".md"  # "notes" becomes notes.md, and "2" cannot make a file named 2
            target = Path(raw).expanduser()
            if not target.is_absolute():
                target = self.notes_dir / target
        answer = reply.text if reply is not None else None
        if answer is None and p.answer_id is not None:
            stored = self.tutor.store.get(p.answer_id)
            answer = stored.answer if stored else None
        text = study_notes(lesson, p, answer, reply.label if reply else None,
                           review_items=self.tutor.store.review_items(lesson.id),
                           lab=self.tutor.store.lab(lesson.id))
        try:
            write_notes(target, clean(text))  # cleaned: notes are read in a terminal
        except PrimerError as exc:
            self.say(f"Could not save the notes: {clean(exc.message)}", "red")
            return
        self.say(f"Notes saved to {clean(str(target))}", "green")


# "Back to lesson 2: ..., at the answer." (a step not named here: its place-line label)
_RESUME_AT = {"theme": "choosing a world", "answer": "the answer",
              "explain": "explain it back", "takeaways": "the takeaways", "lab": "the lab",
              "done": "the notes"}

_PAGE_HELP = ("Enter shows the next screen; b the one before; skip goes on; "
              "g shows the glossary; q quits (your place is saved).")


def _answer_sections(text: str, plain: bool) -> list[RenderableType]:
    """An answer's Markdown, a section a heading (as source text in plain mode)."""
    text = clean(text)
    if plain:
        return [Text(text.rstrip("\n"))]
    return [TutorMarkdown(s, code_theme="ansi_dark", hyperlinks=False)
            for s in markdown_sections(text)]


def _not_a_world(raw: str, problem: NotAWorld, lesson: Lesson) -> str:
    """One line for a reply at the world prompt that is not taken as a world."""
    shown = clean(" ".join(raw.split()))
    shown = shown if len(shown) <= 30 else shown[:30] + "…"
    n = len(lesson.themes)
    if problem.suggestion is not None:
        k = lesson.themes.index(problem.suggestion) + 1
        return f"Did you mean “{clean(problem.suggestion.label)}”? Type {k} for it."
    if problem.reason == "command":
        return (f"“{shown}” is not a world here: type a number from 1 to {n}, or a world of "
                "your own in a few words (? for help).")
    return (f"“{shown}” does not look like a world: type a number from 1 to {n}, or your own "
            "world in a few words, like: a bakery.")


def _holds_lab(path: Path, lesson_id: str) -> bool:
    """True when ``path`` is a lab folder of ``lesson_id`` (its marker says so)."""
    from .labs import LabError, Workspace

    try:
        return Workspace.read(path).lesson_id == lesson_id
    except LabError:
        return False


def _note_missed(missed: list[int], i: int) -> None:
    if i not in missed:
        missed.append(i)


def _attempt(p: Progress) -> int:
    """Which attempt at the lesson's quiz this is (1 for the first)."""
    value = p.quiz_answers.get("attempt", 1)
    return value if isinstance(value, int) and value >= 1 else 1


def _kept(p: Progress) -> dict[str, object]:
    """What a new quiz attempt keeps from the lesson's record: the explain-back result."""
    return {k: p.quiz_answers[k] for k in ("explain",) if k in p.quiz_answers}


def _answered(p: Progress) -> bool:
    return any(k.isdigit() for k in p.quiz_answers)


def _previous(step: str) -> str:
    """The step before ``step``; before the intro is the course menu."""
    order = ("menu", *STEPS)
    if step not in order:
        return "intro"
    return order[max(0, order.index(step) - 1)]


def _next(step: str) -> str:
    """The step after ``step`` (an unknown step goes on to the takeaways)."""
    if step not in STEPS:
        return "takeaways"
    return STEPS[min(len(STEPS) - 1, STEPS.index(step) + 1)]
