"""Which knowledge base the live bot answers from: the live release's, else the checkout's.

The action server asks on every turn; the database is read at most every few seconds, so a
publish or a rollback reaches the answers within that time, in every action server process.
"""
from __future__ import annotations

import time
from pathlib import Path
from threading import Lock

from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot import paths
from bot.db import model_release

REFRESH_SECONDS = 2.0


class LiveKnowledgeDir:
    def __init__(self, engine: Engine, refresh: float = REFRESH_SECONDS) -> None:
        self._engine = engine
        self._refresh = refresh
        self._lock = Lock()
        self._checked = 0.0
        self._current = paths.DATA

    def __call__(self) -> Path:
        with self._lock:
            if time.monotonic() - self._checked >= self._refresh:
                self._current = self._read()
                self._checked = time.monotonic()
            return self._current

    def _read(self) -> Path:
        with self._engine.connect() as conn:
            data_dir = conn.execute(select(model_release.c.data_dir).where(model_release.c.live.is_(True))).scalar()
        if data_dir and (Path(data_dir) / "data" / "faq").is_dir():
            return Path(data_dir) / "data"
        return paths.DATA
