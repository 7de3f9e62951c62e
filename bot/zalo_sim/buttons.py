"""The buttons template a CS message may carry, checked against Zalo's buttons appendix
(DOCS phu-luc/cau-truc-cua-tham-so-buttons; why we take it on /message/cs: docs/zalo-buttons.md).

    {"type": "template", "payload": {"buttons": [{"title", "type", "payload"}, ...]}}

At most 5 buttons, a title of at most 100 characters, an `oa.query.*` payload of at most 1000.
A wrong shape is -201 naming the field, as Zalo words it; a limit passed is -210 ("Parameter
exceeds allowable limit", Zalo's code for an over-long text or a count too high).
"""
from __future__ import annotations

from bot.zalo_sim import errors

MAX_BUTTONS = 5
TITLE_LIMIT = 100
QUERY_PAYLOAD_LIMIT = 1000
SMS_CONTENT_LIMIT = 160
QUERY_SHOW, QUERY_HIDE = "oa.query.show", "oa.query.hide"
OPEN_URL, OPEN_SMS, OPEN_PHONE = "oa.open.url", "oa.open.sms", "oa.open.phone"
QUERY_TYPES = (QUERY_SHOW, QUERY_HIDE)

Attachment = dict[str, object]


def checked_attachment(attachment: object) -> Attachment:
    """The attachment as recorded on the message, or the error Zalo would answer.

    Zalo also documents media and `request_user_info` templates for CS messages; the simulator
    does not draw them, and says so rather than dropping them."""
    if not isinstance(attachment, dict) or attachment.get("type") != "template":
        raise errors.ZaloError.invalid("attachment")
    payload = attachment.get("payload")
    if not isinstance(payload, dict):
        raise errors.ZaloError.invalid("payload")
    if "template_type" in payload:
        raise errors.ZaloError(errors.INVALID_PARAMETER,
                               "template_type is invalid! (the simulator takes only the buttons template)")
    buttons = payload.get("buttons")
    if not isinstance(buttons, list) or not buttons:
        raise errors.ZaloError.invalid("buttons")
    if len(buttons) > MAX_BUTTONS:
        raise errors.ZaloError(errors.PARAMETER_OVER_LIMIT, f"buttons: at most {MAX_BUTTONS}")
    return {"type": "template", "payload": {"buttons": [_checked_button(b) for b in buttons]}}


def _checked_button(button: object) -> dict[str, object]:
    if not isinstance(button, dict):
        raise errors.ZaloError.invalid("buttons")
    title, kind, payload = button.get("title"), button.get("type"), button.get("payload")
    if not isinstance(title, str) or not title.strip():
        raise errors.ZaloError.invalid("title")
    if len(title) > TITLE_LIMIT:
        raise errors.ZaloError(errors.PARAMETER_OVER_LIMIT, f"title: at most {TITLE_LIMIT} characters")
    if kind in QUERY_TYPES:
        if not isinstance(payload, str) or not payload.strip():
            raise errors.ZaloError.invalid("payload")
        if len(payload) > QUERY_PAYLOAD_LIMIT:
            raise errors.ZaloError(errors.PARAMETER_OVER_LIMIT, f"payload: at most {QUERY_PAYLOAD_LIMIT} characters")
    elif kind == OPEN_URL:
        url = payload.get("url") if isinstance(payload, dict) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise errors.ZaloError.invalid("url")
    elif kind == OPEN_PHONE:
        if not isinstance(payload, dict) or not isinstance(payload.get("phone_code"), str):
            raise errors.ZaloError.invalid("phone_code")
    elif kind == OPEN_SMS:
        content = payload.get("content") if isinstance(payload, dict) else None
        if not isinstance(content, str) or not isinstance(payload.get("phone_code"), str):
            raise errors.ZaloError.invalid("payload")
        if len(content) > SMS_CONTENT_LIMIT:
            raise errors.ZaloError(errors.PARAMETER_OVER_LIMIT, f"content: at most {SMS_CONTENT_LIMIT} characters")
    else:
        raise errors.ZaloError.invalid("type")
    return {"title": title, "type": kind, "payload": payload}


def query_button(attachments: list[Attachment], index: int) -> dict[str, object] | None:
    """The `index`-th button of a message's buttons template, if it is one that sends a query."""
    for attachment in attachments:
        payload = attachment.get("payload")
        if attachment.get("type") == "template" and isinstance(payload, dict):
            buttons = payload.get("buttons")
            if isinstance(buttons, list) and 0 <= index < len(buttons) and buttons[index].get("type") in QUERY_TYPES:
                return buttons[index]
    return None
