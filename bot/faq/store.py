"""The knowledge base in the app database: what editors change and what a publish trains on.

Seeded from data/faq/*.yml on first start (idempotently; the files stay the import format).
A FAQ's legal basis is one JSON value in `kb_faq.legal_basis`: a list of the full titles, or
{"documents": [...], "citation": "…"} when the FAQ has its short "Căn cứ" line (rows written before
the short line existed stay lists, so no migration is needed).
Every change bumps the FAQ's `version` and stores a revision (a JSON snapshot) and its audit
row in the same transaction (a refused or failed save leaves neither); a save names the version
it started from and is refused when another editor saved in between (optimistic check), so the
second editor is told and loses nothing.
"""
from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Union

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine

from bot import paths
from bot.db import department, kb_faq, kb_question, kb_revision, utc_now
from bot.faq.checks import ID, QUESTIONS, FaqProblem, faq_problems, shared_questions
from bot.faq.knowledge_base import (
    QUESTION_STYLES, Department, Faq, KnowledgeBase, faq_files, load_faq, load_knowledge_base, read_catalogue,
)
from bot.handoff.audit import audit
from bot.text.fold import fold_key, has_diacritics

if TYPE_CHECKING:
    from bot.handoff.staff import Staff

SEED_USER = "seed"
FOLDED_LIMIT = 600
# Who changes the knowledge base: a staff member, or a name for a script, a bench or the seed.
Actor = Union["Staff", str]


@dataclass(frozen=True)
class FaqRecord:
    faq: Faq
    active: bool
    version: int
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True)
class Revision:
    version: int
    action: str
    username: str
    at: datetime
    snapshot: dict


class VersionConflict(Exception):
    """Someone saved the FAQ after this editor opened it; `current` is what is there now."""

    def __init__(self, current: FaqRecord) -> None:
        super().__init__(f"FAQ {current.faq.id} is at version {current.version}")
        self.current = current


