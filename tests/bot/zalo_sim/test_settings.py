from __future__ import annotations

import pytest

from bot.zalo_sim.settings import Settings


def test_defaults_match_what_the_connector_is_seeded_with():
    settings = Settings.from_env({})

    assert settings == Settings()
    assert (settings.app_id, settings.oa_id, settings.initial_access_token, settings.initial_refresh_token) == (
        "sim-app", "sim-oa", "sim-access-0", "sim-refresh-0")
    assert settings.webhook_url == "http://localhost:8000/webhooks/zalo/webhook"
    assert settings.retry_schedule == (30, 300, 900, 1800, 3600)


def test_environment_overrides_the_defaults():
    settings = Settings.from_env({
        "ZALO_SIM_WEBHOOK_URL": "http://127.0.0.1:5006/webhooks/zalo/webhook",
        "ZALO_SIM_ACCESS_TOKEN_TTL": "60",
        "ZALO_SIM_RETRY_SCHEDULE": "0.1, 0.2",
        "ZALO_SIM_OA_SECRET_KEY": "",
    })

    assert settings.webhook_url == "http://127.0.0.1:5006/webhooks/zalo/webhook"
    assert settings.access_token_ttl == 60
    assert settings.retry_schedule == (0.1, 0.2)
    assert settings.oa_secret_key == "sim-oa-secret"


def test_a_bad_retry_schedule_names_the_value():
    with pytest.raises(ValueError, match="ZALO_SIM_RETRY_SCHEDULE.*'30,,60'"):
        Settings.from_env({"ZALO_SIM_RETRY_SCHEDULE": "30,,60"})
