"""The in-process gateway rig of the handoff and channel tests: an app under TestClient and a fake Rasa calling back.

The fake Rasa's 转人工 opens the handoff through POST /api/handoffs with the internal token, as
bot/actions/handoff.py does, so the rig's handoffs are the gateway's own rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from fastapi.testclient import TestClient

from api.core.db import Database
from api.handoff import service
from api.handoff.models import Handoff
from api.settings import Settings
from tests.support.app import gateway_client
from tests.support.fake_rasa import FakeRasa


@dataclass
class GatewayRig:
    """A running app and the fake Rasa wired to it; each test module adds the requests its tests make."""

    client: TestClient
    rasa: FakeRasa

    @property
    def db(self) -> Database:
        db: Database = self.client.app.state.cases.db  # type: ignore[attr-defined]
        return db

    def handoff(self, handoff_id: int) -> Handoff:
        with self.db.sessions() as session:
            h = session.get(Handoff, handoff_id)
            assert h is not None
            _ = h.messages  # loaded before the session closes
            return h

    def thread(self, handoff_id: int) -> list[tuple[str, str]]:
        return [(m.author, m.text) for m in self.handoff(handoff_id).messages]

    def agent_says(self, handoff_id: int, text: str) -> int:
        with self.db.sessions() as session:
            h = session.get(Handoff, handoff_id)
            assert h is not None
            return service.agent_reply(session=session, handoff=h, text=text, agent="agent-1").id

    def age(self, handoff_id: int, **delta: float) -> None:
        """Move the handoff's clocks back, as if that much time had passed."""
        with self.db.sessions() as session:
            h = session.get(Handoff, handoff_id)
            assert h is not None
            back = timedelta(**delta)
            h.created_at -= back
            h.agent_at = h.agent_at - back if h.agent_at else None
            h.acked_at = h.acked_at - back if h.acked_at else None
            session.commit()


@contextmanager
def running(*, token: str, settings_for: Callable[[str], Settings]) -> Iterator[tuple[TestClient, FakeRasa, Settings]]:
    """A fake Rasa that opens handoffs with `token`, and the app `settings_for(rasa_url)` describes, both started."""
    rasa = FakeRasa(internal_token=token).start()
    try:
        settings = settings_for(rasa.url)
        with gateway_client(settings) as client:
            rasa.gateway = client
            yield client, rasa, settings
    finally:
        rasa.stop()
