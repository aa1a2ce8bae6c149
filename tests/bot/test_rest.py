"""The readiness route of our REST channel: ready only with a model loaded."""

from __future__ import annotations

import pytest

pytest.importorskip("rasa.core.agent")

from addons.rest import READY_ROUTE, RestInput, readiness
from civic import rasa_rest
from rasa.core.agent import Agent


def test_an_agent_without_a_model_is_not_ready() -> None:
    # what `rasa run` holds before its model server answers: it serves GET / and ignores every message
    assert readiness(Agent()) == (503, {"status": "no_model"})
    assert readiness(None) == (503, {"status": "no_model"})


def test_the_route_sits_beside_the_webhook() -> None:
    async def ignore(_message: object) -> None:
        return None

    blueprint = RestInput().blueprint(ignore)  # type: ignore[arg-type]
    uris = {route.uri for route in blueprint._future_routes}
    assert {"/", "/webhook", READY_ROUTE} <= uris
    # the paths the gateway calls (civic/rasa_rest.py): Rasa mounts a channel under /webhooks/<its name>
    assert rasa_rest.READY_PATH == f"/webhooks/{RestInput.name()}{READY_ROUTE}" == "/webhooks/rest/ready"
    assert rasa_rest.WEBHOOK_PATH == f"/webhooks/{RestInput.name()}/webhook"
