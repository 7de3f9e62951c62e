"""The Vietnamese texts the bot sends, rendered from data/replies.yml and the unit profile."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot import paths


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()


class Replies:
    """Reply templates filled with the unit profile and per-message values."""

    def __init__(self, templates: dict[str, str], unit: dict[str, str]) -> None:
        self._templates = templates
        self._unit = unit

    def text(self, key: str, **values: str) -> str:
        return self._templates[key].format_map({**self._unit, **values}).strip()


@lru_cache(maxsize=2)
def load_templates(path: Path = paths.REPLIES_FILE) -> dict[str, str]:
    return {str(k): str(v) for k, v in yaml.safe_load(path.read_text(encoding="utf-8")).items()}
