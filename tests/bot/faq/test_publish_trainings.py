"""Publisher.build without Rasa: one training per release, the gate's verdict final, a release
whose model is the live one not trained at all, a gate that cannot score ends the release."""
from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from bot import paths
from bot.faq import gate, publish
from bot.faq.gate import GateScore
from bot.model import fingerprint

LIVE = GateScore(correct=10, wrong=0, total=12)


@pytest.fixture
def world(tmp_path, monkeypatch, fresh_sqlite_url):
    """A publisher on a fresh database; trainings write empty model files and are counted; the
    gate scores every candidate `scores["candidate"]`."""
    url = fresh_sqlite_url
    publisher = publish.Publisher(create_engine(url, future=True), "http://rasa.invalid",
                                  releases_dir=tmp_path / "releases", models_dir=tmp_path / "models")
    live_model = tmp_path / "live.tar.gz"
    live_model.write_bytes(b"")
    monkeypatch.setattr(publisher, "live", lambda: publish.LiveModel(live_model, paths.ROOT, None))
    trainings: list[Path] = []
    scores: dict[str, GateScore] = {}

    def ensure_model(models: Path, root: Path, progress=None) -> Path:
        if fingerprint(root) == fingerprint(paths.ROOT):
            return live_model
        trainings.append(root)
        models.mkdir(parents=True, exist_ok=True)
        model = models / f"{fingerprint(root)}.tar.gz"
        model.write_bytes(b"")
        return model

    def score(model: Path, data_dir: Path, faq_ids: set[str]) -> GateScore:
        return LIVE if model == live_model else scores["candidate"]

    async def roll_out(release_id: int, model: Path) -> dict[str, float]:
        return {"http://rasa.invalid": 0.0}

    monkeypatch.setattr(publish, "ensure_model", ensure_model)
    monkeypatch.setattr(gate, "score_in_subprocess", score)
    monkeypatch.setattr(publisher, "_roll_out", roll_out)
    return publisher, trainings, scores


def _publish(publisher) -> publish.Release:
    return asyncio.run(publisher.build(publisher.request("bien-tap").release_id))


def test_a_better_model_is_trained_once_and_goes_live(world):
    publisher, trainings, scores = world
    scores["candidate"] = GateScore(11, 0, 12)
    publisher.store.add_variants("gio_lam_viec", ["mấy giờ ủy ban xã tan tầm"], "bien-tap")

    release = _publish(publisher)

    assert len(trainings) == 1
    assert release.status == publish.LIVE and release.live
    assert release.report["candidate"]["correct"] == 11
    assert release.fingerprint == fingerprint(Path(release.data_dir))


def test_a_refusal_is_final_after_one_training_and_says_why(world):
    publisher, trainings, scores = world
    scores["candidate"] = GateScore(10, 1, 12, [{"text": "x", "expect": "a", "got": "b"}])
    publisher.store.add_variants("gio_lam_viec", ["mấy giờ ủy ban xã tan tầm"], "bien-tap")

    release = _publish(publisher)

    assert len(trainings) == 1
    assert release.status == publish.REFUSED and not release.live
    assert release.progress == "Mô hình mới trả lời sai 1 câu, nhiều hơn mô hình đang chạy (0)."


def test_the_live_model_is_not_trained_again_when_only_answers_changed(world, monkeypatch):
    publisher, trainings, scores = world
    record = publisher.store.get("gio_lam_viec")
    publisher.store.save(replace(record.faq, answer="Bộ phận Một cửa làm việc giờ hành chính."), record.version, "bien-tap")
    monkeypatch.setattr(gate, "judge", lambda live, candidate: gate.Verdict(False, "kém hơn", live, candidate))

    release = _publish(publisher)

    assert trainings == [] and release.status == publish.REFUSED


def test_the_gate_reads_another_question_file_when_the_environment_names_one(tmp_path, monkeypatch):
    monkeypatch.delenv(gate.QUESTIONS_ENV, raising=False)
    assert len(gate.load_questions()) == len(gate.load_questions(gate.GATE_FILE)) > 100
    other = tmp_path / "questions.yml"
    other.write_text('questions:\n  - text: "xin chào"\n    expect: smalltalk\n', encoding="utf-8")
    monkeypatch.setenv(gate.QUESTIONS_ENV, str(other))
    assert gate.load_questions() == [gate.GateQuestion("xin chào", "smalltalk")]


def test_a_question_file_that_is_not_there_fails_the_scoring_and_says_which(tmp_path, monkeypatch):
    missing = tmp_path / "missing.yml"
    monkeypatch.setenv(gate.QUESTIONS_ENV, str(missing))
    with pytest.raises(RuntimeError, match="missing.yml"):
        gate.score_in_subprocess(tmp_path / "model.tar.gz", paths.DATA, {"gio_lam_viec"})


def test_a_gate_that_cannot_score_fails_the_release_and_the_live_model_stays(world, monkeypatch):
    publisher, trainings, scores = world
    publisher.store.add_variants("gio_lam_viec", ["mấy giờ ủy ban xã tan tầm"], "bien-tap")

    def broken(model: Path, data_dir: Path, faq_ids: set[str]) -> GateScore:
        raise RuntimeError("the gate could not score it: FileNotFoundError")

    monkeypatch.setattr(gate, "score_in_subprocess", broken)
    release = _publish(publisher)

    assert release.status == publish.FAILED and not release.live and release.finished_at is not None
    assert release.progress.startswith("Không chấm được mô hình")
    assert [r.id for r in publisher.releases() if r.live] == []  # the starter model stays live
    assert publisher._next_queued() is None  # nothing left half-done: the next request can run


def test_two_publish_workers_take_a_queued_release_once(world):
    publisher, trainings, scores = world
    release_id = publisher.request("bien-tap").release_id
    assert publisher._claim(release_id) is True
    assert publisher._claim(release_id) is False  # the other process's worker
    assert publisher.get(release_id).status == publish.TRAINING
