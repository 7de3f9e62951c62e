"""Every answer and every reply, as a citizen reads it on a phone, with the sample unit profile and
with a long real-looking one (a ward with a long name and address after the 2025 merger)."""
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot import paths
from bot.faq.checks import awkward_joins, bare_yes_no, doubled_phrases
from bot.faq.knowledge_base import (
    ANSWER_LIMIT, BASIS_LABEL, CITATION_LIMIT, FIRST_SCREEN_LIMIT, FULL_BASIS_INVITE, Faq, KnowledgeBase,
    derive_citation, first_screen, load_knowledge_base, placeholders,
)
from bot.replies import Replies, load_templates

LONG_PROFILE = Path(__file__).with_name("long_unit_profile.yml")
# Per-message values of the reply templates, as long as they get (bot/handoff/office_hours.py,
# data/departments.yml, bot/privacy.py). A new placeholder needs a sample here.
MESSAGE_VALUES = {
    "department": "Bộ phận Tư pháp – Hộ tịch",
    "when": "khi bộ phận làm việc trở lại, từ 7h30 ngày mai (thứ Hai, 08/12)",
    "title": "Đăng ký khai sinh cho con",
    "case": "trường hợp có yếu tố nước ngoài",
    "says": "có yếu tố nước ngoài",
    "retention_months": "12",
    "ticket": "12345",
    "privacy_url": "https://nguyentrungtruc.angiang.gov.vn/chinh-sach-du-lieu-ca-nhan-tro-ly-zalo",
}


def _long_profile() -> dict[str, str]:
    return {str(k): str(v) for k, v in yaml.safe_load(LONG_PROFILE.read_text(encoding="utf-8"))["profile"].items()}


PROFILES = {"sample": lambda: load_knowledge_base().unit, "long": _long_profile}


@pytest.fixture(scope="module", params=sorted(PROFILES))
def profile(request) -> tuple[str, dict[str, str]]:
    return request.param, dict(PROFILES[request.param]())


def test_the_long_profile_has_every_field_of_the_sample():
    assert set(_long_profile()) == set(load_knowledge_base().unit)


def _kb(unit: dict[str, str]) -> KnowledgeBase:
    return replace(load_knowledge_base(), unit=unit)


@pytest.mark.parametrize("faq_id", list(load_knowledge_base().faqs))
def test_an_answer_fits_a_phone(profile, faq_id):
    name, unit = profile
    kb = _kb(unit)
    faq = kb.faqs[faq_id]
    text = kb.render_answer(faq_id)
    where = f"{faq_id} with the {name} profile"
    assert len(text) <= ANSWER_LIMIT, f"{where}: {len(text)} characters"
    opening = first_screen(text)
    assert opening and len(opening) <= FIRST_SCREEN_LIMIT, f"{where}: first paragraph {len(opening)} characters"
    assert not bare_yes_no(opening), f"{where}: starts with a bare {bare_yes_no(opening)!r}"
    basis = [line for line in text.split("\n") if line.startswith(BASIS_LABEL)]
    assert len(basis) == 1 and len(basis[0]) <= CITATION_LIMIT, f"{where}: {basis}"
    assert FULL_BASIS_INVITE in text
    assert "{" not in text and "}" not in text, f"{where}: an unfilled placeholder"
    assert doubled_phrases(text) == [], where
    assert awkward_joins(faq.answer, unit) == [], where


@pytest.mark.parametrize("faq_id", list(load_knowledge_base().faqs))
def test_the_full_legal_basis_is_there_on_request(faq_id):
    kb = load_knowledge_base()
    full = kb.render_legal_basis_full(faq_id)
    assert all(document in full for document in kb.faqs[faq_id].legal_basis)
    assert len(full) <= ANSWER_LIMIT


def test_every_reply_reads_well(profile):
    name, unit = profile
    replies = Replies(load_templates(), unit)
    for key, template in load_templates().items():
        missing = placeholders(template) - unit.keys() - MESSAGE_VALUES.keys()
        assert not missing, f"reply {key} uses {sorted(missing)}: add a sample value to MESSAGE_VALUES"
        text = replies.text(key, **MESSAGE_VALUES)
        where = f"reply {key} with the {name} profile"
        assert len(text) <= ANSWER_LIMIT, where
        assert "{" not in text and "}" not in text, where
        assert not bare_yes_no(text), where
        assert doubled_phrases(text) == [], where
        assert awkward_joins(template, {**unit, **MESSAGE_VALUES}) == [], where


