"""The work order in the console (TestClient): 来电登记 with name, address, 诉求类型 and the item by name; 派单 →
签收 / 退回 → 延期 → 答复 → 回访 with success lines and a Chinese timeline; merging; the caller view; the figures."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.accounts import auth
from api.cases.models import CallerLookup, Case
from api.core.clock import china_today
from api.core.db import Database
from tests.api.console.conftest import login
from tests.support.app import PASSWORD

AsRole = Callable[[str], tuple[TestClient, str]]
TIMELINE = re.compile(r'<ol class="timeline" id="timeline">(.*?)</ol>', re.S)


def _db(client: TestClient) -> Database:
    db: Database = client.app.state.cases.db  # type: ignore[attr-defined]
    return db


def department_agent(app_client: TestClient, department: str) -> tuple[TestClient, str]:
    name = f"dept-{uuid.uuid4().hex[:6]}"
    with _db(app_client).sessions() as session:
        auth.create_user(
            session=session, username=name, password=PASSWORD, role="agent", display_name="人社局小李",
            department=department,
        )  # fmt: skip
    c = TestClient(app_client.app)
    return c, login(c, name)


def file(client: TestClient, csrf: str, **fields: str) -> str:
    data = {
        "csrf_token": csrf,
        "request_type": "complaint",
        "category": "extra-materials",
        "caller_name": "张先生",
        "address": "示范区人民路12号",
        "description": "窗口让我回去开证明",
        "phone": "138 1234 5678",
        "item_name": "",
        "item_id": "",
        "idem": uuid.uuid4().hex,
        **fields,
    }
    resp = client.post("/console/cases", data=data, follow_redirects=False)
    assert resp.status_code == 303, resp.text
    return resp.headers["location"].rsplit("/", 1)[1]


def _timeline(page: str) -> str:
    m = TIMELINE.search(page)
    assert m, "no timeline on the page"
    return re.sub(r"<[^>]+>", "", m.group(1))


def test_new_case_form_preselects_nothing_and_keeps_a_typed_item(as_role: AsRole) -> None:
    agent, csrf = as_role("agent")
    form = agent.get("/console/cases/new").text
    category = form.split('id="category"', 1)[1].split("</select>", 1)[0]
    assert '<option value="">请选择</option>' in category and "selected" not in category
    types = form.split('id="request-types"', 1)[1].split("</fieldset>", 1)[0]
    assert all(t in types for t in ("咨询", "求助", "投诉", "建议")) and "checked" not in types
    assert 'id="caller_name"' in form and 'id="address"' in form and 'id="item_name"' in form

    items = agent.get("/console/api/items", params={"q": "退休"}).json()["items"]
    assert "pension-retire" in [i["id"] for i in items] and all("退休" in i["name"] for i in items)
    assert agent.get("/console/api/items", params={"q": ""}).json()["items"] == []

    # no 诉求类型: refused, with what was typed kept
    r = agent.post(
        "/console/cases",
        data={"csrf_token": csrf, "category": "other", "description": "有问题", "phone": "13812345678",
              "caller_name": "王阿姨", "idem": "x1"},
    )  # fmt: skip
    assert r.status_code == 422 and "诉求类型" in r.text and "王阿姨" in r.text
    # a typed item name that matches no item is not dropped silently
    r = agent.post(
        "/console/cases",
        data={"csrf_token": csrf, "request_type": "consult", "category": "other", "description": "问问",
              "phone": "13812345678", "item_name": "没有这种事项", "idem": "x2"},
    )  # fmt: skip
    assert r.status_code == 422 and "没找到事项“没有这种事项”" in r.text

    # typed, not picked: the one item whose name contains it
    no = file(agent, csrf, item_name="企业职工基本养老保险待遇申领", request_type="consult")
    page = agent.get(f"/console/cases/{no}").text
    assert 'id="done"' in page and "已登记" in page  # the success line, once
    assert 'id="done"' not in agent.get(f"/console/cases/{no}").text
    item = page.split('id="item">', 1)[1].split("</dd>", 1)[0]
    assert "企业职工基本养老保险待遇申领" in item and ">pension-retire<" not in item
    assert "张先生" in page and "示范区人民路12号" in page and 'id="request-type">咨询' in page
    assert "12345热线" in page


def test_an_alias_item_id_is_the_item_it_names_in_the_work_order(as_role: AsRole, app_client: TestClient) -> None:
    """new-car-registration is an alias entry (same_as) of vehicle-registration: the form, the filing and a case
    stored with the alias id before (its 事项 link and name) all reach the one guide."""
    agent, csrf = as_role("agent")
    form = agent.get("/console/cases/new", params={"item_id": "new-car-registration"}).text
    assert 'value="vehicle-registration"' in form
    no = file(agent, csrf, item_id="new-car-registration", request_type="consult")
    with _db(app_client).sessions() as session:
        case = session.scalars(select(Case).where(Case.case_no == no)).one()
        assert case.item_id == "vehicle-registration"
        session.execute(update(Case).where(Case.case_no == no).values(item_id="new-car-registration"))
        session.commit()
    item = agent.get(f"/console/cases/{no}").text.split('id="item">', 1)[1].split("</dd>", 1)[0]
    assert "机动车注册登记（新车上牌）" in item and 'href="/guides/new-car-registration"' in item  # moves: 301


def test_timeline_reads_in_chinese_with_who_did_it(as_role: AsRole) -> None:
    agent, csrf = as_role("agent")
    no = file(agent, csrf)
    agent.post(f"/console/cases/{no}/note", data={"csrf_token": csrf, "text": "已电话联系窗口"})
    agent.post(f"/console/cases/{no}/phone", data={"csrf_token": csrf})
    text = _timeline(agent.get(f"/console/cases/{no}").text)
    assert "agent 坐席 在12345热线登记" in text and "市民" not in text  # filed by the agent, not "citizen created"
    assert "内部备注" in text and "查看完整号码" in text
    steps = text.replace("agent 坐席", "")  # the test account's display name is the one English word
    assert not re.search(r"[A-Za-z]{2,}", steps), steps  # no English terms, no staff:… ids, no kinds


def test_status_change_offers_no_default_and_no_backward_move(as_role: AsRole) -> None:
    agent, csrf = as_role("agent")
    no = file(agent, csrf)
    page = agent.post(f"/console/cases/{no}/transition", data={"csrf_token": csrf, "to": "in_progress"}).text
    assert "状态已更改" in page
    select_ = page.split('id="to"', 1)[1].split("</select>", 1)[0] if 'id="to"' in page else ""
    assert "forwarded" not in select_ and "received" not in select_ and "selected" not in select_
    r = agent.post(f"/console/cases/{no}/transition", data={"csrf_token": csrf, "to": ""})
    assert r.status_code == 422 and "请选择要改成的状态" in r.text


def test_dispatch_accept_extension_reply_visit(as_role: AsRole, app_client: TestClient) -> None:
    agent, csrf = as_role("agent")
    boss, boss_csrf = as_role("supervisor")
    hr, hr_csrf = department_agent(app_client, "人社局")
    no = file(agent, csrf, item_id="pension-retire")

    page = boss.get(f"/console/cases/{no}").text
    chosen = page.split('id="department-select"', 1)[1].split("</select>", 1)[0]
    assert 'value="human-resources" selected' in chosen  # suggested from the item's department
    assert 'id="dispatch-form"' not in agent.get(f"/console/cases/{no}").text  # agents do not 派单
    assert agent.post(f"/console/cases/{no}/dispatch", data={"csrf_token": csrf, "department": "x"}).status_code == 403
    r = boss.post(f"/console/cases/{no}/dispatch", data={"csrf_token": boss_csrf, "department": "nope"})
    assert r.status_code == 422
    r = boss.post(f"/console/cases/{no}/dispatch", data={"csrf_token": boss_csrf, "department": "human-resources"})
    assert "已派单" in r.text and 'id="department">人社局' in r.text

    assert 'id="do-accept"' not in agent.get(f"/console/cases/{no}").text  # not the agent's department
    assert agent.post(f"/console/cases/{no}/accept", data={"csrf_token": csrf}).status_code == 403
    queue = hr.get("/console/cases", params={"status": "forwarded", "department": "人社局"}).text
    assert queue.count(f'href="/console/cases/{no}"') == 1 and 'id="my-department">人社局待签收' in queue
    page = hr.get(f"/console/cases/{no}").text
    assert 'id="do-accept"' in page and 'id="do-return"' in page
    r = hr.post(f"/console/cases/{no}/accept", data={"csrf_token": hr_csrf})
    assert "已签收" in r.text and 'id="case-status">办理中' in r.text

    r = hr.post(f"/console/cases/{no}/extension", data={"csrf_token": hr_csrf, "days": "2", "reason": "等档案"})
    assert "延期申请已提交" in r.text and 'id="extension-pending"' in r.text
    assert no in boss.get("/console/supervision").text.split('id="extensions"', 1)[1].split('id="returned"', 1)[0]
    before = r.text.split('id="deadline">', 1)[1][:10]
    r = boss.post(f"/console/cases/{no}/extension/decision", data={"csrf_token": boss_csrf, "decision": "approve"})
    assert "延期已批准" in r.text and r.text.split('id="deadline">', 1)[1][:10] > before

    r = hr.post(f"/console/cases/{no}/reply", data={"csrf_token": hr_csrf, "text": "已核实，不用再开证明"})
    assert "答复已提交" in r.text and 'id="awaiting-visit">待回访' in r.text
    r = agent.post(f"/console/cases/{no}/visit", data={"csrf_token": csrf, "result": "0"})
    assert "未联系上" in r.text and 'id="case-status">已答复' in r.text
    r = agent.post(f"/console/cases/{no}/visit", data={"csrf_token": csrf, "result": "5", "note": "很满意"})
    assert "回访已记录" in r.text and 'id="case-status">已办结' in r.text
    text = _timeline(r.text)
    for step in ("派单", "签收", "申请延期", "批准延期", "答复", "回访未联系上", "回访", "人社局小李"):
        assert step in text, step


def test_return_goes_to_the_dispatchers_list(as_role: AsRole, app_client: TestClient) -> None:
    agent, csrf = as_role("agent")
    boss, boss_csrf = as_role("supervisor")
    police, police_csrf = department_agent(app_client, "公安局")
    no = file(agent, csrf)
    boss.post(f"/console/cases/{no}/dispatch", data={"csrf_token": boss_csrf, "department": "public-security"})
    assert police.post(f"/console/cases/{no}/return", data={"csrf_token": police_csrf, "reason": ""}).status_code == 422
    r = police.post(f"/console/cases/{no}/return", data={"csrf_token": police_csrf, "reason": "不归公安管"})
    assert "已退回派单人" in r.text and 'id="case-status">受理' in r.text
    returned = boss.get("/console/supervision").text.split('id="returned"', 1)[1]
    assert no in returned.split("已转督办", 1)[0]


def test_supervised_case_counts_down_and_goes_overdue(as_role: AsRole) -> None:
    agent, csrf = as_role("agent")
    boss, boss_csrf = as_role("supervisor")
    no = file(agent, csrf)
    boss.post(f"/console/cases/{no}/transition", data={"csrf_token": boss_csrf, "to": "supervised"})
    page = boss.get(f"/console/cases/{no}").text
    assert 'class="sla" data-deadline=' in page.split('id="deadline">', 1)[1].split("</dd>", 1)[0]
    with _db(boss).sessions() as session:
        session.execute(update(Case).where(Case.case_no == no).values(deadline=china_today() - timedelta(days=2)))
        session.commit()
    assert "超期 2 天" in boss.get(f"/console/cases/{no}").text
    assert no in boss.get("/console/cases", params={"overdue": "yes"}).text
    assert no in boss.get("/console/supervision").text.split("超期未答复", 1)[1].split('id="extensions"', 1)[0]


def test_merge_and_the_figures_count_a_duplicate_once(as_role: AsRole) -> None:
    agent, csrf = as_role("agent")
    boss, boss_csrf = as_role("supervisor")
    main = file(agent, csrf, phone="13900001111")
    dup = file(agent, csrf, phone="13700002222", description="同一个窗口又让开证明")
    assert 'id="merge-form"' not in agent.get(f"/console/cases/{dup}").text
    r = boss.post(f"/console/cases/{dup}/merge", data={"csrf_token": boss_csrf, "into": "YS20000101-000009"})
    assert r.status_code == 422
    r = boss.post(f"/console/cases/{dup}/merge", data={"csrf_token": boss_csrf, "into": main.lower()})
    assert "已合并" in r.text and f'href="/console/cases/{main}"' in r.text.split('id="merged-into"', 1)[1]
    assert dup in boss.get(f"/console/cases/{main}").text.split('id="duplicates"', 1)[1]
    agent.post(f"/console/cases/{main}/transition", data={"csrf_token": csrf, "to": "in_progress"})
    agent.post(f"/console/cases/{main}/reply", data={"csrf_token": csrf, "text": "已协调窗口"})
    assert 'id="reply">已协调窗口' in agent.get(f"/console/cases/{dup}").text  # both citizens get the reply
    agent.post(f"/console/cases/{main}/visit", data={"csrf_token": csrf, "result": "2"})  # 不满意: 重办
    fig = boss.get("/console/figures").text
    for section, value in (("reopen", "100.0%"), ("satisfaction", "0.0%")):
        part = fig.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]
        assert value in part and "1 件" in part, section  # the duplicate is not a second case
    assert "1/1 件" in fig.split('id="reopen"', 1)[1].split("</section>", 1)[0]
    assert "按期办结率" in fig


def test_caller_view_by_phone_or_case_number_is_audited(as_role: AsRole) -> None:
    agent, csrf = as_role("agent")
    boss, _ = as_role("supervisor")
    a = file(agent, csrf)
    file(agent, csrf, description="第二次打来")
    file(agent, csrf, phone="13900009999", description="别人的事")
    page = agent.get("/console/callers", params={"q": "138-1234-5678"}).text
    history = page.split('id="history"', 1)[1]
    assert history.count("/console/cases/YS") == 2 and "别人的事" not in history
    assert "13812345678" not in page and "138-1234-5678" not in page and "138****5678" in page
    assert 'id="lookups"' not in page  # the audit list is for supervisors
    by_no = agent.get("/console/callers", params={"q": a}).text
    assert by_no.split('id="history"', 1)[1].count("/console/cases/YS") == 2
    assert agent.get("/console/callers", params={"q": "12345"}).status_code == 422
    assert agent.get("/console/callers", params={"q": "YS20000101-000001"}).status_code == 422
    audit = boss.get("/console/callers").text.split('id="lookups"', 1)[1]
    assert audit.count("138****5678") == 2 and a in audit
    with _db(agent).sessions() as session:
        rows = session.scalars(select(CallerLookup)).all()
        assert len(rows) == 2 and all(r.actor.startswith("staff:agent-") for r in rows)
