"""Base for our stateless Rasa components that only rewrite messages in place."""
from __future__ import annotations

import abc
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.code_version import code_version


class MessageProcessor(GraphComponent, abc.ABC):
    """No configuration, nothing to train or persist: the same `process` at training and inference."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        # Rasa's training cache sees this class's source only, not bot/text or the slang and glossary
        return code_version()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MessageProcessor:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    @abc.abstractmethod
    def process(self, messages: list[Message]) -> list[Message]:
        ...
