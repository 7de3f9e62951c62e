"""Publishing through the real processes: gate, rollout by Rasa's pull under a stream of citizens, rollback.

The answer edits and the damaged knowledge base below do not change the NLU training data, so
the candidate reuses the live model file (same fingerprint) and no training runs here; training
itself is exercised by `bench/publish.py` and the browser test of the curation pages.
"""
from __future__ import annotations

import asyncio
import json
import shutil
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, insert

from bot import paths
from bot.db import model_release, utc_now
from bot.faq import publish
from bot.faq.rollout import ROLLOUT_SECONDS, RolloutError
from bot.faq.knowledge_base import load_knowledge_base
from bot.faq.store import KnowledgeStore
from bot.stack import start_stack
from connectors.zalo.signature import GATEWAY_HEADER, gateway_signature
from tests.conftest import bot_replies

pytestmark = pytest.mark.model

NEW_ANSWER = "Bộ phận Một cửa của xã làm việc từ thứ Hai đến thứ Sáu (bản đã sửa để kiểm thử xuất bản)."
# The edit keeps the hours and the number: an answer without them no longer answers "mấy giờ" or
# "số điện thoại" (data/subcases.yml `asks`), and the gate rightly refuses it.
NEW_ANSWER_IN_FULL = NEW_ANSWER + " Giờ làm việc: {office_hours}; điện thoại: {hotline}."


@pytest.fixture(scope="module")
def stack(trained_model, tmp_path_factory):
    # This module builds releases itself (below), so no publish worker races it for them.
    stack = start_stack(trained_model, tmp_path_factory.mktemp("publish"), publisher=False)
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def publisher(stack, tmp_path_factory):
    engine = create_engine(stack.database_url, future=True)
    return publish.Publisher(engine, stack.rasa_url, stack.rasa_token,
                             releases_dir=tmp_path_factory.mktemp("releases"), models_dir=tmp_path_factory.mktemp("models"))


def _build(publisher) -> publish.Release:
    return asyncio.run(publisher.build(publisher.request("bien-tap").release_id))


def _ask(sim: httpx.Client, user: str, text: str, count: int, timeout: float = 30) -> list[str]:
    sim.post(f"/citizens/{user}/messages", json={"text": text})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = bot_replies(sim.get(f"/citizens/{user}/conversation").json()["messages"])
        if len(replies) >= count:
            return replies
        time.sleep(0.2)
    raise AssertionError(f"no reply {count} within {timeout} s")


def test_an_unchanged_knowledge_base_is_not_published_again(publisher):
    release = _build(publisher)
    assert release.status == publish.UNCHANGED and not release.live


def test_a_damaged_knowledge_base_is_refused_with_the_comparison(publisher):
    store = publisher.store
    originals = {r.faq.id: r for r in store.all()}
    try:
        # Every FAQ now "excludes" the commonest words: the bot would answer almost nothing.
        for record in store.all():
            store.save(replace(record.faq, excludes=record.faq.excludes + ("cho", "hỏi", "làm", "ở đâu")), record.version, "bien-tap")
        release = _build(publisher)
        assert release.status == publish.REFUSED and not release.live
        report = release.report
        assert report["accepted"] is False and report["candidate"]["correct"] < report["live"]["correct"]
        assert "ít hơn mô hình đang chạy" in release.progress
    finally:
        for faq_id, original in originals.items():
            store.save(original.faq, store.get(faq_id).version, "bien-tap")
    assert publisher.live().release_id is None  # the starter model still serves


def test_an_edited_answer_goes_live_under_a_stream_of_citizens_then_rolls_back(stack, publisher):
    store = publisher.store
    original = store.get("gio_lam_viec")
    kb = load_knowledge_base()
    with httpx.Client(base_url=f"{stack.web_url}/zalo-sim/api", timeout=30) as sim:
        user = sim.post("/citizens", json={}).json()["user_id"]
        assert _ask(sim, user, "ubnd xa lam viec gio nao", 1)[-1].startswith(kb.render_answer("gio_lam_viec"))
        store.save(replace(original.faq, answer=NEW_ANSWER_IN_FULL), original.version, "bien-tap")

        # Three citizens keep asking (each waits for the answer, then asks again) all through
        # the gate and the swap; afterwards every question has its answer.
        asked: dict[str, int] = {}
        stop = threading.Event()

        def citizen_keeps_asking() -> None:
            with httpx.Client(base_url=f"{stack.web_url}/zalo-sim/api", timeout=30) as own:
                who = own.post("/citizens", json={}).json()["user_id"]
                asked[who] = 0
                while not stop.is_set():
                    asked[who] += 1
                    _ask(own, who, "làm căn cước cho con ở đâu", asked[who], timeout=120)

        streams = [threading.Thread(target=citizen_keeps_asking) for _ in range(3)]
        for thread in streams:
            thread.start()
        try:
            release = _build(publisher)
        finally:
            stop.set()
            for thread in streams:
                thread.join()
        assert release.status == publish.LIVE and release.live, release.progress
        assert release.report["accepted"] is True
        assert sum(asked.values()) >= 6 and len(asked) == 3  # each turn returned: none lost or failed

        # The action server follows the live release within its refresh period: ask until it does.
        asked_so_far = _ask_until(sim, user, "ubnd xa lam viec gio nao", 1, lambda reply: reply.startswith(NEW_ANSWER))

        starter = next(r for r in publisher.releases() if r.requested_by == "khởi tạo")
        assert starter.can_roll_back_to
        asyncio.run(publisher.roll_back(starter.id))
        assert publisher.get(starter.id).live and not publisher.get(release.id).live
        _ask_until(sim, user, "ubnd xa lam viec gio nao", asked_so_far, lambda reply: reply.startswith(kb.render_answer("gio_lam_viec")))
    store.save(original.faq, store.get("gio_lam_viec").version, "bien-tap")


