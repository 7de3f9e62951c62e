import pytest

from bot.text.fold import fold_diacritics, has_diacritics
from bot.text.normalize import normalize, normalize_text, place_tone


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("ko biết", "không biết"),
        ("k đc à", "không được à"),
        ("hok có", "không có"),
        ("đc ko", "được không"),
        ("lm j v", "làm gì vậy"),
        ("làm ntn z", "làm như thế nào vậy"),
        ("xong r", "xong rồi"),
        ("e hỏi lm cccd cho bé 10t ở đâu v ạ", "em hỏi làm căn cước công dân cho bé 10 tuổi ở đâu vậy ạ"),
        ("con 10 t", "con 10 tuổi"),
        ("t muốn hỏi", "tôi muốn hỏi"),
        ("giá 10k", "giá 10 nghìn"),
        ("dk kết hôn", "đăng ký kết hôn"),
        ("làm dk ko", "làm được không"),
        ("cho e hoi a", "cho em hoi ạ"),
        ("Cảm ơn nhiềuuuu ạaaa", "cảm ơn nhiều ạ"),
        ("  nhiều    khoảng   trắng \t\n ", "nhiều khoảng trắng"),
        ("", ""),
        ("😀👍", ""),
        ("gặp ct ub x", "gặp chủ tịch ủy ban xã"),
        ("lên cs p xin giấy xn cư trú", "lên công an phường xin giấy xác nhận cư trú"),
        ("làm gks vs lltp", "làm giấy khai sinh với lý lịch tư pháp"),
        ("chờ 5 p", "chờ 5 phút"),
    ],
)
def test_normalize_expands_slang_and_cleans(typed, expected):
    assert normalize_text(typed) == expected


@pytest.mark.parametrize(
    "word", ["không", "kết", "khó", "ka", "kia", "tk", "10km", "kg"]
)
def test_real_words_are_not_expanded(word):
    assert normalize_text(word) == word


def test_k_inside_a_number_is_not_khong():
    assert "không" not in normalize_text("lệ phí 10k")


def test_abbreviation_with_repeated_letters_survives_clean_up():
    assert normalize_text("cccd") == "căn cước công dân"


@pytest.mark.parametrize(
    "typed, expected",
    [("hoà", "hòa"), ("thuý", "thúy"), ("khoẻ", "khỏe"), ("uỷ", "ủy"), ("quý", "quý"),
     ("giữ", "giữ"), ("hoàng", "hoàng"), ("toán", "toán"), ("huyện", "huyện"), ("người", "người")],
)
def test_tone_mark_placement_is_one_convention(typed, expected):
    assert place_tone(typed) == expected


def test_nfd_input_is_composed():
    decomposed = "ca\u0306n cu\u031bo\u031b\u0301c"  # "căn cước" typed in NFD
    assert normalize_text(decomposed) == "căn cước"


def test_offsets_point_into_the_text_as_typed():
    text = "E hỏi lm CCCD ở đâu"
    pieces = normalize(text).pieces
    assert [(p.text, text[p.start:p.end]) for p in pieces] == [
        ("em", "E"), ("hỏi", "hỏi"), ("làm", "lm"), ("căn", "CCCD"), ("cước", "CCCD"),
        ("công", "CCCD"), ("dân", "CCCD"), ("ở", "ở"), ("đâu", "đâu"),
    ]


@pytest.mark.parametrize(
    "hostile",
    ["\ud800 lone surrogate", "control\x00\x07chars", "Русский текст 中文", "x" * 10_000, "1", "\u200b\u200b"],
)
def test_hostile_input_never_raises(hostile):
    assert isinstance(normalize(hostile).text, str)


def test_folding_meets_text_without_diacritics():
    assert normalize("làm căn cước ở đâu").folded == normalize("lam can cuoc o dau").folded
    assert fold_diacritics("Đăng ký") == "Dang ky"
    assert has_diacritics("đâu") and not has_diacritics("dau")
