#!/usr/bin/env python
"""Re-decide the cross-validation a model carries under other decision settings, without training.

  python bench/cv_decisions.py MODEL [--not-covered 0.2,0.3] [--try uncovered_cue_confidence=0.02,0.05]
                                     [--no-cues] [--compare OTHER_MODEL]

Per setting: FAQ questions answered right and wrongly, `not_covered` questions and the other
hand-off questions kept from answering, and all wrong answers. With --compare, both models' rows on
the questions both were trained on (a model trained on more data has more held-out questions).
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import cross_validation as cv, intents  # noqa: E402
from bot.faq.knowledge_base import faq_id_of  # noqa: E402
from bot.faq.subcases import Subcases  # noqa: E402
from bot.understanding import load_understanding  # noqa: E402


def tally(held: list[cv.HeldOut], understanding) -> str:
    c: Counter = Counter()
    for h in held:
        d = cv.decide_held_out(h, understanding)
        answered = d.kind == "answer"
        if faq_id_of(h.intent):
            c["faq"] += 1
            c["right"] += answered and d.faq_id == faq_id_of(h.intent)
            c["wrong"] += answered and d.faq_id != faq_id_of(h.intent)
        elif cv.expectation(h.intent) in ("handoff", "out_of_scope"):
            key = "nc" if h.intent == intents.NOT_COVERED else "other"
            c[key] += 1
            c[key + "_kept"] += not answered
            c["wrong"] += answered
    return (f"FAQ right {c['right']}/{c['faq']}, not_covered kept {c['nc_kept']}/{c['nc']}, "
            f"other hand-offs kept {c['other_kept']}/{c['other']}, answered wrongly {c['wrong']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path)
    parser.add_argument("--not-covered", default="", help="not_covered_confidence values to try")
    parser.add_argument("--try", dest="tries", action="append", default=[], metavar="FIELD=V1,V2",
                        help="a threshold of data/decision.yml (a Thresholds field) and values to try")
    parser.add_argument("--no-cues", action="store_true", help="also without the sub-case classes")
    parser.add_argument("--compare", type=Path, help="a second model, scored on the questions both have")
    args = parser.parse_args()
    understanding = load_understanding()
    held = cv.read(args.model)
    if held is None:
        sys.exit(f"{args.model} carries no cross-validation")
    models = {args.model.name: held}
    if args.compare:
        other = cv.read(args.compare) or []
        common = {h.key for h in held} & {h.key for h in other}
        models = {name: [h for h in hs if h.key in common] for name, hs in
                  ((args.model.name, held), (args.compare.name, other))}
    base = understanding.thresholds
    settings = [("not_covered_confidence", args.not_covered)] if args.not_covered else []
    settings += [tuple(t.split("=", 1)) for t in args.tries]
    for name, rows in models.items():
        print(f"{name} ({len(rows)} questions), as configured: {tally(rows, understanding)}")
        for field, values in settings:
            for value in (float(v) for v in values.split(",") if v):
                understanding.thresholds = replace(base, **{field: value})
                print(f"{name} ({len(rows)} questions), {field} {value}: {tally(rows, understanding)}")
        understanding.thresholds = base
        if args.no_cues:
            cues, understanding.subcases = understanding.subcases, Subcases(())
            understanding.thresholds = base
            print(f"{name} ({len(rows)} questions), without sub-case classes: {tally(rows, understanding)}")
            understanding.subcases = cues
    return 0


if __name__ == "__main__":
    sys.exit(main())
