"""Grouping the messages the bot could not answer, and recording what editors did with them."""
from __future__ import annotations

import json
import random
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, insert, select

from bot.db import audit_log, decision_log, kb_reviewed_message
from bot.faq.unanswered import (
    ADDED, DISMISSED, LARGEST, NEWEST, Group, Message, UnansweredMessages, core, group_messages, parse_ids, sort_groups,
)
from bot.handoff.staff import EDITOR, Staff

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def _messages(*texts: str, start: int = 1, kind: str = "handoff", candidates: tuple[str, ...] = ()) -> list[Message]:
    return [Message(start + i, NOW - timedelta(minutes=len(texts) - i), text, kind, candidates) for i, text in enumerate(texts)]


def _group_of(groups: list[Group], message_id: int) -> Group:
    return next(g for g in groups if message_id in g.decision_ids)


# ---- the words that carry the topic
def test_politeness_and_greetings_are_not_part_of_the_topic():
    assert core("Cho em hỏi làm khai sinh ở đâu ạ") == core("làm khai sinh ở đâu") == "lam khai sinh o dau"
    assert core("ad ơi cho mình hỏi với, đăng ký kết hôn cần gì") == core("đăng ký kết hôn cần gì")


@pytest.mark.parametrize("text", ["alo", "Alo!!", "ok", "cảm ơn ạ", "hi", "dạ vâng", "em chào ad ạ", "", "   ", "😀😀"])
def test_smalltalk_like_messages_have_no_topic(text):
    assert core(text) == ""


# ---- groups
def test_similar_messages_form_one_group_and_other_topics_their_own():
    messages = _messages(
        "cho em hỏi làm khai sinh cho con ở đâu ạ",
        "làm khai sinh cho con ở đâu",
        "lam khai sinh cho con o dau vay ad",
        "thủ tục đăng ký kết hôn cần những gì",
        "đăng ký kết hôn cần những giấy tờ gì",
        "nhà hàng xóm xây lấn sang đất nhà tôi thì báo ai",
        "alo",
    )
    groups = group_messages(messages)
    births, marriage, land = _group_of(groups, 1), _group_of(groups, 4), _group_of(groups, 6)
    assert set(births.decision_ids) == {1, 2, 3}
    assert set(marriage.decision_ids) == {4, 5}
    assert land.decision_ids == (6,)
    assert all(7 not in g.decision_ids for g in groups)  # "alo" is left out
    assert len(groups) == 3


def test_a_short_message_does_not_swallow_longer_ones_that_mention_it():
    groups = group_messages(_messages(
        "khai sinh",
        "khai sinh cho con quá hạn 2 tháng thì có bị phạt không",
        "khai sinh cho con quá hạn thì bị phạt bao nhiêu tiền",
    ))
    assert _group_of(groups, 1).decision_ids == (1,)
    assert set(_group_of(groups, 2).decision_ids) == {2, 3}


def test_a_group_tells_count_newest_time_examples_and_decisions():
    texts = [f"làm khai sinh cho con ở xã {name} ở đâu" for name in ("An Phú", "An Phú", "Phú Hòa", "Bình Minh", "Tân Lập", "Hòa Bình", "Phú Mỹ")]
    messages = [Message(i + 1, NOW - timedelta(hours=10 - i), text, kind, ("khai_sinh",))
                for i, (text, kind) in enumerate(zip(texts, ["handoff", "clarify", "handoff", "out_of_scope", "handoff", "clarify", "handoff"]))]
    group = group_messages(messages)[0]
    assert group.count == 7 and group.newest == messages[-1].at and group.key == 7
    assert [m.id for m in group.messages] == [7, 6, 5, 4, 3, 2, 1]  # newest first
    assert len(group.examples) == 5 and group.examples[0].id == 7
    assert len({m.text for m in group.examples}) == 5  # different wordings
    assert group.decisions == {"handoff": 4, "clarify": 2, "out_of_scope": 1}
    assert group.suggested_faq == "khai_sinh"


def test_the_suggested_faq_is_the_one_the_bot_thought_of_first_most_often():
    messages = [
        Message(1, NOW, "khai sinh quá hạn phạt bao nhiêu", "clarify", ("khai_sinh_qua_han", "khai_sinh")),
        Message(2, NOW, "khai sinh quá hạn bị phạt bao nhiêu", "clarify", ("khai_sinh_qua_han", "khai_sinh")),
        Message(3, NOW, "khai sinh quá hạn có bị phạt bao nhiêu", "clarify", ("khai_sinh", "khai_sinh_qua_han")),
    ]
    assert group_messages(messages)[0].suggested_faq == "khai_sinh_qua_han"
    assert group_messages(_messages("nuôi ong có cần xin phép"))[0].suggested_faq is None


def test_variants_offered_are_distinct_wordings_typed_with_diacritics_when_someone_did():
    group = group_messages(_messages(
        "lam khai sinh cho con o dau", "làm khai sinh cho con ở đâu", "Làm khai sinh cho con ở đâu?", "làm khai sinh cho bé ở đâu",
    ))[0]
    assert group.texts == ("Làm khai sinh cho con ở đâu?", "làm khai sinh cho bé ở đâu")  # the newest with diacritics


