"""One simulated Zalo: the citizens' side, the OA's side (API and chat tool), and the test switches.

Routers call these methods; they return plain data or raise `ZaloError`/`OAuthError`/`UnknownCitizen`.
"""
from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from datetime import datetime

import httpx

from bot.zalo_sim import buttons, errors, events, quota
from bot.zalo_sim.settings import Settings
from bot.zalo_sim.state import CITIZEN_TO_OA, OA_TO_CITIZEN, ChatMessage, Citizen, SendFailure, SimState
from bot.zalo_sim.tokens import TokenPair, TokenStore
from bot.zalo_sim.webhook import WebhookSender

OA_NAME = "OA mô phỏng"

MAX_TEXT_LENGTH = 2000
DEFAULT_ADMIN_ID = "4267886274574868951"

_ATTACHMENT_EVENTS = {
    "image": "user_send_image",
    "sticker": "user_send_sticker",
    "file": "user_send_file",
    "location": "user_send_location",
}


class NoSuchButton(LookupError):
    """The citizen tapped what is not a query button of an OA message in their conversation."""


class UnknownCitizen(LookupError):
    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        super().__init__(f"no citizen with user_id {user_id!r}")


class Simulator:
    def __init__(self, settings: Settings | None = None, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.webhook = WebhookSender(self.settings, transport=transport)
        self.state = SimState()
        self.tokens = self._seeded_tokens()
        self.random = random.Random(0)

    def reset(self) -> None:
        """Forget everything; the seeded token pair works again."""
        self.state = SimState()
        self.tokens = self._seeded_tokens()
        self.webhook.reset()

    def citizen(self, user_id: str) -> Citizen:
        try:
            return self.state.citizens[user_id]
        except KeyError:
            raise UnknownCitizen(user_id) from None

    def conversation(self, user_id: str) -> list[ChatMessage]:
        self.citizen(user_id)
        return list(self.state.conversations[user_id])

    # The citizen's Zalo app.

    def create_citizen(self, display_name: str | None = None) -> Citizen:
        return self.state.add_citizen(display_name)

    def set_following(self, user_id: str, following: bool) -> Citizen:
        """Follow or unfollow; Zalo only reports a change, and following counts as an interaction."""
        citizen = self.citizen(user_id)
        if citizen.is_follower == following:
            return citizen
        citizen.is_follower = following
        if following:
            citizen.interact()
        self.webhook.post(events.follow(self.settings, citizen, followed=following))
        return citizen

    def click_chatnow(self, user_id: str) -> Citizen:
        citizen = self.citizen(user_id)
        citizen.interact()
        self.webhook.post(events.user_click_chatnow(self.settings, citizen))
        return citizen

    def withdraw(self, user_id: str) -> Citizen:
        citizen = self.citizen(user_id)
        self.webhook.post(events.user_withdraw(self.settings, citizen))
        return citizen

    def citizen_sends_text(self, user_id: str, text: str) -> ChatMessage:
        citizen = self.citizen(user_id)
        citizen.interact()
        message = self.state.record(user_id, CITIZEN_TO_OA, text)
        self.webhook.post(events.user_message(self.settings, citizen, message, "user_send_text"))
        return message

    def citizen_sends_attachment(self, user_id: str, attachment: dict[str, object], text: str = "") -> ChatMessage:
        event_name = _ATTACHMENT_EVENTS[str(attachment["type"])]
        citizen = self.citizen(user_id)
        citizen.interact()
        message = self.state.record(user_id, CITIZEN_TO_OA, text, attachments=[attachment])
        self.webhook.post(events.user_message(self.settings, citizen, message, event_name))
        return message

    def citizen_taps_button(self, user_id: str, msg_id: str, index: int) -> ChatMessage:
        """A tap on an `oa.query.*` button: Zalo sends its payload from the citizen as a text
        message (appendix: shown in the citizen's chat for oa.query.show, hidden for
        oa.query.hide); the event is taken to be `user_send_text` (docs/zalo-buttons.md)."""
        citizen = self.citizen(user_id)
        sent = next((m for m in self.state.conversations[user_id] if m.msg_id == msg_id and m.direction == OA_TO_CITIZEN), None)
        button = buttons.query_button(sent.attachments, index) if sent is not None else None
        if button is None:
            raise NoSuchButton(f"no query button {index} on OA message {msg_id!r}")
        citizen.interact()
        message = self.state.record(user_id, CITIZEN_TO_OA, str(button["payload"]),
                                    shown_to_citizen=button["type"] == buttons.QUERY_SHOW)
        self.webhook.post(events.user_message(self.settings, citizen, message, "user_send_text"))
        return message

    # The OA: an officer in the chat tool, or the connector through the Open API.

    def officer_sends_text(self, user_id: str, text: str, admin_id: str = DEFAULT_ADMIN_ID) -> ChatMessage:
        citizen = self.citizen(user_id)
        message = self.state.record(user_id, OA_TO_CITIZEN, text, admin_id=admin_id)
        self.webhook.post(events.oa_send_text(self.settings, citizen, message))
        return message

    def send_cs_text(self, access_token: str | None, body: object) -> dict[str, object]:
        """`POST v3.0/oa/message/cs`: the response's `data`, or a ZaloError in Zalo's order of checks."""
        failure = self.state.take_send_failure()
        if failure is not None:
            if failure.http_status is not None:
                raise errors.ForcedHttpError(failure.http_status)
            raise errors.ZaloError(failure.error or -200)
        if self.state.send_failure_rate and self.random.random() < self.state.send_failure_rate:
            raise errors.ForcedHttpError(self.state.send_failure_rate_status)
        self.tokens.check(access_token)
        user_id, text, attachments = _parse_cs_message(body)
        if len(text) > MAX_TEXT_LENGTH:
            raise errors.ZaloError(errors.PARAMETER_OVER_LIMIT)
        citizen = self.state.citizens.get(user_id)
        if citizen is None:
            raise errors.ZaloError.invalid("user_id")
        quota_used = quota.charge_reply(citizen)
        message = self.state.record(user_id, OA_TO_CITIZEN, text, attachments=attachments)
        # Real Zalo echoes API sends too, without `admin_id`; the connector must ignore them.
        self.webhook.post(events.oa_send_text(self.settings, citizen, message))
        data: dict[str, object] = {"message_id": message.msg_id, "user_id": user_id}
        if quota_used is not None:
            data["quota"] = quota_used
        return data

    def user_detail(self, access_token: str | None, data: str | None, avatar_url: Callable[[Citizen], str]) -> dict[str, object]:
        """`GET v3.0/oa/user/detail?data={"user_id": ...}` (fact sheet §5)."""
        self.tokens.check(access_token)
        try:
            query = json.loads(data or "")
        except ValueError:
            raise errors.ZaloError.invalid("data") from None
        user_id = query.get("user_id") if isinstance(query, dict) else None
        citizen = self.state.citizens.get(str(user_id)) if isinstance(user_id, (str, int)) else None
        if citizen is None:
            raise errors.ZaloError.invalid("user_id")
        avatar = avatar_url(citizen)
        last = citizen.last_interaction
        # `shared_info` is left out: it only exists once a citizen has shared it through a form.
        return {
            "user_id": citizen.user_id,
            "user_id_by_app": citizen.user_id_by_app,
            "user_external_id": "",
            "display_name": citizen.display_name,
            "user_alias": "",
            "is_sensitive": False,
            "user_last_interaction_date": datetime.fromtimestamp(last).strftime("%d/%m/%Y") if last else "",
            "user_is_follower": citizen.is_follower,
            "avatar": avatar,
            "avatars": {"120": avatar, "240": avatar},
            "tags_and_notes_info": {"tag_names": [], "notes": []},
        }

    def oa_conversation(self, access_token: str | None, data: str | None) -> list[dict[str, object]]:
        """`GET v2.0/oa/conversation?data={"user_id", "offset", "count" <= 10}` (fact sheet §7):
        the messages between the OA and one citizen, newest first; `src` 0 = OA to citizen."""
        self.tokens.check(access_token)
        try:
            query = json.loads(data or "")
        except ValueError:
            raise errors.ZaloError.invalid("data") from None
        if not isinstance(query, dict):
            raise errors.ZaloError.invalid("data")
        user_id, offset, count = query.get("user_id"), query.get("offset", 0), query.get("count", 10)
        citizen = self.state.citizens.get(str(user_id)) if isinstance(user_id, (str, int)) else None
        if citizen is None:
            raise errors.ZaloError.invalid("user_id")
        if not isinstance(offset, int) or not isinstance(count, int) or offset < 0 or count < 1:
            raise errors.ZaloError.invalid("offset")
        if count > 10:
            raise errors.ZaloError(errors.PARAMETER_OVER_LIMIT)
        newest_first = list(reversed(self.state.conversations[citizen.user_id]))
        oa_name = OA_NAME
        return [{
            "src": 1 if m.direction == CITIZEN_TO_OA else 0,
            "time": m.timestamp_ms,
            "type": "text",
            "message": m.text,
            "message_id": m.msg_id,
            "from_id": m.user_id if m.direction == CITIZEN_TO_OA else self.settings.oa_id,
            "to_id": self.settings.oa_id if m.direction == CITIZEN_TO_OA else m.user_id,
            "from_display_name": citizen.display_name if m.direction == CITIZEN_TO_OA else oa_name,
            "to_display_name": oa_name if m.direction == CITIZEN_TO_OA else citizen.display_name,
        } for m in newest_first[offset:offset + count]]

    def oa_info(self, access_token: str | None) -> dict[str, object]:
        """`GET v2.0/oa/getoa`: the OA's profile; `num_follower` counts the citizens following now."""
        self.tokens.check(access_token)
        return {
            "oa_id": self.settings.oa_id,
            "name": OA_NAME,
            "description": "",
            "is_verified": True,
            "num_follower": sum(c.is_follower for c in self.state.citizens.values()),
        }

    def refresh_access_token(self, form: Mapping[str, str], secret_key: str | None) -> TokenPair:
        """`POST v4/oa/access_token` with `grant_type=refresh_token`."""
        if secret_key != self.settings.app_secret:
            raise _oauth_invalid("secret_key header is missing or is not the App Secret")
        if form.get("app_id") != self.settings.app_id:
            raise _oauth_invalid("app_id is invalid")
        if form.get("grant_type") != "refresh_token":
            raise _oauth_invalid("grant_type must be refresh_token (the simulator has no consent flow)")
        return self.tokens.rotate(form.get("refresh_token", ""))

    # Test switches.

    def set_random_faults(self, send_failure_rate: float, http_status: int, duplicate_rate: float, seed: int) -> None:
        """Random 5xx on sends and duplicate webhook deliveries, reproducible by `seed` (load tests)."""
        self.random.seed(seed)
        self.webhook.random.seed(seed + 1)
        self.state.send_failure_rate = send_failure_rate
        self.state.send_failure_rate_status = http_status
        self.webhook.duplicate_rate = duplicate_rate

    def fail_next_sends(self, count: int, *, error: int | None = None, http_status: int | None = None) -> None:
        self.state.send_failure = SendFailure(count, error, http_status) if count > 0 else None

    def set_last_interaction(self, user_id: str, days_ago: float) -> Citizen:
        citizen = self.citizen(user_id)
        citizen.interact(at=time.time() - days_ago * 86400)
        return citizen

    def set_token_ttl(self, seconds: float) -> None:
        """Applies to tokens issued from now on."""
        self.tokens.ttl = seconds

    def _seeded_tokens(self) -> TokenStore:
        s = self.settings
        return TokenStore.seeded(s.initial_access_token, s.initial_refresh_token, s.access_token_ttl)


def _parse_cs_message(body: object) -> tuple[str, str, list[dict[str, object]]]:
    """(user_id, text, attachments) from `{"recipient": {"user_id"}, "message": {"text", "attachment"?}}`,
    else -201 naming the field (-210 for a buttons limit)."""
    if not isinstance(body, dict):
        raise errors.ZaloError.invalid("body")
    recipient = body.get("recipient")
    user_id = recipient.get("user_id") if isinstance(recipient, dict) else None
    if isinstance(user_id, int) and not isinstance(user_id, bool):
        user_id = str(user_id)
    if not isinstance(user_id, str) or not user_id:
        raise errors.ZaloError.invalid("recipient")
    message = body.get("message")
    if not isinstance(message, dict):
        raise errors.ZaloError.invalid("message")
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        raise errors.ZaloError.invalid("text")
    if "attachment" not in message:
        return user_id, text, []
    return user_id, text, [buttons.checked_attachment(message["attachment"])]


def _oauth_invalid(description: str) -> errors.OAuthError:
    return errors.OAuthError(errors.OAUTH_INVALID_PARAMETER, "Invalid parameter", description)
