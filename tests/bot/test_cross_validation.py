"""Reading a model's cross-validation without Rasa, and what the gate and the conflicts page make of it."""
from __future__ import annotations

import io
import json
import tarfile

import pytest

from bot import cross_validation
from bot.decision import IntentScore, load_thresholds
from bot.faq import gate
from bot.faq.gate import GateScore
from bot.faq.knowledge_base import load_knowledge_base
from bot.understanding import Understanding

ROWS = [
    {"text": "làm căn cước cho bé 10 tuổi ở đâu", "intent": "faq_can_cuoc_tre_em",
     "ranking": [["faq_can_cuoc_tre_em", 0.95], ["faq_can_cuoc_cap_moi", 0.03]]},
    {"text": "cấp căn cước lần đầu cần gì", "intent": "faq_can_cuoc_cap_moi",
     "ranking": [["faq_can_cuoc_tre_em", 0.90], ["faq_can_cuoc_cap_moi", 0.05]]},
    {"text": "đi làm căn cước mang gì", "intent": "faq_can_cuoc_cap_moi",
     "ranking": [["faq_can_cuoc_tre_em", 0.60], ["faq_can_cuoc_cap_moi", 0.30]]},
    {"text": "xin chào", "intent": "greet", "ranking": [["greet", 0.99]]},
]


def _model(path, rows=ROWS, name="components/train_LinearIntentClassifier6/cross_validation.json"):
    with tarfile.open(path, "w:gz") as archive:
        for member, data in ((name, json.dumps(rows).encode()), ("metadata.json", b"{}")):
            info = tarfile.TarInfo(member)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_the_held_out_rankings_are_read_from_the_model_archive(tmp_path):
    held_out = cross_validation.read(_model(tmp_path / "model.tar.gz"))
    assert [h.text for h in held_out] == [r["text"] for r in ROWS]
    assert held_out[0].ranking[0] == IntentScore("faq_can_cuoc_tre_em", 0.95)
    assert held_out[3].key == "greet\txin chào"


@pytest.mark.parametrize("make", [
    lambda p: _model(p, name="metadata/other.json"),  # a model trained before cross-validation
    lambda p: p.write_bytes(b"not a tar") and p,
    lambda p: p,  # no file at all
])
def test_a_model_without_a_readable_cross_validation_has_none(tmp_path, make):
    path = tmp_path / "model.tar.gz"
    assert cross_validation.read(make(path) or path) is None


def test_confusions_count_faq_questions_whose_best_faq_was_another():
    held_out = [cross_validation.HeldOut(r["text"], r["intent"], tuple(IntentScore(n, c) for n, c in r["ranking"])) for r in ROWS]
    assert cross_validation.confusions(held_out) == [{"expected": "can_cuoc_cap_moi", "predicted": "can_cuoc_tre_em", "count": 2}]


def test_expectations_follow_the_gate():
    assert [cross_validation.expectation(i) for i in ("faq_khai_sinh", "greet", "out_of_scope", "personal_case")] == [
        "khai_sinh", "smalltalk", "out_of_scope", "handoff"]


def test_held_out_questions_are_decided_as_the_bot_decides(tmp_path):
    understanding = Understanding(load_knowledge_base(), load_thresholds())
    outcomes = gate.held_out_outcomes(_model(tmp_path / "model.tar.gz"), understanding, {"can_cuoc_tre_em", "can_cuoc_cap_moi"})
    assert outcomes["faq_can_cuoc_tre_em\tlàm căn cước cho bé 10 tuổi ở đâu"] == [True, False, "can_cuoc_tre_em"]
    assert outcomes["faq_can_cuoc_cap_moi\tcấp căn cước lần đầu cần gì"] == [False, True, "can_cuoc_tre_em"]
    assert outcomes["faq_can_cuoc_cap_moi\tđi làm căn cước mang gì"][:2] == [False, False]  # not sure: not answered
    assert outcomes["greet\txin chào"] == [True, False, None]
    # FAQs the other knowledge base lacks are not counted
    assert set(gate.held_out_outcomes(_model(tmp_path / "m2.tar.gz"), understanding, set())) == {"greet\txin chào"}


def _score(correct=10, wrong=0, held_out=None):
    return GateScore(correct, wrong, 12, [], held_out or {})


def _outcomes(right: int, wrong: int, unanswered: int) -> dict[str, list]:
    rows = [[True, False, "a"]] * right + [[False, True, "b"]] * wrong + [[False, False, None]] * unanswered
    return {f"faq_a\tq{n}": row for n, row in enumerate(rows)}


def test_the_gate_allows_the_cross_validation_a_small_slack():
    live = _score(held_out=_outcomes(90, 5, 5))
    within = gate.judge(live, _score(held_out=_outcomes(90 - gate.CV_SLACK, 5 + gate.CV_SLACK, 5)))
    assert within.accepted, within.reason
    assert within.reason.endswith(f"Kiểm định chéo: đúng {90 - gate.CV_SLACK}/100 (đang chạy: 90), sai {5 + gate.CV_SLACK} (đang chạy: 5).")
    assert within.cross_validation.total == 100
    moved = [f"q{n}" for n in range(90 - gate.CV_SLACK, 90)]
    assert [w["text"] for w in within.cross_validation.newly_wrong] == moved
    assert [w["text"] for w in within.cross_validation.lost] == moved
    assert within.cross_validation.newly_wrong[0] == {"text": moved[0], "expect": "a", "got": "b"}

    more_wrong = gate.judge(live, _score(held_out=_outcomes(90 - gate.CV_SLACK - 1, 6 + gate.CV_SLACK, 5)))
    assert not more_wrong.accepted
    assert more_wrong.reason.startswith(f"Kiểm định chéo: mô hình mới trả lời sai {6 + gate.CV_SLACK}/100 câu")
    fewer_right = gate.judge(live, _score(held_out=_outcomes(90 - gate.CV_SLACK - 1, 5, 6 + gate.CV_SLACK)))
    assert not fewer_right.accepted and "ít hơn mô hình đang chạy (90)" in fewer_right.reason


def test_the_held_back_questions_stay_strict_and_a_live_model_without_cross_validation_is_judged_on_them():
    refused = gate.judge(_score(10, 0, _outcomes(5, 0, 0)), _score(9, 0, _outcomes(5, 0, 0)))
    assert not refused.accepted and refused.reason.startswith("Mô hình mới trả lời đúng 9/12 câu")
    accepted = gate.judge(_score(10, 0), _score(10, 0, _outcomes(5, 0, 0)))
    assert accepted.accepted and accepted.cross_validation is None and "Kiểm định chéo" not in accepted.reason
    report = accepted.as_dict()
    assert "held_out" not in report["candidate"] and report["cross_validation"] is None
