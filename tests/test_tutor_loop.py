"""Issue 3's end-to-end: stream from a real server, store, then replay offline."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from conftest import FAKE_KEY, run


def test_learn_streams_stores_and_replays_offline(server, home: Path) -> None:
    server.replies.append("## Soup\n\nA chef [tastes] the soup.\n\n## Recap\n\n- data\n- model\n")
    args = ["learn", "lifecycle", "--theme", "cooking", "--no-input",
            "--base-url", server.base_url, "--model", "test-model"]
    first = run(*args)
    assert first.returncode == 0, first.stderr
    assert "A chef [tastes] the soup." in first.stdout
    assert "answered by test-model" in first.stderr
    sent = server.chat_requests()[0].body
    assert sent["stream"] is True and sent["model"] == "test-model"
    assert "cooking metaphor" in sent["messages"][1]["content"]

    db = sqlite3.connect(home / "primer.db")
    rows = db.execute("SELECT model, lesson_id, theme_id, answer, finish_reason FROM answers")
    assert rows.fetchall() == [("test-model", "lifecycle", "cooking",
                                "## Soup\n\nA chef [tastes] the soup.\n\n## Recap\n\n- data\n"
                                "- model\n", "stop")]
    server.stop()
    again = run(*args, "--offline")
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    assert "replayed from your cache: test-model" in again.stderr


def test_key_never_lands_in_store_or_export(server, home: Path, tmp_path: Path) -> None:
    env = {"OPENAI_API_KEY": FAKE_KEY, "OPENAI_BASE_URL": server.base_url,
           "MLOPS_PRIMER_MODEL": "test-model"}
    assert run("learn", "drift", "--no-input", env=env).returncode == 0
    assert server.chat_requests()[0].headers["authorization"] == f"Bearer {FAKE_KEY}"
    out = tmp_path / "pack.jsonl"
    assert run("cache", "export", str(out), env=env).returncode == 0
    assert json.loads(out.read_text().splitlines()[0])["lesson_id"] == "drift"
    for path in [*home.rglob("*"), out]:
        if path.is_file():
            assert FAKE_KEY.encode() not in path.read_bytes(), path
