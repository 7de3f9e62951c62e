"""OA access tokens with an expiry, and single-use refresh tokens (OAuth v4, fact sheet §4)."""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from bot.zalo_sim import errors


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass
class TokenStore:
    ttl: float
    access: dict[str, float] = field(default_factory=dict)
    refresh: set[str] = field(default_factory=set)
    _issued: int = 0

    @classmethod
    def seeded(cls, access_token: str, refresh_token: str, ttl: float) -> TokenStore:
        store = cls(ttl=ttl)
        store.access[access_token] = time.time() + ttl
        store.refresh.add(refresh_token)
        return store

    def check(self, token: str | None) -> None:
        """Raise the Zalo error an API call with this `access_token` header gets."""
        expires_at = self.access.get(token or "")
        if expires_at is None:
            raise errors.ZaloError(errors.INVALID_ACCESS_TOKEN)
        if expires_at <= time.time():
            raise errors.ZaloError(errors.EXPIRED_ACCESS_TOKEN)

    def rotate(self, refresh_token: str) -> TokenPair:
        """A new pair for a valid refresh token, which is spent; old access tokens live on until expiry."""
        if refresh_token not in self.refresh:
            raise errors.OAuthError(
                errors.OAUTH_INVALID_REFRESH_TOKEN,
                "Invalid refresh token",
                "Refresh token is invalid, expired or has already been used",
            )
        self.refresh.discard(refresh_token)
        self._issued += 1
        # The random part keeps tokens issued before a reset from becoming valid again.
        suffix = f"{self._issued}-{secrets.token_hex(6)}"
        pair = TokenPair(f"sim-access-{suffix}", f"sim-refresh-{suffix}", int(self.ttl))
        self.access[pair.access_token] = time.time() + self.ttl
        self.refresh.add(pair.refresh_token)
        return pair

    def expire_all(self) -> None:
        now = time.time()
        self.access = {token: min(expires_at, now) for token, expires_at in self.access.items()}
