"""One source of truth for departments: the table after seeding, the seed file only offline."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bot.db import audit_log, department
from bot.decision import HANDOFF, Decision
from bot.handoff.departments import Departments
from bot.handoff.routing import route
from bot.handoff.seed import seed_department_names, seed_general_queue

SEEDED_GENERAL = "van_phong"


@pytest.fixture
def police_triage(desk):
    """An admin made Công an the general queue (and renamed it); restored afterwards."""
    with desk.engine.begin() as conn:
        conn.execute(update(department).values(is_general_queue=department.c.code == "cong_an"))
        conn.execute(update(department).where(department.c.code == "cong_an").values(name="Công an xã (tiếp nhận)"))
    yield desk
    with desk.engine.begin() as conn:
        conn.execute(update(department).values(is_general_queue=department.c.code == SEEDED_GENERAL))
        conn.execute(update(department).where(department.c.code == "cong_an").values(name="Công an xã"))


def test_the_seed_file_is_the_offline_fallback():
    assert seed_general_queue() == SEEDED_GENERAL
    assert seed_department_names()["tu_phap_ho_tich"] == "Tư pháp – Hộ tịch"


def test_a_seeded_database_flags_the_seed_files_general_queue(desk):
    assert desk.departments.general_queue().code == SEEDED_GENERAL


def test_requests_without_a_known_department_go_to_the_tables_general_queue(police_triage):
    desk = police_triage
    assert desk.open_ticket("u1", "zalo", "hỏi", "khong_co", "lý do").ticket.department_code == "cong_an"
    assert desk.officer_wrote_in_channel("u2", "Chào anh", "88", "Dân").department_code == "cong_an"


def test_routing_uses_the_tables_general_queue_and_names(police_triage, understanding):
    units = police_triage.departments.all()
    general = police_triage.departments.general_queue().code
    names = {d.code: d.name for d in units}
    no_topic = Decision(HANDOFF, "request_human", 0.2, None, SEEDED_GENERAL, (), "personal_case")
    where = route(no_topic, "việc của tôi đến đâu rồi", understanding, general, names)
    assert where.department == "cong_an" and where.reason.endswith("Chưa rõ nội dung: Công an xã (tiếp nhận) phân loại.")
    # without the table (offline), the seed's general queue and names
    offline = route(no_topic, "việc của tôi đến đâu rồi", understanding)
    assert offline.department == SEEDED_GENERAL and offline.reason.endswith("Văn phòng phân loại.")


def _audits(engine, action):
    with engine.connect() as conn:
        return conn.execute(select(audit_log.c.username, audit_log.c.detail).where(audit_log.c.action == action)).all()


def test_a_department_change_and_its_audit_are_one_transaction(desk, people):
    units: Departments = desk.departments
    admin = people["lan"]
    before = units.get("quan_su")
    with desk.engine.connect() as conn:
        outer = conn.begin()
        units.update_department("quan_su", "Ban CHQS xã", "1-5", "07:30-11:30", 8, [], by=admin, conn=conn)
        outer.rollback()
    assert units.get("quan_su") == before and _audits(desk.engine, "department.update") == []
    try:
        units.update_department("quan_su", "Ban CHQS xã", "1-5", "07:30-11:30", 8, [], by=admin)
        assert units.get("quan_su").name == "Ban CHQS xã"
        assert _audits(desk.engine, "department.update") == [("lan", "quan_su: Ban CHQS xã; ngày 1-5; 07:30-11:30; 8 giờ; 0 câu mẫu")]
    finally:
        units.update_department("quan_su", before.name, before.working_days, before.working_periods,
                                before.response_time.total_seconds() / 3600, list(before.canned_replies))
