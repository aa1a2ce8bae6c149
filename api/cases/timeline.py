"""A timeline row as staff read it: who (a name, never `staff:…` or `citizen`), what (in Chinese), and the status."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from api.cases.models import Case, TimelineEvent
from api.cases.states import STATUS_NAMES, Status

WORDING_FILE = Path(__file__).with_name("timeline.yml")


@dataclass(frozen=True)
class Wording:
    kinds: dict[str, str]
    created_by: dict[str, str]
    actors: dict[str, str]
    channels: dict[str, str]
    visit_results: dict[int, str]

    def channel(self, code: str) -> str:
        return self.channels.get(code, code)


@lru_cache
def wording(path: Path = WORDING_FILE) -> Wording:
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Wording(
        kinds={str(k): str(v) for k, v in raw["kinds"].items()},
        created_by={str(k): str(v) for k, v in raw["created_by"].items()},
        actors={str(k): str(v) for k, v in raw["actors"].items()},
        channels={str(k): str(v) for k, v in raw["channels"].items()},
        visit_results={int(k): str(v) for k, v in raw["visit_results"].items()},
    )


@dataclass(frozen=True)
class Line:
    at: Any
    who: str
    what: str
    status: str | None
    note: str | None
    public: bool


def who(actor: str, names: Mapping[str, str]) -> str:
    """`staff:wang` → the account's display name (its username when it has none); citizen → 市民; system → 系统."""
    w = wording()
    if actor.startswith("staff:"):
        username = actor.removeprefix("staff:")
        return names.get(username) or username
    return w.actors.get(actor, actor)


def what(event: TimelineEvent, case: Case) -> str:
    w = wording()
    if event.kind == "created":
        by = "staff" if event.actor.startswith("staff:") else "citizen"
        return w.created_by[by].format(channel=w.channel(case.channel))
    return w.kinds.get(event.kind, event.kind)


def line(event: TimelineEvent, case: Case, names: Mapping[str, str]) -> Line:
    status = STATUS_NAMES[Status(event.to_status)] if event.to_status and event.to_status != event.from_status else None
    return Line(
        at=event.at,
        who=who(event.actor, names),
        what=what(event, case),
        status=status,
        note=event.note,
        public=event.public,
    )


def lines(case: Case, names: Mapping[str, str]) -> list[Line]:
    return [line(e, case, names) for e in case.timeline]