def _ask_until(sim: httpx.Client, user: str, text: str, replies_before: int, wanted, timeout: float = 30) -> int:
    """Ask `text` again until the reply is `wanted`; returns how many replies the citizen has then."""
    count = replies_before
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count += 1
        if wanted(_ask(sim, user, text, count)[-1]):
            return count
    raise AssertionError(f"no wanted reply to {text!r} within {timeout} s")


def _turn(stack, sender: str, text: str) -> httpx.Response:
    body = json.dumps({"sender": sender, "text": text}, ensure_ascii=False).encode()
    return httpx.post(f"{stack.rasa_url}/webhooks/zalo/turn", content=body, timeout=30,
                      headers={GATEWAY_HEADER: gateway_signature(body, "sim-oa-secret")})


def _rollout(publisher, model: Path) -> int:
    """A release row for `model`, ready to roll out."""
    with publisher.engine.begin() as conn:
        release_id = int(conn.execute(insert(model_release).values(
            status=publish.GATING, fingerprint=model.name[:-7], model_path=str(model), data_dir=str(paths.ROOT),
            requested_by="kiem-thu", requested_at=utc_now(), progress="", report="{}", live=False,
        )).inserted_primary_key[0])
    return release_id


def test_a_model_pulled_by_rasa_while_citizens_write_answers_every_turn(stack, publisher, capsys):
    """Rasa loads a pulled model inside its event loop: turns arriving meanwhile wait for it.
    Every turn is answered; the longest wait is printed (docs/deployment.md quotes it)."""
    live = publisher.live().model
    copy = publisher.models_dir / "pullcopy0fp.tar.gz"  # the same model under a new fingerprint
    shutil.copy2(live, copy)
    release_id = _rollout(publisher, copy)
    finished: dict[str, float] = {}

    def roll_out() -> None:
        asyncio.run(publisher.go_live(release_id))
        finished["live"] = time.monotonic()

    rolling = threading.Thread(target=roll_out)
    rolling.start()
    turns: list[tuple[float, float]] = []  # (sent, seconds to the reply)
    while rolling.is_alive():
        sent = time.monotonic()
        reply = _turn(stack, "pull-watcher", "xin chào")
        turns.append((sent, time.monotonic() - sent))
        assert reply.status_code == 200 and reply.json()["messages"]
    rolling.join()
    assert publisher.get(release_id).live
    status = httpx.get(f"{stack.rasa_url}/status", params={"token": stack.rasa_token}).json()
    assert status["model_file"] == copy.name
    during = sorted(seconds for _, seconds in turns)
    with capsys.disabled():
        print(f"\nturns while Rasa pulled and loaded a model: {len(during)}, median {during[len(during) // 2]:.3f} s, "
              f"longest {during[-1]:.3f} s")
    assert during[-1] < 10.0, turns


def test_a_model_rasa_cannot_load_ends_the_rollout_and_the_running_one_answers(stack, publisher):
    broken = publisher.models_dir / "broken0fp.tar.gz"
    broken.write_bytes(b"not a model")
    live_before = publisher.live()
    release_id = _rollout(publisher, broken)
    publisher.fleet.timeout = 8.0
    try:
        with pytest.raises(RolloutError, match="broken0fp.tar.gz"):
            asyncio.run(publisher.go_live(release_id))
    finally:
        publisher.fleet.timeout = ROLLOUT_SECONDS
    assert publisher.live() == live_before and not publisher.get(release_id).live
    assert _turn(stack, "after-refusal", "xin chào").json()["messages"]  # the running model still answers
