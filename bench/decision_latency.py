#!/usr/bin/env python
"""What the rule layer costs per message, apart from the model: the sub-case match and the whole
decision (fuzzy index, excludes, sub-cases, thresholds) over the messages of held-out sets.

  python bench/decision_latency.py [--sets unseen7,unseen8]

The model ranks every message first (not timed); then each message is decided from its ranking.
"""
from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.model import ensure_model  # noqa: E402
from bot.nlu_model import NluModel  # noqa: E402
from bot.text.normalize import normalize  # noqa: E402
from bot.understanding import load_understanding  # noqa: E402


def percentiles(ms: list[float]) -> str:
    ms = sorted(ms)
    return f"p50 {ms[len(ms) // 2]:.2f} ms, p95 {ms[int(len(ms) * 0.95)]:.2f} ms, max {ms[-1]:.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="unseen7,unseen8", help="data/eval/<name>.yml, comma-separated")
    args = parser.parse_args()
    texts = [str(q["text"]) for name in args.sets.split(",") if name
             for q in yaml.safe_load((ROOT / "data" / "eval" / f"{name}.yml").read_text(encoding="utf-8"))["questions"]]
    understanding = load_understanding()
    model = NluModel(ensure_model())
    try:
        rankings = [model.rank(text) for text in texts]
    finally:
        model.close()
    gc.collect()  # the model's garbage would otherwise land on one timed message

    subcases, decisions = [], []
    for text, ranking in zip(texts, rankings):
        started = time.perf_counter()
        normalized = normalize(text)
        understanding.subcases.named_in(normalized)
        understanding.subcases.asked_in(normalized, text)
        subcases.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        understanding.decide(text, ranking)
        decisions.append((time.perf_counter() - started) * 1000)
    print(f"{len(texts)} messages ({args.sets})")
    print(f"  sub-case match (normalize, classes, asks): {percentiles(subcases)}")
    print(f"  whole decision from the ranking:           {percentiles(decisions)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
