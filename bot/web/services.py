"""The service objects a web request works with, as FastAPI dependencies.

Every service is built from `engine`, so a test points the whole inbox at its own database with
`app.dependency_overrides[services.engine] = lambda: test_engine`.
"""
from __future__ import annotations

from fastapi import Depends, Request
from sqlalchemy.engine import Engine

from bot.config import database_url
from bot.core.ports import OrderedErasure, Outboxes
from bot.db import get_engine
from bot.faq.store import KnowledgeStore
from bot.handoff.departments import Departments
from bot.handoff.staff import StaffDirectory
from bot.handoff.tickets import TicketDesk
from bot.zalo_store import ZaloStore


def engine() -> Engine:
    # Keyed by the URL: get_engine() alone would cache whichever DATABASE_URL it saw first.
    return get_engine(database_url())


def staff_directory(db: Engine = Depends(engine)) -> StaffDirectory:
    return StaffDirectory(db)


def departments(db: Engine = Depends(engine)) -> Departments:
    return Departments(db)


def knowledge_store(db: Engine = Depends(engine)) -> KnowledgeStore:
    return KnowledgeStore(db)


def ticket_desk(db: Engine = Depends(engine), units: Departments = Depends(departments)) -> TicketDesk:
    return TicketDesk(db, units)


def outboxes(request: Request) -> Outboxes:
    """The channels' outboxes the process that runs the site registered (processes/web.py);
    empty when no channel can send (ZALO_GATEWAY=off)."""
    return getattr(request.app.state, "outboxes", None) or {}


def ordered_erasure(request: Request) -> OrderedErasure | None:
    """Erasure in the citizen's event order, when a channel delivers events (processes/web.py)."""
    return getattr(request.app.state, "erase_in_order", None)


def zalo_store(db: Engine = Depends(engine)) -> ZaloStore:
    return ZaloStore(db)
