"""The chat-level evaluator: every outcome reachable on hand-made replies, the targets, and a degraded run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api.chat.schemas import Button, ChatMessage, ChatMeta, ChatReply, Route
from bench.chat_eval import CLASSES, DEFAULT_FILE, classify, misses, outcome, resolve_expected, summarise
from bench.evalclient import InProcessChatClient, Turn, degraded_settings, read_jsonl, run_turns
from index.search import Searcher

QUESTION = "社保卡丢了怎么补办"


def reply(*messages: ChatMessage, kind: str = "none", rid: str | None = None) -> dict[str, Any]:
    """A ChatReply exactly as /api/chat returns it, as JSON."""
    meta = ChatMeta(route=Route(kind=kind, id=rid))  # type: ignore[arg-type]
    return ChatReply(messages=list(messages), meta=meta).model_dump(mode="json")


def text(t: str) -> ChatMessage:
    return ChatMessage(type="text", text=t)


def buttons(*payloads: str) -> ChatMessage:
    return ChatMessage(type="buttons", text="点一下", buttons=[Button(title=p, payload=p) for p in payloads])


ANSWER_WITH_BUNDLE_OFFER = reply(
    text("【社会保障卡挂失与补换】……"),
    buttons('/show_bundle{"bundle_id":"yjs-ss-card"}'),
    kind="guide",
    rid="ss-card-replace",
)
CLARIFY = reply(
    text("您问的是下面哪一件？"),
    buttons('/choose_guide{"guide_id":"id-card-lost"}', '/choose_guide{"guide_id":"ss-card-replace"}'),
)
NOT_SURE = reply(text("这个问题我没找到准确的办事指南"), buttons("/hotline", "/request_human", "/file_complaint"))
COMPLAINT_PROMPT = reply(text("您遇到了什么问题？先选一个类别："), kind="complaint")
CATEGORY_BUTTONS = reply(text("先选一个类别"), buttons('/inform{"complaint_category":"attitude"}'))
HANDOFF = reply(text("已经帮您转人工了"), kind="handoff")


@pytest.mark.parametrize(
    ("body", "expect", "want"),
    [
        (ANSWER_WITH_BUNDLE_OFFER, ["ss-card-replace"], "right_answer"),  # the 一件事 offer leaves it an answer
        (ANSWER_WITH_BUNDLE_OFFER, ["yjs-ss-card"], "wrong_answer"),
        (reply(text("公安综合窗口"), kind="window", rid="w-police"), ["w-police"], "right_answer"),
        (CLARIFY, ["ss-card-replace"], "clarify_right"),
        (CLARIFY, ["passport"], "clarify_wrong"),
        (reply(text("选一个"), buttons('/show_bundle{"bundle_id":"yjs-newborn"}')), ["yjs-newborn"], "clarify_right"),
        (reply(text("选一个"), buttons('/pick{"id":"passport"}')), ["passport"], "clarify_right"),  # any id key
        (COMPLAINT_PROMPT, [], "complaint_form"),
        (CATEGORY_BUTTONS, [], "complaint_form"),
        (HANDOFF, [], "handoff"),
        (NOT_SURE, ["ss-card-replace"], "nothing"),  # hotline / complaint / human buttons are not choices
        (reply(text("您好！")), [], "nothing"),
        (reply(text("未知"), kind="guide"), ["x"], "nothing"),  # a route kind without an id names no entry
    ],
)
def test_classify(body: dict[str, Any], expect: list[str], want: str) -> None:
    assert classify(body, expect) == want


def test_every_outcome_is_reachable() -> None:
    bodies = [ANSWER_WITH_BUNDLE_OFFER, CLARIFY, COMPLAINT_PROMPT, HANDOFF, NOT_SURE]
    seen = {classify(b, e) for b in bodies for e in (["ss-card-replace"], ["passport"], [])}
    assert seen == set(CLASSES)


def turn(body: dict[str, Any] | None) -> Turn:
    return Turn("q", 200 if body else 0, body, 10.0, None if body else "ConnectError")


def test_summary_puts_the_targets_beside_the_figures() -> None:
    lines = [
        {"q": "a", "type": "guide", "expect": ["ss-card-replace"]},
        {"q": "b", "type": "guide", "expect": ["ss-card-replace"]},
        {"q": "c", "type": "bundle", "expect": ["yjs-newborn"]},
        {"q": "d", "type": "window", "expect": ["w-police"]},
        {"q": "e", "type": "complaint", "expect": ["complaint-cannot-get-done"]},
        {"q": "f", "type": "complaint", "expect": []},
        {"q": "g", "type": "out_of_scope", "expect": []},
        {"q": "h", "type": "out_of_scope", "expect": []},
    ]
    bodies = [ANSWER_WITH_BUNDLE_OFFER, CLARIFY, None, COMPLAINT_PROMPT, COMPLAINT_PROMPT, HANDOFF, NOT_SURE]
    bodies.append(ANSWER_WITH_BUNDLE_OFFER)
    turns = [turn(b) for b in bodies]
    report = summarise(lines, turns, "test")
    t = report["targets"]
    assert {k: t["right_answer_rate"][k] for k in ("value", "target", "met")} == {
        "value": 0.25,
        "target": ">= 0.85",
        "met": False,
    }
    assert t["clarification_rate"]["value"] == 0.25
    assert t["wrong_answer_rate"]["value"] == 0.0
    assert t["complaint_form_on_questions"]["value"] == round(1 / 6, 3)  # the window question opened the form
    assert t["complaints_detected"]["value"] == 0.5
    assert t["complaints_detected_or_handoff"]["value"] == 1.0
    assert t["out_of_scope_declined"]["value"] == 0.5
    assert report["classes"]["error"]["n"] == 1
    assert sum(v["n"] for v in report["classes"].values()) == len(lines)
    assert report["by_type"]["guide"] == {"n": 2, "right": 0.5, "classes": {"right_answer": 1, "clarify_right": 1}}
    missed = misses(lines, turns)
    assert [m["q"] for m in missed] == ["b", "c", "d", "f", "h"]
    assert missed[0]["offered"] == ["id-card-lost", "ss-card-replace"]
    assert missed[-1]["route"] == "guide:ss-card-replace"


def test_the_default_dev_file_has_every_type() -> None:
    types = {line["type"] for line in read_jsonl(DEFAULT_FILE)}
    assert types == {"guide", "bundle", "window", "complaint", "out_of_scope"}


@pytest.mark.slow
def test_degraded_run_through_the_real_gateway(tmp_path: Path, chat_searcher: Searcher) -> None:
    dev = read_jsonl(DEFAULT_FILE)
    lines = [next(line for line in dev if line["type"] == t) for t in ("guide", "window", "complaint", "out_of_scope")]
    lines.append({"q": QUESTION, "type": "guide", "expect": ["ss-card-replace"]})
    client = InProcessChatClient(degraded_settings(tmp_path), searcher=chat_searcher)
    try:
        turns = run_turns(client, [line["q"] for line in lines], concurrency=2)
    finally:
        client.close()
    report = summarise(lines, turns, client.mode)
    assert report["mode"] == "degraded"
    assert report["degraded_turns"] == len(lines)  # Rasa unreachable: every answer came from search
    assert "error" not in report["classes"]
    assert sum(v["n"] for v in report["classes"].values()) == len(lines)
    assert outcome(lines[-1], turns[-1]) == "right_answer"
    assert report["latency"]["p50_ms"] is not None


def test_an_alias_id_is_expected_as_its_canonical_entry() -> None:
    """new-car-registration is an alias entry (same_as) of vehicle-registration: an answer with the canonical id
    is right for a line that names the alias."""
    lines = resolve_expected([{"q": "新车临牌过期了", "type": "guide", "expect": ["new-car-registration"]}])
    assert lines[0]["expect"] == ["vehicle-registration"]
    answered = reply(text("新车上牌要带…"), kind="guide", rid="vehicle-registration")
    assert classify(answered, lines[0]["expect"]) == "right_answer"
