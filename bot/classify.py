"""`python -m bot classify`: JSON lines in, one decision per line out (contract in DESIGN.md)."""
from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterable, Iterator
from typing import IO

from bot.decision import Decision
from bot.understanding import Understanding

logger = logging.getLogger(__name__)


def decision_record(text: str, decision: Decision, latency_ms: float) -> dict:
    return {
        "text": text,
        "decision": decision.kind,
        "faq_id": decision.faq_id,
        "intent": decision.intent,
        "confidence": round(decision.confidence, 4),
        "department": decision.department,
        "candidates": list(decision.candidates),
        "latency_ms": round(latency_ms, 2),
    }


def classify_lines(lines: Iterable[str], model, understanding: Understanding) -> Iterator[dict]:
    """Decide every input line; a line that is not a JSON object with "text" gets an error record."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            text = item["text"]
            if not isinstance(text, str):
                raise TypeError("text is not a string")
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("line %d is not {\"text\": ...}: %s", number, exc)
            yield {"text": None, "decision": None, "error": f"line {number}: {exc}"}
            continue
        started = time.perf_counter()
        decision = understanding.decide(text, model.rank(text))
        yield decision_record(text, decision, (time.perf_counter() - started) * 1000)


def run(stdin: IO[str], stdout: IO[str], model, understanding: Understanding) -> None:
    for record in classify_lines(stdin, model, understanding):
        stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        stdout.flush()


def main(stdin: IO[str] = sys.stdin, stdout: IO[str] = sys.stdout) -> int:
    from bot.model import ensure_model
    from bot.nlu_model import NluModel
    from bot.understanding import load_understanding

    model = NluModel(ensure_model())
    run(stdin, stdout, model, load_understanding())
    return 0
