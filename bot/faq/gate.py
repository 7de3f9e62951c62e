"""The publish gate: a candidate model against the live one on the same held-back questions.

data/gate/questions.yml holds labelled citizen questions that are never trained on. Each model
is scored with its own knowledge base through the same decision code as the live bot; only the
FAQs active in both knowledge bases count, so retiring a FAQ is not held against the candidate.
The candidate is refused when it answers fewer questions correctly or any more wrongly.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from bot import paths
from bot.decision import ANSWER, HANDOFF, OUT_OF_SCOPE, SMALLTALK, Decision
from bot.faq.knowledge_base import load_knowledge_base
from bot.model import lower_priority

GATE_FILE = paths.DATA / "gate" / "questions.yml"
# Another question file for the whole stack (the browser journey: a test of the pages, not of
# how far one training draw lands from another).
QUESTIONS_ENV = "BOT_GATE_QUESTIONS"
NON_FAQ = {SMALLTALK, HANDOFF, OUT_OF_SCOPE}


@dataclass(frozen=True)
class GateQuestion:
    text: str
    expect: str  # a FAQ id, or smalltalk / handoff / out_of_scope


@dataclass
class GateScore:
    correct: int = 0
    wrong: int = 0  # answered with another FAQ, or answered what should not be answered
    total: int = 0
    wrong_examples: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    reason: str  # Vietnamese, shown on the publish page
    live: GateScore
    candidate: GateScore

    def as_dict(self) -> dict:
        return {"accepted": self.accepted, "reason": self.reason, "live": asdict(self.live), "candidate": asdict(self.candidate)}


def load_questions(path: Path | None = None) -> list[GateQuestion]:
    path = path or Path(os.environ.get(QUESTIONS_ENV) or GATE_FILE)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [GateQuestion(str(q["text"]), str(q["expect"])) for q in data["questions"]]


def counted(questions: list[GateQuestion], *faq_sets: set[str]) -> list[GateQuestion]:
    """The questions both knowledge bases can be judged on."""
    common = set.intersection(*faq_sets) if faq_sets else set()
    return [q for q in questions if q.expect in NON_FAQ or q.expect in common]


def decide_all(model: Path, data_dir: Path, questions: list[GateQuestion]) -> list[Decision]:
    """Each question decided as the live bot would with `model` and the knowledge base under
    `data_dir`. Loads a whole Rasa model: run it in its own process."""
    from bot.nlu_model import NluModel
    from bot.understanding import Understanding
    from bot.decision import load_thresholds

    understanding = Understanding(load_knowledge_base(data_dir), load_thresholds())
    nlu = NluModel(model)
    try:
        return [understanding.decide(q.text, nlu.rank(q.text)) for q in questions]
    finally:
        nlu.close()


def score(model: Path, data_dir: Path, questions: list[GateQuestion]) -> GateScore:
    """Run in its own process (`python -m bot gate`)."""
    result = GateScore()
    for question, decision in zip(questions, decide_all(model, data_dir, questions)):
        result.total += 1
        ok, bad = outcome(question, decision.kind, decision.faq_id)
        result.correct += ok
        if bad:
            result.wrong += 1
            result.wrong_examples.append({"text": question.text, "expect": question.expect, "got": decision.faq_id})
    return result


def outcome(question: GateQuestion, kind: str, faq_id: str | None) -> tuple[bool, bool]:
    """(right, answered wrongly) for one decision: a FAQ question must get its FAQ's answer; a
    hand-off question anything but an answer; smalltalk and out-of-scope their own reply."""
    if question.expect in NON_FAQ:
        return kind == question.expect or (question.expect == HANDOFF and kind != ANSWER), kind == ANSWER
    return kind == ANSWER and faq_id == question.expect, kind == ANSWER and faq_id != question.expect


def score_in_subprocess(model: Path, data_dir: Path, faq_ids: set[str]) -> GateScore:
    command = [sys.executable, "-m", "bot", "gate", str(model), str(data_dir), "--faqs", ",".join(sorted(faq_ids))]
    # Niced like the training: citizens' turns come first.
    result = subprocess.run(command, cwd=paths.ROOT, capture_output=True, text=True, preexec_fn=lower_priority)
    if result.returncode != 0:
        raise RuntimeError(f"the gate could not score {model.name}: {result.stderr[-2000:]}")
    return GateScore(**json.loads(result.stdout.strip().splitlines()[-1]))


def judge(live: GateScore, candidate: GateScore) -> Verdict:
    if candidate.wrong > live.wrong:
        return Verdict(False, f"Mô hình mới trả lời sai {candidate.wrong} câu, nhiều hơn mô hình đang chạy ({live.wrong}).", live, candidate)
    if candidate.correct < live.correct:
        return Verdict(False, f"Mô hình mới trả lời đúng {candidate.correct}/{candidate.total} câu, ít hơn mô hình đang chạy ({live.correct}/{live.total}).", live, candidate)
    return Verdict(True, f"Đạt: đúng {candidate.correct}/{candidate.total} (đang chạy: {live.correct}), sai {candidate.wrong} (đang chạy: {live.wrong}).", live, candidate)
