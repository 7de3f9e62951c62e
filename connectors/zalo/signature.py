"""Zalo's webhook signature: sha256(app_id + raw body + timestamp + OA secret key), hex.

Zalo sends it in `X-ZEvent-Signature`, usually as `mac=<hex>`. It is a plain SHA-256, not an
HMAC, and the key is the OA Secret Key, not the App Secret (../shared/zalo-oa-api.md §2.1).
"""
from __future__ import annotations

import hashlib
import hmac

HEADER = "X-ZEvent-Signature"
_PREFIX = "mac="


def compute_signature(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The lowercase hex digest Zalo computes over the raw request body."""
    digest = hashlib.sha256()
    digest.update(app_id.encode("utf-8"))
    digest.update(body)
    digest.update(timestamp.encode("utf-8"))
    digest.update(oa_secret_key.encode("utf-8"))
    return digest.hexdigest()


def signature_header(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """The header value as Zalo sends it: `mac=<hex>`."""
    return _PREFIX + compute_signature(app_id, body, timestamp, oa_secret_key)


def verify_signature(header: str | None, app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> bool:
    """True when `header` (with or without `mac=`) matches; compared in constant time."""
    if not header or not oa_secret_key:
        return False
    value = header.strip()
    if value.lower().startswith(_PREFIX):
        value = value[len(_PREFIX) :].strip()
    expected = compute_signature(app_id, body, timestamp, oa_secret_key)
    return hmac.compare_digest(value.lower().encode("ascii", "replace"), expected.encode("ascii"))


# The web process forwards each citizen turn to Rasa's Zalo channel; Rasa trusts a turn only
# when it is signed with the same OA secret key (an HMAC, since this one is ours to choose).
GATEWAY_HEADER = "X-Zalo-Gateway-Signature"


def gateway_signature(body: bytes, oa_secret_key: str) -> str:
    return hmac.new(oa_secret_key.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_gateway_signature(header: str | None, body: bytes, oa_secret_key: str) -> bool:
    if not header or not oa_secret_key:
        return False
    expected = gateway_signature(body, oa_secret_key)
    return hmac.compare_digest(header.strip().lower().encode("ascii", "replace"), expected.encode("ascii"))
