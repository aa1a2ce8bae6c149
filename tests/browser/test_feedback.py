"""有用 / 没用 / 没找到 in headless Chromium: tap 没用 under a real answer, then find it in the console's gaps."""

from __future__ import annotations

import uuid
from typing import Any

from api.accounts import auth
from api.chat.content import load_messages
from api.core.db import Database
from tests.browser.conftest import SCREENSHOTS, Live, shot

SAY = load_messages()
W = SAY.section("widget")
QUESTION = "社保卡丢了怎么补办呀 我电话13812345678"
ASKED = "社保卡丢了怎么补办呀 我电话[电话]"  # as the gateway stores it (normalised, masked)
PASSWORD = "correct horse battery"


def test_tap_not_useful_under_an_answer_and_see_it_in_the_console_gaps(page: Any, browser: Any, live: Live) -> None:
    page.goto(live.url + "/")
    page.locator("#baihua-widget .bw-bubble").click()
    page.locator("#bw-input").fill(QUESTION)
    page.locator("#bw-input").press("Enter")
    page.locator(".bw-card", has_text="社会保障卡挂失与补换").wait_for()
    group = page.locator(".bw-feedback")
    group.wait_for()
    assert group.count() == 1  # one set per answer, after the whole answer
    label = page.locator("#" + (group.get_attribute("aria-labelledby") or "missing"))
    assert group.get_attribute("role") == "group" and label.inner_text() == W["feedback_question"]
    buttons = group.locator("button")
    assert buttons.all_inner_texts() == [W["feedback_useful"], W["feedback_not_useful"], W["feedback_not_found"]]
    for i in range(3):  # big enough for older hands and eyes
        box = buttons.nth(i).bounding_box()
        assert box and box["height"] >= 44 and box["width"] >= 44, box
        size = buttons.nth(i).evaluate("b => parseFloat(getComputedStyle(b).fontSize)")
        assert size >= 16
        assert buttons.nth(i).get_attribute("aria-pressed") == "false"

    # by keyboard first: 没找到 with Enter, then the tap on 没用 replaces it
    not_found = group.get_by_role("button", name=W["feedback_not_found"])
    not_found.focus()
    not_found.press("Enter")
    thanks = group.locator(".bw-feedback-thanks")
    page.wait_for_function("b => b.getAttribute('aria-pressed') === 'true'", arg=not_found.element_handle())
    assert thanks.inner_text() == W["feedback_thanks_more"] and thanks.get_attribute("role") == "status"
    assert page.evaluate("document.activeElement.textContent") == W["feedback_not_found"]  # focus stays put
    not_useful = group.get_by_role("button", name=W["feedback_not_useful"])
    not_useful.click()
    page.wait_for_function("b => b.getAttribute('aria-pressed') === 'true'", arg=not_useful.element_handle())
    assert not_found.get_attribute("aria-pressed") == "false"
    shot(page, "widget-feedback")
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert [v["id"] for v in violations if v["impact"] in ("serious", "critical")] == []

    page.reload()  # the choice is remembered with the conversation
    page.locator(".bw-feedback button[aria-pressed=true]", has_text=W["feedback_not_useful"]).wait_for(state="attached")

    db: Database = live.app.state.cases.db
    name = f"fb-{uuid.uuid4().hex[:8]}"
    with db.sessions() as session:
        auth.create_user(session=session, username=name, password=PASSWORD, role="supervisor", display_name="李科长")
    desk = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        desk.goto(live.url + "/console")
        desk.fill("#username", name)
        desk.fill("#password", PASSWORD)
        desk.click("#login")
        desk.locator("#q").wait_for()
        desk.goto(live.url + "/console/gaps#rated")
        row = desk.locator("#rated ~ table tr", has_text=ASKED)
        row.wait_for()
        cells = row.locator("td").all_inner_texts()
        assert cells[0] == ASKED and "社会保障卡挂失与补换" in cells[1] and "ss-card-replace" in cells[1]
        assert cells[2:4] == ["1", "0"]  # 没用 once; the 没找到 was replaced
        assert "13812345678" not in desk.content()
        desk.screenshot(path=str(SCREENSHOTS / "console-gaps-feedback.png"), full_page=True)
        desk.goto(live.url + "/console/figures")
        helpful = desk.locator("#helpful tr", has_text="ss-card-replace")
        assert helpful.locator("td").nth(1).inner_text() == "0.0%"
    finally:
        desk.close()
