"""Rasa's SQL tracker store on the app's own database (DATABASE_URL or the SQLite default)."""
from __future__ import annotations

from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from sqlalchemy.engine import make_url

from bot.config import database_url


class AppTrackerStore(SQLTrackerStore):
    """Configured by endpoints.yml as `type: bot.tracker_store.AppTrackerStore`."""

    def __init__(
        self,
        domain: Domain | None = None,
        host: str | None = None,
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        url = database_url()
        # A full URL in `host` is taken as is by SQLTrackerStore.get_db_url.
        super().__init__(
            domain=domain,
            dialect=make_url(url).get_backend_name(),
            host=url,
            event_broker=event_broker,
            **kwargs,
        )
