"""The one decision for a citizen's message: answer, clarify, hand off, smalltalk or out of scope.

A pure function over what the NLU model and the fuzzy matcher said about the message. The live
bot (actions/) and `python -m bot classify` both call `decide`, so what is measured is what runs.
A confident wrong answer is the worst outcome: every path that is not clearly right hands off.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

import yaml

from bot import intents, paths
from bot.faq.knowledge_base import faq_id_of
from bot.faq.negation import negated_at
from bot.handoff.seed import seed_general_queue

ANSWER = "answer"
CLARIFY = "clarify"
HANDOFF = "handoff"
SMALLTALK = "smalltalk"
OUT_OF_SCOPE = "out_of_scope"

NOT_UNDERSTOOD = intents.NLU_FALLBACK  # the text gives nothing to work with


@dataclass(frozen=True)
class IntentScore:
    name: str
    confidence: float


@dataclass(frozen=True)
class FuzzyMatch:
    faq_id: str
    score: float


@dataclass(frozen=True)
class FaqGuard:
    """What the decision knows of a FAQ besides the model: its owner and its topic's words."""

    department: str
    keywords: tuple[str, ...]  # folded
    excludes: tuple[str, ...]  # folded
    # the sub-case cues (data/subcases.yml) that the FAQ's own questions use: a cue of another
    # class in a message means a case the answer was not written for
    covered_cues: frozenset[str] = frozenset()
    # the classes the answer itself speaks to (the FAQ's `covers`, declared by its editors); a
    # class its questions name but its answer does not is a case the answer may not settle
    answer_covers: frozenset[str] = frozenset()
    # the kinds of detail (data/subcases.yml `asks`: a percentage, an area, who signs…) that the
    # answer's own text gives
    answer_gives: frozenset[str] = frozenset()
    topic: str = ""
    answer_topics: frozenset[str] = frozenset()  # the topics whose keywords the answer itself uses


@dataclass(frozen=True)
class Signals:
    """Everything known about one message."""

    folded_text: str  # normalized, no diacritics
    ranking: tuple[IntentScore, ...]
    fuzzy: tuple[FuzzyMatch, ...] = ()
    cues: tuple[str, ...] = ()  # sub-case classes named in the message (bot.subcases)
    asks: tuple[str, ...] = ()  # kinds of detail the message asks (bot.faq.subcases.Asks)
    # the topics each question of the message names by their keywords, where it asks two or more
    question_topics: tuple[frozenset[str], ...] = ()
    english: bool = False  # the message reads as English (bot.text.syllable.reads_as_english)


@dataclass(frozen=True)
class Thresholds:
    answer_confidence: float
    answer_margin: float
    not_covered_confidence: float
    uncovered_cue_confidence: float
    confidence_without_keyword: float
    english_confidence_without_keyword: float
    fuzzy_agree: float
    confidence_with_fuzzy: float
    second_question_confidence: float
    option_confidence: float
    clarify_total: float
    max_options: int
    smalltalk_confidence: float
    handoff_confidence: float
    out_of_scope_confidence: float
    max_failed_turns: int
    always_human_patterns: tuple[str, ...] = field(default=())

    @classmethod
    def from_mapping(cls, data: Mapping) -> Thresholds:
        return cls(
            answer_confidence=float(data["answer"]["confidence"]),
            answer_margin=float(data["answer"]["margin"]),
            not_covered_confidence=float(data["answer"]["not_covered_confidence"]),
            uncovered_cue_confidence=float(data["answer"]["uncovered_cue_confidence"]),
            confidence_without_keyword=float(data["answer"]["confidence_without_keyword"]),
            english_confidence_without_keyword=float(data["answer"]["english_confidence_without_keyword"]),
            fuzzy_agree=float(data["answer"]["fuzzy_agree"]),
            confidence_with_fuzzy=float(data["answer"]["confidence_with_fuzzy"]),
            second_question_confidence=float(data["answer"]["second_question_confidence"]),
            option_confidence=float(data["clarify"]["option_confidence"]),
            clarify_total=float(data["clarify"]["total_confidence"]),
            max_options=int(data["clarify"]["max_options"]),
            smalltalk_confidence=float(data["smalltalk_confidence"]),
            handoff_confidence=float(data["handoff_confidence"]),
            out_of_scope_confidence=float(data["out_of_scope_confidence"]),
            max_failed_turns=int(data["max_failed_turns"]),
            always_human_patterns=tuple(data.get("always_human_patterns") or ()),
        )


