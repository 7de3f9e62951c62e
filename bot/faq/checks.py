"""What makes one FAQ publishable, in Vietnamese for the editors (the data-file validator in
validate.py keeps its developer-facing checks)."""
from __future__ import annotations

import re
import string
from collections.abc import Collection, Iterable, Mapping

from bot.faq.knowledge_base import (
    ANSWER_LIMIT, CITATION_LIMIT, FIRST_SCREEN_LIMIT, Department, Faq, KnowledgeBase, citation_line, first_screen,
    placeholders,
)
from bot.faq.subcases import load_subcases
from bot.text.fold import fold_key

MIN_VARIANTS = 3
TITLE_LIMIT = 255

# The FAQ fields a problem can be about (`Faq`'s attribute names; "questions": the variants).
ID, TITLE, QUESTION, DEPARTMENT, ANSWER = "id", "title", "question", "department", "answer"
LEGAL_BASIS, CITATION, QUESTIONS, COVERS = "legal_basis", "citation", "questions", "covers"


class FaqProblem(str):
    """One reason a FAQ cannot be saved: the Vietnamese sentence an editor reads (the string
    itself, so code that prints, joins or compares problems keeps working), with the `field` it is
    about and a stable `code`. Callers that need to know what is wrong use those, never the words."""

    field: str
    code: str

    def __new__(cls, text: str, field: str, code: str) -> FaqProblem:
        problem = super().__new__(cls, text)
        problem.field, problem.code = field, code
        return problem

    def __getnewargs__(self) -> tuple[str, str, str]:  # pickling and copying keep field and code
        return str(self), self.field, self.code

    def about(self, faq_id: str) -> FaqProblem:
        """The same problem, its sentence naming the FAQ (a list of many FAQs' problems)."""
        return FaqProblem(f"{faq_id}: {self}", self.field, self.code)


def faq_problems(faq: Faq, unit: Mapping[str, str], departments: Mapping[str, str] | Iterable[str],
                 subcase_classes: Collection[str] | None = None) -> list[FaqProblem]:
    """Problems of one FAQ on its own: empty or too long answer, unknown department, ...

    `departments`: code -> name (the name is in the answer's closing line, so it counts towards
    the 2,000 characters), or just the codes. `subcase_classes`: the names `covers` may hold
    (default: the classes of data/subcases.yml).
    """
    problems = []
    if not faq.id or not all(c.islower() or c.isdigit() or c == "_" for c in faq.id) or len(faq.id) > 64:
        problems.append(FaqProblem("mã FAQ chỉ gồm chữ thường không dấu, số và dấu gạch dưới (tối đa 64 ký tự)",
                                   ID, "bad_id"))
    if not faq.title.strip():
        problems.append(FaqProblem("thiếu tiêu đề", TITLE, "missing"))
    elif len(faq.title) > TITLE_LIMIT:
        problems.append(FaqProblem(f"tiêu đề dài quá {TITLE_LIMIT} ký tự", TITLE, "too_long"))
    if not faq.question.strip():
        problems.append(FaqProblem("thiếu câu hỏi chính", QUESTION, "missing"))
    names = dict(departments) if isinstance(departments, Mapping) else {code: code for code in departments}
    if faq.department not in names:
        problems.append(FaqProblem(f"bộ phận “{faq.department}” không có trong danh sách bộ phận", DEPARTMENT,
                                   "unknown_department"))
    if not faq.answer.strip():
        problems.append(FaqProblem("câu trả lời trống", ANSWER, "missing"))
    else:
        unknown = placeholders(faq.answer) - set(unit)
        if unknown:
            problems.append(FaqProblem("câu trả lời dùng ô chưa có trong hồ sơ đơn vị: "
                                       + ", ".join("{" + u + "}" for u in sorted(unknown)), ANSWER, "unknown_placeholder"))
        else:
            problems += answer_reading_problems(faq, unit, names)
    if not faq.legal_basis:
        problems.append(FaqProblem("thiếu căn cứ pháp lý", LEGAL_BASIS, "missing"))
    else:
        line = citation_line(faq)
        if len(line) > CITATION_LIMIT:
            what = "căn cứ ngắn gọn" if faq.citation else "căn cứ pháp lý (chưa có căn cứ ngắn gọn)"
            problems.append(FaqProblem(f"dòng “Căn cứ: …” dài {len(line)} ký tự, quá {CITATION_LIMIT}: hãy ghi {what} "
                                       "thành một dòng viết tắt, ví dụ “Luật Hộ tịch 2014 (Đ.13–16); NĐ 123/2015, sửa "
                                       "bởi NĐ 07/2025”", CITATION, "too_long"))
    variants = _distinct_variants(faq.training_questions(), MIN_VARIANTS)
    if len(variants) < MIN_VARIANTS:
        problems.append(FaqProblem(f"cần ít nhất {MIN_VARIANTS} cách hỏi khác nhau (hiện {len(variants)})", QUESTIONS,
                                   "too_few"))
    problems += covers_problems(faq, subcase_classes)
    return problems


