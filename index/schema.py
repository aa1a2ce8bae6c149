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

MIN_ALIASES = 5
MIN_FAQS = 3


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
    name: ShortText
    form: MaterialForm = MaterialForm.original
    count: Annotated[int, Field(ge=1, le=20)] = 1
    note: Text = Field(description="审查要点 in plain words: what a clerk checks")
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
    last_reviewed: dt.date

    @field_validator("legal_basis")
    @classmethod
    def no_invented_articles(cls, v: list[str]) -> list[str]:
        for law in v:
            if re.search(r"第[0-9一二三四五六七八九十百]+条", law):
                raise ValueError(f"name the law only, no article numbers: {law}")
        return v


class BundleMaterial(Strict):
    name: ShortText
    form: MaterialForm = MaterialForm.original
    count: Annotated[int, Field(ge=1, le=20)] = 1
    note: Text


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


class Site(Strict):
    """The service centre itself; a locality replaces this one file."""

    name: ShortText
    address: ShortText
    hours: Hours
    hotline: ShortText
    appointment: list[Online] = Field(min_length=1)
    web_portal: ShortText
    transport: Text | None = None
    parking: Text | None = None
    facilities: list[Facility] = Field(default_factory=list)
