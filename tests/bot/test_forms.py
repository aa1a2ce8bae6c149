"""The complaint form: prompts, validation, cancellation, filing, failure and retry."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from actions.common import mask_phone, normalize_phone
from actions.forms import (
    ActionSubmitComplaint,
    AskComplaintCategory,
    AskComplaintConfirm,
    AskComplaintItem,
    ValidateComplaintForm,
    field_to_change,
    is_story,
)

FILLED = {
    "complaint_category": "service-attitude",
    "complaint_category_name": "服务态度",
    "complaint_description": "3号窗口工作人员一直玩手机不理人",
    "complaint_item": "ss-card-replace",
    "complaint_phone": "13812345678",
    "complaint_confirm": True,
}


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [m["response"] for m in messages]


def slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def form_turn(
    make_tracker, requested: str, value: Any, text: str, intent: str = "inform", slots_now=None, entities=None
):
    """A tracker right after the user answered `requested` and Rasa extracted `value`."""
    current = {**(slots_now or {}), "requested_slot": requested}
    user = {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}
    events = [user, {"event": "slot", "name": requested, "value": value}]
    current[requested] = value
    return make_tracker(
        text, intent=intent, slots=current, events=events, active_loop="complaint_form", entities=entities
    )


def diet_category(text: str, span: str, value: str, confidence: float, extractor: str = "DIETClassifier"):
    """A complaint_category entity as Rasa's parse data carries it (the value mapped by EntitySynonymMapper)."""
    start = text.index(span)
    return {
        "entity": "complaint_category",
        "start": start,
        "end": start + len(span),
        "value": value,
        "confidence_entity": confidence,
        "extractor": extractor,
        "processors": ["EntitySynonymMapper"],
    }


def test_phone_rules():
    assert normalize_phone("138 1234 5678") == "13812345678"
    assert normalize_phone("+8613812345678") == "13812345678"
    assert normalize_phone("0371-66668888") == "0371-66668888"
    assert normalize_phone("037166668888") == "0371-66668888"
    for bad in ("12345", "23812345678", "1381234567", "abc", ""):
        assert normalize_phone(bad) is None, bad
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0371-66668888") == "0371-****8888"


def test_category_buttons_come_from_the_case_api(gateway, make_tracker, run_action):
    messages, _ = run_action(AskComplaintCategory(), make_tracker("我要投诉", intent="file_complaint"))
    assert responses(messages) == ["utter_ask_complaint_category"]
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert '/inform{"complaint_category":"service-attitude"}' in payloads
    assert messages[0]["custom"]["route"]["kind"] == "complaint"


def test_category_prompt_without_api_asks_in_words(monkeypatch, make_tracker, run_action):
    monkeypatch.setenv("GATEWAY_URL", "http://127.0.0.1:9")
    import actions.forms as forms

    monkeypatch.setattr(forms, "_categories", {"at": 0.0, "items": []})
    messages, _ = run_action(AskComplaintCategory(), make_tracker("我要投诉", intent="file_complaint"))
    assert responses(messages) == ["utter_ask_complaint_category_free"]


def test_category_by_code_by_name_and_invalid(gateway, make_tracker, run_action):
    _, events = run_action(
        ValidateComplaintForm(), form_turn(make_tracker, "complaint_category", "service-attitude", "/inform")
    )
    assert slots(events)["complaint_category"] == "service-attitude"
    _, events = run_action(ValidateComplaintForm(), form_turn(make_tracker, "complaint_category", "态度", "态度"))
    assert slots(events)["complaint_category"] == "service-attitude"
    messages, events = run_action(
        ValidateComplaintForm(), form_turn(make_tracker, "complaint_category", "天气不好", "天气不好")
    )
    assert slots(events)["complaint_category"] is None
    assert responses(messages) == ["utter_invalid_complaint_category"]


STORY = "窗口非让我拿一张清单上根本没写的证明，我跑去开了回来又说要盖两个章"
SPAN = "清单上根本没写的证明"


