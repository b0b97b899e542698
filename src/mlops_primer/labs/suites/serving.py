"""Lab of `deployment`: the same model served online (HTTP) and in batch (a CSV job).

The learner's server is started on 127.0.0.1 and a port the tool picked, sent 100
seeded requests and a few bad ones (which must get HTTP 400 while the server keeps
running), then stopped. The batch job scores a fresh file. The timings of both are shown,
and the learner answers which one suits a nightly job.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import random
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from .. import Context, Finding

FEATURES = ("size_m2", "rooms", "age_years")
TOLERANCE = 1e-6
REQUESTS = 100


def _model(rng: random.Random) -> dict:
    return {"intercept": round(rng.uniform(20000, 60000), 2),
            "weights": {"size_m2": round(rng.uniform(1200, 2500), 2),
                        "rooms": round(rng.uniform(3000, 9000), 2),
                        "age_years": round(-rng.uniform(200, 900), 2)}}


def _houses(rng: random.Random, n: int) -> list[dict[str, object]]:
    return [{"house_id": 1 + i, "size_m2": round(rng.uniform(25, 240), 1),
             "rooms": rng.randint(1, 7), "age_years": rng.randint(0, 90)} for i in range(n)]


def _predict(model: dict, row: dict) -> float:
    return model["intercept"] + sum(model["weights"][f] * float(row[f]) for f in FEATURES)


def _csv(rows: list[dict[str, object]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=("house_id", *FEATURES), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def generate(workspace: Path, seed: int) -> None:
    """model.json (a linear model) and data/houses.csv to score."""
    rng = random.Random(seed)
    (workspace / "model.json").write_text(json.dumps(_model(rng), indent=2) + "\n",
                                          encoding="utf-8")
    data = workspace / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "houses.csv").write_text(_csv(_houses(rng, 200)), encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(port: int, method: str, path: str, body: bytes | None = None,
             timeout: float = 3.0) -> tuple[int, object]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        raw = resp.read(1 << 16)
        try:
            return resp.status, json.loads(raw)
        except ValueError:
            return resp.status, raw[:60]
    finally:
        conn.close()


def _health(port: int) -> int | None:
    """The status GET /health answers, or None when nothing answers."""
    try:
        return _request(port, "GET", "/health", timeout=0.5)[0]
    except OSError:
        return None


def check(ctx: Context) -> Iterator[Finding]:
    """The server on fresh requests, bad requests, the batch job, and the answer."""
    model = json.loads((ctx.workspace / "model.json").read_text(encoding="utf-8"))
    houses = _houses(ctx.rng, REQUESTS)
    port = _free_port()
    online_ms = None
    try:
        with ctx.server("serve.py", [str(port)], ready=lambda: _health(port) is not None,
                        timeout=8):
            status = _health(port)
            yield Finding("GET /health answers 200", status == 200, expected="200",
                          found=str(status))
            online_ms, finding = _online(port, model, houses)
            yield finding
            yield from _bad_requests(port)
    except Exception as exc:  # LabCodeError, or the server died mid-way
        from ..runner import LabCodeError

        if not isinstance(exc, (LabCodeError, OSError)):
            raise
        line = exc.one_line() if isinstance(exc, LabCodeError) else f"{type(exc).__name__}"
        yield Finding("GET /health answers 200", False, expected="200 from serve.py",
                      found=line)
    batch_ms, finding = _batch(ctx, model)
    yield finding
    if online_ms is not None and batch_ms is not None:
        yield Finding(f"timings: {online_ms / REQUESTS:.2f} ms a request one at a time, "
                      f"{batch_ms / 1000:.3f} ms a row in batch", True)
    yield _answer(ctx.workspace)


def _online(port: int, model: dict, houses: list[dict]) -> tuple[float | None, Finding]:
    name = f"{REQUESTS} requests to POST /predict match the model"
    start = time.perf_counter()
    for row in houses:
        body = json.dumps({f: row[f] for f in FEATURES}).encode()
        try:
            status, reply = _request(port, "POST", "/predict", body)
        except OSError as exc:
            return None, Finding(name, False, expected="an answer",
                                 found=f"the connection failed ({type(exc).__name__})")
        want = _predict(model, row)
        got = reply.get("prediction") if isinstance(reply, dict) else None
        if status != 200 or not isinstance(got, (int, float)) or abs(got - want) > TOLERANCE * (
            max(1.0, abs(want))
        ):
            sent = json.dumps({f: row[f] for f in FEATURES})
            return None, Finding(name, False, expected=f'200 {{"prediction": {want:.2f}}} for '
                                 f"{sent}", found=f"{status} {_shown(reply)}")
    elapsed = (time.perf_counter() - start) * 1000
    return elapsed, Finding(name, True)


def _shown(reply: object) -> str:
    text = json.dumps(reply) if isinstance(reply, (dict, list)) else repr(reply)
    return text[:60]


def _bad_requests(port: int) -> Iterator[Finding]:
    cases = (("a body that is not JSON gets 400", b"{size_m2: 80,"),
             ("a request missing a feature gets 400", b'{"size_m2": 80}'))
    for name, body in cases:
        try:
            status, reply = _request(port, "POST", "/predict", body)
        except OSError as exc:
            yield Finding(name, False, expected="400", found=f"no answer ({type(exc).__name__})")
            continue
        if status == 400:
            yield Finding(name, True)
        else:
            yield Finding(name, False, expected="400", found=f"{status} {_shown(reply)}")
    if _health(port) is None:
        yield Finding("the server keeps running after bad requests", False,
                      expected="an answer to GET /health", found="no answer")


def _batch(ctx: Context, model: dict) -> tuple[float | None, Finding]:
    name = "batch.py scores every row of a file"
    rows = _houses(ctx.rng, 1000)
    src, dst = ctx.scratch / "houses.csv", ctx.scratch / "predictions.csv"
    src.write_text(_csv(rows), encoding="utf-8")
    start = time.perf_counter()
    result = ctx.script("batch.py", [str(src), str(dst)], timeout=20)
    elapsed = (time.perf_counter() - start) * 1000
    if result.exit != 0:
        return None, Finding(name, False, expected="exit 0",
                             found=f"exit {result.exit}" + (f": {result.error}"
                                                            if result.error else ""),
                             todo=bool(result.error and "TODO" in result.error))
    try:
        with dst.open(newline="", encoding="utf-8") as fh:
            got = list(csv.DictReader(fh))
    except OSError:
        return None, Finding(name, False, expected="the output file", found="none written")
    if len(got) != len(rows):
        return None, Finding(name, False, expected=f"{len(rows)} rows",
                             found=f"{len(got)} rows")
    for want_row, got_row in zip(rows, got, strict=True):
        want = _predict(model, want_row)
        try:
            ok = (str(got_row.get("house_id")) == str(want_row["house_id"])
                  and abs(float(got_row["prediction"]) - want) <= TOLERANCE * max(1, abs(want)))
        except (KeyError, TypeError, ValueError):
            ok = False
        if not ok:
            return None, Finding(name, False, found=json.dumps(got_row)[:60],
                                 expected=f"house_id {want_row['house_id']}, prediction "
                                 f"{want:.2f}")
    return elapsed, Finding(name, True)


def _answer(workspace: Path) -> Finding:
    name = "answer.json: which way suits a nightly job"
    try:
        answer = json.loads((workspace / "answer.json").read_text(encoding="utf-8"))
        choice = str(answer.get("nightly_job", "")).strip().lower()
    except (OSError, ValueError, AttributeError):
        return Finding(name, False, expected="answer.json as in the starter",
                       found="it cannot be read")
    if choice.startswith("todo") or not choice:
        return Finding(name, False, expected="your answer in place of TODO", found=repr(choice),
                       todo=True)
    if choice != "batch":
        return Finding(name, False, expected="the way with the lower cost per row, when no one "
                       "waits for the answer", found=repr(choice))
    return Finding(name, True)
