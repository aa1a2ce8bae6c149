"""What a message asks: one fact of an errand (fee, time, where…), the whole procedure, or a fact of the centre.

Shared by the answer decision (api/answer/) and its calibration (index/decision.py).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from index.paths import ASKED_FILE
from index.schema import Site

Asked = Literal[
    "fee", "time", "rejected", "remedy", "visits", "source", "phone", "where", "online", "materials", "who", "whole"
]
# "在哪个app上" is online, not where; "这个材料去哪开" is source, not where or materials; "电话多少" is phone, not fee
ASPECTS: tuple[Asked, ...] = (
    "fee",
    "time",
    "rejected",
    "remedy",
    "visits",
    "source",
    "phone",
    "online",
    "where",
    "materials",
    "who",
    "whole",
)
# words that carry no errand: what is left of "在哪办呀" once these and the cue words go is nothing
_FILLER = re.compile(
    r"[\W_\d]|请问|你好|您好|麻烦|问一下|问下|想问|我想|我要|我们|我家|我的|我|你们|你|要|想|去|来|办|呢|吗|啊|呀|吧|嘛|"
    r"哦|哈|的|了|得|地|是|有|没有|还|也|那|这|个|么|啥|什么|怎么|咋|多少|能|可以|在|和|跟|就|都|又|再|一下|一般|"
    r"需要|应该|到底|现在|还有|那个|这个|事|一|给|帮|看|说|样|些|哪|里|儿|拿到|拿|到|弄|搞|整|带|准备|行|不|没|成|过去|办事|服务|有人|人|上|下|搞到|晚上|几|号"
)


BARE_TOPIC_CHARS = 3


@dataclass(frozen=True)
class Cues:
    asked: dict[str, tuple[str, ...]]
    place: tuple[str, ...]
    site: dict[str, tuple[str, ...]]


@functools.cache
def cues(path: Path = ASKED_FILE) -> Cues:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    asked: dict[str, tuple[str, ...]] = {k: tuple(str(w) for w in data["asked"].get(k) or ()) for k in ASPECTS}
    site = data.get("site") or {}
    facts = {str(k): tuple(str(w) for w in v or ()) for k, v in (site.get("facts") or {}).items()}
    return Cues(asked=asked, place=tuple(str(w) for w in site.get("place") or ()), site=facts)


def asked_about(normalised: str) -> Asked | None:
    """The first aspect whose cue word occurs; None when the message only names an errand."""
    c = cues()
    for aspect in ASPECTS:
        if any(w in normalised for w in c.asked[aspect]):
            return aspect
    return None


def site_fact(normalised: str) -> str | None:
    """weekend / lunch / extended / hours / address / parking / hotline / appointment / access, or None."""
    for fact, words in cues().site.items():
        if any(w in normalised for w in words):
            return fact
    return None


def facility_of(normalised: str, site: Site) -> int | None:
    """The index of the hall facility (复印, 证件照, wifi…) the message names, if any."""
    for n, f in enumerate(site.facilities):
        if any(w.lower() in normalised for w in (f.name, *f.aliases)):
            return n
    return None


def names_the_centre(normalised: str) -> bool:
    return any(w in normalised for w in cues().place)


def _without_cues(normalised: str, groups: tuple[tuple[str, ...], ...]) -> str:
    rest = normalised
    for words in groups:
        for w in sorted(words, key=len, reverse=True):
            rest = rest.replace(w, " ")
    return rest


def names_nothing(normalised: str) -> bool:
    """True for "在哪办" or "要带啥呢": no errand named, only what is asked about it (context decides which)."""
    c = cues()
    rest = _without_cues(normalised, (*c.asked.values(), *c.site.values()))
    return len(_FILLER.sub("", rest)) < 2


def errand_words(normalised: str) -> str:
    """The message without the words of what is asked: "办居住证去几楼" -> "办居住证", so search looks for the errand.

    The whole message when nothing would be left (a question about a window or the centre itself).
    """
    rest = " ".join(_without_cues(normalised, tuple(cues().asked.values())).split())
    return rest if len(_FILLER.sub("", rest)) >= 2 else normalised


def is_bare_topic(normalised: str) -> bool:
    """ "公积金", "退休", "社保": a field of errands named alone, with nothing asked about it."""
    core = _FILLER.sub("", normalised)
    return asked_about(normalised) is None and 0 < len(core) <= BARE_TOPIC_CHARS
