from bot import intents, paths
from bot.faq.knowledge_base import load_knowledge_base
from bot.faq.training_data import faq_nlu_yaml, generated_files, read_nlu_examples, rules_yaml


def test_generation_is_deterministic(kb):
    load_knowledge_base.cache_clear()
    again = load_knowledge_base()
    assert faq_nlu_yaml(kb) == faq_nlu_yaml(again)
    assert rules_yaml(kb) == rules_yaml(again)


def test_committed_generated_files_are_up_to_date(kb):
    for path, content in generated_files(kb).items():
        assert path.read_text(encoding="utf-8") == content, f"{path} is stale: run `make generate`"


def test_every_faq_is_an_intent_with_its_questions(kb):
    examples = read_nlu_examples(paths.GENERATED_NLU)
    assert set(examples) == {faq.intent for faq in kb.faqs.values()} | {intents.NOT_COVERED}
    for faq in kb.faqs.values():
        assert len(examples[faq.intent]) >= 15
        assert faq.question in examples[faq.intent]


def test_every_faqs_uncovered_cases_are_one_hand_off_intent(kb):
    examples = read_nlu_examples(paths.GENERATED_NLU)[intents.NOT_COVERED]
    for faq in kb.faqs.values():
        assert faq.near_misses, f"{faq.id} has no not_covered questions"
        assert set(faq.near_misses) <= set(examples)
        assert not set(faq.near_misses) & set(faq.training_questions())
