"""The `/api/chat` contract, shared by the web widget and every channel adapter."""

from __future__ import annotations

from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from civic.channels import ChatChannel

RouteKind = Literal["guide", "bundle", "window", "complaint", "handoff", "none"]
Channel = ChatChannel  # where a turn comes from; the names are civic/channels.py's, which the bot reads too


class ChatRequest(BaseModel):
    sender: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@-]+$")
    message: str = Field(max_length=2000)


class Button(BaseModel):
    title: str
    payload: str


class ChatMessage(BaseModel):
    """One bot message; `type` says how a channel should render it."""

    type: Literal["text", "buttons", "guide_card", "link"] = "text"
    text: str = ""
    buttons: list[Button] = Field(default_factory=list)
    card: dict[str, Any] | None = None  # guide card: id, kind, name, summary, materials, window, url
    url: str | None = None


class Route(BaseModel):
    kind: RouteKind = "none"
    id: str | None = None


class ChatMeta(BaseModel):
    intent: str | None = None
    confidence: float | None = None
    route: Route = Field(default_factory=Route)
    degraded: bool = False
    # the inbox key (X-Handoff-Key), only in the /api/chat reply to the turn that opened a handoff
    handoff_key: str | None = None
    # a person has the conversation: "waiting" on the turn that opened the handoff (or found it open), "passed"
    # when the bot stayed quiet and the words went to the agent's thread (api/handoff/mode.py); else None
    handoff_state: Literal["waiting", "passed"] | None = None
    # the recorded turn this reply answers, on replies a citizen may rate 有用 / 没用 / 没找到 (POST /api/feedback;
    # the channels offer it as numbered replies or buttons); None on other replies or when nothing was recorded
    feedback_turn: int | None = None


class ChatReply(BaseModel):
    messages: list[ChatMessage]
    meta: ChatMeta


class ChatService(Protocol):
    """What channels call: one citizen turn, answered by Rasa or, when it is down or slow, by search."""

    async def turn(self, *, sender: str, message: str, channel: Channel) -> ChatReply: ...
