"""A database of its own per backend for the report's hand-computed fixtures: the figures count
whole tables, so rows other test modules leave behind must not be in them."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import delete

from bot.db import (
    answer_feedback, audit_log, decision_log, follower_snapshot, holiday, report_file, staff, staff_session,
    ticket, ticket_event, zalo_event, zalo_outbound,
)
from bot.handoff.departments import Departments
from bot.handoff.office_hours import VIETNAM
from bot.handoff.staff import LEADER, OFFICER, StaffDirectory
from bot.handoff.tickets import TicketDesk
from bot.reports import figures
from tests.conftest import migrated_engine

HOME, OTHER, GENERAL = "tu_phap_ho_tich", "cong_an", "van_phong"


def vn(text: str) -> datetime:
    """"2026-03-06 16:50" in Vietnam time."""
    return datetime.fromisoformat(text).replace(tzinfo=VIETNAM)


class Clock:
    def __init__(self) -> None:
        self.at = vn("2026-03-02 08:00")

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def report_engine(request, tmp_path_factory):
    with migrated_engine(request.param, "reports", tmp_path_factory) as engine:
        directory = StaffDirectory(engine)
        engine.people = {  # type: ignore[attr-defined]
            "an": directory.create("an", "Nguyễn Văn An", "mat-khau-an-123", OFFICER, HOME),
            "cuong": directory.create("cuong", "Lê Văn Cường", "mat-khau-cuong-123", OFFICER, OTHER),
            "vy": directory.create("vy", "Đỗ Thị Vy", "mat-khau-vy-1234", OFFICER, GENERAL),
            "lan": directory.create("lan", "Phạm Thị Lan", "mat-khau-lan-1234", LEADER),
        }
        yield engine


@pytest.fixture
def engine(report_engine):
    figures._CLOSED.clear()  # each test makes its own past: a closed period's kept figures are stale
    yield report_engine
    with report_engine.begin() as conn:
        for table in (ticket_event, ticket, decision_log, zalo_event, zalo_outbound, answer_feedback,
                      follower_snapshot, report_file, audit_log, staff_session):
            conn.execute(delete(table))
        conn.execute(delete(holiday).where(holiday.c.name == "Ngày nghỉ thử nghiệm"))


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def desk(engine, clock):
    return TicketDesk(engine, Departments(engine), clock=clock)


@pytest.fixture
def people(engine):
    return engine.people
