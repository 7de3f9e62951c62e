"""A fresh migrated SQLite database per test, copied from one migrated once per session."""
from __future__ import annotations

import shutil

import pytest

from bot.migrate import upgrade


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory):
    template = tmp_path_factory.mktemp("template") / "bot.db"
    upgrade(f"sqlite:///{template}")
    return template


@pytest.fixture
def fresh_sqlite_url(migrated_sqlite_template, tmp_path) -> str:
    """The URL of a new copy: the migrations and the seed (departments, starter FAQs) run once."""
    copy = tmp_path / "bot.db"
    shutil.copy2(migrated_sqlite_template, copy)
    return f"sqlite:///{copy}"
