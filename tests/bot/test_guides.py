"""The guide actions relay the gateway's one answer decision (GET /api/answer) and keep the dialogue state."""

from __future__ import annotations

from typing import Any

from actions.guides import ActionAnswerFollowup, ActionAnswerGuide, ActionShowBundle, ActionShowGuide

FEE = "补办社保卡：免费。"
LINK = {"type": "link", "text": "查看完整指南", "url": "/guides/ss-card-replace"}
CLARIFY = {
    "type": "buttons",
    "text": "您问的是下面哪一件？点一下我就告诉您。",
    "buttons": [
        {"title": "租房提取公积金", "payload": '/choose_guide{"guide_id":"hpf-withdraw-rent"}'},
        {"title": "购房提取公积金", "payload": '/choose_guide{"guide_id":"hpf-withdraw-purchase"}'},
        {"title": "退休提取公积金", "payload": '/choose_guide{"guide_id":"hpf-withdraw-retire"}'},
    ],
}


def responses(messages: list[dict[str, Any]]) -> list[str | None]:
    return [m.get("response") for m in messages]


def slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def answer_calls(gateway) -> list[dict[str, str]]:
    """The query of each GET /api/answer, one value per parameter."""
    return [{k: v[0] for k, v in r[2].items()} for r in gateway.state.requests if r[1] == "/api/answer"]


def test_fact_answer_is_relayed_with_meta_and_remembered(gateway, make_tracker, run_action):
    gateway.state.set_answer(
        "社保卡补办多少钱",
        "answer",
        route=("guide", "ss-card-replace"),
        messages=[{"text": FEE}, LINK],
        asked="fee",
        confidence=0.91,
    )
    tracker = make_tracker("社保卡补办多少钱", slots={"last_guide_id": "passport", "last_asked": "time"})
    messages, events = run_action(ActionAnswerGuide(), tracker)
    assert answer_calls(gateway) == [{"q": "社保卡补办多少钱", "last": "passport", "last_asked": "time"}]
    assert gateway.state.answer_callers == [True]  # the internal token: the action server is not rate-limited
    route = {"kind": "guide", "id": "ss-card-replace"}
    assert responses(messages) == [None, None]  # the gateway's wording, no domain response
    assert messages[0]["text"] == FEE and messages[0]["buttons"] == []
    assert messages[0]["custom"] == {"intent": "ask_howto", "confidence": 0.97, "route": route}
    assert messages[1]["text"] is None
    assert messages[1]["custom"] == {
        "intent": "ask_howto",
        "confidence": 0.97,
        "route": route,
        "link": LINK["url"],
        "title": LINK["text"],
    }
    assert slots(events) == {
        "last_guide_id": "ss-card-replace",
        "last_guide_kind": "item",
        "last_asked": "fee",
        "miss_count": 0.0,
    }


def test_whole_answer_relays_the_card_and_bundle_buttons(gateway, make_tracker, run_action):
    card = {"id": "ss-card-replace", "kind": "item", "name": "补办社保卡", "url": "/guides/ss-card-replace"}
    offer = {
        "type": "buttons",
        "text": "这件事属于一件事：",
        "buttons": [{"title": "社保卡一件事", "payload": "/show_bundle"}],
    }
    gateway.state.set_answer(
        "补办社保卡全部流程",
        "answer",
        route=("guide", "ss-card-replace"),
        messages=[
            {"text": "补办社保卡怎么办，看下面这张清单："},
            {"type": "guide_card", "text": "补办社保卡", "card": card},
            offer,
            LINK,
        ],
        asked="whole",
    )
    messages, _ = run_action(ActionAnswerGuide(), make_tracker("补办社保卡全部流程"))
    assert len(messages) == 4
    assert messages[1]["text"] is None and messages[1]["custom"]["guide_card"] == card
    assert messages[1]["custom"]["route"] == {"kind": "guide", "id": "ss-card-replace"}
    assert messages[2]["buttons"] == offer["buttons"] and messages[2]["text"] == offer["text"]
    assert messages[3]["custom"]["link"] == LINK["url"]


def test_clarify_relays_the_buttons_and_keeps_what_was_asked(gateway, make_tracker, run_action):
    ids = ["hpf-withdraw-rent", "hpf-withdraw-purchase", "hpf-withdraw-retire"]
    gateway.state.set_answer("公积金怎么取多久到账", "clarify", messages=[CLARIFY], asked="time", choices=ids)
    tracker = make_tracker("公积金怎么取多久到账", slots={"last_guide_id": "passport"})
    messages, events = run_action(ActionAnswerGuide(), tracker)
    assert [m["text"] for m in messages] == [CLARIFY["text"]]
    assert messages[0]["buttons"] == CLARIFY["buttons"]
    assert messages[0]["custom"]["route"] == {"kind": "none", "id": None}
    assert slots(events) == {"last_asked": "time", "miss_count": 0.0}  # the last guide stays until one is chosen


