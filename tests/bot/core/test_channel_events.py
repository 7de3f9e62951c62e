"""An attachment, an officer writing in the channel's own tool, a message the system gave up on."""
from __future__ import annotations

from bot.core.outcome import ADDED_TO_TICKET, MESSAGE_FAILED, OFFICER_IN_CHANNEL, TEXT_ONLY, Citizen
from bot.handoff.tickets import ATTACHMENT, OFFICER_IN_ZALO
from tests.bot.core.conftest import HAND_OFF, Chat

ZALO = Citizen("2512523625412515", "zalo", "Nguyễn Văn An")
PHOTO = {"attachments": [{"type": "image"}], "event": "user_send_image"}


def test_an_attachment_without_a_ticket_gets_the_text_only_reply(channel_events, desk):
    outcome = channel_events.attachment(ZALO, "", PHOTO)
    assert outcome.kind == TEXT_ONLY and outcome.replies[0].text == channel_events.replies.text("text_only")
    assert desk.open_for(ZALO.id) is None


def test_an_attachment_while_a_ticket_is_open_goes_to_the_officer(channel_events, core, desk):
    opened = Chat(core, ZALO).say(HAND_OFF)
    outcome = channel_events.attachment(ZALO, "ảnh hồ sơ", PHOTO)
    assert (outcome.kind, outcome.replies, outcome.ticket_id) == (ADDED_TO_TICKET, (), opened.ticket_id)
    event = desk.events(opened.ticket_id)[-1]
    assert (event.kind, event.text, event.data) == (ATTACHMENT, "ảnh hồ sơ", PHOTO)


def test_an_officer_in_the_channels_tool_opens_a_ticket_in_the_general_queue_and_the_bot_steps_back(channel_events, core, desk):
    outcome = channel_events.officer_wrote(ZALO, "Chào anh, tôi là cán bộ xã", "admin-1")
    held = desk.get(outcome.ticket_id)
    assert outcome.kind == OFFICER_IN_CHANNEL and held.department_code == desk.departments.general_queue().code
    assert desk.events(held.id)[-1].kind == OFFICER_IN_ZALO
    assert Chat(core, ZALO).say("làm giấy khai sinh cần gì").kind == ADDED_TO_TICKET


def test_a_message_given_up_on_goes_to_the_general_queue_and_the_citizen_is_told(channel_events, desk):
    outcome = channel_events.message_failed(ZALO, "tin nhắn không xử lý được")
    assert outcome.kind == MESSAGE_FAILED and outcome.replies[0].text == channel_events.replies.text("message_failed")
    held = desk.get(outcome.ticket_id)
    assert held.question == "tin nhắn không xử lý được" and held.department_code == desk.departments.general_queue().code