def test_the_nlu_category_fills_when_the_gateway_finds_none(gateway, make_tracker, run_action):
    entities = [diet_category(STORY, SPAN, "extra-materials", 0.93)]
    tracker = form_turn(make_tracker, "complaint_description", STORY, STORY, entities=entities)
    _, events = run_action(ValidateComplaintForm(), tracker)
    got = slots(events)
    assert got["complaint_description"] == STORY
    assert got["complaint_category"] == "extra-materials" and got["complaint_category_name"] == "重复或额外索要材料"
    assert ("GET", "/api/cases/categorize", {"text": [STORY], "as": ["story"]}) in gateway.state.requests


def test_a_first_message_story_gets_the_nlu_category_too(gateway, make_tracker, run_action):
    """The story that opened the form is the message DIET read: the form asks neither what happened nor the kind."""
    entities = [diet_category(STORY, SPAN, "extra-materials", 0.93)]
    tracker = make_tracker(STORY, intent="file_complaint", entities=entities, active_loop="complaint_form")
    _, events = run_action(ValidateComplaintForm(), tracker)
    got = slots(events)
    assert got["complaint_description"] == STORY and got["complaint_category"] == "extra-materials"


def test_the_gateways_category_wins_over_the_nlu_one(gateway, make_tracker, run_action):
    gateway.state.categorized[STORY] = "cannot-get-done"
    entities = [diet_category(STORY, SPAN, "extra-materials", 0.99)]
    _, events = run_action(
        ValidateComplaintForm(), form_turn(make_tracker, "complaint_description", STORY, STORY, entities=entities)
    )
    assert slots(events)["complaint_category"] == "cannot-get-done"


@pytest.mark.parametrize(
    "entities",
    [
        [diet_category(STORY, SPAN, "extra-materials", 0.6)],  # not sure enough
        [diet_category(STORY, SPAN, "weather", 0.97)],  # no such category
        [diet_category(STORY, SPAN, SPAN, 0.97)],  # a span no synonym maps to a code
        [diet_category(STORY, SPAN, "extra-materials", 0.97, extractor="RegexEntityExtractor")],
        [diet_category(STORY, SPAN, "extra-materials", 0.95), diet_category(STORY, "跑去", "cannot-get-done", 0.9)],
        [
            {
                "entity": "complaint_item",
                "value": "extra-materials",
                "confidence_entity": 0.97,
                "extractor": "DIETClassifier",
            }
        ],
    ],
    ids=["low-confidence", "unknown-code", "unmapped-span", "not-diet", "two-categories", "other-entity"],
)
def test_an_unsure_or_unknown_nlu_category_is_ignored(gateway, make_tracker, run_action, entities):
    _, events = run_action(
        ValidateComplaintForm(), form_turn(make_tracker, "complaint_description", STORY, STORY, entities=entities)
    )
    got = slots(events)
    assert got["complaint_description"] == STORY and "complaint_category" not in got  # the form asks for it


def test_an_nlu_category_from_another_message_is_ignored(gateway, make_tracker, run_action):
    """Only the message the story is: an entity DIET read in some other message tells nothing about this story."""
    from actions.forms import story_slots

    other = "多要了好几样材料"
    tracker = make_tracker(other, intent="inform", entities=[diet_category(other, other, "extra-materials", 0.97)])
    assert "complaint_category" not in asyncio.run(story_slots(STORY, tracker))
    assert asyncio.run(story_slots(other, tracker))["complaint_category"] == "extra-materials"


