"""Static checks: wording lives in the domain, every uttered response exists, every message carries meta."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from actions.smalltalk import ActionFallback, ActionReply

ACTIONS = Path(__file__).resolve().parents[2] / "bot" / "actions"
CJK = re.compile(r"[\u3400-\u9fff]")


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def test_no_chinese_string_literals_in_actions():
    offenders = []
    for path in ACTIONS.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstring_nodes(tree)
        for node in ast.walk(tree):
            is_text = isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
            if is_text and CJK.search(node.value):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_every_uttered_response_is_in_the_domain(domain):
    used = set()
    for path in ACTIONS.rglob("*.py"):
        used |= set(re.findall(r"\"(utter_[a-z0-9_]+)\"", path.read_text(encoding="utf-8")))
    ask_slots = {s for form in domain["forms"].values() for s in form["required_slots"]}
    used |= {f"utter_ask_{s}" for s in ask_slots}
    assert used - set(domain["responses"]) == set()


def test_every_custom_action_is_declared(domain):
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    registered = set(executor.actions)
    assert registered - set(domain["actions"]) == set()
    declared_custom = {a for a in domain["actions"] if a.startswith(("action_", "validate_"))}
    assert declared_custom - registered == set()


def test_small_talk_carries_meta(gateway, make_tracker, run_action):
    for intent, response in (("greet", "utter_greet"), ("goodbye", "utter_goodbye"), ("hotline", "utter_hotline")):
        messages, _ = run_action(ActionReply(), make_tracker("x", intent=intent, confidence=0.88))
        assert [m["response"] for m in messages] == [response]
        assert messages[0]["custom"] == {"intent": intent, "confidence": 0.88, "route": {"kind": "none", "id": None}}


def test_out_of_scope_twice_hands_over(gateway, make_tracker, run_action):
    messages, _ = run_action(ActionFallback(), make_tracker("讲个笑话", intent="out_of_scope"))
    assert [m["response"] for m in messages] == ["utter_out_of_scope"]
    tracker = make_tracker("讲个笑话", intent="out_of_scope", slots={"miss_count": 1.0})
    messages, _ = run_action(ActionFallback(), tracker)
    assert [m["response"] for m in messages][-1] == "utter_handoff_unavailable"


def test_out_of_scope_words_that_search_places_are_answered(gateway, make_tracker, run_action):
    """Pinyin or an unusual wording the NLU calls out of scope still reaches the gateway's answer decision."""
    from tests.bot.fake_gateway import message

    gateway.state.set_answer(
        "shebaoka diule zenmeban", "answer", ("guide", "ss-card-replace"), [message(text="ss card")], asked="whole"
    )
    messages, events = run_action(ActionFallback(), make_tracker("shebaoka diule zenmeban", intent="out_of_scope"))
    assert [m["text"] for m in messages] == ["ss card"]
    assert messages[0]["custom"]["route"] == {"kind": "guide", "id": "ss-card-replace"}
    assert {"event": "slot", "name": "last_guide_id", "value": "ss-card-replace"} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]
