"""Bring a database to the newest schema with the Alembic migrations, then seed what the
product needs to start (departments, holidays and the starter FAQs from data/, idempotently)."""
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
    command.upgrade(alembic_config(url, connection), "head")
    if connection is not None:
        seed(connection)
        return
    engine = create_engine(url or database_url(), future=True)
    try:
        with engine.begin() as conn:
            seed(conn)
    finally:
        engine.dispose()


def seed(connection: Connection) -> None:
    """Departments, holidays and the starter knowledge base from data/, where missing."""
    from bot.faq.store import seed_faqs
    from bot.handoff.departments import seed_departments

    seed_departments(connection)
    seed_faqs(connection)