def test_a_typed_category_is_read_whole_when_diet_was_unsure_of_its_span(gateway, make_tracker, run_action):
    """At "这属于哪一类？" the from_entity mapping puts DIET's span in the slot: a sure code stays; an unsure code or a
    span no synonym maps is read as the whole answer, which says more."""
    said = "就是那个人说话很冲还摔东西"
    gateway.state.categorized[said] = "service-attitude"
    sure = form_turn(
        make_tracker,
        "complaint_category",
        "extra-materials",
        said,
        entities=[diet_category(said, "说话", "extra-materials", 0.9)],
    )
    assert slots(run_action(ValidateComplaintForm(), sure)[1])["complaint_category"] == "extra-materials"
    for value, span, confidence in (("extra-materials", "说话", 0.5), ("说话很冲", "说话很冲", 0.95)):
        entities = [diet_category(said, span, value, confidence)]
        tracker = form_turn(make_tracker, "complaint_category", value, said, entities=entities)
        assert slots(run_action(ValidateComplaintForm(), tracker)[1])["complaint_category"] == "service-attitude", value


def test_short_description_is_refused(gateway, make_tracker, run_action):
    messages, events = run_action(
        ValidateComplaintForm(), form_turn(make_tracker, "complaint_description", "太差", "太差")
    )
    assert slots(events)["complaint_description"] is None
    assert responses(messages) == ["utter_invalid_complaint_description"]
    text = "窗口让我跑了三趟"
    _, events = run_action(ValidateComplaintForm(), form_turn(make_tracker, "complaint_description", text, text))
    assert slots(events)["complaint_description"] == text


def test_phone_validated(gateway, make_tracker, run_action):
    messages, events = run_action(ValidateComplaintForm(), form_turn(make_tracker, "complaint_phone", "12345", "12345"))
    assert slots(events)["complaint_phone"] is None
    assert responses(messages) == ["utter_invalid_complaint_phone"]
    text = "我的电话 138-1234-5678"
    _, events = run_action(ValidateComplaintForm(), form_turn(make_tracker, "complaint_phone", text, text))
    assert slots(events)["complaint_phone"] == "13812345678"


def test_item_suggested_from_last_guide_and_skippable(gateway, make_tracker, run_action):
    tracker = make_tracker("x", intent="inform", slots={"last_guide_id": "passport"})
    messages, _ = run_action(AskComplaintItem(), tracker)
    assert messages[0]["buttons"] == [
        {"title": gateway.state.guides["passport"]["name"], "payload": '/inform{"complaint_item":"passport"}'}
    ]
    _, events = run_action(ValidateComplaintForm(), form_turn(make_tracker, "complaint_item", "没有", "没有", "deny"))
    assert slots(events)["complaint_item"] == "none"  # 不/没有 here means no item, not cancel


def test_last_guide_not_suggested_for_a_story_about_something_else(gateway, make_tracker, run_action):
    story = "物业把绿化带改成停车位收钱，这合理吗"
    gateway.state.searches[story] = {"query": story, "confident": False, "hits": [{"id": "realestate-new-house"}]}
    about_else = make_tracker("x", intent="inform", slots={"last_guide_id": "passport", "complaint_description": story})
    messages, _ = run_action(AskComplaintItem(), about_else)
    assert responses(messages) == ["utter_ask_complaint_item"] and not messages[0].get("buttons")
    gateway.state.searches[story]["hits"].append({"id": "passport"})  # search does place the story there
    messages, _ = run_action(AskComplaintItem(), about_else)
    assert [b["payload"] for b in messages[0]["buttons"]] == ['/inform{"complaint_item":"passport"}']


def test_confirm_echoes_masked_phone(gateway, make_tracker, run_action):
    messages, _ = run_action(AskComplaintConfirm(), make_tracker("x", slots={**FILLED, "complaint_confirm": None}))
    assert responses(messages) == ["utter_ask_complaint_confirm"]
    assert messages[0]["phone"] == "138****5678"
    assert messages[0]["item"] == gateway.state.guides["ss-card-replace"]["name"]
    assert "13812345678" not in str(messages)


def test_confirm_masks_numbers_inside_the_story(gateway, make_tracker, run_action):
    story = "我身份证110101199003071234，办事员让我打0371-65123456，我手机13912345678一直没人回"
    filled = {**FILLED, "complaint_description": story, "complaint_confirm": None}
    messages, _ = run_action(AskComplaintConfirm(), make_tracker("x", slots=filled))
    said = messages[0]["description"]
    assert said == "我身份证1101**********1234，办事员让我打0371-****3456，我手机139****5678一直没人回"
    assert not any(n in str(messages) for n in ("110101199003071234", "65123456", "13912345678"))


