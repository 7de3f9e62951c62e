import pytest
import yaml

from bot.faq.knowledge_base import NOT_COVERED, load_knowledge_base
from bot.text.fold import fold_diacritics, has_diacritics
from bot.text.normalize import ENGLISH_FILE, load_slang, normalize, normalize_text, phrase_key, place_tone
from bot.text.syllable import reads_as_english


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
        ("nhập hk cho bé đc hk", "nhập hộ khẩu cho bé được không"),
        ("thẻ cc hết hạn", "thẻ căn cước hết hạn"),
        ("đkkh ở đâu lm khs cho bé", "đăng ký kết hôn ở đâu làm khai sinh cho bé"),
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


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("How do I get a birth certificate?", "how do i get giấy khai sinh"),  # "a" is no "anh" in English
        ("Birth Certificates", "giấy khai sinh"),
        ("the ward's one-stop office", "the phường s bộ phận một cửa"),
        ("opening hours on Saturday", "giờ làm việc on thứ bảy"),
        ("my land title", "my sổ đỏ"),
    ],
)
def test_english_terms_become_the_vietnamese_words_of_the_training_data(typed, expected):
    assert normalize_text(typed) == expected


def test_an_english_term_keeps_the_offsets_of_all_its_words():
    text = "Lost my ID card"
    assert [(p.text, text[p.start:p.end]) for p in normalize(text).pieces] == [
        ("lost", "Lost"), ("my", "my"), ("thẻ", "ID card"), ("căn", "ID card"), ("cước", "ID card"),
    ]


def test_the_longest_english_term_wins():
    assert normalize_text("land use right certificate") == "giấy chứng nhận quyền sử dụng đất"
    assert normalize_text("land") == "đất"


@pytest.mark.parametrize("typed, expected", [
    ("a ơi cho em hỏi", "anh ơi cho em hỏi"),
    ("a muon hoi lam cccd", "anh muon hoi lam căn cước công dân"),
    ("Can I register a birth online?", "can i đăng ký khai sinh online"),
])
def test_a_is_anh_in_vietnamese_and_the_article_in_english(typed, expected):
    assert normalize_text(typed) == expected


def test_no_english_key_is_a_word_citizens_type_in_vietnamese():
    """A key that is also Vietnamese (or a loanword such as "online") would rewrite Vietnamese messages."""
    keys = load_slang().phrases
    clashes = []
    for faq in load_knowledge_base().faqs.values():
        for style, questions in faq.questions.items():
            if style == "english":
                continue
            for question in questions:
                if style == NOT_COVERED and reads_as_english(list(phrase_key(question))):  # a foreigner's, in English
                    continue
                words = phrase_key(question)
                clashes += [(key, question) for key in keys
                            for i in range(len(words) - len(key) + 1) if words[i:i + len(key)] == key]
    assert clashes == []


def test_every_english_key_is_lower_case_and_translated():
    glossary = yaml.safe_load(ENGLISH_FILE.read_text(encoding="utf-8"))["phrases"]
    assert all(key == key.lower() and value.strip() for key, value in glossary.items())
