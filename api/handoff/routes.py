"""`POST /api/handoffs` (the action server, with the internal token) and the widget's keyed inbox of agent replies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Response
from pydantic import AliasChoices, BaseModel, Field, StringConstraints

from api.core.deps import SessionDep
from api.deps import require_internal_token
from api.handoff import service

router = APIRouter(prefix="/api", tags=["handoffs"])

SenderId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@-]+$")]
LineText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class TranscriptIn(BaseModel):
    """`from`/`at` per the contract; `role`/`timestamp` (Rasa's event names) are accepted too."""

    from_: Literal["user", "bot"] = Field(validation_alias=AliasChoices("from", "role"))
    text: LineText
    at: datetime | None = Field(default=None, validation_alias=AliasChoices("at", "timestamp"))


class HandoffIn(BaseModel):
    sender: SenderId = Field(validation_alias=AliasChoices("sender", "sender_id"))
    channel: Annotated[str, StringConstraints(min_length=1, max_length=16, pattern=r"^[a-z0-9_-]+$")]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    transcript: list[TranscriptIn] = Field(default_factory=list, max_length=200)


class HandoffCreated(BaseModel):
    handoff_id: int
    id: int  # the same number, for clients that read `id`
    status: str
    existing: bool = False  # true (and 200, not 201): the sender already had an open handoff, this is that one


class InboxMessage(BaseModel):
    id: int
    text: str
    # agent: a reply; system: the conversation went back to the bot (the agent ended it, or the timeout)
    from_: Literal["agent", "system"] = Field(default="agent", serialization_alias="from")
    at: datetime


INTERNAL = [Depends(require_internal_token)]


@router.post("/handoffs", status_code=201, response_model=HandoffCreated, dependencies=INTERNAL)
@router.post(  # the action server's default path, same contract
    "/handoff",
    status_code=201,
    response_model=HandoffCreated,
    include_in_schema=False,
    dependencies=INTERNAL,
)
def create_handoff(body: HandoffIn, session: SessionDep, response: Response) -> HandoffCreated:
    """One open handoff per sender: a second request while one is open gets that one back (200, existing)."""
    handoff, created = service.open_handoff(
        session=session,
        sender=body.sender,
        channel=body.channel,
        reason=body.reason,
        transcript=[service.TranscriptLine(author=t.from_, text=t.text, at=t.at) for t in body.transcript],
    )
    if not created:
        response.status_code = 200
    return HandoffCreated(handoff_id=handoff.id, id=handoff.id, status=handoff.status, existing=not created)


@router.get("/handoffs/inbox/{sender}", response_model=list[InboxMessage], response_model_by_alias=True)
def inbox(
    sender: Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@-]+$")],
    session: SessionDep,
    x_handoff_key: Annotated[str, Header(max_length=128)] = "",
    after: Annotated[int, Query(ge=0)] = 0,
) -> list[InboxMessage]:
    """The widget's poll, with the key its chat reply carried (meta.handoff_key); 404 for any other key or none."""
    rows = service.inbox(session=session, sender=sender, key=x_handoff_key, after=after)
    if rows is None:
        raise HTTPException(status_code=404)
    return [
        InboxMessage(id=m.id, text=m.text, from_="system" if m.author == "system" else "agent", at=m.at) for m in rows
    ]
