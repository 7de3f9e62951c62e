from connectors.zalo.channel import ZaloInput
from connectors.zalo.settings import ZaloSettings

SIMULATOR = {"app_id": "sim-app", "app_secret": "s", "oa_secret_key": "k", "access_token": "a",
             "refresh_token": "r", "api_base": "http://localhost:8000/zalo-sim/openapi",
             "oauth_base": "http://localhost:8000/zalo-sim/oauth"}


def test_the_channel_is_named_zalo_so_zalo_posts_to_webhooks_zalo_webhook():
    assert ZaloInput.name() == "zalo"


def test_credentials_file_values_are_used_without_environment(monkeypatch):
    for var in ("ZALO_APP_ID", "ZALO_APP_SECRET", "ZALO_OA_SECRET_KEY", "ZALO_API_BASE", "ZALO_OAUTH_BASE"):
        monkeypatch.delenv(var, raising=False)
    assert ZaloSettings.from_credentials(SIMULATOR).api_base == "http://localhost:8000/zalo-sim/openapi"


def test_a_real_app_in_the_environment_replaces_the_simulator(monkeypatch):
    monkeypatch.setenv("ZALO_APP_ID", "430915720542338")
    monkeypatch.setenv("ZALO_OA_SECRET_KEY", "real-key")
    settings = ZaloSettings.from_credentials(SIMULATOR)
    assert (settings.app_id, settings.oa_secret_key) == ("430915720542338", "real-key")
    assert settings.api_base == "https://openapi.zalo.me"
    assert settings.oauth_base == "https://oauth.zaloapp.com"
    assert settings.access_token == ""


def test_missing_credentials_is_a_clear_error():
    import pytest
    from rasa.shared.exceptions import RasaException

    with pytest.raises(RasaException, match="zalo input channel"):
        ZaloInput.from_credentials(None)


def _agent_with(events):
    import types

    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker.from_events("84901", events) if events is not None else None

    async def retrieve(sender):
        return tracker

    return types.SimpleNamespace(tracker_store=types.SimpleNamespace(retrieve=retrieve))


def test_a_silent_turn_is_kept_only_when_the_action_ran():
    """Rasa answers a turn whose action call failed with nothing; the channel says 503 then, so
    the worker keeps the event, but a silence the core chose (a ticket holds the citizen) is 200."""
    import asyncio

    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered

    from connectors.zalo.channel import _action_ran

    ran = [UserUttered("hỏi lần 1", message_id="try-1"), ActionExecuted("action_respond"), SlotSet("failed_turns", 0.0),
           ActionExecuted("action_listen"), UserUttered("thêm vào yêu cầu", message_id="try-2"),
           ActionExecuted("action_respond"), SlotSet("failed_turns", 0.0), ActionExecuted("action_listen")]
    lost = ran[:5] + [ActionExecuted("action_respond"), ActionExecuted("action_listen")]
    assert asyncio.run(_action_ran(_agent_with(ran), "84901", "try-2"))
    assert not asyncio.run(_action_ran(_agent_with(lost), "84901", "try-2"))
    assert not asyncio.run(_action_ran(_agent_with(None), "84901", "try-2"))


def test_a_silent_turn_whose_tracker_was_not_saved_is_not_vouched_for_by_the_turn_before():
    """While PostgreSQL restarts, Rasa's FailSafeTrackerStore logs a failed save and goes on: the
    stored tracker then ends with the previous turn, whose slot must not pass for this one's."""
    import asyncio

    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered

    from connectors.zalo.channel import _action_ran

    before = [UserUttered("hỏi lần 1", message_id="try-1"), ActionExecuted("action_respond"),
              SlotSet("failed_turns", 0.0), ActionExecuted("action_listen")]
    assert asyncio.run(_action_ran(_agent_with(before), "84901", "try-1"))
    assert not asyncio.run(_action_ran(_agent_with(before), "84901", "try-2"))
