"""The fuzzy second signal: the knowledge base's questions, matched against a message."""
from __future__ import annotations

import pytest
from rapidfuzz import fuzz, process

from bot.faq.fuzzy import QuestionIndex
from bot.faq.knowledge_base import load_knowledge_base
from bot.text.normalize import normalize

MESSAGES = [
    "cho hỏi làm căn cước cho con 10 tuổi ở đâu",
    "cho hoi lam can cuoc cho con 10 tuoi o dau",
    "e hỏi lm cccd cho bé 10t ở đâu v ạ",
    "xã mình mấy giờ mở cửa vậy",
    "tôi muốn tách thửa đất của bố mẹ thì làm thế nào, hết bao lâu",
    "how do I register my baby's birth",
    "ở đâu đâu đâu",
    "a",
]


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base()


@pytest.fixture(scope="module")
def index(kb):
    return QuestionIndex(kb)


@pytest.mark.parametrize("message", MESSAGES)
def test_the_index_scores_as_token_sort_ratio_over_every_question(kb, index, message):
    folded = normalize(message).folded
    questions = [(faq.id, normalize(q).folded) for faq in kb.faqs.values() for q in faq.training_questions()]
    best: dict[str, float] = {}
    for _, score, i in process.extract(folded, [q for _, q in questions], scorer=fuzz.token_sort_ratio, limit=None):
        best[questions[i][0]] = max(best.get(questions[i][0], 0.0), float(score))
    top = sorted(best.values(), reverse=True)[:3]

    matches = index.match(folded)

    assert [m.score for m in matches] == pytest.approx(top)
    assert all(best[m.faq_id] == pytest.approx(m.score) for m in matches)


def test_a_training_question_finds_its_own_faq_first(kb, index):
    for faq in kb.faqs.values():
        question = normalize(faq.training_questions()[0]).folded
        assert index.match(question)[0].score == 100
        assert faq.id in {m.faq_id for m in index.match(question) if m.score == 100}


def test_the_best_match_alone_is_the_best_of_the_three_and_none_below_the_cutoff(index):
    folded = normalize("làm giấy khai sinh cho con cần gì").folded
    best = index.match(folded)[0]
    assert index.match(folded, limit=1) == (best,)
    assert index.match(folded, limit=1, score_cutoff=best.score) == (best,)
    assert index.match(folded, limit=1, score_cutoff=best.score + 0.5) == ()


def test_no_words_no_match(index):
    assert index.match("") == ()


STORY = ("Chào anh chị, bố mẹ em đi làm ăn xa, em ở với bà nội, năm nay em tròn 14 tuổi rồi mà chưa "
         "có thẻ căn cước, trường nhắc phải làm để thi vào lớp 10. Em tự đi làm có được không, cần mang "
         "giấy khai sinh không, làm ở công an xã mình hay phải lên tỉnh, có mất tiền không ạ?")


@pytest.fixture(scope="module")
def every_question_sorted(kb):
    return [" ".join(sorted(normalize(q).folded.split())) for faq in kb.faqs.values() for q in faq.training_questions()]


@pytest.mark.parametrize("message", [*MESSAGES, STORY])
@pytest.mark.parametrize("cutoff", [0, 60, 75, 90])
def test_a_cutoff_searches_only_questions_long_enough_and_short_enough_to_reach_it(index, every_question_sorted,
                                                                                    message, cutoff):
    folded = normalize(message).folded
    words = " ".join(sorted(folded.split()))
    every = every_question_sorted
    scores = sorted((float(s) for _, s, _ in process.extract(words, every, scorer=fuzz.ratio, limit=None,
                                                           score_cutoff=cutoff)), reverse=True)

    best = index.match(folded, limit=1, score_cutoff=cutoff)

    assert [m.score for m in best] == pytest.approx(scores[:1])
