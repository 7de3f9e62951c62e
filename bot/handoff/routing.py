"""Which department's queue a handed-off question goes to, and why, in the words officers use.

The reason is read in the inbox by officers: it says why the bot did not answer and what the
question is about (a FAQ's title, a topic the citizen named), never the bot's internal terms
("từ khóa", intent names, slang keywords such as "gặp cb").
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.decision import Decision
from bot.text.normalize import normalize
from bot.understanding import Understanding

WHY_HANDED_OFF = {
    "request_human": "Công dân yêu cầu gặp cán bộ",
    "personal_case": "Trường hợp, hồ sơ cá nhân của công dân",
    "personal_case_pattern": "Có mã hồ sơ, số biên nhận hoặc việc trễ hẹn của cá nhân",
    "other_procedure": "Thủ tục chưa có trong bộ câu hỏi thường gặp",
    "not_covered": "Câu trả lời có sẵn chưa bao gồm trường hợp công dân hỏi",
    "low_confidence": "Trợ lý không chắc câu trả lời",
    "unknown_intent": "Trợ lý không nhận ra chủ đề",
    "no_prediction": "Trợ lý không nhận ra chủ đề",
    "repeated_failure": "Hai lượt liền trợ lý không hiểu công dân",
}

# Words about the channel or about reaching a person (the channel guide FAQ's keywords): they say
# how the citizen wants to talk, not what about, so they name no department ("cho gặp cb").
NOT_A_TOPIC = frozenset(normalize(w).folded for w in (
    "gặp cán bộ", "gặp cb", "người thật", "bot", "trợ lý ảo", "kênh zalo", "zalo này", "zalo ni",
    "trang zalo", "qua zalo", "zalo oa", "kênh này", "cán bộ", "cb",
))


@dataclass(frozen=True)
class Route:
    department: str
    reason: str
    has_topic: bool = True  # False: nothing in the message named what it is about


def topic_departments(text: str, understanding: Understanding) -> dict[str, str]:
    """Department -> the topic words of it the text has, channel and "gặp cán bộ" words left out."""
    return {d: w for d, w in understanding.departments_by_keyword(text).items()
            if normalize(w).folded not in NOT_A_TOPIC}


def route(decision: Decision, text: str, understanding: Understanding, general_queue: str | None = None,
          names: Mapping[str, str] | None = None) -> Route:
    """The FAQ the model leans on, else the one department whose topic the text names, else the
    general queue, whose officers triage.

    `general_queue` and `names`: the departments table's (the truth); without them, the seed
    file's as the knowledge base knows them (the offline fallback, e.g. in evaluations)."""
    kb = understanding.kb

    def name(code: str) -> str:
        return names[code] if names and code in names else kb.department_name(code)

    why = WHY_HANDED_OFF.get(decision.reason.split(":")[0], "Trợ lý chuyển cho cán bộ")
    if decision.reason.startswith("other_procedure:"):
        why += f" (“{decision.reason.split(':', 1)[1]}”)"
    elif decision.reason.startswith("not_covered:"):
        case = understanding.subcases.says(decision.reason.rsplit(":", 1)[1])
        if case:
            why += f" ({case})"
    general = general_queue or understanding.general_queue
    # The decision names the seed's general queue when it has no topic: that is no topic either.
    no_topic = {general, understanding.general_queue}
    if decision.department and decision.department not in no_topic and decision.candidates:
        faq = kb.faqs.get(decision.candidates[0])
        title = f" “{faq.title}”" if faq else ""
        return Route(decision.department, f"{why}. Gần với câu hỏi thường gặp{title} ({decision.confidence:.0%}).")
    matches = topic_departments(text, understanding)
    ranked = sorted(matches.items(), key=lambda item: -len(item[1].split()))
    # One department's words, or one whose words are clearly more specific ("đường hỏng" over "muộn").
    if len(ranked) == 1 or (ranked and len(ranked[0][1].split()) > len(ranked[1][1].split())):
        department, words = ranked[0]
        topic = _topic_of(understanding, words)
        about = f"Câu hỏi nói về {topic}" if topic else "Câu hỏi nói về một việc"
        return Route(department, f"{why}. {about}, việc của {name(department)}.")
    if matches:
        several = ", ".join(name(d) for d in sorted(matches))
        return Route(general, f"{why}. Câu hỏi liên quan nhiều bộ phận ({several}): {name(general)} phân loại.")
    return Route(general, f"{why}. Chưa rõ nội dung: {name(general)} phân loại.", has_topic=False)


def _topic_of(understanding: Understanding, words: str) -> str | None:
    """The FAQ topic ("Căn cước", "Đất đai") whose keywords include these words."""
    folded = normalize(words).folded
    for faq in understanding.kb.faqs.values():
        if any(normalize(k).folded == folded for k in faq.keywords):
            return faq.topic.lower() if faq.topic else None
    return None
