"""Editing one FAQ on the curation pages: reading the form, the answer as Zalo shows it, diffs.

Plain Python (no web framework): the router hands over the submitted form, gets a `Faq` back,
and shows `preview` and `diff` results. The preview is built by the same `render_answer` the
bot uses, so what the editor reads is what the citizen receives.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from bot.faq.knowledge_base import (
    ANSWER_LIMIT, BASIS_LABEL, QUESTION_STYLES, Department, Faq, KnowledgeBase, assemble_answer, derive_citation,
)
from bot.faq.store import snapshot, style_of
from bot.faq.subcases import load_subcases
from bot.text.fold import fold_diacritics
from bot.text.normalize import normalize

STYLE_NAMES = {
    "diacritics": "Có dấu", "no_diacritics": "Không dấu", "teencode": "Viết tắt, tiếng lóng",
    "long": "Câu dài, kể hoàn cảnh", "english": "Tiếng Anh", "short": "Ngắn gọn",
    "formal": "Kiểu văn bản, tiêu đề cổng dịch vụ công",
    "not_covered": "Câu hỏi cùng chủ đề mà câu trả lời KHÔNG bao gồm (bot chuyển cán bộ)",
}
CONFIDENCE_NAMES = {"high": "Cao", "medium": "Trung bình", "low": "Thấp"}
REVISION_NAMES = {
    "seed": "Nhập từ tệp dữ liệu", "create": "Tạo mới", "edit": "Sửa", "add_variants": "Thêm cách hỏi",
    "retire": "Ngừng dùng", "activate": "Dùng lại", "import": "Nhập từ bảng tính", "import_retire": "Ngừng dùng khi nhập",
}
FIELD_LABELS = {
    "title": "Tiêu đề", "question": "Câu hỏi chính", "department": "Bộ phận", "topic": "Chủ đề",
    "answer": "Câu trả lời", "legal_basis": "Căn cứ pháp lý", "citation": "Căn cứ ngắn gọn", "keywords": "Từ khóa", "excludes": "Từ loại trừ",
    "covers": "Trường hợp riêng đã trả lời",
    "confidence": "Độ tin cậy", "active": "Trạng thái",
    "questions.diacritics": "Cách hỏi – có dấu", "questions.no_diacritics": "Cách hỏi – không dấu",
    "questions.teencode": "Cách hỏi – viết tắt, tiếng lóng", "questions.long": "Cách hỏi – câu dài, kể hoàn cảnh",
    "questions.english": "Cách hỏi – tiếng Anh", "questions.short": "Cách hỏi – ngắn gọn",
    "questions.formal": "Cách hỏi – kiểu văn bản", "questions.not_covered": "Câu hỏi câu trả lời không bao gồm",
}
ID_LIMIT = 64
COVERS_SHOWN = "covers_shown"  # the form's hidden mark that it carries the `covers` boxes
CONTEXT_LINES = 1
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


class FormData(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...
    def getlist(self, key: str) -> list[Any]: ...


@dataclass(frozen=True)
class FaqForm:
    """What the editor submitted: the FAQ as it would be saved, and whether it is in use."""
    faq: Faq
    active: bool


def lines(text: str | None) -> tuple[str, ...]:
    """One item per non-empty line, spaces tidied, duplicates dropped (first kept)."""
    seen: dict[str, None] = {}
    for line in (text or "").splitlines():
        item = " ".join(line.split())
        if item:
            seen.setdefault(item, None)
    return tuple(seen)


def slug(text: str) -> str:
    """A FAQ id from a title: "Đăng ký kết hôn" -> "dang_ky_ket_hon"."""
    folded = fold_diacritics(text).lower()
    return re.sub(r"[^a-z0-9]+", "_", folded).strip("_")[:ID_LIMIT].rstrip("_")


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _answer(text: str) -> str:
    """Browsers send CRLF; the bot's answers use LF. Trailing spaces on a line are dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def subcase_choices() -> list[tuple[str, str]]:
    """(class name, how the bot names it, capitalised) for each class of data/subcases.yml: the
    `covers` boxes."""
    return [(c.name, c.says[:1].upper() + c.says[1:] or c.name) for c in load_subcases().classes]


