"""Outside text never controls the terminal: every command that shows it, piped and on a
pseudo-terminal, with each kind of escape sequence a hostile server, pack or course can
send (issue 10, item 1).

Piped output must carry no ESC, BEL, C1 or other control at all; on a terminal the only
escape sequences are rich's own (colours and the live region's cursor moves).
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pyte
from conftest import invoke, run
from hypothesis import given, settings
from hypothesis import strategies as st
from ptyplay import finish, spawn_cli

from mlops_primer import prompts
from mlops_primer.lessons import load_course, resolve_theme
from mlops_primer.pack import record
from mlops_primer.resources import builtin_lessons_dir
from mlops_primer.ui.safe import CleanWriter, clean

#: each kind of sequence, with a word in its payload that must never be shown
KINDS = {
    "csi-clear": "\x1b[2J\x1b[3J\x1b[H",
    "cursor": "\x1b[10;10H\x1b[3B\x1b[2C\x1b[s\x1b[u\x1b7\x1b8",
    "osc52": "\x1b]52;c;Y2xpcGJvYXJk\x07",  # writes "clipboard" to the clipboard
    "osc8": "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "title": "\x1b]0;pwned-title\x07\x1b]2;pwned-title\x1b\\",
    "altscreen": "\x1b[?1049h\x1b[?47h",
    "dsr": "\x1b[6n\x1b[c\x1b[>c",
    "dcs": "\x1bP1$qm\x1b\\\x1bPq#0;2;0;0;0\x1b\\",
    "c1": "\x9b2J\x9d0;pwned-c1\x9c\x90dcs-c1\x9c\x85",
    "reset": "\x1bc\x1b(0\x1b#8",
    "bel-bs-cr": "\x07\x08\x08overwrite\r",
}
EVIL = "".join(f" ({name} {seq})" for name, seq in KINDS.items())
PAYLOADS = ("Y2xpcGJvYXJk", "evil.example", "pwned-title", "pwned-c1", "dcs-c1")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# our own output on a terminal: SGR colours, and the live region's cursor moves (up,
# erase the line or the rest of the screen, hide and show the cursor)
RICH_OWN = re.compile(r"\x1b\[[0-9;]*m|\x1b\[\?25[lh]|\x1b\[2K|\x1b\[J|\x1b\[\d*A|\r")


def assert_plain(text: str) -> None:
    """Piped output: no control character but newline and tab, no hostile payload."""
    bad = CONTROL.search(text)
    assert bad is None, f"control {bad.group()!r} at {bad.start()}: {text[bad.start()-40:][:80]!r}"
    for word in PAYLOADS:
        assert word not in text


def assert_terminal(raw: str) -> None:
    """Terminal output: nothing but rich's own escape sequences."""
    assert_plain(RICH_OWN.sub("", raw))
    screen = pyte.Screen(100, 40)
    pyte.Stream(screen).feed(raw)
    assert screen.title == ""  # no OSC 0/2 got through


def test_clean_removes_every_kind_whole() -> None:
    for name, seq in KINDS.items():
        assert clean(f"a{seq}b") in ("ab", "aclickb", "aoverwriteb"), name
    assert clean("tab\tnew\nline\r\nend") == "tab\tnew\nline\nend"
    assert clean("plain text, [brackets] and 日本語") == "plain text, [brackets] and 日本語"
    # an unterminated OSC takes the rest of its line, not the rest of the text
    assert clean("a\x1b]52;c;" + "Q" * 10_000 + "\nnext") == "a\nnext"
    # pieces left after removal cannot form a new sequence
    assert clean("\x1b\x1b[[2J") == "2J"
    assert CONTROL.search(clean("".join(chr(i) for i in range(0x100)) * 3)) is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab[];\\P0-9\n\r\x07\x1b\x9b\x9c\x9d")),
               max_size=60), st.lists(st.integers(1, 8), max_size=20))
def test_clean_writer_pieces_come_out_as_clean_of_the_whole(text: str, cuts: list[int]) -> None:
    """A streamed answer split anywhere, even inside a sequence, is cleaned as a whole."""
    out = io.StringIO()
    writer = CleanWriter(out)
    pos = 0
    for n in cuts:
        writer.write(text[pos:pos + n])
        pos += n
    writer.write(text[pos:] + "\n")
    assert out.getvalue() == clean(text + "\n")
    assert CONTROL.search(out.getvalue()) is None


# -- piped --------------------------------------------------------------------------------


def hostile_course(tmp_path: Path) -> Path:
    """The shipped course with escape sequences in one lesson's shown fields."""
    folder = tmp_path / "course"
    shutil.copytree(builtin_lessons_dir(), folder)
    path = folder / "drift.yaml"
    text = path.read_text(encoding="utf-8")
    esc = r"\e]0;pwned-title\a\e[2J\u009b2J\e]52;c;Y2xpcGJvYXJk\a"
    text = re.sub(r"^title: .*$", lambda _: f'title: "Drift {esc} watch"', text, count=1,
                  flags=re.M)
    text = re.sub(r"^summary: .*$", lambda _: f'summary: "Sum {esc} mary"', text, count=1,
                  flags=re.M)
    text = text.replace("takeaways:\n", f'takeaways:\n  - "Take {esc} away"\n', 1)
    text = text.replace("points:\n", f'points:\n  - "Point {esc} one"\n', 1)
    text = text.replace("reading:\n", f'reading:\n  - title: "Read {esc}"\n'
                        f'    source: "Src {esc}"\n', 1)
    path.write_text(text, encoding="utf-8")
    load_course(folder)  # still a valid course
    return folder


