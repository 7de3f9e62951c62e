#!/usr/bin/env python
"""Re-decide dumped rankings with other thresholds, without retraining: what data/decision.yml's
values trade between answering and answering wrongly, set by set.

  python bench/nlu_eval.py --systems ours --dump /tmp/rankings.jsonl
  python bench/threshold_sweep.py /tmp/rankings.jsonl [--set answer.confidence_without_keyword=0.8 ...]

Each --set is one variant (dotted key = value; several keys in one variant separated by commas),
printed beside the current thresholds. The held-out sets are re-decided with the fuzzy signal, as
the bot decides; the cross-validation folds without it (each fold had its own knowledge base),
so compare their columns with each other, not with nlu_eval's figures.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.nlu_eval import Example, Prediction, print_table, score  # noqa: E402
from bot import paths  # noqa: E402
from bot.decision import IntentScore, Signals, Thresholds, decide  # noqa: E402
from bot.faq.knowledge_base import load_knowledge_base  # noqa: E402
from bot.text.normalize import normalize  # noqa: E402
from bot.understanding import Understanding  # noqa: E402


def variant(base: dict, assignments: str) -> dict:
    data = json.loads(json.dumps(base))
    for assignment in filter(None, assignments.split(",")):
        key, value = assignment.split("=", 1)
        *parents, leaf = key.strip().split(".")
        node = data
        for parent in parents:
            node = node[parent]
        node[leaf] = yaml.safe_load(value)
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dump", type=Path)
    parser.add_argument("--set", action="append", default=[], dest="variants")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.dump.read_text(encoding="utf-8").splitlines() if line.strip()]
    base = yaml.safe_load(paths.DECISION_FILE.read_text(encoding="utf-8"))
    kb = load_knowledge_base()
    by_set: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)
    for name in ["current", *args.variants]:
        understanding = Understanding(kb, Thresholds.from_mapping(base if name == "current" else variant(base, name)))
        grouped: dict[str, tuple[list[Example], list[Prediction]]] = defaultdict(lambda: ([], []))
        for r in rows:
            ranking = tuple(IntentScore(n, c) for n, c in r["ranking"])
            set_name = r.get("set", "?")
            if set_name.startswith("fold"):
                set_name = "cross-validation"
                d = decide(Signals(normalize(r["text"]).folded, ranking), understanding.guards, understanding.thresholds)
            else:
                d = understanding.decide(r["text"], ranking)
            examples, predictions = grouped[set_name]
            examples.append(Example(r["text"], r["expect"], r["style"]))
            predictions.append(Prediction(d.kind, d.faq_id, d.intent, 0.0))
        for set_name, (examples, predictions) in grouped.items():
            by_set[set_name][name] = {k: v for k, v in score(examples, predictions).items() if not k.startswith("latency")}
    for set_name, columns in by_set.items():
        print_table(set_name, columns)
    return 0


if __name__ == "__main__":
    sys.exit(main())
