"""What the bot could not answer: handed-off, clarified and declined messages, and answers the
citizen said did not help ("Câu trả lời có giúp được anh/chị không?" → "không"), grouped.

Messages come from `decision_log` (decision handoff, clarify or out_of_scope, or an answer with a
negative `answer_feedback` row) and leave the list
once an editor reviewed them (`kb_reviewed_message`): added as variants to a FAQ, turned into a
new FAQ, or dismissed. Grouping is by similarity of the diacritics-folded text, filler words
("cho em hỏi", "ạ") removed, with rapidfuzz: a message joins the most similar group whose leading
message has a token-set ratio of at least 80 with it (and a token-sort ratio of at least 55, so
"khai sinh" alone does not swallow every longer question that mentions it). Candidates are only
the groups whose leading message shares words with it (through an index of words, the most
common ones left out), so 10,000 messages group in a second or two.
"""
from __future__ import annotations

import heapq
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from rapidfuzz import fuzz, process
from sqlalchemy import and_, insert, or_, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.db import answer_feedback, decision_log, kb_reviewed_message, utc_now
from bot.decision import ANSWER, CLARIFY, HANDOFF, OUT_OF_SCOPE
from bot.faq.store import FaqRecord, KnowledgeStore
from bot.handoff.audit import audit
from bot.handoff.staff import Staff
from bot.text.fold import has_diacritics
from bot.text.normalize import normalize

UNANSWERED = (HANDOFF, CLARIFY, OUT_OF_SCOPE)
# An answer shows here only when the citizen said it did not help (an answer_feedback row).
REVIEWED_KINDS = (*UNANSWERED, ANSWER)
DECISION_NAMES = {HANDOFF: "Chuyển cán bộ", CLARIFY: "Hỏi lại", OUT_OF_SCOPE: "Ngoài phạm vi",
                  ANSWER: "Đã trả lời, công dân báo chưa giúp được"}
ADDED, NEW_FAQ, DISMISSED = "added", "new_faq", "dismissed"
LARGEST, NEWEST = "nhieu", "moi"

MAX_MESSAGES = 10_000  # the newest unreviewed ones
EXAMPLES = 5
VARIANT_CHOICES = 30  # distinct texts offered as variants for one group
SET_THRESHOLD = 80
SORT_FLOOR = 55
COMMON_WORD = 200  # a word in more groups than this is not used to find candidates
MAX_CANDIDATES = 40  # the groups sharing most words with a message, compared with it
TEXT_LIMIT = 500  # longer messages are cut for grouping and as variants

# Words that carry no topic: greetings, politeness, "cho em hỏi" (folded).
FILLER = frozenset("""
a ah ak ad admin oi cho em e hoi xin vui long giup nhe nha ha thua voi minh mk anh chi toi tui
""".split())
SMALLTALK = frozenset({
    "alo", "hello", "hi", "ok", "oke", "okie", "okay", "uh", "um", "vang", "da", "da vang", "vang a", "da duoc",
    "duoc", "roi", "cam on", "thank", "thanks", "thank you", "chao", "xin chao", "test", "hihi", "haha", "kaka",
})


@dataclass(frozen=True)
class Message:
    id: int
    at: datetime
    text: str
    decision: str
    candidates: tuple[str, ...]
    faq_id: str | None = None

    @property
    def decision_name(self) -> str:
        return DECISION_NAMES.get(self.decision, self.decision)


