"""Webhook event bodies, field for field as documented (DOCS webhook/*, fact sheet §2.3).

Timestamps are epoch milliseconds sent as strings. Key order follows the DOCS examples; it does
not matter to a correct receiver, which hashes the raw bytes it got.
"""
from __future__ import annotations

from bot.zalo_sim.settings import Settings
from bot.zalo_sim.state import ChatMessage, Citizen, now_ms

Event = dict[str, object]

FOLLOW_SOURCES = ("oa_profile", "message_invite", "social_plugin")


def user_message(settings: Settings, citizen: Citizen, message: ChatMessage, event_name: str) -> Event:
    """`user_send_text`, `user_send_image`, `user_send_sticker`, ...: the citizen wrote to the OA."""
    body: dict[str, object] = {"text": message.text, "msg_id": message.msg_id}
    if message.attachments:
        body["attachments"] = message.attachments
    return {
        "app_id": settings.app_id,
        "sender": {"id": citizen.user_id},
        "user_id_by_app": citizen.user_id_by_app,
        "recipient": {"id": settings.oa_id},
        "event_name": event_name,
        "message": body,
        "timestamp": str(message.timestamp_ms),
    }


def oa_send_text(settings: Settings, citizen: Citizen, message: ChatMessage) -> Event:
    """The OA sent text; `sender.admin_id` only when an officer typed it in the chat tool."""
    sender: dict[str, str] = {"id": settings.oa_id}
    if message.admin_id is not None:
        sender["admin_id"] = message.admin_id
    return {
        "app_id": settings.app_id,
        "sender": sender,
        "recipient": {"id": citizen.user_id},
        "event_name": "oa_send_text",
        "message": {"text": message.text, "msg_id": message.msg_id},
        "user_id_by_app": citizen.user_id_by_app,
        "timestamp": str(message.timestamp_ms),
    }


def follow(settings: Settings, citizen: Citizen, *, followed: bool, source: str = "oa_profile") -> Event:
    """`follow` / `unfollow`: the ID is in `follower.id`, not `sender.id`."""
    return {
        "oa_id": settings.oa_id,
        "follower": {"id": citizen.user_id},
        "user_id_by_app": citizen.user_id_by_app,
        "event_name": "follow" if followed else "unfollow",
        "source": source,
        "app_id": settings.app_id,
        "timestamp": str(now_ms()),
    }


def user_click_chatnow(settings: Settings, citizen: Citizen) -> Event:
    return {
        "oa_id": settings.oa_id,
        "user_id": citizen.user_id,
        "user_id_by_app": citizen.user_id_by_app,
        "event_name": "user_click_chatnow",
        "app_id": settings.app_id,
        "timestamp": str(now_ms()),
    }


def user_withdraw(settings: Settings, citizen: Citizen) -> Event:
    """The citizen exercised data-subject rights; the partner is expected to delete their data."""
    return {
        "app_id": settings.app_id,
        "oa_id": settings.oa_id,
        "user_id": citizen.user_id,
        "user_id_by_app": citizen.user_id_by_app,
        "event_name": "user_withdraw",
        "timestamp": str(now_ms()),
    }
