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
# `make test-fast` sets TEST_DATABASES=sqlite: every test parametrized over both databases runs
# on SQLite only (the full lane, `make test`, runs both).
DATABASES = [name.strip() for name in os.environ.get("TEST_DATABASES", "sqlite,postgresql").split(",") if name.strip()]


# Tests that measure scale or drive a browser, each several seconds: the full lane runs them,
# `make test-fast` (-m "not slow") leaves them out. Listed here, by path or test name, so the
# lane's budget (2 minutes) is kept in one place.
BROWSER_TESTS = "tests/browser/"
SLOW = (
    BROWSER_TESTS,
    "test_a_2000_faq_file_is_read_and_checked_in_under_10_seconds",
    "test_an_uploaded_file_is_parsed_in_a_process_apart",
    "test_the_index_scores_as_token_sort_ratio_over_every_question",
    "test_a_broken_file_is_reported_by_row_and_column_and_changes_nothing",
    "test_a_message_said_twice_over_is_the_same_message",
    "test_the_same_data_trains_the_same_model",  # trains the classifier twice
    "test_ten_thousand_messages_group_in_a_few_seconds",
    "test_no_english_key_is_a_word_citizens_type_in_vietnamese",
    "test_held_out_questions_are_decided_as_the_bot_decides",
    "test_the_command_line_on_a_fresh_database",
    "test_rasas_own_pull_fetches_a_new_model_once_and_then_hears_nothing_new",
    "test_a_killed_worker_loses_nothing_and_doubles_nothing",
)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: measures scale or drives a browser; left out of `make test-fast`")
    config.addinivalue_line("markers", "browser: drives Chromium against live servers; `make test` runs these a file per worker")


def pytest_collection_modifyitems(config, items):
    """Mark the slow tests; leave out the PostgreSQL cases when the lane runs on SQLite only."""
    for item in items:
        if any(item.nodeid.startswith(s) if s.endswith("/") else item.originalname == s for s in SLOW):
            item.add_marker(pytest.mark.slow)
        if item.nodeid.startswith(BROWSER_TESTS):
            item.add_marker(pytest.mark.browser)
    if "postgresql" in DATABASES:
        return
    kept, left_out = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        (left_out if "postgresql" in params.values() else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


def unavailable(message: str) -> None:
    """Skips a test whose service or tool is missing on this machine; in CI (CI=true) fails it:
    CI installs what the suite needs, so a missing one is a broken set-up, not a test to skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"required in CI: {message}")
    pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """argon2 at its cheapest in tests only: the product's hasher (64 MiB, 3 passes) costs ~0.1 s
    per staff account created or signed in. Tests of the cost itself swap in their own."""
    from argon2 import PasswordHasher

    from bot.handoff import staff

    strong = staff._hasher
    staff._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield strong
    staff._hasher = strong


def _postgres_engine(schema: str):
    """An engine on its own, new schema of the PostgreSQL test database: a run starts from the
    migrations, whatever earlier runs (or other checkouts) left in that database."""
    admin = create_engine(POSTGRES_URL, future=True)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        unavailable(f"PostgreSQL unreachable at {POSTGRES_URL}: {exc}")
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


@pytest.fixture(params=["sqlite", "postgresql"])
def bare_engine(request, tmp_path):
    """An empty database on each backend: a migration test walks the migrations itself (`migrate`)."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}", future=True)
        yield engine
        engine.dispose()
    else:
        # the pid: under pytest-xdist two tests whose names end alike run at once
        schema = f"bare_{tmp_path.name[-12:]}_{os.getpid()}".replace("-", "_").lower()
        engine = _postgres_engine(schema)
        yield engine
        engine.dispose()
        _drop_schema(schema)


def migrate(engine, step: str, target: str) -> None:
    """`step` ("upgrade"/"downgrade") the database to the Alembic revision `target`."""
    from alembic import command

    from bot.migrate import alembic_config

    with engine.begin() as conn:
        getattr(command, step)(alembic_config(connection=conn), target)


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
    """The model for the current data: from models/, the cache, or trained once (minutes).

    The model and browser tests run on two xdist workers: the first to ask trains, the other
    waits for it on a lock file instead of training the same model beside it."""
    import fcntl

    from bot.model import cache_dir, ensure_model

    lock = cache_dir() / ".tests-training.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
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
