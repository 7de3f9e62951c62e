"""What would make the bot mix two FAQs up: advice for the editors. None of it stops a publish
(the gate in gate.py decides that on answers; an exact duplicate question is refused when saving).

* Near-duplicate questions: two active FAQs teaching almost the same wording (rapidfuzz ratio
  of at least 90 on the diacritics-folded text). Exact duplicates are refused when saving.
* Confused pairs: FAQs the bot hesitated between in real traffic (offered together when it
  asked the citizen to choose, `clarify` in decision_log) and the pairs the live model's
  cross-validation mistook (bot.cross_validation: trained into every model).
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from functools import lru_cache

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot import cross_validation
from bot.db import decision_log
from bot.decision import CLARIFY
from bot.faq.knowledge_base import Faq
from bot.faq.store import FaqRecord, KnowledgeStore
from bot.text.normalize import normalize


NEAR_THRESHOLD = 90
CLARIFY_ROWS = 20_000  # the newest clarifications looked at
EXAMPLES = 3
LIMIT = 200
DUPLICATE_ADVICE = "Xóa hoặc sửa một trong hai cách hỏi để mỗi cách hỏi chỉ thuộc một FAQ."


@dataclass(frozen=True)
class NearDuplicate:
    faq_a: str
    question_a: str
    faq_b: str
    question_b: str
    score: float

    @property
    def suggestion(self) -> str:
        return DUPLICATE_ADVICE


@dataclass(frozen=True)
class ConfusedPair:
    faq_a: str
    faq_b: str
    traffic: int  # clarifications offering both
    cross_validation: int  # cross-validation mistakes, both ways
    examples: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return self.traffic + self.cross_validation


@dataclass(frozen=True)
class PairConflicts:
    """Everything found about one pair of FAQs, for the page: one folded entry per pair."""
    faq_a: str
    faq_b: str
    duplicates: tuple[NearDuplicate, ...] = ()
    confused: ConfusedPair | None = None

    @property
    def traffic(self) -> int:
        return self.confused.traffic if self.confused else 0

    @property
    def cross_validation(self) -> int:
        return self.confused.cross_validation if self.confused else 0

    @property
    def weight(self) -> tuple[int, int, int]:
        """Citizens asked again first, then shared wordings, then the model's own mix-ups."""
        return self.traffic, len(self.duplicates), self.cross_validation


@dataclass(frozen=True)
class ConflictReport:
    near_duplicates: list[NearDuplicate]
    confused: list[ConfusedPair]
    records: dict[str, FaqRecord] = field(default_factory=dict)
    cv_available: bool = False

    def title(self, faq_id: str) -> str:
        record = self.records.get(faq_id)
        return record.faq.title if record else faq_id

    def is_active(self, faq_id: str) -> bool:
        record = self.records.get(faq_id)
        return bool(record and record.active)

    def by_pair(self) -> list[PairConflicts]:
        """One entry per pair of FAQs, the ones citizens met first."""
        duplicates: dict[tuple[str, str], list[NearDuplicate]] = {}
        for d in self.near_duplicates:
            duplicates.setdefault((d.faq_a, d.faq_b), []).append(d)
        confused = {(p.faq_a, p.faq_b): p for p in self.confused}
        pairs = [PairConflicts(a, b, tuple(duplicates.get((a, b), ())), confused.get((a, b)))
                 for a, b in {*duplicates, *confused}]
        return sorted(pairs, key=lambda p: (tuple(-w for w in p.weight), self.title(p.faq_a), self.title(p.faq_b)))

    def confusion_advice(self, pair: ConfusedPair) -> str:
        return (f"Thêm cách hỏi phân biệt hoặc từ loại trừ cho “{self.title(pair.faq_a)}” và "
                f"“{self.title(pair.faq_b)}”, để mỗi FAQ có những cách hỏi mà FAQ kia không có.")


@lru_cache(maxsize=50_000)
def folded_question(text: str) -> str:
    """normalize(text).folded, remembered: the knowledge base's questions change little."""
    return normalize(text).folded


