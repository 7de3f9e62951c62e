#!/usr/bin/env python
"""Re-decide dumped rankings with the current rules (data/subcases.yml, FAQ excludes, thresholds)
without retraining: per-set counts, the wrong decisions of a set, and what a rule change moved.

  python bench/nlu_eval.py --systems ours --skip-cv --dump /tmp/rankings.jsonl
  python bench/redecide.py /tmp/rankings.jsonl [--hide unseen16] [--save /tmp/before.json]
  python bench/redecide.py /tmp/rankings.jsonl --diff /tmp/before.json    # after editing a rule
  python bench/redecide.py /tmp/rankings.jsonl --errors unseen14

A blind set named by --hide is counted only in aggregate and its lines are never printed, so a
rule can be written from the tuning sets while the next blind set stays unread.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.decision import IntentScore  # noqa: E402
from bot.understanding import load_understanding  # noqa: E402

NOT_NEAR = {"", "answerable", "in_catalogue", "out_of_catalogue", "None"}


@dataclass(frozen=True)
class Row:
    set: str
    text: str
    expect: str
    group: str
    ranking: tuple[IntentScore, ...]


def eval_classes() -> dict[tuple[str, str], str]:
    """(set, text) → the line's class in its data/eval file, to count near misses apart."""
    classes = {}
    for path in (ROOT / "data" / "eval").glob("*.yml"):
        for q in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]:
            classes[(path.stem, str(q["text"]))] = str(q.get("class", ""))
    return classes


def load_rows(dump: Path) -> list[Row]:
    classes = eval_classes()
    rows = []
    for line in dump.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        if r["set"].startswith("fold"):
            continue  # the folds had their own knowledge bases: bench/cv_decisions.py re-decides them
        rows.append(Row(r["set"], r["text"], r["expect"], classes.get((r["set"], r["text"]), ""),
                        tuple(IntentScore(n, c) for n, c in r["ranking"])))
    return rows


def outcome(row: Row, kind: str, faq_id: str | None) -> str:
    answered = kind == "answer"
    if row.expect.startswith("smalltalk"):
        return "wrong" if answered else ("ok" if kind == "smalltalk" else "missed")
    if row.expect in ("handoff", "out_of_scope"):
        return "wrong" if answered else "ok"
    if not answered:
        return "missed"
    return "ok" if faq_id == row.expect else "wrong"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dump", type=Path)
    parser.add_argument("--hide", action="append", default=[], help="a blind set: counts only, never its lines")
    parser.add_argument("--errors", action="append", default=[], help="print this set's wrong and missed lines")
    parser.add_argument("--save", type=Path, help="write every decision here")
    parser.add_argument("--diff", type=Path, help="print the decisions that differ from a saved run")
    args = parser.parse_args()
    understanding = load_understanding()
    decisions: dict[str, str] = {}
    counts: dict[str, Counter] = defaultdict(Counter)
    errors = []
    for row in load_rows(args.dump):
        d = understanding.decide(row.text, row.ranking)
        result = outcome(row, d.kind, d.faq_id)
        decisions[f"{row.set}\t{row.text}"] = f"{d.kind}:{d.faq_id or ''}\t{result}"
        c = counts[row.set]
        is_faq = not (row.expect.startswith("smalltalk") or row.expect in ("handoff", "out_of_scope"))
        c["n"] += 1
        c["faq_n" if is_faq else "safe_n"] += 1
        c["faq_ok" if is_faq else "safe_ok"] += result == "ok"
        c["wrong"] += result == "wrong"
        if row.group not in NOT_NEAR and not is_faq:
            c["near_n"] += 1
            c["near_ok"] += result == "ok"
        if row.set in args.errors and row.set not in args.hide and result != "ok":
            top = ", ".join(f"{s.name}:{s.confidence:.2f}" for s in row.ranking[:3])
            errors.append(f"[{result}] expect {row.expect} ({row.group}) got {d.kind}:{d.faq_id or ''} "
                          f"{d.reason}\n    {row.text}\n    {top}")
    total: Counter = Counter()
    print(f"{'set':<14}{'n':>6}{'FAQ right':>14}{'wrong':>8}{'kept':>12}{'near kept':>12}")
    for name, c in sorted(counts.items()):
        print(f"{name:<14}{c['n']:>6}{c['faq_ok']:>8}/{c['faq_n']:<5}{c['wrong']:>8}"
              f"{c['safe_ok']:>6}/{c['safe_n']:<5}{c['near_ok']:>6}/{c['near_n']:<5}")
        if name not in args.hide:
            total.update(c)
    c = total
    print(f"{'all but hidden':<14}{c['n']:>6}{c['faq_ok']:>8}/{c['faq_n']:<5}{c['wrong']:>8}"
          f"{c['safe_ok']:>6}/{c['safe_n']:<5}{c['near_ok']:>6}/{c['near_n']:<5}")
    for e in errors:
        print(e)
    if args.save:
        args.save.write_text(json.dumps(decisions, ensure_ascii=False), encoding="utf-8")
    if args.diff:
        before = json.loads(args.diff.read_text(encoding="utf-8"))
        moved = Counter()
        for key, now in decisions.items():
            was = before.get(key)
            if was is None or was == now:
                continue
            set_name, text = key.split("\t", 1)
            if set_name in args.hide:
                continue  # a blind set's moves would tell which rule pays on it
            moved[(was.split("\t")[1], now.split("\t")[1])] += 1
            print(f"{set_name}: {was} → {now}\n    {text}")
        print("moved (before → after):", dict(moved))
    return 0


if __name__ == "__main__":
    sys.exit(main())