def test_the_story_is_filed_complete(gateway, make_tracker, run_action):
    story = "我身份证110101199003071234，手机13912345678一直没人回"
    tracker = make_tracker("确认", intent="affirm", slots={**FILLED, "complaint_description": story})
    messages, _ = run_action(ActionSubmitComplaint(), tracker)
    assert gateway.state.cases[messages[0]["case_no"]]["body"]["description"] == story  # masked only on the way out


def test_stop_cancels_at_any_step(gateway, make_tracker, run_action):
    for requested in ("complaint_category", "complaint_description", "complaint_phone", "complaint_confirm"):
        tracker = form_turn(make_tracker, requested, "算了", "算了", intent="stop", slots_now=FILLED)
        messages, events = run_action(ValidateComplaintForm(), tracker)
        got = slots(events)
        assert got["requested_slot"] is None and got["complaint_confirm"] is False, requested
        assert got["complaint_description"] is None and got["complaint_phone"] is None
        assert messages == []
    tracker = make_tracker("算了", intent="stop", slots={"complaint_confirm": False})
    messages, events = run_action(ActionSubmitComplaint(), tracker)
    assert responses(messages) == ["utter_complaint_cancelled"]
    assert not [r for r in gateway.state.requests if r[0] == "POST"]


def test_asking_for_a_person_mid_form_hands_over_and_files_nothing(gateway, make_tracker, run_action):
    """转人工 typed at any step is not taken as the answer: the form ends and the handoff starts."""
    gateway.state.handoff_status = 201
    for requested in ("complaint_category", "complaint_description", "complaint_phone", "complaint_confirm"):
        tracker = form_turn(make_tracker, requested, "转人工", "转人工", intent="request_human", slots_now=FILLED)
        messages, events = run_action(ValidateComplaintForm(), tracker)
        got = slots(events)
        assert got["requested_slot"] is None and got["complaint_confirm"] is False, requested
        assert got["complaint_description"] is None and got["complaint_phone"] is None
    tracker = make_tracker("转人工", intent="request_human", slots={"complaint_confirm": False})
    messages, events = run_action(ActionSubmitComplaint(), tracker)
    assert responses(messages) == ["utter_handoff_done"]
    assert messages[0]["custom"]["route"]["kind"] == "handoff"
    assert [r for r in gateway.state.requests if r[0] == "POST" and r[1] == "/api/handoff"]
    assert not [r for r in gateway.state.requests if r[0] == "POST" and r[1].startswith("/api/cases")]


def test_confirmed_complaint_is_filed_once(gateway, make_tracker, run_action):
    messages, events = run_action(ActionSubmitComplaint(), make_tracker("确认", intent="affirm", slots=FILLED))
    assert responses(messages) == ["utter_complaint_filed"]
    case_no = messages[0]["case_no"]
    assert case_no in gateway.state.cases and messages[0]["deadline"] == "2026-12-05"
    assert messages[0]["phone"] == "138****5678"
    assert messages[0]["custom"]["route"] == {"kind": "complaint", "id": case_no}
    body = gateway.state.cases[case_no]["body"]
    assert body["category"] == "service-attitude" and body["item_id"] == "ss-card-replace"
    assert body["channel"] == "widget" and len(body["idempotency_key"]) == 32
    assert body["sender"]  # the chat user, for the console's caller view
    assert slots(events)["complaint_phone"] is None  # cleared after filing
    # the same complaint sent again (a channel retry) maps to the same case
    messages, _ = run_action(ActionSubmitComplaint(), make_tracker("确认", intent="affirm", slots=FILLED))
    assert messages[0]["case_no"] == case_no and len(gateway.state.cases) == 1


