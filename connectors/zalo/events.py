"""Zalo OA webhook events as small typed values (../shared/zalo-oa-api.md §2.3-2.4)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.limits import clean_text

CHANNEL = "zalo"  # the channel name tickets and decisions record (Rasa's ZaloInput.name())
USER_TEXT = "user_send_text"
FOLLOW = "follow"
UNFOLLOW = "unfollow"
CLICK_CHAT_NOW = "user_click_chatnow"
USER_WITHDRAW = "user_withdraw"


class MalformedEvent(ValueError):
    """The body is JSON but not a Zalo event we can read."""


@dataclass(frozen=True)
class ZaloEvent:
    name: str
    app_id: str
    timestamp: str
    user_id: str | None  # the citizen the event is about, whichever field Zalo puts it in
    msg_id: str | None = None
    text: str | None = None
    attachments: tuple[dict[str, Any], ...] = ()
    admin_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def key(self) -> str:
        """What identifies one delivery: Zalo re-sends identical bodies, so this repeats with them."""
        if self.msg_id:
            return f"{self.name}:{self.msg_id}"
        return f"{self.name}:{self.user_id}:{self.timestamp}"

    @property
    def sent_ms(self) -> int | None:
        """Zalo's timestamp (epoch ms) as a number; None when it is not one (a BigInteger column
        holds it, so a value past that is none too)."""
        stamp = self.timestamp.strip()
        return int(stamp) if stamp.isascii() and stamp.isdigit() and len(stamp) <= 15 else None

    @property
    def is_user_text(self) -> bool:
        return self.name == USER_TEXT

    @property
    def is_user_attachment(self) -> bool:
        return self.name.startswith("user_send_") and self.name != USER_TEXT

    @property
    def is_oa_message(self) -> bool:
        return self.name.startswith("oa_send_")

    @property
    def is_officer_message(self) -> bool:
        """An officer typed in Zalo's own OA chat tool (an API send has no admin_id)."""
        return self.is_oa_message and bool(self.admin_id)


def parse_event(body: Any) -> ZaloEvent:
    """Read a webhook body; raises MalformedEvent when it is not an event."""
    if not isinstance(body, dict):
        raise MalformedEvent("the body is not a JSON object")
    name, app_id, timestamp = body.get("event_name"), body.get("app_id"), body.get("timestamp")
    if not isinstance(name, str) or not name:
        raise MalformedEvent("event_name is missing")
    if app_id is None or timestamp is None:
        raise MalformedEvent("app_id or timestamp is missing")
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    sender = body.get("sender") if isinstance(body.get("sender"), dict) else {}
    attachments = message.get("attachments") if isinstance(message.get("attachments"), list) else []
    text = message.get("text")
    return ZaloEvent(
        name=name,
        app_id=str(app_id),
        timestamp=str(timestamp),
        user_id=_citizen_id(name, body),
        msg_id=str(message["msg_id"]) if message.get("msg_id") is not None else None,
        text=clean_text(text) if isinstance(text, str) else None,
        attachments=tuple(a for a in attachments if isinstance(a, dict)),
        admin_id=str(sender["admin_id"]) if sender.get("admin_id") else None,
        raw=body,
    )


def _citizen_id(name: str, body: dict[str, Any]) -> str | None:
    """The citizen's OA-scoped id: sender, recipient, follower or user_id depending on the event."""
    def nested(key: str) -> str | None:
        value = body.get(key)
        return str(value["id"]) if isinstance(value, dict) and value.get("id") is not None else None

    if name in (FOLLOW, UNFOLLOW):
        return nested("follower")
    if name.startswith("oa_send_") or name in ("user_received_message", "user_seen_message"):
        return nested("recipient")
    if body.get("user_id") is not None:
        return str(body["user_id"])
    return nested("sender")