@lru_cache(maxsize=2)
def load_thresholds(path: Path = paths.DECISION_FILE) -> Thresholds:
    return Thresholds.from_mapping(yaml.safe_load(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Decision:
    kind: str
    intent: str | None
    confidence: float
    faq_id: str | None = None
    department: str | None = None
    candidates: tuple[str, ...] = ()
    reason: str = ""


def decide(
    signals: Signals,
    guards: Mapping[str, FaqGuard],
    thresholds: Thresholds,
    general_queue: str | None = None,
) -> Decision:
    """Decide what to do with one message. Pure: same inputs, same decision.

    `general_queue`: where a request without a topic goes; callers with a database pass
    `Departments.general_queue()`, else the seeded one (the offline fallback)."""
    general_queue = general_queue or seed_general_queue()
    text = signals.folded_text
    if not has_words(text):
        return Decision(OUT_OF_SCOPE, NOT_UNDERSTOOD, 0.0, reason="no_words")
    if not signals.ranking:
        return Decision(HANDOFF, None, 0.0, department=general_queue, reason="no_prediction")

    top = signals.ranking[0]
    faqs = [s for s in signals.ranking if faq_id_of(s.name) in guards]
    candidates = tuple(faq_id_of(s.name) for s in faqs[: thresholds.max_options])
    department = _department(faqs, guards, general_queue)

    def handoff(reason: str, intent: str | None = top.name) -> Decision:
        return Decision(HANDOFF, intent, top.confidence, None, department, candidates, reason)

    if _matches_any(thresholds.always_human_patterns, text):
        return handoff("personal_case_pattern", "personal_case")
    if top.name in intents.SMALLTALK:
        if top.confidence >= thresholds.smalltalk_confidence:
            return Decision(SMALLTALK, top.name, top.confidence, reason="smalltalk")
        return handoff("low_confidence")
    if top.name == intents.NOT_COVERED and faqs and top.confidence >= thresholds.handoff_confidence:
        return _not_covered(top, faqs[0], guards, candidates, "model")
    if top.name in intents.HANDOFF:
        return handoff(top.name if top.confidence >= thresholds.handoff_confidence else "low_confidence")
    if top.name in intents.OUT_OF_SCOPE:
        if top.confidence >= thresholds.out_of_scope_confidence:
            return Decision(OUT_OF_SCOPE, top.name, top.confidence, reason="out_of_scope")
        return handoff("low_confidence")
    if not faqs:
        return handoff("unknown_intent")

    best = faqs[0]
    best_id = faq_id_of(best.name)
    guard = guards[best_id]
    excluded = next((e for e in guard.excludes if _contains(text, e, unless_denied=True)), None)
    if excluded is not None:
        return handoff(f"other_procedure:{excluded}")
    uncovered = next((c for c in signals.cues if c not in guard.covered_cues), None)
    if uncovered is not None:
        return _not_covered(best, best, guards, candidates, uncovered)
    not_covered = next((s for s in signals.ranking if s.name == intents.NOT_COVERED), None)
    if not_covered is not None and not_covered.confidence >= thresholds.not_covered_confidence:
        return _not_covered(not_covered, best, guards, candidates, "model")
    # A class the answer does not speak to, named beside a sign of a case the answer is not for.
    unanswered = next((c for c in signals.cues if c not in guard.answer_covers), None)
    if unanswered is not None and not_covered is not None and not_covered.confidence >= thresholds.uncovered_cue_confidence:
        return _not_covered(best, best, guards, candidates, unanswered)
    # A detail the answer's text does not give (a percentage, an area, who signs).
    ungiven = next((a for a in signals.asks if a not in guard.answer_gives), None)
    if ungiven is not None:
        return _not_covered(best, best, guards, candidates, ungiven)
    other = _other_question(signals.question_topics, faqs, guards, guard, thresholds)
    if other is not None:
        return handoff(f"second_question:{other}")

    second = faqs[1].confidence if len(faqs) > 1 else 0.0
    has_keyword = any(_contains(text, k) for k in guard.keywords)
    fuzzy_agrees = bool(signals.fuzzy) and signals.fuzzy[0].faq_id == best_id and (
        signals.fuzzy[0].score >= thresholds.fuzzy_agree
    )
    bar = thresholds.confidence_with_fuzzy if fuzzy_agrees else thresholds.answer_confidence
    if not has_keyword:
        bar = max(bar, thresholds.english_confidence_without_keyword if signals.english
                  else thresholds.confidence_without_keyword)
    if best.confidence >= bar and best.confidence - second >= thresholds.answer_margin:
        return Decision(ANSWER, best.name, best.confidence, best_id, guard.department, candidates, "confident")

    options = _clarify_options(faqs, guards, text, thresholds)
    if len(options) >= 2:
        return Decision(CLARIFY, best.name, best.confidence, None, department, options, "close_candidates")
    return handoff("low_confidence")


def fuzzy_can_lower_the_bar(ranking: Iterable[IntentScore], guards: Mapping[str, FaqGuard],
                            thresholds: Thresholds) -> bool:
    """Whether `decide` would read the fuzzy match for this ranking: only where the best FAQ stands
    between the bar with agreement and the bar without (callers skip the search elsewhere)."""
    best = next((s for s in ranking if faq_id_of(s.name) in guards), None)
    return best is not None and thresholds.confidence_with_fuzzy <= best.confidence < thresholds.answer_confidence


def english_can_lower_the_bar(ranking: Iterable[IntentScore], guards: Mapping[str, FaqGuard],
                              thresholds: Thresholds) -> bool:
    """Whether `decide` would read `Signals.english` for this ranking: only where the best FAQ stands
    between the English bar without a keyword and the other one (callers skip the check elsewhere)."""
    best = next((s for s in ranking if faq_id_of(s.name) in guards), None)
    return (best is not None
            and thresholds.english_confidence_without_keyword <= best.confidence < thresholds.confidence_without_keyword)


def second_question_can_matter(ranking: Iterable[IntentScore], guards: Mapping[str, FaqGuard],
                               thresholds: Thresholds) -> bool:
    """Whether `decide` could hand off for a second question: the best FAQ may be answered and
    another FAQ is ranked high enough (callers skip splitting the message elsewhere)."""
    faqs = [s for s in ranking if faq_id_of(s.name) in guards]
    return (len(faqs) > 1 and faqs[0].confidence >= min(thresholds.confidence_with_fuzzy, thresholds.answer_confidence)
            and any(s.confidence >= thresholds.second_question_confidence for s in faqs[1:]))


def _other_question(question_topics: tuple[frozenset[str], ...], faqs: list[IntentScore],
                    guards: Mapping[str, FaqGuard], guard: FaqGuard, thresholds: Thresholds) -> str | None:
    """A FAQ of another topic that one of the message's questions asks about, alone, while the
    model still ranks it: one answer would leave that question unanswered."""
    for topics in question_topics:
        if not topics or guard.topic in topics or topics & guard.answer_topics:
            continue
        for s in faqs[1:]:
            other = guards[faq_id_of(s.name)]
            if other.topic in topics and s.confidence >= thresholds.second_question_confidence:
                return faq_id_of(s.name)
    return None


def _not_covered(
    top: IntentScore, faq: IntentScore, guards: Mapping[str, FaqGuard], candidates: tuple[str, ...], why: str
) -> Decision:
    """A case of this FAQ's topic that its answer does not cover: its department answers, and the
    FAQ stays among the candidates (the citizen may be shown it as background)."""
    faq_id = faq_id_of(faq.name)
    return Decision(HANDOFF, top.name, top.confidence, None, guards[faq_id].department, candidates,
                    f"not_covered:{faq_id}:{why}")


def _clarify_options(
    faqs: list[IntentScore], guards: Mapping[str, FaqGuard], text: str, thresholds: Thresholds
) -> tuple[str, ...]:
    """Two or three FAQs close enough to ask which one the citizen means."""
    options = [
        s for s in faqs[: thresholds.max_options]
        if s.confidence >= thresholds.option_confidence
        and any(_contains(text, k) for k in guards[faq_id_of(s.name)].keywords)
    ]
    if sum(s.confidence for s in options) < thresholds.clarify_total:
        return ()
    return tuple(faq_id_of(s.name) for s in options)


def _department(faqs: list[IntentScore], guards: Mapping[str, FaqGuard], general_queue: str) -> str:
    """The department of the most likely FAQ when the model leans on one, else the general queue."""
    if faqs and faqs[0].confidence >= 0.5:
        return guards[faq_id_of(faqs[0].name)].department
    return general_queue


_LETTERS = re.compile(r"[^\W\d_]+")
_LONGEST_WORD = 24  # "nghiêng" is 7 letters, "responsibilities" 16; 10,000 x's are no word


def has_words(text: str) -> bool:
    return any(len(run) <= _LONGEST_WORD for run in _LETTERS.findall(text))


@lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)")


def _contains(text: str, phrase: str, unless_denied: bool = False) -> bool:
    """Whole-word containment of a folded phrase in folded text; `unless_denied`: an occurrence
    right after a negation ("khong tranh chap") does not count."""
    if not phrase:
        return False
    return any(not (unless_denied and negated_at(text, m.start())) for m in _phrase_pattern(phrase).finditer(text))


def _matches_any(patterns: tuple[str, ...], text: str) -> bool:
    return any(re.search(p, text) for p in patterns)

