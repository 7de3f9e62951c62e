"""Turn a message and the model's intent ranking into a decision, with the knowledge base's help."""
from __future__ import annotations

import re
from collections.abc import Iterable

import regex

from bot.acknowledgement import acknowledgement_decision
from bot.decision import (
    Decision, FaqGuard, IntentScore, Signals, Thresholds, decide, english_can_lower_the_bar, fuzzy_can_lower_the_bar,
    has_words, load_thresholds, second_question_can_matter,
)
from bot.faq.fuzzy import QuestionIndex
from bot.faq.knowledge_base import KnowledgeBase, load_knowledge_base
from bot.faq.questions import question_parts
from bot.faq.subcases import Subcases, alternation, load_subcases
from bot.handoff.seed import seed_general_queue
from bot.text.normalize import clean_word, normalize
from bot.text.syllable import reads_as_english

# Offline fallback: the decision runs without a database, so it names the general queue as the
# seed file does; with a database, Departments.general_queue() is the truth (routing asks it).
GENERAL_QUEUE = seed_general_queue()
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+")  # as bot.text.normalize splits a message


class Understanding:
    """Everything the decision needs that does not change between messages, loaded once."""

    def __init__(self, kb: KnowledgeBase, thresholds: Thresholds, subcases: Subcases | None = None) -> None:
        self.kb = kb
        self.thresholds = thresholds
        self.subcases = subcases if subcases is not None else load_subcases()
        self.index = QuestionIndex(kb)
        # A FAQ's keywords anchor its whole topic: the model tells siblings apart ("căn cước"
        # anchors first card, lost card and child's card alike), the keywords only say that the
        # message is about this topic at all.
        topic_keywords: dict[str, set[str]] = {}
        for faq in kb.faqs.values():
            topic_keywords.setdefault(faq.topic, set()).update(faq.keywords)
        # one pattern per topic: a story of several questions is searched for every topic's words
        self._topic_patterns = {
            topic: re.compile(rf"(?<!\w){alternation(folded)}(?!\w)")
            for topic, folded in ((topic, _folded(words)) for topic, words in topic_keywords.items()) if folded
        }
        self.guards = {
            faq.id: FaqGuard(
                department=faq.department,
                keywords=_folded(topic_keywords[faq.topic]),
                excludes=_folded(faq.excludes),
                # a class the answer speaks to is covered even where no question names it yet
                covered_cues=self.subcases.covered_by([faq.title, *faq.training_questions()]) | set(faq.covers),
                answer_covers=frozenset(faq.covers),
                answer_gives=self.subcases.given_in(faq.answer),
                topic=faq.topic,
                answer_topics=self._topics_named(normalize(faq.answer).folded),
            )
            for faq in kb.faqs.values()
        }

        # Topic words -> the department owning the topic: routes a hand-off the model cannot place.
        self._department_keywords: dict[str, tuple[str, str]] = {}  # folded -> (department, as written)
        for faq in kb.faqs.values():
            for keyword in sorted(topic_keywords[faq.topic]):
                self._department_keywords.setdefault(normalize(keyword).folded, (faq.department, keyword))
        self.general_queue = GENERAL_QUEUE

    def departments_by_keyword(self, text: str) -> dict[str, str]:
        """Department -> its longest topic words found in the text (whole words, compared folded)."""
        folded = f" {normalize(text).folded} "
        found: dict[str, str] = {}
        for keyword, (department, written) in sorted(self._department_keywords.items(), key=lambda kv: -len(kv[0])):
            if keyword and f" {keyword} " in folded:
                found.setdefault(department, written)
        return found

    def signals(self, text: str, ranking: Iterable[IntentScore]) -> Signals:
        normalized = normalize(text)
        # the normalizer folds letters repeated for emphasis ("ạaaa"), so 10,000 x's would become "x"
        folded = normalized.folded if has_words(text) else ""
        ranking = tuple(ranking)
        # the decision reads only whether the best match is its FAQ's and reaches `fuzzy_agree`,
        # and only where that lowers the bar the best FAQ stands at (the search costs ~2 ms a story)
        fuzzy = (self.index.match(folded, limit=1, score_cutoff=self.thresholds.fuzzy_agree)
                 if fuzzy_can_lower_the_bar(ranking, self.guards, self.thresholds) else ())
        return Signals(folded, ranking, fuzzy, self.subcases.named_in(normalized),
                       asks=self.subcases.asked_in(normalized, text),
                       question_topics=(self.question_topics(text)
                                        if second_question_can_matter(ranking, self.guards, self.thresholds) else ()),
                       english=(reads_as_english([clean_word(w) for w in _WORD.findall(text.lower())])
                                if english_can_lower_the_bar(ranking, self.guards, self.thresholds) else False))

    def question_topics(self, text: str) -> tuple[frozenset[str], ...]:
        """The topics each question of a message of two or more questions names by keyword."""
        parts = question_parts(text)
        if len(parts) < 2:
            return ()
        return tuple(self._topics_named(p) for p in parts)

    def _topics_named(self, folded: str) -> frozenset[str]:
        return frozenset(topic for topic, pattern in self._topic_patterns.items() if pattern.search(folded))

    def decide(self, text: str, ranking: Iterable[IntentScore]) -> Decision:
        # "ok", "cảm ơn nhé", "thôi" ask nothing: the model's ranking of them is noise (issue 20)
        acknowledged = acknowledgement_decision(text)
        if acknowledged is not None:
            return acknowledged
        return decide(self.signals(text, ranking), self.guards, self.thresholds, GENERAL_QUEUE)


def ranking_from_parse(parse: dict) -> tuple[IntentScore, ...]:
    """The intent ranking of a Rasa parse result (`intent_ranking`, else the single `intent`)."""
    ranking = parse.get("intent_ranking") or ([parse["intent"]] if parse.get("intent") else [])
    return tuple(
        IntentScore(str(r["name"]), float(r.get("confidence") or 0.0))
        for r in ranking
        if r.get("name")
    )


def load_understanding() -> Understanding:
    return Understanding(load_knowledge_base(), load_thresholds())


def _folded(phrases: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({normalize(p).folded for p in phrases} - {""}))
