"""What every channel does with one inbound message: map a numbered reply, run the turn once, render, deliver."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from fastapi import HTTPException, Request

from api.channels import store
from api.channels.render import Rendered, offer_feedback, parse_choice, render, say
from api.channels.runtime import ChannelsRuntime
from api.chat import feedback
from api.chat.schemas import Button, Channel, ChatService
from api.handoff import delivery as handoff_delivery
from api.handoff.address import AddressBox

log = logging.getLogger(__name__)

T = TypeVar("T")

CHOICES_MAX_AGE = timedelta(hours=24)
MAX_MESSAGE_CHARS = 2000  # the ChatRequest limit
STALE_MARGIN_S = 2.0  # a row pending this long after the reply deadline belongs to a dead replica
SPOKEN_END = "。．. \t\r\n"  # the sentence stop WeChat's speech recognition ends with (and stray spaces)


async def read_body(request: Request, limit: int) -> bytes:
    """Reads at most `limit` bytes, whatever Content-Length claims (chunked bodies have none)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise HTTPException(status_code=413, detail="body too large")
    buf = bytearray()
    async for chunk in request.stream():
        buf += chunk
        if len(buf) > limit:
            raise HTTPException(status_code=413, detail="body too large")
    return bytes(buf)


async def _db(rt: ChannelsRuntime, what: str, fn: Callable[[store.Sessions], T], default: T) -> T:
    """Database calls off the event loop; a database outage degrades to no de-duplication, never to silence."""
    sessions = rt.sessions()
    if sessions is None:
        return default
    try:
        return await asyncio.to_thread(fn, sessions)
    except Exception as exc:
        log.warning("channel store %s failed: %s", what, type(exc).__name__)
        return default


async def resolve_choice(rt: ChannelsRuntime, *, sender: str, text: str) -> str:
    """A bare "1" becomes the payload of button 1 of the last answer; other text passes through."""
    n = parse_choice(text)
    if n is None:
        return text
    none: list[Button] = []
    choices = await _db(
        rt, "load_choices", lambda s: store.load_choices(sessions=s, sender=sender, max_age=CHOICES_MAX_AGE), none
    )
    if 1 <= n <= len(choices):
        return choices[n - 1].payload
    return text


async def answer(
    rt: ChannelsRuntime,
    chat: ChatService,
    *,
    channel: Channel,
    sender: str,
    text: str,
    max_bytes: int,
    numbered: bool = True,
    map_choice: bool = True,
    address: str | None = None,
) -> Rendered:
    """One bot turn, rendered; a failing chat service gives the failure wording, never an exception.

    `address` is the platform user id (openid, Telegram chat id) the agent's replies go to when this turn belongs
    to a handoff; it is stored sealed on the handoff (api/handoff/address.py) and never logged. While a person has
    the conversation the bot is quiet, so the rendering may be empty: the channel then sends nothing.
    """
    message = await resolve_choice(rt, sender=sender, text=text) if map_choice else text
    rated = feedback.parse_payload(message)
    if rated is not None:  # 有用 / 没用 / 没找到 on the last answer: recorded, not sent to the bot
        return await record_feedback(rt, sender=sender, turn_id=rated[0], value=rated[1])
    started = time.monotonic()
    try:
        reply = await chat.turn(sender=sender, message=message[:MAX_MESSAGE_CHARS], channel=channel)
        rendered = render(reply, public_base_url=rt.settings.public_base_url, max_bytes=max_bytes, numbered=numbered)
    except Exception as exc:
        log.error("chat turn failed for %s on %s: %s", sender, channel, type(exc).__name__)
        return Rendered(chunks=[say("failure")])
    handoff_id = reply.meta.route.id if reply.meta.handoff_state else None
    if address and handoff_id and handoff_id.isdigit():
        await remember_address(rt, handoff_id=int(handoff_id), sender=sender, address=address)
    if reply.meta.handoff_state == "passed":
        return rendered  # the words went to the agent: at most the acknowledgement, no choices to remember
    log.info(
        "channel=%s sender=%s turn in %.0f ms, %d chunk(s), %d choice(s)",
        channel,
        sender,
        (time.monotonic() - started) * 1000,
        len(rendered.chunks),
        len(rendered.choices),
    )
    if reply.meta.feedback_turn is not None:
        offer_feedback(rendered, reply.meta.feedback_turn, max_bytes=max_bytes, numbered=numbered)
    choices = rendered.choices
    await _db(rt, "save_choices", lambda s: store.save_choices(sessions=s, sender=sender, choices=choices), None)
    if not rendered.chunks:
        rendered.chunks = [say("failure")]
    return rendered


async def record_feedback(rt: ChannelsRuntime, *, sender: str, turn_id: int, value: feedback.Value) -> Rendered:
    """The thank-you for a feedback number or button. The answer's choices stay, so a second reply replaces it."""

    def save(sessions: store.Sessions) -> bool:
        with sessions() as session:
            return feedback.record(session=session, turn_id=turn_id, sender=sender, value=value) is not None

    if not await _db(rt, "record_feedback", save, False):
        return Rendered(chunks=[say("feedback_gone")])
    log.info("channel sender=%s rated turn %d %s", sender, turn_id, value)
    return Rendered(chunks=[say("feedback_thanks" if value == "useful" else "feedback_thanks_more")])


