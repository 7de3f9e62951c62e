"""Publish the curated knowledge base: generate, train in the background, gate, roll out, roll back.

One training at a time: a request while one runs is queued (and told so). The web process only
queues; the publish worker (`python -m processes.publisher`, one or more) takes a queued release
by a conditional UPDATE, so no two publishers train one release, and keeps its claim alive while
it works (`claimed_until`, renewed every HEARTBEAT_SECONDS): a busy release whose claim ran out
lost its publisher (killed, its machine gone) and goes back to the queue for another, unless
MAX_ATTEMPTS trainings of it were already cut short: then it fails, and the live model stays.
Training is a separate, lower-priority process so the site and the bot keep serving.
Going live rolls the model out through Rasa's own model-server pull (bot/faq/rollout.py: every
Rasa server fetches it from bot/faq/model_server.py and loads it), waits until every server
reports it, and only then points the action server at the release's knowledge base. The last
releases keep their model for a one-click rollback.
"""
from __future__ import annotations

import asyncio
import json
import logging
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.engine import Engine

from bot import paths
from bot.config import publish_claim_seconds
from bot.db import model_release, utc_now
from bot.faq import gate
from bot.faq.release import export_release
from bot.faq.rollout import ROLLOUT_SECONDS, RasaFleet, end_rollout, model_rollout, rasa_servers, start_rollout
from bot.faq.knowledge_base import load_knowledge_base
from bot.faq.store import Actor, KnowledgeStore, actor
from bot.handoff.audit import audit
from bot.model import TrainingError, ensure_model, fingerprint, model_path

logger = logging.getLogger(__name__)

QUEUED, TRAINING, GATING, LIVE, REFUSED, FAILED, RETIRED, UNCHANGED = (
    "queued", "training", "gating", "live", "refused", "failed", "retired", "unchanged",
)
STATUS_NAMES = {
    QUEUED: "Đang chờ", TRAINING: "Đang huấn luyện", GATING: "Đang kiểm tra", LIVE: "Đang chạy",
    REFUSED: "Bị từ chối", FAILED: "Lỗi", RETIRED: "Đã thay", UNCHANGED: "Không có thay đổi",
}
BUSY = (QUEUED, TRAINING, GATING)
KEEP_RELEASES = 5
POLL_SECONDS = 2.0
# A busy release is held by the publisher working on it until its claimed_until, which that
# publisher pushes CLAIM_SECONDS ahead every HEARTBEAT_SECONDS; a claim that ran out means the
# publisher is gone. PUBLISH_CLAIM_SECONDS shortens the claim (tests with real processes).
CLAIM_SECONDS = publish_claim_seconds()
HEARTBEAT_SECONDS = CLAIM_SECONDS / 6
# Trainings of one release cut short (its publisher died each time) before it is given up: a
# release that kills its publisher (e.g. out of memory) must not take the next one down for ever.
MAX_ATTEMPTS = 3
TAKEN_OVER = "Bộ xuất bản trước đã dừng giữa chừng; đang chờ huấn luyện lại"
BROKE = "Lỗi bất ngờ khi xuất bản (xem nhật ký máy chủ); bản đang chạy giữ nguyên. Bấm Xuất bản để thử lại."
GIVEN_UP = ("Huấn luyện bị gián đoạn {attempts} lần (máy chủ xuất bản dừng giữa chừng); bản đang chạy giữ nguyên. "
            "Bấm Xuất bản để thử lại.")


@dataclass(frozen=True)
class Release:
    id: int
    status: str
    fingerprint: str | None
    model_path: str | None
    data_dir: str | None
    requested_by: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: str
    report: dict
    live: bool
    attempts: int = 0  # trainings started (claims taken)
    claimed_until: datetime | None = None

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, self.status)

    @property
    def can_roll_back_to(self) -> bool:
        return not self.live and self.status in (RETIRED, LIVE) and bool(self.model_path) and Path(self.model_path).exists()


@dataclass(frozen=True)
class LiveModel:
    model: Path
    root: Path  # the training inputs: a release's folder, or the checkout for the starter model
    release_id: int | None  # None: the starter model built from the checkout's data files

    @property
    def kb_dir(self) -> Path:
        return self.root / "data"


