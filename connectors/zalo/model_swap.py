"""Put a new model into the running Rasa server without making citizens wait.

Rasa's own `PUT /model` loads the model inside its event loop, so every turn that arrives
meanwhile waits for the loading (about 3 s on these machines). Here the model is loaded in a
worker thread, one message runs through it so the first citizen does not pay TensorFlow's
warm-up, and only then is it swapped in, between two turns. A turn already running keeps the
processor it started with.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.processor import MessageProcessor

WARM_UP_TEXT = "xin chào"


async def swap_model(agent: Any, model_path: Path) -> None:
    """Load `model_path` beside the agent's current model, then make it the agent's model."""
    processor = await asyncio.to_thread(_load_warm, agent, model_path)
    agent.processor = processor
    agent.domain = processor.domain
    agent.tracker_store.domain = processor.domain
    if isinstance(agent.nlg, TemplatedNaturalLanguageGenerator):
        agent.nlg.responses = processor.domain.responses if processor.domain else {}


def _load_warm(agent: Any, model_path: Path) -> MessageProcessor:
    processor = MessageProcessor(
        model_path=model_path,
        tracker_store=agent.tracker_store,
        lock_store=agent.lock_store,
        generator=agent.nlg,
        action_endpoint=agent.action_endpoint,
        http_interpreter=agent.http_interpreter,
    )
    # NLU only: no tracker is read or written, so the worker thread's own loop is enough.
    asyncio.run(processor.parse_message(UserMessage(WARM_UP_TEXT)))
    return processor
