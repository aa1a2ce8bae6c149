"""The console's search says plainly when it is unsure (issue 19 item 6): below the abstention threshold there is no
话术 to read out and 没找到准确的指南 comes first; results are compact lines with the full card on click."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from api.console import talk
from index.decision import load_calibration as load_decision
from index.search import Searcher

AsRole = Callable[[str], tuple[TestClient, str]]


def test_the_threshold_is_the_stricter_of_the_search_and_the_chat_calibration() -> None:
    searcher = SimpleNamespace(calibration={"hybrid": SimpleNamespace(threshold=0.94)})
    strict = SimpleNamespace(calibration=SimpleNamespace(threshold=0.97))
    loose = SimpleNamespace(calibration=SimpleNamespace(threshold=0.90))
    assert talk.abstain_threshold(searcher, strict) == 0.97  # type: ignore[arg-type]
    assert talk.abstain_threshold(searcher, loose) == 0.94  # type: ignore[arg-type]
    assert talk.abstain_threshold(searcher) == max(0.94, load_decision().threshold)  # type: ignore[arg-type]


def test_the_page_has_the_warning_first_and_compact_results(as_role: AsRole) -> None:
    agent, _ = as_role("agent")
    page = agent.get("/console").text
    warning, answer, results = page.index('id="unsure"'), page.index('id="answer"'), page.index('id="results"')
    assert warning < answer < results and "没找到准确的指南" in page
    assert '<details class="result">' in page and "<summary>" in page and 'class="line"' in page
    assert "/console/static/search.js" in page and 'aria-controls="results"' in page


@pytest.mark.slow
def test_below_the_threshold_no_script_is_sent(as_role: AsRole, searcher: Searcher) -> None:
    agent, _ = as_role("agent")
    agent.app.state.app.searcher = searcher  # type: ignore[attr-defined]
    threshold = talk.abstain_threshold(searcher, agent.app.state.answerer)  # type: ignore[attr-defined]
    data = agent.get("/console/api/search", params={"q": "噪音扰民"}).json()
    assert data["threshold"] == threshold and data["confident"] is False and data["answer"] is None
    assert data["results"] and all(r["score"] < threshold for r in data["results"])
    assert all(r["sure"] is False and r["script"] == "" for r in data["results"])
    assert all(r["materials"] is not None and r["name"] for r in data["results"])  # the card is still there to check


@pytest.mark.slow
def test_a_sure_hit_keeps_its_script_and_the_rest_do_not(as_role: AsRole, searcher: Searcher) -> None:
    agent, _ = as_role("agent")
    agent.app.state.app.searcher = searcher  # type: ignore[attr-defined]
    data = agent.get("/console/api/search", params={"q": "社保卡丢了咋办"}).json()
    assert data["confident"] is True
    top = data["results"][0]
    assert top["id"] == "ss-card-replace" and top["sure"] and top["script"].startswith("您好")
    for r in data["results"]:
        assert r["sure"] == (r["score"] >= data["threshold"] or r["id"] == (data["answer"] or {}).get("id"))
        assert bool(r["script"]) == r["sure"]