def _distinct_variants(questions: list[str], enough: int) -> set[str]:
    """The questions' distinct keys, up to `enough` of them: a 2,000-FAQ import checks 160,000
    questions, and the count only has to reach the minimum."""
    variants: set[str] = set()
    for question in questions:
        key = fold_key(question)
        if key:
            variants.add(key)
            if len(variants) >= enough:
                break
    return variants


def subcase_names() -> tuple[str, ...]:
    """The class names of data/subcases.yml, in file order."""
    return tuple(c.name for c in load_subcases().classes)


def covers_problems(faq: Faq, subcase_classes: Collection[str] | None = None) -> list[FaqProblem]:
    """A `covers` entry that is not a class of data/subcases.yml (a typo would silently cover nothing)."""
    known = subcase_names() if subcase_classes is None else tuple(subcase_classes)
    unknown = [name for name in dict.fromkeys(faq.covers) if name not in known]
    if not unknown:
        return []
    return [FaqProblem("trường hợp riêng " + ", ".join(f"“{u}”" for u in unknown) + " không có trong danh sách; chỉ ghi "
                       "tên có sẵn: " + ", ".join(known), COVERS, "unknown_subcase")]


def answer_reading_problems(faq: Faq, unit: Mapping[str, str],
                            department_names: Mapping[str, str] | None = None) -> list[FaqProblem]:
    """How the answer reads on a phone once filled with the unit profile: one Zalo message, an
    opening paragraph that fits the first screen, no phrase said twice where a value joins the text."""
    problems = []
    text = render(faq, unit, department_names)
    if len(text) > ANSWER_LIMIT:  # the first thing to fix; the rest may change with it
        return [FaqProblem(f"câu trả lời khi gửi dài {len(text)} ký tự, quá {ANSWER_LIMIT} (một tin Zalo)", ANSWER,
                           "too_long")]
    opening = first_screen(text)
    if len(opening) > FIRST_SCREEN_LIMIT:
        problems.append(FaqProblem(
            f"câu trả lời: đoạn đầu dài {len(opening)} ký tự khi điền hồ sơ đơn vị, quá {FIRST_SCREEN_LIMIT}; "
            "người dân chỉ đọc màn hình đầu, hãy trả lời thẳng trong 2–3 dòng rồi xuống dòng trống "
            "trước phần chi tiết", ANSWER, "first_screen_too_long"))
    if bare_yes_no(opening):
        problems.append(FaqProblem(f"câu trả lời mở đầu bằng “{bare_yes_no(opening)}” đứng riêng; hãy mở đầu bằng "
                                   "một câu trả lời đầy đủ", ANSWER, "bare_yes_no"))
    for phrase in doubled_phrases(text) + awkward_joins(faq.answer, unit):
        problems.append(FaqProblem(f"câu trả lời lặp cụm từ khi điền hồ sơ đơn vị: “{_short(phrase)}”", ANSWER,
                                   "doubled_phrase"))
    return problems


