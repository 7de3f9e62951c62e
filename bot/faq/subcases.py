"""Sub-cases a FAQ's answer is not written for: a foreign element, an organisation, a change, a
fine, a debt, a refund, a tax, a dispute (data/subcases.yml).

Which classes a FAQ covers is read from its own questions, not listed by hand: a FAQ whose
questions speak of fines (khai_sinh_qua_han) covers fines; one whose questions never do does not.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot import paths
from bot.faq.negation import occurs_unnegated
from bot.text.fold import fold_diacritics
from bot.text.normalize import NormalizedText, normalize

SUBCASES_FILE = paths.DATA / "subcases.yml"
# A class counts as covered by a FAQ when this many of its questions name it: one narrative
# mention ("em làm công ty ở Bình Dương") does not make the answer speak to companies.
COVERING_QUESTIONS = 2
# A message in which at least this share of the syllables carries a diacritic was typed with them:
# its Vietnamese phrases are matched as typed, not folded ("ngoài quốc lộ" is not "ngoại quốc",
# "người lao động" not "người Lào", "trước bà" not "trước bạ"). Typed with diacritics, 95 % of the
# training questions have more than 0.7; typed without, 0; English ones, with the topic's terms put
# in Vietnamese by the normalizer, about 0.2.
TYPED_WITH_DIACRITICS = 0.5


@dataclass(frozen=True)
class SubcaseClass:
    name: str
    says: str  # how the bot names the case to the citizen
    accented: tuple[str, ...]  # phrases matched on the text with its diacritics
    folded: tuple[str, ...]  # phrases of two or more syllables, and foreign words, matched folded
    # the foreign words alone: matched folded whatever the message
    words: tuple[str, ...] = ()
    # a phrase inside one of these contexts ("làm công ty", "công ty đòi") is a passing mention:
    # one pattern each, a context word before or after a phrase
    passing_accented: re.Pattern[str] | None = None
    passing_folded: re.Pattern[str] | None = None
    # the class is named only beside one of these ("ngân hàng" is a complaint about someone else
    # only beside "khiếu nại"); empty: always
    with_accented: tuple[str, ...] = ()
    with_folded: tuple[str, ...] = ()
    # and never beside one of these ("quyết định": a complaint about a decision is the commune's)
    unless_accented: tuple[str, ...] = ()
    unless_folded: tuple[str, ...] = ()
    # or named by a verb and what it acts on, a few words apart ("cập nhật số điện thoại mới")
    near_accented: tuple[re.Pattern[str], ...] = ()
    near_folded: tuple[re.Pattern[str], ...] = ()
    # the same, for a message typed with diacritics: Vietnamese phrases as typed, foreign words folded
    with_words: tuple[str, ...] = ()
    unless_words: tuple[str, ...] = ()
    near_typed: tuple[re.Pattern[str], ...] = ()

    def named_in(self, accented: str, folded: str, typed_with_diacritics: bool = False) -> bool:
        """`accented`/`folded`: the message padded with spaces. `typed_with_diacritics`: match its
        Vietnamese phrases only as typed (see TYPED_WITH_DIACRITICS)."""
        if not self._matches(accented, folded, typed_with_diacritics):
            return False
        with_folded, unless_folded = ((self.with_words, self.unless_words) if typed_with_diacritics
                                      else (self.with_folded, self.unless_folded))
        if (self.with_accented or self.with_folded) and not _any_in(accented, folded, self.with_accented,
                                                                     with_folded):
            return False
        if _any_in(accented, folded, self.unless_accented, unless_folded):
            return False
        if self.passing_accented is not None:
            accented = self.passing_accented.sub(" ", accented)
            folded = self.passing_folded.sub(" ", folded)
        return self._matches(accented, folded, typed_with_diacritics)

    def _matches(self, accented: str, folded: str, typed_with_diacritics: bool) -> bool:
        if typed_with_diacritics:
            return (_any_in(accented, folded, self.accented, self.words)
                    or any(p.search(accented) for p in self.near_accented)
                    or any(p.search(folded) for p in self.near_typed))
        return (_any_in(accented, folded, self.accented, self.folded)
                or any(p.search(accented) for p in self.near_accented)
                or any(p.search(folded) for p in self.near_folded))


def _any_in(accented: str, folded: str, accented_phrases: tuple[str, ...], folded_phrases: tuple[str, ...]) -> bool:
    """Whether a phrase occurs, not denied ("không tranh chấp" names no dispute)."""
    # `in` first: the negation is looked for only where a phrase occurs (every message, every
    # FAQ question at load time goes through here)
    return (any(f" {p} " in accented and occurs_unnegated(accented, p) for p in accented_phrases)
            or any(f" {p} " in folded and occurs_unnegated(folded, p) for p in folded_phrases))


@dataclass(frozen=True)
class Ask:
    """A kind of detail a question can ask (a percentage, an area, who signs) and how an answer
    that gives it reads: coverage is read from the answer's own text."""

    name: str
    says: str
    ask: tuple[re.Pattern[str], ...]
    answer: tuple[re.Pattern[str], ...]

    def asked_in(self, texts: tuple[str, ...]) -> bool:
        """`texts`: the message folded, normalized and as typed (for "%" and "m²")."""
        return any(p.search(t) for p in self.ask for t in texts)

    def given_in(self, answer: str) -> bool:
        text = unicodedata.normalize("NFC", answer).lower()
        return any(p.search(text) for p in self.answer)


