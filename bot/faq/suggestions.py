"""Officers' proposals for the knowledge base, waiting for an editor.

"Dạy bot": an officer who handled a ticket to the end proposes the citizen's question with the
reply they sent (edited if they like). An editor then adds the question as a variant of an
existing FAQ, opens a new FAQ prefilled with the answer, or dismisses the proposal.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz, process
from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Engine

from bot.db import kb_suggestion, storable, utc_now
from bot.faq.conflicts import folded_question
from bot.faq.knowledge_base import ANSWER_LIMIT, Faq
from bot.faq.store import FaqRecord, KnowledgeStore
from bot.handoff.audit import audit
from bot.handoff.staff import LEADER, OFFICER, Staff
from bot.handoff.errors import Forbidden
from bot.handoff.tickets import CLOSED, OFFICER_REPLY, RESOLVED, Ticket, TicketDesk, TicketEvent, require_view

TEACH, VARIANT, NEW_FAQ = "teach", "variant", "new_faq"
KIND_NAMES = {TEACH: "Dạy bot từ yêu cầu", VARIANT: "Thêm cách hỏi", NEW_FAQ: "FAQ mới"}
OPEN, ACCEPTED, DISMISSED = "open", "accepted", "dismissed"
STATUS_NAMES = {OPEN: "Chờ xem", ACCEPTED: "Đã nhận", DISMISSED: "Đã bỏ qua"}
QUESTION_LIMIT = 1000


class SuggestionError(ValueError):
    """A proposal that cannot be made or decided, in Vietnamese."""


@dataclass(frozen=True)
class Suggestion:
    id: int
    kind: str
    faq_id: str | None
    question: str
    answer: str
    ticket_id: int | None
    staff_id: int | None
    username: str
    status: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, self.status)


def likely_faq(question: str, faqs: Iterable[Faq], cutoff: float = 60) -> str | None:
    """The FAQ whose questions look most like `question` (folded), if any is close enough."""
    choices: list[str] = []
    owners: list[str] = []
    for faq in faqs:
        for text in faq.training_questions():
            folded = folded_question(text)
            if folded:
                choices.append(folded)
                owners.append(faq.id)
    target = folded_question(question)
    if not target or not choices:
        return None
    hit = process.extractOne(target, choices, scorer=fuzz.token_sort_ratio, score_cutoff=cutoff)
    return owners[hit[2]] if hit else None


def teachable_replies(current: Ticket, events: list[TicketEvent], member: Staff) -> list[TicketEvent]:
    """The replies `member` sent on a resolved ticket they held or closed: what they may teach
    the bot with (empty when they may not)."""
    if member.role not in (OFFICER, LEADER) or current.is_open or current.closed_reason != RESOLVED:
        return []
    closers = {e.staff_id for e in events if e.kind == CLOSED}
    if member.id != current.holder_id and member.id not in closers:
        return []
    return [e for e in events if e.kind == OFFICER_REPLY and e.staff_id == member.id and e.text.strip()]


class Suggestions:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---- officers
    def teach(self, desk: TicketDesk, ticket_id: int, member: Staff, reply_id: int, answer: str = "") -> Suggestion:
        """Propose the ticket's question with one of `member`'s replies (or their edit of it)."""
        current = desk.get(ticket_id)  # TicketNotFound: the page answers 404
        require_view(member, current)
        if current.is_open or current.closed_reason != RESOLVED:
            raise SuggestionError("chỉ dạy bot được từ yêu cầu đã xử lý xong")
        replies = teachable_replies(current, desk.events(ticket_id), member)
        if not replies:
            raise Forbidden("not_teacher")
        chosen = next((e for e in replies if e.id == reply_id), None)
        if chosen is None:
            raise SuggestionError("hãy chọn một câu trả lời bạn đã gửi cho công dân")
        text = "\n".join(line.rstrip() for line in (answer or "").replace("\r\n", "\n").split("\n")).strip() or chosen.text.strip()
        if len(text) > ANSWER_LIMIT:
            raise SuggestionError(f"câu trả lời dài {len(text)} ký tự, quá {ANSWER_LIMIT}")
        question = " ".join(current.question.split())[:QUESTION_LIMIT]
        now = utc_now()
        with self.engine.begin() as conn:
            waiting = conn.execute(select(kb_suggestion.c.id).where(and_(
                kb_suggestion.c.ticket_id == ticket_id, kb_suggestion.c.kind == TEACH, kb_suggestion.c.status == OPEN))).first()
            if waiting is not None:
                raise SuggestionError(f"yêu cầu #{ticket_id} đã có đề xuất dạy bot đang chờ biên tập viên xem")
            suggestion_id = int(conn.execute(insert(kb_suggestion).values(
                kind=TEACH, faq_id=None, question=storable(question), answer=storable(text), ticket_id=ticket_id,
                staff_id=member.id, username=member.username, status=OPEN, created_at=now,
            )).inserted_primary_key[0])
            audit(conn, member.id, member.username, "kb.suggest", ticket_id, f"#{suggestion_id}")
        return self.get(suggestion_id)

    # ---- editors
    def open(self, limit: int = 200) -> list[Suggestion]:
        query = select(kb_suggestion).where(kb_suggestion.c.status == OPEN).order_by(kb_suggestion.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_suggestion(r) for r in conn.execute(query)]

    def count_open(self) -> int:
        with self.engine.connect() as conn:
            return len(conn.execute(select(kb_suggestion.c.id).where(kb_suggestion.c.status == OPEN)).all())

    def recent_decided(self, limit: int = 20) -> list[Suggestion]:
        query = (select(kb_suggestion).where(kb_suggestion.c.status != OPEN)
                 .order_by(kb_suggestion.c.decided_at.desc(), kb_suggestion.c.id.desc()).limit(limit))
        with self.engine.connect() as conn:
            return [_suggestion(r) for r in conn.execute(query)]

    def get(self, suggestion_id: int) -> Suggestion:
        with self.engine.connect() as conn:
            row = conn.execute(select(kb_suggestion).where(kb_suggestion.c.id == suggestion_id)).first()
        if row is None:
            raise SuggestionError("không có đề xuất này")
        return _suggestion(row)

    def get_open(self, suggestion_id: int) -> Suggestion:
        suggestion = self.get(suggestion_id)
        if suggestion.status != OPEN:
            raise SuggestionError(f"đề xuất này đã được xử lý ({suggestion.status_name.lower()} bởi {suggestion.decided_by})")
        return suggestion

    def accept_as_variant(self, suggestion_id: int, faq_id: str, store: KnowledgeStore, by: Staff) -> FaqRecord:
        """The proposed question becomes a variant of `faq_id`."""
        suggestion = self.get_open(suggestion_id)
        record = store.add_variants(faq_id, [suggestion.question], by)
        self.decide(suggestion_id, ACCEPTED, by, faq_id)
        return record

    def decide(self, suggestion_id: int, status: str, by: Staff, faq_id: str | None = None) -> None:
        """Accept (with the FAQ it went into) or dismiss; refused if already decided."""
        with self.engine.begin() as conn:
            values = {"status": status, "decided_at": utc_now(), "decided_by": by.username}
            if faq_id:
                values["faq_id"] = faq_id
            changed = conn.execute(update(kb_suggestion).where(and_(
                kb_suggestion.c.id == suggestion_id, kb_suggestion.c.status == OPEN)).values(**values)).rowcount
            if not changed:
                raise SuggestionError("đề xuất này đã được biên tập viên khác xử lý")
            action = "kb.suggestion.accept" if status == ACCEPTED else "kb.suggestion.dismiss"
            audit(conn, by.id, by.username, action, detail=f"#{suggestion_id}" + (f" → {faq_id}" if faq_id else ""))

    def dismiss(self, suggestion_id: int, by: Staff) -> None:
        self.get_open(suggestion_id)
        self.decide(suggestion_id, DISMISSED, by)


def _suggestion(row) -> Suggestion:
    return Suggestion(row.id, row.kind, row.faq_id, row.question, row.answer or "", row.ticket_id, row.staff_id,
                      row.username, row.status, row.created_at, row.decided_at, row.decided_by)
