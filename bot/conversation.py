"""One turn of the conversation: the follow-up to "Ý bạn là…?", the decision, and the replies.

Plain Python over an explicit state, so the live bot's action and the tests share it.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from rapidfuzz import fuzz

from bot.decision import (
    ANSWER, CLARIFY, HANDOFF, NOT_UNDERSTOOD, OUT_OF_SCOPE, SMALLTALK, Decision, IntentScore,
)
from bot.faq.knowledge_base import intent_for
from bot.replies import Button, Replies, Reply, load_templates
from bot.text.normalize import normalize
from bot.understanding import GENERAL_QUEUE, Understanding

_CHOICE_NUMBER = re.compile(r"^(?:(?:so|cai|y|chon|phuong an|muc|lua chon)\s+)?(\d)\b")
_TITLE_MATCH = 85


@dataclass(frozen=True)
class DialogueState:
    """What a turn must remember for the next one (kept in Rasa slots)."""

    pending_choices: tuple[str, ...] = ()
    failed_turns: int = 0


@dataclass(frozen=True)
class Turn:
    decision: Decision
    replies: tuple[Reply, ...]
    state: DialogueState


class Conversation:
    def __init__(self, understanding: Understanding, replies: Replies | None = None) -> None:
        self.understanding = understanding
        self.kb = understanding.kb
        self.replies = replies or Replies(load_templates(), self.kb.unit)

    def respond(self, text: str, ranking: Iterable[IntentScore], state: DialogueState) -> Turn:
        chosen = resolve_choice(text, state.pending_choices, {f: self.kb.faqs[f].title for f in state.pending_choices if f in self.kb.faqs})
        if chosen is not None:
            faq = self.kb.faqs[chosen]
            decision = Decision(ANSWER, intent_for(chosen), 1.0, chosen, faq.department, state.pending_choices, "clarify_choice")
            return Turn(decision, (Reply(self.kb.render_answer(chosen)),), DialogueState())

        decision = self.understanding.decide(text, ranking)
        failed = state.failed_turns + 1 if _is_failure(decision) else 0
        if failed >= self.understanding.thresholds.max_failed_turns:
            decision = replace(
                decision, kind=HANDOFF, faq_id=None,
                department=decision.department or GENERAL_QUEUE, reason="repeated_failure",
            )
            failed = 0
        pending = decision.candidates if decision.kind == CLARIFY else ()
        return Turn(decision, self._replies_for(decision), DialogueState(pending, failed))

    def _replies_for(self, decision: Decision) -> tuple[Reply, ...]:
        if decision.kind == ANSWER and decision.faq_id:
            return (Reply(self.kb.render_answer(decision.faq_id)),)
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
        says = self.understanding.subcases.says(why)
        case = self.replies.text("not_covered_case", says=says) if says else self.replies.text("not_covered_case_default")
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
