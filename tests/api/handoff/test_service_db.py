"""The handoff, chat-turn, gap and figure queries on SQLite and on PostgreSQL (the `case_db` fixture runs both)."""

from __future__ import annotations

from api.cases.config import default_config
from api.cases.db import CaseDB
from api.console import figures, gaps
from api.handoff import service
from index.catalogue import Catalogue


def test_handoff_inbox_turns_gaps_and_figures(case_db: CaseDB, cat: Catalogue) -> None:
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
        assert [m.text for m in service.inbox(session=session, sender="w-pg-1", after=first.id)] == ["请讲"]
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
