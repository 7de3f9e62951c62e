import asyncio

import httpx
import pytest

from connectors.zalo.api import ZaloApiClient, ZaloApiError
from connectors.zalo.delivery import deliver

USER = "2512523625412515"


async def _no_sleep(_: float) -> None:
    return None


def test_send_text_posts_the_documented_body(client, fake_zalo):
    result = asyncio.run(client.send_text(USER, "Xin chào"))
    assert fake_zalo.sent == [{"recipient": {"user_id": USER}, "message": {"text": "Xin chào"}}]
    assert result.message_id == "m1" and result.quota["quota_type"] == "reply"


def test_expired_token_is_refreshed_and_the_send_retried_once(fake_zalo, fake_tokens):
    fake_tokens.token = "old-token"  # Zalo answers -216 to it
    client = ZaloApiClient("https://openapi.zalo.me", fake_tokens, http=httpx.AsyncClient(transport=httpx.MockTransport(fake_zalo.handler)))
    asyncio.run(client.send_text(USER, "Xin chào"))
    assert fake_tokens.refreshes == 1 and len(fake_zalo.sent) == 1


def test_a_token_refused_twice_is_an_error_not_a_loop(fake_zalo, fake_tokens, client):
    fake_zalo.errors = [-220, -220]
    with pytest.raises(ZaloApiError) as error:
        asyncio.run(client.send_text(USER, "Xin chào"))
    assert error.value.code == -220 and fake_tokens.refreshes == 1


@pytest.mark.parametrize("errors", [[-32], [-32, 502], [503, 504, -32]])
def test_rate_limits_and_server_errors_are_retried_then_sent(client, fake_zalo, errors):
    fake_zalo.errors = list(errors)
    delivery = asyncio.run(deliver(client, USER, "Xin chào", sleep=_no_sleep))
    assert delivery.status == "sent" and delivery.attempts == len(errors) + 1


def test_retries_are_bounded_and_the_reply_kept_as_undelivered(client, fake_zalo):
    fake_zalo.errors = [-32] * 10
    delivery = asyncio.run(deliver(client, USER, "Xin chào", max_attempts=3, sleep=_no_sleep))
    assert (delivery.status, delivery.attempts, delivery.error_code) == ("undelivered", 3, -32)
    assert fake_zalo.sent == []


def test_a_timeout_is_retried(fake_tokens, fake_zalo):
    calls = []

    def flaky(request):
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ReadTimeout("slow", request=request)
        return fake_zalo.handler(request)

    client = ZaloApiClient("https://openapi.zalo.me", fake_tokens, http=httpx.AsyncClient(transport=httpx.MockTransport(flaky)))
    assert asyncio.run(deliver(client, USER, "Xin chào", sleep=_no_sleep)).status == "sent"


@pytest.mark.parametrize("code", [-230, -232, -213, -217, -227, -210])
def test_closed_window_and_unreachable_citizens_are_not_retried(client, fake_zalo, code):
    fake_zalo.errors = [code, -32, -32]
    delivery = asyncio.run(deliver(client, USER, "Xin chào", sleep=_no_sleep))
    assert (delivery.status, delivery.attempts, delivery.error_code) == ("refused", 1, code)


def test_display_name_is_cached(client, fake_zalo):
    assert asyncio.run(client.display_name(USER)) == "Nguyễn Văn An"
    fake_zalo.detail_errors = [-201]
    assert asyncio.run(client.display_name(USER)) == "Nguyễn Văn An"


def test_display_name_failure_is_none(client, fake_zalo):
    fake_zalo.detail_errors = [-201]
    assert asyncio.run(client.display_name(USER)) is None


def test_a_server_error_is_retried_at_once_and_a_rate_limit_after_a_pause(client, fake_zalo):
    from connectors.zalo.delivery import BACKOFF_SECONDS, TRANSIENT_FIRST_RETRY_SECONDS

    slept: list[float] = []

    async def record(seconds: float) -> None:
        slept.append(seconds)

    fake_zalo.errors = [503, 503, 503]
    assert asyncio.run(deliver(client, USER, "Xin chào", sleep=record)).attempts == 4
    assert slept == [TRANSIENT_FIRST_RETRY_SECONDS, BACKOFF_SECONDS, 2 * BACKOFF_SECONDS]
    slept.clear()
    fake_zalo.errors = [-32]
    assert asyncio.run(deliver(client, USER, "Xin chào", sleep=record)).status == "sent"
    assert slept == [BACKOFF_SECONDS]
