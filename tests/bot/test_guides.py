"""Answer, clarify, not-sure, follow-ups and bundles against the fake gateway."""

from __future__ import annotations

from typing import Any

from actions.guides import (
    ActionAnswerFollowup,
    ActionAnswerGuide,
    ActionShowBundle,
    ActionShowGuide,
    format_materials,
    pick_choices,
)


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [m["response"] for m in messages]


def slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_confident_item_answer_with_bundle_offer(gateway, make_tracker, run_action):
    gateway.state.set_search("社保卡丢了咋办", True, [("ss-card-replace", 1.2), ("ss-card-apply", 1.06)])
    messages, events = run_action(ActionAnswerGuide(), make_tracker("社保卡丢了咋办"))
    assert responses(messages) == ["utter_guide_item", "utter_guide_online", "utter_guide_bundle_offer"]
    item = messages[0]
    guide = gateway.state.guides["ss-card-replace"]
    assert guide["materials"][0]["note"] in item["materials"]  # 审查要点 shown
    assert item["window"] == guide["window_info"]["name"]
    assert item["floor"] == guide["window_info"]["location"]["floor"]
    assert item["time_limit"] == guide["time_limit"] and item["fee"] == guide["fee"]
    assert item["custom"] == {
        "intent": "ask_howto",
        "confidence": 0.97,
        "route": {"kind": "guide", "id": "ss-card-replace"},
    }
    offer = messages[2]
    assert offer["buttons"] and all(b["payload"].startswith("/show_bundle{") for b in offer["buttons"])
    assert slots(events) == {"last_guide_id": "ss-card-replace", "last_guide_kind": "item", "miss_count": 0.0}


def test_close_hits_ask_with_at_most_three_buttons(gateway, make_tracker, run_action):
    hits = [("hpf-withdraw-rent", 1.17), ("hpf-withdraw-purchase", 1.16), ("hpf-withdraw-retire", 1.15)]
    gateway.state.set_search("公积金怎么取", True, [*hits, ("hpf-loan", 1.14)])
    messages, _ = run_action(ActionAnswerGuide(), make_tracker("公积金怎么取"))
    assert responses(messages) == ["utter_guide_clarify"]
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert len(payloads) == 3
    assert payloads[0] == '/choose_guide{"guide_id":"hpf-withdraw-rent"}'


def test_item_and_its_own_bundle_are_not_ambiguous(gateway):
    state = gateway.state
    hits = [state.hit("ss-card-replace", 1.2), state.hit("yjs-ss-card", 1.19)]
    assert pick_choices(hits) == []


def test_not_confident_says_so_then_hands_over_on_second_miss(gateway, make_tracker, run_action):
    gateway.state.set_search("火星签证", False, [("passport", 0.5)])
    messages, events = run_action(ActionAnswerGuide(), make_tracker("火星签证"))
    assert responses(messages) == ["utter_guide_not_sure"]
    assert slots(events) == {"miss_count": 1.0}
    messages, events = run_action(ActionAnswerGuide(), make_tracker("火星签证", slots={"miss_count": 1.0}))
    assert responses(messages) == ["utter_guide_not_sure", "utter_handoff_after_misses", "utter_handoff_unavailable"]
    assert slots(events) == {"miss_count": 0.0}
    assert any(r[:2] == ("POST", "/api/handoff") for r in gateway.state.requests)


