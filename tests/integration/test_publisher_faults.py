"""The publish worker killed mid-training (issue 19), with real processes: `python -m
processes.publisher` trains a queued release with a real `rasa train`; it is killed with -9 while
the training runs; the training dies with it; a second publisher takes the release over once the
claim (shortened by PUBLISH_CLAIM_SECONDS) has run out, trains it exactly once more, gates it and
puts it live (or the gate refuses it): nothing left "Đang huấn luyện", nothing done twice.

Affordable on two cores: the knowledge base is three FAQs (with the hand-written smalltalk,
hand-over and out-of-scope data), whose model trains in well under a minute; the live model it is
gated against is trained once and kept in the model cache. The Rasa servers a rollout waits for
are one stand-in answering `GET /status` with the model being rolled out: what is tested here is
the publisher, not Rasa's pull (tests/integration/test_publish.py).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, select
from sqlalchemy.engine import Engine

from bot import paths
from bot.db import model_release, utc_now
from bot.faq import publish
from bot.faq.release import export_release
from bot.faq.rollout import model_rollout
from bot.faq.store import KnowledgeStore
from bot.migrate import upgrade
from bot.model import cache_dir, ensure_model, fingerprint

pytestmark = [pytest.mark.model, pytest.mark.slow]

KEPT_FAQS = ("gio_lam_viec", "khai_sinh", "can_cuoc_cap_moi")
NEW_QUESTION = "buổi chiều ủy ban xã mấy giờ thì mở cửa lại"
CLAIM_SECONDS = 5
TRAINED_IN = 600.0  # seconds: a training at idle priority on two cores others share


class StandInRasa:
    """Every Rasa server at once: serves the model being rolled out, else the live one."""

    def __init__(self, engine: Engine) -> None:
        def serving() -> str | None:
            with engine.connect() as conn:
                rolled = conn.execute(select(model_rollout.c.release_id)).scalar()
                row = conn.execute(select(model_release.c.model_path).where(
                    (model_release.c.id == rolled) if rolled is not None else model_release.c.live.is_(True))).first()
            return Path(row.model_path).name if row and row.model_path else None

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                body = json.dumps({"model_file": serving()}).encode()
                self.send_response(200 if self.path.startswith("/status") else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A database whose knowledge base is KEPT_FAQS, live with a model trained on them (kept in
    the model cache across runs), then one question added and a release queued for it."""
    # Rasa's own training cache would let a training restore the classifier a killed one built.
    monkeypatch.setenv("RASA_CACHE_DIRECTORY", str(tmp_path / "rasa-cache"))
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    engine = create_engine(url, future=True)
    store = KnowledgeStore(engine)
    for record in store.all():
        if record.faq.id not in KEPT_FAQS:
            store.set_active(record.faq.id, False, record.version, "kiem-thu")
    live_root = export_release(store.knowledge_base(), tmp_path / "live")
    # Cached apart from the product's models: a test falling back on "the latest cached model"
    # (tests/integration/test_cluster_faults.py) must not find this small one.
    monkeypatch.setenv("BOT_MODEL_CACHE", str(cache_dir() / "publisher-faults"))
    live_model = ensure_model(tmp_path / "live-models", live_root)  # from that cache after the first run
    with engine.begin() as conn:
        conn.execute(insert(model_release).values(
            status=publish.LIVE, live=True, fingerprint=fingerprint(live_root), model_path=str(live_model),
            data_dir=str(live_root), requested_by="kiem-thu", requested_at=utc_now(), finished_at=utc_now(),
            progress="", report="{}",
        ))
    store.add_variants("gio_lam_viec", [NEW_QUESTION], "bien-tap")  # new training data: the model changes
    release_id = publish.Publisher(engine, "http://127.0.0.1").request("bien-tap").release_id
    rasa = StandInRasa(engine)
    env = {k: v for k, v in os.environ.items() if k not in ("RASA_URLS", "RASA_TOKEN")} | {
        "DATABASE_URL": url, "RELEASES_DIR": str(tmp_path / "releases"), "RASA_URL": rasa.url,
        "BOT_MODEL_CACHE": str(tmp_path / "model-cache"),  # the candidate is trained, not found
        "RASA_CACHE_DIRECTORY": str(tmp_path / "rasa-cache"), "PUBLISH_CLAIM_SECONDS": str(CLAIM_SECONDS),
    }
    publishers: list[subprocess.Popen] = []

    def start_publisher(name: str) -> tuple[subprocess.Popen, Path]:
        log = tmp_path / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen([sys.executable, "-m", "processes.publisher", "--models-dir", str(tmp_path / "models")],
                                       cwd=paths.ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        publishers.append(process)
        return process, log

    yield {"engine": engine, "release_id": release_id, "start_publisher": start_publisher, "models": tmp_path / "models"}
    for process in publishers:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    rasa.stop()
    engine.dispose()


def _release(engine: Engine, release_id: int):
    with engine.connect() as conn:
        return conn.execute(select(model_release).where(model_release.c.id == release_id)).one()


def _children(pid: int) -> dict[int, str]:
    """The processes whose parent is `pid`: their command lines."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return found


def _gone(pid: int) -> bool:
    """No such process, or a zombie (it runs nothing any more; only its reaping is left)."""
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _until(condition, timeout: float, what: str, poll: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(poll)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def test_a_publisher_killed_mid_training_is_taken_over_and_the_release_trained_once_more(world, capsys):
    engine, release_id = world["engine"], world["release_id"]
    started = time.monotonic()
    first, first_log = world["start_publisher"]("first")

    def training_child() -> int | None:
        if _release(engine, release_id).status != publish.TRAINING:
            return None
        return next((pid for pid, cmd in _children(first.pid).items() if " rasa train " in cmd), None)

    trainer = _until(training_child, 120, f"the first publisher's rasa train (log: {first_log})")
    held = _release(engine, release_id)
    assert held.attempts == 1 and held.claimed_until > utc_now()

    others = set(_children(first.pid)) - {trainer}
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    claim_at_kill = _release(engine, release_id).claimed_until
    _until(lambda: _gone(trainer), 10, f"the orphaned rasa train (pid {trainer}) to die with its publisher")
    outliving = sorted(pid for pid in others if not _gone(pid))
    assert _release(engine, release_id).status == publish.TRAINING  # still claimed by the dead one

    second, second_log = world["start_publisher"]("second")
    final = _until(lambda: (r := _release(engine, release_id)).status not in publish.BUSY and r, TRAINED_IN,
                   f"the release to be built again (log: {second_log})", poll=0.5)
    seconds = time.monotonic() - started

    log = second_log.read_text(errors="replace")
    assert final.status in (publish.LIVE, publish.REFUSED), (final.status, final.progress, log[-3000:])
    assert final.attempts == 2
    assert final.started_at >= claim_at_kill  # taken over only once the claim had run out
    assert f"release #{release_id} lost its publisher; queued again" in log
    assert log.count("training the model") == 1  # trained exactly once more
    assert first_log.read_text(errors="replace").count("training the model") == 1
    with engine.connect() as conn:
        rows = conn.execute(select(model_release.c.id, model_release.c.status, model_release.c.live)).all()
    assert len(rows) == 2  # the live release and this one: nothing doubled
    assert sum(r.live for r in rows) == 1
    if final.status == publish.LIVE:
        assert final.live
    models = world["models"]
    assert sorted(p.name for p in models.iterdir()) == [f"{final.fingerprint}.tar.gz"]  # the killed training's output is gone
    with capsys.disabled():
        print(f"\npublisher killed mid-training: release #{release_id} {final.status} after {seconds:.0f} s "
              f"(attempts {final.attempts}; {final.progress}); other children of the killed publisher "
              f"still running after its training died: {len(outliving)} of {len(others)}")
