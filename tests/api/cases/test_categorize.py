"""The complaint's words tell its category (typed words, a story's cues, closeness to `about` lines) and its errand."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.cases import categorize
from api.cases.config import default_config
from index.cues import COMPLAINT_ENTRIES
from index.search import Searcher
from tests.support.app import gateway_client, make_settings


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("attitude", "attitude"),  # a button's code
        ("服务态度", "attitude"),
        ("服务不好", "attitude"),  # read as deny by the NLU before: it cancelled the form
        ("多要材料", "extra-materials"),
        ("超时了", "overdue-service"),
        ("系统坏了", "system-failure"),
        ("别的", "other"),
    ],
)
def test_a_typed_category_answer_is_understood(typed: str, code: str) -> None:
    found = categorize.typed(typed, default_config())
    assert found is not None and found.category.code == code


def test_words_that_name_no_category_are_none() -> None:
    assert categorize.typed("嗯嗯", default_config()) is None


@pytest.mark.parametrize(
    ("story", "code"),
    [
        ("医保窗口的人一直在聊天，喊了好几声都不理人", "attitude"),
        ("营业执照交上去一个月了还没消息，当时说五个工作日", "overdue-service"),
        ("为了一个证明来回跑了四回还是办不成", "cannot-get-done"),
        ("材料都齐了还说缺东西，让我回去开证明", "extra-materials"),
        ("网上办事大厅一直登不上，提交不了", "system-failure"),
    ],
)
def test_a_story_tells_its_category(story: str, code: str) -> None:
    found = categorize.from_story(story, default_config())
    assert found is not None and found.category.code == code and found.via == "cues"


def test_a_story_without_cues_is_left_to_the_person() -> None:
    assert categorize.from_story("我想说个事情", default_config()) is None


def test_the_route_answers_story_and_typed(client: TestClient) -> None:
    story = client.get("/api/cases/categorize", params={"text": "等了两个小时，工作人员态度很差还凶我"})
    assert story.status_code == 200
    assert story.json()["category"] == {"code": "attitude", "name": "服务态度"} and story.json()["via"] == "cues"
    typed = client.get("/api/cases/categorize", params={"text": "服务不好", "as": "answer"})
    assert typed.json()["category"]["code"] == "attitude" and typed.json()["item"] is None
    assert client.get("/api/cases/categorize", params={"text": ""}).status_code == 422
    assert client.get("/api/cases/categorize", params={"text": "x" * 2001}).status_code == 422


@pytest.fixture(scope="module")
def similarity(searcher: Searcher) -> categorize.Similarity:
    return categorize.Similarity(default_config(), searcher.encoder.encode_queries)


@pytest.mark.parametrize(
    ("story", "code"),
    [  # no cue word of any category in these: told in other words, they are compared with the `about` lines
        ("交上去的申请等了快俩月，一点回音都没有", "overdue-service"),
        ("那个大姐冲我嚷嚷，说看不懂就别来添乱", "attitude"),
        ("网上交了钱页面一直转圈，最后说失败了", "system-failure"),
        ("窗口非让我再去居委会盖个章，清单上根本没写", "extra-materials"),
        ("大厅的椅子太少了，老人只能站着等", "other"),
    ],
)
def test_a_story_without_cues_takes_the_category_it_is_clearly_closest_to(
    story: str, code: str, similarity: categorize.Similarity
) -> None:
    assert categorize.from_story(story, default_config()) is None  # the cue words alone miss it
    found = categorize.from_story(story, default_config(), similarity)
    assert found is not None and found.category.code == code and found.via == "similar"
    assert found.score is not None and found.score >= default_config().similar.min_score


def test_a_close_call_or_an_empty_story_is_left_to_the_person(similarity: categorize.Similarity) -> None:
    assert categorize.from_story("我想说个事情", default_config(), similarity) is None  # close to nothing in particular
    strict = similarity.closest("那个大姐冲我嚷嚷，说看不懂就别来添乱", margin=0.5)
    assert strict is None


def test_cues_still_decide_before_similarity(similarity: categorize.Similarity) -> None:
    found = categorize.from_story("等了两个小时，工作人员态度很差还凶我", default_config(), similarity)
    assert found is not None and found.via == "cues" and found.category.code == "attitude"


def test_the_errand_is_never_the_complaint_guide(searcher: Searcher) -> None:
    # grievance words rank the 有诉即办 guide first or close behind; the errand is the item the story names
    story = "户口迁移申请交了二十天了还没动静"
    assert COMPLAINT_ENTRIES & {h.id for h in searcher.search(story, k=3).hits}
    hit = categorize.errand(searcher, story)
    assert hit is not None and hit.id.startswith("hukou-move")
    for story in ("营业执照交上去一个月了还没消息，当时说五个工作日", "退休手续提交两个月了，养老金还没下来"):
        hit = categorize.errand(searcher, story)
        assert hit is None or hit.id not in COMPLAINT_ENTRIES
    # 营业执照: 企业 or 个体户 — two errands this close are not guessed; the form asks
    assert categorize.errand(searcher, "营业执照交上去一个月了还没消息，当时说五个工作日") is None


def test_the_about_lines_are_encoded_at_start_up(tmp_path: Path, index_dir: Path) -> None:
    """Encoding every category's `about` lines takes seconds, more than the gateway's Rasa budget: a fresh gateway
    has them before the first complaint story, and the first story uses them."""
    settings = make_settings(tmp_path, load_searcher=True, index_dir=index_dir, index_watch_s=0)
    with gateway_client(settings) as c:
        state = c.app.state  # type: ignore[attr-defined]
        held = state.category_similarity
        assert isinstance(held, categorize.Similarity) and held.config is state.cases.config
        r = c.get("/api/cases/categorize", params={"text": "那个大姐冲我嚷嚷，说看不懂就别来添乱"})
        assert r.status_code == 200
        assert state.category_similarity is held  # not made again on the first story
