"""A citizen's personal data on both databases (issue 17): erased on withdrawal or by an admin,
copied on request, purged after the retention period, with the reports' counts kept."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, insert, or_, select, update

from bot.db import (
    audit_log, citizen_erasure, decision_log, kb_suggestion, record_decision, staff, staff_session, ticket, ticket_event,
    utc_now,
    zalo_conversation, zalo_event, zalo_outbound,
)
from bot.decision import Decision
from bot.handoff.departments import Departments
from bot.handoff.staff import ADMIN, OFFICER, StaffDirectory
from bot.handoff.tickets import DONE, HistoryLine, TicketDesk
from bot.privacy import (
    ADMIN as BY_ADMIN, WITHDRAW, PrivacyError, erase_citizen, export_citizen, purge_expired, retention_months,
    tracker_events, was_erased,
)
from bot.zalo_store import SENT, ZaloStore

NAME = "Lò Thị Hoa"
QUESTION = "con tôi Lò Văn Tám sinh 2015 chưa có khai sinh thì làm sao"
REPLY = "Chị Hoa mang giấy chứng sinh của cháu Tám tới bộ phận một cửa nhé."
NOTE = "Bà Hoa ở xóm 3, nhà cạnh chợ"
MARKERS = ("Lò", "Hoa", "Tám")  # what identifies the citizen in texts


@pytest.fixture(autouse=True)
def clean(db_engine):
    """PostgreSQL keeps its tables for the whole run: what a test made goes after it."""
    yield
    with db_engine.begin() as conn:
        for table in (kb_suggestion, citizen_erasure, ticket_event, ticket, audit_log, staff_session, staff,
                      zalo_event, zalo_outbound, zalo_conversation, decision_log):
            conn.execute(delete(table))


@pytest.fixture
def tracker(db_engine):
    """Rasa's SQL tracker table, as the tracker store creates it in the same database."""
    tracker_events.create(db_engine, checkfirst=True)
    yield tracker_events
    tracker_events.drop(db_engine, checkfirst=True)


@pytest.fixture
def officer(db_engine):
    directory = StaffDirectory(db_engine)
    suffix = uuid.uuid4().hex[:8]
    return (directory.create(f"can-bo-{suffix}", "Nguyễn Văn An", "mat-khau-an-123", OFFICER, "tu_phap_ho_tich"),
            directory.create(f"quan-tri-{suffix}", "Quản Trị", "mat-khau-qt-123", ADMIN))


def _citizen_data(engine, citizen: str, officer) -> int:
    """What a citizen leaves behind, made by the product's own code; returns the ticket id."""
    store = ZaloStore(engine)
    body = json.dumps({"event_name": "user_send_text", "user_id": citizen, "message": {"text": QUESTION}}, ensure_ascii=False)
    store.record_event(f"user_send_text:{uuid.uuid4().hex}", "user_send_text", citizen, body)
    store.record_event(f"follow:{citizen}:1763900000000", "follow", citizen, "{}")  # keyed by the citizen's id
    store.record_event(f"user_send_text:{uuid.uuid4().hex}", "user_send_text", citizen, body)  # not handled yet
    with engine.begin() as conn:
        conn.execute(update(zalo_event).where(zalo_event.c.event_key.not_like("user_send_text:%")
                                              | (zalo_event.c.id == _first_text_event(conn, citizen)))
                     .values(handled_at=utc_now()))
    store.update_conversation(citizen, display_name=NAME, is_follower=True)
    store.record_outbound(f"{citizen}:1", citizen, REPLY, SENT, 1)
    with engine.begin() as conn:
        record_decision(conn, citizen, "zalo", QUESTION, Decision("handoff", "khai_sinh", 0.3, None, "tu_phap_ho_tich", (), "low"))
        conn.execute(insert(tracker_events).values(sender_id=citizen, type_name="user", timestamp=utc_now().timestamp(),
                                                   intent_name="khai_sinh", data=json.dumps({"text": QUESTION}, ensure_ascii=False)))
    desk = TicketDesk(engine, Departments(engine))
    opened = desk.open_ticket(citizen, "zalo", QUESTION, "tu_phap_ho_tich", "lò văn tám: khai sinh", NAME,
                              [HistoryLine("bot", "Tôi chuyển cán bộ nhé.")])
    desk.claim(opened.ticket.id, officer)
    desk.record_reply(opened.ticket.id, officer, REPLY, True, {})
    desk.add_note(opened.ticket.id, officer, NOTE)
    with engine.begin() as conn:
        conn.execute(insert(kb_suggestion).values(
            kind="teach", question=QUESTION, answer=REPLY, ticket_id=opened.ticket.id, staff_id=officer.id,
            username=officer.username, status="open", created_at=utc_now()))
        # an audit line written before issue 17, when replies were copied into it
        conn.execute(insert(audit_log).values(at=utc_now(), staff_id=officer.id, username=officer.username,
                                              action="ticket.reply", ticket_id=opened.ticket.id, detail=REPLY))
    return opened.ticket.id


