import pytest

from bot.faq.subcases import COVERING_QUESTIONS, load_subcases
from bot.text.normalize import normalize


@pytest.fixture(scope="module")
def subcases():
    return load_subcases()


@pytest.mark.parametrize("text, named", [
    ("Em lấy chồng Hàn Quốc thì đăng ký kết hôn ở đâu", ("foreign",)),
    ("em lay chong han quoc thi dang ky ket hon o dau", ("foreign",)),
    ("My Korean wife needs a birth certificate for our son", ("foreign",)),
    ("cong ty toi muon chung thuc chu ky giam doc", ("organisation",)),
    ("bố mẹ cho con đất có phải nộp thuế không", ("tax",)),
    ("xây nhà không phép bị phạt bao nhiêu", ("penalty",)),
    ("tiền sử dụng đất có được trả góp không", ("debt",)),
    ("nộp lệ phí online bị trừ tiền 2 lần xin hoàn tiền", ("refund",)),
    ("đã có giấy phép rồi giờ muốn điều chỉnh thiết kế", ("change",)),
    ("hàng xóm lấn đất nhà tôi", ("complaint",)),
])
def test_a_message_names_its_sub_case(subcases, text, named):
    assert subcases.named_in(normalize(text)) == named


@pytest.mark.parametrize("text", [
    "thuê nhà đăng ký tạm trú",  # thuê (rent) is not thuế (tax)
    "thue nha dang ky tam tru",  # without diacritics a lone "thue" is either: not a cue
    "hợp đồng thuê phòng trọ có phải công chứng",  # "đồng thuê" folds like "đóng thuế"
    "rác thải để ngoài đường lâu ngày",  # "thai" is a Vietnamese syllable, not the English word
    "đồng ý cho con đăng ký khai sinh",
    "Thủ tục đăng ký khai sinh tại cấp xã năm 2026",
])
def test_everyday_words_name_no_sub_case(subcases, text):
    assert subcases.named_in(normalize(text)) == ()


def test_a_class_is_covered_only_when_several_of_the_faqs_questions_name_it(subcases):
    mention = "em làm công ty ở Bình Dương, về quê đăng ký tạm trú được không"
    assert "organisation" not in subcases.covered_by([mention])
    assert "organisation" in subcases.covered_by([mention] * COVERING_QUESTIONS)


def test_every_class_says_the_case_in_vietnamese(subcases):
    assert subcases.classes
    for c in subcases.classes:
        assert c.says and c.accented
