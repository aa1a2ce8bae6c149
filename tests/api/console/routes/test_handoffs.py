"""The 转人工 queue and 转为工单 (issue 19 item 5): a preview of the citizen's last words, the wait, reason names in
Chinese, the live poll, a case filed from a handoff (channel kept, phone masked, transcript on its timeline, the
handoff linked), and a tapped button never shown as the citizen's words."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.cases.models import Case
from api.chat.content import load_messages
from api.console.routes import handoffs as routes_handoffs
from api.core.clock import utcnow
from api.core.db import Database
from api.handoff import queue
from api.handoff import service as handoff_service
from api.handoff.models import Handoff, HandoffDelivery, HandoffMessage

AsRole = Callable[[str], tuple[TestClient, str]]
INTERNAL = {"X-Internal-Token": "test-internal-token"}
BUTTON = "/request_human"


def _db(client: TestClient) -> Database:
    db: Database = client.app.state.cases.db  # type: ignore[attr-defined]
    return db


def open_handoff(
    client: TestClient,
    sender: str,
    *,
    channel: str = "wechat",
    reason: str = "requested",
    lines: list[tuple[str, str]] | None = None,
) -> int:
    transcript = [{"from": who, "text": text} for who, text in (lines or [])]
    body = {"sender": sender, "channel": channel, "reason": reason, "transcript": transcript}
    resp = client.post("/api/handoffs", json=body, headers=INTERNAL)
    assert resp.status_code == 201, resp.text
    return int(resp.json()["handoff_id"])


def citizen_writes(client: TestClient, handoff_id: int, text: str, *, minutes_ago: float = 0) -> None:
    with _db(client).sessions() as session:
        h = session.get(Handoff, handoff_id)
        assert h is not None
        at = utcnow() - timedelta(minutes=minutes_ago)
        session.add(HandoffMessage(handoff_id=h.id, sender=h.sender, author="user", text=text, at=at))
        h.status, h.updated_at = "open", at
        session.commit()


def backdate(client: TestClient, handoff_id: int, minutes: float) -> None:
    """The handoff (and its transcript) opened `minutes` ago."""
    then = utcnow() - timedelta(minutes=minutes)
    with _db(client).sessions() as session:
        session.execute(update(Handoff).where(Handoff.id == handoff_id).values(created_at=then, updated_at=then))
        session.execute(update(HandoffMessage).where(HandoffMessage.handoff_id == handoff_id).values(at=then))
        session.commit()


def row_of(rows: list[dict[str, Any]], handoff_id: int) -> dict[str, Any]:
    return next(r for r in rows if r["id"] == handoff_id)


def test_the_queue_shows_last_words_wait_and_reason_names_never_a_button(as_role: AsRole) -> None:
    agent, _ = as_role("agent")
    said = [
        ("user", "社保卡丢了"),
        ("bot", "可以补办"),
        ("user", "窗口让我回去开证明，电话13912345678"),
        ("user", BUTTON),
    ]
    asked = open_handoff(agent, "wx-o1", lines=said)
    backdate(agent, asked, 12)
    pressed = open_handoff(agent, "tg-2", channel="telegram", reason="repeated_misses", lines=[("user", BUTTON)])
    odd = open_handoff(agent, "w-3", channel="widget", reason="from-a-new-bot-version", lines=[])

    page = agent.get("/console/handoffs").text
    assert BUTTON not in page and "request_human" not in page
    assert "窗口让我回去开证明，电话139****5678" in page  # the last words the citizen typed, numbers masked
    assert "13912345678" not in page
    assert "市民要求转人工" in page and "连续几次没答上来" in page and "其他原因（from-a-new-bot-version）" in page
    assert "requested" not in re.sub(r'data-code="[^"]*"', "", page)  # the code only as data for scripts
    assert "公众号" in page and "Telegram" in page and "网页小助手" in page
    assert "（市民只点了按钮，没有留言）" in page
    assert 'id="queue-count" role="status" aria-live="polite"' in page and "有 3 个会话待回复" in page
    assert "/console/static/handoffs.js" in page

    rows = agent.get("/console/handoffs/queue.json").json()["rows"]
    assert [r["id"] for r in rows][:1] == [asked]  # the longest wait on top
    first = row_of(rows, asked)
    assert first["wait_min"] == 12 and first["wait"] == "等了 12 分钟" and not first["long_wait"]
    assert first["reason_name"] == "市民要求转人工" and first["channel_name"] == "公众号"
    assert (
        row_of(rows, pressed)["preview"] == "（市民只点了按钮，没有留言）" and row_of(rows, pressed)["wait"] == "刚转来"
    )
    assert row_of(rows, odd)["reason_name"] == "其他原因（from-a-new-bot-version）"
    assert all(BUTTON not in str(r) for r in rows)


def test_the_wait_counts_from_the_first_unanswered_line_and_warns_near_the_timeout(as_role: AsRole) -> None:
    agent, csrf = as_role("agent")
    hid = open_handoff(agent, "wx-wait", lines=[("user", "我要找人")])
    backdate(agent, hid, 20)  # the default timeout is 30 minutes: past half of it is a long wait
    data = agent.get("/console/handoffs/queue.json").json()
    row = row_of(data["rows"], hid)
    assert row["long_wait"] and row["wait"] == "已等 20 分钟，快超时了" and data["waiting"] == 1
    assert 'class="long-wait"' in agent.get("/console/handoffs").text

    agent.post(f"/console/handoffs/{hid}/reply", data={"csrf_token": csrf, "text": "您好，请讲"})
    answered = row_of(agent.get("/console/handoffs/queue.json").json()["rows"], hid)
    assert answered["status"] == "answered" and answered["wait_min"] is None and answered["wait"] == "—"
    assert answered["assignee"]

    with _db(agent).sessions() as session:  # the reply went out ten minutes ago; then the citizen wrote twice
        ten_ago = utcnow() - timedelta(minutes=10)
        session.execute(update(HandoffMessage).where(HandoffMessage.author == "agent").values(at=ten_ago))
        session.execute(update(Handoff).where(Handoff.id == hid).values(agent_at=ten_ago))
        session.commit()
    citizen_writes(agent, hid, "还在吗", minutes_ago=3)
    citizen_writes(agent, hid, "喂", minutes_ago=1)
    again = row_of(agent.get("/console/handoffs/queue.json").json()["rows"], hid)
    assert again["status"] == "open" and again["wait_min"] == 3 and again["preview"] == "喂"


def test_the_queue_filters_by_status_and_refuses_an_unknown_one(as_role: AsRole) -> None:
    agent, csrf = as_role("agent")
    kept = open_handoff(agent, "wx-keep", lines=[("user", "在吗")])
    ended = open_handoff(agent, "wx-end", lines=[("user", "算了")])
    agent.post(f"/console/handoffs/{ended}/close", data={"csrf_token": csrf})
    assert [r["id"] for r in agent.get("/console/handoffs/queue.json?status=open").json()["rows"]] == [kept]
    closed = agent.get("/console/handoffs/queue.json?status=closed").json()
    assert [r["id"] for r in closed["rows"]] == [ended] and closed["rows"][0]["status_name"] == "已结束"
    assert agent.get("/console/handoffs/queue.json?status=nope").status_code == 422
    assert agent.get("/console/handoffs/queue.json").headers["cache-control"] == "no-store"


def test_the_thread_shows_a_button_as_what_the_citizen_did(as_role: AsRole) -> None:
    agent, _ = as_role("agent")
    said = [("user", "社保卡丢了"), ("bot", "可以补办"), ("user", BUTTON), ("user", '/inform{"item": "ss-card"}')]
    hid = open_handoff(agent, "wx-thread", lines=said)
    page = agent.get(f"/console/handoffs/{hid}").text
    assert BUTTON not in page and "/inform" not in page
    assert "（点了“转人工”按钮）" in page and "（点了一个按钮）" in page and "button-press" in page
    assert "市民要求转人工" in page and "公众号" in page
    lines = agent.get(f"/console/handoffs/{hid}/messages").json()["messages"]
    assert [m["text"] for m in lines if m["button"]] == ["（点了“转人工”按钮）", "（点了一个按钮）"]
    assert all(BUTTON not in m["text"] for m in lines)


def test_gaps_never_list_a_tapped_button_as_a_question(as_role: AsRole) -> None:
    boss, _ = as_role("supervisor")
    with _db(boss).sessions() as session:
        for text in (BUTTON, BUTTON, "噪音扰民找谁"):
            turn = {"sender": "w-gap", "channel": "widget", "route_kind": "handoff", "route_id": None}
            handoff_service.record_turn(session=session, text=text, confident=False, degraded=False, **turn)
    page = boss.get("/console/gaps").text
    assert "噪音扰民找谁" in page and "request_human" not in page


def file_from(agent: TestClient, csrf: str, hid: int, **form: str) -> Any:
    data = {"csrf_token": csrf, "category": "attitude", "phone": "139 1234 5678", "tell_citizen": "1", **form}
    data.setdefault("description", "窗口工作人员态度不好")
    return agent.post(f"/console/handoffs/{hid}/case", data=data, follow_redirects=False)


def test_a_handoff_becomes_a_case_with_its_transcript(as_role: AsRole) -> None:
    agent, csrf = as_role("agent")
    story = "我电话13912345678，身份证110101199003071234"
    said = [("user", "窗口的人态度很差"), ("bot", "很抱歉"), ("user", BUTTON), ("user", story)]
    hid = open_handoff(agent, "wx-case", lines=said)
    form = agent.get(f"/console/handoffs/{hid}").text
    assert f'action="/console/handoffs/{hid}/case"' in form
    assert 'value="13912345678"' in form  # the number the citizen typed, to start from
    assert '<option value="" selected>请选择</option>' in form  # no category chosen for the agent
    assert "窗口的人态度很差\n我电话13912345678" in form and BUTTON not in form

    resp = file_from(agent, csrf, hid)
    assert resp.status_code == 303
    case_no = resp.headers["location"].rsplit("/", 1)[1]
    with _db(agent).sessions() as session:
        case = session.scalar(select(Case).where(Case.case_no == case_no))
        assert case is not None
        assert case.channel == "wechat" and case.category == "attitude" and case.phone == "13912345678"
        assert case.idempotency_key == queue.case_key(agent.app.state.settings.secret_key, hid)  # type: ignore[attr-defined]
        note = next(e for e in case.timeline if e.kind == "note")
        assert not note.public and f"由转人工会话 #{hid} 转为工单" in (note.note or "")
        assert "市民：窗口的人态度很差" in (note.note or "") and "助手：很抱歉" in (note.note or "")
        assert "（点了“转人工”按钮）" in (note.note or "") and BUTTON not in (note.note or "")
        assert "139****5678" in (note.note or "") and "13912345678" not in (note.note or "")
        assert "1101**********1234" in (note.note or "")
        told = session.scalars(
            select(HandoffMessage).where(HandoffMessage.handoff_id == hid, HandoffMessage.author == "agent")
        ).all()
        expected = load_messages().text("handoff", "case_filed", case_no=case_no, deadline=case.deadline.isoformat())
        assert [m.text for m in told] == [expected]
        assert session.scalar(select(HandoffDelivery).where(HandoffDelivery.message_id == told[0].id)) is not None

    page = agent.get(f"/console/cases/{case_no}").text
    assert "139****5678" in page and "13912345678" not in page  # masked once captured
    assert f'已转为工单 <a href="/console/cases/{case_no}">{case_no}</a>' in agent.get(f"/console/handoffs/{hid}").text
    assert row_of(agent.get("/console/handoffs/queue.json").json()["rows"], hid)["case_no"] == case_no

    again = file_from(agent, csrf, hid, description="又点了一次")
    assert again.status_code == 303 and again.headers["location"] == f"/console/cases/{case_no}"  # one case per handoff
    with _db(agent).sessions() as session:
        assert len(session.scalars(select(Case)).all()) == 1


# a bare /api/chat conversation files as the widget, as the bot files its complaints (civic/channels.py)
@pytest.mark.parametrize(
    ("channel", "filed_as"),
    [("widget", "widget"), ("telegram", "telegram"), ("miniprogram", "miniprogram"), ("api", "widget")],
)
def test_the_case_keeps_the_channel(as_role: AsRole, channel: str, filed_as: str) -> None:
    agent, csrf = as_role("agent")
    hid = open_handoff(agent, f"x-{channel}", channel=channel, lines=[("user", "办不成")])
    case_no = file_from(agent, csrf, hid, tell_citizen="").headers["location"].rsplit("/", 1)[1]
    with _db(agent).sessions() as session:
        case = session.scalar(select(Case).where(Case.case_no == case_no))
        assert case is not None and case.channel == filed_as
        assert not session.scalars(select(HandoffMessage).where(HandoffMessage.author == "agent")).all()


def test_a_closed_handoff_can_still_be_filed_but_nobody_is_messaged(as_role: AsRole) -> None:
    agent, csrf = as_role("agent")
    hid = open_handoff(agent, "wx-late", lines=[("user", "我要投诉")])
    agent.post(f"/console/handoffs/{hid}/close", data={"csrf_token": csrf})
    assert "把工单编号和答复期限发给市民" not in agent.get(f"/console/handoffs/{hid}").text
    assert file_from(agent, csrf, hid).status_code == 303
    with _db(agent).sessions() as session:
        assert not session.scalars(select(HandoffMessage).where(HandoffMessage.author == "agent")).all()


def test_a_bad_case_form_comes_back_with_what_to_fix(as_role: AsRole) -> None:
    agent, csrf = as_role("agent")
    hid = open_handoff(agent, "wx-bad", lines=[("user", "有事")])
    resp = file_from(agent, csrf, hid, phone="123", category="")
    assert resp.status_code == 422 and "转为工单：请检查" in resp.text and "联系电话" in resp.text
    assert '<details class="card" id="to-case" open>' in resp.text and 'value="123"' in resp.text
    unknown = file_from(agent, csrf, hid, category="no-such-category")
    assert unknown.status_code == 422 and "类别" in unknown.text
    with _db(agent).sessions() as session:
        assert session.scalars(select(Case)).all() == []
    assert agent.post(f"/console/handoffs/{hid + 99}/case", data={"csrf_token": csrf}).status_code == 404


def test_the_note_keeps_the_last_lines_of_a_long_conversation(as_role: AsRole) -> None:
    agent, _ = as_role("agent")
    many = [("user", f"第{i}句") for i in range(routes_handoffs.NOTE_LINES + 5)]
    hid = open_handoff(agent, "wx-long", lines=many)
    with _db(agent).sessions() as session:
        h = session.get(Handoff, hid)
        assert h is not None
        note = routes_handoffs.transcript_note(h, "坐席甲")
    assert "前面还有 5 行" in note and "第4句" not in note and "第5句" in note and f"第{len(many) - 1}句" in note