def near_duplicates(faqs: Iterable[Faq], threshold: float = NEAR_THRESHOLD, limit: int = LIMIT) -> list[NearDuplicate]:
    """Pairs of questions of different FAQs at least `threshold` similar (folded), most similar first.

    Questions are compared only with those of similar length: ratio >= t needs the longer at
    most (200 - t) / t times the shorter, so sorting by length bounds each comparison window.
    """
    items: dict[tuple[str, str], str] = {}  # (folded, faq id) -> the question as written
    for faq in faqs:
        for question in faq.training_questions():
            folded = folded_question(question)
            if folded:
                items.setdefault((folded, faq.id), question)
    entries = sorted(items.items(), key=lambda item: (len(item[0][0]), item[0]))
    texts = [folded for (folded, _), _ in entries]
    stretch = (200 - threshold) / threshold
    found: dict[tuple[str, str, str, str], NearDuplicate] = {}
    end = 0
    for i, ((folded, faq_id), question) in enumerate(entries):
        end = max(end, i + 1)
        while end < len(entries) and len(texts[end]) <= len(folded) * stretch + 1:
            end += 1
        window = texts[i + 1:end]
        if not window:
            continue
        for _, score, j in process.extract(folded, window, scorer=fuzz.ratio, score_cutoff=threshold, limit=None):
            (other_folded, other_id), other_question = entries[i + 1 + j]
            if other_id == faq_id:
                continue
            (a, fa, qa), (b, fb, qb) = sorted([(faq_id, folded, question), (other_id, other_folded, other_question)])
            found.setdefault((a, fa, b, fb), NearDuplicate(a, qa, b, qb, round(float(score), 1)))
    ranked = sorted(found.values(), key=lambda d: (-d.score, d.faq_a, d.faq_b, d.question_a))
    return ranked[:limit]


def confused_pairs(clarifications: Iterable[tuple[Sequence[str], str]], cv: Iterable[dict] = (),
                   known: set[str] | None = None, limit: int = LIMIT) -> list[ConfusedPair]:
    """Pairs of FAQs offered together in clarifications ((candidates, text) each) plus the pairs
    cross-validation confused, most frequent first. With `known`, only pairs of those FAQs."""
    traffic: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str], list[str]] = {}
    for candidates, text in clarifications:
        ids = sorted({str(c) for c in candidates if c})
        for pair in combinations(ids, 2):
            traffic[pair] += 1
            shown = examples.setdefault(pair, [])
            if len(shown) < EXAMPLES and text and text not in shown:
                shown.append(text)
    mistakes: Counter[tuple[str, str]] = Counter()
    for entry in cv:
        try:
            a, b, n = entry["expected"], entry["predicted"], int(entry.get("count", 1))
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        if not isinstance(a, str) or not isinstance(b, str):  # null: an intent that is not a FAQ
            continue
        if a and b and a != b and n > 0:
            mistakes[tuple(sorted((a, b)))] += n
    pairs = [
        ConfusedPair(a, b, traffic[(a, b)], mistakes[(a, b)], tuple(examples.get((a, b), ())))
        for a, b in set(traffic) | set(mistakes)
        if known is None or (a in known and b in known)
    ]
    return sorted(pairs, key=lambda p: (-p.total, -p.traffic, p.faq_a, p.faq_b))[:limit]


def live_confusions(engine: Engine) -> list[dict] | None:
    """The live model's cross-validation mix-ups; None when it carries no cross-validation."""
    from bot.faq.publish import live_model_path

    model = live_model_path(engine)
    held_out = cross_validation.read(model) if model else None
    return cross_validation.confusions(held_out) if held_out is not None else None


class Conflicts:
    def __init__(self, engine: Engine, store: KnowledgeStore,
                 cv_confusions: Callable[[], list[dict] | None] | None = None) -> None:
        self.engine = engine
        self.store = store
        self.cv_confusions = cv_confusions or (lambda: live_confusions(engine))

    def clarifications(self, limit: int = CLARIFY_ROWS) -> list[tuple[list[str], str]]:
        query = (select(decision_log.c.candidates, decision_log.c.text).where(decision_log.c.decision == CLARIFY)
                 .order_by(decision_log.c.id.desc()).limit(limit))
        rows = []
        with self.engine.connect() as conn:
            for candidates, text in conn.execute(query):
                try:
                    ids = json.loads(candidates or "[]")
                except ValueError:
                    continue
                if isinstance(ids, list):
                    rows.append(([str(i) for i in ids], text))
        return rows

    def report(self) -> ConflictReport:
        records = {r.faq.id: r for r in self.store.all()}
        active = [r.faq for r in records.values() if r.active]
        cv = self.cv_confusions()
        confused = confused_pairs(self.clarifications(), cv or (), known=set(records))
        return ConflictReport(near_duplicates(active), confused, records, cv is not None)
