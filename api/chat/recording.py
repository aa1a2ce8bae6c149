"""Record every turn's outcome, whatever the channel, for the console's figures and knowledge gaps."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from api.chat.schemas import Channel, ChatMeta, ChatReply, ChatService
from api.handoff.service import record_turn_best_effort


class TurnMetrics(Protocol):
    """api/observability/metrics.Metrics: counts outcomes per channel for /metrics."""

    def observe_turn(self, channel: Channel, meta: ChatMeta) -> None: ...


class RecordingChatService:
    """Wraps a ChatService; recording runs off the event loop and can never fail a turn."""

    def __init__(self, inner: ChatService, cases_runtime: Any, metrics: TurnMetrics | None = None) -> None:
        self.inner = inner
        self.cases_runtime = cases_runtime
        self.metrics = metrics

    def __getattr__(self, name: str) -> Any:  # rasa_reachable, degraded, … stay reachable
        return getattr(self.inner, name)

    async def turn(self, *, sender: str, message: str, channel: Channel, handoff_key: str | None = None) -> ChatReply:
        """`handoff_key`: what /api/chat was sent in X-Handoff-Key; a widget's words join its handoff only with it."""
        reply = await self.inner.turn(sender=sender, message=message, channel=channel)
        meta = reply.meta
        if self.metrics is not None:
            self.metrics.observe_turn(channel, meta)
        confident = meta.route.kind in ("guide", "bundle", "window", "complaint") and (
            meta.confidence is None or meta.confidence >= 0.5
        )
        await asyncio.to_thread(
            record_turn_best_effort,
            self.cases_runtime,
            sender=sender,
            channel=channel,
            text=message,
            route_kind=meta.route.kind,
            route_id=meta.route.id,
            confident=confident,
            degraded=meta.degraded,
            handoff_key=handoff_key,
        )
        return reply