def _first_text_event(conn, citizen: str) -> int:
    return conn.execute(select(func.min(zalo_event.c.id)).where(zalo_event.c.user_id == citizen)).scalar_one()


def _traces(engine, citizen: str) -> dict[str, int]:
    """Rows in every table that name the citizen or carry their words."""
    def words(column):
        return or_(*(column.contains(m) for m in MARKERS))

    queries = {
        "zalo_conversation": select(func.count()).where(zalo_conversation.c.user_id == citizen),
        "zalo_event": select(func.count()).where(or_(zalo_event.c.user_id == citizen, zalo_event.c.body.contains(citizen),
                                                     zalo_event.c.event_key.contains(citizen))),
        "zalo_outbound": select(func.count()).where(or_(zalo_outbound.c.user_id == citizen, words(zalo_outbound.c.text))),
        "decision_log": select(func.count()).where(or_(decision_log.c.sender_id == citizen, words(decision_log.c.text))),
        "ticket": select(func.count()).where(or_(ticket.c.citizen_id == citizen, ticket.c.citizen_name == NAME,
                                                 words(ticket.c.question), words(ticket.c.routing_reason))),
        "ticket_event": select(func.count()).where(words(ticket_event.c.text)),
        "kb_suggestion": select(func.count()).where(or_(words(kb_suggestion.c.question), words(kb_suggestion.c.answer))),
        "audit_log": select(func.count()).where(or_(words(audit_log.c.detail), audit_log.c.detail.contains(citizen))),
        "events": select(func.count()).where(or_(tracker_events.c.sender_id == citizen, words(tracker_events.c.data))),
    }
    with engine.connect() as conn:
        return {table: conn.execute(query).scalar_one() for table, query in queries.items()}


def _counts_for_reports(engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(ticket)).scalar_one(),
                conn.execute(select(func.count()).select_from(decision_log)).scalar_one())


@pytest.mark.parametrize("source", [WITHDRAW, BY_ADMIN])
def test_erasure_leaves_no_trace_of_the_citizen_in_any_table(db_engine, tracker, officer, source):
    # issue 17: a user_withdraw only set withdrawn_at; every table kept the citizen
    citizen = uuid.uuid4().hex
    member, admin = officer
    ticket_id = _citizen_data(db_engine, citizen, member)
    before = _traces(db_engine, citizen)
    reports_before = _counts_for_reports(db_engine)
    assert all(before.values()), before

    erasure = erase_citizen(db_engine, citizen, source, "Công dân gọi điện yêu cầu xóa" if source == BY_ADMIN else "",
                            admin.id if source == BY_ADMIN else None, admin.username if source == BY_ADMIN else None)

    assert _traces(db_engine, citizen) == dict.fromkeys(before, 0)
    assert _counts_for_reports(db_engine) == reports_before  # reports keep their counts
    with db_engine.connect() as conn:
        closed = conn.execute(select(ticket).where(ticket.c.id == ticket_id)).one()
        events = conn.execute(select(ticket_event.c.kind, ticket_event.c.text).where(ticket_event.c.ticket_id == ticket_id)).all()
        unhandled = conn.execute(select(func.count()).where(zalo_event.c.handled_at.is_(None))).scalar_one()
        logged = conn.execute(select(audit_log.c.detail).where(audit_log.c.action == "privacy.erase")
                              .order_by(audit_log.c.id.desc())).scalars().first()
    assert closed.status == DONE and closed.open_citizen is None and closed.department_code == "tu_phap_ho_tich"
    assert [kind for kind, _ in events] == ["closed"] and "dữ liệu của công dân đã được xóa" in events[0][1]
    assert unhandled == 0  # nothing left that the sweep would answer
    assert logged.startswith(f"#{erasure.id}")
    if source == BY_ADMIN:
        assert "Công dân gọi điện yêu cầu xóa" in logged
    assert erasure.counts["events"] == 1 and erasure.counts["ticket_closed"] == 1
    assert was_erased(db_engine, citizen)


def test_an_admin_erasure_needs_a_reason(db_engine, officer):
    with pytest.raises(PrivacyError, match="lý do"):
        erase_citizen(db_engine, "123", BY_ADMIN, "  ", officer[1].id, officer[1].username)


def test_a_citizen_gets_a_copy_of_everything_stored_about_them(db_engine, tracker, officer):
    citizen = uuid.uuid4().hex
    _citizen_data(db_engine, citizen, officer[0])
    copy = json.loads(json.dumps(export_citizen(db_engine, citizen), ensure_ascii=False))
    assert copy["citizen"] == citizen and copy["retention_months"] == retention_months()
    assert copy["conversation"]["display_name"] == NAME
    assert [d["text"] for d in copy["decisions"]] == [QUESTION]
    assert [r["text"] for r in copy["replies"]] == [REPLY]
    assert len(copy["zalo_events"]) == 3 and copy["zalo_events"][0]["body"]["message"]["text"] == QUESTION
    assert copy["rasa_tracker"][0]["data"]["text"] == QUESTION
    (only,) = copy["tickets"]
    assert only["question"] == QUESTION and {REPLY, NOTE} <= {e["text"] for e in only["events"]}


