"""The publish gate: a candidate model against the live one on the same held-back questions and
on their cross-validations.

data/gate/questions.yml holds labelled citizen questions that are never trained on. Each model
is scored with its own knowledge base through the same decision code as the live bot; only the
FAQs active in both knowledge bases count, so retiring a FAQ is not held against the candidate.
The candidate is refused when it answers fewer of them correctly or any more wrongly.

Each model also carries its cross-validation (bot.cross_validation): every training question
decided by a model that did not see it. The training questions both models have are compared
too, with a slack of CV_SLACK questions: an edit that teaches one FAQ a new wording moves a
question or two of its neighbours' thousands either way, and those questions stay answered by
the model trained on all of them (docs/nlu.md has the measurements).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from bot import cross_validation, paths
from bot.decision import ANSWER, HANDOFF, OUT_OF_SCOPE, SMALLTALK, Decision, load_thresholds
from bot.faq.knowledge_base import load_knowledge_base
from bot.model import training_child
from bot.understanding import Understanding

GATE_FILE = paths.DATA / "gate" / "questions.yml"
# A unit's own held-back questions, instead of the starter's.
QUESTIONS_ENV = "BOT_GATE_QUESTIONS"
NON_FAQ = {SMALLTALK, HANDOFF, OUT_OF_SCOPE}
CV_SLACK = 3
SHOWN = 10  # cross-validation questions listed on the page, each way


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
    # the cross-validation, question by question: HeldOut.key -> [right, answered wrongly, FAQ answered]
    held_out: dict[str, list] = field(default_factory=dict)

    def summary(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "held_out"}


@dataclass(frozen=True)
class CrossValidation:
    """Both models' cross-validations on the training questions they share."""

    total: int
    live_correct: int
    live_wrong: int
    candidate_correct: int
    candidate_wrong: int
    newly_wrong: list[dict] = field(default_factory=list)  # answered wrongly now, not before
    lost: list[dict] = field(default_factory=list)  # answered right before, not now


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    reason: str  # Vietnamese, shown on the publish page
    live: GateScore
    candidate: GateScore
    cross_validation: CrossValidation | None = None

    def as_dict(self) -> dict:
        return {"accepted": self.accepted, "reason": self.reason, "live": self.live.summary(),
                "candidate": self.candidate.summary(),
                "cross_validation": asdict(self.cross_validation) if self.cross_validation else None}


def load_questions(path: Path | None = None) -> list[GateQuestion]:
    path = path or Path(os.environ.get(QUESTIONS_ENV) or GATE_FILE)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [GateQuestion(str(q["text"]), str(q["expect"])) for q in data["questions"]]


def counted(questions: list[GateQuestion], *faq_sets: set[str]) -> list[GateQuestion]:
    """The questions both knowledge bases can be judged on."""
    common = set.intersection(*faq_sets) if faq_sets else set()
    return [q for q in questions if q.expect in NON_FAQ or q.expect in common]


def understanding_of(data_dir: Path) -> Understanding:
    """The live bot's decision over the knowledge base under `data_dir`."""
    return Understanding(load_knowledge_base(data_dir), load_thresholds())


def decide_all(model: Path, understanding: Understanding, questions: list[GateQuestion]) -> list[Decision]:
    """Each question decided as the live bot would with `model`. Loads a whole Rasa model: run
    it in its own process."""
    from bot.nlu_model import NluModel

    nlu = NluModel(model)
    try:
        return [understanding.decide(q.text, nlu.rank(q.text)) for q in questions]
    finally:
        nlu.close()


def score(model: Path, data_dir: Path, questions: list[GateQuestion], faq_ids: set[str]) -> GateScore:
    """Run in its own process (`python -m bot gate`)."""
    understanding = understanding_of(data_dir)
    result = GateScore(held_out=held_out_outcomes(model, understanding, faq_ids))
    for question, decision in zip(questions, decide_all(model, understanding, questions)):
        result.total += 1
        ok, bad = outcome(question, decision.kind, decision.faq_id)
        result.correct += ok
        if bad:
            result.wrong += 1
            result.wrong_examples.append({"text": question.text, "expect": question.expect, "got": decision.faq_id})
    return result


def held_out_outcomes(model: Path, understanding: Understanding, faq_ids: set[str]) -> dict[str, list]:
    """The model's cross-validation decided question by question ({} when it has none)."""
    held_out = cross_validation.read(model) or []
    outcomes = {}
    for h in held_out:
        question = GateQuestion(h.text, cross_validation.expectation(h.intent))
        if counted([question], faq_ids):
            decision = cross_validation.decide_held_out(h, understanding)
            outcomes[h.key] = [*outcome(question, decision.kind, decision.faq_id), decision.faq_id]
    return outcomes


