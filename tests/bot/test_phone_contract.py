"""The shared tables (tests/civic/cases.py) under .venv-rasa: the bot and the case API agree on every number."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import actions.common as common
import pytest
from actions.forms import ValidateComplaintForm

import civic.phone as shared
import civic.privacy as privacy
from tests.civic.cases import FOUND, MASKED, NORMALIZED, REFUSED

ROOT = Path(__file__).resolve().parents[2]


def test_the_bot_uses_the_shared_rule_itself():
    assert common.normalize_phone is shared.normalize_phone
    assert common.find_phone is shared.find_phone
    assert common.mask_phone is shared.mask_phone
    assert common.mask_personal is privacy.mask_personal


def test_the_action_server_imports_it_from_bot_dir():
    """`cd bot && rasa run actions` has no repository root on sys.path: civic comes from the venv (-e ./civic)."""
    code = "import civic.phone, actions.common; print(civic.phone.__file__)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT / "bot", capture_output=True, text=True, check=True, env={}
    ).stdout
    assert Path(out.strip()) == ROOT / "civic" / "phone.py"


@pytest.mark.parametrize(("raw", "stored"), NORMALIZED)
def test_accepted(raw, stored):
    assert common.normalize_phone(raw) == stored


@pytest.mark.parametrize("raw", REFUSED)
def test_refused(raw):
    assert common.normalize_phone(raw) is None


@pytest.mark.parametrize(("text", "phone"), FOUND)
def test_found_in_free_text(text, phone):
    assert common.find_phone(text) == phone


@pytest.mark.parametrize(("text", "masked"), MASKED)
def test_masked(text, masked):
    assert common.mask_personal(text) == masked


@pytest.mark.parametrize(
    ("text", "stored"), [("座机 0371 6512 3456", "0371-65123456"), ("（010）6123 4567", "010-61234567")]
)
def test_the_form_keeps_landlines_in_the_stored_form(text, stored, gateway, make_tracker, run_action):
    current = {"requested_slot": "complaint_phone", "complaint_phone": text}
    user = {"event": "user", "text": text, "parse_data": {"intent": {"name": "inform", "confidence": 0.9}}}
    events = [user, {"event": "slot", "name": "complaint_phone", "value": text}]  # from_text, as Rasa fills it
    tracker = make_tracker(text, intent="inform", slots=current, events=events, active_loop="complaint_form")
    _, events = run_action(ValidateComplaintForm(), tracker)
    assert {e["name"]: e["value"] for e in events if e.get("event") == "slot"}["complaint_phone"] == stored
