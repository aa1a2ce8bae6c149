"""Case status, rating and handoff against the fake gateway."""

from __future__ import annotations

from typing import Any

from actions.cases import ActionCheckCase, ActionSubmitRating, ValidateCaseStatusForm, ValidateRatingForm
from actions.handoff import ActionHandoff


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [m["response"] for m in messages]


def slots(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def add_case(gateway, phone: str = "13812345678") -> str:
    case_no = "TS2026112800999"
    gateway.state.cases[case_no] = {
        "case_no": case_no,
        "status": "in_progress",  # the real API: a code and its Chinese name
        "status_name": "办理中",
        "deadline": "2026-12-05",
        "phone": phone,
        "timeline": [{"note": "已受理"}, {"note": "已转社保窗口办理"}],
        "ratings": [],
        "body": {},
    }
    return case_no


def form_turn(make_tracker, form: str, requested: str, value: Any, intent: str = "inform"):
    user = {"event": "user", "text": str(value), "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}
    events = [user, {"event": "slot", "name": requested, "value": value}]
    tracker_slots = {"requested_slot": requested, requested: value}
    return make_tracker(str(value), intent=intent, slots=tracker_slots, events=events, active_loop=form)


def test_case_number_and_phone_tail_are_parsed(gateway, make_tracker, run_action):
    form = "case_status_form"
    _, events = run_action(
        ValidateCaseStatusForm(), form_turn(make_tracker, form, "case_no", "编号是 ts2026112800999 谢谢")
    )
    assert slots(events)["case_no"] == "TS2026112800999"
    messages, events = run_action(ValidateCaseStatusForm(), form_turn(make_tracker, form, "case_no", "不知道"))
    assert slots(events)["case_no"] is None and responses(messages) == ["utter_invalid_case_no"]
    _, events = run_action(ValidateCaseStatusForm(), form_turn(make_tracker, form, "phone_last4", "尾号5678"))
    assert slots(events)["phone_last4"] == "5678"
    messages, _ = run_action(ValidateCaseStatusForm(), form_turn(make_tracker, form, "phone_last4", "56"))
    assert responses(messages) == ["utter_invalid_phone_last4"]


def test_stop_ends_the_status_form(gateway, make_tracker, run_action):
    tracker = form_turn(make_tracker, "case_status_form", "case_no", "算了", intent="stop")
    _, events = run_action(ValidateCaseStatusForm(), tracker)
    assert slots(events)["requested_slot"] is None
    messages, _ = run_action(ActionCheckCase(), make_tracker("算了", intent="stop"))
    assert responses(messages) == ["utter_form_cancelled"]


def test_case_status_in_plain_words(gateway, make_tracker, run_action):
    case_no = add_case(gateway)
    tracker = make_tracker("5678", intent="inform", slots={"case_no": case_no, "phone_last4": "5678"})
    messages, events = run_action(ActionCheckCase(), tracker)
    assert responses(messages) == ["utter_case_status"]
    assert messages[0]["status"] == "办理中" and messages[0]["latest"] == "已转社保窗口办理"
    assert messages[0]["custom"]["route"] == {"kind": "complaint", "id": case_no}
    assert slots(events) == {"case_no": None, "phone_last4": None}


def test_wrong_phone_looks_like_unknown_case(gateway, make_tracker, run_action):
    case_no = add_case(gateway)
    tracker = make_tracker("0000", intent="inform", slots={"case_no": case_no, "phone_last4": "0000"})
    messages, _ = run_action(ActionCheckCase(), tracker)
    assert responses(messages) == ["utter_case_not_found"]


def test_case_api_down(gateway, make_tracker, run_action):
    gateway.state.fail_cases = True
    tracker = make_tracker("5678", intent="inform", slots={"case_no": "TS1", "phone_last4": "5678"})
    messages, _ = run_action(ActionCheckCase(), tracker)
    assert responses(messages) == ["utter_case_api_down"]


def test_rating_validation(gateway, make_tracker, run_action):
    form = "rating_form"
    _, events = run_action(ValidateRatingForm(), form_turn(make_tracker, form, "rating_score", "打4分吧"))
    assert slots(events)["rating_score"] == "4"
    messages, events = run_action(ValidateRatingForm(), form_turn(make_tracker, form, "rating_score", "九分"))
    assert slots(events)["rating_score"] is None and responses(messages) == ["utter_invalid_rating_score"]
    _, events = run_action(ValidateRatingForm(), form_turn(make_tracker, form, "rating_comment", "/deny", "deny"))
    assert slots(events)["rating_comment"] == ""


def test_low_rating_opens_supervisor_followup(gateway, make_tracker, run_action):
    case_no = add_case(gateway)
    rating = {"case_no": case_no, "phone_last4": "5678", "rating_score": "1", "rating_comment": "没人管"}
    messages, events = run_action(ActionSubmitRating(), make_tracker("没人管", intent="inform", slots=rating))
    assert responses(messages) == ["utter_rating_low_followup"]
    assert gateway.state.cases[case_no]["status_name"] == "督办"
    assert gateway.state.cases[case_no]["ratings"] == [{"phone_last4": "5678", "score": 1, "comment": "没人管"}]
    assert slots(events)["rating_score"] is None


def test_good_rating_thanks(gateway, make_tracker, run_action):
    case_no = add_case(gateway)
    rating = {"case_no": case_no, "phone_last4": "5678", "rating_score": "5", "rating_comment": ""}
    messages, _ = run_action(ActionSubmitRating(), make_tracker("/deny", intent="deny", slots=rating))
    assert responses(messages) == ["utter_rating_thanks"]


def test_handoff_404_is_said_honestly(gateway, make_tracker, run_action):
    messages, _ = run_action(ActionHandoff(), make_tracker("转人工", intent="request_human"))
    assert responses(messages) == ["utter_handoff_unavailable"]
    assert messages[0]["custom"]["route"]["kind"] == "handoff"


def test_handoff_sends_transcript(gateway, make_tracker, run_action):
    gateway.state.handoff_status = 201
    events = [
        {"event": "user", "text": "社保卡丢了"},
        {"event": "bot", "text": "请带身份证"},
        {"event": "user", "text": "转人工"},
    ]
    tracker = make_tracker("转人工", intent="request_human", events=events)
    messages, _ = run_action(ActionHandoff(), tracker)
    assert responses(messages) == ["utter_handoff_done"]
    assert messages[0]["custom"]["route"] == {"kind": "handoff", "id": "h-1"}
    body = next(r[2] for r in gateway.state.requests if r[1] == "/api/handoff")
    assert [t["text"] for t in body["transcript"]] == ["社保卡丢了", "请带身份证", "转人工"]
    assert body["sender_id"] == "test-user" and body["reason"] == "requested"


def test_second_handoff_says_the_person_is_already_waiting(gateway, make_tracker, run_action):
    """One open handoff per sender: the gateway hands back the open one (200, existing) and the bot says so."""
    gateway.state.handoff_status = 200
    messages, _ = run_action(ActionHandoff(), make_tracker("转人工", intent="request_human"))
    assert responses(messages) == ["utter_handoff_already"]
    assert messages[0]["custom"]["route"] == {"kind": "handoff", "id": "h-1"}
