"""The figures screen's helpful rate per entry: 有用 / (有用 + 没用 + 没找到), with counts, worst first."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update

from api.chat import feedback
from api.chat.feedback import AnswerFeedback
from api.core.clock import utcnow
from tests.support.app import db_of
from tests.support.chat import rated_turn

AsRole = Callable[[str], tuple[TestClient, str]]


def test_helpful_rate_per_entry_worst_first_with_counts(as_role: AsRole) -> None:
    boss, _ = as_role("supervisor")
    social: tuple[feedback.Value, ...] = ("useful", "useful", "useful", "not_useful")
    for i, value in enumerate(social):  # 社保卡: 3 of 4
        rated_turn(boss, "社保卡丢了", value, sender=f"w-s{i}")
    elderly: tuple[feedback.Value, ...] = ("useful", "not_found")
    for i, value in enumerate(elderly):  # 老年优待证: 1 of 2
        rated_turn(boss, "老年卡", value, rid="elderly-preferential-card", sender=f"w-e{i}")
    rated_turn(boss, "看病报销", "not_useful", rid="medical-reimburse")  # 0 of 1
    page = boss.get("/console/figures").text
    section = page[page.index('id="helpful"') :]
    ids = re.findall(r'<small class="muted">([a-z0-9-]+)</small></td><td>', section)
    assert ids == ["medical-reimburse", "elderly-preferential-card", "ss-card-replace"]
    assert re.search(r"ss-card-replace</small></td><td>75.0%</td>\s*<td>3</td><td>1</td><td>0</td><td>4</td>", section)
    assert re.search(
        r"elderly-preferential-card</small></td><td>50.0%</td>\s*<td>1</td><td>0</td><td>1</td><td>2</td>", section
    )
    assert "社会保障卡挂失与补换" in section


def test_equal_rates_put_the_entry_more_citizens_rated_first(as_role: AsRole) -> None:
    from api.console import figures

    boss, _ = as_role("supervisor")
    rated_turn(boss, "a", "not_useful", rid="medical-reimburse")
    for i in range(2):
        rated_turn(boss, "b", "not_found", rid="ss-card-replace", sender=f"w-{i}")
    cat = boss.app.state.app.catalogue  # type: ignore[attr-defined]
    with db_of(boss).sessions() as session:
        rates = figures.helpful_rates(session=session, cat=cat, since=utcnow() - timedelta(days=1))
    assert [(r.entry_id, r.rate, r.total) for r in rates] == [
        ("ss-card-replace", 0.0, 2),
        ("medical-reimburse", 0.0, 1),
    ]


def test_feedback_older_than_the_chosen_days_is_left_out(as_role: AsRole) -> None:
    boss, _ = as_role("supervisor")
    rated_turn(boss, "社保卡丢了", "not_useful")
    with db_of(boss).sessions() as session:
        session.execute(update(AnswerFeedback).values(updated_at=utcnow() - timedelta(days=30)))
        session.commit()
    assert "ss-card-replace" not in boss.get("/console/figures?days=14").text.split('id="helpful"')[1]
    assert "ss-card-replace" in boss.get("/console/figures?days=60").text.split('id="helpful"')[1]
