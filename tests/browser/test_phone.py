"""The widget and the guide pages for citizens on phones (issue #18): 320, 390 and 1440 px, normal and 大字.

One browser context and one page for the whole module (fast on 2 cores); each test starts from an empty
localStorage. Screenshots go to var/screenshots/phone-*.png.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from api.chat.content import load_messages
from tests.browser.conftest import Live, shot

SAY = load_messages()
W = SAY.section("widget")
SAMPLES = SAY.section("samples")
QUESTION = "社保卡丢了怎么补办"
CARD_NAME = "社会保障卡挂失与补换"
GUIDE = "/guides/ss-card-replace"
WIDTHS = (320, 390, 1440)
HEIGHT = {320: 640, 390: 844, 1440: 900}


@pytest.fixture(scope="module")
def phone(browser: Any, live: Live) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(phone: Any, live: Live) -> Iterator[Any]:
    """The module's page at 390 px with nothing stored, Rasa normal and no request routing left over."""
    phone.context.set_offline(False)
    phone.emulate_media(media="null")
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(live.url + "/healthz")
    phone.evaluate("localStorage.clear()")
    live.rasa.mode = "normal"
    try:
        yield phone
    finally:
        live.rasa.mode = "normal"
        phone.unroute_all(behavior="ignoreErrors")
        phone.context.set_offline(False)


def visit(page: Any, live: Live, path: str, width: int = 390) -> None:
    page.set_viewport_size({"width": width, "height": HEIGHT.get(width, 844)})
    page.goto(live.url + path)
    page.locator("#baihua-widget .bw-bubble").wait_for(state="attached")


def open_widget(page: Any) -> None:
    page.locator("#baihua-widget .bw-bubble").click()
    page.locator("#bw-input").wait_for(state="visible")


def type_and_send(page: Any, text: str) -> None:
    """Typed key by key, as a citizen does, then Enter."""
    box = page.locator("#bw-input")
    box.click()
    box.press_sequentially(text)
    box.press("Enter")


def stored_text(page: Any) -> str:
    return str(page.evaluate("JSON.stringify(Object.assign({}, localStorage))"))


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def inside_viewport(page: Any, selector: str) -> None:
    width = page.evaluate("window.innerWidth")
    for i in range(page.locator(selector).count()):
        box = page.locator(selector).nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (selector, box, width)


def luminance(rgb: tuple[int, ...]) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else float(((v + 0.055) / 1.055) ** 2.4)

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = (luminance(tuple(int(x) for x in re.findall(r"\d+", c)[:3])) for c in (a, b))
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


# ---- layout: every width, normal and 大字 ----


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
@pytest.mark.parametrize("width", WIDTHS)
def test_widget_and_guide_fit_every_width(page: Any, live: Live, width: int, large: bool) -> None:
    mode = "large" if large else "normal"
    visit(page, live, GUIDE, width)
    if large:
        page.get_by_role("button", name="大字模式").click()  # the pages' switch: the widget follows
    no_sideways_scroll(page)
    assert page.locator(".note").first.evaluate("n => parseFloat(getComputedStyle(n).fontSize)") >= 16
    shot(page, f"phone-guide-{width}-{mode}")
    open_widget(page)
    assert ("bw-large" in (page.locator("#baihua-widget").get_attribute("class") or "")) is large
    type_and_send(page, QUESTION)
    card = page.locator(".bw-card", has_text=CARD_NAME)
    card.wait_for()
    no_sideways_scroll(page)
    inside_viewport(page, "#bw-panel button:visible, #bw-input")
    assert page.locator("#bw-input").bounding_box()["width"] >= 100  # room to see what one types
    sizes = page.eval_on_selector_all(
        "#bw-panel .bw-mnote, #bw-panel .bw-note, #bw-panel .bw-badge, #bw-panel p, #bw-panel li",
        "ns => ns.map(n => parseFloat(getComputedStyle(n).fontSize))",
    )
    assert sizes and min(sizes) >= (22 if large else 16)
    assert W["check_point"] in card.inner_text() and "审查要点" not in card.inner_text()
    full_screen = width < 640
    assert page.locator("#bw-panel").get_attribute("aria-modal") == ("true" if full_screen else "false")
    shot(page, f"phone-widget-{width}-{mode}")


