"""The knowledge-gaps screen lists answers citizens called 没用 or 没找到, with the question and the answer given."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from api.chat import feedback
from api.console import gaps
from tests.support.app import db_of
from tests.support.chat import rated_turn

AsRole = Callable[[str], tuple[TestClient, str]]


def test_not_useful_and_not_found_answers_are_listed_with_the_answer_given(as_role: AsRole) -> None:
    boss, _ = as_role("supervisor")
    rated_turn(boss, "社保卡丢了 我电话13812345678", "not_useful", sender="w-a")
    rated_turn(boss, "社保卡丢了 我电话13812345678", "not_found", sender="w-b")
    rated_turn(boss, "社保卡丢了 我电话13812345678", "not_useful", sender="w-c")
    rated_turn(boss, "老年卡在哪办", "useful", rid="elderly-preferential-card")  # helpful: no gap
    rated_turn(boss, '<script>alert("x")</script>', "not_found", rid="elderly-preferential-card")
    page = boss.get("/console/gaps").text
    section = page[page.index('id="rated"') :]
    row = re.search(
        r"社保卡丢了 我电话\[电话\]</td>\s*<td>社会保障卡挂失与补换 <small[^>]*>指南 · ss-card-replace</small></td>"
        r"\s*<td>2</td><td>1</td>",
        section,
    )
    assert row, section[:2000]
    assert "13812345678" not in page
    assert "老年卡在哪办" not in section
    assert "&lt;script&gt;" in section and "<script>alert" not in page  # shown as text


def test_a_later_useful_tap_takes_the_answer_off_the_list(as_role: AsRole) -> None:
    boss, _ = as_role("supervisor")
    turn = rated_turn(boss, "社保卡丢了", "not_useful")
    with db_of(boss).sessions() as session:
        assert [g.text for g in gaps.rated_gaps(session=session)] == ["社保卡丢了"]
        feedback.record(session=session, turn_id=turn, sender="w-1", value="useful")
        assert gaps.rated_gaps(session=session) == []


def test_most_complained_about_first(as_role: AsRole) -> None:
    boss, _ = as_role("supervisor")
    rated_turn(boss, "一次", "not_found")
    for sender in ("w-x", "w-y"):
        rated_turn(boss, "两次", "not_useful", sender=sender)
    with db_of(boss).sessions() as session:
        found = gaps.rated_gaps(session=session)
    assert [(g.text, g.not_useful, g.not_found, g.count) for g in found] == [("两次", 2, 0, 2), ("一次", 0, 1, 1)]


def test_agents_do_not_see_the_gaps(as_role: AsRole) -> None:
    agent, _ = as_role("agent")
    assert agent.get("/console/gaps").status_code == 403
