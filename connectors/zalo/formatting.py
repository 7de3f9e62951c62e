"""Turn a bot turn into Zalo text messages: merge, split at 2,000 characters, number the buttons."""
from __future__ import annotations

from typing import Any

from connectors.zalo.api import TEXT_LIMIT



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
    """Buttons as a numbered list (buttons in consultation messages are unconfirmed)."""
    lines = [text.rstrip()] if text else []
    for number, button in enumerate(buttons, start=1):
        line = f"{number}. {button.get('title', '')}"
        if line not in text:
            lines.append(line)
    return "\n".join(lines)
