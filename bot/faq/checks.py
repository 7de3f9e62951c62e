"""What makes one FAQ publishable, in Vietnamese for the editors (the data-file validator in
validate.py keeps its developer-facing checks)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.faq.knowledge_base import ANSWER_LIMIT, Department, Faq, KnowledgeBase, placeholders
from bot.text.fold import fold_key

MIN_VARIANTS = 3
TITLE_LIMIT = 255


def faq_problems(faq: Faq, unit: Mapping[str, str], departments: Mapping[str, str] | Iterable[str]) -> list[str]:
    """Problems of one FAQ on its own: empty or too long answer, unknown department, ...

    `departments`: code -> name (the name is in the answer's closing line, so it counts towards
    the 2,000 characters), or just the codes.
    """
    problems = []
    if not faq.id or not all(c.islower() or c.isdigit() or c == "_" for c in faq.id) or len(faq.id) > 64:
        problems.append("mã FAQ chỉ gồm chữ thường không dấu, số và dấu gạch dưới (tối đa 64 ký tự)")
    if not faq.title.strip():
        problems.append("thiếu tiêu đề")
    elif len(faq.title) > TITLE_LIMIT:
        problems.append(f"tiêu đề dài quá {TITLE_LIMIT} ký tự")
    if not faq.question.strip():
        problems.append("thiếu câu hỏi chính")
    names = dict(departments) if isinstance(departments, Mapping) else {code: code for code in departments}
    if faq.department not in names:
        problems.append(f"bộ phận “{faq.department}” không có trong danh sách bộ phận")
    if not faq.answer.strip():
        problems.append("câu trả lời trống")
    else:
        unknown = placeholders(faq.answer) - set(unit)
        if unknown:
            problems.append("câu trả lời dùng ô chưa có trong hồ sơ đơn vị: " + ", ".join("{" + u + "}" for u in sorted(unknown)))
        else:
            length = rendered_length(faq, unit, names)
            if length > ANSWER_LIMIT:
                problems.append(f"câu trả lời khi gửi dài {length} ký tự, quá {ANSWER_LIMIT} (một tin Zalo)")
    if not faq.legal_basis:
        problems.append("thiếu căn cứ pháp lý")
    variants = {fold_key(q) for q in faq.training_questions()} - {""}
    if len(variants) < MIN_VARIANTS:
        problems.append(f"cần ít nhất {MIN_VARIANTS} cách hỏi khác nhau (hiện {len(variants)})")
    return problems


def rendered_length(faq: Faq, unit: Mapping[str, str], department_names: Mapping[str, str] | None = None) -> int:
    """Length of the answer as the citizen receives it (body, legal basis, closing line)."""
    departments = {code: Department(code, name) for code, name in (department_names or {}).items()}
    kb = KnowledgeBase({faq.id: faq}, departments, dict(unit))
    return len(kb.render_answer(faq.id))


def shared_questions(faqs: Iterable[Faq]) -> dict[str, list[str]]:
    """Folded question -> the FAQ ids that all teach it (more than one is a problem)."""
    owners: dict[str, set[str]] = {}
    for faq in faqs:
        for question in faq.training_questions():
            folded = fold_key(question)
            if folded:
                owners.setdefault(folded, set()).add(faq.id)
    return {q: sorted(ids) for q, ids in owners.items() if len(ids) > 1}
