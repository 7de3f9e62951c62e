"""A service call's transaction: the caller's, when it passes one, else its own.

A citizen's turn (decision, ticket, audit) commits once: the conversation core opens the
transaction and hands its connection to every service it calls (`conn=`). Called alone (the
inbox, the admin pages, a script), a service opens and commits its own.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine


@contextmanager
def writing(engine: Engine, conn: Connection | None) -> Iterator[Connection]:
    """`conn` as is (its owner begins and commits), or a new transaction committed on success."""
    if conn is not None:
        yield conn
        return
    with engine.begin() as own:
        yield own


@contextmanager
def reading(engine: Engine, conn: Connection | None) -> Iterator[Connection]:
    """`conn` (reads see the caller's uncommitted changes), or a new connection for the read."""
    if conn is not None:
        yield conn
        return
    with engine.connect() as own:
        yield own
