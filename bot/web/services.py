"""The service objects a web request works with, as FastAPI dependencies.

Every service is built from `engine`, so a test points the whole inbox at its own database with
`app.dependency_overrides[services.engine] = lambda: test_engine`.
"""
from __future__ import annotations

from fastapi import Depends, Request
from sqlalchemy.engine import Engine

from bot.config import database_url
from bot.db import get_engine
from bot.faq.store import KnowledgeStore
from bot.handoff.departments import Departments
from bot.handoff.staff import StaffDirectory
from bot.handoff.tickets import TicketDesk
from bot.zalo_store import ZaloStore
from connectors.zalo.gateway import ZaloGateway


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


def zalo_gateway(request: Request) -> ZaloGateway | None:
    """None when the web process runs without the gateway (ZALO_GATEWAY=off)."""
    return getattr(request.app.state, "zalo", None)


def zalo_store(db: Engine = Depends(engine), gateway: ZaloGateway | None = Depends(zalo_gateway)) -> ZaloStore:
    """The gateway's store, or one on the same database to read the reply window without it."""
    return gateway.store if gateway is not None else ZaloStore(db)
