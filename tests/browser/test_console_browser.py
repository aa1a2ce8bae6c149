"""The hotline console in headless Chromium: log in, search 退休, read the card, file a case for a caller,
move it to 已答复, see it in the figures, log out. Screenshots go to var/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.accounts import auth
from api.core.db import Database
from api.main import create_app
from index.search import Searcher
from tests.browser.conftest import SCREENSHOTS as SHOTS
from tests.support.app import PASSWORD, live_server, make_settings
from tests.support.fake_rasa import FakeRasa

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory, searcher: Searcher) -> Iterator[str]:
    """The gateway on a loopback port (uvicorn in a thread) with the session's search index."""
    rasa = FakeRasa(internal_token="browser-test-token").start()  # 转人工 opens a handoff, as the action server does
    settings = make_settings(
        tmp_path_factory.mktemp("console-browser"), internal_token="browser-test-token", rasa_url=rasa.url
    )
    app = create_app(settings)
    try:
        with live_server(app, lifespan="auto") as url:
            app.state.app.searcher = searcher
            db: Database = app.state.cases.db
            with db.sessions() as session:
                auth.create_user(
                    session=session, username="wang", password=PASSWORD, role="supervisor", display_name="王坐席"
                )
            rasa.gateway_url = url
            yield url
    finally:
        rasa.stop()


def test_console_call_to_reply_to_figures(console_server: str, browser: object) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # log in
    resp = page.goto(f"{console_server}/console")
    assert resp is not None and resp.status == 401
    page.fill("#username", "wang")
    page.fill("#password", PASSWORD)
    page.click("#login")
    expect(page.locator("#q")).to_be_visible()

    # search 退休 as the caller speaks, and read the card
    page.locator("#q").press_sequentially("退休", delay=60)
    first = page.locator("#results details.result").first
    expect(first).to_be_visible(timeout=15_000)
    expect(first.locator(".name")).to_contain_text("退休")
    first.locator("summary").click()  # one line per result; the full card opens on click
    expect(first.locator(".script")).to_contain_text("您好")
    expect(first.locator(".materials li").first).to_contain_text("身份证")
    expect(first.locator(".window")).to_contain_text("窗口")
    expect(first.locator("img.qr")).to_have_js_property("complete", True)
    assert first.locator("img.qr").evaluate("img => img.naturalWidth") > 0
    assert "/guides/" in (first.locator("a.link").get_attribute("href") or "")
    page.screenshot(path=str(SHOTS / "console-search.png"), full_page=True)

    # file a case for the caller from that card; the description tries to run script
    first.locator("a.file-case").click()
    expect(page.locator("#description")).to_be_visible()
    assert page.locator("#item_id").input_value()
    page.check("#rt-complaint")  # 诉求类型 is asked, never pre-selected
    page.select_option("#category", "extra-materials")
    page.fill("#description", '窗口要我再开一份证明<img src=x onerror="alert(1)"><script>alert(2)</script>')
    page.fill("#phone", "13812345678")
    page.click("#file-case")
    case_no = page.locator("#case-no").inner_text()
    assert case_no.startswith("YS")
    expect(page.locator("#case-status")).to_have_text("受理")
    expect(page.locator("#description")).to_contain_text("<script>alert(2)</script>")  # shown as text
    assert "13812345678" not in page.content()
    page.screenshot(path=str(SHOTS / "console-case-filed.png"), full_page=True)

    # move it along: 办理中, then the reply makes it 已答复
    page.select_option("#to", "in_progress")
    page.click("#do-transition")
    expect(page.locator("#case-status")).to_have_text("办理中")
    page.fill("#reply-text", "已和窗口核实，不需要再开证明，您带身份证直接去办理即可。")
    page.click("#do-reply")
    expect(page.locator("#case-status")).to_have_text("已答复")
    expect(page.locator("#timeline")).to_contain_text("已和窗口核实")
    page.screenshot(path=str(SHOTS / "console-case-replied.png"), full_page=True)

    # the queue shows it, and the figures count it
    page.goto(f"{console_server}/console/cases?status=replied")
    expect(page.locator("table.cases")).to_contain_text(case_no)
    page.goto(f"{console_server}/console/figures")
    expect(page.locator("#complaints svg")).to_contain_text("重复或额外索要材料")
    expect(page.locator("body")).to_contain_text("100.0%")
    page.screenshot(path=str(SHOTS / "console-figures.png"), full_page=True)

    # log out: the console asks for a login again
    page.click("#logout")
    expect(page.locator("#login")).to_be_visible()
    resp = page.goto(f"{console_server}/console/cases")
    assert resp is not None and resp.status == 401
    assert dialogs == [] and errors == []
    page.close()


def test_open_handoff_shows_the_citizens_new_messages_live(console_server: str, browser: object) -> None:
    """An agent reads a handoff while the caller keeps typing in the widget: the line appears without a reload."""
    import httpx
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    sender = "w-live-browser"
    widget = {"X-Chat-Channel": "widget"}
    opened = httpx.post(
        f"{console_server}/api/chat", json={"sender": sender, "message": "/request_human"}, headers=widget, timeout=30
    ).json()["meta"]
    hid, key = opened["route"]["id"], opened["handoff_key"]
    assert opened["route"]["kind"] == "handoff" and key
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{console_server}/console/login")
    page.fill("#username", "wang")
    page.fill("#password", PASSWORD)
    page.click("#login")
    expect(page.locator("#q")).to_be_visible()
    page.goto(f"{console_server}/console/handoffs/{hid}")
    expect(page.locator("#transcript li")).to_have_count(1)

    said = "我是外地户口，社保卡能在这里补吗<b>？</b>"
    body = {"sender": sender, "message": "没有钥匙的人冒名插话"}
    assert httpx.post(f"{console_server}/api/chat", json=body, headers=widget, timeout=30).status_code == 200
    body = {"sender": sender, "message": said}
    resp = httpx.post(f"{console_server}/api/chat", json=body, headers={**widget, "X-Handoff-Key": key}, timeout=30)
    assert resp.status_code == 200

    line = page.locator("#transcript li.from-user").last
    expect(line).to_contain_text(said, timeout=10_000)  # as text: the <b> is not markup
    expect(page.locator("#transcript li")).to_have_count(2)
    assert "新消息" in page.title()
    page.screenshot(path=str(SHOTS / "console-handoff-live.png"), full_page=True)
    assert errors == []
    page.close()
