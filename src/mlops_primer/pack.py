"""Answer packs: the offline answers that ship with a course, and portable JSONL packs.

A course's own pack is a folder of Markdown files, ``pack/<lesson>/<theme>.md``, each
with a front matter naming the hash of the exact prompt it answers: when a template or
a lesson's wording changes, ``pack check`` shows the answer as stale instead of letting
it silently answer a question nobody asks any more.

A portable pack is JSON Lines, one answer a line, made by ``cache export`` or
``pack build`` and read by ``cache import``. It holds prompts, answers, model and
dates: never a key.
"""

from __future__ import annotations

import json
import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import prompts
from .errors import LLMError, PackError, PrimerError
from .lessons import Course, FileProblem, Lesson, Theme, parse_yaml, read_text, yaml_problem
from .prompts import Message

PACK_AUTHOR = "mlops-primer course authors"
RECORD_FORMAT = "mlops-primer/answer@1"
MAX_PACK_BYTES = 64 * 1024 * 1024
MAX_RECORD_BYTES = 1024 * 1024
MAX_PACK_ANSWER_BYTES = 64 * 1024
ROLES = {"system", "user", "assistant"}


@dataclass(frozen=True)
class PackAnswer:
    """An answer from a course's own offline pack."""

    lesson_id: str
    theme_id: str
    prompt_hash: str
    author: str
    date: str
    text: str
    path: Path


def answer_path(course: Course, lesson: Lesson, theme: Theme) -> Path:
    """Where the pack answer for this lesson and theme lives."""
    return course.pack_dir / lesson.id / f"{theme.id}.md"


def _split_front_matter(raw: str, path: Path) -> tuple[dict[str, Any], str]:
    if not raw.startswith("---\n"):
        raise PackError(f"{path}: no front matter (the file must start with a '---' line)")
    end = raw.find("\n---\n", 4)
    if end < 0:
        raise PackError(f"{path}: the front matter is not closed by a '---' line")
    try:
        meta = parse_yaml(raw[4:end], max_chars=MAX_PACK_ANSWER_BYTES) or {}
    except Exception as exc:  # noqa: BLE001 - any YAML failure is one line about the file
        problem = yaml_problem(exc, first_line=2)  # the front matter starts on line 2
        raise PackError(f"{path}: invalid front matter: {problem}") from None
    if not isinstance(meta, dict):
        raise PackError(f"{path}: the front matter must be a mapping")
    return meta, raw[end + 5 :].strip() + "\n"


def read_pack_answer(path: Path, *, root: Path | None = None) -> PackAnswer:
    """Read one pack answer file, raising PackError on anything malformed.

    Like every course file it must be a regular file inside ``root``, the course folder
    (by default the folder above ``pack/``), within its size limit.
    """
    try:
        raw = read_text(path, root=root or path.parent.parent.parent,
                        max_bytes=MAX_PACK_ANSWER_BYTES)
    except FileProblem as exc:
        raise PackError(f"{path}: {exc.problem.message}") from None
    meta, body = _split_front_matter(raw, path)
    missing = [k for k in ("lesson", "theme", "author", "date") if not meta.get(k)]
    if missing:
        raise PackError(f"{path}: front matter lacks {', '.join(missing)}")
    return PackAnswer(
        lesson_id=str(meta["lesson"]),
        theme_id=str(meta["theme"]),
        prompt_hash=str(meta.get("prompt_hash") or ""),
        author=str(meta["author"]),
        date=str(meta["date"]),
        text=body,
        path=path,
    )


def find_pack_answer(course: Course, lesson: Lesson, theme: Theme, messages_hash: str) -> (
    PackAnswer | None
):
    """The pack's answer to exactly these messages, or None (missing, stale or unreadable)."""
    path = answer_path(course, lesson, theme)
    if not path.is_file():
        return None
    try:
        answer = read_pack_answer(path, root=course.folder)
    except PackError:
        return None
    return answer if answer.prompt_hash == messages_hash else None


@dataclass(frozen=True)
class PackIssue:
    """One thing wrong with a course's pack."""

    kind: str  # missing | stale | invalid | unexpected
    path: Path
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}: {self.detail}"


