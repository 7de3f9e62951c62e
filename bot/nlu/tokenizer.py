"""Rasa tokenizer on underthesea's word segmentation over normalized Vietnamese text."""
from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.code_version import code_version
from bot.nlu.normalizer import normalized_of
from bot.text.normalize import normalize
from bot.text.segment import segment


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(Tokenizer):
    """Tokens are normalized words ("căn_cước") whose offsets point into the message as typed."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # split intents such as "faq_khai_sinh" into parts (Rasa's tokenizer option)
            "intent_tokenization_flag": False,
            # symbol on which the intent is split
            "intent_split_symbol": "_",
            # a regex to split tokens further; none for Vietnamese
            "token_pattern": None,
            # prefix separator for intent names
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["underthesea"]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        return code_version()  # segmentation lives in bot/text, outside the class Rasa fingerprints

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute)
        normalized = normalized_of(message) if attribute == TEXT else None
        words = segment(normalized if normalized is not None else normalize(text))
        return [Token(word.text, word.start, word.end) for word in words]
