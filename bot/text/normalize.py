"""Normalize a citizen's message into Vietnamese syllables that keep offsets into the original.

Steps, per word of the original text: Unicode NFC, lower case, clean-up of letters repeated for
emphasis ("ạaaa" -> "ạ"), one tone-mark placement convention ("hoà" -> "hòa", "thuý" -> "thúy"),
then the English terms of `data/english.yml` ("birth certificate" -> "giấy khai sinh") and
chat-slang expansion from `data/slang.yml` ("ko" -> "không", "10t" -> "10 tuổi").
Every output syllable carries the start/end offsets of the word(s) it came from, so tokens built
on top of it satisfy Rasa's contract that offsets point into the message text as received.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import regex
import yaml

from bot.text.fold import fold_diacritics
from bot.text.syllable import reads_as_english

SLANG_FILE = Path(__file__).resolve().parents[2] / "data" / "slang.yml"
ENGLISH_FILE = Path(__file__).resolve().parents[2] / "data" / "english.yml"

# Letters, combining marks (text typed in NFD) and digits; everything else separates words.
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+")
_NUMBER_WITH_SUFFIX = regex.compile(r"(\d+)([a-zđ]+)")
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_VOWELS = set("aăâeêioôơuưy")
_MODIFIED_VOWELS = set("ăâêôơư")
_NEGATIONS = {"không", "ko", "k", "kh", "hk", "hok", "hông", "hem", "khum", "khong"}


@dataclass(frozen=True)
class Piece:
    """One normalized syllable and the span of the original word it came from."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class NormalizedText:
    """A message after normalization: its syllables in order."""

    pieces: tuple[Piece, ...]

    @property
    def text(self) -> str:
        return " ".join(p.text for p in self.pieces)

    @property
    def folded(self) -> str:
        return fold_diacritics(self.text)


@dataclass(frozen=True)
class SlangTable:
    words: dict[str, str]
    after_number: dict[str, str]
    number_suffix: dict[str, str]
    # word -> (its expansion, the previous words that call for it)
    after_word: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)
    # English terms: the words of a key in a row -> Vietnamese
    phrases: dict[tuple[str, ...], str] = field(default_factory=dict)

    @cached_property
    def longest_phrase_from(self) -> dict[str, int]:
        """First word of a glossary key -> the most words a key starting with it has."""
        longest: dict[str, int] = {}
        for key in self.phrases:
            longest[key[0]] = max(longest.get(key[0], 0), len(key))
        return longest


