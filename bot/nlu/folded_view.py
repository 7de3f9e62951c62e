"""Rasa component that gives each token a second, diacritics-free view for the featurizers."""
from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import ACTION_TEXT, RESPONSE, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.message_processor import MessageProcessor

from bot.text.fold import fold_diacritics
from bot.text.segment import WORD_JOINER

_TEXT_ATTRIBUTES = (TEXT, RESPONSE, ACTION_TEXT)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class DiacriticsFoldedView(MessageProcessor):
    """Sets each token's lemma to its folded syllables ("căn_cước" -> "can cuoc").

    A CountVectorsFeaturizer with `use_lemma: true` then sees text typed with and without
    diacritics alike. Syllables are space-separated, so the folded features do not depend on
    underthesea segmenting unaccented text the same way as accented text.
    """

    @staticmethod
    def required_components() -> list[type]:
        return [Tokenizer]

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            for attribute in _TEXT_ATTRIBUTES:
                for token in message.get(TOKENS_NAMES[attribute]) or ():
                    token.lemma = fold_diacritics(token.text).replace(WORD_JOINER, " ")
        return messages
