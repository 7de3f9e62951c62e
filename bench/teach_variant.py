#!/usr/bin/env python
"""Which wordings of a citizen's question the starter model hands off, and how the publish gate
judges the model trained with one of them added as a variant of the FAQ.

The curation browser test (tests/browser/test_curation_journey.py) needs a message the starter
model does not answer but offers the FAQ for, and whose added variant the gate accepts; a change
to the training data or config can move either. One training per usable wording, cached in a
temporary folder.

  python bench/teach_variant.py [--faq gio_lam_viec] "giờ giấc ở xã sao ạ" "xã nghỉ lễ mấy hôm"
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import paths  # noqa: E402
from bot.decision import ANSWER  # noqa: E402
from bot.faq import gate  # noqa: E402
from bot.faq.editing import with_questions  # noqa: E402
from bot.faq.knowledge_base import load_knowledge_base  # noqa: E402
from bot.faq.release import export_release  # noqa: E402
from bot.model import ensure_model  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faq", default="gio_lam_viec")
    parser.add_argument("wordings", nargs="+")
    args = parser.parse_args()
    kb = load_knowledge_base()
    starter = ensure_model()
    asked = [gate.GateQuestion(text, args.faq) for text in args.wordings]
    decided = gate.decide_all(starter, gate.understanding_of(paths.DATA), asked)
    live = gate.score_in_subprocess(starter, paths.DATA, set(kb.faqs))
    print(f"starter model: gate {live.correct}/{live.total} right, {live.wrong} wrong\n")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["BOT_MODEL_CACHE"] = str(Path(tmp) / "cache")  # candidates stay out of the real cache
        for n, (question, decision) in enumerate(zip(asked, decided), 1):
            print(f"«{question.text}»: starter {decision.kind} {decision.faq_id or ''} candidates {list(decision.candidates)}")
            if decision.kind == ANSWER or args.faq not in decision.candidates:
                print("  not usable: the test needs a message not answered, with the FAQ among the candidates")
                continue
            taught = replace(kb, faqs=kb.faqs | {args.faq: with_questions(kb.faqs[args.faq], [question.text])})
            target = export_release(taught, Path(tmp) / f"variant{n}")
            started = time.monotonic()
            model = ensure_model(Path(tmp) / "models", target)
            trained = time.monotonic() - started
            verdict = gate.judge(live, gate.score_in_subprocess(model, target / "data", set(kb.faqs)))
            print(f"  trained in {trained:.0f} s; gate {'accepts' if verdict.accepted else 'refuses'}: {verdict.reason}")
            cv = verdict.cross_validation
            for title, rows in (("newly wrong", cv.newly_wrong if cv else []), ("no longer right", cv.lost if cv else [])):
                for row in rows:
                    print(f"    {title}: «{row['text']}» expected {row['expect']}, got {row['got']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