def test_lesson_fields_piped(cli, tmp_path: Path) -> None:  # noqa: ANN001
    folder = str(hostile_course(tmp_path))
    for args in (["lessons"], ["progress"], ["notes", "drift"], ["prompt", "drift"],
                 ["learn", "drift", "--no-input", "--offline"]):
        result = invoke(cli, *args, "--lessons-dir", folder)
        assert result.exit_code == 0, (args, result.output)
        assert_plain(result.output)
    assert "Drift" in invoke(cli, "lessons", "--lessons-dir", folder).output
    out = tmp_path / "notes.md"
    invoke(cli, "notes", "drift", "-o", str(out), "--lessons-dir", folder)
    assert_plain(out.read_text(encoding="utf-8"))
    # JSON keeps the data exact: escapes as \u, none raw
    data = invoke(cli, "lessons", "--json", "--lessons-dir", folder).output
    assert CONTROL.search(data) is None
    titles = [e["title"] for e in json.loads(data)]
    assert any("\x1b]0;pwned-title\x07" in t for t in titles)


def test_a_file_name_with_escapes_is_cleaned_in_validate(cli, tmp_path: Path) -> None:  # noqa: ANN001
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "\x1b]0;pwned-title\x07\x9b2J.yaml").write_text("id: [unclosed\n")
    result = run("validate", str(folder))
    assert result.returncode == 1
    assert "invalid YAML" in result.stderr
    assert_plain(result.stdout + result.stderr)


def test_live_answer_model_name_and_replays_piped(cli, server, home: Path) -> None:  # noqa: ANN001
    server.replies.append(f"## Answer\n\nStart {EVIL} end.\n")
    server.stream_model = "evil\x1b]0;pwned-title\x07\x9b2Jmodel"
    live = invoke(cli, "learn", "drift", "--theme", "sailing", "--no-input", "--base-url",
               server.base_url, "--model", "test-model")
    assert live.exit_code == 0, live.output
    assert "Start" in live.output and "end." in live.output
    assert_plain(live.output)
    # the model name a server reports is stored only when it is a printable name
    listed = json.loads(invoke(cli, "cache", "list", "--json").output)
    assert listed[0]["model"] == "test-model"
    for args in (["learn", "drift", "--theme", "sailing", "--no-input", "--offline"],
                 ["cache", "show", "1"], ["cache", "show", "1", "--plain"], ["cache", "list"]):
        result = invoke(cli, *args)
        assert result.exit_code == 0, (args, result.output)
        assert_plain(result.output)
    assert "Start" in invoke(cli, "cache", "show", "1").output


def test_imported_pack_fields_piped(cli, course, tmp_path: Path) -> None:  # noqa: ANN001
    lesson = course.get("drift")
    theme = lesson.theme("sailing")
    messages = [m.as_dict() for m in prompts.render(course, lesson, theme)]
    rec = record(messages=messages, answer=f"Packed {EVIL} answer", model=f"m{EVIL}",
                 created_at="2026-01-01T00:00:00", lesson_id=f"drift{EVIL}",
                 theme_id="sailing", theme_label=f"Sail{EVIL}", host=f"h{EVIL}")
    pack = tmp_path / "evil.jsonl"
    pack.write_text(json.dumps(rec) + "\n" + json.dumps({"format": f"x{EVIL}"}) + "\n")
    imported = invoke(cli, "cache", "import", str(pack))
    assert "1 added" in imported.output
    assert_plain(imported.output)
    for args in (["cache", "list"], ["cache", "show", "1"],
                 ["learn", "drift", "--theme", "sailing", "--no-input", "--offline"]):
        result = invoke(cli, *args)
        assert result.exit_code == 0, (args, result.output)
        assert_plain(result.output)
    assert "Packed" in invoke(cli, "cache", "show", "1").output
    listed = invoke(cli, "cache", "list", "--json").output
    assert CONTROL.search(listed) is None
    assert json.loads(listed)[0]["theme_label"] == f"Sail{EVIL}"


def test_server_error_text_and_doctor_model_list_piped(cli, server) -> None:  # noqa: ANN001
    server.fault = "400"
    server.error_text = f"bad {EVIL} request"
    failed = invoke(cli, "learn", "drift", "--theme", "sailing", "--no-input", "--base-url",
                 server.base_url, "--model", "test-model")
    assert failed.exit_code == 4
    assert "rejected the request (HTTP 400)" in failed.output and "bad" in failed.output
    assert_plain(failed.output)
    doctor = invoke(cli, "doctor", "--base-url", server.base_url, "--model", "test-model")
    assert doctor.exit_code == 1
    assert_plain(doctor.output)
    server.fault = None
    server.models = [f"evil{EVIL}", "other-model"]
    doctor = invoke(cli, "doctor", "--base-url", server.base_url, "--model", "test-model")
    assert "is not offered" in doctor.output
    assert_plain(doctor.output)


