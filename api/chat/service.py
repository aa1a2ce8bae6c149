"""ChatService: one citizen turn through Rasa's REST channel, or from search when Rasa is down or slow."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from typing import Any, get_args

import httpx

from api.answer.service import Answer, Answerer
from api.chat.cards import build_card
from api.chat.content import Messages
from api.chat.schemas import Button, Channel, ChatMessage, ChatMeta, ChatReply, Route, RouteKind
from api.state import AppState
from civic import rasa_rest
from index.text import fold

log = logging.getLogger(__name__)

# the bot's REST channel (bot/addons/rest.py); READY_PATH is 200 only with a model loaded, Rasa's GET / without one
REST_PATH, READY_PATH = rasa_rest.WEBHOOK_PATH, rasa_rest.READY_PATH
CARD_ROUTES = {"guide", "bundle", "window"}
ROUTE_KINDS = frozenset(get_args(RouteKind))
# a button payload: "/intent" or "/intent{...json entities...}" (Rasa's syntax, bypasses NLU)
PAYLOAD_RE = re.compile(r"^/(?P<intent>[a-z_]+)(?P<entities>\{.*\})?$", re.DOTALL)
PAYLOAD_ID_KEYS = ("guide_id", "bundle_id", "window_id", "id")
HOTLINE_PAYLOAD = "/hotline"
COMPLAINT_PAYLOAD = "/file_complaint"
HUMAN_PAYLOAD = "/request_human"


class RasaUnavailable(Exception):
    """Rasa did not answer usably within the budget."""


class Breaker:
    """After `failures` Rasa failures in a row, skip Rasa for `cooldown_s` so citizens do not each wait."""

    def __init__(self, failures: int, cooldown_s: float) -> None:
        self.failures = failures
        self.cooldown_s = cooldown_s
        self._streak = 0
        self._open_until = 0.0

    def allow(self) -> bool:
        return time.monotonic() >= self._open_until

    def success(self) -> None:
        self._streak = 0
        self._open_until = 0.0

    def failure(self) -> None:
        self._streak += 1
        if self.failures > 0 and self._streak >= self.failures:
            self._open_until = time.monotonic() + self.cooldown_s
            self._streak = 0


def parse_payload(message: str) -> tuple[str, dict[str, Any]] | None:
    """('choose_guide', {'guide_id': ...}) for a button payload; None for words."""
    m = PAYLOAD_RE.match(message.strip())
    if m is None:
        return None
    entities: dict[str, Any] = {}
    if m.group("entities"):
        try:
            parsed = json.loads(m.group("entities"))
        except ValueError:
            return None
        if isinstance(parsed, dict):
            entities = parsed
    return m.group("intent"), entities


class RasaChatService:
    """Implements api.chat.schemas.ChatService against Rasa's REST channel with a search fallback."""

    def __init__(
        self,
        *,
        state: AppState,
        answerer: Answerer,
        client: httpx.AsyncClient,
        rasa_url: str,
        messages: Messages,
        budget_s: float = 3.0,
        breaker: Breaker | None = None,
    ) -> None:
        self.state = state
        self.answerer = answerer
        self.client = client
        self.rasa_url = rasa_url.rstrip("/")
        self.messages = messages
        self.budget_s = budget_s
        self.breaker = breaker or Breaker(3, 10.0)

    async def turn(self, *, sender: str, message: str, channel: Channel) -> ChatReply:
        if self.breaker.allow():
            try:
                raw = await self._ask_rasa(sender=sender, message=message, channel=channel)
            except RasaUnavailable as exc:
                self.breaker.failure()
                log.warning("rasa unavailable (%s); answering from search", exc)
            else:
                self.breaker.success()
                return self.from_rasa(raw)
        return await self.degraded(message)

    async def rasa_reachable(self, timeout_s: float = 1.0) -> bool:
        """Rasa answers and has a model loaded."""
        try:
            resp = await self.client.get(self.rasa_url + READY_PATH, timeout=timeout_s)
        except httpx.HTTPError:
            return False
        return resp.status_code == 200

    async def _ask_rasa(self, *, sender: str, message: str, channel: Channel) -> list[dict[str, Any]]:
        words = message if message.startswith("/") else fold(message)  # "身份證過期了怎麼換" as trained
        body = {"sender": sender, "message": words, "metadata": {"channel": channel}}
        try:
            async with asyncio.timeout(self.budget_s):
                resp = await self.client.post(self.rasa_url + REST_PATH, json=body, timeout=self.budget_s)
        except TimeoutError as exc:
            raise RasaUnavailable(f"no answer within {self.budget_s:.1f}s") from exc
        except httpx.HTTPError as exc:
            raise RasaUnavailable(type(exc).__name__) from exc
        if resp.status_code != 200:
            raise RasaUnavailable(f"status {resp.status_code}")
        try:
            data = resp.json()
        except ValueError as exc:
            raise RasaUnavailable("invalid JSON") from exc
        if not isinstance(data, list):
            raise RasaUnavailable("not a list of messages")
        return [m for m in data if isinstance(m, dict)]

    def from_rasa(self, raw: list[dict[str, Any]]) -> ChatReply:
        """Rasa REST messages -> channel-neutral messages; the last meta payload becomes `meta`."""
        messages: list[ChatMessage] = []
        meta = ChatMeta()
        anchors: dict[str, int] = {}  # route id -> where its first message ends, so the card follows that text
        for m in raw:
            text = m.get("text")
            buttons = [
                Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
                for b in m.get("buttons") or []
                if isinstance(b, dict) and b.get("payload")
            ]
            if isinstance(text, str) and text.strip():
                messages.append(ChatMessage(type="buttons" if buttons else "text", text=text, buttons=buttons))
            elif buttons:
                messages.append(ChatMessage(type="buttons", buttons=buttons))
            custom = m.get("custom")
            if isinstance(custom, dict):
                meta = self._meta_from_custom(custom, meta)
                if meta.route.id:
                    anchors.setdefault(meta.route.id, len(messages))
                card = custom.get("guide_card") or custom.get("card")
                if isinstance(card, dict):
                    url = card.get("url")
                    messages.append(
                        ChatMessage(
                            type="guide_card",
                            card=card,
                            text=str(card.get("name", "")),
                            url=url if isinstance(url, str) else None,
                        )
                    )
                link = custom.get("link") or custom.get("url")
                if isinstance(link, str):
                    messages.append(ChatMessage(type="link", url=link, text=str(custom.get("title", link))))
        if not messages:
            messages.append(self._text("degraded", "bot_silent"))
        self._add_route_card(messages, meta, anchors.get(meta.route.id or "", len(messages)))
        return ChatReply(messages=messages, meta=meta)

    @staticmethod
    def _meta_from_custom(custom: dict[str, Any], current: ChatMeta) -> ChatMeta:
        if not any(k in custom for k in ("intent", "confidence", "route")):
            return current
        raw_route = custom.get("route")
        route: dict[str, Any] = raw_route if isinstance(raw_route, dict) else {}
        kind = route.get("kind")
        rid = route.get("id")
        conf = custom.get("confidence")
        return ChatMeta(
            intent=str(custom["intent"]) if custom.get("intent") is not None else None,
            confidence=float(conf) if isinstance(conf, int | float) else None,
            route=Route(kind=kind if kind in ROUTE_KINDS else "none", id=str(rid) if rid is not None else None),  # type: ignore[arg-type]
        )

    def _add_route_card(self, messages: list[ChatMessage], meta: ChatMeta, at: int) -> None:
        """When the bot answered about a guide without a card, add the card so channels can show the checklist."""
        if meta.route.kind not in CARD_ROUTES or not meta.route.id:
            return
        if any(m.type in ("guide_card", "link") for m in messages):  # an answer from /api/answer is complete
            return
        card = build_card(self.state.catalogue, meta.route.id, self.messages)
        if card is not None:
            messages.insert(at, ChatMessage(type="guide_card", text=card["name"], card=card, url=card["url"]))

    # ---- degraded path: search directly, never silence ----

    async def degraded(self, message: str) -> ChatReply:
        payload = parse_payload(message)
        if payload is not None:
            reply = self._degraded_payload(*payload)
        else:
            reply = await self._degraded_search(message)
        reply.meta.degraded = True
        return reply

    def _degraded_payload(self, intent: str, entities: dict[str, Any]) -> ChatReply:
        if intent == "hotline":
            return self._reply([self._text("degraded", "hotline"), self._hotline_link()], intent)
        if intent == "file_complaint":
            msgs = [self._text("degraded", "complaint"), self._hotline_link()]
            return self._reply(msgs, intent, Route(kind="complaint"))
        if intent == "request_human":
            return self._reply([self._text("degraded", "human"), self._hotline_link()], intent, Route(kind="handoff"))
        for key in PAYLOAD_ID_KEYS:
            entry_id = entities.get(key)
            if isinstance(entry_id, str) and self.state.catalogue.kind_of(entry_id):
                asked = "whole" if intent == "show_bundle" else None  # "看整套材料清单" asks for the checklist
                return self._answer_reply(self.answerer.answer(None, entry_id=entry_id, asked=asked), intent)
        return self._not_found(intent)

    async def _degraded_search(self, message: str) -> ChatReply:
        if self.state.searcher is None:
            return self._not_found(None)
        answer = await asyncio.to_thread(self.answerer.answer, message)  # blank or punctuation-only: abstains
        return self._answer_reply(answer, None)

    def _answer_reply(self, answer: Answer, intent: str | None) -> ChatReply:
        """The same answer decision and wording as the full path; an abstention offers the ways out."""
        if answer.decision == "abstain":
            return self._not_found(intent, answer.confidence)
        if answer.decision == "complaint":  # a grievance: say how to file it while the form is unavailable
            return self._degraded_payload("file_complaint", {})
        return self._reply(list(answer.messages), intent, answer.route, answer.confidence)

    def _not_found(self, intent: str | None, confidence: float | None = None) -> ChatReply:
        b = self.messages.section("buttons")
        msg = ChatMessage(
            type="buttons",
            text=self.messages.text("degraded", "not_found"),
            buttons=[
                Button(title=b["hotline"], payload=HOTLINE_PAYLOAD),
                Button(title=b["complaint"], payload=COMPLAINT_PAYLOAD),
                Button(title=b["human"], payload=HUMAN_PAYLOAD),
            ],
        )
        return self._reply([msg, self._hotline_link()], intent, Route(kind="none"), confidence)

    def _hotline_link(self) -> ChatMessage:
        hotline = self.state.catalogue.site.hotline
        return self._link(self.messages.text("buttons", "hotline"), f"tel:{hotline}")

    @staticmethod
    def _link(text: str, url: str) -> ChatMessage:
        return ChatMessage(type="link", text=text, url=url)

    def _text(self, section: str, key: str) -> ChatMessage:
        return ChatMessage(type="text", text=self.messages.text(section, key))

    @staticmethod
    def _reply(
        messages: list[ChatMessage],
        intent: str | None,
        route: Route | None = None,
        confidence: float | None = None,
    ) -> ChatReply:
        conf = round(min(1.0, max(0.0, confidence)), 4) if confidence is not None else None  # fused scores pass 1
        return ChatReply(messages=messages, meta=ChatMeta(intent=intent, confidence=conf, route=route or Route()))
