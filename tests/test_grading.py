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


# -- beginner phrasings: the offline grader as a learner meets it ------------------------

# (lesson, a learner's explanation in everyday words, the ideas it must be credited with,
# the misconceptions it must flag). ALL means every idea of the lesson; a misconception
# case leaves the ideas aside (None) and checks only what is flagged. Each kind is here:
# good answers in plain words, partial ones, common mistakes, a learner stating the
# course's correction (which must not be flagged as the mistake), off-topic and wrong.
ALL = ("*",)
BEGINNER_PHRASINGS = [
    # what-is-mlops
    ("what-is-mlops", "MLOps is how you take a model out of the notebook and keep it running "
     "for real users. Unlike a normal app, a model can go bad when the data changes even if "
     "nobody touched the code, so you have to check the data and the model too. It needs "
     "data scientists, engineers and ops people working together.", ALL, ()),
    ("what-is-mlops", "It's about shipping machine learning models and looking after them "
     "afterwards. How the model behaves depends on the data it learned from as much as on "
     "the code. Different people like data scientists and ML engineers need to pass work "
     "between them smoothly.", ALL, ()),
    ("what-is-mlops", "MLOps is putting machine learning models into production and keeping "
     "them working.", ("production",), ()),
    ("what-is-mlops", "It's the practices that help data scientists and engineers work "
     "together on ML projects.", ("blend",), ()),
    ("what-is-mlops", "It's basically DevOps but for models.", None, ("just-devops",)),
    ("what-is-mlops", "MLOps means when the model gets worse you just retrain it on new data "
     "and that fixes it.", None, ("retrain-first",)),
    ("what-is-mlops", "The Sculley paper proved that only a tiny percent of an ML system is "
     "the model code.", None, ("sculley-measured",)),
    ("what-is-mlops", "It is like DevOps plus data engineering, because models depend on "
     "data.", ("blend",), ()),
    ("what-is-mlops", "When a live model gets worse you shouldn't retrain it right away; "
     "check the data first.", (), ()),
    ("what-is-mlops", "Sculley et al. argue that the model code is only a small part of an "
     "ML system.", (), ()),
    ("what-is-mlops", "MLOps is a programming language for writing neural networks faster.",
     (), ()),
    # lifecycle
    ("lifecycle", "First you figure out the problem and gather and clean the data, then you "
     "train the model, test it and deploy it. After that you monitor it, and when things "
     "drift you retrain, so it goes round and round. Tools like Airflow automate the steps "
     "as a pipeline.", ALL, ()),
    ("lifecycle", "You get data, prepare it, train and evaluate a model, and put it into "
     "production. It's a cycle because watching the live model tells you when to go back "
     "and retrain it with new data. Automating the steps makes it repeatable.", ALL, ()),
    ("lifecycle", "You collect the data, train a model on it and then deploy it to "
     "production.", ("stages",), ()),
    ("lifecycle", "You collect data, train the model and deploy it, then you monitor it and "
     "start over when it drifts.", ("stages", "loop"), ()),
    ("lifecycle", "You train the model and deploy it and then you're done.", None,
     ("ends-at-deployment",)),
    ("lifecycle", "Data comes first, then training, and deployment is the final step.", None,
     ("ends-at-deployment",)),
    ("lifecycle", "When monitoring raises a drift alert you retrain the model immediately.",
     None, ("retrain-on-alert",)),
    ("lifecycle", "Finally you deploy the model, but the work is not over: you monitor it "
     "and retrain, so it is a loop.", ("loop",), ()),
    ("lifecycle", "The complete lifecycle goes from data to training to deployment and "
     "monitoring, and then back again.", ("stages", "loop"), ()),
    ("lifecycle", "A drift alert shouldn't make you retrain straight away; you look at what "
     "broke first.", (), ()),
    ("lifecycle", "The lifecycle is how long a model lasts before it expires, usually about "
     "a year.", (), ()),
    # versioning
    ("versioning", "You keep track of which code, which data and which settings made each "
     "model, plus the random seed. Tools like DVC and MLflow record this so you can compare "
     "runs and go back when a new model is worse. Even then you only get close to the same "
     "numbers on other hardware, not exactly.", ALL, ()),
    ("versioning", "To rebuild a model you need the git commit, the dataset version, the "
     "hyperparameters, the library versions and the seed. Logging every experiment lets you "
     "compare them and roll back. Results can still differ slightly on a different machine "
     "or GPU.", ALL, ()),
    ("versioning", "You need to save the code, the data and the parameters used to train "
     "the model.", ("five-ingredients",), ()),
    ("versioning", "MLflow logs every run so you can compare experiments and see which one "
     "was best.", ("why-track",), ()),
    ("versioning", "If you save the code and the data you will always get exactly the same "
     "model on any computer.", None, ("identical-anywhere",)),
    ("versioning", "Just put your datasets in git so they are versioned.", None,
     ("data-in-git",)),
    ("versioning", "Versioning the code in git is enough to reproduce a model.", None,
     ("code-is-enough",)),
    ("versioning", "Versioning means you can get the same result again, and find out which "
     "data a model was trained on.", (), ()),
    ("versioning", "Keep the code in git and store the data somewhere else, with its hash "
     "written down.", (), ()),
    ("versioning", "Even with everything recorded you won't always get identical numbers on "
     "another machine.", ("tolerance",), ()),
    ("versioning", "Versioning means giving each model a nice name like v2 so marketing can "
     "sell it.", (), ()),
    # deployment
    ("deployment", "Deploying means putting the model somewhere the app can ask it for "
     "predictions. Batch means it predicts lots of rows at once, like every night, and saves "
     "them. Real-time means it answers each request straight away through an API.", ALL, ()),
    ("deployment", "You make the trained model available to users or other programs. In "
     "batch you run it on a big pile of data on a schedule and store the results; online, "
     "every request gets an answer in milliseconds.", ALL, ()),
    ("deployment", "Deployment is getting the model into production so it can make "
     "predictions on real data. Batch scoring does many records in one go and keeps the "
     "results for later, while real-time inference answers instantly while the user waits.",
     ALL, ()),
    ("deployment", "Deploying a model means putting it into production so other software "
     "can get predictions.", ("serve",), ()),
    ("deployment", "Batch is when you score everything once a day, and real time is when "
     "each request gets an instant answer.", ("batch", "real-time"), ()),
    ("deployment", "Docker makes the model run the same everywhere, so it never breaks.",
     None, ("container-identical",)),
    ("deployment", "Real-time inference is always better than batch because it's faster.",
     None, ("real-time-always-better",)),
    ("deployment", "I would use TorchServe to serve a PyTorch model because it is the "
     "standard tool.", None, ("torchserve",)),
    ("deployment", "A container ships the same code and libraries everywhere, though CPU "
     "architecture still matters.", (), ()),
    ("deployment", "I wouldn't use TorchServe because it's been archived; FastAPI or BentoML "
     "are better.", (), ()),
    ("deployment", "Real-time isn't always better than batch; for a nightly report batch is "
     "cheaper.", ("batch",), ()),
    ("deployment", "Batch inference is when you train the model in batches.", (), ()),
    # drift
    ("drift", "Drift is when the world changes after the model is trained, so its "
     "predictions slowly get worse. Nothing crashes, so you only notice if you monitor it. "
     "It can be data drift or concept drift, and when an alert fires you check the data and "
     "the pipeline before retraining.", ALL, ()),
    ("drift", "Over time the data coming in stops looking like what the model learned from, "
     "or the right answer for the same input changes. The model doesn't throw an error, it "
     "just quietly gets worse, so you need to watch it. If you get an alert, first "
     "investigate whether it's real or a bug in the pipeline.", ALL, ()),
    ("drift", "Drift is when the data the model sees changes over time. Since nothing "
     "crashes, you need monitoring to notice it.", ("world-changes", "silent"), ()),
    ("drift", "Drift is when user behaviour changes and the model's predictions get worse.",
     ("world-changes",), ()),
    ("drift", "Drift is just when the model's accuracy goes down.", None, ("accuracy-only",)),
    ("drift", "Whenever drift shows up you retrain the model straight away.", None,
     ("retrain-reflex",)),
    ("drift", "Drift only happens when the input data looks different from the training "
     "data.", None, ("inputs-only",)),
    ("drift", "Drift is when the data changes so the model's accuracy drops over time, and "
     "monitoring catches it.", ("world-changes",), ()),
    ("drift", "Don't retrain right away when an alert fires; first look at the data and the "
     "pipeline.", ("investigate",), ()),
    ("drift", "Drift isn't only about the inputs; in concept drift the inputs look the same "
     "but the right answer changes.", ("world-changes", "kinds"), ()),
    ("drift", "Drift is when the server runs out of memory and the model crashes.", (), ()),
    # testing
    ("testing", "You test the code, the data and the model itself, for example checking the "
     "data has no missing values and the model still gives the same answer when you change "
     "a name. CI runs the tests on every change, CD ships it to staging and then production, "
     "and CT retrains the model and only promotes it if it beats the current one.", ALL, ()),
    ("testing", "In ML you need unit tests for the code, checks on the data like its schema, "
     "and behaviour tests for the model. CI is continuous integration that runs checks on "
     "every pull request, CD is continuous delivery to production, and CT is continuous "
     "training, which retrains and validates the new model before it goes live.", ALL, ()),
    ("testing", "You test the code, the data and the model, and CI runs those tests on "
     "every change.", ("three-kinds",), ()),
    ("testing", "CI runs the tests every time someone pushes a change, and CD deploys it to "
     "production.", ("ci-cd",), ()),
    ("testing", "Testing ML is the same as testing normal software, you also check "
     "accuracy.", None, ("code-only",)),
    ("testing", "Just check the accuracy is high enough and ship it.", None,
     ("one-score-enough",)),
    ("testing", "CT means the model is retrained automatically every time a drift alert "
     "comes in.", None, ("drift-retrain",)),
    ("testing", "Testing ML is different from normal software, because you also test the "
     "data and the model.", (), ()),
    ("testing", "Unlike ordinary software, you test more than the code.", (), ()),
    ("testing", "A single accuracy number is not enough, because it can hide slices that "
     "got worse.", (), ()),
    ("testing", "Testing means letting real users try the model and asking them if they "
     "like it.", (), ()),
    # llmops
    ("llmops", "With an LLM app you have to version the prompt along with the model, "
     "because changing the prompt changes the answers. The same question can get a "
     "different answer each time, so you test with a set of example questions and score "
     "the answers instead of checking for an exact match. You also have to watch for prompt "
     "injection and keep the token costs down.", ALL, ()),
    ("llmops", "The prompt is part of the product, so you track its versions like code. "
     "Because the output varies, you evaluate it on a golden set before shipping a change. "
     "And there are new risks and costs: guardrails against leaking data, and paying per "
     "token.", ALL, ()),
    ("llmops", "You have to keep versions of your prompts, because a small change to the "
     "prompt can change every answer.", ("versioned-parts",), ()),
    ("llmops", "LLM apps need guardrails against prompt injection, and they cost money per "
     "token.", ("guard-cost",), ()),
    ("llmops", "If you set the temperature to 0 the model always gives the same answer, so "
     "it's deterministic.", None, ("temperature-zero",)),
    ("llmops", "You write tests that check the model gives exactly the same answer as "
     "expected.", None, ("exact-match",)),
    ("llmops", "An LLM judge can replace human reviewers because it is objective.", None,
     ("judge-unbiased",)),
    ("llmops", "The same input can give a different answer, so you can't test it with exact "
     "matches; you score it on a golden set.", ("eval-scores",), ()),
    ("llmops", "Instead of checking for an exact answer, you check that the required facts "
     "are in it.", (), ()),
    ("llmops", "An LLM judge helps but it has biases, like preferring longer answers, so "
     "people review a sample.", (), ()),
    ("llmops", "LLMOps is the same as classic MLOps except the model is bigger, so you need "
     "a bigger server.", (), ()),
]