def test_gateway_down_is_said_plainly(monkeypatch, make_tracker, run_action):
    monkeypatch.setenv("GATEWAY_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    messages, events = run_action(ActionAnswerGuide(), make_tracker("办护照"))
    assert responses(messages) == ["utter_service_down"]
    assert events == []


def test_choice_button_shows_that_guide(gateway, make_tracker, run_action):
    tracker = make_tracker(
        '/choose_guide{"guide_id":"passport"}',
        intent="choose_guide",
        entities=[{"entity": "guide_id", "value": "passport"}],
    )
    messages, events = run_action(ActionShowGuide(), tracker)
    assert responses(messages)[0] == "utter_guide_item"
    assert slots(events)["last_guide_id"] == "passport"


def test_bundle_shows_merged_checklist_and_steps(gateway, make_tracker, run_action):
    tracker = make_tracker(
        '/show_bundle{"bundle_id":"yjs-newborn"}',
        intent="show_bundle",
        entities=[{"entity": "bundle_id", "value": "yjs-newborn"}],
    )
    messages, events = run_action(ActionShowBundle(), tracker)
    assert responses(messages)[0] == "utter_guide_bundle"
    bundle = gateway.state.guides["yjs-newborn"]
    assert messages[0]["materials"] == format_materials(bundle["merged_materials"])
    assert bundle["steps"][0] in messages[0]["steps"]
    assert messages[0]["window"]  # the 一件事 window was looked up
    assert messages[0]["custom"]["route"] == {"kind": "bundle", "id": "yjs-newborn"}
    assert slots(events)["last_guide_kind"] == "bundle"


def test_followups_answer_from_last_guide(gateway, make_tracker, run_action):
    guide = gateway.state.guides["passport"]
    expected = {
        "ask_materials": ("utter_followup_materials", "materials", format_materials(guide["materials"])),
        "ask_location": ("utter_followup_location", "floor", guide["window_info"]["location"]["floor"]),
        "ask_time": ("utter_followup_time", "time_limit", guide["time_limit"]),
        "ask_fee": ("utter_followup_fee", "fee", guide["fee"]),
    }
    for intent, (response, key, value) in expected.items():
        tracker = make_tracker("x", intent=intent, slots={"last_guide_id": "passport"})
        messages, _ = run_action(ActionAnswerFollowup(), tracker)
        assert responses(messages) == [response], intent
        assert messages[0][key] == value
        assert messages[0]["custom"]["route"] == {"kind": "guide", "id": "passport"}
    tracker = make_tracker("能网上办吗", intent="ask_online", slots={"last_guide_id": "passport"})
    messages, _ = run_action(ActionAnswerFollowup(), tracker)
    assert responses(messages) == ["utter_followup_online" if guide["online"] else "utter_followup_offline_only"]


def test_followup_without_topic_asks_which_errand(gateway, make_tracker, run_action):
    messages, _ = run_action(ActionAnswerFollowup(), make_tracker("要带啥", intent="ask_materials"))
    assert responses(messages) == ["utter_followup_no_topic"]


def test_followup_with_new_topic_replaces_last_guide(gateway, make_tracker, run_action):
    gateway.state.set_search("护照要带啥", True, [("passport", 1.2)])
    tracker = make_tracker(
        "护照要带啥",
        intent="ask_materials",
        slots={"last_guide_id": "ss-card-replace"},
        entities=[{"entity": "service", "value": "护照"}],
    )
    messages, events = run_action(ActionAnswerFollowup(), tracker)
    assert messages[0]["name"] == gateway.state.guides["passport"]["name"]
    assert slots(events)["last_guide_id"] == "passport"


def test_bundle_fee_lists_members(gateway, make_tracker, run_action):
    tracker = make_tracker("收费吗", intent="ask_fee", slots={"last_guide_id": "yjs-ss-card"})
    messages, _ = run_action(ActionAnswerFollowup(), tracker)
    member = gateway.state.guides["ss-card-replace"]
    assert member["fee"] in messages[0]["fee"]


def test_very_long_message_is_searched_by_its_start(gateway, make_tracker, run_action):
    text = "社保卡" * 800  # 2,400 characters
    messages, _ = run_action(ActionAnswerGuide(), make_tracker(text))
    assert responses(messages) == ["utter_guide_not_sure"]
    searched = [r[2]["q"][0] for r in gateway.state.requests if r[1] == "/api/search"]
    assert len(searched[0]) == 500


def test_emoji_only_message_gets_a_polite_answer(gateway, make_tracker, run_action):
    messages, _ = run_action(ActionAnswerGuide(), make_tracker("😀😀😀"))
    assert responses(messages) == ["utter_guide_not_sure"]
