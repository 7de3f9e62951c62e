"""Load the FAQ knowledge base, the unit profile and the departments, and render answers."""
from __future__ import annotations

import csv
import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot import paths

# The ways citizens ask a FAQ's question: the model learns each as that FAQ.
TRAINING_STYLES = ("diacritics", "no_diacritics", "teencode", "long", "english", "short", "formal")
# Questions that touch the FAQ's topic but that its answer does not cover (a foreign element, an
# organisation, a change or re-issue, a fine, a refund...): the model learns them as NOT_COVERED.
NOT_COVERED = "not_covered"
QUESTION_STYLES = (*TRAINING_STYLES, NOT_COVERED)
ANSWER_LIMIT = 2000  # one Zalo consultation message


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
        """The answer a citizen reads: body, legal basis, and how to reach the department."""
        faq = self.faqs[faq_id]
        body = faq.answer.format_map(self.unit).strip()
        basis = "Căn cứ: " + "; ".join(faq.legal_basis) + "."
        closing = (
            f"Trường hợp của anh/chị có điểm khác, xin nhắn \"gặp cán bộ\" để {self.department_name(faq.department)} "
            f"hỗ trợ trong giờ làm việc, hoặc gọi {self.unit['hotline']}."
        )
        return f"{body}\n\n{basis}\n\n{closing}"

    def department_name(self, code: str) -> str:
        department = self.departments.get(code)
        return department.name if department else code


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
