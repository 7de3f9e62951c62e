"""The Zalo app's keys and API addresses: credentials.yml's `connectors.zalo.channel.ZaloInput`
block, every value overridable by an environment variable.

Both processes read it: the web process (webhook gateway, API client) and Rasa (the turn route
checks the gateway's signature with the same OA secret key).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot import paths

CHANNEL_KEY = "connectors.zalo.channel.ZaloInput"
# credentials.yml key -> environment variable that overrides it
_SETTINGS = {
    "app_id": "ZALO_APP_ID",
    "app_secret": "ZALO_APP_SECRET",
    "oa_secret_key": "ZALO_OA_SECRET_KEY",
    "access_token": "ZALO_ACCESS_TOKEN",
    "refresh_token": "ZALO_REFRESH_TOKEN",
    "api_base": "ZALO_API_BASE",
    "oauth_base": "ZALO_OAUTH_BASE",
}
_DEFAULT_BASES = {"api_base": "https://openapi.zalo.me", "oauth_base": "https://oauth.zaloapp.com"}


@dataclass(frozen=True)
class ZaloSettings:
    app_id: str
    app_secret: str
    oa_secret_key: str
    access_token: str
    refresh_token: str
    api_base: str
    oauth_base: str

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any]) -> ZaloSettings:
        # A real app (ZALO_APP_ID) takes nothing from the file, whose values are the simulator's.
        file_values = {} if os.environ.get("ZALO_APP_ID") else credentials
        values = {
            key: os.environ.get(env) or str(file_values.get(key) or _DEFAULT_BASES.get(key, ""))
            for key, env in _SETTINGS.items()
        }
        return cls(**values)

    @classmethod
    def from_file(cls, path: Path | None = None) -> ZaloSettings:
        """From the credentials file Rasa is started with (ZALO_CREDENTIALS, else credentials.yml)."""
        path = path or Path(os.environ.get("ZALO_CREDENTIALS") or paths.ROOT / "credentials.yml")
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls.from_credentials(document.get(CHANNEL_KEY) or {})