@dataclass(frozen=True)
class Group:
    messages: tuple[Message, ...]  # newest first

    @property
    def key(self) -> int:
        """A stable name for the page (anchors, forms): its newest message's id."""
        return self.messages[0].id

    @property
    def count(self) -> int:
        return len(self.messages)

    @property
    def newest(self) -> datetime:
        return self.messages[0].at

    @property
    def decision_ids(self) -> tuple[int, ...]:
        return tuple(m.id for m in self.messages)

    @property
    def examples(self) -> tuple[Message, ...]:
        """Up to five different wordings, newest first."""
        seen: dict[str, Message] = {}
        for m in self.messages:
            seen.setdefault(" ".join(m.text.split()).lower(), m)
            if len(seen) == EXAMPLES:
                break
        return tuple(seen.values())

    @property
    def texts(self) -> tuple[str, ...]:
        """The distinct wordings (compared without diacritics, as the knowledge base compares
        variants), most frequent first, each as typed with diacritics when someone did."""
        counts: Counter[str] = Counter()
        shown: dict[str, str] = {}
        for m in self.messages:
            text = " ".join(m.text.split())[:TEXT_LIMIT]
            folded = normalize(text).folded
            if folded:
                counts[folded] += 1
                if folded not in shown or (not has_diacritics(shown[folded]) and has_diacritics(text)):
                    shown[folded] = text
        return tuple(shown[f] for f, _ in counts.most_common(VARIANT_CHOICES))

    @property
    def decisions(self) -> dict[str, int]:
        counts = Counter(m.decision for m in self.messages)
        return {kind: counts[kind] for kind in REVIEWED_KINDS if counts[kind]}

    @property
    def unhelpful_answers(self) -> tuple[str, ...]:
        """The FAQs whose answers these citizens said did not help, most often first."""
        counts = Counter(m.faq_id for m in self.messages if m.decision == ANSWER and m.faq_id)
        return tuple(f for f, _ in counts.most_common())

    @property
    def suggested_faq(self) -> str | None:
        """The FAQ the bot most often thought of for these messages (its candidates)."""
        counts: Counter[str] = Counter()
        for m in self.messages:
            for rank, faq_id in enumerate(m.candidates):
                counts[faq_id] += 3 - min(rank, 2)  # the first candidate weighs most
            if m.faq_id and m.faq_id not in m.candidates:
                counts[m.faq_id] += 1
        return counts.most_common(1)[0][0] if counts else None


@lru_cache(maxsize=20_000)
def core(text: str) -> str:
    """The folded words of a message that carry its topic ("" for "alo", "cảm ơn ạ")."""
    folded = normalize(text[:TEXT_LIMIT]).folded
    if not folded or folded in SMALLTALK:
        return ""
    words = [w for w in folded.split() if w not in FILLER]
    if not words or (len(words) == 1 and len(words[0]) < 4) or " ".join(words) in SMALLTALK:
        return ""
    return " ".join(words)


