"""Publisher.build without Rasa: one training per release, the gate's verdict final, a release
whose model is the live one not trained at all, a gate that cannot score ends the release; the
publish worker's loop: two over one database train a release once, and a release whose publisher
died mid-training is taken over once its claim runs out, not left "Đang huấn luyện"."""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, select, update

from bot import paths
from bot.db import model_release, utc_now
from bot.faq import gate, publish
from bot.faq.gate import GateScore
from bot.model import TrainingError, fingerprint
from tests.conftest import migrate, migrated_engine

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

    def ensure_model(models: Path, root: Path, progress=None, stop=None) -> Path:
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
    assert publisher._claim(release_id) == 1  # the first attempt
    assert publisher._claim(release_id) is None  # the other process's worker
    assert publisher.get(release_id).status == publish.TRAINING


@pytest.fixture(params=["sqlite", "postgresql"])
def two_publishers(request, tmp_path, tmp_path_factory, monkeypatch):
    """Two publishers, each with its own engine on one database (as two processes would be);
    trainings take TRAINING["seconds"] and are counted, every candidate beats the live model."""
    with migrated_engine(request.param, "publishers", tmp_path_factory) as engine:
        live_model = tmp_path / "live.tar.gz"
        live_model.write_bytes(b"")
        trainings: list[Path] = []
        monkeypatch.setitem(TRAINING, "started", threading.Event())
        monkeypatch.setitem(TRAINING, "stopped", [])

        def ensure_model(models: Path, root: Path, progress=None, stop=None) -> Path:
            trainings.append(root)
            TRAINING["started"].set()
            if (stop or threading.Event()).wait(TRAINING["seconds"]):
                TRAINING["stopped"].append(root)
                raise TrainingError("rasa train was stopped")
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


# How long a training in `two_publishers` takes; set when one starts; the trainings told to stop.
TRAINING: dict = {"seconds": 0.3, "started": threading.Event(), "stopped": []}


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
                     .values(claimed_until=utc_now() - timedelta(seconds=1)))


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


# ---- the claim: claimed_until, renewed by the heartbeat; attempts; giving up

def _row(publisher, release_id: int):
    with publisher.engine.connect() as conn:
        return conn.execute(select(model_release).where(model_release.c.id == release_id)).one()


def test_a_claim_holds_the_release_for_claim_seconds_and_counts_an_attempt(world):
    publisher, trainings, scores = world
    release_id = publisher.request("bien-tap").release_id
    assert _row(publisher, release_id).attempts == 0 and _row(publisher, release_id).claimed_until is None
    before = utc_now()

    assert publisher._claim(release_id) == 1

    row = _row(publisher, release_id)
    assert row.status == publish.TRAINING and row.attempts == 1
    assert before <= row.started_at <= utc_now()
    assert row.claimed_until - row.started_at == timedelta(seconds=publish.CLAIM_SECONDS)


def test_the_heartbeat_renews_the_claim_only_and_started_at_stays_when_the_work_started(world):
    publisher, trainings, scores = world
    release_id = publisher.request("bien-tap").release_id
    attempt = publisher._claim(release_id)
    claimed = _row(publisher, release_id)
    time.sleep(0.01)

    assert publisher._renew_claim(release_id, attempt) is True

    renewed = _row(publisher, release_id)
    assert renewed.started_at == claimed.started_at
    assert renewed.claimed_until > claimed.claimed_until
    assert publisher.get(release_id).started_at == claimed.started_at  # what editors are shown


def test_a_claim_is_judged_by_claimed_until_not_by_when_the_work_started(world):
    publisher, trainings, scores = world
    release_id = publisher.request("bien-tap").release_id
    publisher._claim(release_id)
    hours_ago = utc_now() - timedelta(hours=3)
    with publisher.engine.begin() as conn:  # a long training, its claim renewed all along
        conn.execute(update(model_release).where(model_release.c.id == release_id).values(started_at=hours_ago))

    assert publisher.recover_interrupted() == []
    assert publisher.get(release_id).status == publish.TRAINING

    _claim_expires(publisher, release_id)  # the heartbeat stopped: the publisher died
    assert publisher.recover_interrupted() == [release_id]
    release = publisher.get(release_id)
    assert release.status == publish.QUEUED and release.progress == publish.TAKEN_OVER
    assert release.claimed_until is None and release.attempts == 1


