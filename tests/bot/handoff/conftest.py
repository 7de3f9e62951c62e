"""A ticket desk and staff on each database; what a test creates is deleted after it."""
from __future__ import annotations

import pytest
from sqlalchemy import delete

from bot.db import audit_log, staff, staff_session, ticket, ticket_event
from bot.handoff.departments import Departments
from bot.handoff.staff import LEADER, OFFICER, StaffDirectory
from bot.handoff.tickets import TicketDesk


def clean(engine) -> None:
    with engine.begin() as conn:
        for table in (ticket_event, ticket, audit_log, staff_session, staff):
            conn.execute(delete(table))


@pytest.fixture
def desk(db_engine):
    clean(db_engine)
    yield TicketDesk(db_engine, Departments(db_engine))
    clean(db_engine)


@pytest.fixture
def people(desk):
    """Two officers of Tư pháp, one of Công an, a leader: created per test (argon2, ~0.1 s each)."""
    directory = StaffDirectory(desk.engine)
    return {
        "an": directory.create("an", "Nguyễn Văn An", "mat-khau-an-123", OFFICER, "tu_phap_ho_tich"),
        "binh": directory.create("binh", "Trần Thị Bình", "mat-khau-binh-123", OFFICER, "tu_phap_ho_tich"),
        "cuong": directory.create("cuong", "Lê Văn Cường", "mat-khau-cuong-123", OFFICER, "cong_an"),
        "lan": directory.create("lan", "Phạm Thị Lan", "mat-khau-lan-1234", LEADER),
    }
