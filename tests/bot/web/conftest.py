"""The inbox, in-process on each database: staff of every role, a fake Zalo, tickets on demand.

Staff are created once per test module (argon2 hashing is slow on purpose) and signed in by
starting sessions directly; the log-in form itself is tested in test_inbox_actions.py. Every row
a module makes is deleted afterwards, as PostgreSQL keeps its tables between runs.
"""
from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, or_, select

from bot.db import audit_log, staff, staff_session, ticket, ticket_event, zalo_conversation, zalo_outbound
from bot.handoff.departments import Departments
from bot.handoff.staff import ADMIN, LEADER, OFFICER, Staff, StaffDirectory
from bot.handoff.tickets import Ticket, TicketDesk
from bot.web import services
from bot.web.auth import COOKIE
from bot.zalo_store import ZaloStore
from connectors.zalo.api import ZaloApiClient
from connectors.zalo.outbox import ZaloOutbox
from processes.web import create_app  # the site as the web process serves it, the Zalo webhook included
from tests.connectors.zalo.conftest import FakeTokens, FakeZalo

HOME, OTHER = "tu_phap_ho_tich", "cong_an"
PASSWORD = "mat-khau-thu-nghiem"


@dataclass
class Actor:
    staff: Staff | None  # None: not signed in
    token: str = ""
    csrf: str = ""

    @property
    def cookies(self) -> dict[str, str]:
        return {COOKIE: self.token} if self.token else {}


@dataclass
class Inbox:
    engine: Any
    app: Any
    desk: TicketDesk
    directory: StaffDirectory
    zalo: FakeZalo
    prefix: str
    actors: dict[str, Actor]
    _numbers: Any = field(default_factory=lambda: itertools.count(1))

    def __getitem__(self, role: str) -> Actor:
        return self.actors[role]

    def client(self, actor: Actor | None = None, base_url: str = "http://web.test") -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=base_url,
                                 cookies=actor.cookies if actor else {})

    def get(self, actor: Actor | None, path: str) -> httpx.Response:
        async def go() -> httpx.Response:
            async with self.client(actor) as client:
                return await client.get(path)
        return asyncio.run(go())

    def post(self, actor: Actor | None, path: str, data: dict[str, Any] | None = None, csrf: bool = True) -> httpx.Response:
        form = dict(data or {})
        if csrf and actor and actor.csrf:
            form.setdefault("csrf_token", actor.csrf)

        async def go() -> httpx.Response:
            async with self.client(actor) as client:
                return await client.post(path, data=form)
        return asyncio.run(go())

    def citizen(self) -> str:
        return f"{self.prefix}-{next(self._numbers)}"

    def open_ticket(self, question: str = "Cho hỏi thủ tục đăng ký khai sinh cần giấy tờ gì?", department: str = HOME,
                    name: str | None = "Nguyễn Thị Hoa") -> Ticket:
        return self.desk.open_ticket(self.citizen(), "zalo", question, department, "Trợ lý ảo chưa chắc câu trả lời", name).ticket


def build_app(engine, zalo: FakeZalo):
    app = create_app()
    app.dependency_overrides[services.engine] = lambda: engine
    client = ZaloApiClient("http://zalo.test", FakeTokens(), http=httpx.AsyncClient(transport=httpx.MockTransport(zalo.handler)))
    app.state.outboxes = {"zalo": ZaloOutbox(client, ZaloStore(engine))}
    return app


@pytest.fixture(scope="module")
def inbox(db_engine):
    prefix = f"t{uuid.uuid4().hex[:8]}"
    directory = StaffDirectory(db_engine)
    made = {
        "officer": directory.create(f"{prefix}.an", "Nguyễn Văn An", PASSWORD, OFFICER, HOME),
        "colleague": directory.create(f"{prefix}.binh", "Lê Thị Bình", PASSWORD, OFFICER, HOME),
        "other_officer": directory.create(f"{prefix}.cuong", "Phạm Văn Cường", PASSWORD, OFFICER, OTHER),
        "leader": directory.create(f"{prefix}.duc", "Hoàng Minh Đức", PASSWORD, LEADER),
        "admin": directory.create(f"{prefix}.quantri", "Trần Quản Trị", PASSWORD, ADMIN),
    }
    actors = {"anonymous": Actor(None)}
    for role, member in made.items():
        token, csrf = directory.start_session(member)
        actors[role] = Actor(member, token, csrf)
    zalo = FakeZalo()
    world = Inbox(db_engine, build_app(db_engine, zalo), TicketDesk(db_engine, Departments(db_engine)), directory,
                  zalo, prefix, actors)
    yield world
    cleanup(db_engine, prefix)


def cleanup(engine, prefix: str) -> None:
    """Everything a module made: its tickets, their events, its staff and what they did."""
    with engine.begin() as conn:
        ticket_ids = conn.execute(select(ticket.c.id).where(ticket.c.citizen_id.like(f"{prefix}%"))).scalars().all()
        staff_ids = conn.execute(select(staff.c.id).where(staff.c.username.like(f"{prefix}%"))).scalars().all()
        if ticket_ids:
            conn.execute(delete(ticket_event).where(ticket_event.c.ticket_id.in_(ticket_ids)))
            conn.execute(delete(ticket).where(ticket.c.id.in_(ticket_ids)))
        conn.execute(delete(audit_log).where(or_(
            audit_log.c.username.like(f"{prefix}%"), audit_log.c.detail.like(f"{prefix}%"),
            audit_log.c.staff_id.in_(staff_ids or [-1]),
            audit_log.c.ticket_id.in_(ticket_ids or [-1]))))
        conn.execute(delete(staff_session).where(staff_session.c.staff_id.in_(staff_ids or [-1])))
        conn.execute(delete(staff).where(staff.c.id.in_(staff_ids or [-1])))
        conn.execute(delete(zalo_outbound).where(zalo_outbound.c.user_id.like(f"{prefix}%")))
        conn.execute(delete(zalo_conversation).where(zalo_conversation.c.user_id.like(f"{prefix}%")))
