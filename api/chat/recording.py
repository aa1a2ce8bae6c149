"""The one chat path of every channel: handoff mode first, then the bot, then the turn's record for the console."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from api.chat import feedback
from api.chat.content import Messages
from api.chat.schemas import Channel, ChatMessage, ChatMeta, ChatReply, ChatService, Route
from api.core.db import Database
from api.handoff import mode
from api.handoff.service import record_turn_best_effort

log = logging.getLogger(__name__)


class TurnMetrics(Protocol):
    """api/observability/metrics.Metrics: counts outcomes per channel for /metrics."""

    def observe_turn(self, channel: Channel, meta: ChatMeta) -> None: ...


class RecordingChatService:
    """Wraps a ChatService; the widget, /api/chat, WeChat, the mini-program and Telegram all call this `turn`.

    While a person has the sender's conversation (an open handoff) the bot is not asked at all: the words go to
    the agent's thread (api/handoff/mode.py). Recording runs off the event loop and can never fail a turn.
    """

    def __init__(
        self,
        inner: ChatService,
        db: Database | None,
        metrics: TurnMetrics | None = None,
        *,
        messages: Messages | None = None,
        policy: mode.Policy | None = None,
    ) -> None:
        self.inner = inner
        self.db = db  # the gateway's (app.state.db); None or not ready: turns are answered, not recorded
        self.metrics = metrics
        self.messages = messages
        self.policy = policy  # None: no handoff mode (the bot answers every turn)

    def __getattr__(self, name: str) -> Any:  # rasa_reachable, degraded, … stay reachable
        return getattr(self.inner, name)

    async def turn(self, *, sender: str, message: str, channel: Channel, handoff_key: str | None = None) -> ChatReply:
        """`handoff_key`: what /api/chat was sent in X-Handoff-Key; a widget's words join its handoff only with it."""
        held = await asyncio.to_thread(self._hold, sender, message, channel, handoff_key)
        if held is not None:
            return self._held_reply(held)
        reply = await self.inner.turn(sender=sender, message=message, channel=channel)
        meta = reply.meta
        if meta.route.kind == "handoff" and meta.route.id and meta.route.id.isdigit():
            meta.handoff_state = "waiting"  # this turn opened the handoff (or found the open one): a person next
        if self.metrics is not None:
            self.metrics.observe_turn(channel, meta)
        confident = meta.route.kind in ("guide", "bundle", "window", "complaint") and (
            meta.confidence is None or meta.confidence >= 0.5
        )
        turn_id = await asyncio.to_thread(
            record_turn_best_effort,
            self.db,
            sender=sender,
            channel=channel,
            text=message,
            route_kind=meta.route.kind,
            route_id=meta.route.id,
            confident=confident,
            degraded=meta.degraded,
            handoff_key=handoff_key,
        )
        if turn_id is not None and feedback.rateable(meta):
            meta.feedback_turn = turn_id  # the widget's 有用 / 没用 / 没找到 and the channels' numbered line name it
        return reply

    def _hold(self, sender: str, message: str, channel: Channel, key: str | None) -> mode.Held | None:
        """Without a database the bot answers: a citizen is never left with silence because of an outage."""
        db = self.db
        if self.policy is None or self.messages is None or db is None or not db.ready:
            return None
        try:
            with db.sessions() as session:
                return mode.hold(
                    session=session,
                    sender=sender,
                    channel=channel,
                    text=message,
                    key=key,
                    policy=self.policy,
                    shown_as=self.messages.text("buttons", "human"),
                )
        except Exception:
            log.exception("handoff mode check failed; the bot answers this turn")
            return None

    def _held_reply(self, held: mode.Held) -> ChatReply:
        assert self.messages is not None
        said = [ChatMessage(text=self.messages.text("handoff", held.say))] if held.say else []
        meta = ChatMeta(route=Route(kind="handoff", id=str(held.handoff_id)), handoff_state="passed")
        return ChatReply(messages=said, meta=meta)
