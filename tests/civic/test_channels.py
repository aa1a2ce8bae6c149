"""Channel names (civic/channels.py): the gateway, the console and the bot, in its own venv, hold the same ones."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import get_args

import pytest

from api.cases import filing, timeline
from api.cases import schemas as case_schemas
from api.channels.identity import PREFIXES
from api.chat import schemas as chat_schemas
from api.core import wording as console_wording
from api.handoff.delivery import PUSHED
from api.observability.metrics import WEBHOOK_CHANNELS
from civic.channels import (
    CITIZEN_CHANNELS,
    CITIZEN_CHATS,
    MESSENGERS,
    STAFF_CHANNELS,
    CaseChannel,
    ChatChannel,
    citizen_channel,
)
from tests.civic.cases import CHANNELS

ROOT = Path(__file__).resolve().parents[2]
RASA_PY = ROOT / ".venv-rasa" / "bin" / "python"
# run from bot/, as the action server is: civic comes from .venv-rasa's editable install, the rest from bot/actions
BOT_VIEW = """
import json, sys
from rasa_sdk import Tracker
import actions.common as common
import civic.channels as channels

def tracker(latest):
    return Tracker("s", {}, latest, [], False, None, None, None)

said = json.loads(sys.argv[1])
print(json.dumps({
    "file": channels.__file__,
    "shared": common.citizen_channel is channels.citizen_channel,
    "filed": [common.channel_of(tracker({"text": "x", "metadata": {"channel": c}})) for c in said],
    "no_metadata": [common.channel_of(tracker(m)) for m in ({"text": "x"}, {"text": "x", "metadata": "wechat"})],
}))
"""


@pytest.mark.parametrize(("said", "filed"), CHANNELS)
def test_a_conversation_files_under_the_citizens_channel(said: object, filed: str) -> None:
    assert citizen_channel(said) == filed


@pytest.mark.skipif(not RASA_PY.is_file(), reason="the bot's .venv-rasa is not set up")
def test_the_bot_files_under_the_same_channels() -> None:
    said = [s for s, _ in CHANNELS]
    out = subprocess.run(
        [str(RASA_PY), "-c", BOT_VIEW, json.dumps(said)],
        cwd=ROOT / "bot",
        capture_output=True,
        text=True,
        check=True,
        env={},
        timeout=120,
    ).stdout
    bot = json.loads(out.strip().splitlines()[-1])
    assert Path(bot["file"]) == ROOT / "civic" / "channels.py" and bot["shared"]
    assert bot["filed"] == [filed for _, filed in CHANNELS] == [citizen_channel(s) for s in said]
    assert bot["no_metadata"] == ["widget", "widget"]


def test_the_gateway_names_the_same_channels() -> None:
    assert chat_schemas.Channel is ChatChannel and case_schemas.Channel is CaseChannel
    assert PUSHED == WEBHOOK_CHANNELS == set(PREFIXES) == MESSENGERS
    assert CITIZEN_CHATS.issubset(get_args(ChatChannel)) and CITIZEN_CHATS <= CITIZEN_CHANNELS
    assert set(get_args(CaseChannel)) == CITIZEN_CHANNELS | STAFF_CHANNELS and not CITIZEN_CHANNELS & STAFF_CHANNELS


@pytest.mark.parametrize("channel", sorted(CITIZEN_CHATS))
def test_the_case_api_takes_every_channel_the_bot_names(channel: str) -> None:
    case_in = case_schemas.CaseIn(category="other", description="办不成", phone="13812345678", channel=channel)
    assert filing.channel_for(case_in.channel, internal=True) == channel
    assert case_in.filed_as(channel, internal=True).channel == channel
    assert filing.channel_for(case_in.channel, internal=False) == "web"  # nobody else vouches for a channel


@pytest.mark.parametrize("channel", sorted(STAFF_CHANNELS))
def test_the_case_api_refuses_a_staff_channel_whoever_claims_it(channel: str) -> None:
    for internal in (True, False):
        with pytest.raises(filing.StaffChannelRefused):
            filing.channel_for(channel, internal=internal)


def test_staff_read_a_name_for_every_channel() -> None:
    assert set(get_args(CaseChannel)).issubset(timeline.wording().channels)  # a case's 渠道
    assert CITIZEN_CHATS.issubset(console_wording.load("handoffs")["channels"])  # a handoff's, as the bot names it
