"""Answer look-ups in a large learner store.

    uv run python benchmarks/store_lookup.py [--answers 10000] [--lookups 1000]

Fills a temporary store (``mlops_primer.store.Store``) with 10,000 answers of ~3 KB,
through the same ``add_answer`` the tutor uses (one transaction each), then reopens it,
as every CLI process does, and times

* ``find(key)``: the cached answer for this model, prompt and settings, and
* ``find_by_messages(hash)``: the newest answer to these messages from any model
  (offline replay),

for 1,000 random existing keys each (median and p95, after 50 warm-up look-ups), plus
1,000 misses for each. Target: <= 5 ms (median and p95 of the hits).

The answers are shaped like a real cache: 8,000 prompts answered by one model, 1,000 of
them regenerated (same key, newer answer: ``find`` must pick the newest), and 1,000
answered again by a second model (same messages hash, other key).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench as b  # noqa: E402

from mlops_primer.llm import answer_key  # noqa: E402
from mlops_primer.prompts import Message, messages_hash  # noqa: E402
from mlops_primer.store import Store  # noqa: E402

TARGET_MS = 5.0
ANSWER_BYTES = 3000
PARAMS = {"temperature": 0.7}
_VOCABULARY = (
    "model data pipeline feature training serving drift monitoring metric version "
    "experiment registry deploy rollback baseline label dataset schema batch latency "
    "the a of to and in is that for it with as on kitchen recipe chef ingredient"
)
_WORDS = _VOCABULARY.split()


def _answer(rng: random.Random) -> str:
    words: list[str] = []
    size = 0
    while size < ANSWER_BYTES:
        w = rng.choice(_WORDS)
        words.append(w)
        size += len(w) + 1
    return " ".join(words)[:ANSWER_BYTES]


def _messages(i: int) -> list[Message]:
    return [
        Message("system", "You are a patient MLOps tutor. Explain with the learner's "
                "chosen metaphor world; keep every fact correct."),
        Message("user", f"Lesson {i % 50}: explain topic #{i} as three short stories set in "
                f"world #{i // 50}. Use headings and a short code example."),
    ]


def fill(store: Store, n: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """Add ``n`` answers; returns the keys and messages hashes that were stored."""
    prompts_n = max(1, n * 8 // 10)
    keys: list[str] = []
    hashes: list[str] = []
    stamp = 1_700_000_000

    def add(i: int, model: str) -> None:
        nonlocal stamp
        msgs = _messages(i)
        key = answer_key(model, msgs, PARAMS)
        mhash = messages_hash(msgs)
        stamp += 7
        store.add_answer(
            key=key, messages_hash=mhash, messages=[m.as_dict() for m in msgs],
            answer=_answer(rng), model=model, finish_reason="stop", lesson_id=f"l{i % 50}",
            theme_id=f"t{i // 50}", theme_label=f"world {i // 50}", host="bench.local",
            prompt_tokens=120, completion_tokens=700, latency_ms=4200,
            created_at=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(stamp)),
        )
        keys.append(key)
        hashes.append(mhash)

    for i in range(prompts_n):
        add(i, "model-a")
    extra = n - prompts_n
    for j in range(extra):
        i = rng.randrange(prompts_n)
        add(i, "model-a" if j % 2 == 0 else "model-b")  # regenerated / another model
    return sorted(set(keys)), sorted(set(hashes))


def _time(fn, args: list[str]) -> list[float]:  # noqa: ANN001
    out: list[float] = []
    for a in args:
        t0 = time.perf_counter()
        fn(a)
        out.append(time.perf_counter() - t0)
    return out


def run(answers: int = 10_000, lookups: int = 1_000) -> list[b.Row]:
    rng = random.Random(11)
    rows: list[b.Row] = []
    with tempfile.TemporaryDirectory(prefix="mlops-bench-store-") as tmp:
        path = Path(tmp) / "primer.db"
        t0 = time.perf_counter()
        with Store(path) as store:
            keys, hashes = fill(store, answers, rng)
            count = store.count_answers()
        fill_s = time.perf_counter() - t0
        size_mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6

        t0 = time.perf_counter()
        store = Store(path)  # a new process opens the store afresh
        open_s = time.perf_counter() - t0
        try:
            t0 = time.perf_counter()
            first = store.find(rng.choice(keys))
            first_s = time.perf_counter() - t0
            assert first is not None
            for k in rng.sample(keys, 50):  # warm-up
                store.find(k)
                store.find_by_messages(rng.choice(hashes))
            key_sample = [rng.choice(keys) for _ in range(lookups)]
            hash_sample = [rng.choice(hashes) for _ in range(lookups)]
            misses = [f"{rng.getrandbits(256):064x}" for _ in range(lookups)]
            results = {
                "find(key)": _time(store.find, key_sample),
                "find_by_messages(hash)": _time(store.find_by_messages, hash_sample),
                "find(key), misses": _time(store.find, misses),
                "find_by_messages, misses": _time(store.find_by_messages, misses),
            }
            # correctness outside the timing: every hit is found, newest first
            for k in key_sample[:100]:
                got = store.find(k)
                assert got is not None and got.key == k
            newest = store._read(  # noqa: SLF001 - a check, not a measurement
                "SELECT key, max(created_at) AS c FROM answers GROUP BY key HAVING count(*) > 1 "
                "LIMIT 20")
            for row in newest:
                got = store.find(row["key"])
                assert got is not None and got.created_at == row["c"], "find() not newest"
            plan = " / ".join(r[-1] for r in store._read(  # noqa: SLF001
                "EXPLAIN QUERY PLAN SELECT * FROM answers WHERE key = ? "
                "ORDER BY created_at DESC, id DESC LIMIT 1", ("x",)))
        finally:
            store.close()

    print(f"store_lookup: {count:,} answers of ~{ANSWER_BYTES / 1000:.0f} KB "
          f"({len(keys):,} keys, {len(hashes):,} message hashes), store {size_mb:.1f} MB")
    print(f"  filled with add_answer in {fill_s:.2f} s ({fill_s / count * 1e3:.2f} ms per "
          f"answer); reopened in {b.ms(open_s)}; first find after opening {b.ms(first_s)}")
    print(f"  query plan of find(): {plan}")
    print(f"  {'lookup':<26}{'n':>6}{'median':>11}{'p95':>11}{'max':>11}  target <= "
          f"{TARGET_MS:.0f} ms")
    for name, ts in results.items():
        med, p95 = b.median(ts), b.percentile(ts, 95)
        hit = "misses" not in name
        ok = med * 1e3 <= TARGET_MS and p95 * 1e3 <= TARGET_MS
        print(f"  {name:<26}{len(ts):>6}{b.ms(med):>11}{b.ms(p95):>11}{b.ms(max(ts)):>11}  "
              f"{b.verdict(ok) if hit else '(info) ' + b.verdict(ok)}")
        if hit:
            rows.append(b.Row(f"store: {name} median / p95", f"{b.ms(med)} / {b.ms(p95)}",
                              f"<= {TARGET_MS:.0f} ms", ok))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--answers", type=int, default=10_000)
    ap.add_argument("--lookups", type=int, default=1_000)
    args = ap.parse_args()
    run(args.answers, args.lookups)


if __name__ == "__main__":
    main()
