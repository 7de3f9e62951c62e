import json

import pytest

from connectors.zalo.events import MalformedEvent, parse_event
from tests.connectors.zalo.conftest import FIXTURES

CITIZEN = "2512523625412515"


def _event(name):
    return parse_event(json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")))


def test_user_send_text():
    e = _event("user_send_text")
    assert (e.is_user_text, e.user_id, e.msg_id, e.text) == (True, CITIZEN, "96d3cdf3af150460909", "cho hỏi làm căn cước cho con 10 tuổi ở đâu")
    assert e.key == "user_send_text:96d3cdf3af150460909"


def test_user_send_image_keeps_its_attachment():
    e = _event("user_send_image")
    assert e.is_user_attachment and e.attachments[0]["type"] == "image"


def test_user_send_location():
    e = _event("user_send_location")
    assert e.is_user_attachment and e.attachments[0]["payload"]["coordinates"]["latitude"] == "21.0285"


@pytest.mark.parametrize("name", ["follow", "unfollow"])
def test_follow_events_name_the_follower(name):
    e = _event(name)
    assert e.user_id == CITIZEN and e.msg_id is None
    assert e.key == f"{name}:{CITIZEN}:{e.timestamp}"


def test_user_click_chatnow():
    assert _event("user_click_chatnow").user_id == CITIZEN


def test_oa_send_text_with_admin_id_is_an_officer():
    e = _event("oa_send_text_admin")
    assert e.is_officer_message and e.user_id == CITIZEN and e.admin_id == "8812345"


def test_oa_send_text_without_admin_id_is_our_echo():
    e = _event("oa_send_text_echo")
    assert e.is_oa_message and not e.is_officer_message


def test_user_withdraw():
    assert _event("user_withdraw").user_id == CITIZEN


def test_user_seen_message_names_the_recipient():
    assert _event("user_seen_message").user_id == CITIZEN


@pytest.mark.parametrize("body", [[], "x", {}, {"event_name": "user_send_text"}, {"event_name": "", "app_id": "1", "timestamp": "1"}])
def test_malformed_bodies_are_refused(body):
    with pytest.raises(MalformedEvent):
        parse_event(body)


@pytest.mark.parametrize("timestamp, sent_ms", [("1763900000000", 1763900000000), (" 1763900000000 ", 1763900000000),
                                                ("", None), ("-5", None), ("1.5e12", None), ("١٢٣", None),
                                                ("9" * 40, None)])
def test_the_timestamp_orders_a_citizens_messages_when_it_is_a_plain_number(timestamp, sent_ms):
    body = json.loads((FIXTURES / "user_send_text.json").read_text(encoding="utf-8"))
    assert parse_event({**body, "timestamp": timestamp}).sent_ms == sent_ms
