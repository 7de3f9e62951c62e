"""The simulator's keys, webhook target and timings, from ZALO_SIM_* environment variables."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

_DEFAULT_RETRY_SCHEDULE = (30.0, 300.0, 900.0, 1800.0, 3600.0)


@dataclass(frozen=True)
class Settings:
    app_id: str = "sim-app"
    # OAuth only (header `secret_key`); webhooks are signed with `oa_secret_key` instead.
    app_secret: str = "sim-app-secret"
    oa_secret_key: str = "sim-oa-secret"
    oa_id: str = "sim-oa"
    webhook_url: str = "http://localhost:8000/webhooks/zalo/webhook"
    # Zalo's access tokens live 25 h; `expires_in` is reported in seconds.
    access_token_ttl: float = 90000.0
    # The connector is seeded with this pair, so both work again after a reset.
    initial_access_token: str = "sim-access-0"
    initial_refresh_token: str = "sim-refresh-0"
    # Waits before each re-send of an undeliverable webhook (30 s, 5 min, 15 min, 30 min, 1 h).
    retry_schedule: tuple[float, ...] = _DEFAULT_RETRY_SCHEDULE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults overridden by ZALO_SIM_APP_ID, ..._WEBHOOK_URL, ..._RETRY_SCHEDULE ("30,300,...")."""
        env = os.environ if environ is None else environ
        defaults = cls()

        def text(name: str, default: str) -> str:
            return env.get(name, "").strip() or default

        schedule = env.get("ZALO_SIM_RETRY_SCHEDULE", "").strip()
        return cls(
            app_id=text("ZALO_SIM_APP_ID", defaults.app_id),
            app_secret=text("ZALO_SIM_APP_SECRET", defaults.app_secret),
            oa_secret_key=text("ZALO_SIM_OA_SECRET_KEY", defaults.oa_secret_key),
            oa_id=text("ZALO_SIM_OA_ID", defaults.oa_id),
            webhook_url=text("ZALO_SIM_WEBHOOK_URL", defaults.webhook_url),
            access_token_ttl=float(text("ZALO_SIM_ACCESS_TOKEN_TTL", str(defaults.access_token_ttl))),
            initial_access_token=text("ZALO_SIM_ACCESS_TOKEN", defaults.initial_access_token),
            initial_refresh_token=text("ZALO_SIM_REFRESH_TOKEN", defaults.initial_refresh_token),
            retry_schedule=_parse_schedule(schedule) if schedule else defaults.retry_schedule,
        )


def _parse_schedule(value: str) -> tuple[float, ...]:
    """"30,300,900" -> (30.0, 300.0, 900.0); an empty item is an error, not a zero."""
    try:
        return tuple(float(item) for item in value.split(","))
    except ValueError as exc:
        raise ValueError(f"ZALO_SIM_RETRY_SCHEDULE must be comma-separated seconds, got {value!r}") from exc