@pytest.mark.parametrize(("lesson_id", "text", "credits", "flags"), BEGINNER_PHRASINGS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(BEGINNER_PHRASINGS)])
def test_beginner_phrasings_grade_fairly(course: Course, lesson_id: str, text: str,
                                         credits: tuple[str, ...] | None,
                                         flags: tuple[str, ...]) -> None:
    explain = course.get(lesson_id).explain
    assert explain is not None
    ideas = tuple(i.id for i in explain.ideas)
    known = {m.id for m in explain.misconceptions}
    assert set(credits or ()) - {"*"} <= set(ideas) and set(flags) <= known  # no typos
    grade = grading.grade_offline(explain, text)
    assert grade.misconceptions == flags, f"{lesson_id}: flagged {grade.misconceptions}"
    if credits is None:  # a mistake: whatever else it says, it is not a full explanation
        assert not grade.complete
    elif credits == ALL:
        assert grade.complete, f"{lesson_id}: missed {grade.missing}"
    else:
        assert grade.credited == credits, f"{lesson_id}: credited {grade.credited}"


def test_every_lesson_has_each_kind_of_beginner_phrasing() -> None:
    for lesson_id in EXAMPLES:
        mine = [c for c in BEGINNER_PHRASINGS if c[0] == lesson_id]
        good = [c for c in mine if c[2] == ALL]
        partial = [c for c in mine if c[2] not in (None, ALL) and c[2] and not c[3]]
        wrong = [c for c in mine if c[3]]
        nothing = [c for c in mine if c[2] == () and not c[3]]
        assert len(good) >= 2 and len(partial) >= 2 and len(wrong) >= 2, lesson_id
        assert nothing, f"{lesson_id}: no correction, off-topic or wrong text gets nothing"