def test_a_publisher_that_lost_its_claim_can_no_longer_renew_it(world):
    publisher, trainings, scores = world
    release_id = publisher.request("bien-tap").release_id
    first = publisher._claim(release_id)
    _claim_expires(publisher, release_id)
    publisher.recover_interrupted()
    second = publisher._claim(release_id)  # another publisher took it over

    assert (first, second) == (1, 2)
    assert publisher._renew_claim(release_id, first) is False
    assert publisher._renew_claim(release_id, second) is True


def _interrupted(publisher, release_id: int) -> None:
    """One training of the release cut short: claimed, then its publisher killed."""
    assert publisher._claim(release_id) is not None
    _claim_expires(publisher, release_id)


def test_a_release_interrupted_max_attempts_times_fails_with_the_reason_and_is_not_queued_again(world, caplog):
    publisher, trainings, scores = world
    release_id = publisher.request("bien-tap").release_id
    for attempt in range(1, publish.MAX_ATTEMPTS):
        _interrupted(publisher, release_id)
        assert publisher.recover_interrupted() == [release_id]
        assert publisher.get(release_id).status == publish.QUEUED
    _interrupted(publisher, release_id)

    with caplog.at_level(logging.ERROR, logger="bot.faq.publish"):
        assert publisher.recover_interrupted() == []

    release = publisher.get(release_id)
    assert release.status == publish.FAILED and not release.live and release.finished_at is not None
    assert release.attempts == publish.MAX_ATTEMPTS == 3
    assert release.progress == ("Huấn luyện bị gián đoạn 3 lần (máy chủ xuất bản dừng giữa chừng); bản đang chạy "
                                "giữ nguyên. Bấm Xuất bản để thử lại.")
    assert f"release #{release_id} lost its publisher 3 times" in caplog.text
    assert publisher._next_queued() is None and trainings == []
    # A new request is a new release, with attempts of its own.
    again = publisher.request("bien-tap").release_id
    assert publisher._claim(again) == 1


def test_a_build_that_breaks_fails_its_release_at_once_instead_of_being_taken_over(world, monkeypatch):
    publisher, trainings, scores = world
    release_id = publisher.request("bien-tap").release_id

    def broken(kb, target):
        raise OSError("No space left on device")

    monkeypatch.setattr(publish, "export_release", broken)
    with pytest.raises(OSError, match="No space left"):
        asyncio.run(publisher.work_once())  # run_forever logs it

    release = publisher.get(release_id)
    assert release.status == publish.FAILED and release.progress == publish.BROKE and release.finished_at is not None
    assert release.progress == ("Lỗi bất ngờ khi xuất bản (xem nhật ký máy chủ); bản đang chạy giữ nguyên. "
                                "Bấm Xuất bản để thử lại.")
    assert publisher.recover_interrupted() == [] and publisher._next_queued() is None


def test_a_release_given_up_on_ends_its_rollout_too(world):
    publisher, trainings, scores = world
    release_id = publisher.request("bien-tap").release_id
    for _ in range(publish.MAX_ATTEMPTS):
        _interrupted(publisher, release_id)
        publish.start_rollout(publisher.engine, release_id)
        publisher.recover_interrupted()
    with publisher.engine.connect() as conn:
        assert conn.execute(select(publish.model_rollout)).all() == []
    assert publisher.get(release_id).status == publish.FAILED


def test_a_worker_whose_claim_was_taken_over_stops_its_training_and_writes_nothing(two_publishers, monkeypatch):
    first, second, trainings = two_publishers
    monkeypatch.setattr(publish, "HEARTBEAT_SECONDS", 0.05)
    monkeypatch.setitem(TRAINING, "seconds", 30.0)
    release_id = first.request("bien-tap").release_id
    # The first publisher stalls (say, its machine froze): its heartbeats write nothing until it
    # wakes, so that none renews the claim between its running out and the takeover.
    frozen = threading.Event()
    frozen.set()
    renew = first._renew_claim
    monkeypatch.setattr(first, "_renew_claim", lambda rid, attempt: frozen.is_set() or renew(rid, attempt))

    async def scenario() -> int | None:
        working = asyncio.create_task(first.work_once())
        assert await asyncio.to_thread(TRAINING["started"].wait, 10)
        # Its claim ran out and another publisher took over; then it wakes.
        _claim_expires(first, release_id)
        assert second.recover_interrupted() == [release_id]
        assert second._claim(release_id) == 2
        frozen.clear()
        return await asyncio.wait_for(working, 10)

    started = time.monotonic()
    assert asyncio.run(scenario()) == release_id
    assert time.monotonic() - started < 10
    assert len(TRAINING["stopped"]) == 1  # its training was told to stop
    release = second.get(release_id)
    assert release.status == publish.TRAINING and release.attempts == 2  # the second publisher's, untouched


