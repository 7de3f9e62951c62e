"""Publisher.build without Rasa: one training per release, the gate's verdict final, a release
whose model is the live one not trained at all, a gate that cannot score ends the release; the
publish worker's loop: two over one database train a release once, and a release whose publisher
died mid-training is taken over once its claim runs out, not left "Đang huấn luyện"."""
from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, update

from bot import paths
from bot.db import model_release, utc_now
from bot.faq import gate, publish
from bot.faq.gate import GateScore
from bot.model import fingerprint
from tests.conftest import migrated_engine

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


@pytest.fixture(params=["sqlite", "postgresql"])
def two_publishers(request, tmp_path, tmp_path_factory, monkeypatch):
    """Two publishers, each with its own engine on one database (as two processes would be);
    trainings take TRAINING["seconds"] and are counted, every candidate beats the live model."""
    with migrated_engine(request.param, "publishers", tmp_path_factory) as engine:
        live_model = tmp_path / "live.tar.gz"
        live_model.write_bytes(b"")
        trainings: list[Path] = []

        def ensure_model(models: Path, root: Path, progress=None) -> Path:
            trainings.append(root)
            time.sleep(TRAINING["seconds"])
            models.mkdir(parents=True, exist_ok=True)
            model = models / f"{fingerprint(root)}.tar.gz"
            model.write_bytes(b"")
            return model

        async def roll_out(release_id: int, model: Path) -> dict[str, float]:
            return {"http://rasa.invalid": 0.0}

        monkeypatch.setattr(publish, "ensure_model", ensure_model)
        monkeypatch.setattr(gate, "score_in_subprocess",
                            lambda model, data_dir, faq_ids: LIVE if model == live_model else GateScore(11, 0, 12))
        monkeypatch.setattr(publish, "POLL_SECONDS", 0.05)
        publishers = []
        for _ in range(2):
            publisher = publish.Publisher(create_engine(engine.url, future=True), "http://rasa.invalid",
                                          releases_dir=tmp_path / "releases", models_dir=tmp_path / "models")
            monkeypatch.setattr(publisher, "live", lambda: publish.LiveModel(live_model, paths.ROOT, None))
            monkeypatch.setattr(publisher, "_roll_out", roll_out)
            publishers.append(publisher)
        publishers[0].store.add_variants("gio_lam_viec", ["mấy giờ ủy ban xã tan tầm"], "bien-tap")
        yield publishers[0], publishers[1], trainings
        for publisher in publishers:
            publisher.engine.dispose()


TRAINING = {"seconds": 0.3}  # how long a training in `two_publishers` takes


async def _until_done(publisher, release_id: int, timeout: float = 30.0) -> publish.Release:
    deadline = time.monotonic() + timeout
    while (release := publisher.get(release_id)).status in publish.BUSY:
        assert time.monotonic() < deadline, release
        await asyncio.sleep(0.02)
    return release


async def _both_running(first, second, release_id: int) -> publish.Release:
    loops = [asyncio.create_task(p.run_forever()) for p in (first, second)]
    try:
        return await _until_done(first, release_id)
    finally:
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)


def test_two_publisher_loops_over_one_database_train_a_queued_release_once(two_publishers):
    first, second, trainings = two_publishers
    release_id = first.request("bien-tap").release_id

    release = asyncio.run(_both_running(first, second, release_id))

    assert len(trainings) == 1
    assert release.status == publish.LIVE and release.live


def _claim_expires(publisher, release_id: int) -> None:
    with publisher.engine.begin() as conn:
        conn.execute(update(model_release).where(model_release.c.id == release_id)
                     .values(started_at=utc_now() - timedelta(seconds=publish.CLAIM_SECONDS + 1)))


def test_a_release_whose_publisher_died_mid_training_is_taken_over_after_its_claim_runs_out(two_publishers):
    first, second, trainings = two_publishers
    release_id = first.request("bien-tap").release_id
    assert first._claim(release_id)  # then the first publisher is killed: nothing renews its claim

    # While the claim holds, the other publisher leaves the release alone (it might be training).
    assert asyncio.run(second.work_once()) is None
    assert second.get(release_id).status == publish.TRAINING and trainings == []

    _claim_expires(first, release_id)
    assert asyncio.run(second.work_once()) == release_id

    release = second.get(release_id)
    assert len(trainings) == 1
    assert release.status == publish.LIVE and release.live


def test_a_publisher_that_keeps_its_claim_is_not_taken_over_however_long_it_trains(two_publishers, monkeypatch):
    first, second, trainings = two_publishers
    monkeypatch.setattr(publish, "HEARTBEAT_SECONDS", 0.1)
    monkeypatch.setattr(publish, "CLAIM_SECONDS", 0.5)
    monkeypatch.setitem(TRAINING, "seconds", 1.5)  # three claims' length
    release_id = first.request("bien-tap").release_id

    release = asyncio.run(_both_running(first, second, release_id))

    assert len(trainings) == 1
    assert release.status == publish.LIVE
