"""The widget and the pages in headless Chromium, against the real gateway and a fake Rasa."""

from __future__ import annotations

import re
from typing import Any

from api.chat.content import load_messages
from tests.browser.conftest import Live, shot

QUESTION = "社保卡丢了怎么补办"
SAY = load_messages()


def sender_of(page: Any) -> str:
    """The widget's sender id as stored in localStorage (JSON-encoded there)."""
    js = "JSON.parse(Object.keys(localStorage).filter(k => k.endsWith(':sender')).map(k => localStorage[k])[0])"
    sender: str = page.evaluate(js)
    return sender


def open_widget(page: Any, live: Live) -> None:
    page.goto(live.url + "/")
    page.locator("#baihua-widget .bw-bubble").click()
    page.locator("#bw-input").wait_for(state="visible")


def ask(page: Any, text: str) -> None:
    page.locator("#bw-input").fill(text)
    page.locator("#bw-input").press("Enter")


def test_ask_and_see_the_guide_card_with_its_window(page: Any, live: Live) -> None:
    open_widget(page, live)
    assert page.locator("#baihua-widget [role=log]").count() == 1
    assert page.evaluate("document.activeElement && document.activeElement.id") == "bw-input"
    ask(page, QUESTION)
    card = page.locator(".bw-card", has_text="社会保障卡挂失与补换")
    card.wait_for()
    assert "社保医保综合窗口" in card.inner_text() and "一楼东区" in card.inner_text()
    assert SAY.text("widget", "check_point") in card.inner_text()
    assert card.locator("a.bw-full").get_attribute("href") == live.url + "/guides/ss-card-replace"
    shot(page, "widget-answer")


def test_clarification_button(page: Any, live: Live) -> None:
    open_widget(page, live)
    ask(page, "办卡")
    page.locator(".bw-choices button", has_text="社会保障卡挂失与补换").click()
    page.locator(".bw-card", has_text="社会保障卡挂失与补换").wait_for()
    assert page.locator(".bw-user", has_text="社会保障卡挂失与补换").count() == 1  # the title, not the payload
    assert page.evaluate("document.activeElement && document.activeElement.id") == "bw-input"


def test_conversation_survives_a_reload(page: Any, live: Live) -> None:
    open_widget(page, live)
    ask(page, QUESTION)
    page.locator(".bw-card").wait_for()
    sender = sender_of(page)
    page.reload()
    page.locator(".bw-user", has_text=QUESTION).wait_for()
    assert page.locator(".bw-card", has_text="社会保障卡挂失与补换").is_visible()
    again = sender_of(page)
    assert again == sender
    shot(page, "widget-after-reload")


def test_file_a_complaint_to_a_case_number(page: Any, live: Live) -> None:
    open_widget(page, live)
    page.locator("#baihua-widget .bw-complaint").click()  # always reachable, next to the input
    page.locator(".bw-choices button", has_text="办不成事").click()
    page.locator(".bw-bot", has_text="发生了什么").wait_for()
    ask(page, "窗口说材料不全让我跑了三趟还没办成")
    page.locator(".bw-bot", has_text="联系电话").wait_for()
    ask(page, "13812345678")
    page.locator(".bw-bot", has_text="138****5678").wait_for()
    page.locator(".bw-choices button", has_text="确认提交").click()
    done = page.locator(".bw-bot", has_text="投诉已受理")
    done.wait_for()
    case_no = re.search(r"编号 (\S+)，", done.inner_text())
    assert case_no, done.inner_text()
    shot(page, "widget-complaint")
    resp = page.request.get(f"{live.url}/api/cases/{case_no.group(1)}", params={"phone_last4": "5678"})
    assert resp.status == 200 and resp.json()["case_no"] == case_no.group(1)