def test_a_stopped_worker_ends_its_training_and_frees_the_release_at_once(two_publishers, monkeypatch):
    first, second, trainings = two_publishers
    monkeypatch.setitem(TRAINING, "seconds", 30.0)
    release_id = first.request("bien-tap").release_id

    async def scenario() -> None:
        working = asyncio.create_task(first.run_forever())
        assert await asyncio.to_thread(TRAINING["started"].wait, 10)
        working.cancel()  # SIGTERM: processes/publisher.py cancels the worker
        await asyncio.gather(working, return_exceptions=True)

    asyncio.run(scenario())
    assert len(TRAINING["stopped"]) == 1
    assert second.recover_interrupted() == [release_id]  # no need to wait for the claim to run out


def test_the_claim_can_be_shortened_by_the_environment(monkeypatch):
    from bot.config import publish_claim_seconds

    monkeypatch.delenv("PUBLISH_CLAIM_SECONDS", raising=False)
    assert publish_claim_seconds() == 60.0
    monkeypatch.setenv("PUBLISH_CLAIM_SECONDS", "5")
    assert publish_claim_seconds() == 5.0
    for wrong in ("0", "abc", "-3", "inf", "99999"):
        monkeypatch.setenv("PUBLISH_CLAIM_SECONDS", wrong)
        with pytest.raises(ValueError, match="PUBLISH_CLAIM_SECONDS"):
            publish_claim_seconds()


# ---- migration 0011

def test_migration_0011_keeps_a_busy_release_claimed_and_counts_the_started_ones(bare_engine):
    migrate(bare_engine, "upgrade", "0010")
    heartbeat = datetime(2026, 12, 8, 9, 30, tzinfo=timezone.utc)
    columns = ("id", "status", "requested_by", "requested_at", "started_at", "finished_at", "progress", "report", "live")
    release = sa.table("model_release", *(sa.column(c) for c in columns))
    with bare_engine.begin() as conn:
        conn.execute(release.insert(), [
            {"id": 1, "status": "live", "requested_by": "bien-tap", "requested_at": heartbeat, "started_at": heartbeat,
             "finished_at": heartbeat, "progress": "", "report": "{}", "live": True},
            {"id": 2, "status": "training", "requested_by": "bien-tap", "requested_at": heartbeat, "started_at": heartbeat,
             "finished_at": None, "progress": "", "report": "{}", "live": False},
            {"id": 3, "status": "queued", "requested_by": "bien-tap", "requested_at": heartbeat, "started_at": None,
             "finished_at": None, "progress": "", "report": "{}", "live": False},
        ])

    migrate(bare_engine, "upgrade", "0011")
    with bare_engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(select(model_release)).all()}
    assert {i: r.attempts for i, r in rows.items()} == {1: 1, 2: 1, 3: 0}
    # The busy one keeps the minute its publisher had from its last heartbeat; the others hold none.
    assert rows[2].claimed_until == heartbeat + timedelta(seconds=60) and rows[2].started_at == heartbeat
    assert rows[1].claimed_until is None and rows[3].claimed_until is None
    with bare_engine.begin() as conn:  # a release added afterwards counts from 0
        conn.execute(release.insert().values(id=4, status="queued", requested_by="bien-tap", requested_at=heartbeat,
                                             progress="", report="{}", live=False))
        assert conn.execute(sa.text("SELECT attempts FROM model_release WHERE id = 4")).scalar_one() == 0

    migrate(bare_engine, "downgrade", "0010")
    with bare_engine.connect() as conn:
        names = {c["name"] for c in sa.inspect(conn).get_columns("model_release")}
        started = conn.execute(select(model_release.c.started_at).where(model_release.c.id == 2)).scalar_one()
    assert "claimed_until" not in names and "attempts" not in names
    assert started == heartbeat  # the old heartbeat, as the code before 0011 reads it

    migrate(bare_engine, "upgrade", "0011")  # and up again, cleanly