def check(course: Course) -> list[PackIssue]:
    """Missing, stale, invalid and unexpected answers in the course's pack."""
    issues: list[PackIssue] = []
    expected: set[Path] = set()
    for lesson in course.lessons:
        for theme in lesson.themes:
            path = answer_path(course, lesson, theme)
            expected.add(path)
            want = prompts.messages_hash(prompts.render(course, lesson, theme))
            if not os.path.lexists(path):  # a FIFO or a link out is "invalid", not missing
                issues.append(PackIssue("missing", path, f"no answer for {lesson.id} x {theme.id}"))
                continue
            try:
                answer = read_pack_answer(path, root=course.folder)
            except PackError as exc:
                issues.append(PackIssue("invalid", path, exc.message.split(": ", 1)[-1]))
                continue
            if (answer.lesson_id, answer.theme_id) != (lesson.id, theme.id):
                issues.append(
                    PackIssue("invalid", path, f"front matter names {answer.lesson_id} x "
                              f"{answer.theme_id}")
                )
            elif answer.prompt_hash != want:
                issues.append(
                    PackIssue(
                        "stale",
                        path,
                        "the prompt changed since this answer was written; re-read it against "
                        "the new prompt, then run `mlops-primer pack stamp`",
                    )
                )
    if course.pack_dir.is_dir():
        for path in sorted(course.pack_dir.glob("*/*.md")):
            if path not in expected:
                issues.append(PackIssue("unexpected", path, "no lesson x theme asks for it"))
    return issues


def stamp(course: Course, *, lesson_id: str | None = None) -> list[Path]:
    """Record the current prompt hash in pack answers (after an author re-read them)."""
    changed: list[Path] = []
    for lesson in course.lessons:
        if lesson_id and lesson.id != lesson_id:
            continue
        for theme in lesson.themes:
            path = answer_path(course, lesson, theme)
            if not path.is_file():
                continue
            answer = read_pack_answer(path, root=course.folder)
            want = prompts.messages_hash(prompts.render(course, lesson, theme))
            if answer.prompt_hash == want:
                continue
            head = (
                f"---\nlesson: {lesson.id}\ntheme: {theme.id}\nprompt_hash: {want}\n"
                f"author: {answer.author}\ndate: {answer.date}\n---\n\n"
            )
            path.write_text(head + answer.text, encoding="utf-8")
            changed.append(path)
    return changed


# -- portable JSONL packs --------------------------------------------------------------


def record(
    *,
    messages: list[dict[str, str]],
    answer: str,
    model: str,
    created_at: str,
    kind: str = "lesson",
    lesson_id: str | None = None,
    theme_id: str | None = None,
    theme_label: str | None = None,
    params: dict[str, Any] | None = None,
    finish_reason: str = "stop",
    host: str | None = None,
    prompt_tokens: int | None = None,
    completion_tokens: int | None = None,
    latency_ms: int | None = None,
) -> dict[str, Any]:
    """One portable pack record (no secrets: there is no field that could hold one)."""
    msgs = [Message(m["role"], m["content"]) for m in messages]
    return {
        "format": RECORD_FORMAT,
        "kind": kind,
        "lesson_id": lesson_id,
        "theme_id": theme_id,
        "theme_label": theme_label,
        "messages": messages,
        "messages_hash": prompts.messages_hash(msgs),
        "params": params or {},
        "answer": answer,
        "model": model,
        "host": host,
        "finish_reason": finish_reason,
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "latency_ms": latency_ms,
        "created_at": created_at,
    }


@dataclass(frozen=True)
class Rejected:
    """A pack line that could not be imported, and why."""

    line: int
    reason: str


def _check_record(obj: Any) -> dict[str, Any]:
    """Validate one decoded record, returning it or raising ValueError with the reason."""
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    if obj.get("format") != RECORD_FORMAT:
        raise ValueError(f"format is not {RECORD_FORMAT!r}")
    msgs = obj.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise ValueError("messages must be a non-empty list")
    for m in msgs:
        role = m.get("role") if isinstance(m, dict) else None
        if not (isinstance(role, str) and role in ROLES and isinstance(m.get("content"), str)):
            raise ValueError("each message needs a role (system/user/assistant) and text content")
    for name in ("answer", "model", "created_at"):
        if not isinstance(obj.get(name), str) or not obj[name].strip():
            raise ValueError(f"{name} must be non-empty text")
    if len(obj["answer"]) > 200_000:
        raise ValueError("answer is over 200,000 characters")
    for name in ("lesson_id", "theme_id", "theme_label", "host", "finish_reason"):
        if obj.get(name) is not None and not isinstance(obj[name], str):
            raise ValueError(f"{name} must be text")
    for name in ("prompt_tokens", "completion_tokens", "latency_ms"):
        value = obj.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{name} must be a whole number")
        if value is not None and not -(2**63) <= value < 2**63:  # SQLite's INTEGER range
            raise ValueError(f"{name} is out of range")
    if obj.get("kind", "lesson") not in ("lesson", "followup"):
        raise ValueError("kind must be 'lesson' or 'followup'")
    if not isinstance(obj.get("params", {}), dict):
        raise ValueError("params must be an object")
    want = prompts.messages_hash([Message(m["role"], m["content"]) for m in msgs])
    if obj.get("messages_hash") != want:
        raise ValueError("messages_hash does not match the messages (edited or damaged)")
    return obj


