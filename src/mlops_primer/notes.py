"""Study notes: a Markdown recap of a lesson the learner can keep."""

from __future__ import annotations

from .lessons import Lesson, prose
from .store import Progress


def study_notes(lesson: Lesson, progress: Progress | None, answer: str | None,
                answer_label: str | None) -> str:
    """The lesson's points, the chosen theme's answer, takeaways, quiz results and reading."""
    out = [f"# Study notes: {lesson.title}", ""]
    if progress is not None and progress.theme_label:
        out += [f"Lesson {lesson.order} of mlops-primer, explained through: "
                f"{progress.theme_label}.", ""]
    out += ["## Why it matters", "", prose(lesson.why_it_matters), "", "## Key points", ""]
    out += [f"- {prose(p)}" for p in lesson.points]
    if lesson.diagram:
        out += ["", "```text", lesson.diagram.rstrip(), "```"]
    if answer:
        out += ["", "## Your tutor's explanation", ""]
        if answer_label:
            out += [f"_{answer_label}_", ""]
        out += [_demote_headings(answer.strip())]
    out += ["", "## Key takeaways", ""]
    out += [f"- {prose(t)}" for t in lesson.takeaways]
    if lesson.quiz:
        out += ["", "## Quiz", ""]
        answers = (progress.quiz_answers if progress else {}) or {}
        if progress is not None and progress.quiz_total is not None:
            out += [f"Score: {progress.quiz_score} of {progress.quiz_total} right on the first "
                    "try.", ""]
        for i, q in enumerate(lesson.quiz):
            got = answers.get(str(i))
            if not isinstance(got, dict):
                status = "not answered"
            elif got.get("skipped"):
                status = "skipped"
            else:
                status = "right on the first try" if got.get("first_try") else "got there"
            out += [f"{i + 1}. {prose(q.question)} ({status})",
                    f"   - Answer: {q.answer}",
                    f"   - Why: {prose(q.explanation)}"]
    if lesson.glossary:
        out += ["", "## Glossary", ""]
        out += [f"- **{g.term}**: {prose(g.definition)}" for g in lesson.glossary]
    if lesson.tools:
        out += ["", "## Tools named", ""]
        out += [f"- {t.name}: {prose(t.purpose)}" + (f" <{t.url}>" if t.url else "")
                for t in lesson.tools]
    if lesson.reading:
        out += ["", "## Further reading", ""]
        out += [f"- {r.title}, {r.source}" + (f" <{r.url}>" if r.url else "")
                for r in lesson.reading]
    out += ["", "Be well, and remember to breathe.", ""]
    return "\n".join(out)


def _demote_headings(text: str) -> str:
    """Nest the answer's headings under the notes' own (## becomes ###)."""
    lines = []
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if not in_fence and line.startswith("#"):
            line = "#" + line
        lines.append(line)
    return "\n".join(lines)
