#!/usr/bin/env python
"""Would ranking each question of a message on its own catch the half that a FAQ does not answer?

  python bench/nlu_eval.py --systems ours --skip-cv --dump /tmp/rankings.jsonl
  python bench/question_parts_ranked.py /tmp/rankings.jsonl [MORE_DUMPS…] [--hide unseen16] [--apart points16]

For every message the bot answers that asks two or more questions (bot/faq/questions.py), the model
ranks each part alone; a variant hands off when a part's best intent is `not_covered` at ≥ NC or
another FAQ at ≥ OTHER. Printed per variant: the answers it would turn into hand-offs, by whether
they were right or wrong: the tuning sets together, each --apart set alone, the --hide sets as
"blind" (in aggregate only). Measured on 2026-12-07 and
not kept (docs/nlu.md, thirteenth session): a part alone has lost the topic that made the whole
message answerable.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.redecide import load_rows, outcome  # noqa: E402
from bot.faq.knowledge_base import faq_id_of  # noqa: E402
from bot.faq.questions import question_parts  # noqa: E402
from bot.intents import NOT_COVERED  # noqa: E402
from bot.model import ensure_model  # noqa: E402
from bot.understanding import load_understanding  # noqa: E402

BARS = (0.5, 0.7, 0.9, None)  # None: that signal unused


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dumps", type=Path, nargs="+")
    parser.add_argument("--hide", action="append", default=[], help="a blind set: counted as 'blind', in aggregate")
    parser.add_argument("--apart", action="append", default=[], help="a set counted on its own")
    args = parser.parse_args()
    from bot.nlu_model import NluModel

    understanding = load_understanding()
    nlu = NluModel(ensure_model())
    answered = []  # (group, result, the chosen FAQ, each part's best intent and confidence)
    for row in (row for dump in args.dumps for row in load_rows(dump)):
        d = understanding.decide(row.text, row.ranking)
        parts = question_parts(row.text) if d.kind == "answer" else ()
        if len(parts) < 2:
            continue
        group = "blind" if row.set in args.hide else row.set if row.set in args.apart else "tuning"
        tops = [ranking[0] for ranking in map(nlu.rank, parts) if ranking]
        answered.append((group, outcome(row, d.kind, d.faq_id), d.faq_id, tops))
    print("answered messages of two or more questions:", dict(Counter((g, r) for g, r, _, _ in answered)))
    for nc in BARS:
        for other in BARS:
            if nc is None and other is None:
                continue
            turned = Counter(
                (group, result) for group, result, faq, tops in answered
                if any((nc is not None and t.name == NOT_COVERED and t.confidence >= nc)
                       or (other is not None and faq_id_of(t.name) not in (None, faq) and t.confidence >= other)
                       for t in tops))
            print(f"not_covered ≥ {nc}, another FAQ ≥ {other}: handed off {dict(sorted(turned.items()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