def read_records(path: Path) -> Iterator[tuple[int, dict[str, Any] | Rejected]]:
    """Each line of a JSONL pack: the validated record, or why it was rejected."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise PackError(f"cannot read pack {path}: {exc.strerror}") from None
    if size > MAX_PACK_BYTES:
        raise PackError(
            f"pack {path} is {size:,} bytes, over the {MAX_PACK_BYTES:,}-byte limit; refused"
        )
    try:
        fh = path.open("rb")  # a folder passes stat() and fails here
    except OSError as exc:
        raise PackError(f"cannot read pack {path}: {exc.strerror}") from None
    with fh:
        yield from _records(fh, path)


def _records(fh: Any, path: Path) -> Iterator[tuple[int, dict[str, Any] | Rejected]]:
    """The lines of an open pack, read in bounded pieces (stat() can lie, as in /proc)."""
    total = 0
    number = 0
    while True:
        try:
            raw = fh.readline(MAX_RECORD_BYTES + 1)
        except OSError as exc:
            raise PackError(f"cannot read pack {path}: {exc.strerror}") from None
        if not raw:
            return
        number += 1
        total += len(raw)
        if total > MAX_PACK_BYTES:
            raise PackError(f"pack {path} is over the {MAX_PACK_BYTES:,}-byte limit; refused")
        if len(raw) > MAX_RECORD_BYTES:
            yield number, Rejected(number, "line is over 1 MiB")
            while raw and not raw.endswith(b"\n"):  # skip the rest of that line
                raw = fh.readline(MAX_RECORD_BYTES + 1)
                total += len(raw)
            continue
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw.decode("utf-8"))
            yield number, _check_record(obj)
        except UnicodeDecodeError:
            yield number, Rejected(number, "not UTF-8 text")
        except json.JSONDecodeError as exc:
            yield number, Rejected(number, f"not JSON ({exc.msg})")
        except (ValueError, RecursionError) as exc:
            yield number, Rejected(number, str(exc))


def append_record(path: Path, rec: dict[str, Any]) -> None:
    """Append one record and make it durable, so an interrupted build resumes cleanly."""
    line = json.dumps(rec, ensure_ascii=False) + "\n"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


@dataclass(frozen=True)
class BuildJob:
    """One lesson x theme to answer."""

    lesson: Lesson
    theme: Theme
    messages: list[Message]


def build_jobs(course: Course, output: Path) -> tuple[list[BuildJob], int]:
    """Jobs still to do for a full pack, and how many the output already holds."""
    have: set[str] = set()
    if output.exists():
        for _, rec in read_records(output):
            if isinstance(rec, dict):
                have.add(rec["messages_hash"])
    jobs, kept = [], 0
    for lesson in course.lessons:
        for theme in lesson.themes:
            messages = prompts.render(course, lesson, theme)
            if prompts.messages_hash(messages) in have:
                kept += 1
            else:
                jobs.append(BuildJob(lesson, theme, messages))
    return jobs, kept


@dataclass
class BuildResult:
    """What a build did besides writing answers: failures, and the retries it made."""

    failures: int = 0
    #: answers cut off while other requests were in flight, asked again one at a time
    one_at_a_time: int = 0
    #: answers that stopped at the length limit and were asked again
    length_retries: int = 0


MAX_BUILD_RETRIES = 3  # a job asked more often than this fails with its last error


class _Retry(Exception):
    """A job to ask again (internal to ``build``)."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why  # "crowded" | "length"


