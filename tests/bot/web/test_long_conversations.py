"""Issue 17: a signed 10 MB text was stored whole and made the ticket page 10 MB (Chromium timed
out). A stored text is capped, and a long conversation is shown a page at a time."""
from __future__ import annotations

from sqlalchemy import func, select

from bot.db import ticket_event
from bot.handoff.tickets import STORED_TEXT_LIMIT
from bot.web.routers.inbox import CONVERSATION_PAGE


def test_a_huge_text_is_stored_capped(inbox, db_engine):
    held = inbox.open_ticket()
    inbox.desk.add_citizen_message(held.id, "x" * 10_000_000)
    with db_engine.connect() as conn:
        longest = conn.execute(select(func.max(func.length(ticket_event.c.text)))
                               .where(ticket_event.c.ticket_id == held.id)).scalar_one()
    assert longest == STORED_TEXT_LIMIT


def test_a_long_conversation_is_shown_a_page_at_a_time(inbox):
    held = inbox.open_ticket()
    for n in range(CONVERSATION_PAGE + 30):
        inbox.desk.add_citizen_message(held.id, f"tin số {n} " + "y" * 1900)
    page = inbox.get(inbox["officer"], f"/inbox/tickets/{held.id}")
    assert page.status_code == 200
    assert f"tin số {CONVERSATION_PAGE + 29} " in page.text and "tin số 0 " not in page.text
    assert len(page.content) < (CONVERSATION_PAGE + 20) * 2100
    older = page.text.split('href="/inbox/tickets/%d?truoc=' % held.id)[1].split('"')[0]
    earlier = inbox.get(inbox["officer"], f"/inbox/tickets/{held.id}?truoc={older}")
    assert earlier.status_code == 200 and "tin số 0 " in earlier.text and "Xem các tin mới nhất" in earlier.text
    assert "data-events" not in earlier.text  # an older page does not poll for new events
