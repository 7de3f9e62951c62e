"""Load the FAQ knowledge base, the unit profile and the departments, and render answers."""
from __future__ import annotations

import csv
import re
import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot import paths
from bot.text.fold import fold_key

# The ways citizens ask a FAQ's question: the model learns each as that FAQ.
TRAINING_STYLES = ("diacritics", "no_diacritics", "teencode", "long", "english", "short", "formal")
# Questions that touch the FAQ's topic but that its answer does not cover (a foreign element, an
# organisation, a change or re-issue, a fine, a refund...): the model learns them as NOT_COVERED.
NOT_COVERED = "not_covered"
QUESTION_STYLES = (*TRAINING_STYLES, NOT_COVERED)
ANSWER_LIMIT = 2000  # one Zalo consultation message
FIRST_SCREEN_LIMIT = 300  # the answer's opening paragraph: what a citizen reads without scrolling
CITATION_LIMIT = 200  # the "Căn cứ: …" line under an answer
BASIS_LABEL = "Căn cứ: "
# The request that shows a FAQ's legal basis in full (the conversation matches it) and the line
# under the short citation that offers it.
FULL_BASIS_REQUEST = "xem căn cứ"
FULL_BASIS_INVITE = f'Nhắn "{FULL_BASIS_REQUEST}" để xem đầy đủ văn bản.'
# What a citizen types for it, folded (no diacritics, lower case, no punctuation).
_FULL_BASIS_ASKS = ("xem can cu", "can cu", "can cu phap ly", "xem can cu phap ly", "xem can cu day du",
                    "xem day du can cu", "xem day du van ban", "xem van ban")


class KnowledgeBaseError(Exception):
    """A knowledge-base file is missing, unreadable or malformed."""


@dataclass(frozen=True)
class Faq:
    id: str
    department: str
    topic: str
    title: str
    question: str
    confidence: str
    answer: str
    legal_basis: tuple[str, ...]
    keywords: tuple[str, ...]
    excludes: tuple[str, ...]
    questions: dict[str, tuple[str, ...]] = field(hash=False)
    # One short line of citations under the answer ("Luật Hộ tịch 2014 (Đ.13–16); NĐ 123/2015");
    # `legal_basis` keeps the full titles, shown on request. Empty: derived from `legal_basis`.
    citation: str = ""
    # The sub-case classes of data/subcases.yml that the answer speaks to (editors declare them):
    # a question naming one of these is answered, not handed off for it.
    covers: tuple[str, ...] = ()

    @property
    def intent(self) -> str:
        return intent_for(self.id)

    @property
    def near_misses(self) -> tuple[str, ...]:
        """Questions of this topic that the answer does not cover."""
        return self.questions.get(NOT_COVERED, ())

    def training_questions(self) -> list[str]:
        """The catalogue question, then every training question, styles in a fixed order."""
        ordered = [self.question]
        for style in TRAINING_STYLES:
            ordered.extend(self.questions.get(style, ()))
        return ordered


@dataclass(frozen=True)
class Department:
    code: str
    name: str


@dataclass(frozen=True)
class KnowledgeBase:
    faqs: dict[str, Faq]
    departments: dict[str, Department]
    unit: dict[str, str]

    def render_answer(self, faq_id: str) -> str:
        """The answer a citizen reads: body, one line of citations (and how to see them in full),
        and how to reach the department."""
        faq = self.faqs[faq_id]
        body = faq.answer.format_map(self.unit).strip()
        return assemble_answer(body, citation_line(faq), self.department_name(faq.department), self.unit["hotline"])

    def render_legal_basis_full(self, faq_id: str) -> str:
        """The full titles behind an answer's "Căn cứ" line, for a "xem căn cứ" request."""
        faq = self.faqs[faq_id]
        documents = "\n".join(f"{i}. {document}" for i, document in enumerate(faq.legal_basis, start=1))
        return f"Căn cứ pháp lý của hướng dẫn “{faq.title}”:\n{documents}"

    def department_name(self, code: str) -> str:
        department = self.departments.get(code)
        return department.name if department else code


def assemble_answer(body: str, basis_line: str, department_name: str, hotline: str) -> str:
    """The pieces of an answer in the order a citizen reads them (the editor's preview uses it too)."""
    closing = (
        f"Trường hợp của anh/chị có điểm khác, xin nhắn \"gặp cán bộ\" để {department_name} "
        f"hỗ trợ trong giờ làm việc, hoặc gọi {hotline}."
    )
    return f"{body}\n\n{basis_line}\n{FULL_BASIS_INVITE}\n\n{closing}"


def citation_line(faq: Faq) -> str:
    """ "Căn cứ: …." as the answer shows it: the FAQ's short citation, else one derived from the
    full titles."""
    citation = (faq.citation or derive_citation(faq.legal_basis)).strip().rstrip(".")
    return f"{BASIS_LABEL}{citation}."


def asks_for_full_basis(text: str) -> bool:
    """Whether a message is the "xem căn cứ" request the answers offer (after an answer, the
    conversation shows `render_legal_basis_full` of that answer's FAQ)."""
    return fold_key(text) in _FULL_BASIS_ASKS


