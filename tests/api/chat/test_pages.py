"""Pages, widget assets and readiness."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.chat.conftest import ClientFactory, dead_url
from tests.support.fake_rasa import FakeRasa


def test_home_embeds_the_widget_with_one_script_tag(client: TestClient) -> None:
    resp = client.get("/")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    assert resp.text.count('<script src="/widget.js"') == 1
    assert "示范区政务服务中心" in resp.text


def test_widget_assets_are_served_with_their_labels(client: TestClient) -> None:
    js = client.get("/widget.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "/*STRINGS*/" not in js.text and "白话办事助手" in js.text
    assert "innerHTML" not in js.text  # bot text goes in with textContent only
    css = client.get("/widget.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_item_page_has_checklist_window_and_badges(client: TestClient) -> None:
    html = client.get("/guides/ss-card-replace").text
    for part in (
        "社会保障卡挂失与补换",
        "注意：",
        "社保医保综合窗口",
        "一楼东区",
        "12—18号窗口",
        "免证办",
        "补卡工本费",
    ):
        assert part in html
    assert 'href="/guides/yjs-ss-card"' in html  # its 一件事
    assert "?print=1" in html


def test_item_page_shows_where_from_examples_rejections_remedy_visits_and_phones(client: TestClient) -> None:
    html = client.get("/guides/marriage-registration").text
    for part in (
        "从哪拿：",
        "婚姻登记处窗口当场发",  # a material's where_to_get
        '<details class="example"><summary>填写示例</summary>',
        "常见退件原因：",
        "一方代另一方签名",
        "这些情况办不了",
        "男方不满22周岁或女方不满20周岁的",
        "不批怎么办",
        "行政复议",  # the site's remedy: the item sets none of its own
        "要跑几次",
        "1次",
        "咨询电话",
        "0000-66012360",  # the item's own consult line
        "监督电话",
        "0000-66012345",  # the site's supervision line
    ):
        assert part in html, part
    labor = client.get("/guides/labor-arbitration").text
    assert "收到裁决书之日起15日内" in labor and "申请行政复议" not in labor  # an item's own remedy replaces the site's


def test_print_view_drops_the_widget(client: TestClient) -> None:
    html = client.get("/guides/ss-card-replace?print=1").text
    assert "print-view" in html and "/widget.js" not in html and "注意：" in html
    marriage = client.get("/guides/marriage-registration?print=1").text
    assert "从哪拿：" in marriage and '<details class="example" open>' not in marriage  # the print CSS leaves it off


def test_bundle_page_has_merged_checklist_steps_and_members(client: TestClient) -> None:
    html = client.get("/guides/yjs-ss-card").text
    assert "一套材料" in html and "办理顺序" in html and 'href="/guides/ss-card-replace"' in html
    newborn = client.get("/guides/yjs-newborn").text
    assert "父母双方的居民身份证" in newborn and "新生儿的出生医学证明" in newborn and "不批怎么办" in newborn
    assert 5 <= newborn.count('<input type="checkbox">') <= 10  # one checkbox per line of the merged checklist


def test_window_and_directory_pages(client: TestClient) -> None:
    html = client.get("/windows").text
    assert "一楼东区" in html and "社保医保综合窗口" in html and 'href="/guides/ss-card-replace"' in html
    assert "社会保障卡挂失与补换" in client.get("/guides/w-social-insurance").text


def test_unknown_guide_is_a_friendly_404_and_escaped(client: TestClient) -> None:
    resp = client.get("/guides/<img src=x onerror=alert(1)>")
    assert resp.status_code == 404 and resp.headers["content-type"].startswith("text/html")
    assert "<img src=x" not in resp.text and "&lt;img src=x" in resp.text
    api = client.get("/api/guides/nope")
    assert api.status_code == 404


def test_search_page_finds_and_escapes(client: TestClient) -> None:
    assert 'href="/guides/ss-card-replace"' in client.get("/search", params={"q": "社保卡丢了"}).text
    html = client.get("/search", params={"q": "<script>alert(1)</script>"}).text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert client.get("/search").status_code == 200


def test_readyz_reports_each_component(client: TestClient) -> None:
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.text
    assert resp.json()["components"]["index"]["ok"] and resp.json()["components"]["database"]["ok"]
    assert resp.json()["components"]["rasa"]["ok"]


def test_readyz_is_503_when_rasa_is_down_or_index_missing(make_client: ClientFactory, fake_rasa: FakeRasa) -> None:
    down = make_client(rasa_url=dead_url()).get("/readyz")
    assert down.status_code == 503 and down.json()["components"]["rasa"]["ok"] is False
    no_index = make_client(rasa_url=fake_rasa.url, with_searcher=False).get("/readyz")
    assert no_index.status_code == 503 and no_index.json()["components"]["index"]["ok"] is False
    assert make_client(rasa_url=fake_rasa.url).get("/healthz").status_code == 200


def test_readyz_is_503_when_rasa_runs_without_a_model(make_client: ClientFactory, fake_rasa: FakeRasa) -> None:
    """`rasa run` with a model server it has not reached serves GET / and ignores every message: not ready."""
    fake_rasa.mode = "no_model"
    resp = make_client(rasa_url=fake_rasa.url).get("/readyz")
    assert resp.status_code == 503 and resp.json()["components"]["rasa"]["ok"] is False


def test_readyz_can_leave_rasa_out_for_load_balancers(make_client: ClientFactory) -> None:
    """READY_REQUIRES_RASA=false: with Rasa down the gateway stays in service and answers from search."""
    resp = make_client(rasa_url=dead_url(), ready_requires_rasa=False).get("/readyz")
    assert resp.status_code == 200, resp.text
    assert resp.json()["components"]["rasa"] == {"ok": False, "required": False}