def test_texts_and_names_older_than_the_retention_period_are_purged(db_engine, tracker, officer):
    old, recent = uuid.uuid4().hex, uuid.uuid4().hex
    old_ticket = _citizen_data(db_engine, old, officer[0])
    recent_ticket = _citizen_data(db_engine, recent, officer[0])
    long_ago = utc_now() - timedelta(days=400)
    desk = TicketDesk(db_engine, Departments(db_engine))
    desk.resolve(old_ticket, officer[0])
    with db_engine.begin() as conn:
        conn.execute(update(ticket).where(ticket.c.id == old_ticket).values(closed_at=long_ago, created_at=long_ago))
        conn.execute(update(decision_log).where(decision_log.c.sender_id == old).values(created_at=long_ago))
        conn.execute(update(zalo_event).where(zalo_event.c.user_id == old).values(received_at=long_ago))
        conn.execute(update(zalo_outbound).where(zalo_outbound.c.user_id == old).values(created_at=long_ago))
        conn.execute(update(zalo_conversation).where(zalo_conversation.c.user_id == old).values(updated_at=long_ago))
        conn.execute(update(tracker_events).where(tracker_events.c.sender_id == old).values(timestamp=long_ago.timestamp()))
    reports_before = _counts_for_reports(db_engine)

    purge_expired(db_engine, months=12)

    assert _texts_of(db_engine, old, old_ticket) == [("", None), 0, "", "", None, 0, 0]
    assert _texts_of(db_engine, recent, recent_ticket) == [(QUESTION, NAME), 6, QUESTION, REPLY, NAME, 1, 2]
    assert _counts_for_reports(db_engine) == reports_before


def _texts_of(engine, citizen: str, ticket_id: int) -> list:
    with engine.connect() as conn:
        return [
            conn.execute(select(ticket.c.question, ticket.c.citizen_name).where(ticket.c.id == ticket_id)).one(),
            conn.execute(select(func.count()).where((ticket_event.c.ticket_id == ticket_id) & (ticket_event.c.text != ""))).scalar_one(),
            conn.execute(select(decision_log.c.text).where(decision_log.c.sender_id == citizen)).scalar_one(),
            conn.execute(select(zalo_outbound.c.text).where(zalo_outbound.c.user_id == citizen)).scalar_one(),
            conn.execute(select(zalo_conversation.c.display_name).where(zalo_conversation.c.user_id == citizen)).scalar_one(),
            conn.execute(select(func.count()).where(tracker_events.c.sender_id == citizen)).scalar_one(),
            conn.execute(select(func.count()).where((zalo_event.c.user_id == citizen) & (zalo_event.c.body != "{}"))).scalar_one(),
        ]


def test_retention_is_configurable_and_checked(monkeypatch):
    assert retention_months() == 12
    monkeypatch.setenv("BOT_RETENTION_MONTHS", "6")
    assert retention_months() == 6
    monkeypatch.setenv("BOT_RETENTION_MONTHS", "0")
    with pytest.raises(PrivacyError):
        retention_months()


def test_erasures_are_recorded_without_the_citizen_id(db_engine, officer):
    citizen = uuid.uuid4().hex
    erasure = erase_citizen(db_engine, citizen, WITHDRAW, "")
    with db_engine.connect() as conn:
        row = conn.execute(select(citizen_erasure).where(citizen_erasure.c.id == erasure.id)).one()
    assert citizen not in " ".join(str(v) for v in row) and row.source == WITHDRAW


def test_the_purge_command_runs_the_retention_job(db_engine, monkeypatch, capsys):
    from bot.__main__ import main

    monkeypatch.setenv("DATABASE_URL", db_engine.url.render_as_string(hide_password=False))
    store = ZaloStore(db_engine)
    store.update_conversation("cong-dan-cu", display_name=NAME)
    with db_engine.begin() as conn:
        conn.execute(update(zalo_conversation).where(zalo_conversation.c.user_id == "cong-dan-cu")
                     .values(updated_at=utc_now() - timedelta(days=400)))
    assert main(["purge"]) == 0
    assert json.loads(capsys.readouterr().out)["zalo_conversation"] == 1
    assert store.conversation("cong-dan-cu").display_name is None


def test_the_notice_says_what_is_kept_how_long_and_links_the_privacy_page(monkeypatch):
    from bot.faq.knowledge_base import load_knowledge_base
    from bot.privacy import notice_text
    from bot.replies import Replies, load_templates

    monkeypatch.setenv("PUBLIC_URL", "https://zalo.anphu.example.gov.vn/")
    monkeypatch.setenv("BOT_RETENTION_MONTHS", "18")
    notice = notice_text(Replies(load_templates(), load_knowledge_base().unit))
    assert notice.endswith("https://zalo.anphu.example.gov.vn/du-lieu-ca-nhan")
    assert "18 tháng" in notice and "rút lại sự đồng ý" in notice and "xóa" in notice
    assert len(notice) <= 2000