@lru_cache(maxsize=4)
def load_slang(path: Path = SLANG_FILE, english: Path | None = ENGLISH_FILE) -> SlangTable:
    """Read the slang table (and the English glossary) once per process."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    glossary = yaml.safe_load(english.read_text(encoding="utf-8"))["phrases"] if english else {}
    return SlangTable(
        words={str(k): str(v) for k, v in data["words"].items()},
        after_number={str(k): str(v) for k, v in data["after_number"].items()},
        number_suffix={str(k): str(v) for k, v in data["number_suffix"].items()},
        after_word={str(k): (str(v["expansion"]), frozenset(map(str, v["after"])))
                    for k, v in (data.get("after_word") or {}).items()},
        phrases={phrase_key(str(k)): str(v) for k, v in glossary.items()},
    )


def phrase_key(phrase: str) -> tuple[str, ...]:
    """A glossary key as the words a message is split into ("one-stop" -> ("one", "stop"))."""
    return tuple(clean_word(w) for w in _WORD.findall(phrase))


def normalize(text: str, slang: SlangTable | None = None) -> NormalizedText:
    """Normalize `text` (any string, even with lone surrogates or control characters)."""
    return _normalize(text, slang) if slang else _normalize_with_data_files(text)


@lru_cache(maxsize=256)
def _normalize_with_data_files(text: str) -> NormalizedText:
    # A message is normalized by the NLU pipeline and again by the decision: once is enough.
    return _normalize(text, load_slang())


def _normalize(text: str, slang: SlangTable) -> NormalizedText:
    words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
    cleaned = [clean_word(w) for w, _, _ in words]
    # only "a" reads differently in English; most messages have none to decide about
    english = "a" in cleaned and reads_as_english(cleaned, slang.words.keys())
    pieces: list[Piece] = []
    i = 0
    while i < len(cleaned):
        span, translation = _english_term(cleaned, i, slang)
        if span:
            start, end = words[i][1], words[i + span - 1][2]
            pieces.extend(Piece(syllable, start, end) for syllable in translation.split())
            i += span
            continue
        previous = cleaned[i - 1] if i > 0 else None
        following = cleaned[i + 1] if i + 1 < len(cleaned) else None
        pieces.extend(Piece(syllable, words[i][1], words[i][2])
                      for syllable in _expand(cleaned[i], previous, following, slang, english))
        i += 1
    return NormalizedText(tuple(pieces))


def _english_term(words: list[str], i: int, slang: SlangTable) -> tuple[int, str]:
    """The longest glossary key starting at word i: (its length in words, its Vietnamese), or (0, "")."""
    longest = max(slang.longest_phrase_from.get(form[0], 0) for form in _singular_forms(words[i : i + 1]))
    for span in range(min(longest, len(words) - i), 0, -1):
        for key in _singular_forms(words[i : i + span]):
            if key in slang.phrases:
                return span, slang.phrases[key]
    return 0, ""


def _singular_forms(words: list[str]) -> Iterator[tuple[str, ...]]:
    """The words as typed, then with a plural ending dropped from the last one."""
    yield tuple(words)
    last = words[-1]
    for ending in ("es", "s"):
        if len(last) > len(ending) + 2 and last.endswith(ending):
            yield (*words[:-1], last[: -len(ending)])


def normalize_text(text: str) -> str:
    """The normalized message as one string of syllables separated by spaces."""
    return normalize(text).text


def clean_word(word: str) -> str:
    """NFC, lower case, repeated letters and tone placement for one word."""
    word = unicodedata.normalize("NFC", word).lower()
    word = _collapse_repeats(word)
    return place_tone(word)


def _expand(word: str, previous: str | None, following: str | None, slang: SlangTable,
            english: bool = False) -> list[str]:
    """Expand one cleaned word into its syllables, looking at its neighbours where slang is ambiguous."""
    if english and word == "a":
        return []  # the English article, not "anh": "register a birth" is no older brother's
    glued = _NUMBER_WITH_SUFFIX.fullmatch(word)
    if glued and glued.group(2) in slang.number_suffix:
        return [glued.group(1), *slang.number_suffix[glued.group(2)].split()]
    if previous is not None and previous.isdigit() and word in slang.after_number:
        return slang.after_number[word].split()
    if word in ("dk", "đk"):
        # "làm dk ko" is "được"; "dk kết hôn" is "đăng ký".
        return ["được"] if following is None or following in _NEGATIONS else ["đăng", "ký"]
    if word in slang.after_word and previous in slang.after_word[word][1]:
        return slang.after_word[word][0].split()
    if word == "a" and following is None:
        return ["ạ"]  # a final "a" is the polite particle typed without its dot
    if word in slang.words:
        return slang.words[word].split()
    return [word]


def _collapse_repeats(word: str) -> str:
    """Collapse a final letter repeated for emphasis ("ạaaa", "nhiềuuu"), keeping its accented form.

    Only the end of a word is touched: abbreviations such as "cccd" repeat letters in the middle.
    """
    base = fold_diacritics(word[-1:])
    i = len(word)
    while i > 0 and word[i - 1].isalpha() and fold_diacritics(word[i - 1]) == base:
        i -= 1
    run = word[i:]
    if len(run) < 3:
        return word
    return word[:i] + next((c for c in run if fold_diacritics(c) != c), run[0])


def place_tone(syllable: str) -> str:
    """Put the tone mark where the traditional convention puts it ("hoà" -> "hòa")."""
    decomposed = unicodedata.normalize("NFD", syllable)
    tones = [c for c in decomposed if c in _TONE_MARKS]
    if len(tones) != 1:
        return syllable
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
    index = _tone_index(base)
    if index is None:
        return syllable
    return unicodedata.normalize("NFC", base[: index + 1] + tones[0] + base[index + 1 :])


def _tone_index(base: str) -> int | None:
    """Index of the vowel that carries the tone in a toneless syllable, or None if not Vietnamese."""
    start = 0
    if base.startswith(("qu", "gi")) and len(base) > 2 and base[2] in _VOWELS:
        start = 2  # the u of "qu" and the i of "gi" belong to the onset
    while start < len(base) and base[start] not in _VOWELS:
        start += 1
    end = start
    while end < len(base) and base[end] in _VOWELS:
        end += 1
    cluster = list(range(start, end))
    if not cluster or any(c in _VOWELS for c in base[end:]):
        return None
    modified = [i for i in cluster if base[i] in _MODIFIED_VOWELS]
    if modified:
        return modified[-1]
    if len(cluster) == 3:
        return cluster[1]
    if len(cluster) == 2:
        closed = end < len(base)
        return cluster[1] if closed else cluster[0]
    return cluster[0]
