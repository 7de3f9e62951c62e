"""Bring a database to the newest schema with the Alembic migrations."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from bot import paths


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    config = Config(str(paths.ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(paths.ROOT / "migrations"))
    if url:
        config.attributes["url"] = url
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str | None = None, connection: Connection | None = None) -> None:
    command.upgrade(alembic_config(url, connection), "head")
