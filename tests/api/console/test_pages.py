"""Console pages end to end with TestClient: file and work a case, handoffs, knowledge gaps, figures, search."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.cases.models import Case
from api.console import talk
from api.core.clock import china_today
from api.core.db import Database
from api.handoff import service as handoff_service
from index.search import Searcher
from tests.api.console.conftest import login, make_user
from tests.support.app import gateway_client, make_settings

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
PUBLIC = "https://banshi.example.gov.cn"
FORGED_HOST = {"Host": "phish.example"}  # anyone can send any Host; links must not follow it
AsRole = Callable[[str], tuple[TestClient, str]]


def _db(client: TestClient) -> Database:
    db: Database = client.app.state.cases.db  # type: ignore[attr-defined]
    return db


def file_case(client: TestClient, csrf: str, description: str = "窗口让我回去开证明", **extra: str) -> str:
    resp = client.post(
        "/console/cases",
        data={
            "csrf_token": csrf,
            "category": "extra-materials",
            "request_type": "complaint",
            "description": description,
            "phone": "138 1234 5678",
            "idem": extra.pop("idem", "form-1"),
            **extra,
        },
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text
    return resp.headers["location"].rsplit("/", 1)[1]


def test_file_a_case_and_move_it_to_replied(as_role: AsRole) -> None:
    agent, csrf = as_role("agent")
    no = file_case(agent, csrf, item_id="pension-retire")
    page = agent.get(f"/console/cases/{no}").text
    assert "138****5678" in page and "13812345678" not in page  # the phone is masked once captured
    assert "受理" in page and "pension-retire" in page
    # the same form submitted twice (double click) is one case
    assert file_case(agent, csrf, item_id="pension-retire") == no

    r = agent.post(f"/console/cases/{no}/transition", data={"csrf_token": csrf, "to": "in_progress"})
    assert r.status_code == 200 and "办理中" in r.text
    r = agent.post(f"/console/cases/{no}/note", data={"csrf_token": csrf, "text": "已电话联系窗口"})
    assert "已电话联系窗口" in r.text
    r = agent.post(f"/console/cases/{no}/reply", data={"csrf_token": csrf, "text": "已协调窗口，不用再开证明"})
    assert r.status_code == 200 and 'id="case-status">已答复' in r.text
    again = agent.post(f"/console/cases/{no}/transition", data={"csrf_token": csrf, "to": "forwarded"})
    assert again.status_code == 409
    full = agent.post(f"/console/cases/{no}/phone", data={"csrf_token": csrf})
    assert "13812345678" in full.text and "查看完整号码" in full.text  # looked at on purpose, audited


def test_the_story_is_shown_masked_until_revealed_on_purpose(as_role: AsRole) -> None:
    agent, csrf = as_role("agent")
    story = "我身份证110101199003071234，窗口让我留了手机139 1234 5678，一直没人回"
    no = file_case(agent, csrf, description=story, idem="story")
    page = agent.get(f"/console/cases/{no}").text
    assert "我身份证1101**********1234，窗口让我留了手机139****5678，一直没人回" in page
    assert "110101199003071234" not in page and "139 1234 5678" not in page
    assert f'action="/console/cases/{no}/description"' in page
    full = agent.post(f"/console/cases/{no}/description", data={"csrf_token": csrf})
    assert full.status_code == 200 and story in full.text and "查看完整反映内容" in full.text  # audited
    again = agent.get(f"/console/cases/{no}").text
    assert "110101199003071234" not in again  # one look, not a setting
    plain = file_case(agent, csrf, idem="plain")
    assert "/description" not in agent.get(f"/console/cases/{plain}").text  # nothing hidden, nothing to reveal


def test_bad_case_form_is_422_and_keeps_the_input(as_role: AsRole) -> None:
    agent, csrf = as_role("agent")
    r = agent.post(
        "/console/cases",
        data={"csrf_token": csrf, "category": "other", "description": "有问题", "phone": "12345", "idem": "x"},
    )
    assert r.status_code == 422 and "联系电话" in r.text and "有问题" in r.text


def test_agents_cannot_touch_supervision(as_role: AsRole) -> None:
    agent, csrf = as_role("agent")
    no = file_case(agent, csrf, idem="sup-1")
    r = agent.post(f"/console/cases/{no}/transition", data={"csrf_token": csrf, "to": "supervised"})
    assert r.status_code == 403


def test_the_header_names_the_role_in_chinese(as_role: AsRole) -> None:
    for role, name in (("agent", "坐席"), ("supervisor", "督办员")):
        client, _ = as_role(role)
        page = client.get("/console/cases").text
        assert f"（{name}）" in page and f"（{role}）" not in page


def test_xss_in_case_text_is_shown_as_text(as_role: AsRole) -> None:
    agent, csrf = as_role("agent")
    no = file_case(agent, csrf, description=XSS, idem="xss")
    agent.post(f"/console/cases/{no}/note", data={"csrf_token": csrf, "text": XSS})
    page = agent.get(f"/console/cases/{no}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "script-src 'self'" in agent.get(f"/console/cases/{no}").headers["content-security-policy"]


def test_queue_filters_and_supervision_list(as_role: AsRole) -> None:
    agent, csrf = as_role("agent")
    boss, boss_csrf = as_role("supervisor")
    late = file_case(agent, csrf, description="超期的件", idem="late")
    fresh = file_case(agent, csrf, description="新件", idem="fresh")
    with _db(agent).sessions() as session:
        session.execute(update(Case).where(Case.case_no == late).values(deadline=china_today() - timedelta(days=3)))
        session.commit()
    page = agent.get("/console/cases", params={"overdue": "yes"}).text
    assert late in page and fresh not in page and "超期 3 天" in page
    assert fresh in agent.get("/console/cases", params={"overdue": "no"}).text
    assert late in agent.get("/console/cases", params={"status": "received", "category": "extra-materials"}).text
    assert late not in agent.get("/console/cases", params={"status": "replied"}).text
    assert agent.get("/console/cases", params={"status": "nonsense"}).status_code == 422
    r = boss.post(f"/console/cases/{fresh}/assign", data={"csrf_token": boss_csrf, "department": "人社局"})
    assert r.status_code == 200 and "转办" in r.text
    assert fresh in agent.get("/console/cases", params={"department": "人社局"}).text
    r = boss.post(f"/console/cases/{fresh}/transition", data={"csrf_token": boss_csrf, "to": "supervised"})
    sup = boss.get("/console/supervision").text
    overdue_part, supervised_part = sup.split("已转督办", 1)
    assert late in overdue_part and fresh in supervised_part


def test_handoff_queue_transcript_and_reply_reach_the_widget_inbox(as_role: AsRole) -> None:
    agent, csrf = as_role("agent")
    resp = agent.post(
        "/api/handoffs",
        json={
            "sender": "w-inbox-1",
            "channel": "widget",
            "reason": "转人工",
            "transcript": [{"from": "user", "text": XSS}, {"from": "bot", "text": "正在为您转人工"}],
        },
        headers={"X-Internal-Token": "test-internal-token"},
    )
    hid = resp.json()["handoff_id"]
    assert f"/console/handoffs/{hid}" in agent.get("/console/handoffs").text
    page = agent.get(f"/console/handoffs/{hid}").text
    assert "<script>alert" not in page and "&lt;script&gt;" in page and "正在为您转人工" in page
    r = agent.post(f"/console/handoffs/{hid}/reply", data={"csrf_token": csrf, "text": "您好，我是坐席小王"})
    assert r.status_code == 200 and "您好，我是坐席小王" in r.text
    with _db(agent).sessions() as session:  # what the widget's chat reply carried (tests/api/handoff)
        key = handoff_service.issue_key(session=session, handoff_id=hid, sender="w-inbox-1")
    assert key
    inbox = agent.get("/api/handoffs/inbox/w-inbox-1", headers={"X-Handoff-Key": key}).json()
    assert [m["text"] for m in inbox] == ["您好，我是坐席小王"] and inbox[0]["from"] == "agent"
    agent.post(f"/console/handoffs/{hid}/close", data={"csrf_token": csrf})
    assert 'data-status="closed">已结束' in agent.get(f"/console/handoffs/{hid}").text


def _turn(
    client: TestClient, text: str, *, kind: str = "none", rid: str | None = None, ok: bool = False, **kw: str
) -> None:
    with _db(client).sessions() as session:
        handoff_service.record_turn(
            session=session,
            sender=kw.get("sender", "w-1"),
            channel=kw.get("channel", "widget"),
            text=text,
            route_kind=kind,
            route_id=rid,
            confident=ok,
            degraded=False,
            handoff_key=kw.get("handoff_key"),
        )


def test_open_thread_gets_the_citizens_new_lines(as_role: AsRole) -> None:
    agent, csrf = as_role("agent")
    hid = agent.post(
        "/api/handoffs",
        json={
            "sender": "w-live-1",
            "channel": "widget",
            "reason": "转人工",
            "transcript": [{"from": "user", "text": "转人工"}],
        },
        headers={"X-Internal-Token": "test-internal-token"},
    ).json()["handoff_id"]
    page = agent.get(f"/console/handoffs/{hid}").text
    after = int(page.split('data-after="', 1)[1].split('"', 1)[0])
    assert agent.get(f"/console/handoffs/{hid}/messages", params={"after": after}).json()["messages"] == []
    agent.post(f"/console/handoffs/{hid}/reply", data={"csrf_token": csrf, "text": "您好，请讲"})
    with _db(agent).sessions() as session:
        key = handoff_service.issue_key(session=session, handoff_id=hid, sender="w-live-1")
    assert key
    _turn(agent, XSS, sender="w-live-1", handoff_key=key)  # the citizen writes again, from the widget with the key
    data = agent.get(f"/console/handoffs/{hid}/messages", params={"after": after}).json()
    assert [(m["author"], m["text"]) for m in data["messages"]] == [("agent", "您好，请讲"), ("user", XSS)]
    assert data["status"] == "open" and data["messages"][1]["who"] == "市民"
    assert agent.get("/console/handoffs/999999/messages").status_code == 404


def test_knowledge_gaps_grouped_proposed_and_exported(as_role: AsRole) -> None:
    boss, csrf = as_role("supervisor")
    for t in ("老了领钱的手续", "老了领钱的手续 ", "老了領錢的手續", '=HYPERLINK("x")'):
        _turn(boss, t)
    _turn(boss, "社保卡丢了", kind="guide", rid="ss-card-replace", ok=True)  # answered: not a gap
    _turn(boss, "我要找人工 13812345678", kind="handoff")
    page = boss.get("/console/gaps").text
    row = re.search(r"老了领钱的手续</td><td>(\d+)</td>", page)
    assert row and row.group(1) == "3"  # normalised: spaces and traditional characters grouped
    assert "社保卡丢了" not in page and "13812345678" not in page and "[电话]" in page
    for text in ("老了领钱的手续", '=hyperlink("x")'):
        r = boss.post(
            "/console/gaps/proposals",
            data={"csrf_token": csrf, "text": text, "entry_id": "pension-retire", "count": "3"},
            follow_redirects=False,
        )
        assert r.status_code == 303
    assert (
        boss.post(
            "/console/gaps/proposals", data={"csrf_token": csrf, "text": "x", "entry_id": "no-such-guide"}
        ).status_code
        == 422
    )
    csv_text = boss.get("/console/gaps/proposals.csv").text
    assert (
        "pension-retire" in csv_text and "老了领钱的手续" in csv_text and "guides/items/pension-retire.yml" in csv_text
    )
    assert "'=hyperlink" in csv_text  # never a live formula in a spreadsheet
    patch = boss.get("/console/gaps/proposals.yml").text
    assert "# guides/items/pension-retire.yml" in patch and "- 老了领钱的手续" in patch


def test_figures_count_turns_cases_and_ratings(as_role: AsRole) -> None:
    boss, csrf = as_role("supervisor")
    _turn(boss, "退休", kind="guide", rid="pension-retire", ok=True, sender="a", channel="widget")
    _turn(boss, "退休咋办", kind="guide", rid="pension-retire", ok=True, sender="a", channel="widget")
    _turn(boss, "啥", sender="b", channel="wechat")
    no = file_case(boss, csrf, idem="fig")
    boss.post(f"/console/cases/{no}/transition", data={"csrf_token": csrf, "to": "in_progress"})
    boss.post(f"/console/cases/{no}/reply", data={"csrf_token": csrf, "text": "已答复"})
    rating = boss.post(f"/api/cases/{no}/rating", json={"phone_last4": "5678", "score": 2, "comment": "不满意"})
    assert rating.status_code == 200
    page = boss.get("/console/figures").text
    assert page.count("<svg") >= 6
    assert "66.7%" in page  # answer rate: 2 of 3 turns
    assert "100.0%" in page  # 按期回复率: replied before the deadline
    assert "重复或额外索要材料" in page and "企业职工基本养老保险待遇申领" in page
    assert "2 不满意" in page and "wechat" in page


def test_qr_codes_link_to_the_public_site_whatever_the_host_header(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, public_base_url=PUBLIC + "/")
    with gateway_client(settings) as client:
        make_user(client, "qr-agent", "agent")
        login(client, "qr-agent")
        svg = client.get("/console/qr/pension-retire.svg", headers=FORGED_HOST)
        assert svg.status_code == 200
        assert svg.text == talk.qr_svg(f"{PUBLIC}/guides/pension-retire")


@pytest.mark.slow
def test_search_api_answers_fast_with_card_script_and_qr(as_role: AsRole, searcher: Searcher) -> None:
    agent, _ = as_role("agent")
    agent.app.state.app.searcher = searcher  # type: ignore[attr-defined]
    agent.get("/console/api/search", params={"q": "退休"})  # warm
    took = sorted(agent.get("/console/api/search", params={"q": q}).json()["took_ms"] for q in ("退休", "退休手续") * 3)
    # the target is 100 ms on the server; a machine busy with other work (load above its cores) gets slack
    budget = 100.0 if os.getloadavg()[0] <= (os.cpu_count() or 1) else 1000.0
    assert took[len(took) // 2] < budget, took
    resp = agent.get("/console/api/search", params={"q": "退休"}, headers=FORGED_HOST)
    data = resp.json()
    assert resp.status_code == 200
    ids = [r["id"] for r in data["results"]]
    assert {"pension-retire", "yjs-retirement"} & set(ids[:2])
    card = next(r for r in data["results"] if r["id"] in ("pension-retire", "yjs-retirement"))
    base = agent.app.state.settings.public_base_url.rstrip("/")  # type: ignore[attr-defined]
    assert card["materials"] and card["window"] and card["script"].startswith("您好")
    assert "居民身份证" in card["script"] and card["url"] == f"{base}/guides/{card['id']}"
    svg = agent.get(card["qr"])
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml") and "<svg" in svg.text
    assert agent.get("/console/qr/no-such-guide.svg").status_code == 404
    assert agent.get("/console/api/search", params={"q": ""}).json()["results"] == []


@pytest.mark.slow
def test_search_api_leads_with_the_answer_a_citizen_would_read(as_role: AsRole, searcher: Searcher) -> None:
    """Site facts and the asked fact for the agent, from the same answer decision as every chat channel."""
    agent, _ = as_role("agent")
    agent.app.state.app.searcher = searcher  # type: ignore[attr-defined]
    cat = agent.app.state.app.catalogue  # type: ignore[attr-defined]
    weekend = agent.get("/console/api/search", params={"q": "政务中心周六开门吗"}).json()["answer"]
    assert weekend["decision"] == "site" and cat.site.hours.weekend in weekend["text"]
    fee = agent.get("/console/api/search", params={"q": "补办身份证要多少钱"}).json()["answer"]
    assert fee["asked"] == "fee" and cat.items[fee["id"]].fee in fee["text"]
    assert agent.get("/console/api/search", params={"q": "帮我订一张去火星的机票"}).json()["answer"] is None
