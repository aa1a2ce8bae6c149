"""Request and response shapes of the case API (the contract the bot and the console rely on)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from api.cases.phone import normalize_phone
from api.cases.states import Status
from civic.channels import CaseChannel, CitizenChannel

MAX_DESCRIPTION = 2000
# the names are civic/channels.py's, which the action server files under too; "web" is a filing on the public
# API, where nobody vouches for a channel; staff channels come from the console and the Open311 routes only
Channel = CaseChannel
PUBLIC_CHANNEL: CitizenChannel = "web"
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


# ---------------------------------------------------------------- the staff API (api/cases/routes/staff.py)


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    username: str
    role: str


class StaffOut(BaseModel):
    username: str
    display_name: str
    role: str
    department: str | None
    csrf_token: str  # X-CSRF-Token for posts that ride on the cookie (a bearer header needs none)


class TimelineEntryStaff(BaseModel):
    at: datetime
    actor: str
    kind: str
    from_status: str | None
    to_status: str | None
    note: str | None
    public: bool
    who: str  # the account's display name, 市民 or 系统
    label: str  # the step in Chinese (api/wording/timeline.yml)


class RatingStaff(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # built from a `Rating` row
    score: int
    comment: str | None
    at: datetime
    via: str  # citizen (a rating on any channel) | visit (an agent's 回访)
    by: str | None


class CaseStaff(BaseModel):
    case_no: str
    category: str
    description: str
    channel: str
    item_id: str | None
    window_id: str | None
    phone: str
    status: str
    status_name: str
    department: str | None
    department_name: str | None
    assignee: str | None
    deadline: date
    overdue: bool
    reply: str | None
    created_at: datetime
    updated_at: datetime
    request_type: str | None
    caller_name: str | None
    dispatched_by: str | None
    duplicate_of: str | None
    extension_days: int | None  # a 延期 request waiting for a supervisor
    extension_reason: str | None


class CaseStaffDetail(CaseStaff):
    timeline: list[TimelineEntryStaff]
    ratings: list[RatingStaff]


class CaseList(BaseModel):
    total: int
    items: list[CaseStaff]


class AssignIn(BaseModel):
    department: str | None = Field(default=None, min_length=1, max_length=64)
    assignee: str | None = Field(default=None, min_length=1, max_length=64)


class DispatchIn(BaseModel):
    department: str = Field(min_length=1, max_length=64)  # code, name or alias in guides/departments.yml
    note: NoteText | None = None  # for the department only (an internal line)


class ReasonIn(BaseModel):
    reason: NoteText


class ExtensionIn(BaseModel):
    days: int = Field(ge=1, le=60)
    reason: NoteText


class DecisionIn(BaseModel):
    approve: bool
    note: NoteText | None = None


class VisitIn(BaseModel):
    result: int = Field(ge=0, le=5)  # 1-5 the caller's verdict, 0 nobody answered
    note: NoteText | None = None


class MergeIn(BaseModel):
    into: str = Field(min_length=1, max_length=32)


class DepartmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # built from a `Department` of guides/departments.yml
    code: str
    name: str
    full_name: str
    contact: str
    categories: list[str]


class HandoffBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # built from a `Handoff` row
    id: int
    channel: str
    status: str
    created_at: datetime


class TurnBrief(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # built from a `ChatTurn` row
    at: datetime
    channel: str
    text: str
    route_kind: str


class CallerOut(BaseModel):
    phone: str  # masked
    cases: list[CaseStaff]
    handoffs: list[HandoffBrief]
    turns: list[TurnBrief]


class TransitionIn(BaseModel):
    to: Status
    note: NoteText | None = None


class TextIn(BaseModel):
    text: NoteText


class DeadLetter(BaseModel):
    event_id: str
    case_no: str
    event_type: str
    attempts: int
    last_error: str | None
    created_at: datetime
    dead_at: datetime | None
