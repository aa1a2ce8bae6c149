"""Pydantic models for the guide files: one item, bundle or window per file, plus the site."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

SLUG_RE = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

Slug = Annotated[str, StringConstraints(pattern=SLUG_RE, max_length=64)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
# a `local` value may be left blank in a template; `index check` then names it as one a locality must fill
LocalValue = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None

MIN_ALIASES = 5
MIN_FAQS = 3
MAX_VISITS = 5


class Strict(BaseModel):
    """Base for every content model: unknown keys are typos, so they are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class MaterialForm(StrEnum):
    original = "原件"
    copy = "复印件"
    original_and_copy = "原件和复印件"
    electronic = "电子版"
    form = "表格"


class Material(Strict):
    name: ShortText = Field(description="the document name; a common document uses its name in documents.yml")
    form: MaterialForm = MaterialForm.original
    count: Annotated[int, Field(ge=1, le=20)] = 1
    note: Text = Field(description="审查要点 in plain words: what a clerk checks")
    where_to_get: ShortText | None = Field(None, description="出具单位: who issues it, how the citizen gets it")
    of: ShortText | None = Field(None, description="whose document, when not the applicant: a person in documents.yml")
    example: Text | None = Field(None, description="填写示例 of a form: how the key boxes are filled")
    sample: ShortText | None = Field(None, description="a filled sample under guides/, e.g. samples/x.png")
    common_rejections: list[ShortText] = Field(default_factory=list, description="常见退件原因 of this material")
    in_bundles: bool = Field(True, description="false: only a case no bundle has (补发…), left out of bundles")
    data_shared: bool = Field(False, description="免证办: the window reads it from shared data")
    promise_ok: bool = Field(False, description="告知承诺: a signed promise may replace it")
    deferrable: bool = Field(False, description="容缺受理: may be handed in later")
    optional_when: str | None = Field(None, max_length=200, description="only needed in this case")


class OnlineChannel(StrEnum):
    web = "web"  # 一网通办 website
    mobile = "mobile"  # 掌上办 app / mini-program
    kiosk = "kiosk"  # 自助机


class Online(Strict):
    channel: OnlineChannel
    name: ShortText
    how: Text | None = None


class Faq(Strict):
    q: ShortText
    a: Text


class Location(Strict):
    floor: ShortText
    counters: ShortText


class Item(Strict):
    """One 政务服务事项 with its 白话版 guide."""

    id: Slug
    name: ShortText
    aliases: list[ShortText] = Field(min_length=MIN_ALIASES)
    summary: Text
    audience: Text
    conditions: list[Text] = Field(min_length=1)
    materials: list[Material] = Field(min_length=1)
    steps: list[Text] = Field(min_length=1)
    time_limit: ShortText
    fee: ShortText
    dept: ShortText
    window: Slug
    online: list[Online] = Field(default_factory=list)
    cross_region: bool = False
    bundles: list[Slug] = Field(default_factory=list)
    faqs: list[Faq] = Field(min_length=MIN_FAQS)
    legal_basis: list[ShortText] = Field(min_length=1)
    rejections: list[ShortText] = Field(default_factory=list, description="不予受理/不予办理情形")
    visits: Annotated[int, Field(ge=0, le=MAX_VISITS)] | None = Field(
        None, description="到现场次数: 0 = all online, 1 = 最多跑一次"
    )
    remedy: Text | None = Field(None, description="救济途径 when refused; the site's remedy unless set")
    phone: ShortText | None = Field(None, description="咨询电话; the site's consult phone unless set")
    local: dict[ShortText, LocalValue] = Field(
        default_factory=dict, description="amounts and deadlines a locality sets: 高龄津贴标准 …"
    )
    last_reviewed: dt.date

    @field_validator("legal_basis")
    @classmethod
    def no_invented_articles(cls, v: list[str]) -> list[str]:
        for law in v:
            if re.search(r"第[0-9一二三四五六七八九十百]+条", law):
                raise ValueError(f"name the law only, no article numbers: {law}")
        return v


