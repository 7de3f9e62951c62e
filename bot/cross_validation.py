"""The cross-validation a trained model carries: each training question ranked by a model that
did not see it (bot.nlu.linear_classifier writes it into the model at training time).

Plain Python over the model archive, without Rasa: the publish gate compares the candidate's and
the live model's held-out decisions, the conflicts page counts the FAQ pairs they mix up.
"""
from __future__ import annotations

import json
import tarfile
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from bot import intents
from bot.decision import Decision, IntentScore, decide
from bot.faq.knowledge_base import faq_id_of
from bot.understanding import Understanding

FILE_NAME = "cross_validation.json"


@dataclass(frozen=True)
class HeldOut:
    text: str
    intent: str
    ranking: tuple[IntentScore, ...]

    @property
    def key(self) -> str:
        """The same question in another model's cross-validation."""
        return f"{self.intent}\t{self.text}"


def read(model: Path) -> list[HeldOut] | None:
    """The model's held-out rankings; None for a model trained without them (or unreadable)."""
    try:
        stat = model.stat()
    except OSError:
        return None
    return _read(model, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _read(model: Path, mtime_ns: int, size: int) -> list[HeldOut] | None:
    try:
        with tarfile.open(model) as archive:
            member = next((m for m in archive if m.isfile() and m.name.endswith("/" + FILE_NAME)), None)
            if member is None:
                return None
            rows = json.load(archive.extractfile(member))
    except (OSError, tarfile.TarError, ValueError):
        return None
    return [HeldOut(str(r["text"]), str(r["intent"]), tuple(IntentScore(str(n), float(c)) for n, c in r["ranking"]))
            for r in rows]


def expectation(intent: str) -> str:
    """What the gate expects for a question of this intent: its FAQ, or the kind of reply."""
    if faq_id_of(intent):
        return faq_id_of(intent)
    if intent in intents.SMALLTALK:
        return "smalltalk"
    return "out_of_scope" if intent in intents.OUT_OF_SCOPE else "handoff"


def decide_held_out(held_out: HeldOut, understanding: Understanding) -> Decision:
    """Decided as the bot decides, without the fuzzy match: the question itself is among the FAQ's
    questions the fuzzy index holds, and the model that ranked it never saw it."""
    signals = replace(understanding.signals(held_out.text, held_out.ranking), fuzzy=())
    return decide(signals, understanding.guards, understanding.thresholds)


def confusions(held_out: list[HeldOut]) -> list[dict]:
    """FAQ questions whose best-ranked FAQ was another one: [{"expected", "predicted", "count"}]."""
    counts: Counter = Counter()
    for h in held_out:
        expected = faq_id_of(h.intent)
        top = next((s.name for s in h.ranking if faq_id_of(s.name)), None)
        if expected and top and top != h.intent:
            counts[(expected, faq_id_of(top))] += 1
    return [{"expected": a, "predicted": b, "count": n} for (a, b), n in counts.most_common()]
