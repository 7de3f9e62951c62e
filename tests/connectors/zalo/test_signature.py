import json

import pytest

from connectors.zalo.signature import compute_signature, signature_header, verify_signature

APP_ID, KEY, APP_SECRET = "430915720542338", "oa-secret-key", "app-secret"
RAW = json.dumps({"app_id": APP_ID, "event_name": "user_send_text", "timestamp": "1763900000000",
                  "message": {"text": "căn cước"}}, ensure_ascii=False).encode("utf-8")
TS = "1763900000000"


def test_signature_is_sha256_of_app_id_body_timestamp_key():
    import hashlib

    expected = hashlib.sha256(APP_ID.encode() + RAW + TS.encode() + KEY.encode()).hexdigest()
    assert compute_signature(APP_ID, RAW, TS, KEY) == expected


@pytest.mark.parametrize("header", [
    signature_header(APP_ID, RAW, TS, KEY),
    compute_signature(APP_ID, RAW, TS, KEY),
    "MAC=" + compute_signature(APP_ID, RAW, TS, KEY).upper(),
    "  mac=" + compute_signature(APP_ID, RAW, TS, KEY) + " ",
])
def test_signature_accepts_value_with_or_without_mac_prefix(header):
    assert verify_signature(header, APP_ID, RAW, TS, KEY)


def test_signature_with_wrong_key_is_refused():
    assert not verify_signature(signature_header(APP_ID, RAW, TS, "other"), APP_ID, RAW, TS, KEY)


def test_signature_made_with_the_app_secret_by_mistake_is_refused():
    assert not verify_signature(signature_header(APP_ID, RAW, TS, APP_SECRET), APP_ID, RAW, TS, KEY)


def test_signature_over_a_reserialised_body_is_refused():
    reserialised = json.dumps(json.loads(RAW)).encode()  # ASCII escapes change the bytes
    assert reserialised != RAW
    assert not verify_signature(signature_header(APP_ID, reserialised, TS, KEY), APP_ID, RAW, TS, KEY)


@pytest.mark.parametrize("header", [None, "", "mac=", "mac=zzzz", "không hợp lệ"])
def test_missing_or_garbage_signature_is_refused(header):
    assert not verify_signature(header, APP_ID, RAW, TS, KEY)


def test_empty_key_never_verifies():
    assert not verify_signature(signature_header(APP_ID, RAW, TS, ""), APP_ID, RAW, TS, "")