def build(
    jobs: list[BuildJob],
    output: Path,
    provider_factory: Callable[[], Any],
    *,
    concurrency: int,
    created_at: str,
    on_done: Callable[[BuildJob, PrimerError | None], None],
) -> BuildResult:
    """Answer every job, ``concurrency`` at a time; each answer is appended as it completes.

    Two kinds of answer are never written, and asked again:

    - one that stopped at the length limit (finish reason ``length``): asked once more,
      and reported as a failure if it stops there again;
    - one cut off (the stream ended or broke without a finish reason) while other
      requests were in flight. Some servers answer one request at a time and end the
      running stream when another arrives (llama-cpp-python's does): from the first
      such cut on, the build goes on one request at a time, and the cut answers are
      asked again then.

    ``on_done`` is called in the calling thread, once per job that ended (answered or
    failed; jobs dropped because the server cannot be reached are not reported).
    """
    lock = threading.Condition()
    todo: deque[tuple[int, BuildJob, int]] = deque((i, job, 0) for i, job in enumerate(jobs))
    results: queue.Queue[tuple[BuildJob, BaseException | None] | None] = queue.Queue()
    running: set[int] = set()
    crowded: set[int] = set()
    length_tried: set[int] = set()
    state = {"busy": 0, "serial": False, "stop": False}
    outcome = BuildResult()

    def take(worker: int) -> tuple[int, BuildJob, int] | None:
        with lock:
            while True:
                if state["stop"] or (state["serial"] and worker != 0):
                    return None
                if todo:
                    state["busy"] += 1
                    return todo.popleft()
                if not state["busy"]:
                    lock.notify_all()
                    return None
                lock.wait(0.2)

    def answer(provider: Any, index: int, job: BuildJob, tries: int) -> None:
        with lock:
            if running:  # everyone in flight now shares the server with someone
                crowded.update(running)
                crowded.add(index)
            running.add(index)
        try:
            ans = provider.stream(job.messages, lambda _t: None)
        except LLMError as exc:
            if exc.midstream and index in crowded and tries < MAX_BUILD_RETRIES:
                raise _Retry("crowded") from exc
            raise
        finally:
            with lock:
                running.discard(index)
                crowded.discard(index)
        if ans.finish_reason == "length":
            if index not in length_tried:
                length_tried.add(index)
                raise _Retry("length")
            raise LLMError(
                "the answer reached the length limit twice, and was not written",
                hint="raise the limit with --max-tokens (e.g. 3000)",
            )
        rec = record(
            messages=[m.as_dict() for m in job.messages],
            answer=ans.text,
            model=ans.model,
            host=ans.host,
            created_at=created_at,
            lesson_id=job.lesson.id,
            theme_id=job.theme.id,
            theme_label=job.theme.label,
            params=provider.params(),
            finish_reason=ans.finish_reason,
            prompt_tokens=ans.prompt_tokens,
            completion_tokens=ans.completion_tokens,
            latency_ms=ans.latency_ms,
        )
        with lock:
            append_record(output, rec)

    def work(worker: int) -> None:
        provider = None
        while True:
            item = take(worker)
            if item is None:
                return
            index, job, tries = item
            try:
                if provider is None:
                    provider = provider_factory()
                answer(provider, index, job, tries)
                results.put((job, None))
            except _Retry as retry:
                with lock:
                    if retry.why == "crowded":
                        state["serial"] = True
                        outcome.one_at_a_time += 1
                    else:
                        outcome.length_retries += 1
                    todo.append((index, job, tries + 1))
            except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
                if getattr(exc, "unreachable", False):
                    with lock:  # no server: the other jobs would only fail the same way
                        state["stop"] = True
                results.put((job, exc))
            finally:
                with lock:
                    state["busy"] -= 1
                    lock.notify_all()

    output.parent.mkdir(parents=True, exist_ok=True)
    threads = [threading.Thread(target=work, args=(n,), name=f"pack-build-{n}", daemon=True)
               for n in range(max(1, concurrency))]
    for t in threads:
        t.start()
    while True:
        try:
            item = results.get(timeout=0.1)
        except queue.Empty:
            if not any(t.is_alive() for t in threads) and results.empty():
                break
            continue
        assert item is not None
        job, exc = item
        if exc is not None and not isinstance(exc, PrimerError):
            with lock:
                state["stop"] = True
            raise exc
        if exc is not None:
            outcome.failures += 1
        on_done(job, exc)  # type: ignore[arg-type]
    return outcome


@dataclass
class ImportResult:
    """What an import did: added, already present, and rejected with reasons."""

    added: int = 0
    present: int = 0
    rejected: list[Rejected] | None = None

    def __post_init__(self) -> None:
        self.rejected = self.rejected or []


def import_pack(store: Any, path: Path) -> ImportResult:
    """Check every record of a JSONL pack and store the good ones (only into the store)."""
    from .llm import answer_key

    result = ImportResult()
    assert result.rejected is not None
    for number, rec in read_records(path):
        if isinstance(rec, Rejected):
            result.rejected.append(rec)
            continue
        msgs = [Message(m["role"], m["content"]) for m in rec["messages"]]
        try:
            _, new = store.add_answer(
                key=answer_key(rec["model"], msgs, rec.get("params") or {}),
                messages_hash=rec["messages_hash"],
                messages=rec["messages"],
                answer=rec["answer"],
                model=rec["model"],
                finish_reason=rec.get("finish_reason") or "stop",
                kind=rec.get("kind") or "lesson",
                lesson_id=rec.get("lesson_id"),
                theme_id=rec.get("theme_id"),
                theme_label=rec.get("theme_label"),
                host=rec.get("host"),
                source="import",
                prompt_tokens=rec.get("prompt_tokens"),
                completion_tokens=rec.get("completion_tokens"),
                latency_ms=rec.get("latency_ms"),
                created_at=rec["created_at"],
            )
        except (TypeError, ValueError) as exc:
            result.rejected.append(Rejected(number, str(exc)))
            continue
        if new:
            result.added += 1
        else:
            result.present += 1
    return result
