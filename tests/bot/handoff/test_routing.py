"""Where a handed-off question goes, and the reason officers read."""
import pytest

from bot.decision import HANDOFF, Decision
from bot.handoff.cancel import is_cancel_request
from bot.handoff.routing import route
from bot.core.history import history_from_events
from bot.handoff.tickets import BOT, CITIZEN


def _handoff(reason="low_confidence", department="van_phong", candidates=(), confidence=0.3):
    return Decision(HANDOFF, "request_human", confidence, None, department, tuple(candidates), reason)


def test_the_faq_the_model_leans_on_decides_the_department(understanding):
    where = route(_handoff(department="cong_an", candidates=("can_cuoc_tre_em",), confidence=0.62),
                  "căn cước cho con bị sai ngày sinh thì sao", understanding)
    assert where.department == "cong_an"
    assert where.reason.startswith("Trợ lý không chắc câu trả lời. Gần với câu hỏi thường gặp")


def test_a_case_the_answer_does_not_cover_tells_officers_which(understanding):
    where = route(_handoff(reason="not_covered:ket_hon:foreign", department="tu_phap_ho_tich", candidates=("ket_hon",),
                           confidence=0.9), "lấy chồng Hàn Quốc đăng ký kết hôn ở đâu", understanding)
    assert where.department == "tu_phap_ho_tich"
    assert where.reason.startswith("Câu trả lời có sẵn chưa bao gồm trường hợp công dân hỏi (có yếu tố nước ngoài). "
                                   "Gần với câu hỏi thường gặp “")


def test_topic_words_route_when_the_model_cannot(understanding):
    where = route(_handoff(reason="request_human"), "cho tôi gặp cán bộ về làm căn cước cho con", understanding)
    assert where.department == "cong_an"
    assert "Công dân yêu cầu gặp cán bộ" in where.reason and "căn cước" in where.reason


def test_the_more_specific_words_win(understanding):
    assert route(_handoff(), "tôi muốn phản ánh đường hỏng trước nhà", understanding).department == "van_phong"


def test_no_topic_goes_to_the_general_queue_to_triage(understanding):
    where = route(_handoff(reason="personal_case"), "việc của tôi đến đâu rồi", understanding)
    assert where.department == "van_phong" and "Văn phòng phân loại" in where.reason


@pytest.mark.parametrize(("text", "cancel"), [
    ("thôi không cần nữa", True), ("Thoi ko can nua a", True), ("hủy yêu cầu", True),
    ("dạ thôi khỏi", True), ("mình giải quyết được rồi", True),
    ("không cần giấy khai sinh nữa à, cho hỏi căn cước", False), ("làm căn cước ở đâu", False),
])
def test_cancel_requests_are_told_from_new_questions(text, cancel):
    assert is_cancel_request(text) is cancel


def test_history_is_the_current_session_without_the_handed_off_message():
    events = [
        {"event": "user", "text": "hôm qua", "timestamp": 1},
        {"event": "session_started", "timestamp": 2},
        {"event": "user", "text": "xin chào", "timestamp": 3},
        {"event": "bot", "text": "Xin chào anh/chị!", "timestamp": 4},
        {"event": "slot", "name": "x"},
        {"event": "user", "text": "gặp cán bộ", "timestamp": 5},
    ]
    assert [(h.kind, h.text) for h in history_from_events(events)] == [(CITIZEN, "xin chào"), (BOT, "Xin chào anh/chị!")]