def test_theme_with_c1_is_cleaned_when_echoed(cli, course) -> None:  # noqa: ANN001
    theme = resolve_theme(course.get("drift"), "a\x9b2J\x9d0;pwned-c1\x9c zoo\x1b[2J")
    assert CONTROL.search(theme.label) is None
    # the learner's own words: controls go, the printable rest stays as typed
    result = invoke(cli, "learn", "drift", "--theme", f"my {KINDS['c1']}{KINDS['title']} world",
                    "--no-input", "--offline")
    assert result.exit_code == 5
    assert "no offline answer exists for your own theme" in result.output
    assert CONTROL.search(result.output) is None


# -- on a pseudo-terminal --------------------------------------------------------------------


def read_all(child) -> str:  # noqa: ANN001
    """Everything the program wrote to its terminal, once it has ended."""
    finish(child)
    return child.logfile_read.getvalue()


def spawn_logged(home: Path, *args: str):  # noqa: ANN201
    child = spawn_cli(home, *args)
    child.logfile_read = io.StringIO()
    return child


def test_streamed_answer_and_labels_on_a_terminal(home: Path, server, tmp_path: Path) -> None:  # noqa: ANN001
    folder = hostile_course(tmp_path)
    server.replies.append(f"## Answer\n\nStart {EVIL} end.\n\n- item {EVIL}\n\nLast {EVIL}")
    server.stream_model = f"evil{EVIL}"
    child = spawn_logged(home, "learn", "--base-url", server.base_url, "--model", "test-model",
                         "--lessons-dir", str(folder))
    child.expect("Lesson number")  # the menu, with the hostile title
    child.sendline("drift")
    while child.expect([r"Enter: more", r"Enter: choose a world", r"World \(1-"]) < 2:
        child.sendline("")  # the intro, paced, a screen at a time
    child.sendline("sailing")
    child.expect("Enter: takeaways")  # the streamed answer, then its label
    child.sendline("quit")
    raw = read_all(child)
    assert "Start" in raw and "Last" in raw
    assert_terminal(raw)


def test_replays_on_a_terminal(cli, home: Path, server) -> None:  # noqa: ANN001
    server.replies.append(f"## Answer\n\nStart {EVIL} end.\n")
    server.stream_model = f"evil{EVIL}"
    invoke(cli, "learn", "drift", "--theme", "sailing", "--no-input", "--base-url",
           server.base_url, "--model", "test-model")
    for args in (("cache", "show", "1"), ("cache", "list"),
                 ("learn", "drift", "--theme", "sailing", "--no-input", "--offline")):
        raw = read_all(spawn_logged(home, *args))
        assert "test-model" in raw
        assert_terminal(raw)


def test_course_list_progress_and_errors_on_a_terminal(home: Path, server,
                                                       tmp_path: Path) -> None:  # noqa: ANN001
    folder = str(hostile_course(tmp_path))
    for args in (("lessons", "--lessons-dir", folder), ("progress", "--lessons-dir", folder),
                 ("prompt", "drift", "--lessons-dir", folder)):
        raw = read_all(spawn_logged(home, *args))
        assert "Drift" in raw or "drift" in raw
        assert_terminal(raw)
    server.fault = "400"
    server.error_text = f"bad {EVIL} request"
    raw = read_all(spawn_logged(home, "learn", "drift", "--theme", "sailing", "--no-input",
                                "--base-url", server.base_url, "--model", "test-model"))
    assert "HTTP 400" in raw
    assert_terminal(raw)
    server.fault = None
    server.models = [f"evil{EVIL}"]
    raw = read_all(spawn_logged(home, "doctor", "--base-url", server.base_url))
    assert "not offered" in raw
    assert_terminal(raw)


def test_lab_files_are_read_like_every_course_file(tmp_path: Path) -> None:
    """A starter that is huge or a FIFO is refused with a line, not copied or waited on."""
    import os

    import pytest

    from mlops_primer.errors import LessonError
    from mlops_primer.labs import populate

    folder = tmp_path / "course"
    shutil.copytree(builtin_lessons_dir(), folder, ignore=shutil.ignore_patterns("pack"))
    course = load_course(folder)
    lesson = course.get("what-is-mlops")
    starter = folder / "labs" / "what-is-mlops" / "starter" / lesson.lab.files[0]
    starter.write_text("# big\n" * 100_000, encoding="utf-8")
    with pytest.raises(LessonError, match="byte limit"):
        populate(tmp_path / "ws1", lesson, folder, seed=1)
    starter.unlink()
    os.mkfifo(starter)  # a copy would block on it for ever
    with pytest.raises(LessonError, match="regular file"):
        populate(tmp_path / "ws2", lesson, folder, seed=1)
