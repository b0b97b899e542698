"""Lab: evaluate two prompt versions on a golden set, and decide whether to release v2.

golden.json       the questions, each with its required facts (every fact is a list of
                  accepted wordings) and the claims an answer must never make
outputs_v1.json   the answers the app gave with prompt version 1 (in production now)
outputs_v2.json   the answers with prompt version 2 (the change to ship, or not)

Run it:   python evaluate.py        (writes decision.json)
Check it: mlops-primer lab check llmops
"""

import json
from pathlib import Path


def score(answer, item):
    """From 0.0 to 1.0: the share of item["required"] facts the answer states.

    A fact is stated when ANY of its wordings appears in the answer (ignore upper and
    lower case). An answer containing any item["forbidden"] claim scores 0.0.
    """
    # TODO 1
    raise NotImplementedError


def evaluate(outputs, golden):
    """{"mean": the average score, "scores": {item id: score}} over the golden set.

    outputs maps item ids to answers; a missing answer is scored as "".
    """
    # TODO 2
    raise NotImplementedError


def decide(baseline, candidate):
    """{"release": bool, "regressions": sorted ids}: a regression is a question the
    candidate scores lower than the baseline; release only when there is none."""
    # TODO 3
    raise NotImplementedError


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