# ---- item 1: the fixes ----


def test_a_guide_opened_from_an_answer_starts_with_the_panel_closed(page: Any, live: Live) -> None:
    visit(page, live, "/")
    open_widget(page)
    type_and_send(page, QUESTION)
    link = page.locator(".bw-card a.bw-full")
    link.wait_for()
    with page.context.expect_page() as opened:
        link.click()
    guide = opened.value
    try:
        guide.wait_for_load_state()
        guide.locator("#baihua-widget .bw-bubble").wait_for()  # the guide is readable, the chat one tap away
        assert guide.locator("#bw-panel").is_hidden()
        assert guide.locator("h1").inner_text() == CARD_NAME
    finally:
        guide.close()
    assert page.locator("#bw-panel").is_visible()  # the tab the citizen came from keeps its conversation open


def test_no_answer_in_time_keeps_the_words_and_retries(page: Any, live: Live) -> None:
    held: list[Any] = []

    def short_timeout(route: Any) -> None:  # the embed tag's data-timeout, so the test waits 1.5 s, not 10
        resp = route.fetch()
        body = resp.text().replace('<script src="/widget.js"', '<script src="/widget.js" data-timeout="1.5"', 1)
        route.fulfill(response=resp, body=body)

    def hold(route: Any) -> None:  # the gateway never answers
        held.append(route)

    page.route(live.url + "/", short_timeout)
    page.route(live.url + "/api/chat", hold)
    visit(page, live, "/")
    open_widget(page)
    type_and_send(page, QUESTION)
    failed = page.locator(".bw-failed")
    failed.wait_for()
    assert W["timeout"] in failed.inner_text()
    assert page.locator("#bw-input").input_value() == QUESTION  # nothing to type twice
    assert page.locator(".bw-note", has_text=W["thinking"]).count() == 0
    shot(page, "phone-timeout")
    page.unroute(live.url + "/api/chat")
    for r in held:
        with contextlib.suppress(Exception):  # the widget already gave up on it
            r.abort()
    page.get_by_role("button", name=W["retry"]).click()
    page.locator(".bw-card", has_text=CARD_NAME).wait_for()
    assert page.locator(".bw-user", has_text=QUESTION).count() == 1  # a retry, not a second question
    assert page.locator(".bw-failed").count() == 0
    assert page.locator("#bw-input").input_value() == ""


def test_offline_then_back_online(page: Any, live: Live) -> None:
    visit(page, live, "/")
    open_widget(page)
    page.context.set_offline(True)
    page.locator(".bw-offline").wait_for()
    type_and_send(page, QUESTION)
    page.locator(".bw-failed", has_text=W["offline"]).wait_for()
    assert page.locator("#bw-input").input_value() == QUESTION
    shot(page, "phone-offline")
    page.context.set_offline(False)
    page.locator(".bw-offline").wait_for(state="hidden")
    page.locator("#bw-input").press("Enter")  # sending the same words again is the retry
    page.locator(".bw-card", has_text=CARD_NAME).wait_for()
    assert page.locator(".bw-user", has_text=QUESTION).count() == 1


def test_a_server_error_offers_a_retry(page: Any, live: Live) -> None:
    visit(page, live, "/")
    open_widget(page)
    detail = SAY.text("refusal", "server_error")
    page.route(
        live.url + "/api/chat",
        lambda route: route.fulfill(status=500, content_type="application/json", body=json.dumps({"detail": detail})),
    )
    type_and_send(page, QUESTION)
    page.locator(".bw-failed", has_text=detail).wait_for()
    page.unroute(live.url + "/api/chat")
    page.locator(".bw-retry").click()
    page.locator(".bw-card", has_text=CARD_NAME).wait_for()


