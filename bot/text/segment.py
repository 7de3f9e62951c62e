"""Group normalized syllables into Vietnamese words with underthesea, keeping their offsets."""
from __future__ import annotations

from dataclasses import dataclass

from underthesea import word_tokenize

from bot.text.normalize import NormalizedText, Piece

# underthesea's CRF costs about 0.25 ms a syllable: beyond this, syllables stay single words so
# that a pasted 10,000-character message cannot stall the bot.
MAX_SEGMENTED_SYLLABLES = 300
WORD_JOINER = "_"


@dataclass(frozen=True)
class Word:
    """A word of one or more syllables and the span of the original text it covers."""

    syllables: tuple[str, ...]
    start: int
    end: int

    @property
    def text(self) -> str:
        return WORD_JOINER.join(self.syllables)


def segment(normalized: NormalizedText) -> list[Word]:
    """Split a normalized message into words ("căn cước" stays one word)."""
    pieces = normalized.pieces
    head, tail = pieces[:MAX_SEGMENTED_SYLLABLES], pieces[MAX_SEGMENTED_SYLLABLES:]
    words: list[Word] = []
    consumed = 0
    if head:
        for chunk in word_tokenize(" ".join(p.text for p in head)):
            syllables = chunk.split()
            span = head[consumed : consumed + len(syllables)]
            if not syllables or [p.text for p in span] != syllables:
                break  # underthesea changed the text: keep the rest one syllable a word
            words.append(Word(tuple(syllables), span[0].start, span[-1].end))
            consumed += len(syllables)
    words.extend(_single(p) for p in (*head[consumed:], *tail))
    return words


def _single(piece: Piece) -> Word:
    """A one-syllable word."""
    return Word((piece.text,), piece.start, piece.end)