@dataclass(frozen=True)
class Subcases:
    classes: tuple[SubcaseClass, ...]
    asks: tuple[Ask, ...] = ()

    def named_in(self, message: NormalizedText) -> tuple[str, ...]:
        """The classes a message names, in file order."""
        accented, folded = f" {message.text} ", f" {message.folded} "
        typed = typed_with_diacritics(message)
        return tuple(c.name for c in self.classes if c.named_in(accented, folded, typed))

    def covered_by(self, questions: Iterable[str]) -> frozenset[str]:
        """The classes that at least COVERING_QUESTIONS of a FAQ's questions name."""
        counts: dict[str, int] = {}
        for question in questions:
            for name in self.named_in(normalize(question)):
                counts[name] = counts.get(name, 0) + 1
        return frozenset(name for name, n in counts.items() if n >= COVERING_QUESTIONS)

    def asked_in(self, message: NormalizedText, original: str = "") -> tuple[str, ...]:
        """The kinds of detail a message asks (`asks` of data/subcases.yml), in file order."""
        texts = (message.folded, fold_diacritics(unicodedata.normalize("NFC", original).lower()))
        return tuple(a.name for a in self.asks if a.asked_in(texts))

    def given_in(self, answer: str) -> frozenset[str]:
        """The kinds of detail an answer's text gives."""
        return frozenset(a.name for a in self.asks if a.given_in(answer))

    def says(self, name: str) -> str:
        return next((c.says for c in (*self.classes, *self.asks) if c.name == name), "")

    def is_ask(self, name: str) -> bool:
        return any(a.name == name for a in self.asks)


_SYLLABLES = re.compile(r"[^\W\d_]+")


def typed_with_diacritics(message: NormalizedText) -> bool:
    """Whether the message was typed with Vietnamese diacritics (TYPED_WITH_DIACRITICS)."""
    syllables = _SYLLABLES.findall(message.text)
    if not syllables:
        return False
    marked = sum(1 for s in syllables if fold_diacritics(s) != s)
    return marked >= TYPED_WITH_DIACRITICS * len(syllables)