def first_screen(text: str) -> str:
    """An answer's opening paragraph (up to the first blank line): it must answer on its own."""
    return text.strip().split("\n\n", 1)[0]


# Short forms of Vietnamese legal document names, as citations write them.
_DOCUMENT = re.compile(
    r"(?P<kind>Bộ luật|Luật|Nghị định|Nghị quyết|Thông tư liên tịch|Thông tư|Quyết định|Pháp lệnh)\s+"
    r"(?P<rest>[^;]*)"
)
_KIND_SHORT = {"Nghị định": "NĐ", "Nghị quyết": "NQ", "Thông tư liên tịch": "TTLT", "Thông tư": "TT",
               "Quyết định": "QĐ"}
_NUMBER = re.compile(r"(?:số\s+)?(\d+)/(\d{4})/[A-ZĐ0-9-]+")
_ARTICLES = re.compile(r"Điều\s+(\d+[a-zđ]?(?:\s*(?:,|–|-|và)\s*\d+[a-zđ]?)*)")


def derive_citation(legal_basis: tuple[str, ...] | list[str]) -> str:
    """A short citation line from full titles, for a FAQ without a hand-written one:
    "Luật Hộ tịch số 60/2014/QH13, Điều 16" -> "Luật Hộ tịch 2014 (Đ.16)",
    "Nghị định 123/2015/NĐ-CP quy định …" -> "NĐ 123/2015". A title it cannot read stays whole."""
    return "; ".join(_short_document(item) for item in legal_basis if item.strip())


def _short_document(title: str) -> str:
    title = title.strip()
    match = _DOCUMENT.match(title)
    number = _NUMBER.search(title)
    if not match or not number:
        return title.strip()
    kind = match.group("kind")
    articles = [a.group(1) for a in _ARTICLES.finditer(title[: number.start()] + title[number.end():])]
    where = f" (Đ.{', '.join(' '.join(a.split()) for a in articles)})" if articles else ""
    if kind in ("Luật", "Bộ luật", "Pháp lệnh"):
        name = match.group("rest")[: number.start() - match.start("rest")]
        name = re.sub(r"\s+số\s*$", "", name).strip(" ,")
        return f"{kind} {name} {number.group(2)}{where}" if name else f"{kind} {number.group(1)}/{number.group(2)}{where}"
    return f"{_KIND_SHORT[kind]} {number.group(1)}/{number.group(2)}{where}"


def intent_for(faq_id: str) -> str:
    """The NLU intent name of a FAQ."""
    return f"faq_{faq_id}"


def faq_id_of(intent: str | None) -> str | None:
    """The FAQ id of an NLU intent, or None for other intents."""
    if intent and intent.startswith("faq_"):
        return intent[len("faq_") :]
    return None


def placeholders(template: str) -> set[str]:
    """Names of the {placeholders} a template uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def read_catalogue(path: Path = paths.CATALOGUE) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def load_faq(path: Path) -> Faq:
    """Read one data/faq/<id>.yml file."""
    data = _read_yaml(path)
    try:
        questions = data["questions"] or {}
        return Faq(
            id=str(data["id"]),
            department=str(data["department"]),
            topic=str(data["topic"]),
            title=str(data["title"]),
            question=str(data["question"]),
            confidence=str(data.get("confidence", "")),
            answer=str(data["answer"]),
            legal_basis=tuple(str(x) for x in data.get("legal_basis") or ()),
            keywords=tuple(str(x) for x in data.get("keywords") or ()),
            excludes=tuple(str(x) for x in data.get("excludes") or ()),
            questions={style: tuple(str(q) for q in questions.get(style) or ()) for style in QUESTION_STYLES},
            citation=str(data.get("citation") or "").strip(),
            covers=tuple(str(x) for x in data.get("covers") or ()),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise KnowledgeBaseError(f"{path.name}: missing or malformed field {exc}") from exc


def faq_files(faq_dir: Path = paths.FAQ_DIR) -> list[Path]:
    return sorted(p for p in faq_dir.glob("*.yml") if not p.name.startswith("_"))


@lru_cache(maxsize=2)
def load_knowledge_base(data_dir: Path = paths.DATA) -> KnowledgeBase:
    """Read the FAQs (in catalogue order), departments and unit profile."""
    loaded = {faq.id: faq for faq in (load_faq(p) for p in faq_files(data_dir / "faq"))}
    order = [row["id"] for row in read_catalogue(data_dir / "faq-catalogue.csv")]
    ordered = {fid: loaded[fid] for fid in order if fid in loaded}
    ordered.update({fid: faq for fid, faq in sorted(loaded.items()) if fid not in ordered})
    departments = {
        code: Department(code, str(item["name"]))
        for code, item in _read_yaml(data_dir / "departments.yml")["departments"].items()
    }
    unit = {str(k): str(v) for k, v in _read_yaml(data_dir / "unit.yml")["profile"].items()}
    return KnowledgeBase(faqs=ordered, departments=departments, unit=unit)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeBaseError(f"cannot read {path}: {exc}") from exc