def test_groups_are_ordered_largest_or_newest_first():
    big = _messages("làm căn cước cho trẻ em ở đâu", "lam can cuoc cho tre em o dau", "làm căn cước cho trẻ em cần gì ở đâu", start=1)
    new = [Message(10, NOW + timedelta(days=1), "xin giấy phép nuôi cá sấu", "handoff", ())]
    groups = group_messages([*big, *new])
    assert [g.count for g in sort_groups(groups, LARGEST)] == [3, 1]
    assert [g.key for g in sort_groups(groups, NEWEST)] == [10, 3]


def test_ids_from_a_form():
    assert parse_ids("12,15 17,,x,-3") == [12, 15, 17]
    assert parse_ids(["3", "1,2"]) == [1, 2, 3]
    assert parse_ids("") == []


def test_ten_thousand_messages_group_in_a_few_seconds(kb):
    questions = [q for faq in kb.faqs.values() for q in faq.training_questions()]
    rng = random.Random(7)
    messages, drawn = [], set()
    for i in range(10_000):
        question = rng.choice(questions)
        drawn.add(question)
        words = question.split()
        if len(words) > 4 and rng.random() < 0.4:
            del words[rng.randrange(len(words))]
        text = rng.choice(["", "cho em hỏi ", "ad ơi "]) + " ".join(words) + rng.choice(["", " ạ", " với"])
        messages.append(Message(i + 1, NOW - timedelta(minutes=i), text, rng.choice(["handoff", "clarify", "out_of_scope"]), ()))
    for m in messages:  # normalizing is remembered per text, like a page opened before
        core(m.text)
    started = time.monotonic()
    groups = group_messages(messages)
    elapsed = time.monotonic() - started
    assert sum(g.count for g in groups) == 10_000 - sum(1 for m in messages if not core(m.text))
    # real grouping happened: about one group per training question drawn (each typed in up to
    # 18 ways), not one per text; the bound follows the size of the training data
    assert len(groups) < 1.1 * len(drawn) < 0.5 * len({m.text for m in messages}) and groups[0].count >= 20
    assert elapsed < 20, elapsed  # about 1-2 s on an idle machine


# ---- in the database
@pytest.fixture
def store(db_engine):
    prefix = f"u{uuid.uuid4().hex[:8]}"
    yield db_engine, prefix
    with db_engine.begin() as conn:
        ids = conn.execute(select(decision_log.c.id).where(decision_log.c.sender_id.like(f"{prefix}%"))).scalars().all()
        if ids:
            conn.execute(delete(kb_reviewed_message).where(kb_reviewed_message.c.decision_id.in_(ids)))
            conn.execute(delete(decision_log).where(decision_log.c.id.in_(ids)))
        conn.execute(delete(audit_log).where(audit_log.c.username.like(f"{prefix}%")))


def _log(engine, prefix: str, text: str, decision: str) -> int:
    with engine.begin() as conn:
        return int(conn.execute(insert(decision_log).values(
            created_at=datetime.now(timezone.utc), sender_id=f"{prefix}-1", channel="zalo", text=text, decision=decision,
            intent=None, faq_id=None, confidence=0.2, department=None, candidates=json.dumps(["khai_sinh"]), reason="test",
        )).inserted_primary_key[0])


def test_only_unreviewed_unanswered_messages_are_listed_and_marking_is_once(store):
    engine, prefix = store
    editor = Staff(None, f"{prefix}.editor", "Biên tập", EDITOR, None)
    handed = _log(engine, prefix, "nuôi ong trong khu dân cư có cần xin phép không", "handoff")
    clarified = _log(engine, prefix, "nuôi ong trong khu dân cư có phải xin phép không", "clarify")
    declined = _log(engine, prefix, "nuôi ong trong phố có cần xin phép", "out_of_scope")
    answered = _log(engine, prefix, "làm khai sinh ở đâu", "answer")
    chat = _log(engine, prefix, "chào bạn", "smalltalk")
    service = UnansweredMessages(engine)
    listed = {m.id for m in service.messages([handed, clarified, declined, answered, chat])}
    assert listed == {handed, clarified, declined}
    group = _group_of(service.groups(), handed)
    assert {handed, clarified, declined} <= set(group.decision_ids)

    assert service.mark([handed, answered], ADDED, editor, "khai_sinh") == 1  # an answered message is not "unanswered"
    assert service.dismiss([handed, clarified], editor) == 1  # the first was already reviewed
    with engine.connect() as conn:
        rows = {r.decision_id: (r.outcome, r.faq_id, r.username) for r in conn.execute(
            select(kb_reviewed_message).where(kb_reviewed_message.c.decision_id.in_([handed, clarified, answered])))}
        actions = conn.execute(select(audit_log.c.action).where(audit_log.c.username == editor.username)).scalars().all()
    assert rows == {handed: (ADDED, "khai_sinh", editor.username), clarified: (DISMISSED, None, editor.username)}
    assert sorted(actions) == ["kb.unanswered.added", "kb.unanswered.dismissed"]
    assert {m.id for m in service.messages([handed, clarified, declined])} == {declined}
