"""Knowledge gaps: questions answered without confidence or handed to a person, grouped, with a candidate entry."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import yaml
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from api.chat.feedback import AnswerFeedback
from api.handoff.models import AliasProposal, ChatTurn
from index.catalogue import Catalogue
from index.search import Searcher


@dataclass
class Gap:
    text: str
    count: int
    last_at: datetime
    candidate_id: str | None
    candidate_name: str | None
    score: float | None


def find_gaps(*, session: Session, searcher: Searcher | None, limit: int = 50) -> list[Gap]:
    """Groups by the stored (normalised, masked) text, most asked first; the Searcher's top hit is the candidate."""
    weak = or_(ChatTurn.confident.is_(False), ChatTurn.route_kind.in_(("handoff", "none")))
    rows = session.execute(
        select(ChatTurn.text, func.count(), func.max(ChatTurn.at))
        .where(weak, ChatTurn.text.not_like("/%"))  # a tapped button (/request_human) is no question to answer
        .group_by(ChatTurn.text)
        .order_by(func.count().desc(), func.max(ChatTurn.at).desc())
        .limit(limit)
    ).all()
    gaps: list[Gap] = []
    for text, count, last_at in rows:
        cid = cname = None
        score = None
        if searcher is not None and text.strip():
            try:
                hits = searcher.search(text, k=1).hits
            except ValueError:
                hits = []
            if hits:
                cid, cname, score = hits[0].id, hits[0].name, hits[0].score
        gaps.append(Gap(text, int(count), last_at, cid, cname, score))
    return gaps


@dataclass
class RatedGap:
    """Answers citizens said were 没用 or 没找到, grouped by the question (as stored) and the answer given."""

    text: str
    route_kind: str
    route_id: str | None
    not_useful: int
    not_found: int
    last_at: datetime

    @property
    def count(self) -> int:
        return self.not_useful + self.not_found


def rated_gaps(*, session: Session, limit: int = 50) -> list[RatedGap]:
    """Most complained-about first; a 有用 given later on the same answer (a second tap) replaces the complaint."""
    value = AnswerFeedback.value
    rows = session.execute(
        select(
            AnswerFeedback.question,
            AnswerFeedback.route_kind,
            AnswerFeedback.route_id,
            func.sum(case((value == "not_useful", 1), else_=0)),
            func.sum(case((value == "not_found", 1), else_=0)),
            func.max(AnswerFeedback.updated_at),
        )
        .where(value.in_(("not_useful", "not_found")))
        .group_by(AnswerFeedback.question, AnswerFeedback.route_kind, AnswerFeedback.route_id)
        .order_by(func.count().desc(), func.max(AnswerFeedback.updated_at).desc())
        .limit(limit)
    ).all()
    return [RatedGap(text, kind, rid, int(bad or 0), int(no or 0), at) for text, kind, rid, bad, no, at in rows]


def propose(*, session: Session, text: str, entry_id: str, count: int, by: str) -> AliasProposal:
    row = AliasProposal(text=text[:200], entry_id=entry_id, count=count, proposed_by=by)
    session.add(row)
    session.commit()
    return row


def proposals(*, session: Session) -> Sequence[AliasProposal]:
    return session.scalars(select(AliasProposal).order_by(AliasProposal.entry_id, AliasProposal.id)).all()


def _folder(cat: Catalogue, entry_id: str) -> str:
    kind = cat.kind_of(entry_id)
    return {"item": "items", "bundle": "bundles", "window": "windows"}.get(kind or "", "items")


def to_csv(rows: Sequence[AliasProposal], cat: Catalogue) -> str:
    """One line per proposal; cells starting with = + - @ are quoted so a spreadsheet never runs them."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["entry_id", "entry_name", "guide_file", "alias", "times_asked", "proposed_by", "proposed_at"])

    def safe(v: str) -> str:
        return "'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v

    for r in rows:
        entry = cat.get(r.entry_id)
        w.writerow(
            [
                r.entry_id,
                safe(entry.name if entry else ""),
                f"guides/{_folder(cat, r.entry_id)}/{r.entry_id}.yml",
                safe(r.text),
                r.count,
                r.proposed_by,
                r.created_at.isoformat(timespec="seconds"),
            ]
        )
    return out.getvalue()


def to_yaml_patch(rows: Sequence[AliasProposal], cat: Catalogue) -> str:
    """A snippet per guide file: the aliases to append, for an editor to paste and review."""
    by_entry: dict[str, list[str]] = {}
    for r in rows:
        existing = getattr(cat.get(r.entry_id), "aliases", [])
        if r.text not in existing and r.text not in by_entry.get(r.entry_id, []):
            by_entry.setdefault(r.entry_id, []).append(r.text)
    parts = ["# Aliases proposed from the knowledge gaps; append under `aliases:` in each file, then review.\n"]
    for entry_id, aliases in by_entry.items():
        parts.append(f"\n# guides/{_folder(cat, entry_id)}/{entry_id}.yml\n")
        parts.append(yaml.safe_dump({"aliases": aliases}, allow_unicode=True, sort_keys=False))
    return "".join(parts)
