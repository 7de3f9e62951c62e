"""Turn a bot turn into Zalo messages: merge, split at 2,000 characters, number the buttons in
the text and send them as Zalo buttons too (the text is what Zalo PC/Web shows)."""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from connectors.zalo.api import BUTTON_PAYLOAD_LIMIT, BUTTON_TITLE_LIMIT, MAX_BUTTONS, TEXT_LIMIT, ZaloButton

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMessage:
    text: str
    buttons: tuple[ZaloButton, ...] = ()


def turn_messages(texts: list[str], buttons: Iterable[ZaloButton], limit: int = TEXT_LIMIT) -> list[OutgoingMessage]:
    """A turn's texts as few messages as fit; the buttons ride on the last one, under the options
    they stand for (a split never leaves them above text they do not belong to)."""
    chunks = merge_and_split(texts, limit)
    if not chunks:
        return []
    messages = [OutgoingMessage(chunk) for chunk in chunks]
    messages[-1] = OutgoingMessage(chunks[-1], tuple(buttons))
    return messages


def zalo_buttons(buttons: Iterable[dict[str, Any]]) -> list[ZaloButton]:
    """Rasa's buttons as `oa.query.show` buttons within Zalo's limits: the payload is what the
    citizen would type (shown in their chat), so the core reads a tap as typed text."""
    result: list[ZaloButton] = []
    for button in buttons:
        title = str(button.get("title") or "").strip()
        payload = str(button.get("payload") or "").strip()
        if not title or not payload:
            continue
        if len(payload) > BUTTON_PAYLOAD_LIMIT:
            # A cut payload would mean something else; the numbered text still offers the option.
            logger.warning("button %r left out: payload over %d characters", title, BUTTON_PAYLOAD_LIMIT)
            continue
        if len(title) > BUTTON_TITLE_LIMIT:
            title = title[: BUTTON_TITLE_LIMIT - 1].rstrip() + "…"
        result.append(ZaloButton(title, payload))
    return result


def cap_buttons(buttons: list[ZaloButton]) -> list[ZaloButton]:
    """At most Zalo's five, first offered first, one per payload."""
    seen: set[str] = set()
    kept = []
    for button in buttons:
        if button.payload not in seen:
            seen.add(button.payload)
            kept.append(button)
    if len(kept) > MAX_BUTTONS:
        logger.warning("%d buttons in one turn; Zalo shows %d, the rest stay in the numbered text", len(kept), MAX_BUTTONS)
    return kept[:MAX_BUTTONS]



def merge_and_split(texts: list[str], limit: int = TEXT_LIMIT) -> list[str]:
    """Consecutive utterances of one turn as few messages as fit, split on paragraph boundaries."""
    messages: list[str] = []
    current = ""
    for paragraph in (p.strip() for t in texts for p in t.split("\n\n")):
        if not paragraph:
            continue
        for piece in _fit(paragraph, limit):
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages


def _fit(paragraph: str, limit: int) -> list[str]:
    """A paragraph longer than one message, cut at line ends, then spaces, then anywhere."""
    if len(paragraph) <= limit:
        return [paragraph]
    pieces: list[str] = []
    rest = paragraph
    while len(rest) > limit:
        cut = max(rest.rfind("\n", 0, limit + 1), rest.rfind(" ", 0, limit + 1))
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def with_numbered_buttons(text: str, buttons: list[dict[str, Any]]) -> str:
    """Buttons as a numbered list: Zalo PC/Web shows no buttons, and Zalo may refuse them.

    A button whose words the text already asks for ("nhắn “có” hoặc “không”") is not listed
    again: a number would not mean it, and the citizen knows what to type."""
    lines = [text.rstrip()] if text else []
    folded = text.casefold()
    for number, button in enumerate(buttons, start=1):
        payload = str(button.get("payload") or "")
        if payload and payload != str(number) and not payload.isdigit() and payload.casefold() in folded:
            continue
        line = f"{number}. {button.get('title', '')}"
        if line not in text:
            lines.append(line)
    return "\n".join(lines)