def test_no_phone_or_id_number_stays_and_clearing_forgets_the_conversation(page: Any, live: Live) -> None:
    visit(page, live, "/")
    open_widget(page)
    said = "社保卡丢了，我电话13812345678，身份证110101199003071234"
    type_and_send(page, said)
    page.locator(".bw-card", has_text=CARD_NAME).wait_for()
    assert page.locator(".bw-user", has_text="13812345678").count() == 1  # shown as typed on this page
    kept = stored_text(page)
    assert "13812345678" not in kept and "110101199003071234" not in kept
    assert "138****5678" in kept and "1101**********1234" in kept
    before = page.evaluate("Object.keys(localStorage).filter(k => k.endsWith(':sender')).map(k => localStorage[k])[0]")
    page.get_by_role("button", name=W["clear"]).click()
    page.locator(".bw-note", has_text=W["cleared"]).wait_for()
    assert page.locator(".bw-user").count() == 0 and page.locator(".bw-card").count() == 0
    assert page.locator(".bw-samples button").count() == len(SAMPLES)  # the welcome again
    kept = stored_text(page)
    assert "社保卡" not in kept and "****" not in kept
    after = page.evaluate("Object.keys(localStorage).filter(k => k.endsWith(':sender')).map(k => localStorage[k])[0]")
    assert after != before  # a new conversation at the bot too
    assert page.evaluate("document.activeElement.id") == "bw-input"
    page.reload()
    page.locator("#bw-input").wait_for()
    assert page.locator(".bw-user").count() == 0


def test_skip_link_focus_trap_and_focus_ring(page: Any, live: Live) -> None:
    visit(page, live, "/")
    page.keyboard.press("Tab")  # the first Tab stop on the page
    skip = page.evaluate("[document.activeElement.id, document.activeElement.textContent]")
    assert skip == ["baihua-skip", W["skip"]]
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "bw-input"
    ring = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor]; })()"
    )
    assert ring[0] == "solid" and ring[1] >= 2
    assert contrast(ring[2], "rgb(255, 255, 255)") >= 3  # the form row is white
    # the full-screen panel keeps Tab inside it, both ways
    for key in ["Tab"] * 14 + ["Shift+Tab"] * 14:
        page.keyboard.press(key)
        assert page.evaluate("!!document.activeElement.closest('#bw-panel')"), key
    page.locator(".bw-large-toggle").focus()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.className") == "bw-send"  # wrapped round to the last one
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "bw-large-toggle"  # and back to the first
    head = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineColor, getComputedStyle(document.querySelector('.bw-head')).backgroundColor]; })()"
    )
    assert contrast(*head) >= 3  # white ring on the red head
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.className") == "bw-bubble"
    # a side panel on a wide screen: no trap, the page stays reachable
    visit(page, live, "/", 1440)
    open_widget(page)
    assert page.locator("#bw-panel").get_attribute("aria-modal") == "false"
    page.locator(".bw-large-toggle").focus()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.tagName") == "A"  # the page's last link, behind the panel
    assert not page.evaluate("!!document.activeElement.closest('#bw-panel')")


def test_guide_page_says_zhuyi_and_has_a_favicon(page: Any, live: Live) -> None:
    visit(page, live, GUIDE)
    assert page.locator(".note-label").first.inner_text().startswith("注意")
    assert "审查要点" not in page.locator("main").inner_text()
    icons = page.eval_on_selector_all("link[rel=icon]", "ls => ls.map(l => l.href)")
    assert icons
    for href in [*icons, live.url + "/favicon.ico"]:
        resp = page.request.get(href)
        assert resp.status == 200 and resp.headers["content-type"].startswith("image/"), href


# ---- item 2: one 大字 switch, remembered ----


