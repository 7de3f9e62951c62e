"""Rasa component that keeps only the sentence-level features of a message's text for DIET."""
from __future__ import annotations

import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.message_processor import MessageProcessor


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceFeaturesOnly(MessageProcessor):
    """Drops the token-level (sequence) features of the text; the bag of the message stays.

    Our DIET has no transformer layer and no entity recognition, so its intent comes from the
    sentence features alone: the token rows never reach the answer, yet DIET densified and fed
    every token of every message through its layers. Long messages made that most of the
    training time (bench/seed_spread.py prints it), and a publish must fit in minutes on two cores.

    DIET's sequence layer refuses a text without token-level features, so one constant row
    stands in for them: every message looks one token long, and its sentence features follow.
    """

    @staticmethod
    def required_components() -> list[type]:
        return [Featurizer]

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            kept = [feature for feature in message.features
                    if not (feature.attribute == TEXT and feature.type == FEATURE_TYPE_SEQUENCE)]
            if len(kept) < len(message.features):
                kept.append(Features(_ONE_TOKEN, FEATURE_TYPE_SEQUENCE, TEXT, type(self).__name__))
            message.features = kept
        return messages


_ONE_TOKEN = scipy.sparse.coo_matrix([[1.0]])
