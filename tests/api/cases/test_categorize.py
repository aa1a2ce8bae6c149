"""The complaint's words tell its category: typed category words and a story's cues (api/cases/categories.yml)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.cases import categorize
from api.cases.config import default_config


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
