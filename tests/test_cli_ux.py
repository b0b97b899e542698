"""The command line people expect: welcome, version, help, flags anywhere, commands named
as the learner runs them, NO_COLOR, one-line errors, notes' folder, completion."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
import typer
from conftest import ROOT, SCRUBBED, invoke, run
from ptyplay import finish, spawn_cli

from mlops_primer.cli import COMMANDS, EXAMPLES, PANELS, app
from mlops_primer.cli._common import detect_invocation
from mlops_primer.errors import ExitCode
from mlops_primer.paths import store_file
from mlops_primer.store import Progress, Store, now_iso

VENV_BIN = Path(sys.executable).parent
SCRIPT = VENV_BIN / "mlops-primer"
UV_ENV = {"UV": "/usr/local/bin/uv", "VIRTUAL_ENV": str(VENV_BIN.parent)}


def script(*args: str, env: dict[str, str] | None = None,
           cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The venv's console script itself (what `uv run mlops-primer` starts)."""
    full = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    full.pop("VIRTUAL_ENV", None)
    full.update(env or {})
    return subprocess.run([str(SCRIPT), *args], env=full, capture_output=True, text=True,
                          timeout=60, cwd=cwd or ROOT)


def command_paths() -> list[list[str]]:
    """Every command and subcommand, as the words after the program's name."""
    out: list[list[str]] = []

    def walk(cmd, path: list[str]) -> None:  # noqa: ANN001
        out.append(path)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return out


def seed(home: Path) -> None:
    with Store(store_file()) as store:
        store.save_progress(Progress("what-is-mlops", theme_id="cooking", step="done",
                                     quiz_score=4, quiz_total=5, completed_at=now_iso()))
        store.save_progress(Progress("lifecycle", theme_id="gardening", step="quiz"))


# -- no arguments, version -------------------------------------------------------------


def test_no_arguments_welcomes_a_new_learner(cli, course) -> None:
    result = invoke(cli)
    assert result.exit_code == 0, result.output
    assert "Start the course: mlops-primer learn" in result.stdout
    assert f"{len(course.lessons)} lessons" in result.stdout and "Usage:" not in result.stdout
    assert len(result.stdout.splitlines()) <= 10


def test_no_arguments_says_where_the_learner_is(cli, home: Path, course) -> None:
    seed(home)
    result = invoke(cli)
    assert result.exit_code == 0, result.output
    assert f"You have done 1 of {len(course.lessons)} lessons" in result.stdout
    assert "To resume: 2. " in result.stdout and "(in progress)" in result.stdout
    assert "Continue:" in result.stdout and "mlops-primer learn" in result.stdout


def test_version_short_and_long() -> None:
    for flag in ("-V", "--version"):
        result = run(flag)
        assert result.returncode == 0, result.stderr
        assert re.fullmatch(r"mlops-primer \d+\.\d+\.\S+\n", result.stdout)


# -- commands named the way the learner ran the program ------------------------------------