@lru_cache(maxsize=2)
def load_subcases(path: Path = SUBCASES_FILE) -> Subcases:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    classes = []
    for name, item in (data.get("classes") or {}).items():
        phrases, words = _phrases_and_words(item)
        with_phrases, with_words = _phrases_and_words(item.get("with") or {})
        unless_phrases, unless_words = _phrases_and_words(item.get("unless") or {})
        near = [_near(pair) for pair in item.get("near") or ()]
        near_typed = [_near(pair, typed=True)[1] for pair in item.get("near") or ()]
        passing = item.get("passing") or {}
        before = [_normalized(b) for b in passing.get("before") or ()]
        after = [_normalized(a) for a in passing.get("after") or ()]
        classes.append(SubcaseClass(
            name=str(name),
            says=str(item.get("says", "")),
            accented=_accented(phrases),
            folded=_folded(phrases, words),
            words=_folded([], words),
            passing_accented=_passing(before, after, phrases + words),
            passing_folded=_passing([fold_diacritics(b) for b in before], [fold_diacritics(a) for a in after],
                                    [fold_diacritics(p) for p in phrases + words]),
            with_accented=_accented(with_phrases),
            with_folded=_folded(with_phrases, with_words),
            unless_accented=_accented(unless_phrases),
            unless_folded=_folded(unless_phrases, unless_words),
            near_accented=tuple(p for p, _ in near if p),
            near_folded=tuple(p for _, p in near if p),
            with_words=_folded([], with_words),
            unless_words=_folded([], unless_words),
            near_typed=tuple(p for p in near_typed if p),
        ))
    asks = tuple(
        Ask(name=str(name), says=str(item.get("says", "")),
            ask=tuple(re.compile(p) for p in item.get("ask") or ()),
            answer=tuple(re.compile(p) for p in item.get("answer") or ()))
        for name, item in (data.get("asks") or {}).items())
    return Subcases(tuple(classes), asks)


def _phrases_and_words(item: dict) -> tuple[list[str], list[str]]:
    phrases = [_normalized(p) for p in item.get("phrases") or ()]
    # as typed: the normalizer would turn "tax" into "thuế", whose fold is also "thuê" (rent)
    words = [str(w).lower().strip() for w in item.get("words") or ()]
    return phrases, words


def _accented(phrases: list[str]) -> tuple[str, ...]:
    return tuple(p for p in phrases if p)


def _folded(phrases: list[str], words: list[str]) -> tuple[str, ...]:
    """Phrases of two or more syllables and foreign words: a lone folded syllable is too many words."""
    return tuple(fold_diacritics(p) for p in phrases if len(p.split()) > 1) + tuple(
        fold_diacritics(w) for w in words if w)


def _near(pair: dict, typed: bool = False) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """One of `first`, then at most `within` words, then one of `then`, as whole words: the
    pattern on the text as typed and the one on the folded text (each side by the rules of
    `phrases` and `words`). `typed`: the folded pattern of the foreign words alone, for a message
    typed with diacritics (its Vietnamese phrases are matched as typed)."""
    first, first_words = _phrases_and_words(pair.get("first") or {})
    then, then_words = _phrases_and_words(pair.get("then") or {})
    # words that, right before `first`, make it someone else's ("chồng em đang ở Nhật")
    not_after = [_normalized(p) for p in pair.get("not_after") or ()]
    within = int(pair.get("within", 0))
    if typed:
        first, then = [], []
    return (_pattern(_accented(first) + tuple(first_words), _accented(then) + tuple(then_words), within,
                     tuple(not_after)),
            _pattern(_folded(first, first_words), _folded(then, then_words), within,
                     tuple(fold_diacritics(p) for p in not_after)))


def _pattern(first: tuple[str, ...], then: tuple[str, ...], within: int,
             not_after: tuple[str, ...] = ()) -> re.Pattern[str] | None:
    if not first or not then:
        return None
    alternatives = lambda phrases: "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    # one look-behind per word (Python's are of a fixed width each), tried only after a space
    behind = "".join(f"(?<! {re.escape(p)} )" for p in not_after)
    return re.compile(rf" {behind}(?:{alternatives(first)})(?: \S+){{0,{within}}} (?:{alternatives(then)}) ")


def _passing(before: list[str], after: list[str], phrases: list[str]) -> re.Pattern[str] | None:
    """A context word, then a phrase, or a phrase, then a context word, as whole words; `sub(" ", …)`
    on the padded message takes them out. One pattern, not a replace per context: an organisation
    has thousands of contexts (its words times theirs) and a long message took ~6 ms to go through them."""
    if not before and not after:
        return None
    phrase = alternation(phrases)
    contexts = ([f"(?:{alternation(before)}) {phrase}"] if before else []) + (
        [f"{phrase} (?:{alternation(after)})"] if after else [])
    return re.compile(f" (?:{'|'.join(contexts)})(?= )")


def alternation(words: Iterable[str]) -> str:
    # the longest first, so that "công ty tnhh" is taken whole rather than "công ty" out of it
    return "(?:" + "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)) + ")"


def _normalized(phrase: str) -> str:
    return re.sub(r"\s+", " ", normalize(str(phrase)).text).strip()
