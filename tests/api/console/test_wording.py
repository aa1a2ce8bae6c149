"""The console's one wording loader: each file read once, lines filled in, a value may be called `name`."""

from __future__ import annotations

from api.console import wording


def test_lines_are_filled_and_files_read_once() -> None:
    assert wording.load("workorders") is wording.load("workorders")
    assert "没有这种事项" in wording.say("workorders", "item_not_found", name="没有这种事项")
    assert wording.load("workorders")["roles"]["agent"] == "坐席"
    assert set(wording.load("handoffs")) >= {"reasons", "statuses"}