class FaqInvalid(ValueError):
    """The FAQ cannot be saved as it is; `problems` are Vietnamese sentences, each with the field
    it is about (`FaqProblem.field`, `.code`)."""

    def __init__(self, problems: Sequence[FaqProblem]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def actor(by: Actor) -> tuple[int | None, str]:
    """(staff id, username) of whoever changes the knowledge base; a script has no staff id."""
    return (None, by) if isinstance(by, str) else (by.id, by.username)


def _audit(conn: Connection, by: Actor, action: str, detail: str) -> None:
    staff_id, username = actor(by)
    audit(conn, staff_id, username, action, detail=detail)


def snapshot(faq: Faq, active: bool) -> dict:
    return {
        "id": faq.id, "department": faq.department, "topic": faq.topic, "title": faq.title,
        "question": faq.question, "answer": faq.answer, "legal_basis": list(faq.legal_basis),
        "citation": faq.citation, "keywords": list(faq.keywords), "excludes": list(faq.excludes),
        "covers": list(faq.covers), "confidence": faq.confidence,
        "active": active, "questions": {s: list(faq.questions.get(s, ())) for s in QUESTION_STYLES if faq.questions.get(s)},
    }


def faq_from_snapshot(data: dict) -> Faq:
    return Faq(
        id=data["id"], department=data["department"], topic=data["topic"], title=data["title"],
        question=data["question"], confidence=data.get("confidence", ""), answer=data["answer"],
        legal_basis=tuple(data.get("legal_basis") or ()), keywords=tuple(data.get("keywords") or ()),
        excludes=tuple(data.get("excludes") or ()),
        questions={s: tuple((data.get("questions") or {}).get(s) or ()) for s in QUESTION_STYLES},
        citation=data.get("citation") or "", covers=tuple(data.get("covers") or ()),
    )


def legal_basis_column(faq: Faq) -> str:
    """The `kb_faq.legal_basis` value: the full titles, with the short line when there is one."""
    documents = list(faq.legal_basis)
    value = {"documents": documents, "citation": faq.citation} if faq.citation else documents
    return json.dumps(value, ensure_ascii=False)


def read_legal_basis_column(text: str) -> tuple[tuple[str, ...], str]:
    """(full titles, short citation) from `kb_faq.legal_basis`, either form."""
    value = json.loads(text)
    if isinstance(value, dict):
        return tuple(value.get("documents") or ()), str(value.get("citation") or "")
    return tuple(value), ""


def style_of(text: str) -> str:
    """Where an editor's new variant goes: with or without diacritics (the training styles)."""
    return "diacritics" if has_diacritics(text) else "no_diacritics"


def seed_faqs(conn: Connection, faq_dir: Path = paths.FAQ_DIR) -> int:
    """Insert the files' FAQs missing from the database; returns how many. Idempotent: a FAQ
    already there (maybe edited since) is left alone."""
    known = set(conn.execute(select(kb_faq.c.id)).scalars())
    added = 0
    for path in faq_files(faq_dir):
        faq = load_faq(path)
        if faq.id not in known:
            KnowledgeStore._insert(conn, faq, True, SEED_USER, "seed")
            added += 1
    return added


class KnowledgeStore:
    def __init__(self, engine: Engine, unit: dict[str, str] | None = None) -> None:
        self.engine = engine
        self.unit = unit if unit is not None else load_knowledge_base().unit

    # ---- reading
    def all(self, active_only: bool = False) -> list[FaqRecord]:
        with self.engine.connect() as conn:
            return self._records(conn, active_only)

    def get(self, faq_id: str) -> FaqRecord:
        with self.engine.connect() as conn:
            records = self._records(conn, False, [faq_id])
        if not records:
            raise KeyError(faq_id)
        return records[0]

    def search(self, query: str, limit: int = 100) -> list[FaqRecord]:
        """FAQs where every word of the query is a word of the id, title, question, answer,
        keywords or variants, compared without diacritics ("so do" finds "sổ đỏ"); the FAQs
        whose title holds the whole phrase come first."""
        words = fold_key(query).split()
        records = self.all()
        if not words:
            return records[:limit]
        phrase = f" {' '.join(words)} "
        ranked = []
        for record in records:
            title, body = _search_text(record.faq)
            if phrase in title:
                ranked.append((0, record))
            elif phrase in body:
                ranked.append((1, record))
            elif all(f" {w} " in body for w in words):
                ranked.append((2, record))
        return [r for _, r in sorted(ranked, key=lambda item: item[0])][:limit]

    def knowledge_base(self, active_only: bool = True) -> KnowledgeBase:
        """The knowledge base as the bot uses it: departments from the database, unit profile."""
        faqs = {r.faq.id: r.faq for r in self.all(active_only)}
        with self.engine.connect() as conn:
            departments = {r.code: Department(r.code, r.name) for r in conn.execute(select(department.c.code, department.c.name))}
        return KnowledgeBase(faqs, departments, dict(self.unit))

    def history(self, faq_id: str) -> list[Revision]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(kb_revision).where(kb_revision.c.faq_id == faq_id).order_by(kb_revision.c.version.desc()))
            return [Revision(r.version, r.action, r.username, r.at, json.loads(r.snapshot)) for r in rows]

    def content_hash(self) -> str:
        """Changes whenever any active FAQ's content changes: what a publish is built from."""
        digest = hashlib.sha256()
        for record in self.all(active_only=True):
            digest.update(json.dumps(snapshot(record.faq, True), ensure_ascii=False, sort_keys=True).encode())
        return digest.hexdigest()[:20]

    # ---- changing (each in one transaction with its revision and its audit row)
    def save(self, faq: Faq, expected_version: int, by: Actor, *, active: bool | None = None,
             action: str = "edit", note: str = "") -> FaqRecord:
        """Replace a FAQ's content; VersionConflict when it changed since `expected_version`.
        Audited as `kb.<action>`; `note` adds to the audit row's detail."""
        with self.engine.begin() as conn:
            current = self._records(conn, False, [faq.id], for_update=True)
            if not current:
                raise KeyError(faq.id)
            if current[0].version != expected_version:
                raise VersionConflict(current[0])
            keep_active = current[0].active if active is None else active
            self._check(conn, faq, keep_active)
            version = expected_version + 1
            self._write(conn, faq, keep_active, version, by, action)
            _audit(conn, by, f"kb.{action}", f"{faq.id}: phiên bản {version}" + (f", {note}" if note else ""))
            return self._records(conn, False, [faq.id])[0]

    def create(self, faq: Faq, by: Actor) -> FaqRecord:
        with self.engine.begin() as conn:
            if conn.execute(select(kb_faq.c.id).where(kb_faq.c.id == faq.id)).first():
                raise FaqInvalid([FaqProblem(f"mã FAQ “{faq.id}” đã có", ID, "id_taken")])
            self._check(conn, faq, True)
            self._insert(conn, faq, True, by, "create")
            _audit(conn, by, "kb.create", faq.id)
            return self._records(conn, False, [faq.id])[0]

    def set_active(self, faq_id: str, active: bool, expected_version: int, by: Actor) -> FaqRecord:
        current = self.get(faq_id)
        return self.save(current.faq, expected_version, by, active=active, action="activate" if active else "retire")

    def add_variants(self, faq_id: str, texts: Iterable[str], by: Actor, *,
                     expected_version: int | None = None) -> FaqRecord:
        """Add questions (deduplicated, style from their diacritics) as one new version."""
        current = self.get(faq_id)
        # The same words with and without diacritics are two variants: the model sees both forms.
        known = {_same_words(q) for q in current.faq.training_questions()}
        questions = {s: list(current.faq.questions.get(s, ())) for s in QUESTION_STYLES}
        added = 0
        for text in texts:
            text = " ".join(text.split())
            key = _same_words(text)
            if text and key not in known:
                questions[style_of(text)].append(text)
                known.add(key)
                added += 1
        updated = replace(current.faq, questions={s: tuple(q) for s, q in questions.items()})
        version = current.version if expected_version is None else expected_version
        return self.save(updated, version, by, action="add_variants", note=f"thêm {added} cách hỏi")

    def replace_all(self, records: Sequence[tuple[Faq, bool]], by: Actor, *, checked: bool = False,
                    source: str = "") -> int:
        """An import: the whole knowledge base in one transaction (all or nothing), audited as
        `kb.import` (`source`: the file's name); returns the number of FAQs changed. FAQs absent
        from the import are retired, not deleted.

        `checked`: the caller (the spreadsheet import) has just run these very checks.
        """
        if not checked:
            codes = self._department_codes()
            problems = [p.about(faq.id) for faq, _ in records for p in faq_problems(faq, self.unit, codes)]
            for question, owners in shared_questions(f for f, _ in records).items():
                problems.append(FaqProblem(f"câu hỏi “{question}” nằm ở nhiều FAQ: {', '.join(owners)}", QUESTIONS,
                                           "question_shared"))
            if problems:
                raise FaqInvalid(problems)
        with self.engine.begin() as conn:
            current = {r.faq.id: r for r in self._records(conn, False, for_update=True)}
            imported = {faq.id for faq, _ in records}
            new, changed = [], []
            for faq, active in records:
                existing = current.get(faq.id)
                if existing is None:
                    new.append((faq, active, 1))
                elif snapshot(existing.faq, existing.active) != snapshot(faq, active):
                    changed.append((faq, active, existing.version + 1))
            retired = [(current[i].faq, False, current[i].version + 1) for i in sorted(current.keys() - imported) if current[i].active]
            self._write_many(conn, new, changed + retired, by, {id(x): "import_retire" for x in retired})
            total = len(new) + len(changed) + len(retired)
            _audit(conn, by, "kb.import", (f"{source}: " if source else "") + f"{len(records)} FAQ, {total} thay đổi "
                   f"(thêm {len(new)}, sửa {len(changed)}, ngừng dùng {len(retired)})")
        return total

    def _write_many(self, conn: Connection, new: list, changed: list, by: Actor, actions: dict[int, str]) -> None:
        """Batched inserts and updates: a 2,000-FAQ import is a handful of statements per table."""
        if new:
            conn.execute(insert(kb_faq), [{"id": f.id, "version": v, **self._columns(f, a, by)} for f, a, v in new])
        if changed:
            conn.execute(
                update(kb_faq).where(kb_faq.c.id == bindparam("faq_id")),
                [{"faq_id": f.id, "version": v, **self._columns(f, a, by)} for f, a, v in changed],
            )
            ids = [f.id for f, _, _ in changed]
            for start in range(0, len(ids), 500):
                conn.execute(delete(kb_question).where(kb_question.c.faq_id.in_(ids[start:start + 500])))
        everything = new + changed
        questions = [row for f, _, _ in everything for row in _question_rows(f)]
        if questions:
            conn.execute(insert(kb_question), questions)
        if everything:
            now = utc_now()
            staff_id, username = actor(by)
            conn.execute(insert(kb_revision), [
                {"faq_id": f.id, "version": v, "action": actions.get(id(item), "import"), "staff_id": staff_id,
                 "username": username, "at": now, "snapshot": json.dumps(snapshot(f, a), ensure_ascii=False)}
                for item in everything for f, a, v in [item]
            ])

    # ---- internals
    def _department_codes(self) -> dict[str, str]:
        """Code -> name of every department."""
        with self.engine.connect() as conn:
            return {r.code: r.name for r in conn.execute(select(department.c.code, department.c.name))}

    def _check(self, conn: Connection, faq: Faq, active: bool) -> None:
        problems = faq_problems(faq, self.unit, self._department_codes())
        if active:
            mine = {fold_key(q): q for q in faq.training_questions()}
            taken = list(conn.execute(
                select(kb_question.c.folded, kb_question.c.faq_id)
                .join(kb_faq, kb_faq.c.id == kb_question.c.faq_id)
                .where(kb_faq.c.active.is_(True), kb_faq.c.id != faq.id, kb_question.c.folded.in_(list(mine)))
            ).all())
            mains = conn.execute(select(kb_faq.c.id, kb_faq.c.question).where(kb_faq.c.active.is_(True), kb_faq.c.id != faq.id))
            taken += [(fold_key(question), owner) for owner, question in mains if fold_key(question) in mine]
            owners: dict[str, set[str]] = {}
            for folded, owner in taken:
                owners.setdefault(folded, set()).add(owner)
            for folded, ids in sorted(owners.items()):
                problems.append(FaqProblem(f"câu hỏi “{mine[folded]}” đã thuộc FAQ {', '.join(sorted(ids))}", QUESTIONS,
                                           "question_taken"))
        if problems:
            raise FaqInvalid(problems)

    @classmethod
    def _insert(cls, conn: Connection, faq: Faq, active: bool, by: Actor, action: str) -> None:
        conn.execute(insert(kb_faq).values(id=faq.id, version=1, **cls._columns(faq, active, by)))
        cls._write_questions(conn, faq)
        cls._revision(conn, faq, active, 1, by, action)

    def _write(self, conn: Connection, faq: Faq, active: bool, version: int, by: Actor, action: str) -> None:
        conn.execute(update(kb_faq).where(kb_faq.c.id == faq.id).values(version=version, **self._columns(faq, active, by)))
        conn.execute(delete(kb_question).where(kb_question.c.faq_id == faq.id))
        self._write_questions(conn, faq)
        self._revision(conn, faq, active, version, by, action)

    @staticmethod
    def _columns(faq: Faq, active: bool, by: Actor) -> dict:
        return {
            "department_code": faq.department, "topic": faq.topic, "title": faq.title, "question": faq.question,
            "answer": faq.answer, "legal_basis": legal_basis_column(faq),
            "keywords": json.dumps(list(faq.keywords), ensure_ascii=False),
            "excludes": json.dumps(list(faq.excludes), ensure_ascii=False),
            "covers": json.dumps(list(faq.covers), ensure_ascii=False), "confidence": faq.confidence or "",
            "active": active, "updated_at": utc_now(), "updated_by": actor(by)[1],
        }

    @staticmethod
    def _write_questions(conn: Connection, faq: Faq) -> None:
        rows = _question_rows(faq)
        if rows:
            conn.execute(insert(kb_question), rows)

    @staticmethod
    def _revision(conn: Connection, faq: Faq, active: bool, version: int, by: Actor, action: str) -> None:
        staff_id, username = actor(by)
        conn.execute(insert(kb_revision).values(
            faq_id=faq.id, version=version, action=action, snapshot=json.dumps(snapshot(faq, active), ensure_ascii=False),
            staff_id=staff_id, username=username, at=utc_now(),
        ))

    def _records(self, conn: Connection, active_only: bool, ids: Sequence[str] | None = None, for_update: bool = False) -> list[FaqRecord]:
        query = select(kb_faq)
        if active_only:
            query = query.where(kb_faq.c.active.is_(True))
        if ids is not None:
            query = query.where(kb_faq.c.id.in_(list(ids)))
        if for_update:
            query = query.with_for_update()
        rows = conn.execute(query).all()
        questions: dict[str, dict[str, list[str]]] = {}
        question_query = select(kb_question).order_by(kb_question.c.faq_id, kb_question.c.style, kb_question.c.position)
        if ids is not None:
            question_query = question_query.where(kb_question.c.faq_id.in_(list(ids)))
        for q in conn.execute(question_query):
            questions.setdefault(q.faq_id, {}).setdefault(q.style, []).append(q.text)
        order = _catalogue_order()
        records = []
        for r in rows:
            documents, citation = read_legal_basis_column(r.legal_basis)
            records.append(FaqRecord(
                Faq(id=r.id, department=r.department_code, topic=r.topic, title=r.title, question=r.question,
                    confidence=r.confidence, answer=r.answer, legal_basis=documents,
                    keywords=tuple(json.loads(r.keywords)), excludes=tuple(json.loads(r.excludes)),
                    questions={s: tuple(questions.get(r.id, {}).get(s, ())) for s in QUESTION_STYLES},
                    citation=citation, covers=tuple(json.loads(r.covers))),
                bool(r.active), r.version, r.updated_at, r.updated_by,
            ))
        return sorted(records, key=lambda rec: (order.get(rec.faq.id, len(order)), rec.faq.id))


def _question_rows(faq: Faq) -> list[dict]:
    return [
        {"faq_id": faq.id, "style": style, "text": text, "folded": fold_key(text)[:FOLDED_LIMIT], "position": i}
        for style in QUESTION_STYLES for i, text in enumerate(faq.questions.get(style, ()))
    ]


def _same_words(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


@lru_cache(maxsize=4096)
def _search_text(faq: Faq) -> tuple[str, str]:
    """(title, everything) folded and space-padded, once per FAQ content."""
    title = f" {fold_key(faq.title + ' ' + faq.id.replace('_', ' '))} "
    body = " ".join([faq.question, faq.answer, faq.topic, *faq.training_questions(), *faq.keywords])
    return title, f" {fold_key(body)} {title} "


@lru_cache(maxsize=1)
def _catalogue_order() -> dict[str, int]:
    """Catalogue FAQs first, in catalogue order (as data/faq generates), then new ones by id."""
    return {row["id"]: i for i, row in enumerate(read_catalogue(paths.CATALOGUE))}
