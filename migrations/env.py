"""Alembic environment: the app's metadata, on the connection or URL the caller gives."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from bot.config import database_url
from bot.db import metadata

config = context.config


def run_migrations_offline() -> None:
    context.configure(url=config.attributes.get("url") or database_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.attributes.get("url") or database_url(), future=True)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
