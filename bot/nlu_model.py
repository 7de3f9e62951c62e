"""Load a trained Rasa model and parse messages with it, synchronously, in one process."""
from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from bot.decision import IntentScore
from bot.understanding import ranking_from_parse

# Rasa and TensorFlow are loud at import; the CLI's output must stay one JSON line per input.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("LOG_LEVEL_LIBRARIES", "ERROR")

MAX_PARSED_CHARACTERS = 2000  # beyond one Zalo message the rest adds nothing to the intent


class NluModel:
    def __init__(self, model: Path) -> None:
        from rasa.core.agent import Agent

        import structlog

        logging.getLogger("rasa").setLevel(logging.ERROR)
        # Rasa logs every parse through structlog at debug level.
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
        self._loop = asyncio.new_event_loop()
        self._agent = Agent.load(str(model))

    def rank(self, text: str) -> tuple[IntentScore, ...]:
        """The model's intent ranking for `text`, best first."""
        text = text[:MAX_PARSED_CHARACTERS].strip()
        if not text:
            return ()
        # A leading "/" makes Rasa read the text as an intent payload; citizens do not mean that.
        text = text.lstrip("/")
        parse = self._loop.run_until_complete(self._agent.parse_message(text))
        return ranking_from_parse(parse)

    def close(self) -> None:
        self._loop.close()
