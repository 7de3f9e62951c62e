"""One turn of the conversation: the follow-up to "Ý bạn là…?", "gặp cán bộ" without a subject,
"xem căn cứ", the decision, and the replies.

Plain Python over an explicit state, so the live bot's action and the tests share it. What needs
the database (tickets, the answer feedback, the rating of a resolved request) is the core's
(bot/core/citizen_messages.py).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from rapidfuzz import fuzz

from bot.acknowledgement import ACKNOWLEDGE, NEVER_MIND, THANKS
from bot.decision import (
    ANSWER, CLARIFY, HANDOFF, NOT_UNDERSTOOD, OUT_OF_SCOPE, SMALLTALK, Decision, IntentScore,
)
from bot.faq.knowledge_base import asks_for_full_basis, intent_for
from bot.handoff.routing import topic_departments
from bot.replies import Button, Replies, Reply, load_templates
from bot.text.normalize import normalize
from bot.understanding import GENERAL_QUEUE, Understanding

_CHOICE_NUMBER = re.compile(r"^(?:(?:so|cai|y|chon|phuong an|muc|lua chon)\s+)?(\d)\b")
_TITLE_MATCH = 85
# Every channel caps a message at 2,000 characters: the "có giúp không?" line only fits under it.
MESSAGE_LIMIT = 2000
REQUEST_HUMAN = "request_human"
FULL_BASIS = "full_basis"  # the decision's intent for "xem căn cứ" (a smalltalk-like turn)
# A citizen asked again for a person instead of saying what about: "gặp cán bộ", "cứ chuyển đi".
_INSIST = re.compile(
    r"^(?:(?:da|vang|u|ok|thi|cu|toi|em|minh|chi|anh|ban|ad)\s+)*(?:"
    r"(?:cho\s+)?(?:toi\s+|em\s+|minh\s+)?(?:muon\s+)?gap\s+(?:can\s+bo|cb|nguoi(?:\s+that)?|truc\s+tiep)"
    r"|(?:cu\s+)?chuyen(?:\s+(?:di|luon|ngay|giup|can\s+bo|cho\s+can\s+bo))*"
    r"|noi\s+chuyen\s+(?:voi\s+)?(?:can\s+bo|nguoi(?:\s+that)?)"
    r")(?:\s+(?:di|a|nhe|nha|luon|ngay|giup|voi|toi|em|minh))*$"
)
# The ticket's question when the citizen never said what it is about (officers read it).
NO_SUBJECT_QUESTION = "(Công dân muốn gặp cán bộ nhưng chưa nói việc cần hỏi)"


@dataclass(frozen=True)
class DialogueState:
    """What a turn must remember for the next one (kept in Rasa slots)."""

    pending_choices: tuple[str, ...] = ()
    failed_turns: int = 0
    awaiting_subject: bool = False  # "gặp cán bộ" with no subject: we asked what it is about
    last_faq: str | None = None  # the last FAQ answered, for "xem căn cứ"
    feedback_decision: int | None = None  # the answer (decision_log id) that asked "có giúp không?"


@dataclass(frozen=True)
class Turn:
    decision: Decision
    replies: tuple[Reply, ...]
    state: DialogueState
    question: str | None = None  # a hand-off's question for the ticket, when not the message itself
    asks_feedback: bool = False  # the answer carries "Câu trả lời có giúp được anh/chị không?"


class Conversation:
    def __init__(self, understanding: Understanding, replies: Replies | None = None) -> None:
        self.understanding = understanding
        self.kb = understanding.kb
        self.replies = replies or Replies(load_templates(), self.kb.unit)

    def respond(self, text: str, ranking: Iterable[IntentScore], state: DialogueState) -> Turn:
        ranking = tuple(ranking)
        chosen = resolve_choice(text, state.pending_choices, {f: self.kb.faqs[f].title for f in state.pending_choices if f in self.kb.faqs})
        if chosen is not None:
            faq = self.kb.faqs[chosen]
            decision = Decision(ANSWER, intent_for(chosen), 1.0, chosen, faq.department, state.pending_choices, "clarify_choice")
            return self._answer(decision, DialogueState())
        if state.awaiting_subject:
            return self._subject(text, ranking, state)
        if asks_for_full_basis(text):
            return self._full_basis(state)

        decision = self.understanding.decide(text, ranking)
        if decision.kind == HANDOFF and decision.reason == REQUEST_HUMAN and not self._names_subject(decision, text):
            # Ask once what it is about, so the right department gets it (issue 20).
            asked = Decision(CLARIFY, REQUEST_HUMAN, decision.confidence, department=GENERAL_QUEUE, reason="ask_subject")
            return Turn(asked, (Reply(self.replies.text("ask_subject")),), DialogueState(awaiting_subject=True,
                                                                                      last_faq=state.last_faq))
        failed = state.failed_turns + 1 if _is_failure(decision) else 0
        if failed >= self.understanding.thresholds.max_failed_turns:
            decision = replace(
                decision, kind=HANDOFF, faq_id=None,
                department=decision.department or GENERAL_QUEUE, reason="repeated_failure",
            )
            failed = 0
        pending = decision.candidates if decision.kind == CLARIFY else ()
        if decision.kind == SMALLTALK and decision.intent == ACKNOWLEDGE:
            pending = state.pending_choices  # "dạ", "ok" after "Ý bạn là…?": the options still stand
        if decision.kind == ANSWER and decision.faq_id:
            return self._answer(decision, DialogueState(failed_turns=failed))
        kept = DialogueState(pending, failed, last_faq=state.last_faq)
        return Turn(decision, self._replies_for(decision), kept)

    def answer_reply(self, faq_id: str) -> Reply:
        """A FAQ's answer with "Câu trả lời có giúp được anh/chị không?" (buttons Có / Không and
        the words in the text) when both fit in one message."""
        answer = self.kb.render_answer(faq_id)
        asked = f"{answer}\n\n{self.replies.text('answer_feedback_question')}"
        if len(asked) > MESSAGE_LIMIT:
            return Reply(answer)
        return Reply(asked, (Button("Có", "Có"), Button("Không", "Không")))

    def _answer(self, decision: Decision, state: DialogueState) -> Turn:
        reply = self.answer_reply(decision.faq_id)
        return Turn(decision, (reply,), replace(state, last_faq=decision.faq_id), asks_feedback=bool(reply.buttons))

    def _full_basis(self, state: DialogueState) -> Turn:
        """"xem căn cứ": the full titles behind the last answer's "Căn cứ" line."""
        faq_id = state.last_faq if state.last_faq in self.kb.faqs else None
        decision = Decision(SMALLTALK, FULL_BASIS, 1.0, candidates=(faq_id,) if faq_id else (), reason=FULL_BASIS)
        text = self.kb.render_legal_basis_full(faq_id) if faq_id else self.replies.text("full_basis_which")
        return Turn(decision, (Reply(text),), replace(state, pending_choices=(), failed_turns=0))

    def _names_subject(self, decision: Decision, text: str) -> bool:
        """Whether a request for an officer says what it is about ("… hỏi về sổ đỏ")."""
        leans_on_faq = bool(decision.candidates) and decision.department not in (None, GENERAL_QUEUE)
        return leans_on_faq or bool(topic_departments(text, self.understanding))

    def _subject(self, text: str, ranking: tuple[IntentScore, ...], state: DialogueState) -> Turn:
        """The answer to "Anh/chị cần hỏi về việc gì…?": a hand-off routed by what it says; the
        general queue at once when the citizen insists or says nothing useful; "thôi": no ticket."""
        content = self.understanding.decide(text, ranking)
        after = DialogueState(last_faq=state.last_faq)
        if content.kind == SMALLTALK and content.intent == NEVER_MIND:
            return Turn(content, self._replies_for(content), after)
        insisted = _INSIST.match(normalize(text).folded.strip(" .!?,")) is not None
        says_nothing = content.intent in (NOT_UNDERSTOOD, REQUEST_HUMAN, ACKNOWLEDGE, THANKS) or content.kind == SMALLTALK
        if insisted or says_nothing:
            decision = Decision(HANDOFF, REQUEST_HUMAN, content.confidence, department=GENERAL_QUEUE, reason=REQUEST_HUMAN)
            return Turn(decision, (self.handoff_reply(decision),), after, question=NO_SUBJECT_QUESTION)
        if content.kind == HANDOFF:
            decision = content  # its own reason (a personal case, a case the answer does not cover) routes it
        else:
            faq_department = content.department if content.candidates or content.faq_id else None
            candidates = content.candidates or ((content.faq_id,) if content.faq_id else ())
            decision = Decision(HANDOFF, REQUEST_HUMAN, content.confidence, None,
                                faq_department or GENERAL_QUEUE, candidates, REQUEST_HUMAN)
        return Turn(decision, (self.handoff_reply(decision),), after)

    def _replies_for(self, decision: Decision) -> tuple[Reply, ...]:
        if decision.kind == ANSWER and decision.faq_id:
            return (self.answer_reply(decision.faq_id),)
        if decision.kind == CLARIFY:
            return (self._clarify(decision.candidates),)
        if decision.kind == SMALLTALK:
            return (Reply(self.replies.text(decision.intent or "greet")),)
        if decision.kind == OUT_OF_SCOPE:
            key = "not_understood" if decision.intent == NOT_UNDERSTOOD else "out_of_scope"
            return (Reply(self.replies.text(key)),)
        return (self.handoff_reply(decision),)

    def handoff_reply(self, decision: Decision, department_name: str | None = None, when: str | None = None) -> Reply:
        """Who will answer and when: the ticket's department and due time once it is open."""
        department = department_name or self.kb.department_name(decision.department or GENERAL_QUEUE)
        when = when or self.replies.text("handoff_when_default")
        not_covered = self._not_covered(decision.reason)
        if not_covered is not None:
            title, case = not_covered
            return Reply(self.replies.text("handoff_not_covered", title=title, case=case, department=department, when=when))
        key = {"request_human": "handoff_requested", "repeated_failure": "handoff_repeated"}.get(decision.reason, "handoff")
        return Reply(self.replies.text(key, department=department, when=when))

    def _not_covered(self, reason: str) -> tuple[str, str] | None:
        """(the FAQ's title, the case named to the citizen) of a not_covered hand-off."""
        kind, _, rest = reason.partition(":")
        faq_id, _, why = rest.partition(":")
        if kind != "not_covered" or faq_id not in self.kb.faqs:
            return None
        subcases = self.understanding.subcases
        says = subcases.says(why)
        if says:
            case = self.replies.text("not_covered_detail" if subcases.is_ask(why) else "not_covered_case", says=says)
        else:
            case = self.replies.text("not_covered_case_default")
        return self.kb.faqs[faq_id].title, case

    def _clarify(self, options: tuple[str, ...]) -> Reply:
        titles = [self.kb.faqs[f].title for f in options]
        lines = [self.replies.text("clarify")]
        lines += [f"{i}. {title}" for i, title in enumerate(titles, start=1)]
        lines.append(self.replies.text("clarify_hint"))
        buttons = tuple(Button(title, str(i)) for i, title in enumerate(titles, start=1))
        return Reply("\n".join(lines), buttons)


def chosen_number(text: str) -> int | None:
    """The option number a reply names ("2", "số 2", "chọn 2"), 1-based; None when it names none."""
    number = _CHOICE_NUMBER.match(normalize(text).folded)
    return int(number.group(1)) if number else None


def resolve_choice(text: str, options: tuple[str, ...], titles: dict[str, str]) -> str | None:
    """Which offered option a reply picks: its number ("2", "số 2") or its words; else None."""
    if not options:
        return None
    number = chosen_number(text)
    if number is not None:
        return options[number - 1] if 0 < number <= len(options) else None
    folded = normalize(text).folded
    scored = [
        (fuzz.token_set_ratio(folded, normalize(titles[o]).folded), o) for o in options if o in titles
    ]
    if scored:
        score, best = max(scored)
        if score >= _TITLE_MATCH and sum(s >= _TITLE_MATCH for s, _ in scored) == 1:
            return best
    return None


def _is_failure(decision: Decision) -> bool:
    """A turn in which the bot did not understand the citizen (repeated, it hands off)."""
    return decision.intent == NOT_UNDERSTOOD or decision.kind == CLARIFY
