"""A timeline row as staff read it: who (a name, never `staff:…` or `citizen`), what (in Chinese), and the status."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from api.cases.models import Case, TimelineEvent
from api.cases.states import Status, status_name
from api.core import wording as wording_files

WORDING = "timeline"  # api/wording/timeline.yml


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
def wording() -> Wording:
    """api/wording/timeline.yml as typed tables, read once."""
    return Wording(
        kinds=wording_files.table(WORDING, "kinds"),
        created_by=wording_files.table(WORDING, "created_by"),
        actors=wording_files.table(WORDING, "actors"),
        channels=wording_files.table(WORDING, "channels"),
        visit_results={int(k): v for k, v in wording_files.table(WORDING, "visit_results").items()},
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
    status = status_name(Status(event.to_status)) if event.to_status and event.to_status != event.from_status else None
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