def test_site_fact_keeps_the_last_guide(gateway, make_tracker, run_action):
    gateway.state.set_answer(
        "几点下班", "site", messages=[{"text": "政务服务中心办公时间：9:00-17:00。"}], asked="site:hours"
    )
    tracker = make_tracker("几点下班", slots={"last_guide_id": "passport", "last_asked": "fee"})
    messages, events = run_action(ActionAnswerGuide(), tracker)
    assert messages[0]["text"].startswith("政务服务中心")
    assert slots(events) == {"last_asked": "site:hours", "miss_count": 0.0}
    # the next turn does not send a site fact as last_asked (the gateway takes only the seven aspects)
    tracker = make_tracker("那周末呢", slots={"last_guide_id": "passport", "last_asked": "site:hours"})
    run_action(ActionAnswerGuide(), tracker)
    assert answer_calls(gateway)[-1] == {"q": "那周末呢", "last": "passport"}


def test_abstain_says_not_sure_then_hands_over_on_second_miss(gateway, make_tracker, run_action):
    messages, events = run_action(ActionAnswerGuide(), make_tracker("火星签证"))
    assert responses(messages) == ["utter_guide_not_sure"]
    assert slots(events) == {"miss_count": 1.0}
    messages, events = run_action(ActionAnswerGuide(), make_tracker("火星签证", slots={"miss_count": 1.0}))
    assert responses(messages) == ["utter_guide_not_sure", "utter_handoff_after_misses", "utter_handoff_unavailable"]
    assert slots(events) == {"miss_count": 0.0}
    assert any(r[:2] == ("POST", "/api/handoff") for r in gateway.state.requests)


def test_gateway_down_is_said_plainly(monkeypatch, make_tracker, run_action):
    monkeypatch.setenv("GATEWAY_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    for action, tracker in (
        (ActionAnswerGuide(), make_tracker("办护照")),
        (ActionAnswerFollowup(), make_tracker("要带啥", intent="ask_materials", slots={"last_guide_id": "passport"})),
        (ActionShowGuide(), make_tracker("/choose_guide", entities=[{"entity": "guide_id", "value": "passport"}])),
    ):
        messages, events = run_action(action, tracker)
        assert responses(messages) == ["utter_service_down"], action.name()
        assert events == []


def test_followup_passes_the_aspect_and_the_last_guide(gateway, make_tracker, run_action):
    gateway.state.set_answer(
        "在哪办", "answer", route=("guide", "passport"), messages=[{"text": "办护照到出入境窗口办。"}], asked="where"
    )
    for intent, asked in (
        ("ask_materials", "materials"),
        ("ask_location", "where"),
        ("ask_time", "time"),
        ("ask_online", "online"),
        ("ask_fee", "fee"),
    ):
        tracker = make_tracker("在哪办", intent=intent, slots={"last_guide_id": "passport", "last_asked": "fee"})
        run_action(ActionAnswerFollowup(), tracker)
        assert answer_calls(gateway)[-1] == {"q": "在哪办", "last": "passport", "asked": asked}, intent
    messages, events = run_action(ActionAnswerFollowup(), tracker)
    assert messages[0]["custom"]["route"] == {"kind": "guide", "id": "passport"}
    assert slots(events) == {
        "last_guide_id": "passport",
        "last_guide_kind": "item",
        "last_asked": "where",
        "miss_count": 0.0,
    }


def test_followup_naming_another_errand_switches_to_it(gateway, make_tracker, run_action):
    gateway.state.set_answer(
        "那身份证呢", "answer", route=("guide", "id-card-renew"), messages=[{"text": "换身份证：20元。"}], asked="fee"
    )
    tracker = make_tracker("那身份证呢", intent="ask_fee", slots={"last_guide_id": "ss-card-replace"})
    messages, events = run_action(ActionAnswerFollowup(), tracker)
    assert messages[0]["text"] == "换身份证：20元。"
    assert slots(events)["last_guide_id"] == "id-card-renew"


def test_followup_without_topic_asks_which_errand(gateway, make_tracker, run_action):
    messages, events = run_action(ActionAnswerFollowup(), make_tracker("要带啥", intent="ask_materials"))
    assert responses(messages) == ["utter_followup_no_topic"]
    assert events == []
    assert answer_calls(gateway) == [{"q": "要带啥", "asked": "materials"}]


def test_followup_the_gateway_cannot_place_is_a_miss(gateway, make_tracker, run_action):
    tracker = make_tracker("要带啥", intent="ask_materials", slots={"last_guide_id": "gone-guide"})
    messages, events = run_action(ActionAnswerFollowup(), tracker)
    assert responses(messages) == ["utter_guide_not_sure"]
    assert slots(events) == {"miss_count": 1.0}


