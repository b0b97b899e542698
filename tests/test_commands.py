"""`config`, `doctor` and `cache` through the real entry point."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from conftest import FAKE_KEY, run


def test_config_shows_sources_and_masks_the_key(home: Path) -> None:
    result = run("config", "--json", env={"OPENAI_API_KEY": FAKE_KEY,
                                          "MLOPS_PRIMER_MODEL": "env-model"})
    data = json.loads(result.stdout)
    assert data["model"] == {"value": "env-model", "source": "env MLOPS_PRIMER_MODEL"}
    assert data["api_key"]["value"] == "sk-...0000" and FAKE_KEY not in result.stdout
    assert data["timeout"]["source"] == "default"


def test_config_set_writes_0600_and_flags_win(home: Path) -> None:
    assert run("config", "set", "model", "file-model").returncode == 0
    assert run("config", "set", "api_key", FAKE_KEY).stdout.count(FAKE_KEY) == 0
    path = home / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(run("config", "--json").stdout)
    assert data["model"] == {"value": "file-model", "source": "config file"}
    bad = run("config", "set", "timeout", "forever")
    assert bad.returncode != 0 and "timeout" in bad.stderr and "Traceback" not in bad.stderr
    unknown = run("config", "set", "colour", "blue")
    assert unknown.returncode != 0 and "unknown setting 'colour'" in unknown.stderr


def test_broken_config_file_is_one_clear_line(home: Path) -> None:
    (home / "config.toml").write_text("model = [unclosed\n")
    result = run("learn", "drift", "--no-input")
    assert result.returncode != 0
    assert "not valid TOML" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_doctor_against_a_live_server(server) -> None:
    ok = run("doctor", "--base-url", server.base_url, "--model", "test-model")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "model 'test-model' is available" in ok.stdout
    wrong = run("doctor", "--base-url", server.base_url, "--model", "nope")
    assert wrong.returncode == 1
    assert "model 'nope' is not offered" in wrong.stdout and "test-model" in wrong.stdout


def test_doctor_with_nothing_configured_and_a_dead_server(tmp_path: Path) -> None:
    # no LLM is a mode the course runs in, not a failure
    none = run("doctor")
    assert none.returncode == 0, none.stdout + none.stderr
    assert "offline mode is ready" in none.stdout and "FAIL" not in none.stdout
    assert "OPENAI_API_KEY" in none.stdout  # and how to add an LLM
    # ...as long as the course itself can run
    broken = run("doctor", env={"MLOPS_PRIMER_LESSONS": str(tmp_path)})
    assert broken.returncode == 1 and "FAIL" in broken.stdout
    dead = run("doctor", "--base-url", "http://127.0.0.1:9/v1", "--timeout", "2")
    assert dead.returncode == 1 and "cannot reach 127.0.0.1:9" in dead.stdout


def test_cache_list_show_clear(server, home: Path) -> None:
    args = ["--base-url", server.base_url, "--model", "test-model"]
    assert run("learn", "drift", "--theme", "sailing", "--no-input", *args).returncode == 0
    assert run("learn", "drift", "--theme", "sailing", "--no-input", "--no-cache",
               *args).returncode == 0
    listing = json.loads(run("cache", "list", "--json").stdout)
    assert len(server.chat_requests()) == 2
    assert len(listing) == 1  # the same text twice is kept once
    shown = run("cache", "show", str(listing[0]["id"]), "--plain")
    assert "kitchen story" in shown.stdout
    assert run("cache", "show", "999").returncode != 0
    assert run("cache", "clear", input="n\n").returncode == 1
    cleared = run("cache", "clear", "--yes")
    assert cleared.returncode == 0 and "Deleted 1" in cleared.stdout
    assert json.loads(run("cache", "list", "--json").stdout) == []
    assert run("cache", "path").stdout.strip() == str(home / "primer.db")


def test_regenerate_keeps_both_answers(server, home: Path) -> None:
    server.replies.extend(["## First\n\nOne.\n", "## Second\n\nTwo.\n"])
    args = ["learn", "drift", "--theme", "sailing", "--no-input", "--base-url",
            server.base_url, "--model", "test-model"]
    assert "One." in run(*args).stdout
    assert "One." in run(*args).stdout  # cached: no second request
    assert len(server.chat_requests()) == 1
    assert "Two." in run(*args, "--no-cache").stdout
    assert len(json.loads(run("cache", "list", "--json").stdout)) == 2
