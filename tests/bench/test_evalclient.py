"""The evaluators' shared pieces: dev files, normalisation, reply text, percentiles, one sender per question."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest

from bench.evalclient import (
    WARM_UP,
    DevFileError,
    Turn,
    card_text,
    latency,
    normalise,
    read_jsonl,
    reply_text,
    route_of,
    run_turns,
    target,
)


def test_normalise_makes_full_width_spacing_and_punctuation_irrelevant() -> None:
    assert normalise("１２—１８号 窗口，") == normalise("12-18号窗口") == "1218号窗口"
    assert normalise("“示范区政务”微信小程序") == "示范区政务微信小程序"
    assert normalise("ＡＰＰ") == "app"


def test_read_jsonl_names_the_broken_line(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text('{"q": "社保卡丢了"}\n\n{"q": "护照"}\n', encoding="utf-8")
    assert [line["q"] for line in read_jsonl(good)] == ["社保卡丢了", "护照"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"q": "a"}\n{"q": \n', encoding="utf-8")
    with pytest.raises(DevFileError, match=r"bad.jsonl:2"):
        read_jsonl(bad)
    empty_q = tmp_path / "empty.jsonl"
    empty_q.write_text('{"q": " "}\n', encoding="utf-8")
    with pytest.raises(DevFileError, match=r":1"):
        read_jsonl(empty_q)


def test_reply_text_joins_messages_and_leaves_cards_apart() -> None:
    reply: dict[str, Any] = {
        "messages": [
            {"type": "text", "text": "第一句"},
            {"type": "guide_card", "text": "卡名", "card": {"fee": "工本费20元", "window": {"floor": "一楼东区"}}},
            {"type": "link", "text": None, "url": "/guides/x"},
        ],
        "meta": {"route": {"kind": "guide", "id": "x"}},
    }
    assert reply_text(reply) == "第一句\n卡名\n"
    assert "工本费20元" in card_text(reply) and "一楼东区" in card_text(reply)
    assert route_of(reply) == ("guide", "x")
    assert route_of(None) == ("none", None)


def test_latency_uses_answered_turns_only() -> None:
    turns = [Turn("q", 200, {"messages": []}, float(ms)) for ms in range(1, 101)]
    turns.append(Turn("q", 0, None, 99999.0, "ConnectError"))
    assert latency(turns) == {"p50_ms": 51.0, "p95_ms": 96.0, "max_ms": 100.0}
    assert latency([]) == {"p50_ms": None, "p95_ms": None, "max_ms": None}


def test_target_says_whether_it_is_met() -> None:
    assert target(0.9, ">=", 0.85, "x")["met"] is True
    assert target(0.2, "<=", 0.10, "x")["met"] is False
    assert target(None, "<=", 0.10, "x")["met"] is None


class FakeClient:
    mode = "fake"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def send(self, *, sender: str, message: str) -> Turn:
        with self.lock:
            self.calls.append((sender, message))
        return Turn(message, 200, {"messages": [{"text": message}], "meta": {}}, 1.0)


def test_run_turns_warms_up_then_gives_each_question_its_own_new_conversation() -> None:
    client = FakeClient()
    turns = run_turns(client, ["一", "二", "三", "四", "五"], concurrency=3)
    assert [t.message for t in turns] == ["一", "二", "三", "四", "五"]  # input order, whatever finished first
    assert client.calls[0][1] == WARM_UP
    senders = [s for s, _ in client.calls]
    assert len(set(senders)) == len(senders) == 6
    assert all(re.fullmatch(r"w-[0-9a-f]{32}", s) for s in senders)  # the web widget's own sender format