def test_one_large_text_switch_for_pages_and_widget_remembered(page: Any, live: Live) -> None:
    visit(page, live, GUIDE)
    switch = page.get_by_role("button", name="大字模式")
    assert switch.get_attribute("aria-pressed") == "false"
    base = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    switch.click()
    assert page.evaluate("document.documentElement.classList.contains('large')")
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") >= base + 4
    assert page.locator(".bw-large-toggle").get_attribute("aria-pressed") == "true"  # the widget followed
    visit(page, live, "/windows")  # another page: remembered, before the widget even opens
    assert page.evaluate("document.documentElement.classList.contains('large')")
    assert page.get_by_role("button", name="大字模式").get_attribute("aria-pressed") == "true"
    open_widget(page)
    page.locator(".bw-large-toggle").click()  # off from the widget: the page follows
    assert not page.evaluate("document.documentElement.classList.contains('large')")
    assert page.get_by_role("button", name="大字模式").get_attribute("aria-pressed") == "false"
    page.reload()
    assert not page.evaluate("document.documentElement.classList.contains('large')")
    page.locator("#baihua-widget").wait_for(state="attached")
    assert "bw-large" not in (page.locator("#baihua-widget").get_attribute("class") or "")


# ---- item 3: print ----


@pytest.mark.parametrize("item_id", ["ss-card-replace", "passport"])
def test_print_view_one_page_with_address_hotline_and_review_date(page: Any, live: Live, item_id: str) -> None:
    cat = live.app.state.app.catalogue
    item = cat.items[item_id]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live.url}/guides/{item_id}?print=1")
    button = page.get_by_role("button", name="打印本页")
    assert button.is_visible()
    page.evaluate("() => { window.print = () => { window.__printed = (window.__printed || 0) + 1; }; }")
    button.click()
    assert page.evaluate("window.__printed") == 1
    info = page.locator(".print-info")
    site = cat.site
    for part in (site.address, site.hotline, str(item.last_reviewed)):
        assert part in info.inner_text(), part
    shot(page, f"phone-print-view-{item_id}")
    page.emulate_media(media="print")
    try:
        assert info.is_visible() and page.locator(".print-links").is_hidden()
        assert page.locator(".large-toggle").is_hidden()
    finally:
        page.emulate_media(media="null")  # no emulation; "screen" would make page.pdf print the screen styles
    pdf = page.pdf(prefer_css_page_size=True, print_background=False)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages == 1, f"{pages} A4 pages"


# ---- item 6: the sample questions ----


def test_welcome_samples_are_tapped_and_answered(page: Any, live: Live) -> None:
    live.rasa.mode = "error"  # the answers come from the gateway's own search, so each is the real one
    visit(page, live, "/")
    open_widget(page)
    buttons = page.locator(".bw-samples button")
    assert buttons.all_inner_texts() == list(SAMPLES.values())
    shot(page, "phone-welcome-samples")
    for entry_id, question in SAMPLES.items():
        page.locator(".bw-samples button", has_text=question).click()
        page.locator(f'#bw-panel a[href$="/guides/{entry_id}"]').first.wait_for()
        assert page.locator(".bw-user", has_text=question).count() == 1
        page.get_by_role("button", name=W["clear"]).click()  # each one a first turn
        page.locator(".bw-samples").wait_for()


# ---- the accessibility audit ----


@pytest.mark.parametrize(
    ("path", "widget", "large"),
    [
        ("/", False, False),
        (GUIDE, False, False),
        ("/windows", False, False),
        ("/", True, False),
        (GUIDE, False, True),
        ("/", True, True),
    ],
    ids=["home", "guide", "windows", "widget", "guide-large", "widget-large"],
)
def test_axe_finds_no_serious_or_critical_violation(
    page: Any, live: Live, path: str, widget: bool, large: bool
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    visit(page, live, path)
    if large:
        page.get_by_role("button", name="大字模式").click()
    if widget:
        open_widget(page)
        type_and_send(page, QUESTION)
        page.locator(".bw-card").wait_for()
    results = Axe().run(page)
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == []
