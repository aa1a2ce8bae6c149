"""Rasa's REST channel, unchanged (same name, same /webhooks/rest/webhook), loading our speed-ups, plus a readiness
route: GET /webhooks/rest/ready is 200 only when a model is loaded.

Rasa's own GET / ("Hello from Rasa") answers with no model at all: `rasa run` with a model server (endpoints.yml
`models: url`) it has not reached yet starts, answers GET / and returns [] for every message ("Ignoring message as
there is no agent to handle it"). /status needs --enable-api, which would let any caller rewrite trackers; so the
gateway's /readyz and the Kubernetes and compose probes ask this route instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput as _RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from addons import speedups
from civic import rasa_rest

speedups.apply()

READY_ROUTE = rasa_rest.READY_ROUTE  # under the channel's /webhooks/rest, the gateway's READY_PATH


def readiness(agent: Any) -> tuple[int, dict[str, str]]:
    """(HTTP status, body) for the readiness route: 200 once the agent has a model loaded, 503 before or without one."""
    if agent is not None and agent.is_ready():
        return 200, {"status": "ready"}
    return 503, {"status": "no_model"}


class RestInput(_RasaRestInput):
    """credentials.yml names this class so that Rasa imports this module, and with it the speed-ups."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.route(READY_ROUTE, methods=["GET"])
        async def ready(request: Request) -> HTTPResponse:
            status, body = readiness(getattr(request.app.ctx, "agent", None))
            return response.json(body, status=status)

        return webhook
