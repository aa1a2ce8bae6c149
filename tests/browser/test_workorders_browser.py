"""A 12345 work order in headless Chromium at 1440×900: 来电登记 with the item picked by name, 派单 to the suggested
department, that department's agent 签收s and answers, the hotline's 回访 closes it. Screenshots: /tmp/wo_*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.accounts import auth
from api.core.db import Database
from api.main import create_app
from tests.support.app import PASSWORD, live_server, make_settings

SHOTS = Path("/tmp")
VIEWPORT = {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The gateway on a loopback port without the search index: the item picker matches names by itself."""
    app = create_app(make_settings(tmp_path_factory.mktemp("workorders-browser")))
    with live_server(app, lifespan="auto") as url:
        db: Database = app.state.cases.db
        with db.sessions() as session:
            auth.create_user(
                session=session, username="wang", password=PASSWORD, role="supervisor", display_name="王派单"
            )
            auth.create_user(
                session=session,
                username="li",
                password=PASSWORD,
                role="agent",
                display_name="人社局李明",
                department="人社局",
            )
        yield url


def _login(page: object, url: str, username: str) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto(f"{url}/console/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login")
    expect(page.locator("header nav")).to_be_visible()


def test_dispatch_accept_reply_and_return_visit(server: str, browser: object) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    errors: list[str] = []
    dispatcher = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
    dispatcher.on("pageerror", lambda e: errors.append(str(e)))
    _login(dispatcher, server, "wang")

    # 来电登记: nothing pre-selected; the item is found by name and picked
    dispatcher.goto(f"{server}/console/cases/new")
    assert dispatcher.locator("#category").input_value() == ""
    assert dispatcher.locator("input[name=request_type]:checked").count() == 0
    dispatcher.check("#rt-complaint")
    dispatcher.fill("#caller_name", "张先生")
    dispatcher.fill("#phone", "13812345678")
    dispatcher.fill("#address", "示范区人民路12号")
    dispatcher.select_option("#category", "extra-materials")
    dispatcher.locator("#item_name").press_sequentially("办理退休", delay=40)
    option = dispatcher.locator("#item-options button.item-option").first
    expect(option).to_contain_text("企业职工基本养老保险待遇申领")
    dispatcher.screenshot(path=str(SHOTS / "wo_1_new_case.png"))
    option.click()
    assert dispatcher.locator("#item_id").input_value() == "pension-retire"
    dispatcher.fill("#description", "窗口让我回原单位开一份证明，清单上没有这一项")
    dispatcher.click("#file-case")
    expect(dispatcher.locator("#done")).to_contain_text("已登记")
    case_no = dispatcher.locator("#case-no").inner_text()
    expect(dispatcher.locator("#item")).to_contain_text("企业职工基本养老保险待遇申领")
    expect(dispatcher.locator("#request-type")).to_have_text("投诉")
    expect(dispatcher.locator("#timeline")).to_contain_text("王派单 在12345热线登记")

    # 派单 to the department the item names (pre-selected as the suggestion)
    assert dispatcher.locator("#department-select").input_value() == "human-resources"
    dispatcher.click("#do-dispatch")
    expect(dispatcher.locator("#done")).to_contain_text("已派单")
    expect(dispatcher.locator("#case-status")).to_have_text("转办")
    expect(dispatcher.locator("#department")).to_contain_text("人社局")
    dispatcher.screenshot(path=str(SHOTS / "wo_2_dispatched.png"))

    # the department's agent finds it in 待签收, 签收s and answers
    dept = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
    dept.on("pageerror", lambda e: errors.append(str(e)))
    _login(dept, server, "li")
    dept.goto(f"{server}/console/cases")
    dept.click("#my-department")
    dept.click(f"text={case_no}")
    dept.click("#do-accept")
    expect(dept.locator("#done")).to_contain_text("已签收")
    expect(dept.locator("#case-status")).to_have_text("办理中")
    dept.fill("#reply-text", "已和窗口核实：清单外的证明不用开，您带身份证和社保卡直接去办。")
    dept.click("#do-reply")
    expect(dept.locator("#case-status")).to_have_text("已答复")
    expect(dept.locator("#awaiting-visit")).to_have_text("待回访")
    dept.screenshot(path=str(SHOTS / "wo_3_replied.png"))

    # 回访 by the hotline: satisfied closes the case
    dispatcher.goto(f"{server}/console/cases/{case_no}")
    dispatcher.select_option("#visit-result", "4")
    dispatcher.fill("#visit-note", "来电人说已经办好了")
    dispatcher.click("#do-visit")
    expect(dispatcher.locator("#done")).to_contain_text("回访已记录")
    expect(dispatcher.locator("#case-status")).to_have_text("已办结")
    timeline = dispatcher.locator("#timeline")
    for step in ("派单", "人社局李明 签收", "人社局李明 答复", "王派单 回访"):
        expect(timeline).to_contain_text(step)
    dispatcher.screenshot(path=str(SHOTS / "wo_4_closed.png"), full_page=True)

    # the caller's history on one screen, by the case number
    dispatcher.click("#caller-history")
    expect(dispatcher.locator("#history")).to_contain_text(case_no)
    expect(dispatcher.locator("#history")).to_contain_text("138****5678")
    dispatcher.screenshot(path=str(SHOTS / "wo_5_caller.png"))
    assert errors == []