def test_choice_button_asks_for_that_entry_and_the_remembered_aspect(gateway, make_tracker, run_action):
    gateway.state.set_answer(
        "hpf-withdraw-rent",
        "answer",
        route=("guide", "hpf-withdraw-rent"),
        messages=[{"text": "租房提取公积金：3个工作日。"}],
        asked="time",
    )
    entities = [{"entity": "guide_id", "value": "hpf-withdraw-rent"}]
    tracker = make_tracker(
        '/choose_guide{"guide_id":"hpf-withdraw-rent"}',
        intent="choose_guide",
        entities=entities,
        slots={"last_asked": "time"},
    )
    messages, events = run_action(ActionShowGuide(), tracker)
    assert answer_calls(gateway) == [{"id": "hpf-withdraw-rent", "asked": "time"}]
    assert messages[0]["text"] == "租房提取公积金：3个工作日。"
    assert slots(events)["last_guide_id"] == "hpf-withdraw-rent"
    for remembered in ("overview", "site:hours", None):  # only the seven aspects are passed on
        tracker = make_tracker(
            "/choose_guide", intent="choose_guide", entities=entities, slots={"last_asked": remembered}
        )
        run_action(ActionShowGuide(), tracker)
        assert answer_calls(gateway)[-1] == {"id": "hpf-withdraw-rent"}


def test_choice_button_without_an_entry_asks_which(gateway, make_tracker, run_action):
    tracker = make_tracker("/choose_guide", intent="choose_guide", entities=[{"entity": "guide_id", "value": "../x"}])
    messages, _ = run_action(ActionShowGuide(), tracker)
    assert responses(messages) == ["utter_followup_no_topic"]
    assert answer_calls(gateway) == []


def test_bundle_button_asks_for_the_whole_checklist(gateway, make_tracker, run_action):
    gateway.state.set_answer(
        "yjs-newborn",
        "answer",
        route=("bundle", "yjs-newborn"),
        messages=[
            {"text": "出生一件事一次办好这几件事。"},
            {"type": "link", "text": "看整套材料清单", "url": "/guides/yjs-newborn"},
        ],
        asked="whole",
    )
    entities = [{"entity": "bundle_id", "value": "yjs-newborn"}]
    tracker = make_tracker('/show_bundle{"bundle_id":"yjs-newborn"}', intent="show_bundle", entities=entities)
    messages, events = run_action(ActionShowBundle(), tracker)
    assert answer_calls(gateway) == [{"id": "yjs-newborn", "asked": "whole"}]
    assert messages[0]["custom"]["route"] == {"kind": "bundle", "id": "yjs-newborn"}
    assert messages[1]["custom"]["link"] == "/guides/yjs-newborn"
    assert slots(events)["last_guide_kind"] == "bundle"
    # no entity: the bundle in context
    tracker = make_tracker(
        "/show_bundle", intent="show_bundle", slots={"last_guide_id": "yjs-newborn", "last_guide_kind": "bundle"}
    )
    run_action(ActionShowBundle(), tracker)
    assert answer_calls(gateway)[-1] == {"id": "yjs-newborn", "asked": "whole"}


def test_very_long_message_is_sent_by_its_start(gateway, make_tracker, run_action):
    text = "社保卡" * 800  # 2,400 characters
    messages, _ = run_action(ActionAnswerGuide(), make_tracker(text))
    assert responses(messages) == ["utter_guide_not_sure"]
    assert [len(c["q"]) for c in answer_calls(gateway)] == [500]


def test_emoji_only_message_gets_a_polite_answer(gateway, make_tracker, run_action):
    messages, _ = run_action(ActionAnswerGuide(), make_tracker("😀😀😀"))
    assert responses(messages) == ["utter_guide_not_sure"]


def test_empty_message_is_not_sent(gateway, make_tracker, run_action):
    messages, events = run_action(ActionAnswerGuide(), make_tracker("   "))
    assert responses(messages) == ["utter_default"]
    assert slots(events) == {"miss_count": 1.0}
    assert answer_calls(gateway) == []


def test_a_grievance_starts_the_complaint_form_with_the_story_as_description(gateway, make_tracker, run_action):
    story = "为了一个章来回跑了四回还是办不成"
    gateway.state.set_answer(story, "complaint", ("complaint", None), [])
    messages, events = run_action(ActionAnswerGuide(), make_tracker(story, intent="ask_howto"))
    assert messages == []
    assert {"event": "slot", "name": "complaint_description", "value": story} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]
    assert events[-1]["event"] == "followup" and events[-1]["name"] == "complaint_form"