async def remember_address(rt: ChannelsRuntime, *, handoff_id: int, sender: str, address: str) -> None:
    """Where the agent's replies go: sealed on the handoff, so only this sender's row can use it."""
    box = AddressBox(rt.settings.secret_key)

    def save(sessions: store.Sessions) -> bool:
        with sessions() as session:
            return handoff_delivery.remember_address(
                session=session, handoff_id=handoff_id, sender=sender, address=address, box=box
            )

    await _db(rt, "remember_address", save, False)


def spoken_text(recognition: str) -> str:
    """WeChat's speech recognition as the person would have typed it: without the 。 it closes every utterance with."""
    return recognition.strip().rstrip(SPOKEN_END).strip()


def inbound_key(sender: str, msg_id: str, create_time: str, *, event: str = "", event_key: str = "") -> str:
    """One key per push: the MsgId of a message; an event has none, so its sender, CreateTime, Event and EventKey.

    WeChat documents FromUserName + CreateTime for events, but subscribe and a menu click can share a second.
    Event and EventKey are hashed: the key column is bounded and EventKey is free text (up to 128 bytes).
    """
    if msg_id.isdigit():
        return f"{sender}:{msg_id}"
    kind = hashlib.sha256(f"{event}\0{event_key}".encode()).hexdigest()[:16]
    return f"{sender}:ev:{create_time[:20]}:{kind}"


async def claim(rt: ChannelsRuntime, *, channel: str, key: str) -> bool:
    return await _db(rt, "claim", lambda s: store.claim(sessions=s, channel=channel, key=key), True)


async def reply_once(
    rt: ChannelsRuntime,
    *,
    channel: str,
    key: str,
    produce: Callable[[], Awaitable[list[str]]],
    deliver: Callable[[list[str]], Awaitable[None]] | None,
    timeout_s: float,
    retry_wait_s: float,
    passive: bool = True,
) -> list[str] | None:
    """WeChat's 5-second rule, once per message across replicas.

    passive=False (mini-program, which has no passive text replies) always delivers through `deliver`.
    Returns the chunk to reply passively, or None for "success" (the answer goes through `deliver`, or a
    retry of a message already handled). The first request runs `produce`; if it is not done in `timeout_s`
    the request hands over to the send API. A compare-and-set on the inbox row decides which of the two paths
    delivers, so the answer goes out exactly once.
    """
    if not await claim(rt, channel=channel, key=key):
        stale_after = timedelta(seconds=timeout_s + STALE_MARGIN_S)
        taken = await _db(
            rt,
            "take_over",
            lambda s: store.take_over(sessions=s, channel=channel, key=key, older_than=stale_after),
            False,
        )
        if not taken:
            return await _await_duplicate(rt, channel=channel, key=key, wait_s=retry_wait_s)
        log.warning("%s: a replica died while answering; this retry answers instead", channel)

    handed_over = not passive  # same-process flag; the database row decides between replicas

    async def work() -> list[str] | None:
        chunks = await produce()
        if (
            len(chunks) == 1
            and not handed_over
            and await _db(
                rt, "set_ready", lambda s: store.set_ready(sessions=s, channel=channel, key=key, chunks=chunks), True
            )
        ):
            return chunks
        # Too long for one passive reply, or the request already answered "success": send through the API.
        await _db(rt, "set_async", lambda s: store.set_async(sessions=s, channel=channel, key=key), True)
        if deliver is not None and chunks:  # no chunks: a person has the conversation and nothing is due
            await deliver(chunks)
        await _db(rt, "set_sent", lambda s: store.set_sent(sessions=s, channel=channel, key=key, chunks=chunks), None)
        return None

    if not passive:  # never pending past this point, so a retry can never take the message over
        await _db(rt, "set_async", lambda s: store.set_async(sessions=s, channel=channel, key=key), True)
    task = rt.spawn(work(), name=f"{channel}-reply")
    if not passive:
        return None
    try:
        return await asyncio.wait_for(asyncio.shield(task), timeout=timeout_s)
    except TimeoutError:
        handed_over = True
    if await _db(rt, "set_async", lambda s: store.set_async(sessions=s, channel=channel, key=key), True):
        return None  # the task will see the row is no longer pending and deliver through the API
    row = await _db(rt, "get", lambda s: store.get(sessions=s, channel=channel, key=key), None)
    if row is not None and row.state == store.READY and row.chunks:
        return row.chunks
    return None


async def _await_duplicate(rt: ChannelsRuntime, *, channel: str, key: str, wait_s: float) -> list[str] | None:
    """A retry: wait briefly for the first request's passive answer (its connection may be gone), else "success"."""
    deadline = time.monotonic() + wait_s
    while True:
        row = await _db(rt, "get", lambda s: store.get(sessions=s, channel=channel, key=key), None)
        if row is None or row.state in (store.ASYNC, store.SENT):
            return None
        if row.state == store.READY and row.chunks:
            return row.chunks
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(0.1)
