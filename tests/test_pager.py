"""The pager's pages, the width cap, and the flow's small decisions (world words, offline
look-ups, quiz order), without a terminal."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text

from mlops_primer.lessons import Course
from mlops_primer.store import Store
from mlops_primer.tutor import choice_order, learner_id, lookup, world_problem
from mlops_primer.ui.pager import MAX_WIDTH, Pager, fit_width, markdown_sections, paginate
from mlops_primer.ui.stream import TutorMarkdown
from mlops_primer.ui.views import reflow, step_label


def terminal_console(width: int = 80, height: int = 24) -> Console:
    return Console(file=StringIO(), width=width, height=height, force_terminal=True,
                   markup=False, emoji=False, highlight=False)


def text_of(line) -> str:  # noqa: ANN001
    return "".join(s.text for s in line)


def test_markdown_is_cut_before_headings_but_not_inside_a_fence() -> None:
    text = "Intro line\n\n## One\n\nbody\n\n```\n# not a heading\n```\n\n## Two\n\nend\n"
    assert markdown_sections(text) == [
        "Intro line", "## One\n\nbody\n\n```\n# not a heading\n```", "## Two\n\nend"]


def test_pages_never_exceed_the_room_and_a_heading_starts_a_page() -> None:
    console = terminal_console()
    long = "## Long\n\n" + "\n\n".join(f"Paragraph {i} " + "word " * 30 for i in range(12))
    sections = [TutorMarkdown(s) for s in markdown_sections(f"## Short\n\nA line.\n\n{long}")]
    pages = paginate(console, sections, body=19)
    assert len(pages) >= 3
    assert all(len(p.lines) <= 19 for p in pages)
    assert text_of(pages[0].lines[0]).strip() == "Short"
    assert text_of(pages[1].lines[0]).strip() == "Long"
    # a long section is cut at a blank line when it can be: no paragraph starts mid-page
    # with its first words on the page before
    for page in pages[1:]:
        assert text_of(page.lines[-1]).strip().endswith("word")
    assert all(len(text_of(line)) <= 80 for p in pages for line in p.lines)


def test_a_lone_title_is_joined_to_the_section_after_it() -> None:
    console = terminal_console()
    pages = paginate(console, [Text("Title"), Text("Body\nmore")], body=10)
    assert [[text_of(line) for line in p.lines] for p in pages] == [["Title", "", "Body",
                                                                     "more"]]


@pytest.mark.parametrize(("columns", "expected"), [(120, MAX_WIDTH), (60, 60)])
def test_the_width_follows_the_terminal_up_to_the_cap(monkeypatch: pytest.MonkeyPatch,
                                                      columns: int, expected: int) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    console = Console(file=StringIO(), force_terminal=True)
    assert fit_width(console) == expected
    monkeypatch.setenv("COLUMNS", "70")  # the window made narrower mid-lesson
    assert fit_width(console) == 70


def test_pager_pages_back_and_forth_and_returns_the_last_reply() -> None:
    console = terminal_console(height=12)
    replies = iter(["", "b", "", "", "p"])
    prompts: list[str] = []

    def read(prompt: str) -> str:
        prompts.append(prompt)
        return next(replies)

    sections = [Text(f"Section {i}\n" + "line\n" * 4) for i in range(3)]
    word = Pager(console, read, plain=False).show(sections, last="Enter: go on",
                                                  more=" · p: prompt", keys=frozenset({"p"}))
    assert word == "p"
    assert prompts == ["Enter: more (1/3) · b: back · q: quit",
                       "Enter: more (2/3) · b: back · q: quit",
                       "Enter: more (1/3) · b: back · q: quit",
                       "Enter: more (2/3) · b: back · q: quit",
                       "Enter: go on (3/3) · p: prompt · b: back · q: quit"]


def test_pager_back_from_the_first_page_and_quit() -> None:
    console = terminal_console()
    assert Pager(console, lambda _: "back", plain=False).show([Text("x")]) == "back"
    assert Pager(console, lambda _: "q", plain=False).show([Text("x")]) == "quit"


def test_plain_pager_prints_everything_and_asks_once() -> None:
    out = StringIO()
    console = Console(file=out, width=80, no_color=True, force_terminal=False)
    prompts: list[str] = []
    sections = [Text(f"Section {i}\n" + "line\n" * 30) for i in range(3)]
    word = Pager(console, lambda p: prompts.append(p) or "", plain=True).show(sections)
    assert word == "" and len(prompts) == 1
    assert all(f"Section {i}" in out.getvalue() for i in range(3))
    assert "\x1b[" not in out.getvalue()


def test_prompt_text_is_reflowed_but_lists_keep_their_lines() -> None:
    source = "Walk me through the\nstages, one by one.\n\nCover:\n- the first\n  fact\n- two\n"
    assert reflow(source) == "Walk me through the stages, one by one.\n\nCover:\n- the first " \
        "fact\n- two"


def test_a_new_step_gets_a_label_without_a_code_change() -> None:
    assert step_label("quiz") == "Quiz" and step_label("done") == "Notes"
    assert step_label("lab") == "Lab"


def test_words_that_are_no_world(course: Course) -> None:
    lesson = course.get("deployment")  # worlds: pirates, cooking, space travel, video games
    for word in ("help", "menu", "clear3", "2b", "??", "²", "x1", "ok"):
        assert world_problem(lesson, word) is not None, word
    assert world_problem(lesson, "cookng").suggestion.id == "cooking"  # type: ignore[union-attr]
    for world in ("a bakery", "chess", "rock climbing", "F1 racing", "1920s Paris",
                  "cooking", "Space travel", "café life"):
        assert world_problem(lesson, world) is None, world


def test_offline_questions_find_the_lessons_own_words(course: Course) -> None:
    drift = course.get("drift")
    found = lookup(drift, "What does PSI mean?")
    assert found[0][0].startswith("Population Stability Index")
    assert len(lookup(drift, "what is drift?")) >= 2  # every kind of drift the glossary has
    assert lookup(drift, "how do I bake bread?") == []
    versioning = course.get("versioning")
    assert any(term == "Model registry" for term, _ in lookup(versioning,
                                                              "why use model registries"))


def test_choice_order_is_a_seeded_permutation() -> None:
    assert choice_order("a:drift:0:1", 4) == choice_order("a:drift:0:1", 4)
    assert sorted(choice_order("a:drift:0:1", 4)) == [0, 1, 2, 3]
    orders = {tuple(choice_order(f"learner{i}:drift:0:1", 4)) for i in range(40)}
    assert len(orders) > 10  # learners differ
    attempts = {tuple(choice_order(f"a:drift:0:{n}", 4)) for n in range(1, 20)}
    assert len(attempts) > 5  # so do attempts


def test_the_learner_id_is_made_once_and_kept(tmp_path: Path) -> None:
    first = learner_id(tmp_path)
    assert len(first) == 32 and learner_id(tmp_path) == first
    (tmp_path / "learner-id").write_text("garbage")
    assert learner_id(tmp_path) != first  # a damaged file is replaced, not trusted


def test_worlds_read_are_kept_and_reset_with_progress(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        store.mark_read("drift", "sailing", "The sea")
        store.mark_read("drift", "sailing", "The sea")
        store.mark_read("lifecycle", "cooking", "Cooking")
        assert store.worlds_read("drift") == {"sailing"}
        store.reset_progress("drift")
        assert store.worlds_read("drift") == set()
        assert store.worlds_read("lifecycle") == {"cooking"}
        store.reset_progress()
        assert store.worlds_read("lifecycle") == set()


def test_lesson_text_draws_code_spans_as_the_markdown_view_does(course: Course) -> None:
    """A quiz question with `dvc add ...` shows no backticks, in the code style, like the
    intro's points; control codes inside a span are still removed."""
    from mlops_primer.ui.views import inline, quiz_question

    text = inline("Run `dvc add data/x.csv` then `git \x1b[2Jcommit`, and a lone ` tick")
    assert text.plain == "Run dvc add data/x.csv then git commit, and a lone ` tick"
    styled = [text.plain[s.start:s.end] for s in text.spans if s.style == "markdown.code"]
    assert styled == ["dvc add data/x.csv", "git commit"]

    q = next(q for q in course.get("versioning").quiz if "`dvc add" in q.question)
    out = StringIO()
    Console(file=out, width=80, color_system="truecolor", force_terminal=True).print(
        quiz_question(q, list(range(len(q.choices))), 1, len(course.get("versioning").quiz)))
    shown = out.getvalue()
    assert "`" not in shown and "dvc add data/customers.csv" in shown
