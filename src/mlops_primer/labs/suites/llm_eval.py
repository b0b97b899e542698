"""Lab of `llmops`: a golden-set evaluation that blocks a prompt change with a regression.

An LLM's answer is never the same string twice, so it is scored by what it must contain
(required facts, each accepted in a few wordings) and must not contain (forbidden
claims). Two prompt versions are scored on the same golden set; version 2 reads well but
dropped facts on some questions, and the release must be refused.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

from .. import Context, Finding

TOLERANCE = 1e-9
FORBIDDEN = ["guaranteed", "always identical", "100% accurate"]
#: question, then each required fact as (accepted wordings, a sentence that states it)
POOL = [
    ("What does the Population Stability Index compare?", [
        (["distribution"], "It compares how the values of a feature are spread, its "
         "distribution, in live data."),
        (["reference", "training data"], "The comparison is against a reference sample, "
         "usually the training data."),
    ]),
    ("Why should a team version its data?", [
        (["reproduc"], "So that a run can be reproduced later from the same inputs."),
        (["hash", "fingerprint"], "A content hash pins the exact bytes of each version."),
    ]),
    ("What is a canary release?", [
        (["small share", "small fraction", "few users"], "The new model first serves a "
         "small share of the traffic."),
        (["roll back", "rollback"], "If its metrics look worse, the team can roll back "
         "quickly."),
    ]),
    ("What is concept drift?", [
        (["relationship", "p(y|x)"], "The relationship between inputs and the right answer "
         "changes."),
        (["inputs may look", "same inputs", "look unchanged"], "The inputs may look "
         "unchanged while the answers they call for are different."),
    ]),
    ("Why keep a golden set for an LLM app?", [
        (["same questions", "fixed set"], "It asks the same questions before and after every "
         "change."),
        (["compare", "regression"], "Scores are compared so a regression is caught before "
         "users see it."),
    ]),
    ("What is prompt injection?", [
        (["instructions"], "Text smuggles in instructions that try to override the app's "
         "own."),
        (["untrusted", "user input", "retrieved"], "It arrives through untrusted text such as "
         "user input or retrieved documents."),
    ]),
    ("When is batch inference the better choice?", [
        (["scheduled", "nightly"], "When predictions can be made on a schedule, such as a "
         "nightly job."),
        (["latency", "waiting"], "Nobody is waiting, so latency matters less than cost per "
         "prediction."),
    ]),
    ("What must a training run record to be reproducible?", [
        (["code"], "The version of the code."),
        (["data"], "The version of the data."),
        (["parameter"], "The parameters it was given."),
        (["seed"], "The random seed, and the package versions of the environment."),
    ]),
]
FILLER = ["Good question.", "Here is the short version.", "Happy to help.", ""]


def _golden(rng: random.Random, n: int) -> list[dict]:
    picked = rng.sample(range(len(POOL)), n)
    return [{"id": f"q{i + 1}", "question": POOL[p][0],
             "required": [wordings for wordings, _ in POOL[p][1]], "forbidden": FORBIDDEN,
             "_pool": p} for i, p in enumerate(picked)]


def _answer(rng: random.Random, item: dict, keep: list[bool], *, bad: bool = False) -> str:
    facts = POOL[item["_pool"]][1]
    parts = [rng.choice(FILLER)] + [sentence for (_, sentence), k in zip(facts, keep,
                                                                         strict=True) if k]
    if not any(keep):
        parts.append("It depends on the situation, and every team does it its own way.")
    if bad:
        parts.append(f"The result is {rng.choice(FORBIDDEN)}.")
    return " ".join(p for p in parts if p)


def _public(golden: list[dict]) -> list[dict]:
    return [{k: v for k, v in item.items() if not k.startswith("_")} for item in golden]


def score(answer: str, item: dict) -> float:
    text = answer.lower()
    if any(bad.lower() in text for bad in item["forbidden"]):
        return 0.0
    found = sum(any(w.lower() in text for w in wordings) for wordings in item["required"])
    return found / len(item["required"])


def evaluate(outputs: dict, golden: list[dict]) -> dict:
    scores = {item["id"]: score(outputs.get(item["id"], ""), item) for item in golden}
    return {"mean": sum(scores.values()) / len(scores), "scores": scores}


def decide(baseline: dict, candidate: dict) -> dict:
    regressions = sorted(k for k, v in baseline["scores"].items()
                         if candidate["scores"].get(k, 0.0) < v)
    return {"release": not regressions, "regressions": regressions}


def make_versions(rng: random.Random) -> tuple[list[dict], dict, dict]:
    """A golden set, outputs of prompt v1 (good) and v2 (regressed on some questions)."""
    golden = _golden(rng, rng.randint(6, 8))
    v1, v2 = {}, {}
    worse = set(rng.sample([g["id"] for g in golden], k=rng.randint(1, 2)))
    bad = rng.choice([g["id"] for g in golden if g["id"] not in worse])
    for item in golden:
        n = len(item["required"])
        keep1 = [True] * n
        if rng.random() < 0.3:  # v1 is good, not perfect
            keep1[rng.randrange(n)] = False
        v1[item["id"]] = _answer(rng, item, keep1)
        keep2 = list(keep1)
        if item["id"] in worse:
            keep2 = [False] * n if not any(keep1[1:]) else [keep1[0], *([False] * (n - 1))]
            if keep2 == keep1:
                keep2 = [False] * n
        v2[item["id"]] = _answer(rng, item, keep2, bad=item["id"] == bad)
    return golden, v1, v2


def generate(workspace: Path, seed: int) -> None:
    """golden.json, and the canned outputs of two prompt versions."""
    golden, v1, v2 = make_versions(random.Random(seed))
    for name, data in (("golden.json", _public(golden)), ("outputs_v1.json", v1),
                       ("outputs_v2.json", v2)):
        (workspace / name).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _num(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, (int, float)) else repr(value)[:50]


def check(ctx: Context) -> Iterator[Finding]:
    """score, evaluate and decide on fresh golden sets; then the learner's own decision."""
    golden, v1, v2 = make_versions(ctx.rng)
    public = _public(golden)
    pairs = [(v1[g["id"]], g) for g in public] + [(v2[g["id"]], g) for g in public]
    r1, r2 = evaluate(v1, public), evaluate(v2, public)
    better = dict(v2)
    better.update(v1)  # a candidate at least as good everywhere
    calls = [("score", (a, g)) for a, g in pairs]
    calls += [("evaluate", (v1, public)), ("evaluate", (v2, public)),
              ("decide", (r1, r2)), ("decide", (r1, evaluate(better, public)))]
    out = ctx.call("evaluate.py", calls)
    scores, (e1, e2, d_bad, d_ok) = out[:len(pairs)], out[len(pairs):]

    wrong = next(((a, g, o) for (a, g), o in zip(pairs, scores, strict=True)
                  if not o.ok or not isinstance(o.value, (int, float))
                  or abs(o.value - score(a, g)) > TOLERANCE), None)
    if wrong is None:
        yield Finding(f"score() matches the reference on {len(pairs)} answers", True)
    else:
        a, g, o = wrong
        yield Finding(f"score() for {g['id']} ({g['question']})", False, todo=o.todo,
                      expected=_num(score(a, g)), found=o.error or _num(o.value))

    for label, got, want in (("evaluate() of prompt v1", e1, r1),
                             ("evaluate() of prompt v2", e2, r2)):
        mean = got.value.get("mean") if got.ok and isinstance(got.value, dict) else None
        if isinstance(mean, (int, float)) and abs(mean - want["mean"]) <= TOLERANCE:
            yield Finding(label, True)
        else:
            yield Finding(label, False, expected=f"mean {want['mean']:.4f}", todo=got.todo,
                          found=got.error or f"mean {_num(mean)}")

    want_bad = decide(r1, r2)
    got = d_bad.value if d_bad.ok and isinstance(d_bad.value, dict) else {}
    label = "decide() refuses a release with a regression"
    if got.get("release") is False and sorted(got.get("regressions", [])) == \
            want_bad["regressions"]:
        yield Finding(label, True)
    else:
        yield Finding(label, False, todo=d_bad.todo,
                      expected=f'release false, regressions {want_bad["regressions"]}',
                      found=d_bad.error or json.dumps(got)[:70])
    got = d_ok.value if d_ok.ok and isinstance(d_ok.value, dict) else {}
    label = "decide() releases a change that is as good or better"
    if got.get("release") is True:
        yield Finding(label, True)
    else:
        yield Finding(label, False, expected="release true", todo=d_ok.todo,
                      found=d_ok.error or json.dumps(got)[:70])
    yield from _own_decision(ctx)


def _own_decision(ctx: Context) -> Iterator[Finding]:
    ws = ctx.workspace
    label = "python evaluate.py refuses to release prompt v2"
    result = ctx.script("evaluate.py")
    if result.exit != 0:
        yield Finding(label, False, expected="exit 0", todo=bool(result.error and "TODO"
                                                                 in result.error),
                      found=f"exit {result.exit}" + (f": {result.error}" if result.error
                                                     else ""))
        return
    try:
        golden = json.loads((ws / "golden.json").read_text(encoding="utf-8"))
        v1 = json.loads((ws / "outputs_v1.json").read_text(encoding="utf-8"))
        v2 = json.loads((ws / "outputs_v2.json").read_text(encoding="utf-8"))
        got = json.loads((ws / "decision.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        yield Finding(label, False, expected="decision.json",
                      found=f"it cannot be read ({type(exc).__name__})")
        return
    want = decide(evaluate(v1, golden), evaluate(v2, golden))
    if isinstance(got, dict) and got.get("release") is False and sorted(
        got.get("regressions", [])
    ) == want["regressions"]:
        yield Finding(label, True)
    else:
        yield Finding(label, False, expected=f'release false, regressions {want["regressions"]}',
                      found=json.dumps(got)[:70])