def test_detect_invocation(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    exe, console = str(venv / "bin" / "python"), str(venv / "bin" / "mlops-primer")
    main_py = str(tmp_path / "site" / "mlops_primer" / "__main__.py")
    uv = {"UV": "/x/uv", "VIRTUAL_ENV": str(venv)}
    assert detect_invocation(console, [exe, console], uv, exe) == "uv run mlops-primer"
    assert detect_invocation(console, [exe, console], {"UV_RUN_RECURSION_DEPTH": "1",
                                                       "VIRTUAL_ENV": str(venv)},
                             exe) == "uv run mlops-primer"
    # an activated venv (no uv), or a tool installed elsewhere started inside `uv run`
    assert detect_invocation(console, [exe, console], {"VIRTUAL_ENV": str(venv)},
                             exe) == "mlops-primer"
    other = tmp_path / "tools" / "bin"
    other.mkdir(parents=True)
    assert detect_invocation(str(other / "mlops-primer"), [], uv, exe) == "mlops-primer"
    assert detect_invocation(main_py, ["python3", "-m", "mlops_primer"], {},
                             exe) == "python3 -m mlops_primer"
    assert detect_invocation(main_py, [exe, "-m", "mlops_primer"], uv,
                             exe) == "uv run python -m mlops_primer"
    assert detect_invocation("/usr/bin/pytest", [], uv, exe) == "mlops-primer"


def test_messages_name_commands_as_run() -> None:
    """The same offline error, started three ways: each hint is a command that works."""
    args = ("learn", "drift", "--theme", "a bakery", "--no-input")
    under_uv = script(*args, env=UV_ENV)
    assert under_uv.returncode == 5, under_uv.stderr
    assert "`uv run mlops-primer prompt drift" in under_uv.stderr
    tool = script(*args)
    assert "`mlops-primer prompt drift" in tool.stderr and "uv run" not in tool.stderr
    module = run(*args)
    assert "-m mlops_primer prompt drift" in module.stderr
    assert len(module.stderr.strip().splitlines()) <= 2  # the offline notice, the error
    usage = script("--help", env={**UV_ENV, "COLUMNS": "80"})
    assert usage.stdout.startswith("Usage: uv run mlops-primer [OPTIONS]")
    assert "  uv run mlops-primer learn drift --theme cooking" in usage.stdout


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not installed")
def test_real_uv_run_is_detected() -> None:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    env.pop("VIRTUAL_ENV", None)
    result = subprocess.run(["uv", "run", "--no-sync", "mlops-primer"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "uv run mlops-primer learn" in result.stdout


def test_quitting_learn_names_the_command_as_run(home: Path) -> None:
    child = spawn_cli(home, "learn", extra_env={**UV_ENV, "NO_COLOR": "1"})
    child.expect("Lesson number")
    child.sendline("q")
    out = finish(child)
    assert "uv run python -m mlops_primer learn" in " ".join(out.split())


# -- help ----------------------------------------------------------------------------------


def test_help_is_grouped_whole_and_lists_exit_codes(cli) -> None:
    result = invoke(cli, "--help", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    positions = [out.index(f"\n{panel}:\n") for panel in PANELS]
    assert positions == sorted(positions)
    for name, (_module, panel) in COMMANDS.items():
        section = out[out.index(f"\n{panel}:\n"):]
        section = section[:section.index("\n\n", 1)]
        assert f"\n  {name} " in section, (name, panel)
    assert not [line for line in out.splitlines()[1:] if line.endswith("...")]  # not cut off
    assert all(len(line) <= 80 for line in out.splitlines())
    exits = out[out.index("Exit codes:"):]
    for code in ExitCode:
        assert re.search(rf"^  {int(code)} +\S", exits, re.M), code
    assert "--install-completion" in out and "--show-completion" in out
    assert "-V, --version" in out


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "root")
def test_every_command_help_has_examples_and_worded_placeholders(cli, path: list[str]) -> None:
    assert " ".join(path) in EXAMPLES, f"add examples for '{' '.join(path)}' to EXAMPLES"
    result = invoke(cli, *path, "--help", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "\nExamples:\n  mlops-primer " in out
    usage, rest = out.split("\n", 1)
    assert not re.search(r"<\w+>|\{\w+\}|\.\.\.$", rest, re.M), out  # <str>, {LESSON}, cut
    assert not re.search(r"\[[a-z_]+\]", usage), usage  # [lesson]: a placeholder in words
    assert all(len(line) <= 80 for line in out.splitlines()), out


# -- --plain, --json, --debug before or after the command ------------------------------------


@pytest.mark.parametrize("path", [p for p in command_paths() if p],
                         ids=lambda p: " ".join(p))
def test_plain_and_debug_are_accepted_everywhere(cli, path: list[str]) -> None:
    after = invoke(cli, *path, "--plain", "--debug", "--help")
    before = invoke(cli, "--plain", "--debug", *path, "--help")
    assert after.exit_code == 0 and before.exit_code == 0, after.output + before.output


@pytest.mark.parametrize("args", [["doctor"], ["validate"], ["pack", "check"],
                                  ["lessons"], ["progress"], ["cache", "list"],
                                  ["learn", "drift", "--theme", "sailing", "--no-input"]])
def test_json_before_or_after_the_command(cli, args: list[str]) -> None:
    after = invoke(cli, *args, "--json")
    before = invoke(cli, "--json", *args)
    assert after.stdout == before.stdout
    json.loads(after.stdout)  # data, nothing else, on stdout


def test_json_data_of_the_new_commands(cli, course) -> None:
    doctor = json.loads(invoke(cli, "doctor", "--json").stdout)
    assert doctor["ok"] is True and doctor["checks"][0]["ok"] is True  # offline is a mode
    learned = json.loads(invoke(cli, "learn", "drift", "-t", "sailing", "--no-input",
                                "--json").stdout)
    assert learned["origin"] == "pack" and learned["lesson"] == "drift"
    assert learned["theme_id"] == "sailing" and len(learned["answer"]) > 200
    notes = json.loads(invoke(cli, "notes", "drift", "--json").stdout)
    assert notes[0]["lesson"] == "drift" and notes[0]["markdown"].startswith("# Study notes")
    assert json.loads(invoke(cli, "pack", "check", "--json").stdout)["problems"] == []
    valid = json.loads(invoke(cli, "validate", "--json").stdout)
    assert valid["ok"] is True and len(valid["files"]) == len(course.lessons)
    assert "warnings" in valid


def test_validate_json_reports_problems(cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: Not An Id\n", encoding="utf-8")
    result = invoke(cli, "validate", str(bad), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["problems"]
    assert all(p["file"] == str(bad) for p in data["problems"])


def test_json_without_no_input_is_a_usage_error(cli) -> None:
    result = invoke(cli, "learn", "--json")
    assert result.exit_code == 2 and "--json goes with --no-input" in result.stderr


def test_debug_after_the_command_shows_the_traceback() -> None:
    quiet = run("prompt", "kubernetes")
    loud = run("prompt", "kubernetes", "--debug")
    assert quiet.returncode == 3 and "Traceback" not in quiet.stderr
    assert "Traceback" in loud.stderr and "UnknownLessonError" in loud.stderr


# -- colour ----------------------------------------------------------------------------------

COLOUR = re.compile(r"\x1b\[([0-9;]*)m")


def _sgr_params(out: str) -> set[int]:
    return {int(p) for m in COLOUR.findall(out) for p in m.split(";") if p}


@pytest.mark.parametrize("mode", ["NO_COLOR", "--plain", "colour"])
def test_no_color_keeps_markdown_laid_out_without_colour(home: Path, mode: str) -> None:
    args = ["learn", "drift", "--theme", "sailing", "--no-input"]
    env = {"NO_COLOR": "1"} if mode == "NO_COLOR" else {}
    child = spawn_cli(home, *args, *(["--plain"] if mode == "--plain" else []),
                      extra_env=env)
    out = finish(child)
    params = _sgr_params(out)
    colours = {p for p in params if 30 <= p <= 49 or 90 <= p <= 107}
    if mode == "colour":
        assert colours, "the test needs colour when colour is allowed"
    elif mode == "NO_COLOR":
        assert not colours, params
        assert {1, 4} & params  # headings still stand out
        assert "\n## " not in out and "\n# " not in out  # rendered, not raw Markdown
    else:
        assert "\x1b" not in out


# -- errors in one line ----------------------------------------------------------------


@pytest.mark.parametrize(("args", "code", "words"), [
    (["config", "set", "timeout", "abc"], 2, "must be a number of seconds from 1 to 600"),
    (["config", "set", "max_retries", "1.5"], 2, "must be a whole number from 0 to 5"),
    (["learn", "--foo"], 2, "No such option: --foo - see `mlops-primer learn --help`"),
    (["lern"], 2, "Did you mean 'learn'?"),
    (["prompt"], 2, "Missing argument 'LESSON'"),
    (["cache", "show", "x"], 2, "'x' is not a valid int"),
])
def test_errors_are_one_line(cli, args: list[str], code: int, words: str) -> None:
    result = invoke(cli, *args)
    assert result.exit_code == code, result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert words in result.stderr and result.stderr.startswith("error: ")
    assert "could not convert" not in result.stderr and "Usage:" not in result.stderr


# -- notes: a folder meant for them --------------------------------------------------


def test_notes_go_to_the_notes_folder_or_where_asked(cli, home: Path, tmp_path: Path) -> None:
    result = invoke(cli, "notes", "drift")
    target = home / "notes" / "mlops-primer-notes-drift.md"
    assert result.exit_code == 0, result.output
    assert f"Notes written to {target}" in result.stdout
    assert target.read_text(encoding="utf-8").startswith("# Study notes")
    folder = tmp_path / "mine"
    folder.mkdir()
    assert invoke(cli, "notes", "drift", "-o", str(folder)).exit_code == 0
    assert (folder / "mlops-primer-notes-drift.md").is_file()
    single = tmp_path / "drift.md"
    assert invoke(cli, "notes", "drift", "-o", str(single)).exit_code == 0
    assert single.read_text(encoding="utf-8") == target.read_text(encoding="utf-8")
    printed = invoke(cli, "notes", "drift", "-o", "-")
    assert printed.stdout == target.read_text(encoding="utf-8")


def test_notes_here_writes_the_current_folder(tmp_path: Path) -> None:
    result = run("notes", "drift", "--here", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "mlops-primer-notes-drift.md").is_file()


def test_notes_bad_path_is_one_clear_line(cli, tmp_path: Path) -> None:
    result = invoke(cli, "notes", "drift", "-o", str(tmp_path / "no" / "such" / "n.md"))
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"error: cannot write {tmp_path / 'no' / 'such' / 'n.md'}:"
                                     f" there is no folder {tmp_path / 'no' / 'such'} - name a "
                                     "file in a folder you can write to")
    assert not list(tmp_path.rglob("*.tmp"))


def test_notes_bad_path_asks_again_at_a_terminal(home: Path, tmp_path: Path) -> None:
    child = spawn_cli(home, "notes", "drift", "-o", str(tmp_path / "nope" / "n.md"))
    child.expect("there is no folder")
    child.expect("Another file or folder")
    child.sendline(str(tmp_path))
    child.expect("Notes written to")
    finish(child)
    assert (tmp_path / "n.md").is_file()


# -- cache list, empty ---------------------------------------------------------------


def test_empty_cache_list_says_where_offline_answers_come_from(cli) -> None:
    result = invoke(cli, "cache", "list", env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    flat = " ".join(result.stdout.split())
    assert "ready-made answers that ship with the course" in flat
    assert str(ROOT / "lessons" / "pack") in flat and "cache import FILE" in flat


# -- shell completion ----------------------------------------------------------------


def test_show_completion_bash() -> None:
    result = run("--show-completion", "bash",
                 env={"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"})
    assert result.returncode == 0, result.stderr
    assert "_MLOPS_PRIMER_COMPLETE=complete_bash" in result.stdout
    assert "complete -o default -F _mlops_primer_completion mlops-primer" in result.stdout


def test_install_completion_bash(tmp_path: Path) -> None:
    result = run("--install-completion", "bash",
                 env={"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1",
                      "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "bash completion installed" in result.stdout
    assert "mlops-primer" in (tmp_path / ".bashrc").read_text()


def _complete(words: str) -> list[str]:
    result = run(env={"_MLOPS_PRIMER_COMPLETE": "complete_bash", "COMP_WORDS": words,
                      "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))})
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_completion_of_commands_lessons_and_themes() -> None:
    assert _complete("mlops-primer le") == ["learn", "lessons"]
    assert _complete("mlops-primer learn d") == ["deployment", "drift"]
    themes = _complete("mlops-primer learn drift --theme s")
    assert set(themes) == {"sailing", "space-travel"}
    assert "versioning" in _complete("mlops-primer prompt ")


_PROBE = r"""
import json, sys
watched = json.loads(sys.argv[2])
sys.argv = ["mlops-primer", *json.loads(sys.argv[1])]
from mlops_primer.cli import main
try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
sys.stderr.write("@@" + json.dumps([m for m in watched if m in sys.modules]))
"""


@pytest.mark.parametrize(("argv", "env", "loaded"), [
    (["--help"], {}, []),
    (["lessons"], {}, ["mlops_primer.catalog"]),
    ([], {"_MLOPS_PRIMER_COMPLETE": "complete_bash", "COMP_WORDS": "mlops-primer learn ",
          "COMP_CWORD": "2"}, ["mlops_primer.cli._complete", "mlops_primer.catalog"]),
])
def test_completion_code_is_imported_only_to_complete(argv: list[str], env: dict[str, str],
                                                      loaded: list[str]) -> None:
    watched = ["mlops_primer.cli._complete", "mlops_primer.catalog", "openai"]
    full = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    full.update(env)
    proc = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(argv), json.dumps(watched)],
                          env=full, capture_output=True, text=True, timeout=60, cwd=ROOT)
    found = json.loads(proc.stderr.rsplit("@@", 1)[1])
    assert found == loaded, proc.stderr


def test_readme_documents_every_exit_code() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Exit codes"):]
    for code in ExitCode:
        assert re.search(rf"^\| `?{int(code)}`? \|", table, re.M), code


def test_pty_help_fits_80_columns(home: Path) -> None:
    child = pexpect.spawn(sys.executable, ["-m", "mlops_primer", "--help"],
                          env={**{k: v for k, v in os.environ.items() if k not in SCRUBBED},
                               "MLOPS_PRIMER_HOME": str(home), "COLUMNS": "80"},
                          encoding="utf-8", dimensions=(24, 80), timeout=20)
    out = finish(child)
    assert all(len(line.rstrip("\r")) <= 80 for line in out.splitlines())


def test_a_group_named_alone_shows_its_help(cli) -> None:
    result = invoke(cli, "cache")
    assert "Commands:" in result.output and "  list " in result.output
    assert "error:" not in result.output


def test_the_programs_help_built_shallow_lists_what_the_whole_tree_lists() -> None:
    """`--help` registers command groups without their commands (faster): it must read
    exactly as the help of the whole tree, group lines included."""
    from typer.testing import CliRunner

    from mlops_primer.cli import make_app

    runner = CliRunner()
    env = {"COLUMNS": "80"}
    whole = runner.invoke(make_app(), ["--help"], prog_name="mlops-primer", env=env)
    shallow = runner.invoke(make_app(shallow=True), ["--help"], prog_name="mlops-primer",
                            env=env)
    assert whole.exit_code == shallow.exit_code == 0
    assert "Hands-on labs" in whole.output and "Look after the stored answers" in whole.output
    assert shallow.output == whole.output
