"""Lab: evaluate two prompt versions on a golden set, and decide the release (reference)."""

import json
from pathlib import Path


def score(answer, item):
    text = answer.lower()
    if any(bad.lower() in text for bad in item["forbidden"]):
        return 0.0
    found = sum(any(w.lower() in text for w in wordings) for wordings in item["required"])
    return found / len(item["required"])


def evaluate(outputs, golden):
    scores = {item["id"]: score(outputs.get(item["id"], ""), item) for item in golden}
    return {"mean": sum(scores.values()) / len(scores), "scores": scores}


def decide(baseline, candidate):
    regressions = sorted(k for k, v in baseline["scores"].items()
                         if candidate["scores"].get(k, 0.0) < v)
    return {"release": not regressions, "regressions": regressions}


def main():
    golden = json.loads(Path("golden.json").read_text())
    v1 = evaluate(json.loads(Path("outputs_v1.json").read_text()), golden)
    v2 = evaluate(json.loads(Path("outputs_v2.json").read_text()), golden)
    decision = decide(v1, v2)
    Path("decision.json").write_text(json.dumps(decision, indent=2) + "\n")
    print(f"prompt v1: mean score {v1['mean']:.2f}")
    print(f"prompt v2: mean score {v2['mean']:.2f}")
    verdict = "release" if decision["release"] else "do not release"
    print(f"decision: {verdict}; regressions: {', '.join(decision['regressions']) or 'none'}")


if __name__ == "__main__":
    main()