@dataclass(frozen=True)
class PublishRequest:
    release_id: int
    ahead: int  # releases queued or training before this one


class Publisher:
    def __init__(self, engine: Engine, rasa_url: str, rasa_token: str | None = None,
                 releases_dir: Path = paths.VAR / "releases", models_dir: Path = paths.MODELS,
                 fleet: RasaFleet | None = None) -> None:
        self.engine = engine
        self.rasa_url = rasa_url.rstrip("/")
        self.rasa_token = rasa_token
        # Every Rasa server a rollout waits for: RASA_URLS, else the one at rasa_url.
        self.fleet = fleet or RasaFleet(rasa_servers(self.rasa_url), rasa_token)
        self.releases_dir = releases_dir
        self.models_dir = models_dir
        self.store = KnowledgeStore(engine)
        self._wake = asyncio.Event()
        # The live model's score changes only with the live release and the compared FAQs.
        self._live_scores: dict[tuple[str, str, frozenset[str]], gate.GateScore] = {}

    # ---- asking
    def request(self, by: Actor) -> PublishRequest:
        """Queue a publish, audited (`kb.publish`) in the same transaction."""
        staff_id, username = actor(by)
        with self.engine.begin() as conn:
            ahead = len(conn.execute(select(model_release.c.id).where(model_release.c.status.in_(BUSY))).all())
            release_id = int(conn.execute(insert(model_release).values(
                status=QUEUED, requested_by=username, requested_at=utc_now(), progress="Đang chờ", report="{}", live=False,
            )).inserted_primary_key[0])
            audit(conn, staff_id, username, "kb.publish",
                  detail=f"#{release_id}" + (f" (xếp hàng sau {ahead} lượt)" if ahead else ""))
        self._wake.set()
        return PublishRequest(release_id, ahead)

    def releases(self, limit: int = 20) -> list[Release]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(model_release).order_by(model_release.c.id.desc()).limit(limit)).all()
        return [_release(r) for r in rows]

    def get(self, release_id: int) -> Release:
        with self.engine.connect() as conn:
            row = conn.execute(select(model_release).where(model_release.c.id == release_id)).first()
        if row is None:
            raise KeyError(release_id)
        return _release(row)

    def live(self) -> LiveModel:
        return live_model(self.engine)

    # ---- the worker (processes/publisher.py; several may run, one training at a time in all)
    async def run_forever(self) -> None:
        while True:
            try:
                if await self.work_once() is not None:
                    continue
            except Exception:  # noqa: BLE001 - the worker must outlive one bad release
                logger.exception("publishing failed")
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
            except asyncio.TimeoutError:
                pass

    async def work_once(self) -> int | None:
        """Take over an abandoned release, else claim the oldest queued one, and build it while
        keeping the claim alive. The release's id, or None when there was nothing to take."""
        await asyncio.to_thread(self.recover_interrupted)
        release_id = await asyncio.to_thread(self._next_queued)
        attempt = None if release_id is None else await asyncio.to_thread(self._claim, release_id)
        if attempt is None:
            return None
        building = asyncio.create_task(self.build(release_id))
        heartbeat = asyncio.create_task(self._keep_claim(release_id, attempt))
        try:
            done, _ = await asyncio.wait({building, heartbeat}, return_when=asyncio.FIRST_COMPLETED)
            if building not in done:  # the claim was lost: another publisher may have the release now
                building.cancel()
                await asyncio.gather(building, return_exceptions=True)
                return release_id
            error = building.exception()
            if error is not None:
                # Not a dead publisher: another taking it over would fail the same way. The
                # editors are told at once; run_forever logs why.
                await asyncio.to_thread(self._end_claim, release_id, attempt, BROKE)
                raise error
        except asyncio.CancelledError:
            # Stopped (SIGTERM): another publisher need not wait for the claim to run out.
            building.cancel()
            self._end_claim(release_id, attempt)
            raise
        finally:
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)
        return release_id

    def recover_interrupted(self) -> list[int]:
        """Busy releases whose claim ran out go back to the queue (the next claim trains them
        again), or fail when MAX_ATTEMPTS trainings of theirs were cut short; a rollout of
        theirs, or one older than any rollout can last, ends: the model server offers the live
        model again, and the servers that had pulled the unfinished one pull the live one back.
        Returns the releases queued again."""
        now = utc_now()
        stale = and_(model_release.c.status.in_((TRAINING, GATING)), or_(
            model_release.c.claimed_until.is_(None), model_release.c.claimed_until < now))
        taken: list[int] = []
        given_up: list[tuple[int, int]] = []
        with self.engine.begin() as conn:
            for rid, attempts in conn.execute(select(model_release.c.id, model_release.c.attempts).where(stale)).all():
                give_up = attempts >= MAX_ATTEMPTS
                values = (dict(status=FAILED, finished_at=now, progress=GIVEN_UP.format(attempts=attempts)) if give_up
                          else dict(status=QUEUED, progress=TAKEN_OVER))
                row = and_(model_release.c.id == rid, stale)
                if conn.execute(update(model_release).where(row).values(claimed_until=None, **values)).rowcount == 1:
                    (given_up.append((rid, attempts)) if give_up else taken.append(rid))
            conn.execute(delete(model_rollout).where(or_(
                model_rollout.c.release_id.in_(taken + [rid for rid, _ in given_up]),
                model_rollout.c.started_at < now - timedelta(seconds=ROLLOUT_SECONDS + CLAIM_SECONDS))))
        for rid in taken:
            logger.warning("release #%s lost its publisher; queued again", rid)
        for rid, attempts in given_up:
            logger.error("release #%s lost its publisher %s times mid-work; given up (failed), the live model stays",
                         rid, attempts)
        return taken

    async def _keep_claim(self, release_id: int, attempt: int) -> None:
        """Renew the claim until cancelled; returns when it was lost (the release taken over)."""
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            if not await asyncio.to_thread(self._renew_claim, release_id, attempt):
                logger.error("release #%s: claim %s lost (taken over after it ran out); stopping its build",
                             release_id, attempt)
                return

    def _renew_claim(self, release_id: int, attempt: int) -> bool:
        """Push the claim ahead; False when this publisher no longer holds it. The attempt
        number tells this publisher's claim from a later one on the same release."""
        with self.engine.begin() as conn:
            return conn.execute(update(model_release).where(self._held(release_id, attempt))
                                .values(claimed_until=utc_now() + timedelta(seconds=CLAIM_SECONDS))).rowcount == 1

    def _end_claim(self, release_id: int, attempt: int, failure: str | None = None) -> None:
        """Let the claim go now: for another publisher to take over, or (`failure`) failed."""
        ended = dict(status=FAILED, finished_at=utc_now(), claimed_until=None, progress=failure) if failure else {}
        with self.engine.begin() as conn:
            conn.execute(update(model_release).where(self._held(release_id, attempt))
                         .values(**({"claimed_until": utc_now()} | ended)))

    @staticmethod
    def _held(release_id: int, attempt: int):
        return and_(model_release.c.id == release_id, model_release.c.attempts == attempt,
                    model_release.c.status.in_((TRAINING, GATING)))

    async def build(self, release_id: int) -> Release:
        """Generate, train, gate and (if accepted) put one release live: claimed by the worker,
        or still queued when called directly (it is claimed here then, with no heartbeat)."""
        started = time.monotonic()
        if self.get(release_id).status == QUEUED:
            await asyncio.to_thread(self._claim, release_id)
        target = self.releases_dir / str(release_id)
        kb = await asyncio.to_thread(self.store.knowledge_base)
        await asyncio.to_thread(export_release, kb, target)
        # Off the event loop, as everything slow here: the claim's heartbeat must keep beating.
        fp = await asyncio.to_thread(fingerprint, target)
        live = await asyncio.to_thread(self.live)
        if fp == fingerprint(live.root) and kb == load_knowledge_base(live.kb_dir):
            self._set(release_id, status=UNCHANGED, fingerprint=fp, data_dir=str(target), finished_at=utc_now(),
                      claimed_until=None, progress="Nội dung giống bản đang chạy: không có gì để xuất bản")
            return self.get(release_id)
        self._set(release_id, fingerprint=fp, data_dir=str(target))
        last = [0.0]

        def progress(step: str) -> None:
            if time.monotonic() - last[0] >= 1.0:
                last[0] = time.monotonic()
                self._set(release_id, progress=step)

        # The live model's score does not wait for the candidate: it runs beside the training.
        common = set(load_knowledge_base(live.kb_dir).faqs) & set(kb.faqs)
        live_scoring = asyncio.ensure_future(asyncio.to_thread(self._live_score, live, common))
        stop = threading.Event()
        try:
            model = await asyncio.to_thread(ensure_model, self.models_dir, target, progress, stop=stop)
        except TrainingError as exc:
            await asyncio.gather(live_scoring, return_exceptions=True)
            return self._fail(release_id, f"Huấn luyện lỗi: {exc}")
        except asyncio.CancelledError:  # stopped, or the claim lost: the training ends with the build
            stop.set()
            raise
        self._set(release_id, status=GATING, model_path=str(model), progress="Đang so sánh với mô hình đang chạy")
        try:
            candidate_score = await asyncio.to_thread(gate.score_in_subprocess, model, target / "data", common)
            live_score = await live_scoring
        except RuntimeError as exc:  # the scoring process failed: its output is in the log
            logger.error("%s", exc)
            await asyncio.gather(live_scoring, return_exceptions=True)
            return self._fail(release_id, "Không chấm được mô hình trên bộ câu hỏi kiểm tra; bản đang chạy giữ nguyên (xem nhật ký máy chủ)")
        verdict = gate.judge(live_score, candidate_score)
        report = verdict.as_dict() | {"seconds_to_gate": round(time.monotonic() - started, 1)}
        if not verdict.accepted:
            self._set(release_id, status=REFUSED, finished_at=utc_now(), claimed_until=None, progress=verdict.reason,
                      report=json.dumps(report, ensure_ascii=False))
            return self.get(release_id)
        self._set(release_id, report=json.dumps(report, ensure_ascii=False), progress="Đang đưa mô hình mới vào hoạt động")
        try:
            report["rasa_servers"] = await self.go_live(release_id)
        except (httpx.HTTPError, RuntimeError) as exc:
            return self._fail(release_id, f"Rasa không nạp được mô hình mới ({exc}); bản đang chạy giữ nguyên")
        report["seconds_to_live"] = round(time.monotonic() - started, 1)
        self._set(release_id, report=json.dumps(report, ensure_ascii=False), progress=verdict.reason)
        return self.get(release_id)

    async def go_live(self, release_id: int, by: Actor | None = None) -> dict[str, float]:
        """Every Rasa server loads the model first (one that does not, in time, leaves everything
        as it was), then the database names the release live, which the action server follows
        within seconds. Returns the seconds each server took to serve it.

        `by`: the editor rolling back to this release, audited (`kb.rollback`) in the transaction
        that makes it live; None for the worker putting a new release live."""
        release = self.get(release_id)
        if not release.model_path or not Path(release.model_path).exists():
            raise ValueError(f"release {release_id} has no model to load")
        starter = self.live()
        servers = await self._roll_out(release_id, Path(release.model_path))
        with self.engine.begin() as conn:
            if starter.release_id is None:
                # The model built from the checkout becomes a release too, so that the first
                # publish can also be rolled back with one click.
                conn.execute(insert(model_release).values(
                    status=RETIRED, fingerprint=fingerprint(starter.root), model_path=str(starter.model),
                    data_dir=str(starter.root), requested_by="khởi tạo", requested_at=utc_now(), finished_at=utc_now(),
                    progress="Mô hình ban đầu, từ dữ liệu mẫu", report="{}", live=False,
                ))
            conn.execute(update(model_release).where(and_(model_release.c.live.is_(True), model_release.c.id != release_id))
                         .values(live=False, status=RETIRED))
            conn.execute(update(model_release).where(model_release.c.id == release_id)
                         .values(live=True, status=LIVE, finished_at=utc_now(), claimed_until=None))
            conn.execute(delete(model_rollout))
            if by is not None:
                staff_id, username = actor(by)
                audit(conn, staff_id, username, "kb.rollback", detail=f"#{release_id}")
        await asyncio.to_thread(self._prune)
        return servers

    async def roll_back(self, release_id: int, by: Actor | None = None) -> None:
        release = self.get(release_id)
        if not release.can_roll_back_to:
            raise ValueError("bản này không còn mô hình để quay lại")
        await self.go_live(release_id, by)

    # ---- internals
    def _live_score(self, live: LiveModel, faq_ids: set[str]) -> gate.GateScore:
        key = (str(live.model), str(live.kb_dir), frozenset(faq_ids))
        if key not in self._live_scores:
            self._live_scores[key] = gate.score_in_subprocess(live.model, live.kb_dir, faq_ids)
        return self._live_scores[key]

    async def _roll_out(self, release_id: int, model: Path) -> dict[str, float]:
        """Offer the model to the Rasa servers' pulls and wait until each serves it."""
        await asyncio.to_thread(start_rollout, self.engine, release_id)

        shown: list[int] = []

        def progress(ready: int, total: int) -> None:
            if shown[-1:] != [ready]:
                shown.append(ready)
                self._set(release_id, progress=f"Đang chờ máy chủ Rasa nạp mô hình mới ({ready}/{total})")

        try:
            return await self.fleet.wait_until_serving(model.name, progress)
        except BaseException:
            await asyncio.to_thread(end_rollout, self.engine)
            raise

    def _next_queued(self) -> int | None:
        with self.engine.connect() as conn:
            if conn.execute(select(model_release.c.id).where(model_release.c.status.in_((TRAINING, GATING)))).first():
                return None
            return conn.execute(select(model_release.c.id).where(model_release.c.status == QUEUED)
                                .order_by(model_release.c.id)).scalars().first()

    def _claim(self, release_id: int) -> int | None:
        """Take a queued release for this worker: the attempt number it holds it by, or None
        when another process took it first."""
        now = utc_now()
        with self.engine.begin() as conn:
            if conn.execute(update(model_release).where(and_(
                model_release.c.id == release_id, model_release.c.status == QUEUED,
            )).values(status=TRAINING, started_at=now, claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
                      attempts=model_release.c.attempts + 1, progress="Đang tạo dữ liệu huấn luyện")).rowcount != 1:
                return None
            return int(conn.execute(select(model_release.c.attempts).where(model_release.c.id == release_id)).scalar_one())

    def _fail(self, release_id: int, why: str) -> Release:
        self._set(release_id, status=FAILED, finished_at=utc_now(), claimed_until=None, progress=why)
        return self.get(release_id)

    def _set(self, release_id: int, **values: object) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(model_release).where(model_release.c.id == release_id).values(**values))

    def _prune(self) -> None:
        """Keep the live release and the last ones before it; older folders go (models are cached)."""
        kept = {r.id for r in self.releases(limit=KEEP_RELEASES)}
        for folder in self.releases_dir.glob("*"):
            if folder.name.isdigit() and int(folder.name) not in kept and not self._is_live(int(folder.name)):
                shutil.rmtree(folder, ignore_errors=True)

    def _is_live(self, release_id: int) -> bool:
        try:
            return self.get(release_id).live
        except KeyError:
            return False


def live_model(engine: Engine) -> LiveModel:
    """The live release's model and knowledge base, else the starter model from the checkout."""
    return _live_release(engine) or LiveModel(ensure_model(), paths.ROOT, None)


def live_model_path(engine: Engine) -> Path | None:
    """The live model's file, without training the starter model when it is not there yet."""
    release = _live_release(engine)
    if release is not None:
        return release.model
    starter = model_path()
    return starter if starter.exists() else None


def _live_release(engine: Engine) -> LiveModel | None:
    with engine.connect() as conn:
        row = conn.execute(select(model_release).where(model_release.c.live.is_(True))).first()
    if row is not None and row.model_path and Path(row.model_path).exists():
        return LiveModel(Path(row.model_path), Path(row.data_dir), row.id)
    return None


def _release(row) -> Release:
    return Release(row.id, row.status, row.fingerprint, row.model_path, row.data_dir, row.requested_by, row.requested_at,
                   row.started_at, row.finished_at, row.progress or "", json.loads(row.report or "{}"), bool(row.live),
                   row.attempts or 0, row.claimed_until)

