"""The queue's rules (api/handoff/queue.py): which lines are the citizen's words, how long they have waited, and the
key that links a handoff to the case filed from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.handoff import queue
from api.handoff.models import Handoff, HandoffMessage

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "button"),
    [
        ("/request_human", True),
        (" /file_complaint ", True),
        ('/inform{"item": "ss-card"}', True),
        ("/affirm@0.93", True),
        ("转人工", False),
        ("我要/request_human", False),
        ("/ 这个斜杠后面是字", False),
        ("1/2 的材料", False),
        ("/", False),
    ],
)
def test_a_button_payload_is_not_the_citizens_words(text: str, button: bool) -> None:
    assert queue.is_payload(text) is button


def test_a_payload_is_looked_up_by_its_intent() -> None:
    assert queue.payload_intent('/inform{"item": "x"}') == "/inform"
    assert queue.payload_intent("/affirm@0.9") == "/affirm"
    assert queue.payload_intent(" /request_human ") == "/request_human"


def handoff(status: str, lines: list[tuple[str, str, int]]) -> Handoff:
    """lines: (author, text, minutes after T0)."""
    h = Handoff(id=1, sender="wx-1", channel="wechat", reason="requested", status=status, created_at=T0, updated_at=T0)
    h.messages = [
        HandoffMessage(id=i + 1, sender="wx-1", author=a, text=t, at=T0 + timedelta(minutes=m))
        for i, (a, t, m) in enumerate(lines)
    ]
    return h


def test_last_words_skip_buttons_and_the_bot() -> None:
    h = handoff("open", [("user", "社保卡丢了", 0), ("bot", "可以补办", 0), ("user", "/request_human", 1)])
    last = queue.last_words(h)
    assert last is not None and last.text == "社保卡丢了"
    assert queue.last_words(handoff("open", [("user", "/request_human", 0)])) is None


def test_waiting_since_counts_from_the_first_line_after_the_last_reply() -> None:
    assert queue.waiting_since(handoff("open", [("user", "在吗", 0)])) == T0  # nobody replied: since it opened
    replied = [("user", "在吗", 0), ("agent", "在", 5), ("user", "我想问", 9), ("user", "喂", 12)]
    assert queue.waiting_since(handoff("open", replied)) == T0 + timedelta(minutes=9)
    assert queue.waiting_since(handoff("answered", replied[:2])) is None
    assert queue.waiting_since(handoff("closed", replied)) is None


def test_the_case_key_is_the_same_for_a_handoff_and_unguessable_without_the_secret() -> None:
    key = queue.case_key("secret-a", 7)
    assert key == queue.case_key("secret-a", 7) and key.startswith("handoff-7-")
    assert key != queue.case_key("secret-b", 7) and key != queue.case_key("secret-a", 8)
    assert len(key) <= 128  # the idempotency key column
