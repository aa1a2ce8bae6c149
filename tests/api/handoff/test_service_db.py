"""The handoff, chat-turn, gap and figure queries on SQLite and on PostgreSQL (the `case_db` fixture runs both)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from api.cases.config import default_config
from api.console import figures, gaps
from api.core.db import Database, make_engine, upgrade
from api.handoff import service
from api.handoff.models import Handoff
from index.catalogue import Catalogue


def test_handoff_inbox_turns_gaps_and_figures(case_db: Database, cat: Catalogue) -> None:
    with case_db.sessions() as session:
        h = service.create_handoff(
            session=session,
            sender="w-pg-1",
            channel="widget",
            reason="转人工",
            transcript=[service.TranscriptLine("user", "我要找人"), service.TranscriptLine("bot", "好的")],
        )
        first = service.agent_reply(session=session, handoff=h, text="您好", agent="agent-1")
        service.agent_reply(session=session, handoff=h, text="请讲", agent="agent-1")
        key = service.issue_key(session=session, handoff_id=h.id, sender="w-pg-1")
        assert key and service.issue_key(session=session, handoff_id=h.id, sender="w-pg-1") is None  # once
        rows = service.inbox(session=session, sender="w-pg-1", key=key, after=first.id)
        assert rows is not None and [m.text for m in rows] == ["请讲"]
        assert service.inbox(session=session, sender="w-pg-1", key=key + "x") is None
        assert service.inbox(session=session, sender="w-pg-2", key=key) is None
        assert [x.id for x in service.list_handoffs(session=session, status="answered")] == [h.id]
        for text, kind, ok in (("老了领钱", "none", False), ("老了领钱", "handoff", False), ("退休", "guide", True)):
            service.record_turn(
                session=session,
                sender="w-pg-1",
                channel="widget",
                text=text,
                route_kind=kind,
                route_id="pension-retire" if ok else None,
                confident=ok,
                degraded=False,
            )
        found = gaps.find_gaps(session=session, searcher=None)
        assert [(g.text, g.count) for g in found] == [("老了领钱", 2)]
        gaps.propose(session=session, text="老了领钱", entry_id="pension-retire", count=2, by="boss")
        assert "- 老了领钱" in gaps.to_yaml_patch(gaps.proposals(session=session), cat)
        fig = figures.compute(session=session, cat=cat, config=default_config())
        assert fig.turns == 3 and fig.answered == 1 and fig.per_channel_day["widget"][-1] == 1
        assert fig.top_items[0][1] == 1.0 and fig.reply_due == 0 and fig.on_time_rate is None


def test_citizen_follow_ups_reach_the_open_handoff(case_db: Database) -> None:
    key: str | None = None

    def turn(text: str, kind: str = "none", handoff_key: str | None = None) -> None:
        service.record_turn(
            session=session, sender="w-follow", channel="widget", text=text, route_kind=kind,
            route_id=None, confident=False, degraded=False, handoff_key=handoff_key or key,
        )  # fmt: skip

    with case_db.sessions() as session:
        turn("我要找人工")  # no handoff yet: nothing to append to
        h = service.create_handoff(
            session=session, sender="w-follow", channel="widget", reason="转人工",
            transcript=[service.TranscriptLine("user", "转人工")],
        )  # fmt: skip
        turn("转人工", kind="handoff")  # the turn that opened it: already in the transcript
        key = service.issue_key(session=session, handoff_id=h.id, sender="w-follow")
        service.agent_reply(session=session, handoff=h, text="您好，请讲", agent="agent-1")
        assert h.status == "answered"
        turn("冒名插话", handoff_key="not-the-key")  # a widget's words join only with the key
        turn("我的社保卡在外地办的，能在这里补吗")
        session.refresh(h)
        assert [(m.author, m.text) for m in h.messages] == [
            ("user", "转人工"),
            ("agent", "您好，请讲"),
            ("user", "我的社保卡在外地办的，能在这里补吗"),
        ]
        assert h.status == "open"  # waiting for the agent again
        service.close_handoff(session=session, handoff=h, agent="agent-1")
        turn("谢谢")
        session.refresh(h)
        assert len(h.messages) == 4 and h.status == "closed"  # the 4th: the notice that the bot is back
        assert h.messages[-1].author == "system" and h.closed_reason == "agent"


def test_signed_channel_follow_ups_need_no_key(case_db: Database) -> None:
    """wx:/mp:/tg: senders only come in through the signed channel routes, which /api/chat cannot impersonate."""
    with case_db.sessions() as session:
        h = service.create_handoff(session=session, sender="wx:ab12", channel="wechat", reason="转人工", transcript=[])
        for channel in ("wechat", "widget"):
            service.record_turn(
                session=session, sender="wx:ab12", channel=channel, text=f"从{channel}来的话", route_kind="none",
                route_id=None, confident=False, degraded=False,
            )  # fmt: skip
        session.refresh(h)
        assert [m.text for m in h.messages] == ["从wechat来的话"]


def test_one_open_handoff_per_sender_in_the_database(case_db: Database) -> None:
    """open_handoff returns the open one; the partial unique index refuses a second open row written past it."""
    with case_db.sessions() as session:
        first, created = service.open_handoff(
            session=session, sender="wx:one", channel="wechat", reason="", transcript=[]
        )
        again, created_again = service.open_handoff(
            session=session, sender="wx:one", channel="wechat", reason="", transcript=[]
        )
        assert created and not created_again and again.id == first.id
        session.add(Handoff(sender="wx:one", channel="wechat", reason="", status="open"))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
        service.close_handoff(session=session, handoff=first, agent="agent-1")
        later, created_later = service.open_handoff(
            session=session, sender="wx:one", channel="wechat", reason="", transcript=[]
        )
        assert created_later and later.id != first.id  # closed ones do not count


def test_the_migration_keeps_each_senders_newest_open_handoff(db_url: str) -> None:
    """Before 0005 a second 转人工 opened a second handoff; the upgrade closes the older ones, then adds the index."""
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0004_handoff_key")
        now = datetime(2026, 12, 1, tzinfo=UTC).replace(tzinfo=None)
        with engine.begin() as conn:
            for sender, status in (
                ("wx:dup", "open"),
                ("wx:dup", "answered"),
                ("wx:solo", "open"),
                ("wx:dup", "closed"),
            ):
                conn.execute(
                    text(
                        "INSERT INTO handoffs (sender, channel, reason, status, created_at, updated_at) "
                        "VALUES (:s, 'wechat', '', :st, :at, :at)"
                    ),
                    {"s": sender, "st": status, "at": now},
                )
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, sender, status, closed_reason FROM handoffs ORDER BY id")).all()
        assert [(r[1], r[2], r[3]) for r in rows] == [
            ("wx:dup", "closed", "duplicate"),
            ("wx:dup", "answered", None),
            ("wx:solo", "open", None),
            ("wx:dup", "closed", None),
        ]
    finally:
        engine.dispose()