def test_handoff_then_the_agent_reply_arrives_in_the_widget(page: Any, live: Live) -> None:
    from sqlalchemy import select

    from api.handoff import service as handoffs
    from api.handoff.models import Handoff

    open_widget(page, live)
    sender = sender_of(page)
    assert re.fullmatch(r"w-[0-9a-f]{32}", sender)  # 128 random bits: nobody guesses another browser's id
    page.locator("#baihua-widget .bw-human").click()  # always reachable, next to the input
    page.locator(".bw-bot", has_text="转人工").wait_for()
    page.locator(".bw-waiting").wait_for()  # handoff mode: the widget says a person is next
    with live.app.state.cases.db.sessions() as session:  # opened by the fake action server, keyed by the gateway
        h = session.scalars(select(Handoff).where(Handoff.sender == sender)).one()
        assert h.key_hash
        handoffs.agent_reply(
            session=session, handoff=h, text="您好，我是窗口的小李，您的社保卡可以这样补……", agent="li"
        )
        hid = h.id
    page.locator(".bw-agent", has_text="我是窗口的小李").wait_for(timeout=15_000)  # the widget polls the inbox
    shot(page, "widget-handoff")
    ask(page, "我是外地户口，也能补吗")  # the widget sends the key along: the words reach the agent's thread
    page.locator(".bw-user", has_text="我是外地户口").wait_for()
    page.locator(".bw-bot", has_text=SAY.text("handoff", "passed_on")).wait_for()  # the bot itself is quiet
    assert page.locator(".bw-bot", has_text="我听到了").count() == 0
    with live.app.state.cases.db.sessions() as session:
        thread = session.get(Handoff, hid)
        assert thread is not None and thread.messages[-1].text == "我是外地户口，也能补吗"
    status = page.evaluate(f"fetch('/api/handoffs/inbox/{sender}').then(r => r.status)")
    assert status == 404  # the inbox without the key: only the widget holding it reads the agent's replies
    with live.app.state.cases.db.sessions() as session:  # 结束会话 in the console
        h = session.get(Handoff, hid)
        assert h is not None
        handoffs.close_handoff(session=session, handoff=h, agent="li")
    page.locator(".bw-note", has_text=SAY.text("handoff", "ended_by_agent")).wait_for(timeout=15_000)
    page.locator(".bw-waiting").wait_for(state="hidden")
    ask(page, "你好")
    page.locator(".bw-bot", has_text="我听到了").wait_for()  # the bot answers again


def test_degraded_answer_when_rasa_fails(page: Any, live: Live) -> None:
    live.rasa.mode = "error"
    try:
        open_widget(page, live)
        ask(page, QUESTION)
        page.locator(".bw-card", has_text="社会保障卡挂失与补换").wait_for()
        page.locator(".bw-note", has_text="自动查询").wait_for()
        shot(page, "widget-degraded")
    finally:
        live.rasa.mode = "normal"


def test_script_in_a_message_renders_as_text(page: Any, live: Live) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_widget(page, live)
    evil = '<script>alert("x")</script><img src=x onerror="alert(2)">'
    ask(page, evil)
    page.locator(".bw-bot", has_text="我听到了").wait_for()
    page.wait_for_timeout(300)
    assert page.locator(".bw-user", has_text=evil).count() == 1  # the literal text is visible
    assert page.locator(".bw-bot", has_text=evil).count() == 1
    assert page.locator("#baihua-widget img, #baihua-widget script").count() == 0
    assert dialogs == []


def test_keyboard_focus_and_large_text(page: Any, live: Live) -> None:
    page.goto(live.url + "/")
    bubble = page.locator("#baihua-widget .bw-bubble")
    bubble.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "bw-input"
    assert bubble.get_attribute("aria-expanded") == "true"
    large = page.locator(".bw-large-toggle")
    large.click()
    assert large.get_attribute("aria-pressed") == "true"
    assert "bw-large" in (page.locator("#baihua-widget").get_attribute("class") or "")
    ask(page, QUESTION)
    page.locator(".bw-card").wait_for()
    shot(page, "widget-large-text")
    page.keyboard.press("Escape")
    assert page.locator("#bw-panel").is_hidden()
    assert page.evaluate("document.activeElement.className") == "bw-bubble"


def test_guide_page_and_print_view(page: Any, live: Live) -> None:
    page.set_viewport_size({"width": 1024, "height": 900})
    page.goto(live.url + "/guides/ss-card-replace")
    assert page.locator("h1").inner_text() == "社会保障卡挂失与补换"
    assert page.locator(".checklist li").count() >= 2
    assert "一楼东区" in page.locator(".where").inner_text()
    shot(page, "guide-page")
    page.get_by_role("link", name="打印材料清单").click()
    page.wait_for_url(re.compile(r"print=1"))
    assert page.locator("#baihua-widget").count() == 0
    assert page.locator(".site-header nav").is_hidden()
    shot(page, "guide-print")
    pdf = page.pdf()  # the print stylesheet renders
    assert pdf[:4] == b"%PDF"


def test_home_search_windows_pages(page: Any, live: Live) -> None:
    page.set_viewport_size({"width": 1024, "height": 900})
    page.goto(live.url + "/")
    shot(page, "home")
    page.locator("#q").fill("社保卡丢了")
    page.locator("#q").press("Enter")
    page.locator(".results a", has_text="社会保障卡挂失与补换").wait_for()
    page.goto(live.url + "/windows")
    assert page.locator("h2", has_text="一楼").count() >= 1
    page.goto(live.url + "/guides/yjs-ss-card")
    assert page.locator(".checklist li").count() >= 1
    shot(page, "bundle-page")