def _covers(form: FormData, kept: tuple[str, ...]) -> tuple[str, ...]:
    """The ticked `covers` boxes, in the FAQ's order so far (then new ones): saving without a change
    is no change. A form without the boxes (no `covers_shown`) keeps `kept`."""
    if form.get(COVERS_SHOWN) is None:
        return kept
    ticked = list(dict.fromkeys(" ".join(str(v).split()) for v in form.getlist("covers")))
    return tuple([name for name in kept if name in ticked] + [name for name in ticked if name and name not in kept])


def read_form(form: FormData, faq_id: str | None = None, confidence: str = "", citation: str = "",
              covers: tuple[str, ...] = ()) -> FaqForm:
    """The FAQ an edit form describes. Variants come as `q_<style>` fields (in order) with
    `xoa` = "<style>:<index>" for the ones to remove; `them_cach_hoi` adds one per line (its
    style from its diacritics; one already there, compared without diacritics, is skipped).
    `citation` is kept when the form has no `citation` field at all (an empty one clears it), and
    `covers` when it has no `covers` boxes (`covers_shown`; unticked boxes send nothing)."""
    title = " ".join(_text(form, "title").split())
    if faq_id is None:
        faq_id = _text(form, "id").strip().lower() or slug(title)
    removed = {str(v) for v in form.getlist("xoa")}
    questions: dict[str, list[str]] = {}
    known: set[str] = set()
    for style in QUESTION_STYLES:
        kept = []
        for i, value in enumerate(form.getlist(f"q_{style}")):
            text = " ".join(str(value).split())
            folded = normalize(text).folded
            if text and f"{style}:{i}" not in removed and folded not in known:
                kept.append(text)
                known.add(folded)
        questions[style] = kept
    for text in lines(_text(form, "them_cach_hoi")):
        folded = normalize(text).folded
        if folded and folded not in known:
            questions[style_of(text)].append(text)
            known.add(folded)
    chosen = _text(form, "confidence")
    faq = Faq(
        id=faq_id, department=_text(form, "department").strip(), topic=" ".join(_text(form, "topic").split()),
        title=title, question=" ".join(_text(form, "question").split()),
        confidence=chosen if chosen in CONFIDENCE_NAMES else confidence,
        answer=_answer(_text(form, "answer")), legal_basis=lines(_text(form, "legal_basis")),
        keywords=lines(_text(form, "keywords")), excludes=lines(_text(form, "excludes")),
        questions={s: tuple(q) for s, q in questions.items()},
        citation=" ".join(_text(form, "citation").split()) if form.get("citation") is not None else citation,
        covers=_covers(form, tuple(covers)),
    )
    return FaqForm(faq, form.get("active") == "1")


def blank_faq(**values: Any) -> Faq:
    """An empty FAQ for the new-FAQ form, with whatever is known already."""
    fields: dict[str, Any] = {"id": "", "department": "", "topic": "", "title": "", "question": "", "confidence": "",
                              "answer": "", "legal_basis": (), "keywords": (), "excludes": (), "citation": ""}
    fields.update(values)
    questions = {s: tuple(values.get("questions", {}).get(s, ())) for s in QUESTION_STYLES}
    fields["questions"] = questions
    return Faq(**fields)


def with_questions(faq: Faq, texts: Sequence[str]) -> Faq:
    """`faq` with `texts` added as variants (style from their diacritics, no repeats)."""
    known = {normalize(q).folded for q in faq.training_questions() if q}
    questions = {s: list(faq.questions.get(s, ())) for s in QUESTION_STYLES}
    for text in texts:
        text = " ".join(text.split())
        folded = normalize(text).folded
        if folded and folded not in known:
            questions[style_of(text)].append(text)
            known.add(folded)
    return replace(faq, questions={s: tuple(q) for s, q in questions.items()})


# ---- the answer as the citizen receives it
@dataclass(frozen=True)
class Preview:
    text: str
    length: int
    unknown: tuple[str, ...]  # {placeholders} the unit profile lacks: left as typed
    limit: int = ANSWER_LIMIT

    @property
    def over(self) -> bool:
        return self.length > self.limit


