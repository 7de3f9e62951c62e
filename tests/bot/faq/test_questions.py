import pytest

from bot.faq.questions import question_parts


@pytest.mark.parametrize("text, parts", [
    ("Cho hỏi đăng ký kết hôn cần những giấy tờ gì, và sau khi đăng ký xong thì chuyển hộ khẩu của vợ "
     "về nhà chồng làm ở đâu ạ?",
     ("cho hoi dang ky ket hon can nhung giay to gi",
      "sau khi dang ky xong thi chuyen ho khau cua vo ve nha chong lam o dau a")),
    ("Làm căn cước cho con cần mang gì và cho hỏi luôn học lớp 6 nộp hồ sơ khi nào?",
     ("lam can cuoc cho con can mang gi", "hoc lop 6 nop ho so khi nao")),
    ("Khai sinh cho con cần gì? Có cần sổ hộ khẩu không?",
     ("khai sinh cho con can gi", "co can so ho khau khong")),
])
def test_a_message_of_two_questions_has_two_parts(text, parts):
    assert question_parts(text) == parts


@pytest.mark.parametrize("text", [
    "Nhà em ở đây từ thời ông nội. Giờ em muốn làm sổ đỏ lần đầu thì cần giấy tờ gì ạ?",  # background is no question
    "Đăng ký tạm trú online như thế nào",
    "Con tôi 10 tuổi, làm căn cước ở đâu?",  # a comma alone does not split
])
def test_background_and_single_questions_are_one_question(text):
    assert len(question_parts(text)) <= 1


def test_no_text_or_a_pasted_wall_of_text_asks_nothing_and_returns_at_once():
    assert question_parts("") == ()
    assert question_parts("   \n ? , và ") == ()
    assert question_parts("x" * 10_000) == ()
    # a long paste of real questions is split in one pass, every question kept
    assert len(question_parts("Làm căn cước ở đâu? " * 500)) == 500
