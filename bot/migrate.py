"""Bring a database to the newest schema with the Alembic migrations, then seed what the
product needs to start (departments and holidays from data/departments.yml, idempotently)."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from bot import paths
from bot.config import database_url


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    config = Config(str(paths.ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(paths.ROOT / "migrations"))
    if url:
        config.attributes["url"] = url
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str | None = None, connection: Connection | None = None) -> None:
    from bot.handoff.departments import seed_departments

    command.upgrade(alembic_config(url, connection), "head")
    if connection is not None:
        seed_departments(connection)
        return
    engine = create_engine(url or database_url(), future=True)
    try:
        with engine.begin() as conn:
            seed_departments(conn)
    finally:
        engine.dispose()
