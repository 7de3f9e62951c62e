import threading
from datetime import timedelta

import pytest

from bot.zalo_store import TokenPair, now
from connectors.zalo.tokens import OAuthError, TokenManager


class FakeOAuth:
    """Zalo OAuth v4 with single-use refresh tokens."""

    def __init__(self) -> None:
        self.valid = {"refresh-0"}
        self.calls = 0
        self.lock = threading.Lock()

    def refresh(self, refresh_token: str) -> TokenPair:
        with self.lock:
            self.calls += 1
            if refresh_token not in self.valid:
                raise OAuthError(-14014, "Invalid refresh token", "used or unknown")
            self.valid.discard(refresh_token)
            fresh = f"refresh-{self.calls}"
            self.valid.add(fresh)
            return TokenPair(f"access-{self.calls}", fresh, now() + timedelta(hours=25))


def _run(coro):
    import asyncio

    return asyncio.run(coro)


def test_a_token_about_to_expire_is_refreshed_before_use(store):
    store.seed_token("access-0", "refresh-0", now() + timedelta(minutes=2))
    oauth = FakeOAuth()
    assert _run(TokenManager(store, oauth).access_token()) == "access-1"
    assert store.token().refresh_token == "refresh-1"


def test_a_valid_token_is_used_as_is(store):
    store.seed_token("access-0", "refresh-0", now() + timedelta(hours=20))
    oauth = FakeOAuth()
    assert _run(TokenManager(store, oauth).access_token()) == "access-0" and oauth.calls == 0


def test_seeding_does_not_overwrite_a_stored_pair(store):
    store.seed_token("access-0", "refresh-0", now() + timedelta(hours=20))
    store.seed_token("access-env", "refresh-env", now() + timedelta(hours=20))
    assert store.token().access_token == "access-0"


def test_many_workers_refreshing_at_once_spend_the_refresh_token_once(store):
    store.seed_token("access-0", "refresh-0", now() + timedelta(hours=20))
    oauth = FakeOAuth()
    managers = [TokenManager(store, oauth) for _ in range(6)]  # as if six processes
    results: list[str] = []

    def worker(manager):
        results.append(manager._refresh_locked("access-0"))

    threads = [threading.Thread(target=worker, args=(m,)) for m in managers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert oauth.calls == 1
    assert results == ["access-1"] * 6
    assert store.token().refresh_token == "refresh-1"


def test_a_failed_refresh_keeps_the_good_pair_and_says_consent_is_needed(store, caplog):
    store.seed_token("access-0", "refresh-spent", now() + timedelta(hours=20))
    with pytest.raises(OAuthError):
        _run(TokenManager(store, FakeOAuth()).refresh(stale="access-0"))
    pair = store.token()
    assert (pair.access_token, pair.refresh_token, pair.status) == ("access-0", "refresh-spent", "reconsent_required")
    assert "must grant the app access again" in caplog.text
