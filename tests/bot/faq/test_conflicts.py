"""Conflicts before publishing: near-duplicate questions across FAQs, and the pairs the bot confuses."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import numpy
import pytest
from rapidfuzz import fuzz, process
from sqlalchemy import delete, insert

from bot.db import decision_log
from bot.faq.conflicts import ConfusedPair, Conflicts, confused_pairs, folded_question, near_duplicates
from bot.faq.knowledge_base import QUESTION_STYLES, Faq
from bot.faq.store import KnowledgeStore


def _faq(faq_id: str, question: str, *variants: str) -> Faq:
    questions = {s: () for s in QUESTION_STYLES}
    questions["diacritics"] = tuple(variants)
    return Faq(faq_id, "tu_phap_ho_tich", "Hộ tịch", faq_id, question, "", "Trả lời.", ("Luật",), (), (), questions)


# ---- near-duplicate questions
def test_nearly_the_same_question_in_two_faqs_is_reported_with_advice():
    a = _faq("khai_sinh", "Đăng ký khai sinh cần giấy tờ gì?", "làm giấy khai sinh cho con cần mang theo gì")
    b = _faq("khai_sinh_qua_han", "Khai sinh quá hạn có bị phạt không?", "lam giay khai sinh cho con can mang theo gi a")
    found = near_duplicates([a, b])
    assert len(found) == 1
    pair = found[0]
    assert (pair.faq_a, pair.faq_b) == ("khai_sinh", "khai_sinh_qua_han")
    assert pair.question_a == "làm giấy khai sinh cho con cần mang theo gì" and pair.score >= 90
    assert pair.suggestion.startswith("Xóa hoặc sửa một trong hai cách hỏi")


def test_questions_of_the_same_faq_or_merely_alike_are_not_conflicts():
    a = _faq("ket_hon", "Đăng ký kết hôn cần gì?", "đăng ký kết hôn cần những gì", "đăng ký kết hôn cần gì ạ")
    b = _faq("khai_tu", "Đăng ký khai tử cần gì?", "làm giấy chứng tử ở đâu")
    assert near_duplicates([a, b]) == []  # "kết hôn" and "khai tử" differ more than 10%


def test_the_length_window_finds_the_same_pairs_as_comparing_everything(kb):
    """The fast search compares only questions of similar length: it must miss nothing."""
    threshold = 85
    items = sorted({(folded_question(q), f.id) for f in kb.faqs.values() for q in f.training_questions() if folded_question(q)})
    texts = [t for t, _ in items]
    scores = process.cdist(texts, texts, scorer=fuzz.ratio, dtype=numpy.uint8, score_cutoff=threshold)
    expected = set()
    for i, j in zip(*numpy.nonzero(scores)):
        if i < j and items[i][1] != items[j][1] and fuzz.ratio(texts[i], texts[j]) >= threshold:
            (fa, ta), (fb, tb) = sorted([(items[i][1], texts[i]), (items[j][1], texts[j])])
            expected.add((fa, ta, fb, tb))
    found = {(d.faq_a, folded_question(d.question_a), d.faq_b, folded_question(d.question_b))
             for d in near_duplicates(kb.faqs.values(), threshold=threshold, limit=100_000)}
    assert found == expected


# ---- confused pairs
def test_pairs_offered_together_and_cross_validation_mistakes_are_counted_both_ways():
    clarifications = [
        (["khai_sinh", "khai_sinh_qua_han"], "khai sinh muộn"),
        (["khai_sinh_qua_han", "khai_sinh"], "khai sinh quá hạn"),
        (["khai_sinh_qua_han", "khai_sinh"], "khai sinh muộn"),
        (["ket_hon", "xac_nhan_hon_nhan", "ket_hon"], "kết hôn cần xác nhận gì"),
        (["thuong_tru"], "nhập hộ khẩu"),
    ]
    cv = [
        {"expected": "khai_sinh", "predicted": "khai_sinh_qua_han", "count": 4},
        {"expected": "khai_sinh_qua_han", "predicted": "khai_sinh", "count": 1},
        {"expected": "tam_tru", "predicted": "thuong_tru", "count": 2},
        {"expected": "tam_tru", "predicted": "tam_tru", "count": 30},  # correct: not a confusion
        {"expected": "x"}, {"predicted": "y", "count": 1}, "rubbish", {"expected": "a", "predicted": "b", "count": "nhiều"},
        {"expected": None, "predicted": "khai_sinh", "count": 7},  # smalltalk taken for a FAQ: not a pair of FAQs
    ]
    pairs = confused_pairs(clarifications, cv)
    assert pairs[0] == ConfusedPair("khai_sinh", "khai_sinh_qua_han", 3, 5, ("khai sinh muộn", "khai sinh quá hạn"))
    assert {(p.faq_a, p.faq_b): (p.traffic, p.cross_validation) for p in pairs[1:]} == {
        ("tam_tru", "thuong_tru"): (0, 2), ("ket_hon", "xac_nhan_hon_nhan"): (1, 0),
    }
    assert [p.faq_a for p in confused_pairs(clarifications, cv, known={"ket_hon", "xac_nhan_hon_nhan"})] == ["ket_hon"]


@pytest.fixture
def clarifications(db_engine):
    prefix = f"c{uuid.uuid4().hex[:8]}"

    def add(candidates: list[str], text: str) -> None:
        with db_engine.begin() as conn:
            conn.execute(insert(decision_log).values(
                created_at=datetime.now(timezone.utc), sender_id=f"{prefix}-1", channel="zalo", text=text, decision="clarify",
                intent=None, faq_id=None, confidence=0.5, department=None, candidates=json.dumps(candidates), reason="test"))

    yield add
    with db_engine.begin() as conn:
        conn.execute(delete(decision_log).where(decision_log.c.sender_id.like(f"{prefix}%")))


def test_the_report_reads_real_traffic_and_the_live_models_cross_validation(db_engine, clarifications):
    clarifications(["tam_tru", "thuong_tru"], "đăng ký tạm trú hay thường trú cho con")
    clarifications(["thuong_tru", "tam_tru"], "nhập khẩu cho con")
    clarifications(["tam_tru", "khong_con_faq_nay"], "tạm trú")
    store = KnowledgeStore(db_engine)
    report = Conflicts(db_engine, store, lambda: [{"expected": "ho_ngheo", "predicted": "tro_cap_nguoi_cao_tuoi", "count": 3}]).report()
    pairs = {(p.faq_a, p.faq_b): p for p in report.confused}
    assert pairs[("tam_tru", "thuong_tru")].traffic >= 2
    assert pairs[("ho_ngheo", "tro_cap_nguoi_cao_tuoi")].cross_validation == 3
    assert not any("khong_con_faq_nay" in key for key in pairs)  # FAQs no longer in the knowledge base
    assert report.cv_available
    titles = report.title("tam_tru"), report.title("thuong_tru")
    assert report.confusion_advice(pairs[("tam_tru", "thuong_tru")]).startswith(
        f"Thêm cách hỏi phân biệt hoặc từ loại trừ cho “{titles[0]}” và “{titles[1]}”")
    assert not Conflicts(db_engine, store, lambda: None).report().cv_available
    assert all(d.faq_a != d.faq_b for d in report.near_duplicates)
