"""`lessons`, `prompt` and `validate` through the typer app (and `python -m`)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SHIPPED_IDS, invoke, run

from mlops_primer.lesson_schema import schema_text
from mlops_primer.resources import schema_file

DATA = Path(__file__).parent / "data"


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def other_course(tmp_path: Path) -> Path:
    """A one-lesson course that is not the shipped one."""
    folder = tmp_path / "other-course"
    folder.mkdir()
    data = copy.deepcopy(yaml.safe_load((DATA / "minimal_lesson.yaml").read_text()))
    data.update(id="only-lesson", title="The only lesson here")
    (folder / "only.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return folder


def test_lessons_table_lists_the_shipped_ids(cli) -> None:
    result = invoke(cli, "lessons")
    assert result.exit_code == 0, result.output
    positions = [result.stdout.find(i) for i in SHIPPED_IDS]
    assert all(p >= 0 for p in positions), result.stdout
    assert positions == sorted(positions)  # in course order
    assert result.stderr == ""


def test_lessons_json(cli) -> None:
    result = invoke(cli, "lessons", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, list) and [x["id"] for x in data] == SHIPPED_IDS
    assert [x["order"] for x in data] == list(range(1, len(SHIPPED_IDS) + 1))
    for x in data:
        assert {"id", "title", "order", "themes"} <= set(x)
        assert isinstance(x["title"], str) and x["title"]
        assert isinstance(x["themes"], list) and len(x["themes"]) >= 4
        assert all(isinstance(t, str) for t in x["themes"])
        assert x["done"] is False
    assert "zoo" in next(x for x in data if x["id"] == "versioning")["themes"]


def test_prompt_prints_system_and_user(cli) -> None:
    result = invoke(cli, "prompt", "versioning", "--theme", "zoo")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("--- system ---\n")
    assert "\n--- user ---\n" in out
    system, user = out.split("\n--- user ---\n")
    assert "tutor of mlops-primer" in system
    assert "three different short stories about animals in a zoo" in flat(user)


def test_prompt_json_and_lesson_number(cli) -> None:
    by_id = invoke(cli, "prompt", "versioning", "--json")
    by_number = invoke(cli, "prompt", "3", "--json")
    assert by_id.exit_code == 0 and by_number.exit_code == 0
    messages = json.loads(by_id.stdout)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert by_id.stdout == by_number.stdout  # default theme is the first suggested one
    assert "animals in a zoo" in flat(messages[1]["content"])


def test_prompt_unknown_lesson_suggests(cli) -> None:
    result = invoke(cli, "prompt", "lifecycl")
    assert result.exit_code != 0
    assert result.exit_code == 3
    assert "did you mean 'lifecycle'" in result.stderr
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1


def test_prompt_unknown_lesson_far_away_lists_lessons(cli) -> None:
    result = invoke(cli, "prompt", "kubernetes")
    assert result.exit_code == 3
    assert "the lessons are: " + ", ".join(SHIPPED_IDS) in result.stderr


def test_prompt_overlong_theme_is_one_line(cli) -> None:
    result = invoke(cli, "prompt", "drift", "--theme", "x" * 121)
    assert result.exit_code == 3
    assert "121 characters; at most 120" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_validate_shipped_course(cli) -> None:
    result = invoke(cli, "validate")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{len(SHIPPED_IDS)} lesson file(s) valid."
    assert result.stderr == ""


def test_validate_missing_path(cli, tmp_path: Path) -> None:
    result = invoke(cli, "validate", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert f"{tmp_path / 'nope.yaml'}: no such file or folder" in result.stderr


def test_lessons_dir_option_uses_another_course(cli, other_course: Path) -> None:
    result = invoke(cli, "lessons", "--json", "--lessons-dir", str(other_course))
    assert result.exit_code == 0, result.output
    assert [x["id"] for x in json.loads(result.stdout)] == ["only-lesson"]
    shown = invoke(cli, "prompt", "only-lesson", "--theme", "cooking",
                   "--lessons-dir", str(other_course))
    assert shown.exit_code == 0, shown.output
    assert "one short story about cooks in a restaurant kitchen" in flat(shown.stdout)
    checked = invoke(cli, "validate", "--lessons-dir", str(other_course))
    assert checked.exit_code == 0 and "1 lesson file(s) valid." in checked.stdout


def test_lessons_env_var_uses_another_course(cli, other_course: Path) -> None:
    env = {"MLOPS_PRIMER_LESSONS": str(other_course)}
    result = invoke(cli, "lessons", "--json", env=env)
    assert result.exit_code == 0, result.output
    assert [x["id"] for x in json.loads(result.stdout)] == ["only-lesson"]
    missing = invoke(cli, "prompt", "versioning", env=env)
    assert missing.exit_code == 3 and "unknown lesson 'versioning'" in missing.stderr


def test_lessons_dir_option_beats_env_var(cli, other_course: Path, tmp_path: Path) -> None:
    env = {"MLOPS_PRIMER_LESSONS": str(tmp_path / "does-not-exist")}
    broken = invoke(cli, "lessons", env=env)
    assert broken.exit_code == 3 and "does not exist" in broken.stderr
    result = invoke(cli, "lessons", "--json", "--lessons-dir", str(other_course), env=env)
    assert result.exit_code == 0, result.output
    assert [x["id"] for x in json.loads(result.stdout)] == ["only-lesson"]


def test_lessons_dir_subprocess(other_course: Path) -> None:
    result = run("lessons", "--json", env={"MLOPS_PRIMER_LESSONS": str(other_course)})
    assert result.returncode == 0, result.stderr
    assert [x["id"] for x in json.loads(result.stdout)] == ["only-lesson"]


def test_lessons_schema_equals_committed_file(cli) -> None:
    committed = ROOT / "lesson.schema.json"
    assert schema_file() == committed
    assert committed.is_file(), "run: uv run mlops-primer lessons schema -o lesson.schema.json"
    result = invoke(cli, "lessons", "schema")
    assert result.exit_code == 0, result.output
    assert result.stdout == committed.read_text(encoding="utf-8"), (
        "lesson.schema.json is out of date; run: "
        "uv run mlops-primer lessons schema -o lesson.schema.json"
    )
    data = json.loads(result.stdout)
    assert data["title"] == "mlops-primer lesson"
    assert data["additionalProperties"] is False
    assert "path" not in data["properties"]
    assert set(data["required"]) >= {"id", "title", "order", "prompt", "themes"}


def test_lessons_schema_to_file(cli, tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    result = invoke(cli, "lessons", "schema", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == schema_text()
    assert f"wrote {out}" in result.stderr


def test_python_m_help() -> None:
    result = run("--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    for command in ("lessons", "prompt", "validate"):
        assert command in result.stdout


def test_python_m_version() -> None:
    result = run("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("mlops-primer ")


def test_prompt_drift_tells_the_llm_the_facts_the_quiz_tests(cli) -> None:
    result = invoke(cli, "prompt", "drift", "--theme", "sailing")
    assert result.exit_code == 0, result.output
    text = flat(result.stdout)
    assert "below 0.1 stable, 0.1-0.25 moderate shift, above 0.25 significant shift" in text
    assert "Data drift (covariate shift): the distribution of the inputs, P(X), changes" in text
    assert "Concept drift: P(Y|X) changes, so the same input now deserves a different" in text


def test_prompt_versioning_names_the_five_things_to_record(cli) -> None:
    result = invoke(cli, "prompt", "versioning")
    assert result.exit_code == 0, result.output
    assert ("the code version, the data version, the parameters, the environment (package "
            "versions) and the random seeds") in flat(result.stdout)