def group_messages(messages: Iterable[Message]) -> list[Group]:
    """Groups of similar messages (smalltalk-like ones left out), largest first."""
    by_core: dict[str, list[Message]] = {}
    for m in messages:
        key = core(m.text)
        if key:
            by_core.setdefault(key, []).append(m)
    # Leaders first: the most repeated wordings, then the newest.
    cores = sorted(by_core, key=lambda c: (-len(by_core[c]), -max(m.id for m in by_core[c])))
    leaders: list[str] = []
    members: list[list[str]] = []
    index: dict[str, list[int]] = {}  # word -> the groups whose leading message has it
    for text in cores:
        words = set(text.split())
        shared: Counter[int] = Counter()
        for word in words:
            posting = index.get(word)
            if posting and len(posting) <= COMMON_WORD:  # "lam", "o dau" say little about the topic
                shared.update(posting)
        need = max(1, len(words) // 3)
        candidates = [g for g, n in shared.items() if n >= need]
        if len(candidates) > MAX_CANDIDATES:
            candidates = heapq.nlargest(MAX_CANDIDATES, candidates, key=shared.__getitem__)
        best = _best(text, candidates, leaders)
        if best is None:
            best = len(leaders)
            leaders.append(text)
            members.append([])
            for word in words:
                index.setdefault(word, []).append(best)
        members[best].append(text)
    groups = []
    for cores_of_group in members:
        found = sorted((m for c in cores_of_group for m in by_core[c]), key=lambda m: (m.at, m.id), reverse=True)
        groups.append(Group(tuple(found)))
    return sort_groups(groups, LARGEST)


def _best(text: str, candidates: Sequence[int], leaders: Sequence[str]) -> int | None:
    """The most similar group among `candidates` that `text` belongs in, if any."""
    if not candidates:
        return None
    choices = [leaders[g] for g in candidates]
    hits = process.extract(text, choices, scorer=fuzz.token_set_ratio, score_cutoff=SET_THRESHOLD, limit=None)
    for _, _, i in sorted(hits, key=lambda hit: (-hit[1], candidates[hit[2]])):
        if fuzz.token_sort_ratio(text, choices[i]) >= SORT_FLOOR:
            return candidates[i]
    return None


def sort_groups(groups: Iterable[Group], order: str = LARGEST) -> list[Group]:
    """LARGEST: most messages first (then newest); NEWEST: the latest message first (then size)."""
    if order == NEWEST:
        return sorted(groups, key=lambda g: (g.newest, g.count, g.key), reverse=True)
    return sorted(groups, key=lambda g: (g.count, g.newest, g.key), reverse=True)


def parse_ids(value: str | Iterable[str]) -> list[int]:
    """"12,15 17" or ["12", "15"] -> [12, 15, 17] (anything else is ignored)."""
    parts = value.replace(",", " ").split() if isinstance(value, str) else [p for v in value for p in str(v).replace(",", " ").split()]
    return sorted({int(p) for p in parts if p.isdigit() and len(p) < 12})


_LAST_GROUPING: dict[str, tuple[int, list[Group]]] = {}


class UnansweredMessages:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def messages(self, ids: Sequence[int] | None = None, limit: int = MAX_MESSAGES) -> list[Message]:
        """Unreviewed unanswered messages, newest first (only those among `ids` if given)."""
        with self.engine.connect() as conn:
            return self._unreviewed(conn, ids, limit)

    @staticmethod
    def _unreviewed(conn: Connection, ids: Sequence[int] | None = None, limit: int = MAX_MESSAGES) -> list[Message]:
        if ids is not None and not ids:
            return []
        reviewed = select(kb_reviewed_message.c.decision_id).where(kb_reviewed_message.c.decision_id == decision_log.c.id)
        # A text blanked by erasure or retention (bot.privacy) has nothing left to review.
        unhelpful = select(answer_feedback.c.id).where(and_(answer_feedback.c.decision_id == decision_log.c.id,
                                                             answer_feedback.c.helpful.is_(False)))
        wanted = or_(decision_log.c.decision.in_(UNANSWERED), and_(decision_log.c.decision == ANSWER, unhelpful.exists()))
        query = (select(decision_log).where(and_(wanted, ~reviewed.exists(), decision_log.c.text != ""))
                 .order_by(decision_log.c.id.desc()).limit(limit))
        if ids is not None:
            query = query.where(decision_log.c.id.in_(list(ids)))
        return [_message(r) for r in conn.execute(query)]

    def groups(self, order: str = LARGEST) -> list[Group]:
        messages = self.messages()
        key = hash(tuple(m.id for m in messages))
        cached = _LAST_GROUPING.get(str(self.engine.url))
        if cached is None or cached[0] != key:  # the same messages group the same way
            cached = (key, group_messages(messages))
            _LAST_GROUPING[str(self.engine.url)] = cached
        return sort_groups(cached[1], order)

    def add_to_faq(self, ids: Sequence[int], faq_id: str, texts: Sequence[str], store: KnowledgeStore,
                   by: Staff) -> FaqRecord:
        """The chosen wordings become variants of `faq_id`; the messages are reviewed "added"."""
        record = store.add_variants(faq_id, texts, by)
        self.mark(ids, ADDED, by, faq_id, f"{len(texts)} cách hỏi vào {faq_id}")
        return record

    def dismiss(self, ids: Sequence[int], by: Staff) -> int:
        return self.mark(ids, DISMISSED, by)

    def mark(self, ids: Sequence[int], outcome: str, by: Staff, faq_id: str | None = None, note: str = "") -> int:
        """Record the editor's decision for the unanswered messages among `ids`; returns how many
        were still waiting (another editor may have reviewed some meanwhile)."""
        for _attempt in range(3):
            try:
                return self._mark(ids, outcome, by, faq_id, note)
            except IntegrityError:  # another editor reviewed some of them at the same moment
                continue
        return 0

    def _mark(self, ids: Sequence[int], outcome: str, by: Staff, faq_id: str | None, note: str) -> int:
        now = utc_now()
        with self.engine.begin() as conn:
            waiting = [m.id for m in self._unreviewed(conn, ids)]
            if waiting:
                conn.execute(insert(kb_reviewed_message), [
                    {"decision_id": i, "outcome": outcome, "faq_id": faq_id, "username": by.username, "at": now}
                    for i in waiting
                ])
            detail = f"{len(waiting)} tin nhắn" + (f": {note}" if note else "")
            audit(conn, by.id, by.username, f"kb.unanswered.{outcome}", detail=detail)
        return len(waiting)


def _message(row) -> Message:
    try:
        candidates = tuple(str(c) for c in json.loads(row.candidates or "[]") if c)
    except (ValueError, TypeError):
        candidates = ()
    return Message(row.id, row.created_at, row.text, row.decision, candidates, row.faq_id)