def fill(template: str, unit: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """str.format_map for the answer's {placeholders}, keeping unknown ones visible."""
    unknown: list[str] = []

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        if name in unit:
            return str(unit[name])
        unknown.append(name)
        return token

    return _PLACEHOLDER.sub(one, template), tuple(dict.fromkeys(unknown))


def preview(faq: Faq, unit: Mapping[str, str], department_name: str) -> Preview:
    """The message a citizen receives for `faq`: body, "Căn cứ: …" and the closing line."""
    kb = KnowledgeBase({faq.id: faq}, {faq.department: Department(faq.department, department_name)}, dict(unit))
    body, unknown = fill(faq.answer, unit)
    try:
        text = kb.render_answer(faq.id) if not unknown else ""
    except (KeyError, ValueError, IndexError, AttributeError):
        text = ""
    if not text:  # what the bot cannot render yet: the same pieces, the gaps left visible
        basis = BASIS_LABEL + (faq.citation or derive_citation(faq.legal_basis)).strip().rstrip(".") + "."
        text = assemble_answer(body.strip(), basis, department_name, unit.get("hotline", "{hotline}"))
    return Preview(text, len(text), unknown)


# ---- differences between two saved states (or the editor's input and what is saved)
@dataclass(frozen=True)
class DiffLine:
    kind: str  # add | del | same | gap
    text: str

    @property
    def mark(self) -> str:
        return {"add": "+", "del": "−", "same": " ", "gap": "…"}[self.kind]


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    lines: tuple[DiffLine, ...]

    @property
    def added(self) -> int:
        return sum(1 for line in self.lines if line.kind == "add")

    @property
    def removed(self) -> int:
        return sum(1 for line in self.lines if line.kind == "del")


def _field_lines(data: dict | None, departments: Mapping[str, str]) -> dict[str, list[str]]:
    if data is None:
        return {}
    department = str(data.get("department", ""))
    fields = {
        "title": [data.get("title", "")], "question": [data.get("question", "")],
        "department": [departments.get(department, department)], "topic": [data.get("topic", "")],
        "answer": str(data.get("answer", "")).split("\n"),
        "legal_basis": list(data.get("legal_basis") or ()), "citation": [data.get("citation") or ""], "keywords": list(data.get("keywords") or ()),
        "excludes": list(data.get("excludes") or ()),
        "covers": [_subcase_label(name) for name in data.get("covers") or ()],
        "confidence": [CONFIDENCE_NAMES.get(data.get("confidence", ""), data.get("confidence", ""))],
        "active": ["Đang dùng" if data.get("active", True) else "Ngừng dùng"],
    }
    questions = data.get("questions") or {}
    for style in QUESTION_STYLES:
        fields[f"questions.{style}"] = list(questions.get(style) or ())
    return {name: [str(v) for v in values if str(v) != ""] for name, values in fields.items()}


def _subcase_label(name: str) -> str:
    """ "có yếu tố nước ngoài (foreign)": what the box says, and the name the spreadsheet uses."""
    says = load_subcases().says(name)
    return f"{says} ({name})" if says else name


def diff(old: dict | None, new: dict, departments: Mapping[str, str] | None = None,
         context: int = CONTEXT_LINES) -> list[FieldChange]:
    """The changed fields from snapshot `old` to snapshot `new` (None: everything is new), each
    with its lines added, removed and a little unchanged context ("…" where lines are skipped)."""
    names = departments or {}
    before, after = _field_lines(old, names), _field_lines(new, names)
    changes = []
    for name in FIELD_LABELS:
        a, b = before.get(name, []), after.get(name, [])
        if a == b:
            continue
        out: list[DiffLine] = []
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if tag == "equal":
                same = a[i1:i2]
                if len(same) > 2 * context + 1:
                    head = same[:context] if out else []
                    tail = same[-context:] if i2 < len(a) else []
                    out += [DiffLine("same", t) for t in head]
                    out.append(DiffLine("gap", ""))
                    out += [DiffLine("same", t) for t in tail]
                else:
                    out += [DiffLine("same", t) for t in same]
                continue
            out += [DiffLine("del", t) for t in a[i1:i2]]
            out += [DiffLine("add", t) for t in b[j1:j2]]
        changes.append(FieldChange(name, FIELD_LABELS[name], tuple(out)))
    return changes


def form_snapshot(form: FaqForm) -> dict:
    return snapshot(form.faq, form.active)


def revision_action(before: FaqForm, after: FaqForm) -> str:
    """"retire"/"activate" when only the state changed, else "edit"."""
    if before.faq == after.faq and before.active != after.active:
        return "activate" if after.active else "retire"
    return "edit"


def vn_number(value: int) -> str:
    """1234 -> "1.234" (the Vietnamese thousands separator)."""
    return f"{int(value):,}".replace(",", ".")
