"""The gateway's one wording loader (api/core/wording.py): each file read once, lines filled in, and a missing file,
key or placeholder named with its file."""

from __future__ import annotations

import pytest

from api.core import wording


def test_lines_are_filled_and_files_read_once() -> None:
    assert wording.load("workorders") is wording.load("workorders")
    assert "没有这种事项" in wording.say("workorders", "item_not_found", name="没有这种事项")
    assert wording.load("workorders")["roles"]["agent"] == "坐席"
    assert set(wording.load("handoffs")) >= {"reasons", "statuses"}


def test_a_dotted_key_reaches_into_sections_and_a_value_may_be_called_file_or_key() -> None:
    assert wording.text("chat", "refusal.too_long") == wording.load("chat")["refusal"]["too_long"]
    assert "500" in wording.say("chat", "refusal.too_long", limit=500)
    assert wording.say("timeline", "created_by.staff", channel="X", file="f", key="k").endswith("X登记")
    assert wording.table("timeline", "visit_results")["0"] == wording.load("timeline")["visit_results"][0]
    assert wording.table("script") == {str(k): str(v) for k, v in wording.load("script").items()}
    assert set(wording.table("cases", "statuses")) == {
        "received",
        "forwarded",
        "in_progress",
        "replied",
        "closed",
        "supervised",
    }


def test_what_is_missing_is_named_with_its_file() -> None:
    with pytest.raises(wording.WordingError, match=r"chat\.yml: no key 'refusal\.no_such_line'"):
        wording.text("chat", "refusal.no_such_line")
    with pytest.raises(wording.WordingError, match=r"no_such_file\.yml: no such wording file"):
        wording.load("no_such_file")
    with pytest.raises(wording.WordingError, match=r"chat\.yml: 'refusal' is not a line of text"):
        wording.text("chat", "refusal")
    with pytest.raises(wording.WordingError, match=r"chat\.yml: 'refusal\.too_long' is not a section of lines"):
        wording.table("chat", "refusal.too_long")
    with pytest.raises(wording.WordingError, match=r"chat\.yml: 'refusal\.too_long' has a placeholder 'limit'"):
        wording.say("chat", "refusal.too_long", size=500)
