"""Run-time settings read from the environment, with defaults that need nothing installed."""
from __future__ import annotations

import os
from pathlib import Path

from bot import paths


def database_url() -> str:
    """DATABASE_URL, or the SQLite file var/bot.db (created on first use)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    paths.VAR.mkdir(exist_ok=True)
    return f"sqlite:///{paths.VAR / 'bot.db'}"


def rasa_url() -> str:
    """Where the web process finds the Rasa server: RASA_URL, else the local default port."""
    return os.environ.get("RASA_URL", "").strip() or "http://127.0.0.1:5005"


def releases_dir() -> Path:
    """Where published releases (knowledge base + training data) are kept: RELEASES_DIR or var/releases."""
    value = os.environ.get("RELEASES_DIR", "").strip()
    return Path(value) if value else paths.VAR / "releases"