# ---- the detectors themselves, on the joins that once read wrong
def test_doubled_phrases_are_found_and_parallel_figures_are_not():
    assert doubled_phrases("Giờ làm việc: thứ Hai đến thứ Sáu: thứ Hai đến thứ Sáu, sáng 7h30") == ["thứ hai đến thứ sáu"]
    assert doubled_phrases("Lệ phí: 20.000 đồng/lần nộp trực tiếp, 10.000 đồng/lần nộp trực tuyến.") == []
    assert doubled_phrases("Lệ phí: 200.000 đồng/lần; 100.000 đồng/lần cho học sinh") == []
    assert doubled_phrases("Nhà thuê, mượn, ở nhờ: hợp đồng thuê, mượn, ở nhờ có công chứng") == []
    assert doubled_phrases("Cổng Dịch vụ công quốc gia hoặc Cổng Dịch vụ công Bộ Công an") == []
    assert doubled_phrases("tới cán bộ cán bộ một cửa, lệ phí lệ phí") == []  # two words: awkward_joins finds these


def test_a_value_that_repeats_its_framing_is_an_awkward_join():
    assert awkward_joins("Thứ Bảy: {saturday_hours}.", {"saturday_hours": "sáng thứ Bảy 7h30–11h30"})
    assert awkward_joins("tới cán bộ {department}", {"department": "Bộ phận Một cửa"})
    assert awkward_joins("tiếp công dân định kỳ theo lịch: {schedule}", {"schedule": "Chủ tịch UBND xã tiếp công dân định kỳ sáng thứ Năm"})
    assert awkward_joins("Lệ phí: {fee}.", {"fee": "miễn lệ phí đối với đăng ký trong nước"})
    assert not awkward_joins("Thứ Bảy: {saturday_hours}.", {"saturday_hours": "sáng 7h30–11h30"})
    assert not awkward_joins("phí thẩm định hồ sơ {fee}", {"fee": "500.000 đồng/hồ sơ"})


def test_a_bare_yes_or_no_opening_is_found():
    assert bare_yes_no("Được. Trẻ dưới 14 tuổi…") == "Được."
    assert bare_yes_no("Có. Hồ sơ…") == "Có."
    assert bare_yes_no("Có thể nộp trực tuyến.") == ""
    assert bare_yes_no("Không phải trường hợp nào cũng phải xin phép.") == ""


def test_a_citation_is_derived_from_full_titles_when_none_is_written():
    assert derive_citation((
        "Luật Hộ tịch số 60/2014/QH13, Điều 11 (miễn lệ phí), Điều 13, 15, 16 (đăng ký khai sinh)",
        "Nghị định 123/2015/NĐ-CP quy định chi tiết Luật Hộ tịch (sửa đổi, bổ sung bởi Nghị định 07/2025/NĐ-CP)",
        "Thông tư 04/2020/TT-BTP quy định chi tiết thi hành Luật Hộ tịch",
        "Quy chế hoạt động của Trung tâm",
    )) == "Luật Hộ tịch 2014 (Đ.11, 13, 15, 16); NĐ 123/2015; TT 04/2020; Quy chế hoạt động của Trung tâm"
    assert derive_citation(("  Luật Trật tự, an toàn giao thông đường bộ số 36/2024/QH15, Điều 39", "Luật số 107/2025/QH15")) \
        == "Luật Trật tự, an toàn giao thông đường bộ 2024 (Đ.39); Luật 107/2025"
    kb = load_knowledge_base()
    faq = replace(kb.faqs["khai_sinh"], citation="")
    text = replace(kb, faqs={"khai_sinh": faq}).render_answer("khai_sinh")
    assert "Căn cứ: Luật Hộ tịch 2014 (Đ.11, 13, 15, 16); NĐ 123/2015" in text


def test_every_shipped_faq_has_its_own_citation_naming_only_its_legal_basis():
    from bot.faq.validate import validate

    kb = load_knowledge_base()
    assert [faq.id for faq in kb.faqs.values() if not faq.citation] == []
    assert all(isinstance(faq, Faq) for faq in kb.faqs.values()) and paths.FAQ_DIR.exists()
    stray = replace(kb.faqs["khai_sinh"], citation="Luật Hộ tịch 2014; NĐ 999/2030")
    problems = validate(replace(kb, faqs={**kb.faqs, "khai_sinh": stray}))
    assert "khai_sinh: citation names ['999/2030'], not in legal_basis" in problems
