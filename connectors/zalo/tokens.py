"""The OA access/refresh token pair: stored in the database, refreshed before it expires.

Refresh tokens are single-use, so exactly one process may spend one: the refresh runs inside a
database transaction holding the token row's lock, writes the new pair before anyone uses it,
and on failure leaves the stored pair untouched.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import httpx

from bot.zalo_store import TOKEN_OK, TOKEN_RECONSENT, TokenPair, ZaloStore, now

logger = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)
# OAuth errors that mean the refresh token is spent or revoked: a person must redo the consent.
RECONSENT_ERRORS = frozenset({-118, -14014, -14002, -14003})


class OAuthError(Exception):
    def __init__(self, code: int, name: str, description: str) -> None:
        super().__init__(f"Zalo OAuth error {code} {name}: {description}")
        self.code = code
        self.reconsent_required = code in RECONSENT_ERRORS


class NoToken(Exception):
    """No token pair is stored and none is configured (ZALO_ACCESS_TOKEN / ZALO_REFRESH_TOKEN)."""


class OAuthClient:
    """Zalo OAuth v4: trade a refresh token for a new pair (form post, `secret_key` header)."""

    def __init__(self, oauth_base: str, app_id: str, app_secret: str, timeout: float = 10.0) -> None:
        self._url = oauth_base.rstrip("/") + "/v4/oa/access_token"
        self._app_id = app_id
        self._app_secret = app_secret
        self._timeout = timeout

    def refresh(self, refresh_token: str) -> TokenPair:
        response = httpx.post(
            self._url,
            data={"refresh_token": refresh_token, "app_id": self._app_id, "grant_type": "refresh_token"},
            headers={"secret_key": self._app_secret},
            timeout=self._timeout,
        )
        try:
            data = response.json()
        except ValueError as exc:
            raise OAuthError(response.status_code, "http", response.text[:200]) from exc
        if not data.get("access_token") or not data.get("refresh_token"):
            raise OAuthError(int(data.get("error") or -1), str(data.get("error_name", "")), str(data.get("error_description", "")))
        return TokenPair(
            access_token=str(data["access_token"]),
            refresh_token=str(data["refresh_token"]),
            expires_at=now() + timedelta(seconds=int(str(data.get("expires_in", "90000")))),
        )


class TokenManager:
    """Hands out a valid access token; refreshes under the database lock when due or refused."""

    def __init__(self, store: ZaloStore, oauth: OAuthClient, margin: timedelta = REFRESH_MARGIN) -> None:
        self._store = store
        self._oauth = oauth
        self._margin = margin
        self._local = asyncio.Lock()

    async def access_token(self) -> str:
        pair = await asyncio.to_thread(self._store.token)
        if pair is None:
            raise NoToken("no Zalo token pair is stored; set ZALO_ACCESS_TOKEN and ZALO_REFRESH_TOKEN")
        if pair.expires_within(self._margin):
            return await self.refresh(stale=pair.access_token)
        return pair.access_token

    async def refresh(self, stale: str | None) -> str:
        async with self._local:
            return await asyncio.to_thread(self._refresh_locked, stale)

    def status(self) -> str:
        pair = self._store.token()
        return pair.status if pair else "missing"

    def _refresh_locked(self, stale: str | None) -> str:
        try:
            with self._store.engine.begin() as conn:
                pair = self._store.lock_token(conn)
                if pair is None:
                    raise NoToken("no Zalo token pair is stored")
                if pair.access_token != stale and not pair.expires_within(self._margin):
                    return pair.access_token  # another worker or process refreshed it meanwhile
                fresh = self._oauth.refresh(pair.refresh_token)
                self._store.save_token(conn, fresh)
            logger.info("Zalo access token refreshed; valid until %s", fresh.expires_at.isoformat())
            return fresh.access_token
        except OAuthError as exc:
            status = TOKEN_RECONSENT if exc.reconsent_required else TOKEN_OK
            if exc.reconsent_required:
                logger.error(
                    "Zalo refused the refresh token (%s): an OA admin must grant the app access again "
                    "(OAuth v4 consent), then set ZALO_ACCESS_TOKEN/ZALO_REFRESH_TOKEN", exc,
                )
            else:
                logger.error("refreshing the Zalo token failed: %s", exc)
            self._store.mark_token_problem(status, str(exc))
            raise
        except httpx.HTTPError as exc:
            logger.error("refreshing the Zalo token failed: %s", exc)
            self._store.mark_token_problem(TOKEN_OK, f"refresh failed: {exc}")
            raise
