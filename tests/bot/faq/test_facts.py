"""The answers against the researched facts in ../shared/faq-facts/ (skipped when that folder is absent).

The `confidence:` rule is the one written in data/faq/FORMAT.md: the lowest mark on the facts
file's "**Độ tin cậy**" line, a two-word mark counting as its lower word.
"""
import re

import pytest

from bot import paths

FACTS = paths.ROOT.parent / "shared" / "faq-facts"
MARK = re.compile(r"\b(low|medium|high)(?:-(low|medium|high))?\b")
RANK = {"low": 0, "medium": 1, "high": 2}

needs_facts = pytest.mark.skipif(not FACTS.is_dir(), reason="../shared/faq-facts is not beside this checkout")


def confidence_line(faq_id: str) -> str:
    text = (FACTS / f"{faq_id}.md").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.startswith("**Độ tin cậy**")]
    assert len(lines) == 1, f"{faq_id}.md: expected one '**Độ tin cậy**' line"
    return lines[0]


def confidence_from_facts(line: str) -> str:
    """The lowest mark on the line; "low-medium", "medium-low" -> low, "medium-high" -> medium."""
    marks = [word for match in MARK.finditer(line) for word in match.groups() if word]
    assert marks, f"no confidence mark in: {line}"
    return min(marks, key=RANK.__getitem__)


def test_the_rule_reads_compound_and_split_marks():
    assert confidence_from_facts("**Độ tin cậy**: low-medium: ...") == "low"
    assert confidence_from_facts("**Độ tin cậy**: medium-low: ...") == "low"
    assert confidence_from_facts("**Độ tin cậy**: medium-high — ...") == "medium"
    assert confidence_from_facts("**Độ tin cậy**: high cho hồ sơ; medium cho miễn phí 2026") == "medium"
    assert confidence_from_facts("**Độ tin cậy**: high") == "high"


@needs_facts
def test_every_faq_has_a_facts_file(kb):
    missing = [faq_id for faq_id in kb.faqs if not (FACTS / f"{faq_id}.md").exists()]
    assert missing == []


@needs_facts
def test_confidence_follows_the_facts_files_marks(kb):
    wrong = {
        faq_id: (faq.confidence, confidence_from_facts(confidence_line(faq_id)))
        for faq_id, faq in kb.faqs.items()
        if faq.confidence != confidence_from_facts(confidence_line(faq_id))
    }
    assert wrong == {}, "FAQ: (file, rule)"


@needs_facts
def test_ho_ngheo_cites_no_unverified_poverty_decree(kb):
    faq = kb.faqs["ho_ngheo"]
    assert "chưa xác minh" in (FACTS / "ho_ngheo.md").read_text(encoding="utf-8").lower()
    cited = faq.answer + "\n" + "\n".join(faq.legal_basis)
    assert "351/2025" not in cited
    assert "tiếp tục áp dụng trong năm 2026" not in cited


def test_can_cuoc_cap_lai_names_every_age_for_changing_the_card(kb):
    answer = kb.faqs["can_cuoc_cap_lai"].answer
    assert re.search(r"\b14, 25, 40 và 60 tuổi", answer)
    assert "sáp nhập" in answer or "sắp xếp đơn vị hành chính" in answer


def test_low_confidence_answers_say_where_to_check(kb):
    for faq in kb.faqs.values():
        if faq.confidence == "low":
            assert "{hotline}" in faq.answer or "gặp cán bộ" in faq.answer, faq.id