def test_the_case_is_filed_with_the_citizens_channel_never_a_staff_one(gateway, make_tracker, run_action):
    said_to_filed = {
        "wechat": "wechat",
        "miniprogram": "miniprogram",
        "telegram": "telegram",
        "widget": "widget",
        "hotline": "widget",  # a staff channel is the console's, whatever the metadata says
        "window": "widget",
        "api": "widget",
    }
    for said, filed in said_to_filed.items():
        tracker = make_tracker(
            "确认", intent="affirm", slots={**FILLED, "complaint_description": f"{said} 上反映的问题"}
        )
        tracker.latest_message["metadata"] = {"channel": said}
        messages, _ = run_action(ActionSubmitComplaint(), tracker)
        assert responses(messages) == ["utter_complaint_filed"], said
        assert gateway.state.cases[messages[0]["case_no"]]["channel"] == filed, said


def test_without_the_internal_token_the_complaint_waits_for_a_retry(gateway, make_tracker, run_action, monkeypatch):
    monkeypatch.setenv("INTERNAL_TOKEN", "not-the-gateways-token")
    messages, events = run_action(ActionSubmitComplaint(), make_tracker("确认", intent="affirm", slots=FILLED))
    assert responses(messages) == ["utter_complaint_failed"] and slots(events)["complaint_pending"]
    assert not gateway.state.cases


def test_api_failure_keeps_data_never_claims_success_and_retries(gateway, make_tracker, run_action):
    gateway.state.fail_cases = True
    messages, events = run_action(ActionSubmitComplaint(), make_tracker("确认", intent="affirm", slots=FILLED))
    assert responses(messages) == ["utter_complaint_failed"]
    pending = slots(events)["complaint_pending"]
    assert pending["description"] == FILLED["complaint_description"] and pending["idempotency_key"]
    assert not gateway.state.cases
    # still down: the retry button says so again
    tracker = make_tracker("/retry_complaint", intent="retry_complaint", slots={"complaint_pending": pending})
    messages, events = run_action(ActionSubmitComplaint(), tracker)
    assert responses(messages) == ["utter_complaint_failed"] and events == []
    # back up: the retry files it
    gateway.state.fail_cases = False
    messages, events = run_action(ActionSubmitComplaint(), tracker)
    assert responses(messages) == ["utter_complaint_filed"]
    assert slots(events) == {"complaint_pending": None}
    assert gateway.state.cases[messages[0]["case_no"]]["body"]["idempotency_key"] == pending["idempotency_key"]


def test_pending_complaint_is_retried_on_a_later_turn(gateway, make_tracker, run_action):
    from actions.smalltalk import ActionReply

    pending = {"category": "other", "description": "系统一直报错交不上", "phone": "13812345678", "channel": "widget"}
    pending["idempotency_key"] = "k" * 32
    tracker = make_tracker("谢谢", intent="thank", slots={"complaint_pending": pending})
    messages, events = run_action(ActionReply(), tracker)
    assert responses(messages) == ["utter_complaint_filed", "utter_thank"]
    assert slots(events) == {"complaint_pending": None}


def test_retry_with_nothing_pending(gateway, make_tracker, run_action):
    messages, _ = run_action(ActionSubmitComplaint(), make_tracker("再试一次", intent="retry_complaint"))
    assert responses(messages) == ["utter_complaint_nothing_pending"]


@pytest.mark.parametrize(
    ("text", "story"),
    [("我要投诉", False), ("我想反映个事", False), ("为了一个章来回跑了四回", True), ("/file_complaint", False)],
)
def test_a_story_is_told_not_only_announced(text: str, story: bool) -> None:
    assert is_story(text) is story


@pytest.mark.parametrize(
    ("text", "slot"),
    [
        ("电话错了", "complaint_phone"),
        ("号码不对", "complaint_phone"),
        ("类别不对", "complaint_category"),
        ("事项选错了", "complaint_item"),
        ("经过要改一下", "complaint_description"),
        ("确认提交", None),
        ("电话", None),  # names a field, changes nothing
    ],
)
def test_one_field_changes_at_the_read_back(text: str, slot: str | None) -> None:
    assert field_to_change(text) == slot