class SameAs(Strict):
    """An alias entry: a second catalogue id for a service one other item file describes in full."""

    id: Slug
    name: ShortText = Field(description="the canonical item's name, word for word: one service, one name")
    same_as: Slug = Field(description="the id of the item that holds the guide")
    aliases: list[ShortText] = Field(
        default_factory=list, description="citizen phrasings, merged into the canonical item's aliases"
    )


class BundleMaterial(Strict):
    name: ShortText
    form: MaterialForm = MaterialForm.original
    count: Annotated[int, Field(ge=1, le=20)] = 1
    note: Text
    where_to_get: ShortText | None = Field(None, description="出具单位: who issues it, how the citizen gets it")
    of: ShortText | None = Field(None, description="whose document, when not the applicant: a person in documents.yml")
    example: Text | None = Field(None, description="填写示例 of a form: how the key boxes are filled")
    sample: ShortText | None = Field(None, description="a filled sample under guides/, e.g. samples/x.png")
    common_rejections: list[ShortText] = Field(default_factory=list, description="常见退件原因 of this material")
    optional_when: str | None = Field(None, max_length=200, description="only needed in this case")


class LeaveOut(Strict):
    """A member's material this event's one-table list leaves out, and why (for the editor)."""

    member: Slug
    name: ShortText
    of: ShortText | None = Field(None, description="as in the member item; none for the applicant's own")
    why: ShortText


class Bundle(Strict):
    """One 一件事: a life event that bundles several items."""

    id: Slug
    name: ShortText
    event: Text = Field(description="the life event in plain words")
    summary: Text
    aliases: list[ShortText] = Field(min_length=MIN_ALIASES)
    members: list[Slug] = Field(min_length=1)
    extra_materials: list[BundleMaterial] = Field(
        default_factory=list, description="materials of the bundle itself, e.g. the 一表申请 form"
    )
    roles: dict[Slug, dict[ShortText, ShortText]] = Field(
        default_factory=dict,
        description="who a member's persons are in this event: {member: {申请人: 父母双方}}, for the merged list",
    )
    leave_out: list[LeaveOut] = Field(
        default_factory=list, description="member materials the merged list leaves out (the 联办申请表 covers them…)"
    )
    steps: list[Text] = Field(min_length=1, description="the order of steps across members")
    time_limit: ShortText
    window: Slug = "w-yijianshi"
    online: list[Online] = Field(default_factory=list)
    faqs: list[Faq] = Field(min_length=MIN_FAQS)
    last_reviewed: dt.date


class Window(Strict):
    """A counter or area of the service hall."""

    id: Slug
    name: ShortText
    aliases: list[ShortText] = Field(min_length=MIN_ALIASES)
    summary: Text
    location: Location
    hours: ShortText
    services: list[ShortText] = Field(default_factory=list, description="老年人优先、大字、帮办…")
    faqs: list[Faq] = Field(min_length=MIN_FAQS)
    last_reviewed: dt.date


class Hours(Strict):
    weekdays: ShortText
    extended: ShortText
    weekend: ShortText


class Facility(Strict):
    """Something the hall offers besides the windows: copying, photos, wifi…"""

    name: ShortText
    aliases: list[ShortText] = Field(default_factory=list, description="words a citizen uses for it")
    answer: Text = Field(description="where it is, whether it costs, in one or two sentences")


class Phones(Strict):
    consult: ShortText = Field(description="咨询电话, e.g. 12345")
    supervise: ShortText = Field(description="监督电话: where to complain about the service itself")


class Site(Strict):
    """The service centre itself; a locality replaces this one file."""

    name: ShortText
    address: ShortText
    hours: Hours
    hotline: ShortText
    phones: Phones
    remedy: Text = Field(description="救济途径 when an application is refused: 复议 / 诉讼")
    appointment: list[Online] = Field(min_length=1)
    web_portal: ShortText
    transport: Text | None = None
    parking: Text | None = None
    facilities: list[Facility] = Field(default_factory=list)
