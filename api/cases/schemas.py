"""Request and response shapes of the case API (the contract the bot and the console rely on)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from api.cases.phone import normalize_phone

MAX_DESCRIPTION = 2000
# citizens' channels; "web" is a filing on the public API, where nobody vouches for a channel
CitizenChannel = Literal["wechat", "miniprogram", "telegram", "widget", "web"]
StaffChannel = Literal["hotline", "window", "open311"]  # the console and the Open311 routes, in process only
Channel = Literal[CitizenChannel, StaffChannel]
PUBLIC_CHANNEL: CitizenChannel = "web"
STAFF_CHANNELS: frozenset[str] = frozenset(get_args(StaffChannel))
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_DESCRIPTION)]
Slug = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Last4 = Annotated[str, StringConstraints(pattern=r"^\d{4}$")]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
NoteText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_DESCRIPTION)]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]


class _CaseFields(BaseModel):
    model_config = ConfigDict(extra="ignore")

    category: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
    description: Description
    phone: str = Field(max_length=40)
    idempotency_key: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    item_id: Slug | None = None
    window_id: Slug | None = None
    address: ShortText | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    long: float | None = Field(default=None, ge=-180, le=180)
    request_type: Code | None = None  # 诉求类型 (categories.yml request_types)
    caller_name: PersonName | None = None
    sender: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None  # the chat user who filed

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        phone = normalize_phone(value)
        if phone is None:
            raise PydanticCustomError("phone_invalid", "not a mainland mobile or landline number")
        return phone


class CaseCreate(_CaseFields):
    """What `service.create_case` files; the channel is decided by the caller's route, not by the citizen."""

    channel: Channel


class CaseIn(_CaseFields):
    """The body of POST /api/cases: the channel is a claim, honoured only for the action server."""

    channel: Channel | None = None

    def filed_as(self, channel: Channel, *, internal: bool = False) -> CaseCreate:
        """Only the action server vouches for the chat sender (it links the case to the caller's chat history)."""
        data = {**self.model_dump(), "channel": channel}
        if not internal:
            data["sender"] = None
        return CaseCreate.model_validate(data)


class CaseCreated(BaseModel):
    case_no: str
    status: str
    status_name: str
    deadline: date


class TimelineEntryPublic(BaseModel):
    at: datetime
    kind: str
    status: str | None
    status_name: str | None
    note: str | None


class CasePublic(BaseModel):
    case_no: str
    category: str
    category_name: str
    status: str
    status_name: str
    deadline: date
    overdue: bool
    created_at: datetime
    phone: str
    reply: str | None
    can_rate: bool
    timeline: list[TimelineEntryPublic]


class RatingIn(BaseModel):
    phone_last4: Last4
    score: int = Field(ge=1, le=5, strict=True)
    comment: ShortText | None = None


class RatingOut(BaseModel):
    case_no: str
    status: str
    status_name: str


class CategoryOut(BaseModel):
    code: str
    name: str
