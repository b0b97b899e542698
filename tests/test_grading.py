"""Explain it back: the offline grader on written examples for every shipped lesson, the
LLM grader against the fake server (quotes checked, bad replies fall back), bounds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakeserver import FakeOpenAI

from mlops_primer import grading, prompts
from mlops_primer.config import load_settings
from mlops_primer.lessons import Course, Lesson, Problem, lesson_problems, read_yaml
from mlops_primer.llm import OpenAIProvider
from mlops_primer.validation import validate

# For every shipped lesson: a good explanation (every idea, no misconception) and a bad
# one (a misconception the lesson's rubric must catch), as a beginner might write them.
EXAMPLES: dict[str, dict[str, object]] = {
    "what-is-mlops": {
        "good": "MLOps is how a team gets a model into production and keeps it working "
                "there over time, not just trains it once. Its behaviour depends on the "
                "code, the data and the model together, so it can change even when no code "
                "changed. It is not just DevOps: data engineers, data scientists, ML "
                "engineers and operations people all hand work to each other.",
        "bad": "MLOps is basically just DevOps for machine learning, the same pipelines "
               "with a model in them.",
        "flags": "just-devops",
    },
    "lifecycle": {
        "good": "You scope the problem, collect and validate the data, build features, "
                "train and evaluate the model, then deploy it and monitor it in production. "
                "It is a loop because monitoring finds drift and new data, which sends you "
                "back to retraining. Orchestrators like Airflow make it a repeatable "
                "pipeline.",
        "bad": "You collect data, train a model and deploy it, and deployment is the last "
               "step, after that the project is done.",
        "flags": "ends-at-deployment",
    },
    "versioning": {
        "good": "To reproduce a model you record the code version, the data version, the "
                "parameters, the environment and the seeds. DVC keeps a hash of each data "
                "version in a small pointer file and MLflow logs every run, so you can "
                "compare runs and roll back. Even then a rebuild matches only within a "
                "tolerance, because library versions and GPU hardware can differ.",
        "bad": "If you save the code and the data, you are guaranteed exactly the same model "
               "on any computer.",
        "flags": "identical-anywhere",
    },
    "deployment": {
        "good": "Deploying means putting the trained model in production so apps can get "
                "predictions from it. Batch inference scores many records every night and "
                "stores them for later, while real-time inference answers each request "
                "through an API within a latency budget.",
        "bad": "You put the model in a Docker container and then it runs identically on "
               "any machine, in batch or online.",
        "flags": "container-identical",
    },
    "drift": {
        "good": "Drift is when the world changes after deployment, so the inputs or the "
                "link between inputs and answers shift and quality quietly decays. Nothing "
                "crashes, so you need monitoring to notice. Concept drift, data drift and "
                "training-serving skew differ, so investigate an alert and check quality "
                "before you retrain.",
        "bad": "Drift simply means the model's accuracy drops, so you just retrain it every "
               "time that happens.",
        "flags": "accuracy-only",
    },
    "testing": {
        "good": "You test the code with unit tests, the data for schema and missing values, "
                "and the model with behaviour tests like invariance. CI runs the checks on "
                "every pull request and CD deploys through staging. CT retrains the model, "
                "which must pass a validation gate before it is promoted.",
        "bad": "Testing ML is the same as testing normal software: you unit test the code "
               "and check that accuracy is high enough.",
        "flags": "code-only",
    },
    "llmops": {
        "good": "In an LLM app the prompt, the model and the retrieval index are versioned "
                "together. The same input can give a different answer, so you score answers "
                "on a golden set and run a regression eval before a change ships. You also "
                "need guardrails against prompt injection and watch token cost.",
        "bad": "Set the temperature to zero and the answers are always identical, so you "
               "test it with exact string checks like any code.",
        "flags": "temperature-zero",
    },
}


# A second good explanation per lesson, worded differently: the same ideas, no mistake.
SECOND_GOOD: dict[str, str] = {
    "what-is-mlops": (
        "MLOps means deploying machine learning to real users and maintaining it, which"
        " is more than DevOps because the data matters as much as the code. Data "
        "scientists and ML engineers have to work as a team with operations."),
    "lifecycle": (
        "First you collect data and validate it, then you train a model and deploy it "
        "to production. Monitoring spots drift, and that starts retraining, so the "
        "whole thing repeats as a cycle, automated by a pipeline."),
    "versioning": (
        "Versioning means recording the code, the data, the parameters and the seeds of"
        " each run, so that you can rebuild a model and debug it when it gets worse. "
        "Tools like DVC and MLflow track this, though results may still differ slightly"
        " on other hardware."),
    "deployment": (
        "A deployed model is served so that other software can ask it for predictions. "
        "In batch mode it scores a big table on a schedule, say nightly; in real-time "
        "mode each request gets an answer from an API in milliseconds."),
    "drift": (
        "Models drift because user behaviour changes while the model stays the same, "
        "and since no error shows up the decay is silent unless you monitor it. It can "
        "be concept drift or data drift, and an alert means you should check the "
        "pipeline and quality first, not retrain blindly."),
    "testing": (
        "An ML system needs unit tests for code, data tests for the schema and ranges, "
        "and model tests such as invariance checks. CI runs them on each change, CD "
        "releases through staging, and continuous training retrains with a validation "
        "gate before promotion."),
    "llmops": (
        "Running an LLM app means versioning the prompt together with the model and the"
        " index. Answers vary, so you evaluate on a golden set with scores, and you add"
        " guardrails against prompt injection and keep an eye on token cost."),
}


def test_every_shipped_lesson_has_an_explain_block_and_examples(course: Course) -> None:
    ids = {lesson.id for lesson in course.lessons}
    assert ids == set(EXAMPLES) == set(SECOND_GOOD)
    for lesson in course.lessons:
        assert lesson.explain is not None, lesson.id
        assert 2 <= len(lesson.explain.ideas) <= grading_max_ideas()
        assert lesson.explain.misconceptions, lesson.id


def grading_max_ideas() -> int:
    from mlops_primer.lessons import MAX_EXPLAIN_IDEAS

    return MAX_EXPLAIN_IDEAS


@pytest.mark.parametrize("lesson_id", sorted(EXAMPLES))
def test_a_good_explanation_is_credited_with_every_idea(course: Course, lesson_id: str) -> None:
    lesson = course.get(lesson_id)
    assert lesson.explain is not None
    grade = grading.grade_offline(lesson.explain, str(EXAMPLES[lesson_id]["good"]))
    assert grade.missing == (), f"{lesson_id}: missed {grade.missing}"
    assert grade.misconceptions == (), f"{lesson_id}: flagged {grade.misconceptions}"
    assert grade.ask is None and grade.complete and grade.source == "offline"
    second = grading.grade_offline(lesson.explain, SECOND_GOOD[lesson_id])
    assert second.complete, f"{lesson_id}: {second.missing} {second.misconceptions}"


@pytest.mark.parametrize("lesson_id", sorted(EXAMPLES))
def test_a_bad_explanation_triggers_its_misconception(course: Course, lesson_id: str) -> None:
    lesson = course.get(lesson_id)
    assert lesson.explain is not None
    grade = grading.grade_offline(lesson.explain, str(EXAMPLES[lesson_id]["bad"]))
    assert EXAMPLES[lesson_id]["flags"] in grade.misconceptions
    assert grade.missing, "a one-line mistake does not cover every idea"
    first = next(i for i in lesson.explain.ideas if i.id == grade.missing[0])
    assert grade.ask == first.ask


@pytest.mark.parametrize("lesson_id", sorted(EXAMPLES))
def test_an_empty_or_off_topic_text_gets_nothing(course: Course, lesson_id: str) -> None:
    lesson = course.get(lesson_id)
    assert lesson.explain is not None
    for text in ("", "I had pancakes for breakfast and then went for a walk."):
        grade = grading.grade_offline(lesson.explain, text)
        assert grade.credited == () and grade.misconceptions == ()
        assert grade.ask == lesson.explain.ideas[0].ask


def test_the_correction_stated_is_not_flagged_as_the_mistake(course: Course) -> None:
    explain = course.get("what-is-mlops").explain
    assert explain is not None
    said = grading.grade_offline(explain, "MLOps is just DevOps.")
    corrected = grading.grade_offline(explain, "MLOps is not just DevOps.")
    assert "just-devops" in said.misconceptions
    assert "just-devops" not in corrected.misconceptions


def test_matching_forgives_case_stems_hyphens_and_apostrophes() -> None:
    index = grading._Index("We VERSIONED the data; Real-Time APIs aren't batch jobs.")
    assert index.has("version") and index.has("versioning") is False
    assert index.has("real-time") and index.has("real time") and index.has("api")
    assert index.has("arent") and index.has("aren't")
    assert not index.has("ver")  # a short keyword matches only itself (or its plural)
    assert index.has("data") and not index.has("dataset")


def test_has_keywords_matches_as_the_grader_does(course: Course) -> None:
    explain = course.get("versioning").explain
    assert explain is not None
    idea = explain.ideas[0]
    text = "Write down the code commit, the dataset version and every hyperparameter."
    assert grading.has_keywords(text, idea.keywords)
    assert idea.id in grading.grade_offline(explain, text).credited
    assert not grading.has_keywords("Write down the code.", idea.keywords)


def test_quotes_must_be_the_learners_words() -> None:
    text = "Drift is when   the WORLD changes, and the model stays frozen."
    assert grading.quote_found("the world changes", text)
    assert grading.quote_found("The world changes, and", text)
    assert not grading.quote_found("the world shifts", text)
    assert not grading.quote_found("world", text)  # too short for a long text
    assert not grading.quote_found("", text)
    assert grading.quote_found("batch!", "Batch")  # the whole of a short text


def test_huge_and_hostile_input_is_bounded(course: Course) -> None:
    explain = course.get("drift").explain
    assert explain is not None
    hostile = [
        "a" * 2_000_000,
        "drift " * 500_000,
        ("x" * 39 + " ") * 100_000,
        "\x1b[31m" * 100_000 + "((((((((" * 10_000,
        "日本語の説明 " * 200_000,
    ]
    for text in hostile:
        grade = grading.grade_offline(explain, text)
        assert set(grade.credited) | set(grade.missing) == {i.id for i in explain.ideas}
    # bounded work: the whole batch is a few hundred words each, not millions
    assert len(grading.words("drift " * 500_000)) == grading.MAX_WORDS
    assert grading.bounded("a" * 2_000_000) == "a" * grading.MAX_EXPLAIN_CHARS
    assert all(len(w) <= grading.MAX_WORD_CHARS for w in grading.words("b" * 10_000))


# -- the lesson format ---------------------------------------------------------------------


BAD_BLOCK = """
explain:
  question: Explain it.
  ideas:
    - id: one
      text: An idea.
      keywords:
        - ["(drift|shift).*"]
      ask: Which one?
    - id: one
      text: Another idea.
      keywords: drift
      ask: And?
  misconceptions:
    - id: wrong
      keywords: [[only]]
