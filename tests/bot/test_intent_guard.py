"""The intent guard: a question is not a complaint, 催办 is not a question; cue words come from guides/cues.yml."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from addons.intent_guard import IntentGuard, corrected, load_cues

GRIEVANCE, QUESTION = load_cues()


@pytest.mark.parametrize(
    ("intent", "text", "expected"),
    [
        ("file_complaint", "老公上班路上被车撞了，这算不算工伤，要去哪申请", "ask_howto"),
        ("file_complaint", "残疾人有没有优先窗口", "ask_howto"),
        ("check_case", "怎么查我名下有几套房", "ask_howto"),
        ("check_case", "我的投诉 TS-20261201001 怎么样了？", None),  # a case number: a real status check
        ("file_complaint", "窗口的人态度太差了，我要投诉", None),
        ("file_complaint", "跑了好几回还是不给办，怎么回事", None),  # grievance and question: DIET decides
        ("ask_howto", "营业执照交上去一个月了还没消息，当时说五个工作日", "file_complaint"),
        ("ask_howto", "为了一个章来回跑了四回", "file_complaint"),
        ("ask_howto", "护照怎么办", None),
        ("greet", "你好", None),
    ],
)
def test_corrected(intent: str, text: str, expected: str | None) -> None:
    assert corrected(intent, text, GRIEVANCE, QUESTION) == expected


def test_process_moves_diets_confidence_and_demotes_its_pick() -> None:
    message = Message(data={TEXT: "老公上班路上被车撞了，这算不算工伤，要去哪申请"})
    message.set(INTENT, {"name": "file_complaint", "confidence": 0.81})
    message.set(
        INTENT_RANKING_KEY,
        [{"name": "file_complaint", "confidence": 0.81}, {"name": "ask_howto", "confidence": 0.12}],
    )
    (out,) = IntentGuard().process([message])
    assert out.get(INTENT) == {"name": "ask_howto", "confidence": 0.81}
    assert [r["name"] for r in out.get(INTENT_RANKING_KEY)] == ["ask_howto", "file_complaint"]
    assert out.get(INTENT_RANKING_KEY)[-1]["confidence"] == 0.0
