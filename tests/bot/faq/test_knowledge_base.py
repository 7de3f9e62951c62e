from dataclasses import replace
from pathlib import Path

import pytest

from bot import paths
from bot.faq.knowledge_base import KnowledgeBaseError, load_faq
from bot.faq.training_data import hand_written_examples
from bot.faq.validate import validate

SHARED_CATALOGUE = paths.ROOT.parent / "shared" / "faq-catalogue.csv"


def test_shipped_knowledge_base_is_sound(kb):
    assert validate(kb, other_examples=hand_written_examples()) == []


def test_every_catalogue_id_is_covered(kb):
    import csv

    with paths.CATALOGUE.open(encoding="utf-8") as f:
        ids = [row["id"] for row in csv.DictReader(f)]
    assert list(kb.faqs) == ids


def test_catalogue_copy_matches_the_shared_catalogue():
    if not SHARED_CATALOGUE.exists():
        pytest.skip("../shared is not beside this checkout")
    assert paths.CATALOGUE.read_bytes() == SHARED_CATALOGUE.read_bytes()


def test_unit_profile_is_marked_as_sample():
    assert "MẪU" in paths.UNIT_FILE.read_text(encoding="utf-8").upper()


def test_validator_reports_each_kind_of_problem(kb):
    faq = kb.faqs["khai_sinh"]
    broken = replace(
        faq,
        department="nowhere",
        legal_basis=(),
        answer=faq.answer + " {no_such_value}",
        questions={"diacritics": ("Đăng ký khai sinh cho con cần những giấy tờ gì?",)},
    )
    other = dict(kb.faqs)
    other["khai_sinh"] = broken
    del other["khai_tu"]
    problems = validate(replace(kb, faqs=other), other_examples={"greet": ["xin chào"]})
    text = "\n".join(problems)
    assert "khai_tu has no FAQ file" in text
    assert "unknown department nowhere" in text
    assert "at least 15 needed" in text
    assert "no legal basis" in text
    assert "no_such_value" in text


def test_a_question_taught_for_two_intents_is_reported(kb):
    question = kb.faqs["khai_sinh"].questions["diacritics"][0]
    problems = validate(kb, other_examples={"out_of_scope": [question]})
    assert any("several intents" in p for p in problems)


def test_answers_have_a_legal_basis_and_fit_zalo(kb):
    for faq in kb.faqs.values():
        rendered = kb.render_answer(faq.id)
        assert "Căn cứ:" in rendered and len(rendered) <= 2000


def test_malformed_faq_file_is_a_clear_error(tmp_path: Path):
    path = tmp_path / "bad.yml"
    path.write_text("id: bad\nanswer: [unclosed\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="bad.yml"):
        load_faq(path)
    path.write_text("id: bad\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="missing or malformed field"):
        load_faq(path)
