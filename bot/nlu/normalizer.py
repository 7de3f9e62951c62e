"""Rasa component that normalizes a citizen's Vietnamese message before tokenization."""
from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.message_processor import MessageProcessor
from bot.text.normalize import NormalizedText, Piece, normalize

# Message data key under which the normalized syllables travel to the tokenizer.
NORMALIZED = "vi_normalized"


def normalized_of(message: Message) -> NormalizedText | None:
    """The normalized text the normalizer stored on `message`, if it ran."""
    stored = message.get(NORMALIZED)
    if stored is None:
        return None
    return NormalizedText(tuple(Piece(text, start, end) for text, start, end in stored))


# Registered as a featurizer because Rasa's recipe has no "preprocessor" type; it must be listed
# before the tokenizer in config.yml, and the recipe runs components in that order.
@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class VietnameseNormalizer(MessageProcessor):
    """NFC, lower case, tone placement, repeated letters and chat-slang expansion."""

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                pieces = normalize(text).pieces
                message.set(NORMALIZED, [[p.text, p.start, p.end] for p in pieces])
        return messages
