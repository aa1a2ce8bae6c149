"""Issue 19 items 5 and 6 in headless Chromium at 1440×900: the 转人工 queue (preview, wait, reason names, live
refresh that keeps focus, no button payload shown as words), 转为工单, and the search's uncertainty and compact
results. Screenshots go to var/screenshots/ and /tmp/ho_*.png."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.accounts import auth
from api.core.db import Database
from tests.browser.conftest import INTERNAL_TOKEN, Live, shot

PASSWORD = "correct horse battery"
VIEWPORT = {"width": 1440, "height": 900}
pytestmark = pytest.mark.slow


def copy_shot(page: Any, name: str) -> Path:
    path = shot(page, name)
    shutil.copy(path, f"/tmp/ho_{name}.png")
    return path


@pytest.fixture
def agent_page(browser: Any, live: Live) -> Iterator[Any]:
    """A logged-in agent on a 1440×900 screen; page errors fail the test."""
    from playwright.sync_api import expect

    name = f"ho-{uuid.uuid4().hex[:6]}"
    db: Database = live.app.state.cases.db
    with db.sessions() as session:
        auth.create_user(session=session, username=name, password=PASSWORD, role="agent", display_name="李坐席")
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live.url}/console/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("#login")
    expect(page.locator("#q")).to_be_visible()
    try:
        yield page
    finally:
        context.close()
    assert errors == []


def open_handoff(live: Live, sender: str, lines: list[tuple[str, str]], reason: str = "requested") -> int:
    transcript = [{"from": who, "text": text} for who, text in lines]
    body = {"sender": sender, "channel": "wechat", "reason": reason, "transcript": transcript}
    resp = httpx.post(f"{live.url}/api/handoffs", json=body, headers={"X-Internal-Token": INTERNAL_TOKEN}, timeout=30)
    assert resp.status_code == 201, resp.text
    return int(resp.json()["handoff_id"])


def test_the_queue_refreshes_live_and_a_handoff_becomes_a_case(agent_page: Any, live: Live) -> None:
    from playwright.sync_api import expect

    page = agent_page
    said = "我在窗口排了两个小时，最后说系统坏了让我明天再来，电话13912345678"
    first = open_handoff(
        live, f"wx-{uuid.uuid4().hex[:6]}", [("user", said), ("bot", "很抱歉"), ("user", "/request_human")]
    )
    page.goto(f"{live.url}/console/handoffs")
    row = page.locator(f'#handoff-queue tr[data-id="{first}"]')
    expect(row.locator(".preview")).to_contain_text("我在窗口排了两个小时")
    expect(row.locator(".preview")).to_contain_text("139****5678")
    expect(row.locator(".reason")).to_have_text("市民要求转人工")
    expect(row.locator(".wait")).to_have_text("刚转来")
    assert "request_human" not in page.content() and "13912345678" not in page.content()

    # live: a new handoff shows up without a reload, and the focused link keeps its focus through the poll
    page.evaluate("window.__sameDocument = true")
    row.locator(".preview a").focus()
    before = page.locator("#queue-refreshed").inner_text()
    second = open_handoff(live, f"wx-{uuid.uuid4().hex[:6]}", [("user", "/request_human")], reason="repeated_misses")
    new_row = page.locator(f'#handoff-queue tr[data-id="{second}"]')
    expect(new_row).to_be_visible(timeout=12_000)
    expect(new_row.locator(".reason")).to_have_text("连续几次没答上来")
    expect(new_row.locator(".preview")).to_have_text("（市民只点了按钮，没有留言）")
    assert page.locator("#queue-refreshed").inner_text() != before
    assert page.evaluate("window.__sameDocument") is True  # no reload
    assert page.evaluate("document.activeElement.closest('tr').dataset.id") == str(first)
    expect(page.locator("#queue-count")).to_have_attribute("aria-live", "polite")
    copy_shot(page, "queue")

    # 转为工单 from the thread: the form starts from the citizen's words and the number they typed
    page.goto(f"{live.url}/console/handoffs/{first}")
    expect(page.locator("#transcript")).to_contain_text("（点了“转人工”按钮）")
    assert "/request_human" not in page.locator("#transcript").inner_text()
    page.locator("#to-case > summary").click()
    expect(page.locator("#case-phone")).to_have_value("13912345678")
    expect(page.locator("#case-description")).to_have_value(said)
    page.select_option("#case-category", "cannot-get-done")
    copy_shot(page, "to_case")
    page.click("#file-case")
    expect(page.locator("#case-no")).to_contain_text("YS")
    case_no = page.locator("#case-no").inner_text()
    expect(page.locator("#timeline")).to_contain_text(f"由转人工会话 #{first} 转为工单")
    expect(page.locator("#timeline")).to_contain_text("（点了“转人工”按钮）")
    assert "13912345678" not in page.content()  # masked on the case, in its story and in the transcript
    copy_shot(page, "case")

    page.goto(f"{live.url}/console/handoffs")
    expect(page.locator(f'#handoff-queue tr[data-id="{first}"] .case')).to_have_text(case_no)
    page.goto(f"{live.url}/console/handoffs/{first}")
    expect(page.locator("#handoff-case")).to_contain_text(case_no)
    expect(page.locator("#transcript li.from-agent")).to_contain_text(case_no)  # the citizen was told the number


def test_the_search_says_when_it_is_unsure_and_lists_compactly(agent_page: Any, live: Live) -> None:
    from playwright.sync_api import expect

    page = agent_page
    box = page.locator("#q")
    box.press_sequentially("噪音扰民", delay=40)
    unsure = page.locator("#unsure")
    expect(unsure).to_be_visible()
    expect(unsure.locator(".unsure-title")).to_have_text("没找到准确的指南")
    expect(page.locator("#status")).to_contain_text("没找到准确的指南")
    rows = page.locator("#results details.result")
    expect(rows.first).to_be_visible()
    assert unsure.bounding_box()["y"] < page.locator("#results").bounding_box()["y"]  # the warning comes first
    assert page.locator("#results .script-box").count() == 0  # no read-aloud 话术 anywhere
    expect(rows.first.locator(".unsure-badge")).to_be_visible()
    rows.first.locator("summary").click()
    expect(rows.first.locator(".unsure-note")).to_be_visible()
    copy_shot(page, "search_unsure")

    box.fill("")
    box.press_sequentially("退休", delay=40)
    expect(unsure).to_be_hidden()
    expect(rows.nth(2)).to_be_visible()
    assert rows.count() >= 3
    for i in range(3):  # at least three results on one 1440×900 screen, one line each
        b = rows.nth(i).locator("summary").bounding_box()
        assert b is not None and b["y"] + b["height"] <= VIEWPORT["height"] and b["height"] < 60, b
    assert rows.first.evaluate("d => d.open") is False
    copy_shot(page, "search_compact")

    # keyboard: ↓ from the box to the first result, Enter opens the full card with its 话术 and QR code
    box.focus()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Enter")
    card = rows.first
    expect(card.locator(".script")).to_contain_text("您好")
    expect(card.locator("img.qr")).to_have_js_property("complete", True)
    page.keyboard.press("ArrowDown")
    assert page.evaluate(
        "document.activeElement.closest('details') === document.querySelectorAll('#results details')[1]"
    )
    copy_shot(page, "search_open")


@pytest.mark.parametrize("path", ["/console/handoffs", "/console"])
def test_axe_finds_no_serious_or_critical_violation(agent_page: Any, live: Live, path: str) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    open_handoff(live, f"wx-{uuid.uuid4().hex[:6]}", [("user", "想问问低保")])
    page = agent_page
    page.goto(live.url + path)
    if path == "/console":
        page.locator("#q").press_sequentially("噪音扰民", delay=40)
        expect(page.locator("#results details.result").first).to_be_visible()
        page.locator("#results summary").first.click()
    results = Axe().run(page)
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == []
