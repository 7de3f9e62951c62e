"""What the simulated Zalo knows: citizens, every message of each conversation, and test switches."""
from __future__ import annotations

import random
import secrets
import time
from dataclasses import asdict, dataclass, field

CITIZEN_TO_OA = "citizen_to_oa"
OA_TO_CITIZEN = "oa_to_citizen"

_NAMES = (
    "Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Hoàng Nam", "Phạm Thu Hà", "Hoàng Đức Minh",
    "Vũ Thị Lan", "Đặng Quốc Huy", "Bùi Thị Hương", "Đỗ Thanh Tùng", "Ngô Thị Mai",
    "Huỳnh Tấn Phát", "Võ Thị Yến", "Phan Văn Đức", "Trương Mỹ Linh",
)


def _zalo_id() -> str:
    """A Zalo-style ID: a long digit string that fits a signed 64-bit integer."""
    return str(random.randrange(10**17, 9 * 10**18))


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class ChatMessage:
    msg_id: str
    user_id: str
    direction: str
    text: str
    timestamp_ms: int
    # Set only when an officer typed it in the OA chat tool, never for API sends.
    admin_id: str | None = None
    attachments: list[dict[str, object]] = field(default_factory=list)
    # False for the text an `oa.query.hide` button sent: the OA gets it, the citizen's chat hides it.
    shown_to_citizen: bool = True

    @property
    def from_admin(self) -> bool:
        return self.admin_id is not None

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "from_admin": self.from_admin}


@dataclass
class Citizen:
    user_id: str
    user_id_by_app: str
    display_name: str
    is_follower: bool = False
    last_interaction: float | None = None
    # Free CS replies sent since `last_interaction`; the 9th within 48 h is charged.
    free_replies_used: int = 0

    def interact(self, at: float | None = None) -> None:
        """Following, messaging or tapping "Nhắn tin" opens a fresh window with 8 free replies."""
        self.last_interaction = time.time() if at is None else at
        self.free_replies_used = 0

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class SendFailure:
    """The next `remaining` CS sends fail with a Zalo `error` or, if set, a bare `http_status`."""

    remaining: int
    error: int | None = None
    http_status: int | None = None


@dataclass
class SimState:
    citizens: dict[str, Citizen] = field(default_factory=dict)
    conversations: dict[str, list[ChatMessage]] = field(default_factory=dict)
    # Every OA send in the order it happened: a poller's cursor into it never shifts. Sorting by
    # timestamp did: two sends in one millisecond sorted by conversation, not by arrival, so a
    # reply could land before the cursor and never be seen (a "lost" reply under load).
    sent: list[ChatMessage] = field(default_factory=list)
    send_failure: SendFailure | None = None
    # Load tests: each CS send fails with this HTTP status with probability `send_failure_rate`.
    send_failure_rate: float = 0.0
    send_failure_rate_status: int = 503

    def add_citizen(self, display_name: str | None = None) -> Citizen:
        name = (display_name or "").strip() or self._unused_name()
        user_id = _zalo_id()
        while user_id in self.citizens:
            user_id = _zalo_id()
        citizen = Citizen(user_id=user_id, user_id_by_app=_zalo_id(), display_name=name)
        self.citizens[user_id] = citizen
        self.conversations[user_id] = []
        return citizen

    def record(self, user_id: str, direction: str, text: str, *, admin_id: str | None = None,
               attachments: list[dict[str, object]] | None = None, shown_to_citizen: bool = True) -> ChatMessage:
        message = ChatMessage(
            msg_id=secrets.token_hex(10),
            user_id=user_id,
            direction=direction,
            text=text,
            timestamp_ms=now_ms(),
            admin_id=admin_id,
            attachments=attachments or [],
            shown_to_citizen=shown_to_citizen,
        )
        self.conversations.setdefault(user_id, []).append(message)
        if direction == OA_TO_CITIZEN:
            self.sent.append(message)
        return message

    def oa_messages(self, user_id: str | None = None) -> list[ChatMessage]:
        """Everything the OA sent, in the order it was sent; one citizen's only when `user_id` is given."""
        return [m for m in self.sent if user_id is None or m.user_id == user_id]

    def take_send_failure(self) -> SendFailure | None:
        """The armed failure for this send, counting it down."""
        failure = self.send_failure
        if failure is None:
            return None
        failure.remaining -= 1
        if failure.remaining <= 0:
            self.send_failure = None
        return failure

    def _unused_name(self) -> str:
        taken = {c.display_name for c in self.citizens.values()}
        free = [name for name in _NAMES if name not in taken]
        return random.choice(free) if free else f"{random.choice(_NAMES)} {len(self.citizens) + 1}"
