"""Shared fixtures: databases (SQLite and PostgreSQL), the knowledge base, the trained model."""
from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.migrate import upgrade

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


def _postgres_engine(schema: str):
    """An engine on its own, new schema of the PostgreSQL test database: a run starts from the
    migrations, whatever earlier runs (or other checkouts) left in that database."""
    admin = create_engine(POSTGRES_URL, future=True)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI but unreachable at {POSTGRES_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}")
    finally:
        admin.dispose()
    # In the URL, not in connect_args: tests hand the URL to commands and other processes.
    return create_engine(make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"}), future=True)


def _drop_schema(schema: str) -> None:
    admin = create_engine(POSTGRES_URL, future=True)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@contextmanager
def migrated_engine(backend: str, name: str, tmp_path_factory):
    """An engine on a new SQLite file or PostgreSQL schema `name`, built from the migrations."""
    schema = f"{name}_{os.getpid()}"
    if backend == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path_factory.mktemp(name) / 'test.db'}", future=True)
    else:
        engine = _postgres_engine(schema)
    with engine.begin() as conn:
        upgrade(connection=conn)
    try:
        yield engine
    finally:
        engine.dispose()
        if backend == "postgresql":
            _drop_schema(schema)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_engine(request, tmp_path_factory):
    """An engine per backend, its schema built once from the Alembic migrations."""
    with migrated_engine(request.param, "tests", tmp_path_factory) as engine:
        yield engine


@pytest.fixture
def db(db_engine):
    """A connection inside a transaction that is rolled back after the test: nothing persists."""
    connection = db_engine.connect()
    outer = connection.begin()
    yield connection
    outer.rollback()
    connection.close()


@pytest.fixture(scope="session")
def kb():
    from bot.faq.knowledge_base import load_knowledge_base

    return load_knowledge_base()


@pytest.fixture(scope="session")
def understanding():
    from bot.understanding import load_understanding

    return load_understanding()


@pytest.fixture(scope="session")
def trained_model():
    """The model for the current data: from models/, the cache, or trained once (minutes)."""
    from bot.model import ensure_model

    return ensure_model()


@pytest.fixture(scope="session")
def nlu(trained_model):
    from bot.nlu_model import NluModel

    model = NluModel(trained_model)
    yield model
    model.close()


# The privacy notice (data/replies.yml privacy_notice) comes once, after the first reply: the
# conversation tests read the bot's replies without it.
PRIVACY_NOTICE_START = "Về dữ liệu cá nhân:"


def bot_replies(messages: list[dict]) -> list[str]:
    """The OA's texts of a simulator conversation, without the officers' and the privacy notice."""
    return [m["text"] for m in messages if m["direction"] != "citizen_to_oa" and not m.get("admin_id")
            and not m["text"].startswith(PRIVACY_NOTICE_START)]