"""


def test_validate_reports_a_malformed_explain_block_with_file_and_line(
        course: Course, tmp_path: Path) -> None:
    src = course.get("drift").path
    assert src is not None
    text = src.read_text(encoding="utf-8")
    start = text.index("\nexplain:\n")
    bad = tmp_path / "drift.yaml"
    bad.write_text(text[:start] + BAD_BLOCK, encoding="utf-8")
    report = validate([bad])
    assert not report.ok
    lines = [str(p) for p in report.problems]
    written = bad.read_text(encoding="utf-8").splitlines()
    pattern = next(p for p in report.problems if p.field == "explain.ideas[0].keywords[0][0]")
    assert "not a plain keyword" in pattern.message and "no patterns" in pattern.message
    assert pattern.line == written.index('        - ["(drift|shift).*"]') + 1
    kind = next(p for p in report.problems if p.field == "explain.ideas[1].keywords")
    assert "should be a list" in kind.message
    assert kind.line == written.index("      keywords: drift") + 1
    missing = next(p for p in report.problems if p.field == "explain.misconceptions[0].feedback")
    assert missing.message == "is missing"
    assert all(line.startswith(f"{bad}:") for line in lines)


def test_duplicate_ids_in_an_explain_block_are_reported(course: Course, tmp_path: Path) -> None:
    src = course.get("drift").path
    assert src is not None
    text = src.read_text(encoding="utf-8").replace("- id: silent", "- id: world-changes")
    bad = tmp_path / "drift.yaml"
    bad.write_text(text, encoding="utf-8")
    _, problems = lesson_problems(bad, read_yaml(bad))
    dup = [p for p in problems if p.field == "explain.ideas[1].id"]
    assert dup and "used twice" in dup[0].message and isinstance(dup[0], Problem)
    assert dup[0].line == text.splitlines().index("    - id: world-changes", text.splitlines()
                                                  .index("    - id: world-changes") + 1) + 1


def test_a_lesson_without_an_explain_block_is_valid(tmp_path: Path) -> None:
    src = Path(__file__).parent / "data" / "minimal_lesson.yaml"
    data = read_yaml(src)
    assert "explain" not in data
    lesson, problems = lesson_problems(src, data)
    assert lesson is not None and lesson.explain is None and problems == []


# -- the LLM grader, against the fake server -----------------------------------------------


def provider_for(server: FakeOpenAI | None, **flags: object) -> OpenAIProvider:
    url = server.base_url if server is not None else "http://127.0.0.1:9/v1"
    settings = load_settings(flags={"base_url": url, "model": "test-model", **flags},
                             environ={"OPENAI_API_KEY": "sk-test-grading"})
    return OpenAIProvider(settings)


def reply(lesson: Lesson, credited: dict[str, str], wrong: list[str] | None = None,
          feedback: str = "Nice work.") -> str:
    assert lesson.explain is not None
    return json.dumps({
        "ideas": [{"id": i.id, "credited": i.id in credited, "quote": credited.get(i.id, "")}
                  for i in lesson.explain.ideas],
        "misconceptions": wrong or [],
        "feedback": feedback,
    })


def test_an_idea_credited_with_a_quote_not_in_the_text_is_not_credited(
        course: Course, server: FakeOpenAI) -> None:
    lesson = course.get("drift")
    text = "Drift is when the world changes after the model ships, and quality decays."
    server.replies.append(reply(lesson, {
        "world-changes": "the world changes after the model ships",  # really there
        "silent": "nothing crashes, so only monitoring notices",  # invented
        "kinds": "concept drift",  # too short, and not there
    }, feedback="Good start!"))
    grade = grading.grade_llm(provider_for(server), course, lesson, text)
    assert grade.source == "llm" and grade.note is None
    assert grade.credited == ("world-changes",)
    assert grade.missing == ("silent", "kinds", "investigate")
    assert grade.ask == lesson.explain.ideas[1].ask  # type: ignore[union-attr]
    assert grade.feedback == "Good start!"
    # the prompt carried the learner's text as data, and the rubric
    sent = server.chat_requests()[-1].body["messages"]
    assert text in sent[-1]["content"] and '"silent"' in sent[-1]["content"]


@pytest.mark.parametrize("bad", [
    "Sure! You covered most of it.",  # not JSON
    '{"ideas": [], "misconceptions": []',  # broken JSON
    '["ideas"]',  # not an object
    '{"ideas": "all", "misconceptions": [], "feedback": ""}',  # wrong shape
    '{"ideas": [{"id": "made-up", "credited": true, "quote": "x y z"}], '
    '"misconceptions": [], "feedback": ""}',  # unknown idea
    '{"ideas": [], "misconceptions": ["nonsense"], "feedback": ""}',  # unknown misconception
    '{"ideas": [], "misconceptions": [], "feedback": "' + "la " * 5000 + '"}',  # too large
])
def test_a_malformed_grading_reply_falls_back_to_the_offline_grader(
        course: Course, server: FakeOpenAI, bad: str) -> None:
    lesson = course.get("drift")
    text = str(EXAMPLES["drift"]["bad"])
    server.replies.append(bad)
    grade = grading.grade_llm(provider_for(server), course, lesson, text)
    assert lesson.explain is not None
    offline = grading.grade_offline(lesson.explain, text)
    assert grade.source == "offline" and grade.note and "rubric" in grade.note
    assert "\n" not in grade.note
    assert (grade.credited, grade.misconceptions) == (offline.credited, offline.misconceptions)
    assert "accuracy-only" in grade.misconceptions


def test_an_unreachable_server_falls_back_to_the_offline_grader(course: Course) -> None:
    lesson = course.get("deployment")
    provider = provider_for(None, max_retries=0, timeout=2.0)
    grade = grading.grade_llm(provider, course, lesson, str(EXAMPLES["deployment"]["good"]))
    assert grade.source == "offline" and grade.note and grade.complete


def test_a_fenced_reply_with_valid_quotes_and_a_misconception(
        course: Course, server: FakeOpenAI) -> None:
    lesson = course.get("what-is-mlops")
    text = str(EXAMPLES["what-is-mlops"]["bad"])
    body = reply(lesson, {"blend": text}, ["just-devops"], "DevOps is part of it.")
    server.replies.append(f"```json\n{body}\n```")
    grade = grading.grade_llm(provider_for(server), course, lesson, text)
    assert grade.source == "llm" and grade.credited == ("blend",)
    assert grade.misconceptions == ("just-devops",) and grade.quotes["blend"] == text


def test_the_grading_prompt_asks_for_the_language_and_keeps_the_text_as_data(
        course: Course) -> None:
    lesson = course.get("lifecycle")
    text = "{{ 7*7 }} {% for x in range(9) %}loop{% endfor %}"
    en = prompts.render_grade(course, lesson, text)
    de = prompts.render_grade(course, lesson, text, language="Deutsch")
    assert text in en[1].content and "49" not in en[1].content
    assert "Write the feedback in this language: Deutsch" in de[1].content
    code = prompts.render_grade(course, lesson, text, language="de")
    assert "Write the feedback in this language: German (de)" in code[1].content
    assert "Deutsch" not in en[1].content


def test_a_broken_grading_template_is_a_validate_problem_and_grading_goes_offline(
        course: Course, tmp_path: Path) -> None:
    src = course.get("deployment").path
    assert src is not None
    folder = tmp_path / "course"
    (folder / "prompts").mkdir(parents=True)
    (folder / "prompts" / "grade.j2").write_text("{{ learner_words }}\n", encoding="utf-8")
    (folder / "deployment.yaml").write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    report = validate([folder])
    found = [p for p in report.problems if p.field == "explain (grade.j2)"]
    assert found and "'learner_words' is undefined" in found[0].message
    text = (folder / "deployment.yaml").read_text(encoding="utf-8").splitlines()
    assert found[0].line == text.index("explain:") + 2  # the block's first line

    lesson = course.get("deployment")
    mine = Course(folder=folder, lessons=(lesson,))  # its prompts/ has the broken template

    class Never:
        def stream(self, *_args: object) -> object:
            raise AssertionError("no request is sent when the prompt cannot be made")

    grade = grading.grade_llm(Never(), mine, lesson, str(EXAMPLES["deployment"]["good"]))
    assert grade.source == "offline" and grade.complete
    assert grade.note and "grading prompt failed" in grade.note
