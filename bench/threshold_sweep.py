#!/usr/bin/env python
"""Re-decide dumped rankings under other thresholds, to choose data/decision.yml from evidence.

  python bench/nlu_eval.py --dump /tmp/cv.jsonl      # rankings of every held-out message
  python bench/threshold_sweep.py /tmp/cv.jsonl

The fuzzy signal is left out here (the dump does not hold it), so the figures for the shipped
thresholds are slightly below nlu_eval.py's; compare rows with each other, not with nlu_eval.
"""
from __future__ import annotations

import itertools
import json
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.decision import IntentScore, Signals, decide, load_thresholds  # noqa: E402
from bot.understanding import GENERAL_QUEUE, load_understanding  # noqa: E402
from bot.text.normalize import normalize  # noqa: E402


def main() -> int:
    rows = [json.loads(line) for line in Path(sys.argv[1]).read_text(encoding="utf-8").splitlines()]
    understanding = load_understanding()
    base = load_thresholds()
    signals = [
        Signals(normalize(r["text"]).folded, tuple(IntentScore(n, c) for n, c in r["ranking"]))
        for r in rows
    ]
    print(f"{len(rows)} messages; shipped: answer={base.answer_confidence} margin={base.answer_margin} "
          f"without_keyword={base.confidence_without_keyword}")
    print("answer  margin  no_kw |  faq right  wrong(all)  safe  clarified")
    for answer, margin, no_kw in itertools.product(
        (0.4, 0.5, 0.55, 0.6, 0.7, 0.8), (0.2, 0.3, 0.4), (0.8, 0.85, 0.9, 0.95, 1.01)
    ):
        t = replace(base, answer_confidence=answer, answer_margin=margin, confidence_without_keyword=no_kw)
        faq = right = wrong = safe_n = safe_ok = clarified = 0
        for r, s in zip(rows, signals):
            d = decide(s, understanding.guards, t, GENERAL_QUEUE)
            answered = d.kind == "answer"
            if r["expect"] in ("handoff", "out_of_scope"):
                safe_n += 1
                safe_ok += not answered
                wrong += answered
            elif r["expect"].startswith("smalltalk:"):
                wrong += answered
            else:
                faq += 1
                right += answered and d.faq_id == r["expect"]
                wrong += answered and d.faq_id != r["expect"]
                clarified += d.kind == "clarify"
        print(f"{answer:6.2f}  {margin:6.2f}  {no_kw:5.2f} |  {right / faq:8.3f}  {wrong / len(rows):10.4f}"
              f"  {safe_ok / max(1, safe_n):5.3f}  {clarified / faq:8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