def compare_held_out(live: GateScore, candidate: GateScore) -> CrossValidation | None:
    common = sorted(live.held_out.keys() & candidate.held_out.keys())
    if not common:
        return None
    before, after = [live.held_out[k] for k in common], [candidate.held_out[k] for k in common]

    def shown(changed) -> list[dict]:
        return [{"text": k.split("\t", 1)[1], "expect": cross_validation.expectation(k.split("\t", 1)[0]), "got": a[2]}
                for k, b, a in zip(common, before, after) if changed(b, a)][:SHOWN]

    return CrossValidation(
        len(common), sum(b[0] for b in before), sum(b[1] for b in before), sum(a[0] for a in after),
        sum(a[1] for a in after), shown(lambda b, a: a[1] and not b[1]), shown(lambda b, a: b[0] and not a[0]),
    )


def outcome(question: GateQuestion, kind: str, faq_id: str | None) -> tuple[bool, bool]:
    """(right, answered wrongly) for one decision: a FAQ question must get its FAQ's answer; a
    hand-off question anything but an answer; smalltalk and out-of-scope their own reply."""
    if question.expect in NON_FAQ:
        return kind == question.expect or (question.expect == HANDOFF and kind != ANSWER), kind == ANSWER
    return kind == ANSWER and faq_id == question.expect, kind == ANSWER and faq_id != question.expect


def score_in_subprocess(model: Path, data_dir: Path, faq_ids: set[str]) -> GateScore:
    # The score comes back in a file, not on stdout: a 250 KB line read from the pipe once came
    # back cut at an 8 KB buffer boundary with the process's exit status 0 (a publisher-takeover
    # test, 2026-12-06); a file is written and closed before the process ends.
    with tempfile.TemporaryDirectory(prefix="gate-") as tmp:
        out = Path(tmp) / "score.json"
        command = [sys.executable, "-m", "bot", "gate", str(model), str(data_dir), "--faqs", ",".join(sorted(faq_ids)),
                   "--out", str(out)]
        # Niced like the training: citizens' turns come first.
        result = subprocess.run(command, cwd=paths.ROOT, capture_output=True, text=True,
                                preexec_fn=training_child(os.getpid()))
        if result.returncode != 0 or not out.exists():
            raise RuntimeError(f"the gate could not score {model.name} (exit {result.returncode}): {result.stderr[-2000:]}")
        return GateScore(**json.loads(out.read_text(encoding="utf-8")))


def judge(live: GateScore, candidate: GateScore) -> Verdict:
    cv = compare_held_out(live, candidate)

    def verdict(accepted: bool, reason: str) -> Verdict:
        return Verdict(accepted, reason, live, candidate, cv)

    if candidate.wrong > live.wrong:
        return verdict(False, f"Mô hình mới trả lời sai {candidate.wrong} câu, nhiều hơn mô hình đang chạy ({live.wrong}).")
    if candidate.correct < live.correct:
        return verdict(False, f"Mô hình mới trả lời đúng {candidate.correct}/{candidate.total} câu, ít hơn mô hình đang chạy ({live.correct}/{live.total}).")
    if cv and cv.candidate_wrong > cv.live_wrong + CV_SLACK:
        return verdict(False, f"Kiểm định chéo: mô hình mới trả lời sai {cv.candidate_wrong}/{cv.total} câu, "
                              f"nhiều hơn mô hình đang chạy ({cv.live_wrong}) quá {CV_SLACK} câu.")
    if cv and cv.candidate_correct < cv.live_correct - CV_SLACK:
        return verdict(False, f"Kiểm định chéo: mô hình mới trả lời đúng {cv.candidate_correct}/{cv.total} câu, "
                              f"ít hơn mô hình đang chạy ({cv.live_correct}) quá {CV_SLACK} câu.")
    reason = f"Đạt: đúng {candidate.correct}/{candidate.total} (đang chạy: {live.correct}), sai {candidate.wrong} (đang chạy: {live.wrong})."
    if cv:
        reason += (f" Kiểm định chéo: đúng {cv.candidate_correct}/{cv.total} (đang chạy: {cv.live_correct}), "
                   f"sai {cv.candidate_wrong} (đang chạy: {cv.live_wrong}).")
    return verdict(True, reason)
