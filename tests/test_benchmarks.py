"""The benchmark scripts still run against the code as it is, at tiny sizes.

No timing is asserted here (speed is for `benchmarks/run_all.py` to report); what is
checked is that every script runs end to end, returns its rows, and that the figures
which are facts rather than times hold: `openai` is not imported on start-up or replay.
"""

from __future__ import annotations

import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import cache_list  # noqa: E402
import first_token  # noqa: E402
import lab_check  # noqa: E402
import oneshot  # noqa: E402
import pack_throughput  # noqa: E402
import replay  # noqa: E402
import startup  # noqa: E402
import store_lookup  # noqa: E402
import stream_render  # noqa: E402


def figures(rows) -> dict[str, object]:  # noqa: ANN001 - list of _bench.Row
    assert rows and all(isinstance(r.met, bool) for r in rows)
    return {r.figure: r for r in rows}


def test_startup_runs_and_never_imports_openai(capsys: pytest.CaptureFixture[str]) -> None:
    rows = figures(startup.run(runs=1, warmup=1))
    for name in ("--help", "lessons", "lessons, with progress"):
        assert f"startup: {name} / floor (wall)" in rows
    assert rows["startup: openai not imported by --help"].met
    assert rows["startup: openai not imported by lessons"].met
    assert "heavy modules" in capsys.readouterr().out


def test_replay_runs_and_never_imports_openai() -> None:
    rows = figures(replay.run(runs=1))
    assert rows["replay: openai not imported"].met
    assert any(name.startswith("replay: pipe") for name in rows)


def test_store_lookup_runs_on_a_small_store() -> None:
    rows = figures(store_lookup.run(answers=300, lookups=30))
    assert "store: find(key) median / p95" in rows
    assert "store: find_by_messages(hash) median / p95" in rows


def test_cache_list_runs_on_a_small_store() -> None:
    rows = figures(cache_list.run(answers=60, runs=1))
    assert "cache list with 60 answers (end to end)" in rows
    assert rows["cache list with 60 answers (end to end)"].target == "< 1 s"


def test_stream_render_pieces_run() -> None:
    toks = stream_render.tokens(300)
    assert len(toks) == 300 and all(2 <= len(t) <= 6 for t in toks)
    text = stream_render.answer_text(4000)
    assert "## " in text and "```python" in text and "\n- " in text  # a realistic shape
    for cost in (stream_render.ours(toks, None), stream_render.ours(toks, 0),
                 stream_render.naive(toks[:60])):
        assert cost >= 0


def test_lab_check_runs_on_a_reference_solution() -> None:
    rows = lab_check.run(runs=1, lessons=["what-is-mlops"])
    assert list(figures(rows)) == ["lab check on the reference solution: what-is-mlops"]


def test_first_token_runs_in_a_pty_against_the_fake_server() -> None:
    rows = {r.figure: r for r in first_token.run(runs=1, read=0.5)}
    assert "first token: Enter -> first token on screen (after reading)" in rows
    assert isinstance(rows["first token: Enter -> first token on screen (after reading)"].met,
                      bool)


def test_oneshot_asks_the_server_once_per_run_for_both() -> None:
    rows = {r.figure: r for r in oneshot.run(runs=1)}  # it checks the request count itself
    assert isinstance(rows["one-shot: learn --no-input / bare openai script (wall)"].met, bool)


def test_pack_throughput_builds_the_course_of_16_twice() -> None:
    rows = figures(pack_throughput.run(latency=0.05))
    [row] = rows.values()
    assert row.figure.startswith("pack build: --concurrency 4 / 1 throughput")
