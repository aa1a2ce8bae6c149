"""The channel-neutral rules in api/channels/core.py that need no server."""

from __future__ import annotations

import pytest

from api.channels.core import spoken_text


@pytest.mark.parametrize(
    ("recognition", "typed"),
    [
        ("社保卡丢了怎么补办。", "社保卡丢了怎么补办"),
        ("  开餐馆要什么材料。\n", "开餐馆要什么材料"),
        ("我要投诉。。", "我要投诉"),
        ("退休手续怎么办？", "退休手续怎么办？"),  # a question mark is the person's, not the recogniser's full stop
        ("1。", "1"),
        ("。", ""),
        ("", ""),
    ],
)
def test_spoken_text_drops_the_closing_full_stop(recognition: str, typed: str) -> None:
    assert spoken_text(recognition) == typed
