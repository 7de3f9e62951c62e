"""The test lanes' own promises: cheap password hashing in tests only, the product's stays strong;
a missing service skips a test only outside CI."""
from __future__ import annotations

from bot.handoff import staff


def test_tests_hash_passwords_cheaply(cheap_password_hashing):
    assert staff._hasher.memory_cost == 8 and staff._hasher.time_cost == 1


def test_the_products_password_hashing_stays_strong(cheap_password_hashing):
    strong = cheap_password_hashing
    # argon2-cffi's RFC 9106 "low memory" profile: 64 MiB, 3 passes.
    assert strong.memory_cost >= 65536 and strong.time_cost >= 3


def test_a_missing_service_skips_a_test_on_a_workstation_and_fails_it_in_ci(monkeypatch):
    import pytest

    from tests.conftest import unavailable

    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="initdb"):
        unavailable("initdb not found")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI: initdb"):
        unavailable("initdb not found")
