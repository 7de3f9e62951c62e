"""Fuzzy matching of a message against the knowledge base's questions (rapidfuzz)."""
from __future__ import annotations

from rapidfuzz import fuzz, process

from bot.decision import FuzzyMatch
from bot.faq.knowledge_base import KnowledgeBase
from bot.text.normalize import normalize


class QuestionIndex:
    """Every training question of every FAQ, folded, searchable by similarity."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._faq_ids: list[str] = []
        self._questions: list[str] = []
        for faq in kb.faqs.values():
            for question in faq.training_questions():
                self._faq_ids.append(faq.id)
                self._questions.append(normalize(question).folded)

    def match(self, folded_text: str, limit: int = 3) -> tuple[FuzzyMatch, ...]:
        """The best-scoring FAQs (0-100), one entry per FAQ, best first."""
        if not folded_text:
            return ()
        hits = process.extract(folded_text, self._questions, scorer=fuzz.token_sort_ratio, limit=limit * 8)
        best: dict[str, float] = {}
        for _, score, index in hits:
            faq_id = self._faq_ids[index]
            best[faq_id] = max(best.get(faq_id, 0.0), float(score))
        ranked = sorted(best.items(), key=lambda item: -item[1])[:limit]
        return tuple(FuzzyMatch(faq_id, score) for faq_id, score in ranked)