def render(faq: Faq, unit: Mapping[str, str], department_names: Mapping[str, str] | None = None) -> str:
    """The answer as the citizen receives it, for a FAQ not (yet) in any knowledge base."""
    departments = {code: Department(code, name) for code, name in (department_names or {}).items()}
    return KnowledgeBase({faq.id: faq}, departments, dict(unit)).render_answer(faq.id)


_WORD = re.compile(r"\w+")
_BARE_YES_NO = re.compile(r"^(Được|Có|Không|Rồi)\s*[.!]")


def bare_yes_no(text: str) -> str:
    """ "Được." / "Có." at the very start: the question's own words may not have asked yes or no."""
    match = _BARE_YES_NO.match(text.strip())
    return match.group(0).strip() if match else ""


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def doubled_phrases(text: str, size: int = 3, gap: int = 1) -> list[str]:
    """Phrases of `size`+ words said twice in a row within a line ("thứ Hai đến thứ Sáu: thứ Hai
    đến thứ Sáu"), with at most `gap` words between. A phrase that comes back later in the line
    ("Cổng Dịch vụ công quốc gia hoặc Cổng Dịch vụ công Bộ Công an", "20.000 đồng/lần …, 10.000
    đồng/lần") is ordinary writing, so only a repeat right after itself counts; so are figures
    side by side ("200.000 đồng/lần; 100.000 đồng/lần cho học sinh"), so a phrase with a digit
    does not count."""
    found: list[str] = []
    for line in text.split("\n"):
        words = _words(line)
        starts: dict[tuple[str, ...], list[int]] = {}
        for j in range(len(words) - size + 1):
            head = tuple(words[j:j + size])
            for i in starts.get(head, ()):
                for n in range(j - i, j - i - gap - 1, -1):  # the phrase fills the distance (less the gap)
                    if n >= size and words[i:i + n] == words[j:j + n] and not _has_figure(words[i:i + n]):
                        said = " ".join(words[i:i + n])
                        if not any(said in other for other in found):
                            found.append(said)
                        break
            starts.setdefault(head, []).append(j)
    return found


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _has_figure(words: list[str]) -> bool:
    return any(any(c.isdigit() for c in word) for word in words)


def awkward_joins(template: str, values: Mapping[str, str]) -> list[str]:
    """Where a {placeholder}'s value repeats the words just before it: "Thứ Bảy: {saturday_hours}"
    with "sáng thứ Bảy …", "cán bộ {department}" with "Bộ phận …", "tiếp công dân định kỳ theo lịch:
    {reception_schedule}" with "Chủ tịch … tiếp công dân định kỳ …". The profile holds values, the
    text holds the framing words, so one of them says it twice."""
    found = []
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return found
    for literal, name, _, _ in parts:
        if not name or name not in values:
            continue
        before, value = _words(literal or "")[-6:], _words(str(values[name]))
        if not before or not value:
            continue
        pairs = {tuple(before[-2:])} if len(before) >= 2 else set()
        triples = {tuple(before[i:i + 3]) for i in range(len(before) - 2)}
        head4, head10 = value[:4], value[:10]
        if (before[-1] == value[0]
                or any(tuple(head4[i:i + 2]) in pairs for i in range(len(head4) - 1))
                or any(tuple(head10[i:i + 3]) in triples for i in range(len(head10) - 2))):
            found.append(f"{' '.join(before[-3:])} {{{name}}} = “{str(values[name])[:40]}…”")
    return found


def rendered_length(faq: Faq, unit: Mapping[str, str], department_names: Mapping[str, str] | None = None) -> int:
    """Length of the answer as the citizen receives it (body, legal basis, closing line)."""
    return len(render(faq, unit, department_names))


def shared_questions(faqs: Iterable[Faq]) -> dict[str, list[str]]:
    """Folded question -> the FAQ ids that all teach it (more than one is a problem)."""
    owners: dict[str, set[str]] = {}
    for faq in faqs:
        for question in faq.training_questions():
            folded = fold_key(question)
            if folded:
                owners.setdefault(folded, set()).add(faq.id)
    return {q: sorted(ids) for q, ids in owners.items() if len(ids) > 1}
