"""Log-in attempts on both databases (issue 17): an atomic count per account and address, one
refusal for every failure, and no way to lock an officer out from somewhere else."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import delete, select, update

from bot.db import audit_log, login_throttle, utc_now
from bot.handoff import staff as staff_module
from bot.handoff.staff import LOGIN_REFUSED, MAX_FAILED_LOGINS, OFFICER, LoginRefused, StaffDirectory

PASSWORD = "mat-khau-dung-roi"
ATTACKER, OFFICE = "203.0.113.9", "10.0.0.7"
USERNAMES = ("an", "khong-co-ai")


class CountingHasher(PasswordHasher):
    """A cheap argon2 (tests only) that counts verifications, real and dummy alike."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.verified: list[str] = []

    def verify(self, hash, password):  # noqa: A002 - argon2's own parameter name
        self.verified.append(hash)
        return super().verify(hash, password)


@pytest.fixture
def hasher(monkeypatch):
    cheap = CountingHasher()
    monkeypatch.setattr(staff_module, "_hasher", cheap)
    return cheap


@pytest.fixture
def directory(db_engine, hasher):
    def clean() -> None:
        with db_engine.begin() as conn:
            conn.execute(delete(login_throttle))
            conn.execute(delete(audit_log).where(audit_log.c.username.in_(USERNAMES)))
            conn.execute(delete(staff_module.staff).where(staff_module.staff.c.username.in_(USERNAMES)))

    clean()
    yield StaffDirectory(db_engine)
    clean()


@pytest.fixture
def member(directory):
    return directory.create("an", "Nguyễn Văn An", PASSWORD, OFFICER, "tu_phap_ho_tich")


def _refusal(directory: StaffDirectory, username: str, password: str, address: str = ATTACKER) -> str:
    with pytest.raises(LoginRefused) as refused:
        directory.authenticate(username, password, address)
    return str(refused.value)


def test_concurrent_wrong_passwords_are_checked_only_as_often_as_the_limit(directory, member, hasher):
    # issue 17: 40 concurrent guesses were all checked (a read-modify-write count)
    real_hash = _stored_hash(directory, member.id)

    def guess(n: int) -> str:
        try:
            directory.authenticate("an", f"doan-mo-{n}", ATTACKER)
        except LoginRefused as refused:
            return str(refused)
        return "logged in"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(guess, range(40)))

    assert outcomes == [LOGIN_REFUSED] * 40
    assert hasher.verified.count(real_hash) == MAX_FAILED_LOGINS
    assert len(hasher.verified) == 40  # the other 35 spent a dummy verification: same time


def test_every_failure_reads_alike_and_costs_one_verification(directory, member, hasher):
    messages = [_refusal(directory, "an", "sai-mat-khau") for _ in range(MAX_FAILED_LOGINS)]
    messages.append(_refusal(directory, "an", PASSWORD))  # spent: even the right password waits
    messages.append(_refusal(directory, "khong-co-ai", "sai-mat-khau"))
    messages.append(_refusal(directory, "an", "sai-mat-khau", OFFICE))
    assert messages == [LOGIN_REFUSED] * len(messages)
    assert len(hasher.verified) == len(messages)


def test_an_unknown_account_is_throttled_like_a_real_one(directory, hasher):
    for _ in range(MAX_FAILED_LOGINS):
        _refusal(directory, "khong-co-ai", "sai-mat-khau")
    _refusal(directory, "khong-co-ai", "sai-mat-khau")
    with directory.engine.connect() as conn:
        actions = conn.execute(select(audit_log.c.action).where(audit_log.c.username == "khong-co-ai")
                               .order_by(audit_log.c.id)).scalars().all()
    assert actions == ["login.failed"] * MAX_FAILED_LOGINS + ["login.throttled"]


def test_an_attacker_cannot_lock_the_officer_out_from_another_address(directory, member):
    for _ in range(MAX_FAILED_LOGINS + 3):
        _refusal(directory, "an", "sai-mat-khau", ATTACKER)
    assert directory.authenticate("an", PASSWORD, OFFICE).id == member.id


def test_the_wait_ends_after_the_window(directory, member):
    for _ in range(MAX_FAILED_LOGINS):
        _refusal(directory, "an", "sai-mat-khau")
    with directory.engine.begin() as conn:
        conn.execute(update(login_throttle).values(window_start=utc_now() - staff_module.LOCKOUT - timedelta(seconds=1)))
    assert directory.authenticate("an", PASSWORD, ATTACKER).id == member.id
    with directory.engine.connect() as conn:  # a success forgets its counter at once
        assert conn.execute(select(login_throttle)).all() == []


def test_a_success_resets_the_count_and_a_new_password_clears_every_wait(directory, member):
    for _ in range(MAX_FAILED_LOGINS - 1):
        _refusal(directory, "an", "sai-mat-khau")
    directory.authenticate("an", PASSWORD, ATTACKER)
    for _ in range(MAX_FAILED_LOGINS):
        _refusal(directory, "an", "sai-mat-khau")
    directory.set_password(member.id, "mat-khau-moi-hon")
    assert directory.authenticate("an", "mat-khau-moi-hon", ATTACKER).id == member.id


def _stored_hash(directory: StaffDirectory, staff_id: int) -> str:
    with directory.engine.connect() as conn:
        return conn.execute(select(staff_module.staff.c.password_hash).where(staff_module.staff.c.id == staff_id)).scalar_one()


def test_no_more_verifications_run_at_once_than_there_are_cores(monkeypatch):
    """40 log-ins at once each held an argon2 verification's 64 MiB: 2 GB in one burst."""
    import threading as _threading
    import time as _time

    from bot.handoff import staff as staff_module

    running, peak, lock = 0, 0, _threading.Lock()

    class Slow:
        def verify(self, hash, password):
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            _time.sleep(0.02)
            with lock:
                running -= 1
            raise staff_module.VerificationError()

        def hash(self, password):
            return "dummy"

    monkeypatch.setattr(staff_module, "_hasher", Slow())
    monkeypatch.setattr(staff_module, "_VERIFYING", _threading.BoundedSemaphore(2))
    threads = [_threading.Thread(target=staff_module._hasher_dummy_verify, args=("x",)) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 2
