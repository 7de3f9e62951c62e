"""What citizens think of the answers they got: "có giúp không?" on a bot answer, and the rating
(and one optional comment) after an officer resolves their request.

The answer feedback is asked in the answer itself and remembered in the dialogue state (the
answer's decision id); the rating is asked from the inbox, maybe hours later, so what is pending
is kept on the ticket (`ticket.feedback_stage`, migration 0010). Both are read by the reports
(bot/reports/figures.py) and a "không" puts the question in the editors' review queue
(bot/faq/unanswered.py), never in an officer's queue.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Connection

from bot.acknowledgement import acknowledgement
from bot.db import answer_feedback, decision_log, storable, ticket
from bot.replies import Button, Replies, Reply
from bot.text.normalize import normalize

RATING, COMMENT = "rating", "comment"  # ticket.feedback_stage
# The three buttons and the 1..5 figure each stores (the reports average the 1..5 column).
RATINGS: tuple[tuple[str, int], ...] = (("Hài lòng", 5), ("Bình thường", 3), ("Chưa hài lòng", 1))
# Zalo lets an OA write for 7 days after the citizen's last message; an older question is stale.
PENDING_FOR = timedelta(days=7)
COMMENT_LIMIT = 2000

_PARTICLES = {"da", "vang", "a", "nhe", "nha", "roi", "ad", "em", "minh", "toi", "la", "thi", "oi"}
# Folded words -> the rating; the longest phrase first ("chưa hài lòng" before "hài lòng").
_RATING_WORDS: tuple[tuple[str, int], ...] = (
    ("khong hai long", 1), ("chua hai long", 1), ("rat khong hai long", 1), ("te", 1), ("kem", 1),
    ("binh thuong", 3), ("tam duoc", 3), ("tam tam", 3),
    ("rat hai long", 5), ("hai long", 5), ("tot", 5), ("rat tot", 5),
)
_HELPFUL = {"co", "co giup", "co giup duoc", "co giup ich", "giup duoc", "huu ich", "co huu ich", "co a", "yes"}
_NOT_HELPFUL = {"khong", "ko", "k", "kg", "khong giup", "khong giup duoc", "chua", "chua giup duoc",
                "khong huu ich", "chua giup", "khong giup gi", "no"}
_NO_COMMENT = {"khong", "ko", "k", "kg", "khong co", "khong co gi", "het", "het roi", "khong a", "thoi", "khong gop y"}


def _core_words(text: str) -> str:
    """The folded words without politeness particles: "dạ có ạ" -> "co"."""
    words = [w for w in normalize(text).folded.strip(" .!?,").split() if w not in _PARTICLES]
    return " ".join(words)


def helpful_verdict(text: str) -> bool | None:
    """True for "có" (the button's payload, or typed), False for "không", None for anything else."""
    said = _core_words(text)
    if said in _HELPFUL:
        return True
    if said in _NOT_HELPFUL:
        return False
    return None


def rating_of(text: str) -> int | None:
    """The 1..5 figure a reply to the rating question gives: its option number ("1"..."3", the
    buttons' payloads), or its words ("hài lòng", "bình thường", "chưa hài lòng"); else None."""
    said = _core_words(text)
    if said.isdigit() and len(said) == 1 and 1 <= int(said) <= len(RATINGS):
        return RATINGS[int(said) - 1][1]
    for words, value in _RATING_WORDS:
        if said == words or said.startswith(words + " "):
            return value
    return None


def declines_comment(text: str) -> bool:
    return _core_words(text) in _NO_COMMENT or acknowledgement(text) is not None


def resolved_reply(replies: Replies, ticket_id: int, department: str) -> Reply:
    """The one message that says the request is done and asks the rating (buttons and numbers)."""
    lines = [replies.text("ticket_resolved", ticket=str(ticket_id), department=department)]
    lines += [f"{i}. {title}" for i, (title, _) in enumerate(RATINGS, start=1)]
    lines.append(replies.text("rating_hint"))
    return Reply("\n".join(lines), tuple(Button(title, str(i)) for i, (title, _) in enumerate(RATINGS, start=1)))


# ---- the answer feedback
def record_answer_feedback(conn: Connection, decision_id: int, helpful: bool, at: datetime) -> None:
    """One row for the answer `decision_id` (its FAQ read from the decision log)."""
    faq_id = conn.execute(select(decision_log.c.faq_id).where(decision_log.c.id == decision_id)).scalar_one_or_none()
    conn.execute(insert(answer_feedback).values(decision_id=decision_id, faq_id=faq_id, helpful=helpful, created_at=at))


# ---- the rating of a resolved request
@dataclass(frozen=True)
class Pending:
    ticket_id: int
    stage: str  # RATING | COMMENT


def pending_for(conn: Connection, citizen_id: str, now: datetime) -> Pending | None:
    """The citizen's latest resolved request still waiting for their rating or comment."""
    row = conn.execute(
        select(ticket.c.id, ticket.c.feedback_stage)
        .where(and_(ticket.c.citizen_id == citizen_id, ticket.c.feedback_stage.is_not(None),
                    ticket.c.closed_at >= now - PENDING_FOR))
        .order_by(ticket.c.id.desc()).limit(1)
    ).first()
    return Pending(row.id, row.feedback_stage) if row else None


def ask_rating(conn: Connection, ticket_id: int) -> None:
    """The rating question went out: the citizen's next message may answer it."""
    conn.execute(update(ticket).where(and_(ticket.c.id == ticket_id, ticket.c.rating.is_(None)))
                 .values(feedback_stage=RATING))


def store_rating(conn: Connection, ticket_id: int, rating: int, at: datetime) -> None:
    conn.execute(update(ticket).where(ticket.c.id == ticket_id)
                 .values(rating=rating, rated_at=at, feedback_stage=COMMENT))


def store_comment(conn: Connection, ticket_id: int, comment: str) -> None:
    conn.execute(update(ticket).where(ticket.c.id == ticket_id)
                 .values(rating_comment=storable(comment.strip())[:COMMENT_LIMIT], feedback_stage=None))


def drop_pending(conn: Connection, ticket_id: int) -> None:
    """The citizen moved on (asked something else, or declined): nothing more is asked."""
    conn.execute(update(ticket).where(ticket.c.id == ticket_id).values(feedback_stage=None))
